"""A requester's personal data (``wagtail_support.privacy``): what we hold, their export, their erasure, and
the retention of closed tickets by ``support_tick``; the admin's "Personal data" page and the command.

The erasure is checked the hard way: after it, every table of the database (read with SQL, every column of
every row, whatever app it belongs to) and every file under the attachment storage and ``MEDIA_ROOT`` is
searched for the person's address, their name and the words they wrote; nothing may be found. The people
and the figures around them (another requester's tickets, the counts, statuses, dates and teams the
reports read) must be what they were.
"""

import io
import json
import os
import zipfile

import pytest
from anymail.inbound import AnymailInboundMessage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from tests import factories
from wagtail_support import access, automation, inbound, privacy, workflow
from wagtail_support.access import Actor
from wagtail_support.models import (
    Attachment,
    CcSuggestion,
    FormSubmission,
    InboundMail,
    Message,
    OutboundMail,
    PendingUpload,
    ReplyDraft,
    SatisfactionRating,
    Ticket,
    TicketFollower,
    Webhook,
)
from wagtail_support.storage import PrivateFileSystemStorage

WEBHOOK_EVENTS = [choice.value for choice in Webhook.Event]

pytestmark = pytest.mark.django_db

# The person erased: no account, known by a name and an address.
ZOE = "zoe.erasable@example.org"
ZOE_NAME = "Zoé Erasable"
# What she wrote, each a phrase found nowhere else.
WEB_DESCRIPTION = "The boiler in flat 4B at 12 Rue des Lilas makes a whistling noise."
WEB_REPLY = "Here is the photo of the whistling boiler you asked for."
MAIL_DESCRIPTION = "My printer prints only purple pages since Tuesday."
MAIL_REPLY = "Still purple this morning, even after the new cartridge."
BENEFICIARY_REPLY = "Thanks Otto for asking on my behalf, the badge reader is still dead."
RATING_COMMENT = "Quick and kind, you can call me on my mobile any time."
FILE_TEXT = b"Tenancy agreement of Zoe Erasable, zoe.erasable@example.org, flat 4B.\n"
NOTE = "Zoé Erasable phoned: her landlord is zoe.erasable@example.org's brother, be gentle."
# What must be found nowhere after her erasure (the JSON of SQLite writes "é" as "\u00e9").
NEEDLES = [
    ZOE, "Erasable", "Zoé", "Zo\\u00e9", WEB_DESCRIPTION, WEB_REPLY, MAIL_DESCRIPTION, MAIL_REPLY,
    BENEFICIARY_REPLY, RATING_COMMENT, "Tenancy agreement", "whistling boiler", "purple pages",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path, monkeypatch):
    """Attachments and media of this test only, so that the files of other tests (which a rollback leaves
    behind) cannot hide or fake a find. The file fields took their storage when the models loaded."""
    storage = PrivateFileSystemStorage(location=str(tmp_path / "attachments"), base_url=None)
    for model in (Attachment, PendingUpload):
        monkeypatch.setattr(model._meta.get_field("file"), "storage", storage)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = "helpdesk"
    settings.WAGTAILSUPPORT_INBOUND_ADDRESS = "support@reply.example.com"
    settings.WAGTAILSUPPORT_INBOUND_UNKNOWN_SENDER = "quarantine"
    return storage


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def upload(name="lease.txt", content=FILE_TEXT):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def link_actor(ticket, address):
    return Actor(link_token=access.make_link_token(ticket, address))


def receive(message, on_commit):
    with on_commit():
        record = inbound.process(message)
    record.refresh_from_db()
    return record


class World:
    """The rich dataset: Zoé's tickets and everyone around her."""


