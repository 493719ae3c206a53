"""Outgoing mail, end to end: every mail, its record, its thread, its language and its faults.

Each test drives the real workflow, pages or admin, lets the transaction "commit"
(``django_capture_on_commit_callbacks(execute=True)``), and reads what Anymail's test backend got
(``django.core.mail.outbox`` and each message's ``anymail_test_params``) next to the ``OutboundMail``
record the mail left behind. Tracking events come in through Anymail's real webhooks (Postmark with
HTTP basic auth, Mailgun signed), so the whole path from the ESP's POST to the record is exercised.
"""

import base64
import hashlib
import hmac
import io
import json
import re
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.users.models import UserProfile

from tests import factories
from tests.html_helpers import soup
from wagtail_support import access, workflow
from wagtail_support.models import InboundMail, Message, NotificationSettings, OutboundMail, Ticket
from wagtail_support.notifications import delivery, outbox
from wagtail_support.notifications import recipients as mail_recipients

pytestmark = pytest.mark.django_db

NOTE = "Internal: the customer is on the blocklist, do not tell them."
OTHER_NOTE = "Internal too: refund refused by finance."
SOLUTION = "We reset your password; the new one is in your other mailbox."
ESP_DOWN = "AnymailAPIError: The ESP is unavailable (simulated by tests.failing_backend)"
ADMIN_BASE = "https://admin.example.com"
FROM = "Support <support@example.com>"
TEST_BACKEND = "anymail.backends.test.EmailBackend"
BASIC_AUTH = "Basic " + base64.b64encode(b"tests:webhook-secret").decode()
MAILGUN_KEY = b"tests-mailgun-signing-key"
TOKEN_LINK = re.compile(r"https?://[^\s\"<>]+\?t=[^\s\"<>]+")


# Fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the notifications a block asks for, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _admin_base_url(settings):
    settings.WAGTAILADMIN_BASE_URL = ADMIN_BASE


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.force_login(agent)
    return client


