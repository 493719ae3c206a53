"""The ticket workspace in the Wagtail admin: the page of one ticket and every move an agent makes on it.

Every action goes through the client as an agent and through the workflow (the ticket, its messages and
its Wagtail log entries change), illegal moves come back as a message, a stale form changes nothing and
keeps the agent's draft, and nobody else (a Wagtail user who is not an agent, an agent of another team,
an anonymous visitor) can read a ticket or make a move, whatever the id they try.
"""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.log_actions import registry

from tests import factories
from wagtail_support import access, workflow
from wagtail_support.admin.paths import inbox_url
from wagtail_support.admin.workspace import HISTORY_ON_WORKSPACE
from wagtail_support.models import Attachment, CannedResponse, Message, ResolutionCode, Ticket

pytestmark = pytest.mark.django_db

PREFIX = "wagtail_support.ticket."
ACTIONS = [
    "reply", "note", "assign_self", "assign", "team", "details", "people", "pending", "resolve", "abandon", "reopen",
]
# What used to be a form of its own is now a way to send the one form of the workspace ("Submit as",
# tests/test_admin_submit.py): a public reply, a note, a property change alone, a status after it.
ONE_FORM = {
    "reply": {"mode": "public"},
    "note": {"mode": "internal"},
    "assign": {"only": "1"},
    "team": {"only": "1"},
    "details": {"only": "1"},
    "pending": {"then": "pending"},
    "resolve": {"then": "resolve"},
}


# Helpers ----------------------------------------------------------------------------------------------------