@pytest.fixture
def world(agent, team, category, requester, other_requester, resolution_code, on_commit):
    w = World()
    w.agent = agent
    # A webhook that hears everything: its deliveries keep the payloads (names, addresses, texts) they sent.
    Webhook.objects.create(name="CRM", url="http://127.0.0.1:9/hook", events=WEBHOOK_EVENTS, include_internal=True)
    # 1. A web ticket of Zoé's with a file, answered, noted, drafted, resolved, rated, with a form's record.
    with on_commit():
        w.web = workflow.open_ticket(
            subject="Whistling boiler", description=WEB_DESCRIPTION, requester_name=ZOE_NAME,
            requester_email=ZOE, category=category, attachments=[upload()],
        )  # fmt: skip
        workflow.reply(w.web, by=agent, body="Hello Zoé, could you send a photo of the boiler?")
        workflow.reply(w.web, by=agent, body=NOTE, internal=True)
        workflow.reply(w.web, by=link_actor(w.web, ZOE), body=WEB_REPLY, attachments=[upload("photo.txt")])
        workflow.add_follower(w.web, agent, "fred@example.net", "Fred Follower")
        workflow.resolve(w.web, code=resolution_code, solution="Zoé Erasable's boiler was bled.", by=agent)
    w.web.refresh_from_db()
    SatisfactionRating.objects.create(
        ticket=w.web, closed_at=w.web.closed_at, rating="good", comment=RATING_COMMENT, rated_by_email=ZOE
    )
    ReplyDraft.objects.create(ticket=w.web, user=agent, body="Dear Zoé Erasable, one more thing")
    FormSubmission.objects.create(token="t" * 40, kind="ticket", digest="d" * 64, ticket=w.web)
    # 2. A ticket she opened by mail, and her reply by mail to our confirmation.
    w.mail_record = receive(
        AnymailInboundMessage.construct(
            from_email=f"{ZOE_NAME} <{ZOE}>", to="support@reply.example.com", subject="Purple printer",
            text=MAIL_DESCRIPTION,
        ),
        on_commit,
    )  # fmt: skip
    w.mail = w.mail_record.ticket
    confirmation = OutboundMail.objects.filter(ticket=w.mail, recipient=ZOE).first()
    reply = AnymailInboundMessage.construct(
        from_email=f"{ZOE_NAME} <{ZOE}>", to="support@reply.example.com", subject=f"Re: [{w.mail.reference}] Purple printer",
        text=MAIL_REPLY, headers={"In-Reply-To": confirmation.internet_message_id},
    )  # fmt: skip
    w.mail_reply_record = receive(reply, on_commit)
    # 3. Otto's ticket for Zoé (the beneficiary), where she answered through her link.
    with on_commit():
        w.shared = workflow.open_ticket(
            subject="Badge reader for my colleague", description="The badge reader of my colleague is dead.",
            requester=other_requester, beneficiary_name=ZOE_NAME, beneficiary_email=ZOE, category=category,
        )  # fmt: skip
        workflow.reply(w.shared, by=link_actor(w.shared, ZOE), body=BENEFICIARY_REPLY)
        workflow.reply(w.shared, by=agent, body="Internal: Otto's own badge works fine.", internal=True)
    # 4. Ann's ticket, where Zoé is in copy (and proposed in copy), and a stranger's mail with her in copy.
    with on_commit():
        w.followed = workflow.open_ticket(
            subject="Invoice missing", description="I did not receive my invoice for March.",
            requester_name="Ann Onymous", requester_email="ann@example.com", category=category,
        )  # fmt: skip
        workflow.add_follower(w.followed, agent, ZOE, ZOE_NAME)
        workflow.reply(w.followed, by=agent, body="Your invoice is attached.", attachments=[upload("invoice.txt", b"Invoice 42 for Ann\n")])
    CcSuggestion.objects.create(ticket=w.followed, email=ZOE, name=ZOE_NAME)
    w.stranger = receive(
        AnymailInboundMessage.construct(
            from_email="mallory@evil.example", to="support@reply.example.com", cc=f"{ZOE_NAME} <{ZOE}>",
            subject=f"Re: [{w.followed.reference}] Invoice missing", text="I want Ann's invoice too.",
        ),
        on_commit,
    )  # fmt: skip
    # 5. A robot's mail that reached no ticket, with her in copy (kept, raw text and all).
    w.robot = receive(
        AnymailInboundMessage.construct(
            from_email="noreply@shop.example", to="support@reply.example.com", cc=f"{ZOE_NAME} <{ZOE}>",
            subject="Out of office", text=f"I am away. Your mail to {ZOE} will be read later.",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        on_commit,
    )  # fmt: skip
    assert w.robot.ticket_id is None and ZOE in w.robot.raw
    for ticket in (w.web, w.mail, w.shared, w.followed):
        ticket.refresh_from_db()
    return w


# Reading everything -------------------------------------------------------------------------------------------


def database_text():
    """Every row of every table, each value as text: (table, text)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                values = [
                    bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, memoryview)) else str(value)
                    for value in row
                ]
                found.append((table, " | ".join(values)))
    return found


def files_text(*roots):
    found = []
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    found.append((path, name + " " + handle.read().decode("utf-8", "replace")))
    return found


def hits(texts, needles, allowed=()):
    """The (place, needle) of each needle found (any case) outside the ``allowed`` (place, text) pairs."""
    found = []
    for place, text in texts:
        lowered = text.lower()
        for needle in needles:
            if needle.lower() in lowered and not any(place == a_place and a_text in text for a_place, a_text in allowed):
                found.append((place, needle, text[:200]))
    return found


def figures():
    """What the reports read: per ticket, its numbers, dates, team, status; the ratings' values; the counts."""
    tickets = list(
        Ticket.objects.order_by("pk").values(
            "pk", "number", "status", "kind", "priority", "team_id", "category_id", "created_at", "closed_at",
            "close_reason", "first_response_at", "first_response_seconds", "resolution_seconds", "satisfaction",
            "resolution_code_id", "channel", "assignee_id",
        )
    )  # fmt: skip
    ratings = list(SatisfactionRating.objects.order_by("pk").values("pk", "ticket_id", "rating", "closed_at"))
    messages = list(Message.objects.order_by("pk").values("pk", "ticket_id", "visibility", "author_role", "created_at"))
    return tickets, ratings, messages


# What we hold -------------------------------------------------------------------------------------------------


def test_find_names_every_ticket_and_record_of_the_person(world):
    held = privacy.find(email=ZOE.upper())

    assert held.tickets[world.web.pk] >= {"requester", "author", "rater"}
    assert held.tickets[world.mail.pk] >= {"requester", "author"}
    assert held.tickets[world.shared.pk] >= {"beneficiary", "author"}
    assert held.tickets[world.followed.pk] >= {"follower", "cc"}
    assert held.outbound.count() == OutboundMail.objects.filter(recipient=ZOE).count() > 0
    assert held.inbound.count() == 2
    assert dict(held.counts())["Tickets as requester"] == 2
    assert privacy.find(email="nobody@example.org").is_empty


# Erasure ------------------------------------------------------------------------------------------------------


def test_after_the_erasure_nothing_of_her_is_left_in_any_table_or_file(world, settings, on_commit, _private_storage):
    before_db = hits(database_text(), NEEDLES)
    assert before_db, "the dataset must hold her data before (else the search proves nothing)"
    assert hits(files_text(_private_storage.location), [b.decode() for b in [b"Tenancy agreement"]])
    ann_before = list(Message.objects.filter(ticket=world.followed).values_list("body", flat=True))
    otto_ticket = Ticket.objects.values("requester_user_id", "requester_name", "requester_email", "subject", "description").get(pk=world.shared.pk)
    tickets_before, ratings_before, messages_before = figures()

    with on_commit():
        summary = privacy.erase(email=ZOE, actor=factories.make_supervisor("sue", first_name="Sue"))

    leftovers = hits(database_text(), NEEDLES) + hits(files_text(_private_storage.location, settings.MEDIA_ROOT), NEEDLES)
    assert not leftovers, leftovers
    assert summary.tickets == 4 and summary.attachments == 2 and summary.inbound_mails == 2
    # The figures the reports read did not move; the messages are emptied, not deleted.
    assert figures() == (tickets_before, ratings_before, messages_before)
    assert SatisfactionRating.objects.get(ticket=world.web).rating == "good"
    # Otto's ticket keeps Otto; Ann's conversation is hers still; Fred still follows.
    shared = Ticket.objects.get(pk=world.shared.pk)
    assert (shared.requester_user_id, shared.requester_name, shared.requester_email, shared.subject, shared.description) == tuple(otto_ticket.values())
    assert (shared.beneficiary_name, shared.beneficiary_email) == ("Erased beneficiary", "")
    assert list(Message.objects.filter(ticket=world.followed).values_list("body", flat=True)) == ann_before
    assert TicketFollower.objects.filter(email="fred@example.net").exists()
    assert Attachment.objects.filter(filename="invoice.txt").exists()
    # Her tickets say what happened, and the history names her by a hash only.
    web = Ticket.objects.get(pk=world.web.pk)
    assert (web.requester_name, web.requester_email, web.subject) == ("Erased requester", "", f"Erased ticket {web.reference}")
    assert web.personal_data_erased_at is not None
    entry = ModelLogEntry.objects.filter(action="wagtail_support.ticket.personal_data_erased", object_id=str(web.pk)).get()
    assert entry.data["person"] == summary.person_hash and ZOE not in json.dumps(entry.data)
    # The agent's note is kept, without her.
    note = Message.objects.get(ticket=web, visibility="internal")
    assert note.body == "[erased] phoned: her landlord is [erased]'s brother, be gentle."
    # Her link opens nothing now; a second erasure finds nothing.
    token = access.make_link_token(web, ZOE)
    assert access.ticket_role(None, web, token) is None
    assert privacy.find(email=ZOE).is_empty
    assert privacy.erase(email=ZOE).tickets == 0


def test_erasing_an_account_detaches_its_tickets_and_keeps_the_account(requester, category, agent, on_commit):
    with on_commit():
        ticket = factories.open_ticket(requester, subject="Printer of Rita", description="Rita's secret printer trouble.", category=category)
        workflow.reply(ticket, by=requester, body="Rita again: still broken.")
        workflow.reply(ticket, by=agent, body="Hello Rita Requester, we are on it.")
    summary = privacy.erase(user=requester.username)
    ticket.refresh_from_db()
    assert summary.tickets == 1
    assert ticket.requester_user_id is None and ticket.requester_email == ""
    requester.refresh_from_db()
    assert requester.is_active and requester.email == "requester@example.com"  # the site's account, kept
    # Nothing names her outside her own account's row.
    account = ("auth_user", f"| {requester.username} |")
    allowed = [(table, text) for table, text in database_text() if table == "auth_user" and f"{requester.pk} |" in text[:12]]
    leftovers = [hit for hit in hits(database_text(), ["requester@example.com", "Rita", "secret printer"]) if (hit[0], hit[2]) not in {(t, x[:200]) for t, x in allowed}]
    assert not leftovers, (leftovers, account)
    assert not ModelLogEntry.objects.filter(object_id=str(ticket.pk), user_id=requester.pk).exists()


# Export -------------------------------------------------------------------------------------------------------


def read_export(archive_file):
    with zipfile.ZipFile(archive_file) as archive:
        data = json.loads(archive.read("data.json"))
        files = {name: archive.read(name) for name in archive.namelist() if name != "data.json"}
    return data, files


def test_the_export_holds_her_tickets_messages_files_mails_and_ratings_and_no_internal_note(world):
    data, files = read_export(privacy.export(email=ZOE))

    references = {ticket["reference"]: ticket for ticket in data["tickets"]}
    assert set(references) == {world.web.reference, world.mail.reference, world.shared.reference, world.followed.reference}
    text = json.dumps(data, ensure_ascii=False)
    for phrase in (WEB_DESCRIPTION, WEB_REPLY, MAIL_DESCRIPTION, MAIL_REPLY, BENEFICIARY_REPLY, RATING_COMMENT):
        assert phrase in text
    # Internal notes, on her tickets or others', never.
    for note in Message.objects.internal().values_list("body", flat=True):
        assert note not in text
    assert "Otto's own badge" not in text
    # Her files, and the one she received on Ann's ticket, under attachments/<number>/.
    assert {name.split("/")[1] for name in files} == {str(world.web.number), str(world.followed.number)}
    assert FILE_TEXT in files.values()
    assert {entry["to"] for entry in data["mail_sent_to_you"]} == {ZOE}
    assert any(mail["text"] and MAIL_DESCRIPTION in mail["text"] for mail in data["mail_received_from_you"])
    assert data["ratings"][0]["comment"] == RATING_COMMENT
    # Other people's addresses are not hers to have.
    assert "ann@example.com" not in text and "other_requester@example.com" not in text and "mallory" not in text
    assert ModelLogEntry.objects.filter(action="wagtail_support.ticket.personal_data_exported").count() == 4


def test_a_beneficiary_gets_only_what_they_may_see_of_someone_elses_ticket(world, other_requester):
    # Otto (requester of the shared ticket) asks for his data: Zoé's other tickets are not his.
    data, files = read_export(privacy.export(user=other_requester))

    assert [ticket["reference"] for ticket in data["tickets"]] == [world.shared.reference]
    text = json.dumps(data, ensure_ascii=False)
    assert "Otto's own badge" not in text and WEB_DESCRIPTION not in text and ZOE not in text.replace(BENEFICIARY_REPLY, "")
    assert not files


def test_a_stranger_whose_address_is_written_on_a_ticket_gets_nothing_of_it(world, category):
    factories.open_ticket(
        requester_name="Ann Onymous", requester_email="ann@example.com", category=category,
        subject="Spam", description="Please block eve@example.net, she keeps writing to me.",
    )  # fmt: skip
    held = privacy.find(email="eve@example.net")
    data, _files = read_export(privacy.export(email="eve@example.net"))
    assert list(held.tickets.values()) == [{"mentioned"}]
    assert data["tickets"] == []
    privacy.erase(email="eve@example.net")
    assert not Ticket.objects.filter(description__icontains="eve@example.net").exists()


# Retention ----------------------------------------------------------------------------------------------------


def closed_ticket(category, agent, resolution_code, on_commit, *, days_ago, name, email, subject):
    with on_commit():
        ticket = factories.open_ticket(
            requester_name=name, requester_email=email, category=category, subject=subject,
            description=f"{name} describes {subject}.", attachments=[upload(content=f"{name}'s file\n".encode())],
        )  # fmt: skip
        workflow.reply(ticket, by=agent, body=f"Hello {name}, done.")
        workflow.resolve(ticket, code=resolution_code, solution=f"Fixed for {name}.", by=agent)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timezone.timedelta(days=days_ago))
    ticket.refresh_from_db()
    return ticket