def speaks_french(user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "fr"
    profile.save()


# Helpers ----------------------------------------------------------------------------------------------------


def to(address):
    return [m for m in mail.outbox if m.to == [address]]


def only(address):
    mails = to(address)
    assert len(mails) == 1, f"{address} got {len(mails)} mails: {[m.subject for m in mails]}"
    return mails[0]


def recipients(mails=None):
    return sorted(m.to[0] for m in (mail.outbox if mails is None else mails))


def html_of(m):
    (html,) = [content for content, mimetype in m.alternatives if mimetype == "text/html"]
    return html


def everything_in(m):
    params = m.anymail_test_params
    return "\n".join([m.subject, m.body, html_of(m), params.get("text_body", ""), params.get("html_body", "")])


def mid(m):
    return m.extra_headers["Message-ID"]


def workspace_link(ticket):
    return ADMIN_BASE + reverse("wagtail_support_admin:ticket", args=[ticket.pk])


def ticket_path(page, ticket):
    return page.url + page.reverse_subpage("ticket", kwargs={"number": ticket.number})


def signed_link(m):
    """The requester's signed link in the text body, also present (as a link) in the HTML body."""
    links = set(TOKEN_LINK.findall(m.body))
    assert len(links) == 1, m.body
    (link,) = links
    assert f'href="{link}"' in html_of(m)
    return link


def token_of(link):
    return urlsplit(link).query.removeprefix("t=")


def check_sent(m, *, event, ticket, audience, message=None, language="en"):
    """The checks every mail passes: one recipient, headers, tags, metadata, and its "sent" record."""
    (address,) = m.to
    record = OutboundMail.objects.get(ticket=ticket, event=event, recipient=address)
    params = m.anymail_test_params
    assert m.from_email == FROM
    assert not m.cc and not m.bcc
    assert mid(m) == record.internet_message_id
    assert params["extra_headers"]["Message-ID"] == record.internet_message_id
    assert m.extra_headers["Auto-Submitted"] == "auto-generated"
    assert m.extra_headers["X-Auto-Response-Suppress"] == "All"
    if ticket is not None:
        assert re.fullmatch(rf"<[^<>@\s]*ws{ticket.number}[^<>@\s]*@reply\.example\.com>", record.internet_message_id)
    assert params["tags"] == ["wagtail-support", f"support-{event}"]
    assert params["metadata"] == {
        "support_mail": str(record.pk),
        "ticket": ticket.reference if ticket is not None else "",
        "message_id": record.internet_message_id,
        "support_message": str(message.pk) if message is not None else "",
        "event": event,
    }
    returned = m.anymail_status.recipients[address]
    assert returned.status == "sent"
    assert record.status == OutboundMail.Status.SENT
    assert record.error == ""
    assert record.esp_message_id == str(returned.message_id)
    assert record.esp_name == "Test"
    assert record.attempts == 1
    assert record.subject == m.subject
    assert record.audience == audience
    assert record.language == language
    assert record.message_id == (message.pk if message is not None else None)
    assert record.sent_at is not None
    assert f'<html lang="{language}"' in html_of(m)
    return record


def check_requester_link(m, page, ticket, email):
    """The requester's mail links to the ticket page with a signed link for ``email``."""
    link = signed_link(m)
    assert urlsplit(link).path == ticket_path(page, ticket)
    assert access.read_link_token(token_of(link)) == (ticket.pk, email)
    return link


def check_agent_link(m, ticket):
    assert f"{workspace_link(ticket)}\n" in m.body
    assert f'href="{workspace_link(ticket)}"' in html_of(m)
    assert "?t=" not in m.body and "?t=" not in html_of(m)


def in_both(m, *texts):
    for value in texts:
        assert value in m.body, f"{value!r} not in the text body:\n{m.body}"
        assert value in html_of(m), f"{value!r} not in the HTML body"


# 1. Every mail: the requester side ---------------------------------------------------------------------------


def test_confirmation_to_a_requester_with_an_account(requester, category, agent, support_page, on_commit):
    with on_commit():
        ticket = factories.open_ticket(
            requester, category=category, kind=Ticket.Kind.BUG, priority=Ticket.Priority.HIGH
        )

    assert recipients() == sorted([requester.email, agent.email])
    m = only(requester.email)
    assert m.subject == f"[{ticket.reference}] We received your request: Cannot log in"
    check_sent(m, event="opened", ticket=ticket, audience="requester", message=ticket.messages.get())
    in_both(
        m,
        "Hello Rita Requester,",
        f"We received your request and gave it the number {ticket.reference}.",
        "The login page says my password is wrong.",
        f"Your ticket number is {ticket.reference}.",
    )
    assert "Type: Bug\nPriority: High\n" in m.body
    check_requester_link(m, support_page, ticket, requester.email)


def test_confirmation_to_an_anonymous_requester_carries_a_link_that_opens_the_ticket(
    client, support_page, agent, on_commit, empty_cache
):
    with on_commit():
        response = client.post(support_page.url, factories.ticket_form_data())

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert recipients() == sorted(["ann@example.com", agent.email])
    m = only("ann@example.com")
    assert m.subject == f"[{ticket.reference}] We received your request: The export button does nothing"
    check_sent(m, event="opened", ticket=ticket, audience="requester", message=ticket.messages.get())
    in_both(m, "Hello Ann Onymous,", "I click Export and nothing happens.")
    link = check_requester_link(m, support_page, ticket, "ann@example.com")

    # Another browser, without the session of the submission: the link alone opens the ticket.
    other_browser = Client()
    parts = urlsplit(link)
    opened = other_browser.get(f"{parts.path}?{parts.query}")
    assert opened.status_code == 302
    assert opened["Location"] == ticket_path(support_page, ticket)
    page = other_browser.get(opened["Location"])
    assert page.status_code == 200
    assert "The export button does nothing" in page.content.decode()
    # Without the link, the same address only asks to log in.
    stranger = Client().get(ticket_path(support_page, ticket))
    assert stranger.status_code == 302
    assert stranger["Location"] == f"/accounts/login/?next={ticket_path(support_page, ticket)}"


def test_agent_reply_is_one_mail_to_the_requester_and_one_to_the_beneficiary(
    shared_ticket, agent, colleague, requester, other_requester, support_page, on_commit
):
    with on_commit():
        reply = workflow.reply(shared_ticket, by=agent, body="Please clear your cookies and try again.")

    assert recipients() == sorted([requester.email, other_requester.email])
    to_requester, to_beneficiary = only(requester.email), only(other_requester.email)
    assert mid(to_requester) != mid(to_beneficiary)
    for m, greeting, address in (
        (to_requester, "Hello Rita Requester,", requester.email),
        (to_beneficiary, "Hello Otto Other,", other_requester.email),
    ):
        assert m.subject == f"[{shared_ticket.reference}] New reply: Cannot log in"
        check_sent(m, event="agent_reply", ticket=shared_ticket, audience="requester", message=reply)
        in_both(
            m,
            greeting,
            f"Alice Agent of the support team answered your ticket {shared_ticket.reference}:",
            "Please clear your cookies and try again.",
        )
        # Each one's own link: the beneficiary does not get the requester's.
        check_requester_link(m, support_page, shared_ticket, address)
    assert "Rita" not in to_beneficiary.body
    assert "waiting for your answer" not in to_requester.body


def test_pending_tells_the_requester(ticket, agent, requester, support_page, on_commit):
    with on_commit():
        workflow.set_pending(ticket, by=agent)

    assert recipients() == [requester.email]
    m = only(requester.email)
    assert m.subject == f"[{ticket.reference}] Awaiting your reply: Cannot log in"
    check_sent(m, event="pending", ticket=ticket, audience="requester")
    in_both(
        m,
        "Hello Rita Requester,",
        f"Your ticket {ticket.reference} is waiting for your answer or for more information from you.",
    )
    check_requester_link(m, support_page, ticket, requester.email)


def test_resolution_mails_the_code_and_the_solution(ticket, agent, requester, resolution_code, support_page, on_commit):
    with on_commit():
        workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    assert recipients() == [requester.email]
    m = only(requester.email)
    assert m.subject == f"[{ticket.reference}] Resolved: Cannot log in"
    check_sent(m, event="resolved", ticket=ticket, audience="requester")
    in_both(m, f"Your ticket {ticket.reference} is resolved.", SOLUTION)
    assert "Resolution code: Fixed\n" in m.body
    assert re.search(r"Resolution code:</strong>\s*Fixed</p>", html_of(m)), html_of(m)
    check_requester_link(m, support_page, ticket, requester.email)


def test_abandon_tells_the_requester(ticket, agent, requester, support_page, on_commit):
    with on_commit():
        workflow.abandon(ticket, by=agent)

    assert recipients() == [requester.email]
    m = only(requester.email)
    assert m.subject == f"[{ticket.reference}] Closed with no follow-up: Cannot log in"
    check_sent(m, event="abandoned", ticket=ticket, audience="requester")
    in_both(
        m,
        f"Your ticket {ticket.reference} was closed with no follow-up.",
        "If you still need help, answer this mail and your ticket will be reopened.",
    )
    assert "Resolution code" not in m.body
    check_requester_link(m, support_page, ticket, requester.email)


def test_reopening_tells_the_requester(ticket, agent, requester, resolution_code, support_page, on_commit):
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    with on_commit():
        workflow.reopen(ticket, by=agent)

    assert recipients() == [requester.email]
    m = only(requester.email)
    assert m.subject == f"[{ticket.reference}] Reopened: Cannot log in"
    check_sent(m, event="reopened", ticket=ticket, audience="requester")
    in_both(m, f"Your ticket {ticket.reference} is open again. Our support team will come back to you.")
    check_requester_link(m, support_page, ticket, requester.email)


def test_find_my_tickets_mails_a_link_to_each_ticket_of_the_address(
    anon_ticket, ticket, category, support_page, on_commit
):
    second = factories.open_ticket(
        requester_name="Ann Onymous",
        requester_email="ann@example.com",
        subject="Second invoice missing",
        description="April too.",
        category=category,
    )

    assert delivery.deliver_ticket_links("Ann@Example.com", support_page.pk) == 1

    m = only("ann@example.com")
    assert m.subject == "The links to your support tickets"
    record = check_sent(m, event="links", ticket=None, audience="requester")
    assert record.ticket_id is None
    assert re.fullmatch(r"<[^<>@\s]+@reply\.example\.com>", record.internet_message_id)
    assert m.reply_to == [] and not m.anymail_test_params.get("reply_to")
    assert "In-Reply-To" not in m.extra_headers
    links = TOKEN_LINK.findall(m.body)
    assert len(links) == 2
    for link, listed in zip(links, [second, anon_ticket]):  # the most recent first
        assert urlsplit(link).path == ticket_path(support_page, listed)
        assert access.read_link_token(token_of(link)) == (listed.pk, "ann@example.com")
        assert f"{listed.reference} - {listed.subject} (Open)\n{link}\n" in m.body
        assert f'href="{link}"' in html_of(m)
    # The requester's ticket of another address is not listed.
    assert "Cannot log in" not in everything_in(m)
    # An address without tickets gets nothing, and nothing is recorded.
    assert delivery.deliver_ticket_links("nobody@example.com", support_page.pk) == 0
    assert len(mail.outbox) == 1
    assert OutboundMail.objects.filter(event=mail_recipients.LINKS_EVENT).count() == 1


# 1. Every mail: the agent side -------------------------------------------------------------------------------


def test_new_ticket_goes_to_every_member_and_the_team_address(
    requester, category, team, agent, colleague, outsider_agent, supervisor, on_commit
):
    team.contact_email = "helpdesk@example.com"
    team.save()

    with on_commit():
        ticket = factories.open_ticket(requester, category=category, priority=Ticket.Priority.URGENT)

    assert recipients() == sorted([requester.email, agent.email, colleague.email, "helpdesk@example.com"])
    first = ticket.messages.get()
    for address in (agent.email, colleague.email, "helpdesk@example.com"):
        m = only(address)
        assert m.subject == f"[{ticket.reference}] New ticket: Cannot log in"
        check_sent(m, event="opened", ticket=ticket, audience="agent", message=first)
        in_both(
            m,
            f"A new ticket {ticket.reference} arrived for team Helpdesk.",
            "The login page says my password is wrong.",
        )
        assert "Requester: Rita Requester <requester@example.com>\n" in m.body
        assert "Rita Requester &lt;requester@example.com&gt;" in html_of(m)
        assert "Priority: Urgent\n" in m.body
        check_agent_link(m, ticket)


def test_requester_reply_goes_to_the_assignee_only(ticket, agent, colleague, requester, on_commit):
    workflow.assign(ticket, to=colleague, by=agent)

    with on_commit():
        reply = workflow.reply(ticket, by=requester, body="I use Firefox 140 on Linux.")

    assert recipients() == [colleague.email]
    m = only(colleague.email)
    assert m.subject == f"[{ticket.reference}] The requester answered: Cannot log in"
    check_sent(m, event="requester_reply", ticket=ticket, audience="agent", message=reply)
    in_both(m, f"Rita Requester answered ticket {ticket.reference}:", "I use Firefox 140 on Linux.")
    check_agent_link(m, ticket)


def test_requester_reply_on_an_unassigned_ticket_goes_to_the_team(
    ticket, agent, colleague, outsider_agent, requester, on_commit
):
    with on_commit():
        reply = workflow.reply(ticket, by=requester, body="Any news?")

    assert recipients() == sorted([agent.email, colleague.email])
    for address in (agent.email, colleague.email):
        m = only(address)
        assert m.subject == f"[{ticket.reference}] The requester answered: Cannot log in"
        check_sent(m, event="requester_reply", ticket=ticket, audience="agent", message=reply)
        in_both(m, "Any news?")


def test_assignment_goes_to_the_new_assignee(ticket, agent, colleague, supervisor, on_commit):
    with on_commit():
        workflow.assign(ticket, to=colleague, by=supervisor)

    assert recipients() == [colleague.email]
    m = only(colleague.email)
    assert m.subject == f"[{ticket.reference}] Assigned to you: Cannot log in"
    check_sent(m, event="assigned", ticket=ticket, audience="agent")
    in_both(m, f"Ticket {ticket.reference} is now assigned to you.")
    assert "Requester: Rita Requester <requester@example.com>\n" in m.body
    check_agent_link(m, ticket)


# 2. Language ----------------------------------------------------------------------------------------------


def test_french_requester_gets_french_mails_and_the_english_agent_english_ones(
    requester, category, agent, resolution_code, on_commit
):
    speaks_french(requester)

    with on_commit():
        ticket = factories.open_ticket(requester, category=category)
    with on_commit():
        workflow.reply(ticket, by=agent, body="Bonjour, pouvez-vous réessayer ?")
    with on_commit():
        workflow.reply(ticket, by=requester, body="Toujours pareil.")
    with on_commit():
        workflow.resolve(ticket, code=resolution_code, solution="Mot de passe réinitialisé.", by=agent)

    assert [m.subject for m in to(requester.email)] == [
        f"[{ticket.reference}] Nous avons bien reçu votre demande : Cannot log in",
        f"[{ticket.reference}] Nouvelle réponse : Cannot log in",
        f"[{ticket.reference}] Résolu : Cannot log in",
    ]
    assert [m.subject for m in to(agent.email)] == [
        f"[{ticket.reference}] New ticket: Cannot log in",
        f"[{ticket.reference}] The requester answered: Cannot log in",
    ]
    for m in to(requester.email):
        assert '<html lang="fr"' in html_of(m)
        assert "Hello" not in m.body
    for m in to(agent.email):
        assert '<html lang="en"' in html_of(m)
    assert set(OutboundMail.objects.filter(recipient=requester.email).values_list("language", flat=True)) == {"fr"}
    assert set(OutboundMail.objects.filter(recipient=agent.email).values_list("language", flat=True)) == {"en"}


def test_anonymous_requester_gets_the_language_of_the_ticket(category, agent, on_commit):
    with on_commit():
        ticket = factories.open_ticket(
            requester_name="Anne Onyme", requester_email="anne@example.fr", category=category, language="fr"
        )

    m = only("anne@example.fr")
    assert m.subject == f"[{ticket.reference}] Nous avons bien reçu votre demande : Cannot log in"
    check_sent(m, event="opened", ticket=ticket, audience="requester", message=ticket.messages.get(), language="fr")
    assert only(agent.email).subject == f"[{ticket.reference}] New ticket: Cannot log in"


def test_french_agent_gets_french_mails_on_an_english_ticket(requester, category, agent, colleague, on_commit):
    speaks_french(agent)

    with on_commit():
        ticket = factories.open_ticket(requester, category=category)

    assert only(agent.email).subject == f"[{ticket.reference}] Nouveau ticket : Cannot log in"
    assert only(colleague.email).subject == f"[{ticket.reference}] New ticket: Cannot log in"
    assert only(requester.email).subject == f"[{ticket.reference}] We received your request: Cannot log in"


# 3. Threading and Reply-To ----------------------------------------------------------------------------------


def test_mails_to_one_person_about_one_ticket_form_one_thread(
    requester, other_requester, category, agent, resolution_code, on_commit
):
    with on_commit():
        ticket = factories.open_ticket(requester, beneficiary=other_requester, category=category)
    with on_commit():
        workflow.reply(ticket, by=agent, body="Which browser do you use?")
    with on_commit():
        workflow.reply(ticket, by=requester, body="Firefox.")
    with on_commit():
        workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    first, second, third = to(requester.email)
    ids = [mid(first), mid(second), mid(third)]
    assert len(set(ids)) == 3
    assert "In-Reply-To" not in first.extra_headers and "References" not in first.extra_headers
    assert second.extra_headers["In-Reply-To"] == ids[0]
    assert second.extra_headers["References"] == ids[0]
    assert third.extra_headers["In-Reply-To"] == ids[1]
    assert third.extra_headers["References"] == f"{ids[0]} {ids[1]}"

    # The beneficiary's mails are a thread of their own.
    b_first, b_second, b_third = to(other_requester.email)
    b_ids = [mid(b_first), mid(b_second), mid(b_third)]
    assert not set(b_ids) & set(ids)
    assert "In-Reply-To" not in b_first.extra_headers
    assert b_second.extra_headers["In-Reply-To"] == b_ids[0]
    assert b_third.extra_headers["References"] == f"{b_ids[0]} {b_ids[1]}"

    # So are the agent's: the new ticket, then the requester's answer.
    a_first, a_second = to(agent.email)
    assert "In-Reply-To" not in a_first.extra_headers
    assert a_second.extra_headers["In-Reply-To"] == mid(a_first)
    assert a_second.extra_headers["References"] == mid(a_first)


def test_thread_includes_the_mails_the_person_sent_us(ticket, agent, requester, resolution_code, on_commit):
    with on_commit():
        workflow.reply(ticket, by=agent, body="Which browser do you use?")
    (first,) = to(requester.email)
    InboundMail.objects.create(
        dedupe_key="inbound-1",
        internet_message_id="<answer-1@mail.example.net>",
        from_email=requester.email,
        subject=f"Re: [{ticket.reference}] New reply: Cannot log in",
        status=InboundMail.Status.ADDED,
        ticket=ticket,
        received_at=timezone.now(),
    )
    # Not in the thread: a mail someone else sent us about the ticket, and the requester's mails that did
    # not reach the ticket (an ignored out-of-office, a quarantined or failed one).
    for key, message_id, sender, status in (
        ("inbound-2", "<stranger@mail.example.net>", "stranger@example.com", InboundMail.Status.ADDED),
        ("inbound-3", "<ooo@mail.example.net>", requester.email, InboundMail.Status.IGNORED),
        ("inbound-4", "<held@mail.example.net>", requester.email, InboundMail.Status.QUARANTINED),
        ("inbound-5", "<broken@mail.example.net>", requester.email, InboundMail.Status.FAILED),
    ):
        InboundMail.objects.create(
            dedupe_key=key,
            internet_message_id=message_id,
            from_email=sender,
            status=status,
            ticket=ticket,
            received_at=timezone.now(),
        )

    with on_commit():
        workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    (_first, second) = to(requester.email)
    assert second.extra_headers["In-Reply-To"] == "<answer-1@mail.example.net>"
    assert second.extra_headers["References"] == f"{mid(first)} <answer-1@mail.example.net>"


def test_reply_to_carries_a_token_of_the_ticket(ticket, anon_ticket, agent, requester, on_commit):
    with on_commit():
        workflow.reply(ticket, by=agent, body="First answer.")
        workflow.reply(anon_ticket, by=agent, body="Second answer.")

    for m, expected in ((only(requester.email), ticket), (only("ann@example.com"), anon_ticket)):
        (reply_to,) = m.reply_to
        assert m.anymail_test_params["reply_to"][0].addr_spec == reply_to
        match = re.fullmatch(r"support\+([0-9a-z-]+)@reply\.example\.com", reply_to)
        assert match, reply_to
        assert access.read_reply_token(match.group(1)) == expected.pk
        assert m.body.startswith("##- Please type your reply above this line -##\n\n")


def test_without_an_inbound_address_there_is_no_reply_to(settings, ticket, agent, requester, on_commit):
    settings.WAGTAILSUPPORT_INBOUND_ADDRESS = None

    with on_commit():
        workflow.reply(ticket, by=agent, body="Which browser do you use?")

    m = only(requester.email)
    assert m.reply_to == []
    assert not m.anymail_test_params.get("reply_to")
    assert "##-" not in m.body and "##-" not in html_of(m)
    # The Message-ID then takes the domain of the From address.
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", mid(m))
    assert OutboundMail.objects.get().status == OutboundMail.Status.SENT


# 4. Never the actor, never an internal note -----------------------------------------------------------------


def test_a_whole_conversation_never_mails_a_note_nor_the_actor(
    shared_ticket, agent, colleague, requester, other_requester, resolution_code, on_commit
):
    ticket = shared_ticket
    outsiders = {requester.email, other_requester.email}

    def step(move):
        before = len(mail.outbox)
        with on_commit():
            move()
        return recipients(mail.outbox[before:])

    assert step(lambda: workflow.assign_to_self(ticket, by=agent)) == []
    assert step(lambda: workflow.reply(ticket, by=agent, body=NOTE, internal=True)) == []
    assert step(lambda: workflow.reply(ticket, by=agent, body="Could you try again?", set_pending=True)) == sorted(
        outsiders
    )
    assert step(lambda: workflow.reply(ticket, by=requester, body="Still failing.")) == [agent.email]
    assert step(lambda: workflow.reply(ticket, by=colleague, body=OTHER_NOTE, internal=True)) == []
    assert step(lambda: workflow.reply(ticket, by=colleague, body="Trying something else.")) == sorted(outsiders)
    assert step(lambda: workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)) == sorted(
        outsiders
    )
    # The beneficiary answers the closed ticket: it reopens; the requester hears of it, not the beneficiary.
    assert step(lambda: workflow.reply(ticket, by=other_requester, body="It broke again.")) == sorted(
        [agent.email, requester.email]
    )
    assert step(lambda: workflow.abandon(ticket, by=agent)) == sorted(outsiders)

    requester_side = [m for m in mail.outbox if set(m.to) & outsiders]
    assert len(requester_side) == 9
    for m in requester_side:
        assert NOTE not in everything_in(m)
        assert OTHER_NOTE not in everything_in(m)
        assert "blocklist" not in everything_in(m) and "finance" not in everything_in(m)
    # No record was even written for a note.
    assert not OutboundMail.objects.filter(message__visibility=Message.Visibility.INTERNAL).exists()
    assert OutboundMail.objects.filter(status=OutboundMail.Status.SENT).count() == len(mail.outbox) == 11