def workspace_url(ticket_or_pk, **query):
    pk = getattr(ticket_or_pk, "pk", ticket_or_pk)
    url = reverse("wagtail_support_admin:ticket", args=[pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def action_url(ticket_or_pk, action):
    action = "submit" if action in ONE_FORM else action
    return reverse("wagtail_support_admin:ticket_action", args=[getattr(ticket_or_pk, "pk", ticket_or_pk), action])


def form_data(ticket, action, version=None, **fields):
    """The POST of ``action``'s form as the page sends it: prefixed fields and the ticket's version (the one
    form: its fields unprefixed, what it is sent as, and no ``seen``: any change meanwhile is then refused)."""
    if action in ONE_FORM:
        data = {"version": ticket.version if version is None else version, **ONE_FORM[action]}
        if fields.pop("set_pending", None):
            data["then"] = "pending"
        data.update(fields)
        return data
    prefix = action
    data = {f"{prefix}-version": ticket.version if version is None else version}
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return data


def post(client, ticket, action, version=None, **fields):
    return client.post(action_url(ticket, action), form_data(ticket, action, version, **fields))


def flashes(response):
    """The texts of the admin messages set by ``response`` (Wagtail wraps them in a little HTML)."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", str(m))).strip() for m in get_messages(response.wsgi_request)]


def history(ticket):
    return list(registry.get_logs_for_instance(ticket).order_by("timestamp", "pk"))


def actions_since(ticket, before):
    return [entry.action.removeprefix(PREFIX) for entry in history(ticket)[len(before) :]]


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def png_upload(name="screenshot.png"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def snapshot(ticket):
    """What an attack must leave untouched."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.version,
        ticket.status,
        ticket.assignee_id,
        ticket.team_id,
        Message.objects.count(),
        len(history(ticket)),
    )


# Fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def colleague(team):
    """Bob Colleague: another agent of ``team``."""
    return factories.make_agent("colleague", team, first_name="Bob", last_name="Colleague")


@pytest.fixture
def wagtail_editor(db):
    """Eddie Editor: may use the Wagtail admin, but is no support agent."""
    user = factories.make_user("editor", first_name="Eddie", last_name="Editor")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@pytest.fixture
def closed_ticket(ticket, agent, resolution_code):
    workflow.resolve(ticket, code=resolution_code, solution="Reset the password.", by=agent)
    return ticket


@pytest.fixture
def canned(team, other_team):
    """Three saved replies: one for every team, one for ``team``, one for ``other_team``; and an inactive one."""
    return {
        "all": CannedResponse.objects.create(
            title="Ask for details",
            body=(
                "Hello {requester_name},\nabout {reference} ({subject}), could you tell us more?\n"
                "{agent_name}, {team} {unknown}"
            ),
        ),
        "team": CannedResponse.objects.create(title="Helpdesk hours", body="We answer 9-17.", team=team),
        "other": CannedResponse.objects.create(title="Billing only", body="Billing text", team=other_team),
        "inactive": CannedResponse.objects.create(title="Old text", body="Old", is_active=False),
    }


# The page ---------------------------------------------------------------------------------------------------


def test_workspace_shows_the_ticket(agent_client, agent, requester, category, support_page, colleague):
    ticket = factories.open_ticket(
        requester,
        subject="Cannot log in",
        category=category,
        beneficiary_name="Ben Beneficiary",
        beneficiary_email="ben@example.com",
        submitted_from=support_page,
        came_from=support_page,
        channel=Ticket.Channel.EMAIL,
    )
    workflow.assign(ticket, to=colleague, by=agent)

    response = agent_client.get(workspace_url(ticket))

    assert response.status_code == 200
    page = text(response)
    for expected in [
        ticket.reference,
        "Cannot log in",
        "Open",
        "Question",
        "Normal",
        "Accounts",
        "Helpdesk",
        "Bob Colleague",
        "Rita Requester",
        "requester@example.com",
        "Ben Beneficiary",
        "ben@example.com",
        "Email",
        "Submitted from page",
        "Came from page",
        "Created",
        "First response",
    ]:
        assert expected in page, expected
    edit_page = reverse("wagtailadmin_pages:edit", args=[support_page.pk])
    assert f'href="{edit_page}"' in page
    inbox = inbox_url()
    assert f'href="{inbox}?requester=requester%40example.com"' in page
    assert f'href="{inbox}?requester=ben%40example.com"' in page
    # Looks like the rest of Wagtail's admin: its layout, breadcrumbs and icons.
    assert 'class="w-breadcrumbs' in page
    assert "#icon-lock" in page


def test_closed_ticket_shows_how_it_was_closed(agent_client, closed_ticket):
    page = text(agent_client.get(workspace_url(closed_ticket)))

    assert "Closed" in page
    assert "Reason for closing" in page and "Resolved" in page
    assert "Resolution code" in page and "Fixed" in page
    assert "Reset the password." in page
    assert "Reopen the ticket" in page
    assert "Abandon the ticket" not in page


def test_get_changes_nothing(agent_client, ticket, canned):
    before = snapshot(ticket)

    for query in ({}, {"show": "internal"}, {"canned": canned["all"].pk}):
        assert agent_client.get(workspace_url(ticket, **query)).status_code == 200

    assert snapshot(ticket) == before


def test_supervisor_works_every_team(client, supervisor, ticket):
    client.force_login(supervisor)
    assert client.get(workspace_url(ticket)).status_code == 200


def test_unknown_ticket_is_404(agent_client, ticket):
    assert agent_client.get(workspace_url(ticket.pk + 1000)).status_code == 404


# The conversation -------------------------------------------------------------------------------------------


@pytest.fixture
def conversation(ticket, agent):
    workflow.reply(ticket, by=agent, body="PUBLIC-REPLY: which browser do you use?")
    workflow.reply(ticket, by=agent, body="INTERNAL-NOTE: probably the Safari cookie bug.", internal=True)
    return ticket


def test_one_timeline_oldest_first_with_notes_marked(agent_client, conversation):
    page = text(agent_client.get(workspace_url(conversation)))

    description = page.index("The login page says my password is wrong.")
    public = page.index("PUBLIC-REPLY")
    note = page.index("INTERNAL-NOTE")
    assert description < public < note
    # Each message is an <li class="wsw-message ...">; its delivery rows are <li>s of their own inside it.
    internal_item = page[page.rindex('<li class="wsw-message', 0, note) : note]
    assert "wsw-message--internal" in internal_item
    assert "Internal note" in internal_item and "#icon-lock" in internal_item
    assert "(not visible to the requester)" in internal_item
    public_item = page[page.rindex('<li class="wsw-message', 0, public) : public]
    assert "wsw-message--public" in public_item
    assert "Reply (visible to the requester)" in public_item
    assert "Alice Agent" in public_item and "Support team" in public_item


@pytest.mark.parametrize(
    "show, public_shown, internal_shown",
    [("all", True, True), ("public", True, False), ("internal", False, True), ("bogus", True, True)],
)
def test_switch_shows_one_journal_or_both(agent_client, conversation, show, public_shown, internal_shown):
    page = text(agent_client.get(workspace_url(conversation, show=show)))

    assert ("PUBLIC-REPLY" in page) is public_shown
    assert ("The login page says" in page) is public_shown
    assert ("INTERNAL-NOTE" in page) is internal_shown


def test_switch_counts_each_journal(agent_client, conversation):
    page = text(agent_client.get(workspace_url(conversation)))

    counts = re.findall(r'data-wsw-show="(\w+)">.*?wsw-switch__count">(\d+)<', page)
    assert counts == [("all", "3"), ("public", "2"), ("internal", "1")]


def test_history_is_told_like_a_person(agent_client, agent, ticket):
    workflow.assign_to_self(ticket, by=agent)
    workflow.set_pending(ticket, by=agent)

    page = text(agent_client.get(workspace_url(ticket)))

    assert re.search(r"Alice Agent</span> <span class=\"wsw-history__what\">Assigned the ticket to themselves", page)
    assert "Status: Open → Pending" in page
    assert "Ticket opened (Web)" in page


def test_full_history_page(agent_client, agent, ticket):
    for _ in range(20):
        workflow.reply(ticket, by=agent, body="note", internal=True)

    workspace = text(agent_client.get(workspace_url(ticket)))
    assert workspace.count('class="wsw-history__entry"') == HISTORY_ON_WORKSPACE
    assert "Full history" in workspace

    response = agent_client.get(reverse("wagtail_support_admin:ticket_history", args=[ticket.pk]))
    assert response.status_code == 200
    page = text(response)
    # Wagtail's history listing: one row per entry, each told as a person would.
    assert page.count("Wrote an internal note") == 20
    assert page.count("Ticket opened (Web)") == 1


# The composer -----------------------------------------------------------------------------------------------


def test_one_form_sends_the_message_and_the_properties(agent_client, ticket):
    page = text(agent_client.get(workspace_url(ticket)))
    start = page.rindex("<form", 0, page.index('id="wsw-ticket-form"'))
    form = page[start : page.index("</form>", start)]

    assert f'action="{action_url(ticket, "submit")}"' in form
    # One click per status after it; the resolution fields are hidden until "Resolve…".
    for then in ("open", "pending", "resolve"):
        assert f'name="then" value="{then}"' in form
    assert re.search(r'id="wsw-resolve" data-wsw-resolve hidden', form)
    assert 'aria-controls="wsw-resolve" aria-expanded="false"' in form
    # "Send as": a public reply or an internal note, public by default.
    assert re.search(r'<input type="radio" name="mode" value="public"[^>]*checked', form)
    assert 'name="mode" value="internal"' in form
    # The first submit button is disabled: Enter sends nothing.
    assert form.index('<input type="submit" hidden disabled') < form.index('name="then"')
    # The properties beside it belong to the same form; the separate forms are gone.
    for name in ("assignee", "team", "kind", "priority", "category", "subject"):
        assert re.search(rf'name="{name}"[^>]*form="wsw-ticket-form"|form="wsw-ticket-form"[^>]*name="{name}"', page), name
    for gone in ("assign-assignee", "team-team", "details-subject", "pending-version", "resolve-code"):
        assert gone not in page
    # Cancel discards the draft (a POST to the draft's address), never the ticket.
    draft_url = reverse("wagtail_support_admin:ticket_draft", args=[ticket.pk])
    assert re.search(rf'formaction="{draft_url}" name="discard" value="1"[^>]*data-wsw-cancel>Cancel<', form)
    assert agent_client.post(workspace_url(ticket), {"body": "x"}).status_code == 405


def test_reply_to_the_requester(agent_client, agent, requester, ticket):
    before = history(ticket)

    response = post(agent_client, ticket, "reply", body="Which browser do you use?")

    message = ticket.messages.last()
    assert response.status_code == 302
    # After sending, the page comes back at the new message.
    assert response.url == workspace_url(ticket) + f"#message-{message.pk}"
    assert "Reply sent to the requester of ticket" in flashes(response)[0]
    assert (message.body, message.visibility, message.author_user) == ("Which browser do you use?", "public", agent)
    assert message in access.messages_for(requester, ticket)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_response_at is not None
    assert actions_since(ticket, before) == ["reply"]


def test_reply_that_waits_for_the_requester(agent_client, ticket):
    before = history(ticket)

    response = post(agent_client, ticket, "reply", body="Which browser?", set_pending="on")

    assert response.status_code == 302
    assert "now waits for the requester" in flashes(response)[0]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert actions_since(ticket, before) == ["reply", "status"]
    # (The history's arrow is "->" or "→", as its wording is being reworked.)
    assert re.search(r"Status: Open (->|→) Pending", str(history(ticket)[-1].message))


def test_internal_note_is_never_shown_to_the_requester(agent_client, requester, ticket):
    before = history(ticket)

    response = post(agent_client, ticket, "note", body="Probably the Safari bug.")

    assert response.status_code == 302
    assert "Internal note added" in flashes(response)[0]
    note = ticket.messages.last()
    assert note.visibility == Message.Visibility.INTERNAL
    assert note not in access.messages_for(requester, ticket)
    assert note not in access.messages_for(None, ticket, access.make_link_token(ticket))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert actions_since(ticket, before) == ["note"]


def test_note_submitted_as_pending_waits_without_mailing_the_note(
    agent_client, ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent_client, ticket, "note", body="MY-NOTE: waiting for the logs", set_pending="on")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.messages.last().is_internal
    # The requester hears that we wait for them, never the note.
    assert any("requester@example.com" in sent.to for sent in mail.outbox)
    assert not any("MY-NOTE" in sent.body or "MY-NOTE" in str(sent.alternatives) for sent in mail.outbox)


def test_reply_with_attachments(agent_client, agent, requester, ticket):
    response = agent_client.post(
        action_url(ticket, "reply"),
        {
            **form_data(ticket, "reply", body="Here is the screenshot."),
            "attachments": [png_upload("screen.png"), SimpleUploadedFile("steps.txt", b"1. log in\n")],
        },
    )

    assert response.status_code == 302
    message = ticket.messages.last()
    attachments = list(message.attachments.order_by("filename"))
    assert [(a.filename, a.content_type) for a in attachments] == [
        ("screen.png", "image/png"),
        ("steps.txt", "text/plain"),
    ]
    assert history(ticket)[-1].data["attachments"] == 2
    page = text(agent_client.get(workspace_url(ticket)))
    for attachment in attachments:
        assert reverse("wagtail_support:attachment_download", args=[attachment.pk]) in page
    download = agent_client.get(reverse("wagtail_support:attachment_download", args=[attachments[0].pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_refused_attachment_keeps_the_draft(agent_client, ticket):
    before = snapshot(ticket)

    response = agent_client.post(
        action_url(ticket, "reply"),
        {
            **form_data(ticket, "reply", body="MY-DRAFT"),
            "attachments": [SimpleUploadedFile("page.html", b"<html><script>alert(1)</script></html>")],
        },
    )

    assert response.status_code == 400
    page = text(response)
    assert "MY-DRAFT" in page
    assert "is not a file type we accept" in page
    assert "Choose your attachments again" in page
    assert snapshot(ticket) == before


def test_empty_composer_changes_nothing(agent_client, ticket):
    before = snapshot(ticket)

    response = post(agent_client, ticket, "reply", body="   ")

    assert response.status_code == 302
    assert "Nothing to change" in flashes(response)[0]
    assert snapshot(ticket) == before


def test_reply_to_a_closed_ticket_is_refused_and_keeps_the_draft(agent_client, closed_ticket):
    before = snapshot(closed_ticket)

    response = post(agent_client, closed_ticket, "reply", body="MY-DRAFT")

    assert response.status_code == 400
    page = text(response)
    assert "This ticket is closed: reopen it before replying to the requester." in page
    assert "MY-DRAFT" in page
    assert snapshot(closed_ticket) == before


def test_note_on_a_closed_ticket_is_allowed(agent_client, closed_ticket):
    response = post(agent_client, closed_ticket, "note", body="Customer called to thank us.")

    assert response.status_code == 302
    assert closed_ticket.messages.last().is_internal


# Saved replies ----------------------------------------------------------------------------------------------


def test_canned_responses_offered_for_the_ticket(agent_client, ticket, canned):
    page = text(agent_client.get(workspace_url(ticket)))
    select = page[page.index('id="wsw-canned-select"') : page.index("</select>", page.index('id="wsw-canned-select"'))]

    assert "Ask for details" in select and "Helpdesk hours" in select
    assert "Billing only" not in select and "Old text" not in select


def test_canned_response_prefills_the_composer_with_placeholders(agent_client, ticket, canned):
    response = agent_client.get(workspace_url(ticket, canned=canned["all"].pk))

    textarea = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
    assert textarea.group(1).strip() == (
        f"Hello Rita Requester,\nabout {ticket.reference} (Cannot log in), could you tell us more?\n"
        "Alice Agent, Helpdesk {unknown}"
    )


def test_canned_response_of_another_team_is_not_prefilled(agent_client, ticket, canned):
    for key in ("other", "inactive"):
        response = agent_client.get(workspace_url(ticket, canned=canned[key].pk))
        textarea = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
        assert textarea.group(1).strip() == ""


def test_canned_texts_embedded_for_insertion_at_the_cursor(agent_client, ticket, canned):
    import json

    page = agent_client.get(workspace_url(ticket)).content.decode()
    embedded = re.search(r'<script id="wsw-canned-texts" type="application/json">(.*?)</script>', page, re.S)

    texts = json.loads(embedded.group(1))
    assert set(texts) == {str(canned["all"].pk), str(canned["team"].pk)}
    assert texts[str(canned["all"].pk)].startswith("Hello Rita Requester,")


def test_canned_text_is_escaped_in_the_page(agent_client, ticket):
    response = CannedResponse.objects.create(title="<b>x</b>", body="</script><script>alert(1)</script>")

    page = agent_client.get(workspace_url(ticket, canned=response.pk)).content.decode()

    assert "<script>alert(1)" not in page


# Assignment, team, details, people ------------------------------------------------------------------------


def test_assign_to_me(agent_client, agent, ticket):
    before = history(ticket)

    response = post(agent_client, ticket, "assign_self")

    assert response.status_code == 302
    assert "You are now the assignee" in flashes(response)[0]
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert actions_since(ticket, before) == ["assign"]
    assert history(ticket)[-1].data["self_assigned"] is True
    assert history(ticket)[-1].user == agent


def test_assign_to_me_twice_changes_nothing(agent_client, agent, ticket):
    workflow.assign_to_self(ticket, by=agent)
    before = history(ticket)

    response = post(agent_client, ticket, "assign_self")

    assert "Nothing to change" in flashes(response)[0]
    assert actions_since(ticket, before) == []


@pytest.mark.usefixtures("colleague", "supervisor", "outsider_agent", "wagtail_editor")
def test_assign_offers_the_team_and_supervisors(agent_client, ticket):
    page = text(agent_client.get(workspace_url(ticket)))
    select = page[page.index('name="assignee"') : page.index("</select>", page.index('name="assignee"'))]

    assert "Nobody (unassigned)" in select
    assert "Alice Agent" in select and "Bob Colleague" in select and "Sue Supervisor" in select
    assert "Oscar Outsider" not in select and "Eddie Editor" not in select and "Rita Requester" not in select


def test_assign_to_a_colleague_and_unassign(agent_client, ticket, colleague):
    before = history(ticket)

    response = post(agent_client, ticket, "assign", assignee=colleague.pk)

    assert "Properties of ticket" in flashes(response)[0]
    ticket.refresh_from_db()
    assert ticket.assignee == colleague

    response = post(agent_client, ticket, "assign", assignee="")

    assert "Properties of ticket" in flashes(response)[-1]
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert actions_since(ticket, before) == ["assign", "assign"]
    assert "Bob Colleague" in str(history(ticket)[-1].message)


def test_assign_to_someone_outside_the_team_is_refused(agent_client, ticket, outsider_agent, requester):
    before = snapshot(ticket)

    # An agent of another team is the workflow's to refuse (a saved reply may move the ticket and assign it
    # in one post); someone who is no agent is not even offered.
    for user, refusal in ((outsider_agent, "Oscar Outsider is not an agent of team Helpdesk."), (requester, "was not changed")):
        response = post(agent_client, ticket, "assign", assignee=user.pk)
        assert response.status_code == 400
        assert refusal in text(response)

    assert snapshot(ticket) == before


def test_change_team(client, supervisor, ticket, other_team):
    client.force_login(supervisor)
    before = history(ticket)

    response = post(client, ticket, "team", team=other_team.pk)

    assert response.status_code == 302
    assert response.url == workspace_url(ticket) + "#composer"
    assert "Properties of ticket" in flashes(response)[0]
    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert actions_since(ticket, before) == ["team"]
    assert re.search(r"Helpdesk (->|→) Billing$", str(history(ticket)[-1].message))


def test_moving_a_ticket_out_of_my_teams_leaves_the_page(agent_client, ticket, other_team):
    response = post(agent_client, ticket, "team", team=other_team.pk)

    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert response.status_code == 302
    assert response.url == inbox_url()
    assert any("You no longer work on ticket" in flash for flash in flashes(response))


def test_change_details(agent_client, ticket, team):
    other_entry = factories.make_category("Invoices", team, parent=factories.make_category("Billing"))
    before = history(ticket)

    response = post(
        agent_client,
        ticket,
        "details",
        subject="Login refused on Safari",
        kind="bug",
        priority="urgent",
        category=other_entry.pk,
    )

    assert response.status_code == 302
    assert "Properties of ticket" in flashes(response)[0]
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.kind, ticket.priority, ticket.category) == (
        "Login refused on Safari",
        "bug",
        "urgent",
        other_entry,
    )
    assert actions_since(ticket, before) == ["update"]
    logged = str(history(ticket)[-1].message).lower()  # PostgreSQL's jsonb orders the changes its own way
    logged = logged.replace("→", "->")
    assert "priority: normal -> urgent" in logged and "type: question -> bug" in logged


def test_details_list_the_catalog_as_a_tree(agent_client, ticket, team):
    parent = factories.make_category("Billing")
    factories.make_category("Invoices", team, parent=parent)
    factories.make_category("Retired", team, is_active=False)

    page = text(agent_client.get(workspace_url(ticket)))
    start = page.index('name="category"')
    select = page[start : page.index("</select>", start)]

    assert "Billing › Invoices" in select
    assert "Retired" not in select


def test_details_with_an_unknown_value_are_refused(agent_client, ticket):
    before = snapshot(ticket)

    response = post(agent_client, ticket, "details", subject="x", kind="nonsense", priority="normal", category="")

    assert response.status_code == 400
    assert "was not changed" in text(response)
    assert snapshot(ticket) == before


def test_edit_requester_and_beneficiary(agent_client, requester, ticket):
    before = history(ticket)

    response = post(
        agent_client,
        ticket,
        "people",
        requester_name="Rita R. Requester",
        requester_email="requester@example.com",
        beneficiary_name="Paul Smith",
        beneficiary_email="Paul@Example.com",
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    # A corrected name keeps the requester's account; the beneficiary is someone without one.
    assert (ticket.requester_user, ticket.requester_name) == (requester, "Rita R. Requester")
    assert (ticket.beneficiary_name, ticket.beneficiary_email) == ("Paul Smith", "paul@example.com")
    assert actions_since(ticket, before) == ["people"]

    response = post(
        agent_client,
        ticket,
        "people",
        requester_name="Rita R. Requester",
        requester_email="requester@example.com",
        beneficiary_name="Paul Smith",
        beneficiary_email="paul@example.com",
        clear_beneficiary="on",
    )

    ticket.refresh_from_db()
    assert (ticket.beneficiary_name, ticket.beneficiary_email, ticket.beneficiary_user) == ("", "", None)
    assert actions_since(ticket, before) == ["people", "people"]


def test_a_new_requester_address_is_someone_else(agent_client, requester, ticket):
    post(agent_client, ticket, "people", requester_name="Paul Smith", requester_email="paul@example.com")

    ticket.refresh_from_db()
    assert (ticket.requester_user, ticket.requester_email) == (None, "paul@example.com")


def test_requester_without_address_is_refused(agent_client, anon_ticket):
    before = snapshot(anon_ticket)

    response = post(agent_client, anon_ticket, "people", requester_name="Ann", requester_email="")

    assert any("A ticket needs a requester" in flash for flash in flashes(response))
    assert snapshot(anon_ticket) == before


# Status moves -----------------------------------------------------------------------------------------------


def test_set_pending(agent_client, ticket):
    before = history(ticket)

    response = post(agent_client, ticket, "pending")

    assert "now waits for the requester" in flashes(response)[0]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert actions_since(ticket, before) == ["status"]


def test_submit_as_open_takes_a_pending_ticket_back(agent_client, agent, ticket):
    workflow.set_pending(ticket, by=agent)

    response = post(agent_client, ticket, "reply", body="", then="open")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_set_pending_on_a_closed_ticket_is_refused(agent_client, closed_ticket):
    before = snapshot(closed_ticket)

    response = post(agent_client, closed_ticket, "pending")

    assert response.status_code == 400
    assert "Only an open ticket can be set to pending (current status: Closed)." in text(response)
    assert snapshot(closed_ticket) == before


def test_resolve(agent_client, agent, ticket, resolution_code, django_capture_on_commit_callbacks):
    before = history(ticket)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(agent_client, ticket, "resolve", code=resolution_code.pk, solution="Clear the Safari cookies.")

    assert response.status_code == 302
    assert "resolved" in flashes(response)[0]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason, ticket.resolution_code, ticket.solution) == (
        Ticket.Status.CLOSED,
        Ticket.CloseReason.RESOLVED,
        resolution_code,
        "Clear the Safari cookies.",
    )
    assert actions_since(ticket, before) == ["resolve", "status"]
    assert any("Clear the Safari cookies." in m.body and "requester@example.com" in m.to for m in mail.outbox)


def test_resolve_form_says_the_solution_is_mailed(agent_client, ticket, resolution_code):
    page = text(agent_client.get(workspace_url(ticket)))
    resolve = page[page.index('id="wsw-resolve"') :]

    assert "The requester receives the solution by email" in resolve
    assert ResolutionCode.no_follow_up().label not in resolve[: resolve.index("</select>")]
    assert "Fixed" in resolve[: resolve.index("</select>")]


@pytest.mark.parametrize("fields", [{"solution": "Done."}, {"code": "CODE", "solution": "  "}, {}])
def test_resolve_needs_a_code_and_a_solution(agent_client, ticket, resolution_code, fields):
    fields = {key: (resolution_code.pk if value == "CODE" else value) for key, value in fields.items()}
    before = snapshot(ticket)

    response = post(agent_client, ticket, "resolve", **fields)

    assert response.status_code == 400
    assert "Ticket %s was not changed" % ticket.reference in text(response)
    assert "w-field--error" in text(response)
    if fields.get("solution", "").strip():
        assert fields["solution"] in text(response)  # the solution typed is kept
    assert snapshot(ticket) == before


def test_resolve_with_no_follow_up_is_refused(agent_client, ticket):
    before = snapshot(ticket)

    response = post(agent_client, ticket, "resolve", code=ResolutionCode.no_follow_up().pk, solution="x")

    assert response.status_code == 400
    assert snapshot(ticket) == before


def test_resolve_a_closed_ticket_is_refused(agent_client, closed_ticket, resolution_code):
    before = snapshot(closed_ticket)

    response = post(agent_client, closed_ticket, "resolve", code=resolution_code.pk, solution="Again")

    assert response.status_code == 400
    assert "This ticket is already closed; reopen it before resolving it again." in text(response)
    assert snapshot(closed_ticket) == before


def test_abandon_asks_for_a_confirmation_first(agent_client, ticket):
    before = snapshot(ticket)

    response = post(agent_client, ticket, "abandon")

    assert response.status_code == 200
    page = text(response)
    assert f"Abandon ticket {ticket.reference}" in page
    assert 'name="abandon-confirm" value="on"' in page
    assert f'name="abandon-version" value="{ticket.version}"' in page
    assert snapshot(ticket) == before


def test_abandon_confirmed(agent_client, ticket):
    before = history(ticket)

    response = post(agent_client, ticket, "abandon", confirm="on")

    assert response.status_code == 302
    assert "closed with no follow-up" in flashes(response)[0]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason, ticket.resolution_code.code) == (
        Ticket.Status.CLOSED,
        Ticket.CloseReason.ABANDONED,
        ResolutionCode.NO_FOLLOW_UP,
    )
    assert actions_since(ticket, before) == ["abandon", "status"]


def test_abandon_is_apart_from_cancel_and_confirmed_in_a_dialog(agent_client, ticket):
    page = text(agent_client.get(workspace_url(ticket)))

    assert page.index("data-wsw-cancel") < page.index("wsw-danger")
    assert 'data-a11y-dialog-show="wsw-abandon-dialog"' in page
    dialog = page[page.index('id="wsw-abandon-dialog"') :]
    assert 'name="abandon-confirm" value="on"' in dialog
    assert 'class="button no"' in dialog


def test_abandon_a_closed_ticket_is_refused(agent_client, closed_ticket):
    before = snapshot(closed_ticket)

    response = post(agent_client, closed_ticket, "abandon", confirm="on")

    assert "This ticket is already closed; it cannot be abandoned." in flashes(response)
    assert snapshot(closed_ticket) == before


def test_reopen(agent_client, closed_ticket):
    before = history(closed_ticket)

    response = post(agent_client, closed_ticket, "reopen")

    assert "reopened" in flashes(response)[0]
    closed_ticket.refresh_from_db()
    assert closed_ticket.status == Ticket.Status.OPEN
    assert (closed_ticket.resolution_code, closed_ticket.solution) == (None, "")
    assert actions_since(closed_ticket, before) == ["reopen", "status"]


def test_reopen_an_open_ticket_is_refused(agent_client, ticket):
    before = snapshot(ticket)

    response = post(agent_client, ticket, "reopen")

    assert "Only a closed ticket can be reopened (current status: Open)." in flashes(response)
    assert snapshot(ticket) == before


def test_unknown_action_is_404(agent_client, ticket):
    assert agent_client.post(action_url(ticket, "delete"), {}).status_code == 404


def test_missing_version_is_refused(agent_client, ticket):
    before = snapshot(ticket)

    response = agent_client.post(action_url(ticket, "pending"), {})

    assert any("out of date" in flash for flash in flashes(response))
    assert snapshot(ticket) == before


# A ticket that changed meanwhile ----------------------------------------------------------------------------


def test_stale_reply_is_not_sent_and_keeps_the_draft(agent_client, requester, ticket):
    seen = ticket.version
    workflow.reply(ticket, by=requester, body="REQUESTER-ADDED: it works on Firefox.")
    before = snapshot(ticket)

    response = post(agent_client, ticket, "reply", version=seen, body="MY-DRAFT-REPLY", set_pending="on")

    assert response.status_code == 409
    page = text(response)
    assert f"Ticket {ticket.reference} changed while you were working on it." in page
    assert "MY-DRAFT-REPLY" in page  # the draft is still in the composer
    assert "REQUESTER-ADDED" in page  # and the agent sees what changed
    assert f'name="version" value="{ticket.version}"' in page
    assert snapshot(ticket) == before

    # Sent again from the page shown, it goes through.
    response = post(agent_client, ticket, "reply", body="MY-DRAFT-REPLY")
    assert response.status_code == 302
    assert ticket.messages.last().body == "MY-DRAFT-REPLY"


def test_stale_note_keeps_the_draft(agent_client, agent, colleague, ticket):
    seen = ticket.version
    workflow.assign_to_self(ticket, by=colleague)
    before = snapshot(ticket)

    response = post(agent_client, ticket, "note", version=seen, body="MY-DRAFT-NOTE")

    assert response.status_code == 409
    assert "MY-DRAFT-NOTE" in text(response)
    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    "action, fields",
    [
        ("assign_self", {}),
        ("pending", {}),
        ("details", {"subject": "New", "kind": "bug", "priority": "high", "category": ""}),
        ("people", {"requester_name": "X", "requester_email": "x@example.com"}),
        ("abandon", {"confirm": "on"}),
        ("resolve", {"code": "CODE", "solution": "MY-SOLUTION"}),
    ],
)
def test_stale_action_changes_nothing(agent_client, colleague, ticket, resolution_code, action, fields):
    fields = {key: (resolution_code.pk if value == "CODE" else value) for key, value in fields.items()}
    seen = ticket.version
    workflow.assign_to_self(ticket, by=colleague)
    before = snapshot(ticket)

    response = post(agent_client, ticket, action, version=seen, **fields)

    assert response.status_code == 409
    assert "changed while you were working on it" in text(response)
    assert snapshot(ticket) == before
    if action == "resolve":
        assert "MY-SOLUTION" in text(response)


# Who may do what --------------------------------------------------------------------------------------------


ATTACK_FIELDS = {
    "reply": {"body": "hacked"},
    "note": {"body": "hacked"},
    "assign": {"assignee": ""},
    "team": {"team": ""},
    "details": {"subject": "hacked", "kind": "bug", "priority": "urgent", "category": ""},
    "people": {"requester_name": "hacked", "requester_email": "hacked@example.com"},
    "resolve": {"code": "", "solution": "hacked"},
    "abandon": {"confirm": "on"},
}


def login_as(client, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


@pytest.mark.parametrize("who", ["anonymous", "wagtail_editor", "requester", "outsider_agent"])
def test_others_cannot_see_the_workspace(client, request, ticket, conversation, who):
    login_as(client, request, who)

    for url in (workspace_url(ticket), reverse("wagtail_support_admin:ticket_history", args=[ticket.pk])):
        response = client.get(url)
        assert response.status_code in (302, 404)
        assert b"INTERNAL-NOTE" not in response.content
        if response.status_code == 302:
            assert "/admin/login/" in response.url or response.url == reverse("wagtailadmin_home")


@pytest.mark.parametrize("who", ["anonymous", "wagtail_editor", "requester", "outsider_agent"])
@pytest.mark.parametrize("action", ACTIONS)
def test_others_cannot_act(client, request, ticket, other_team, who, action):
    login_as(client, request, who)
    fields = dict(ATTACK_FIELDS.get(action, {}))
    if action == "team":
        fields["team"] = other_team.pk
    before = snapshot(ticket)

    response = post(client, ticket, action, **fields)

    assert response.status_code in (302, 403, 404)
    if who == "outsider_agent":
        assert response.status_code == 404
    if who in ("anonymous", "requester"):
        assert "/admin/login/" in response.url
    if who == "wagtail_editor":
        assert response.url == reverse("wagtailadmin_home")
    assert snapshot(ticket) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_guessed_ids_are_404_for_an_agent(agent_client, ticket, other_team, action):
    guessed = factories.open_ticket(
        subject="Other team", requester_name="X", requester_email="x@example.com", team=other_team
    )
    before = snapshot(guessed)

    for pk in (guessed.pk, guessed.pk + 1000):
        data = form_data(guessed, action, **ATTACK_FIELDS.get(action, {}))
        assert agent_client.post(action_url(pk, action), data).status_code == 404
        assert agent_client.get(workspace_url(pk)).status_code == 404

    assert snapshot(guessed) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_get_on_an_action_changes_nothing(agent_client, ticket, action):
    before = snapshot(ticket)

    response = agent_client.get(action_url(ticket, action), form_data(ticket, action, **ATTACK_FIELDS.get(action, {})))

    assert response.status_code == 405
    assert snapshot(ticket) == before


def test_actions_need_the_csrf_token(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    before = snapshot(ticket)

    response = post(client, ticket, "note", body="no token")

    assert response.status_code == 403
    assert snapshot(ticket) == before


# A fixed number of queries ----------------------------------------------------------------------------------


def _grow_conversation(ticket, agent, requester, count):
    """``count`` messages in all (half replies, half notes), a few with attachments."""
    existing = ticket.messages.count()
    Message.objects.bulk_create(
        Message(
            ticket=ticket,
            author_user=agent if i % 2 else requester,
            author_role="agent" if i % 2 else "requester",
            body=f"Message {i}",
            visibility="internal" if i % 4 == 1 else "public",
        )
        for i in range(count - existing - 3)
    )
    for i in range(3):
        workflow.reply(
            ticket,
            by=agent,
            body=f"With files {i}",
            internal=bool(i % 2),
            attachments=[png_upload(), png_upload("b.png")],
        )
    assert ticket.messages.count() == count


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


# +1 for the people in copy and the addresses proposed from the requester's mail (one UNION query).
# +1 for the requester's rating of each closing (the aside's "Satisfaction": one query, whatever their number;
# an open ticket reopened after a rating still shows its history, so it is read for every ticket).
WORKSPACE_QUERIES = 28


def test_workspace_runs_a_fixed_number_of_queries(
    agent_client, agent, requester, category, django_assert_max_num_queries
):
    small = factories.open_ticket(requester, category=category)
    large = factories.open_ticket(requester, category=category)
    _grow_conversation(small, agent, requester, 10)
    _grow_conversation(large, agent, requester, 200)
    agent_client.get(workspace_url(small))  # warm caches (content types, permissions) once

    small_count, _ = _count_queries(agent_client, workspace_url(small))
    large_count, response = _count_queries(agent_client, workspace_url(large))

    assert small_count == large_count
    # 23 before the one form; +1 for the agent's draft (ReplyDraft, one query); +1 for the unassigned count
    # on the Support menu item (every admin page); +1 for the Settings menu's site permissions (Settings ›
    # Support, a site setting, on every admin page). Presence reads the cache only; the one form's properties
    # reuse the queries of the old Assign, Team and Details forms.
    assert large_count == WORKSPACE_QUERIES, large_count
    assert Attachment.objects.filter(message__ticket=large).count() == 6
    # The first message and the 50 newest; the bar between them says how many are left out.
    page = text(response)
    assert page.count('class="wsw-message ') == 51
    assert "149 earlier messages are not shown." in page
    all_count, response = _count_queries(agent_client, workspace_url(large) + "?latest=all")
    assert all_count == large_count
    assert text(response).count('class="wsw-message ') == 200
    assert "earlier messages are not shown" not in text(response)
    with django_assert_max_num_queries(large_count):
        agent_client.get(workspace_url(large, show="internal"))
    print(f"\nworkspace queries: 10 messages -> {small_count}, 200 messages -> {large_count}")


def test_ticket_without_a_team_for_a_supervisor(client, settings, supervisor, agent, outsider_agent):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = ""
    ticket = factories.open_ticket(subject="No team", requester_name="Ann", requester_email="ann@example.com")
    assert ticket.team is None
    client.force_login(supervisor)

    page = text(client.get(workspace_url(ticket)))

    assert "No team" in page
    start = page.index('name="assignee"')
    select = page[start : page.index("</select>", start)]
    # Anyone who works tickets may take a ticket no team owns.
    assert "Alice Agent" in select and "Oscar Outsider" in select and "Sue Supervisor" in select


def test_workspace_in_french(agent_client, agent, ticket):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(agent)
    profile.preferred_language = "fr"
    profile.save()
    workflow.reply(ticket, by=agent, body="Note", internal=True)

    page = text(agent_client.get(workspace_url(ticket)))

    # (The conversation switch's labels are being reworded: they are not checked here.)
    for french in ("Annuler", "Abandonner", "Historique"):
        assert french.replace("'", "&#x27;") in page or french in page, french
    assert "Abandon the ticket" not in page and "Discards the draft" not in page


def test_history_names_a_requester_without_an_account(agent_client, agent, anon_ticket):
    workflow.reply(anon_ticket, by=agent, body="Which browser?", set_pending=True)
    link = access.make_link_token(anon_ticket)
    workflow.reply(anon_ticket, by=workflow.Actor(link_token=link), body="Firefox, on Linux.")

    response = agent_client.get(reverse("wagtail_support_admin:ticket_history", args=[anon_ticket.pk]))

    page = text(response)
    row = page[page.index("The requester replied") :]
    assert anon_ticket.requester_email in row[: row.index("</tr>")]
    assert "Back to the ticket" in page