def test_support_tick_erases_the_closed_tickets_past_the_retention_and_nothing_else(
    settings, category, agent, resolution_code, on_commit, _private_storage
):
    settings.WAGTAILSUPPORT_RETENTION_DAYS = 365
    old = closed_ticket(category, agent, resolution_code, on_commit, days_ago=400, name="Olga Oldtimer", email="olga@example.org", subject="Old leak")
    recent = closed_ticket(category, agent, resolution_code, on_commit, days_ago=30, name="Rick Recent", email="rick@example.org", subject="New leak")
    with on_commit():
        still_open = factories.open_ticket(requester_name="Opal Open", requester_email="opal@example.org", category=category, subject="Open leak", description="Opal's leak")
    # Olga is also the requester of the recent ticket: only the old ticket goes.
    Ticket.objects.filter(pk=recent.pk).update(beneficiary_name="Olga Oldtimer", beneficiary_email="olga@example.org")
    Ticket.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timezone.timedelta(days=900))
    before = figures()

    dry = automation.tick(dry_run=True)
    assert dry.planned == [(old.reference, "retention")] and Ticket.objects.get(pk=old.pk).personal_data_erased_at is None
    with on_commit():
        result = automation.tick()
    again = automation.tick()

    assert result.done["retention"] == 1 and again.done["retention"] == 0
    old.refresh_from_db()
    assert old.personal_data_erased_at is not None and old.requester_email == "" and old.subject == f"Erased ticket {old.reference}"
    assert set(Message.objects.filter(ticket=old).values_list("body", flat=True)) == {"[erased]"}
    assert not Attachment.objects.filter(message__ticket=old).exists()
    assert not OutboundMail.objects.filter(ticket=old, audience="requester").exists()
    texts = [(t, x) for t, x in database_text()]
    leftovers = [h for h in hits(texts, ["olga@example.org", "Oldtimer", "Old leak"]) if h[0] != "wagtail_support_ticket" or str(recent.number) not in h[2]]
    assert not leftovers, leftovers
    assert not hits(files_text(_private_storage.location), ["Olga"])
    # The recent ticket (Olga as its beneficiary too) and the open one are untouched; the figures stay.
    recent.refresh_from_db()
    assert (recent.requester_email, recent.beneficiary_email, recent.personal_data_erased_at) == ("rick@example.org", "olga@example.org", None)
    assert Ticket.objects.get(pk=still_open.pk).requester_email == "opal@example.org"
    assert hits(files_text(_private_storage.location), ["Rick"])
    assert figures() == before