# 5. Agent preferences -------------------------------------------------------------------------------------


def account_form_data(response):
    """The fields of the account page's form, as the browser would post them unchanged."""
    form = soup(response).select_one("form[method=post]")
    assert form is not None
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            selected = field.select_one("option[selected]") or field.select_one("option")
            data[name] = selected.get("value", "") if selected else ""
        elif field.name == "textarea":
            data[name] = field.get_text()
        elif field.get("type") in {"checkbox", "radio"}:
            if field.has_attr("checked"):
                data.setdefault(name, field.get("value", "on"))
        elif field.get("type") == "file":
            continue
        else:
            data[name] = field.get("value", "")
    return data


def events_by_recipient():
    counts = {}
    for m in mail.outbox:
        counts.setdefault(m.to[0], Counter())[m.anymail_test_params["metadata"]["event"]] += 1
    return counts


@pytest.mark.parametrize(
    "field, event", [("new_ticket", "opened"), ("requester_reply", "requester_reply"), ("assigned", "assigned")]
)
def test_an_agent_switches_off_one_kind_of_mail_on_the_account_page(
    agent, colleague, supervisor, requester, category, on_commit, field, event
):
    client = Client()
    client.force_login(agent)
    account_url = reverse("wagtailadmin_account")
    page = client.get(account_url)
    assert page.status_code == 200
    data = account_form_data(page)
    prefix = "wagtail_support_notifications"
    # Every kind is on until the agent says otherwise.
    assert {name: data.get(f"{prefix}-{name}") for name in ("new_ticket", "requester_reply", "assigned")} == {
        "new_ticket": "on",
        "requester_reply": "on",
        "assigned": "on",
    }
    del data[f"{prefix}-{field}"]

    response = client.post(account_url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = NotificationSettings.objects.get(user=agent)
    assert {name: getattr(saved, name) for name in ("new_ticket", "requester_reply", "assigned")} == {
        name: name != field for name in ("new_ticket", "requester_reply", "assigned")
    }
    assert not NotificationSettings.objects.filter(user=colleague).exists()

    # Two new tickets, an answer on the unassigned one, one ticket assigned to each agent.
    with on_commit():
        first = factories.open_ticket(requester, category=category)
        second = factories.open_ticket(requester, category=category, subject="Second problem")
    with on_commit():
        workflow.reply(first, by=requester, body="Any news?")
    with on_commit():
        workflow.assign(first, to=agent, by=supervisor)
        workflow.assign(second, to=colleague, by=supervisor)
    # Answers on the tickets now assigned: each goes to its assignee only.
    with on_commit():
        workflow.reply(first, by=requester, body="Still there?")
        workflow.reply(second, by=requester, body="Hello?")

    everything = Counter({"opened": 2, "requester_reply": 2, "assigned": 1})
    received = events_by_recipient()
    assert received[colleague.email] == everything
    expected = everything.copy()
    del expected[event]
    assert received[agent.email] == expected
    assert not OutboundMail.objects.filter(recipient=agent.email, event=event).exists()


# 6. Faults: a failing ESP, retries, "Send again" ------------------------------------------------------------


def failed_records():
    return list(OutboundMail.objects.filter(status=OutboundMail.Status.FAILED).order_by("pk"))


def retry_command(*args):
    out = io.StringIO()
    call_command("support_retry_mail", *args, stdout=out)
    return out.getvalue()


def test_a_submission_through_the_page_survives_a_failing_esp_and_is_sent_by_the_retry(
    client, support_page, agent, esp_down, settings, on_commit, empty_cache
):
    with on_commit():
        response = client.post(
            support_page.url,
            factories.ticket_form_data(
                subject="Sent while the ESP is down", description="Please keep this one.", kind=Ticket.Kind.QUESTION
            ),
        )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == support_page.url + support_page.reverse_subpage(
        "confirmation", kwargs={"number": ticket.number}
    )
    assert client.get(response["Location"]).status_code == 200
    assert ticket.subject == "Sent while the ESP is down"
    assert ticket.messages.get().body == "Please keep this one."
    assert sorted(m.to[0] for m in esp_down) == sorted(["ann@example.com", agent.email])
    assert mail.outbox == []
    records = failed_records()
    assert sorted((r.recipient, r.event, r.audience) for r in records) == sorted(
        [("ann@example.com", "opened", "requester"), (agent.email, "opened", "agent")]
    )
    for record in records:
        assert (record.error, record.attempts, record.esp_message_id, record.sent_at) == (ESP_DOWN, 1, "", None)

    settings.EMAIL_BACKEND = TEST_BACKEND
    output = retry_command()

    assert "2 sent, 0 failed." in output
    assert recipients() == sorted(["ann@example.com", agent.email])
    for record in records:
        record.refresh_from_db()
        assert (record.status, record.error, record.attempts) == (OutboundMail.Status.SENT, "", 2)
        m = only(record.recipient)
        assert mid(m) == record.internet_message_id
        assert record.esp_message_id == str(m.anymail_status.recipients[record.recipient].message_id)
    assert only("ann@example.com").subject == (
        f"[{ticket.reference}] We received your request: Sent while the ESP is down"
    )

    # Once sent, never again.
    assert "0 sent, 0 failed." in retry_command()
    assert len(mail.outbox) == 2


def test_a_reply_and_a_resolution_in_the_workspace_survive_a_failing_esp(
    agent_client, ticket, agent, supervisor, requester, resolution_code, esp_down, settings, on_commit
):
    # One mail went out before the ESP went down: no retry ever sends it again.
    settings.EMAIL_BACKEND = TEST_BACKEND
    with on_commit():
        workflow.assign(ticket, to=agent, by=supervisor)
    (assigned,) = OutboundMail.objects.filter(status=OutboundMail.Status.SENT)
    settings.EMAIL_BACKEND = "tests.failing_backend.FailingBackend"
    mail.outbox.clear()

    ticket.refresh_from_db()
    with on_commit():
        reply = agent_client.post(
            reverse("wagtail_support_admin:ticket_action", args=[ticket.pk, "submit"]),
            {"version": ticket.version, "body": "Answer sent while the ESP is down."},
        )
    assert reply.status_code == 302
    message = ticket.messages.get(body="Answer sent while the ESP is down.")
    assert reply["Location"] == reverse("wagtail_support_admin:ticket", args=[ticket.pk]) + f"#message-{message.pk}"
    assert message.visibility == Message.Visibility.PUBLIC

    ticket.refresh_from_db()
    with on_commit():
        resolve = agent_client.post(
            reverse("wagtail_support_admin:ticket_action", args=[ticket.pk, "submit"]),
            {"version": ticket.version, "then": "resolve", "code": resolution_code.pk, "solution": SOLUTION},
        )
    assert resolve.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.solution) == (Ticket.Status.CLOSED, SOLUTION)
    assert agent_client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).status_code == 200

    records = failed_records()
    assert [(r.event, r.recipient, r.message_id, r.error) for r in records] == [
        ("agent_reply", requester.email, message.pk, ESP_DOWN),
        ("resolved", requester.email, None, ESP_DOWN),
    ]
    assert [m.to for m in esp_down] == [[requester.email], [requester.email]]
    assert mail.outbox == []

    # --dry-run lists them and sends nothing.
    settings.EMAIL_BACKEND = TEST_BACKEND
    output = retry_command("--dry-run")
    assert "2 mail(s) would be sent again." in output
    for record in records:
        assert f"{record.pk}\tfailed\t{record.event}\t{requester.email}\t{ESP_DOWN}" in output
    assert not re.search(rf"^{assigned.pk}\t", output, re.M), output
    assert mail.outbox == []
    assert failed_records() == records

    assert "2 sent, 0 failed." in retry_command()
    sent = to(requester.email)
    assert [m.subject for m in sent] == [
        f"[{ticket.reference}] New reply: Cannot log in",
        f"[{ticket.reference}] Resolved: Cannot log in",
    ]
    assert "Answer sent while the ESP is down." in sent[0].body
    assert SOLUTION in sent[1].body and SOLUTION in html_of(sent[1])
    assert [mid(m) for m in sent] == [r.internet_message_id for r in records]
    assert failed_records() == []
    assert "0 sent, 0 failed." in retry_command()
    assert len(mail.outbox) == 2