def test_without_a_retention_setting_support_tick_erases_nothing(settings, category, agent, resolution_code, on_commit):
    settings.WAGTAILSUPPORT_RETENTION_DAYS = None
    old = closed_ticket(category, agent, resolution_code, on_commit, days_ago=4000, name="Olga Oldtimer", email="olga@example.org", subject="Old leak")
    assert automation.tick().done["retention"] == 0
    old.refresh_from_db()
    assert old.requester_email == "olga@example.org" and old.personal_data_erased_at is None


def test_a_ticket_erased_by_one_run_is_not_erased_again_by_another(settings, category, agent, resolution_code, on_commit):
    settings.WAGTAILSUPPORT_RETENTION_DAYS = 10
    old = closed_ticket(category, agent, resolution_code, on_commit, days_ago=40, name="Olga Oldtimer", email="olga@example.org", subject="Old leak")
    assert privacy.erase_ticket(old.pk) is True
    assert privacy.erase_ticket(old.pk) is False
    assert ModelLogEntry.objects.filter(object_id=str(old.pk), action="wagtail_support.ticket.personal_data_erased").count() == 1


def test_support_tick_prints_the_retention(settings, category, agent, resolution_code, on_commit):
    settings.WAGTAILSUPPORT_RETENTION_DAYS = 10
    closed_ticket(category, agent, resolution_code, on_commit, days_ago=40, name="Olga Oldtimer", email="olga@example.org", subject="Old leak")
    out = io.StringIO()
    call_command("support_tick", stdout=out)
    assert "retention: 1 done" in out.getvalue()


# The admin page -------------------------------------------------------------------------------------------------


def page(client, user, name="personal_data", **query):
    client.force_login(user)
    return client.get(reverse(f"wagtail_support_admin:{name}"), query)


def refused(response):
    """Wagtail's admin refuses with a redirect (home with an error, or the login page), a 403 for a script."""
    location = response.get("Location", "")
    return response.status_code in (302, 403) and (location in ("", "/admin/") or location.startswith("/admin/login/")) and (
        response.get("Content-Type") != "application/zip"
    )


def test_a_plain_agent_and_a_requester_are_refused_and_nothing_is_exported_or_erased(client, world, requester):
    urls = [reverse(f"wagtail_support_admin:{name}") for name in ("personal_data", "personal_data_export", "personal_data_erase")]
    for user in (world.agent, requester):
        client.force_login(user)
        for url in urls:
            assert refused(client.get(url, {"q": ZOE}))
            assert refused(client.post(url, {"q": ZOE, "confirm": ZOE}))
        assert client.get(urls[0], {"q": ZOE}, headers={"x-requested-with": "XMLHttpRequest"}).status_code in (302, 403)
    client.force_login(world.agent)
    response = client.get(urls[0], {"q": ZOE}, follow=True)
    assert world.web.reference not in response.content.decode() or "Sorry" in response.content.decode()
    assert Ticket.objects.get(pk=world.web.pk).requester_email == ZOE
    assert not ModelLogEntry.objects.filter(action__startswith="wagtail_support.ticket.personal_data").exists()