def test_retry_of_one_mail_by_id(ticket, agent, requester, esp_down, settings, on_commit):
    with on_commit():
        workflow.reply(ticket, by=agent, body="One.")
        workflow.reply(ticket, by=agent, body="Two.")
    one, two = failed_records()
    settings.EMAIL_BACKEND = TEST_BACKEND

    assert "1 sent, 0 failed." in retry_command("--id", str(two.pk))

    assert [m.body.count("Two.") for m in mail.outbox] == [1]
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, two.status) == (OutboundMail.Status.FAILED, OutboundMail.Status.SENT)


def test_retry_that_fails_again_says_so(ticket, agent, esp_down, on_commit):
    from django.core.management.base import CommandError

    with on_commit():
        workflow.reply(ticket, by=agent, body="One.")

    with pytest.raises(CommandError, match="1 mail"):
        retry_command()
    (record,) = failed_records()
    assert (record.attempts, record.error) == (2, ESP_DOWN)


def test_send_again_in_the_workspace(
    agent_client, agent, outsider_agent, ticket, requester, esp_down, settings, on_commit
):
    with on_commit():
        workflow.reply(ticket, by=agent, body="Answer sent while the ESP is down.")
    (record,) = failed_records()
    settings.EMAIL_BACKEND = TEST_BACKEND
    resend_url = reverse("wagtail_support_admin:mail_resend", args=[record.pk])

    # GET changes nothing.
    assert agent_client.get(resend_url).status_code == 405
    # An agent of another team: not found, nothing sent.
    outsider = Client()
    outsider.force_login(outsider_agent)
    assert outsider.post(resend_url).status_code == 404
    assert outsider.post(reverse("wagtail_support_admin:mail_resend", args=[record.pk + 1000])).status_code == 404
    # Anonymous: sent to the login page.
    assert Client().post(resend_url).status_code == 302
    record.refresh_from_db()
    assert (record.status, record.attempts) == (OutboundMail.Status.FAILED, 1)
    assert mail.outbox == []

    response = agent_client.post(resend_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtail_support_admin:ticket", args=[ticket.pk]) + f"#mail-{record.pk}"
    record.refresh_from_db()
    assert (record.status, record.error, record.attempts) == (OutboundMail.Status.SENT, "", 2)
    m = only(requester.email)
    assert mid(m) == record.internet_message_id
    assert "Answer sent while the ESP is down." in m.body

    # A second press sends nothing.
    assert agent_client.post(resend_url).status_code == 302
    assert len(mail.outbox) == 1


# Background work: the task queue -------------------------------------------------------------------------


@pytest.fixture
def worker_queue(settings):
    """A worker backend (django_tasks' dummy backend keeps what is enqueued) with a "support-mail" queue."""
    from django_tasks import task_backends

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "support-mail"]}
    }
    settings.WAGTAILSUPPORT_TASK_QUEUE = "support-mail"
    backend = task_backends["default"]
    backend.clear()
    yield backend
    backend.clear()


def ours(backend):
    """The tasks of wagtail-support among those enqueued (Wagtail enqueues its own too)."""
    return [r for r in backend.results if r.task.module_path.startswith("wagtail_support.")]


def test_mail_waits_in_the_task_queue_with_ids_only(worker_queue, requester, category, agent, support_page, on_commit):
    with on_commit():
        factories.open_ticket(requester, category=category)

    # Nothing is sent in the request: one task per recorded mail, on the site's mail queue, ids only.
    assert mail.outbox == []
    records = list(OutboundMail.objects.order_by("pk"))
    assert [(r.recipient, r.status) for r in records] == [
        (requester.email, OutboundMail.Status.QUEUED),
        (agent.email, OutboundMail.Status.QUEUED),
    ]
    results = ours(worker_queue)
    assert [(r.task.name, r.task.queue_name, list(r.args), r.kwargs) for r in results] == [
        ("send_recorded_mail", "support-mail", [], {"mail_id": record.pk}) for record in records
    ]
    # A fresh queued mail is the worker's, not the retry's.
    assert "0 mail(s) would be sent again." in retry_command("--dry-run")

    # The worker runs them.
    for result in results:
        assert result.task.call(*result.args, **result.kwargs) == 1
    assert recipients() == sorted([requester.email, agent.email])
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {OutboundMail.Status.SENT}

    # "Find my tickets" goes through the same queue.
    outbox.send_ticket_links(requester.email, support_page.pk, "en")
    links = ours(worker_queue)[-1]
    assert (links.task.name, links.task.queue_name, links.kwargs) == (
        "send_ticket_links_mail",
        "support-mail",
        {"email": requester.email, "support_page_id": support_page.pk, "language": "en"},
    )