def test_a_supervisor_finds_her_downloads_the_export_and_erases_after_confirming(client, world, supervisor):
    response = page(client, supervisor, q=ZOE)
    assert response.status_code == 200
    html = response.content.decode()
    assert world.web.reference in html and "Download export (zip)" in html and "Personal data" in html

    response = client.post(reverse("wagtail_support_admin:personal_data_export"), {"q": ZOE})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    data, _files = read_export(io.BytesIO(b"".join(response.streaming_content)))
    assert len(data["tickets"]) == 4

    # The confirmation page erases nothing; a POST without the typed address, or with another, neither.
    assert page(client, supervisor, "personal_data_erase", q=ZOE).status_code == 200
    for confirm in ("", "someone@example.org"):
        response = client.post(reverse("wagtail_support_admin:personal_data_erase"), {"q": ZOE, "confirm": confirm})
        assert response.status_code == 400
    assert Ticket.objects.get(pk=world.web.pk).requester_email == ZOE
    assert OutboundMail.objects.filter(recipient=ZOE).exists()

    response = client.post(reverse("wagtail_support_admin:personal_data_erase"), {"q": ZOE, "confirm": ZOE.upper()})
    assert response.status_code == 200
    assert Ticket.objects.get(pk=world.web.pk).requester_email == ""
    assert not OutboundMail.objects.filter(recipient=ZOE).exists()
    assert "holds nothing" in page(client, supervisor, q=ZOE).content.decode()