def test_a_queue_that_refuses_the_mail_leaves_it_for_the_retry(settings, requester, category, agent, on_commit):
    # The immediate backend has no such queue: enqueuing fails, the ticket is kept.
    settings.WAGTAILSUPPORT_TASK_QUEUE = "no-such-queue"
    with on_commit():
        ticket = factories.open_ticket(requester, category=category)

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert mail.outbox == []
    assert [(r.status, r.error, r.attempts) for r in OutboundMail.objects.order_by("pk")] == [
        (OutboundMail.Status.FAILED, "The task queue refused the mail.", 0)
    ] * 2

    settings.WAGTAILSUPPORT_TASK_QUEUE = "default"
    assert "2 sent, 0 failed." in retry_command()
    assert recipients() == sorted([requester.email, agent.email])


# 7. Idempotence -------------------------------------------------------------------------------------------


def test_delivering_a_mail_twice_sends_it_once(ticket, agent, requester, on_commit):
    with on_commit():
        workflow.reply(ticket, by=agent, body="Only once, please.")
    (record,) = OutboundMail.objects.all()
    assert len(mail.outbox) == 1

    assert delivery.deliver(record.pk) == 0
    assert delivery.retry([record]) == (0, 0)

    assert len(mail.outbox) == 1
    record.refresh_from_db()
    assert (record.status, record.attempts) == (OutboundMail.Status.SENT, 1)


def test_a_recorded_mail_delivered_twice_is_sent_once(ticket, requester):
    record = outbox.record_mail(
        event="pending", audience="requester", recipient=requester.email, ticket=ticket, language="en"
    )

    assert delivery.deliver(record.pk) == 1
    assert delivery.deliver(record.pk) == 0

    (m,) = mail.outbox
    check_sent(m, event="pending", ticket=ticket, audience="requester")


def test_a_mail_being_sent_is_not_sent_by_another_worker(ticket, requester):
    record = outbox.record_mail(event="pending", audience="requester", recipient=requester.email, ticket=ticket)
    OutboundMail.objects.filter(pk=record.pk).update(status=OutboundMail.Status.SENDING, updated_at=timezone.now())

    assert delivery.deliver(record.pk) == 0
    assert delivery.retry([record]) == (0, 0)
    assert "0 sent, 0 failed." in retry_command()
    assert mail.outbox == []


# 8. Tracking webhooks -------------------------------------------------------------------------------------


POSTMARK_URL = "/anymail/postmark/tracking/"


def postmark(client, payload, auth=BASIC_AUTH):
    extra = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(POSTMARK_URL, data=json.dumps(payload), content_type="application/json", **extra)


def metadata_of(record):
    """The metadata the mail of ``record`` went out with: what the ESP hands back in its events."""
    (m,) = [m for m in mail.outbox if mid(m) == record.internet_message_id]
    return dict(m.anymail_test_params["metadata"])


def postmark_delivery(record):
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": record.recipient,
        "Tag": "wagtail-support",
        "DeliveredAt": "2025-11-05T16:33:54.9070259Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": metadata_of(record),
    }


def postmark_bounce(record):
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "wagtail-support",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": record.recipient,
        "From": "support@example.com",
        "BouncedAt": "2025-11-05T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": record.subject,
        "Metadata": metadata_of(record),
    }


@pytest.fixture
def sent_record(ticket, agent, on_commit):
    with on_commit():
        workflow.reply(ticket, by=agent, body="Which browser do you use?")
    (record,) = OutboundMail.objects.all()
    assert record.status == OutboundMail.Status.SENT
    return record


def status_of(record):
    record.refresh_from_db()
    return record.status, record.error


def test_postmark_delivery_event_marks_the_mail_delivered(client, sent_record):
    response = postmark(client, postmark_delivery(sent_record))

    assert response.status_code == 200
    assert status_of(sent_record) == (OutboundMail.Status.DELIVERED, "")


def test_postmark_bounce_marks_the_mail_bounced_with_the_reason(client, sent_record):
    response = postmark(client, postmark_bounce(sent_record))

    assert response.status_code == 200
    status, error = status_of(sent_record)
    assert status == OutboundMail.Status.BOUNCED
    assert "The server was unable to deliver your message (ex: unknown user, mailbox not found)." in error
    assert "550 5.1.1 The email account that you tried to reach does not exist." in error


def test_postmark_event_without_the_webhook_secret_changes_nothing(client, sent_record):
    for auth in (None, "Basic " + base64.b64encode(b"tests:wrong").decode()):
        response = postmark(client, postmark_bounce(sent_record), auth=auth)
        # Anymail refuses an unauthenticated webhook as a SuspiciousOperation: HTTP 400.
        assert response.status_code == 400
    assert status_of(sent_record) == (OutboundMail.Status.SENT, "")


def test_an_event_about_a_mail_of_another_site_changes_nothing(client, sent_record):
    # A staging copy sending through the same ESP account numbers its mails too: same support_mail,
    # another Message-ID.
    theirs = {**postmark_bounce(sent_record)}
    theirs["Metadata"] = {**theirs["Metadata"], "message_id": "<1234.ws1000@staging.example.com>"}

    assert postmark(client, theirs).status_code == 200

    assert status_of(sent_record) == (OutboundMail.Status.SENT, "")


def test_late_delivery_does_not_hide_a_bounce(client, sent_record):
    assert postmark(client, postmark_bounce(sent_record)).status_code == 200
    assert postmark(client, postmark_delivery(sent_record)).status_code == 200

    status, error = status_of(sent_record)
    assert status == OutboundMail.Status.BOUNCED
    assert "550 5.1.1" in error


def test_late_deferral_does_not_hide_a_delivery(client, sent_record):
    assert postmark(client, postmark_delivery(sent_record)).status_code == 200
    deferred = {**postmark_bounce(sent_record), "Type": "Transient", "TypeCode": 2, "Name": "Message delayed"}
    assert postmark(client, deferred).status_code == 200

    assert status_of(sent_record)[0] == OutboundMail.Status.DELIVERED


class EarlyBounceBackend(AnymailTestBackend):
    """An ESP whose bounce webhook reaches the site before its API call returns."""

    def post_to_esp(self, payload, message):
        response = super().post_to_esp(payload, message)
        bounce = {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "MessageID": "a8c1040e-7fc3-4a6c-b1f3-8c0a1d0cf0b1",
            "Description": "Unknown user.",
            "Email": message.to[0],
            "BouncedAt": "2025-11-05T16:33:54Z",
            "Metadata": message.metadata,
        }
        assert postmark(Client(), bounce).status_code == 200
        return response