def test_the_page_refuses_a_malformed_address(client, supervisor):
    response = page(client, supervisor, q="not an @ address")
    assert response.status_code == 400 and "Enter a valid email address" in response.content.decode()


def test_the_menu_shows_personal_data_to_supervisors_only(client, supervisor, agent, team):
    from wagtail_support.admin.menu import support_menu

    client.force_login(supervisor)
    request = client.get(reverse("wagtail_support_admin:inbox")).wsgi_request
    assert "Personal data" in [item.label for item in support_menu.menu_items_for_request(request)]
    client.force_login(agent)
    request = client.get(reverse("wagtail_support_admin:inbox")).wsgi_request
    assert "Personal data" not in [item.label for item in support_menu.menu_items_for_request(request)]


# The command ----------------------------------------------------------------------------------------------------


def test_the_command_shows_exports_and_erases(world, tmp_path, monkeypatch):
    out = io.StringIO()
    call_command("support_personal_data", "show", "--email", ZOE, stdout=out)
    assert "Tickets as requester: 2" in out.getvalue()
    target = tmp_path / "zoe.zip"
    call_command("support_personal_data", "export", "--email", ZOE, "--output", str(target), stdout=io.StringIO())
    data, _files = read_export(target)
    assert len(data["tickets"]) == 4
    for answer in ("", "no\n"):
        monkeypatch.setattr("sys.stdin", io.StringIO(answer))
        with pytest.raises(CommandError, match="Nothing was erased"):
            call_command("support_personal_data", "erase", "--email", ZOE, stdout=io.StringIO())
    assert Ticket.objects.get(pk=world.web.pk).requester_email == ZOE
    call_command("support_personal_data", "erase", "--email", ZOE, "--yes", stdout=out)
    assert Ticket.objects.get(pk=world.web.pk).requester_email == ""
    assert privacy.find(email=ZOE).is_empty


def test_the_supervisors_group_has_the_permission(supervisor, agent):
    assert access.can_manage_personal_data(supervisor)
    assert not access.can_manage_personal_data(agent)


def test_the_retention_erases_in_batches_up_to_its_limit_and_goes_on_at_the_next_run(settings, category, agent, resolution_code, on_commit):
    settings.WAGTAILSUPPORT_RETENTION_DAYS = 10
    old = [
        closed_ticket(category, agent, resolution_code, on_commit, days_ago=40 + i, name=f"Olga Old{i}", email=f"olga{i}@example.org", subject=f"Leak {i}")
        for i in range(5)
    ]
    first = privacy.erase_expired(batch_size=2, limit=3)
    assert first.erased == 3 and Ticket.objects.filter(personal_data_erased_at__isnull=True, pk__in=[t.pk for t in old]).count() == 2
    # The oldest closings went first.
    assert set(Ticket.objects.filter(personal_data_erased_at__isnull=False).values_list("pk", flat=True)) == {t.pk for t in old[2:]}
    second = privacy.erase_expired(batch_size=2, limit=3)
    assert second.erased == 2 and not privacy.expired_tickets().exists()


def test_erasing_an_agent_who_was_also_a_requester_keeps_their_work_as_an_agent(agent, anon_ticket, category, on_commit):
    with on_commit():
        own = factories.open_ticket(agent, subject="My own laptop", description="Alice's laptop is slow.", category=category)
        answer = workflow.reply(anon_ticket, by=agent, body="Hello Ann, your invoice is on its way.")
    privacy.erase(user=agent)
    answer.refresh_from_db()
    own.refresh_from_db()
    assert answer.body == "Hello Ann, your invoice is on its way." and answer.author_user_id == agent.pk
    assert own.requester_user_id is None and own.description == "[erased]"
    assert not ModelLogEntry.objects.filter(object_id=str(anon_ticket.pk), action__endswith="personal_data_erased").exists()