def test_a_bounce_that_arrives_before_the_esp_answers_is_kept(settings, sent_record, ticket, agent, on_commit):
    settings.EMAIL_BACKEND = "tests.test_mail_outgoing.EarlyBounceBackend"

    with on_commit():
        workflow.reply(ticket, by=agent, body="Second answer.")

    record = OutboundMail.objects.exclude(pk=sent_record.pk).get()
    (m,) = to(record.recipient)[1:]
    assert (record.status, record.error) == (OutboundMail.Status.BOUNCED, "Unknown user.")
    # What the ESP answered is recorded all the same.
    assert (record.esp_name, record.esp_message_id, record.subject) == ("Test", "1", m.subject)
    assert record.sent_at is not None


class MailgunLikeBackend(AnymailTestBackend):
    """Anymail's test backend answering with Mailgun-style message ids, ``<N.mailgun@mg.example.com>``."""

    esp_name = "Mailgun"

    def get_esp_message_id(self, message):
        return f"<{mail.outbox.index(message)}.mailgun@mg.example.com>"


def mailgun(client, event_data, key=MAILGUN_KEY):
    timestamp = str(int(time.time()))
    token = hashlib.sha256(json.dumps(event_data, sort_keys=True).encode()).hexdigest()[:50]
    signature = hmac.new(key, f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    payload = {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event_data}
    return client.post(
        "/anymail/mailgun/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
    )


def mailgun_event(record, event, **extra):
    return {
        "event": event,
        "timestamp": time.time(),
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "recipient": record.recipient,
        "message": {"headers": {"message-id": record.esp_message_id.strip("<>"), "to": record.recipient}},
        # The event carries none of our metadata: it is matched by the ESP's message id.
        "user-variables": {},
        "tags": [],
        **extra,
    }


def test_mailgun_events_are_matched_by_the_esp_message_id(client, settings, shared_ticket, agent, on_commit):
    settings.EMAIL_BACKEND = "tests.test_mail_outgoing.MailgunLikeBackend"
    with on_commit():
        workflow.reply(shared_ticket, by=agent, body="Which browser do you use?")
    to_requester, to_beneficiary = (
        OutboundMail.objects.get(recipient="requester@example.com"),
        OutboundMail.objects.get(recipient="other_requester@example.com"),
    )
    assert (to_requester.esp_name, to_requester.esp_message_id) == ("Mailgun", "<0.mailgun@mg.example.com>")
    assert to_beneficiary.esp_message_id == "<1.mailgun@mg.example.com>"

    delivered = mailgun(
        client, mailgun_event(to_requester, "delivered", **{"delivery-status": {"code": 250, "message": "OK"}})
    )
    assert delivered.status_code == 200
    failed = mailgun(
        client,
        mailgun_event(
            to_beneficiary,
            "failed",
            severity="permanent",
            reason="bounce",
            **{"delivery-status": {"code": 550, "message": "5.1.1 No such user", "description": "Not delivered"}},
        ),
    )
    assert failed.status_code == 200

    assert status_of(to_requester) == (OutboundMail.Status.DELIVERED, "")
    status, error = status_of(to_beneficiary)
    assert status == OutboundMail.Status.BOUNCED
    assert "5.1.1 No such user" in error

    # A forged event (wrong signing key) changes nothing.
    forged = mailgun(client, mailgun_event(to_requester, "failed", severity="permanent"), key=b"not-the-key")
    assert forged.status_code == 400
    assert status_of(to_requester) == (OutboundMail.Status.DELIVERED, "")


# 9. The workspace shows what became of each mail -------------------------------------------------------------


def test_workspace_shows_each_mail_and_offers_send_again_only_for_failed_ones(
    agent_client, ticket, agent, colleague, requester, resolution_code, settings, on_commit
):
    workflow.assign_to_self(ticket, by=agent)
    with on_commit():
        workflow.reply(ticket, by=requester, body="More details.")
    settings.EMAIL_BACKEND = "tests.failing_backend.FailingBackend"
    with on_commit():
        workflow.reply(ticket, by=agent, body="Answer sent while the ESP is down.")
    settings.EMAIL_BACKEND = TEST_BACKEND
    with on_commit():
        workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
    delivered = OutboundMail.objects.get(event="requester_reply")
    assert postmark(Client(), postmark_delivery(delivered)).status_code == 200
    resolved = OutboundMail.objects.get(event="resolved")
    assert postmark(Client(), postmark_bounce(resolved)).status_code == 200
    failed = OutboundMail.objects.get(event="agent_reply")

    page = soup(agent_client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])))

    shown = {}
    for item in page.select("li.wsw-mail"):
        shown[item["id"]] = (
            item.select_one(".wsw-mail__recipient").get_text(strip=True),
            item.select_one(".wsw-mail__status").get_text(strip=True),
            [form["action"] for form in item.select("form.wsw-mail__resend")],
        )
    assert shown == {
        f"mail-{delivered.pk}": (agent.email, "Delivered", []),
        f"mail-{failed.pk}": (
            requester.email,
            "Failed",
            [reverse("wagtail_support_admin:mail_resend", args=[failed.pk])],
        ),
        f"mail-{resolved.pk}": (
            requester.email,
            "Bounced",
            [reverse("wagtail_support_admin:mail_resend", args=[resolved.pk])],
        ),
    }
    # Each mail sits under the message it carried; the resolution's under the ticket's other mail.
    answer_entry = page.find(string=re.compile("Answer sent while the ESP is down")).find_parent("li")
    assert answer_entry.select_one(f"#mail-{failed.pk}") is not None
    assert page.select_one("#mails").select_one(f"#mail-{resolved.pk}") is not None
    assert "Send again" in page.select_one(f"#mail-{failed.pk}").get_text()
    assert "Send again" not in page.select_one(f"#mail-{delivered.pk}").get_text()


def test_recording_a_new_tickets_mails_takes_the_same_queries_for_3_or_30_agents(
    team, category, requester, settings
):
    # Tasks are only queued here (the dummy backend keeps them): this counts the recording, not the sending.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    counts = []
    for size in (3, 30):
        for i in range(size - team.members.count()):
            factories.make_agent(f"member{size}-{i}", team)
        ticket = factories.open_ticket(requester, category=category)
        message = ticket.messages.get()
        OutboundMail.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            recipients = outbox.ticket_event("opened", ticket.pk, message_id=message.pk)
        assert len(recipients) == size + 1  # the team and the requester's confirmation
        assert OutboundMail.objects.filter(ticket=ticket).count() == size + 1
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
