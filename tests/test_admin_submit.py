"""The workspace's one submit ("Submit as"), precise conflicts, drafts kept on the server, and presence.

Through the admin client as agents, on the real database and Anymail's test backend: the message and the
ticket's properties go through ``workflow.submit`` in one move with the status after it; a post made on
an older version is applied when its own changes do not touch what changed, and otherwise refused with
the change named (field, old -> new, who) and the draft kept; drafts are saved, restored, discarded and
deleted with the message sent; presence comes from the cache in a fixed, small number of queries; an
agent who may not see a ticket reaches neither its draft nor its presence.
"""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.log_actions import registry

from tests import factories
from wagtail_support import presence, workflow
from wagtail_support.conf import support_settings
from wagtail_support.models import Message, ReplyDraft, Ticket

pytestmark = pytest.mark.django_db

PREFIX = "wagtail_support.ticket."


def submit_url(ticket):
    return reverse("wagtail_support_admin:ticket_action", args=[ticket.pk, "submit"])


def draft_url(ticket):
    return reverse("wagtail_support_admin:ticket_draft", args=[ticket.pk])


def presence_url(ticket):
    return reverse("wagtail_support:ticket_presence", args=[ticket.pk])


def workspace_url(ticket):
    return reverse("wagtail_support_admin:ticket", args=[ticket.pk])


def page_form(client, ticket):
    """The one form's hidden fields and current values, as the page shows them."""
    page = client.get(workspace_url(ticket)).content.decode()
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    seen = re.search(r'name="seen" value="([^"]*)"', page).group(1).replace("&quot;", '"')
    return {"version": version, "seen": seen}, page


def send(client, ticket, form=None, **fields):
    data = dict(form) if form is not None else page_form(client, ticket)[0]
    data.update({key: value for key, value in fields.items() if value is not None})
    return client.post(submit_url(ticket), data)


def flashes(response):
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", str(m))).strip() for m in get_messages(response.wsgi_request)]


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def actions_since(ticket, count):
    entries = list(registry.get_logs_for_instance(ticket).order_by("timestamp", "pk"))
    return [entry.action.removeprefix(PREFIX) for entry in entries[count:]]


def log_count(ticket):
    return registry.get_logs_for_instance(ticket).count()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def sue(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


@pytest.fixture(autouse=True)
def _clear_presence():
    caches[support_settings.RATE_LIMIT_CACHE].clear()
    yield
    caches[support_settings.RATE_LIMIT_CACHE].clear()


# One submit, each status after it -------------------------------------------------------------------------


def test_reply_with_properties_and_keep_open_is_one_move(agent_client, agent, colleague, ticket):
    before = log_count(ticket)

    response = send(agent_client, ticket, body="We are on it.", mode="public", then="open", assignee=colleague.pk, priority="high")

    ticket.refresh_from_db()
    message = ticket.messages.last()
    assert response.status_code == 302 and response.url.endswith(f"#message-{message.pk}")
    assert (ticket.assignee, ticket.priority, ticket.status) == (colleague, "high", Ticket.Status.OPEN)
    assert (message.body, message.visibility) == ("We are on it.", Message.Visibility.PUBLIC)
    # One log entry per action, in one move.
    assert actions_since(ticket, before) == ["assign", "update", "reply"]
    assert "Reply sent to the requester" in flashes(response)[0] and "Properties of ticket" in flashes(response)[0]


def test_reply_then_pending_sends_one_mail(agent_client, ticket, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(agent_client, ticket, body="Which browser?", then="pending")

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == Ticket.Status.PENDING
    to_requester = [m for m in mail.outbox if "requester@example.com" in m.to]
    assert len(to_requester) == 1 and "Which browser?" in to_requester[0].body


def test_resolve_with_a_reply_mails_the_solution(agent_client, ticket, resolution_code, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            agent_client, ticket, body="Done on our side.", then="resolve", code=resolution_code.pk, solution="Reset it."
        )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.close_reason, ticket.solution) == (Ticket.Status.CLOSED, "resolved", "Reset it.")
    assert any("Reset it." in m.body and "requester@example.com" in m.to for m in mail.outbox)


@pytest.mark.parametrize("missing", ["code", "solution"])
def test_resolve_needs_code_and_solution_and_keeps_everything(agent_client, ticket, resolution_code, missing):
    fields = {"code": resolution_code.pk, "solution": "MY-SOLUTION"}
    fields[missing] = ""
    before = (Ticket.objects.get(pk=ticket.pk).version, Message.objects.count())

    response = send(agent_client, ticket, body="MY-DRAFT", then="resolve", **fields)

    assert response.status_code == 400
    page = text(response)
    assert "MY-DRAFT" in page
    # The resolution fields are open (not hidden) when they need fixing.
    assert re.search(r'id="wsw-resolve" data-wsw-resolve>', page)
    assert (Ticket.objects.get(pk=ticket.pk).version, Message.objects.count()) == before
    assert ReplyDraft.objects.get(ticket=ticket).body == "MY-DRAFT"


def test_property_only_change_keeps_the_text_as_a_draft(agent_client, agent, colleague, ticket):
    response = send(agent_client, ticket, body="HALF-WRITTEN", mode="internal", only="1", assignee=colleague.pk)

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.assignee == colleague
    assert ticket.messages.count() == 1  # nothing sent
    draft = ReplyDraft.objects.get(ticket=ticket, user=agent)
    assert (draft.body, draft.mode) == ("HALF-WRITTEN", "internal")
    # The page comes back with the text and its mode.
    page = text(agent_client.get(workspace_url(ticket)))
    assert "HALF-WRITTEN" in page
    assert re.search(r'<input type="radio" name="mode" value="internal"[^>]*checked', page)
    assert 'data-wsw-mode="internal"' in page


def test_property_change_without_a_message(agent_client, ticket, other_team, supervisor):
    sue = Client()
    sue.force_login(supervisor)

    response = send(sue, ticket, then="open", team=other_team.pk, kind="bug")

    ticket.refresh_from_db()
    assert response.status_code == 302 and response.url.endswith("#composer")
    assert (ticket.team, ticket.kind, ticket.messages.count()) == (other_team, "bug", 1)


def test_internal_note_submitted_as_pending_never_reaches_the_requester(
    agent_client, ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(agent_client, ticket, body="SECRET-NOTE: their admin broke it", mode="internal", then="pending")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.messages.last().is_internal
    for sent in mail.outbox:
        assert "SECRET-NOTE" not in sent.body and "SECRET-NOTE" not in str(sent.alternatives)


# Conflicts --------------------------------------------------------------------------------------------------


def test_reply_is_applied_when_only_properties_changed_meanwhile(agent_client, ticket, supervisor):
    form, _page = page_form(agent_client, ticket)
    workflow.change_details(ticket, by=supervisor, priority="high")

    response = send(agent_client, ticket, form, body="Here is the fix.", then="open", priority="normal")

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.messages.last().body == "Here is the fix."
    # The agent did not touch the priority (the form still showed "normal"): the supervisor's change stays.
    assert ticket.priority == "high"
    said = " ".join(flashes(response))
    assert "Meanwhile" in said and "Priority: Normal → High (by Sue Supervisor)" in said


def test_conflicting_property_is_refused_naming_the_change(agent_client, agent, ticket, supervisor):
    form, _page = page_form(agent_client, ticket)
    workflow.change_details(ticket, by=supervisor, priority="high")
    before = (Ticket.objects.get(pk=ticket.pk).version, Message.objects.count())

    response = send(agent_client, ticket, form, body="MY-DRAFT: raising it", then="open", priority="urgent")

    assert response.status_code == 409
    page = text(response)
    assert "Nothing was applied and your draft is kept" in page
    assert "Priority: Normal → High (by Sue Supervisor)" in page
    assert "MY-DRAFT: raising it" in page
    assert (Ticket.objects.get(pk=ticket.pk).version, Message.objects.count()) == before
    assert ReplyDraft.objects.get(ticket=ticket, user=agent).body == "MY-DRAFT: raising it"
    # The form now carries the current version, and the priority as it is now.
    ticket.refresh_from_db()
    assert f'name="version" value="{ticket.version}"' in page
    assert re.search(r'name="priority"[^>]*><option value="low">Low</option><option value="normal">Normal</option><option value="high" selected>', page)

    # Sent again from that page, it goes through.
    form = {"version": ticket.version, "seen": json.dumps(workflow.seen_values(ticket))}
    response = send(agent_client, ticket, form, body="MY-DRAFT: raising it", then="open", priority="urgent")
    ticket.refresh_from_db()
    assert response.status_code == 302 and ticket.priority == "urgent"
    assert not ReplyDraft.objects.filter(ticket=ticket).exists()


def test_public_reply_after_a_new_requester_message_is_held(agent_client, requester, ticket):
    form, _page = page_form(agent_client, ticket)
    workflow.reply(ticket, by=requester, body="REQUESTER-ADDED: it works on Firefox.")

    response = send(agent_client, ticket, form, body="MY-REPLY", then="open")

    assert response.status_code == 409
    page = text(response)
    assert "Rita Requester wrote a new public message" in page
    assert "REQUESTER-ADDED" in page and "MY-REPLY" in page
    assert not ticket.messages.filter(body="MY-REPLY").exists()


def test_internal_note_after_a_new_requester_message_is_applied(agent_client, requester, ticket):
    form, _page = page_form(agent_client, ticket)
    workflow.reply(ticket, by=requester, body="It works on Firefox.")

    response = send(agent_client, ticket, form, body="Noted for the team.", mode="internal", then="open")

    assert response.status_code == 302
    assert ticket.messages.last().body == "Noted for the team."


def test_status_changed_meanwhile_conflicts_with_a_status_change(agent_client, agent, colleague, ticket):
    form, _page = page_form(agent_client, ticket)
    workflow.set_pending(ticket, by=colleague)

    response = send(agent_client, ticket, form, then="pending", assignee=agent.pk)

    # Pending is what the colleague did too: no conflict; the assignment goes through.
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.PENDING, agent)


def test_without_seen_any_change_meanwhile_is_refused(agent_client, colleague, ticket):
    version = ticket.version
    workflow.assign_to_self(ticket, by=colleague)

    response = agent_client.post(submit_url(ticket), {"version": version, "body": "MY-DRAFT", "then": "open"})

    assert response.status_code == 409
    assert "Nothing was applied" in text(response) and "MY-DRAFT" in text(response)


# Drafts -----------------------------------------------------------------------------------------------------


def test_draft_saved_restored_and_discarded(agent_client, agent, ticket):
    response = agent_client.post(
        draft_url(ticket), {"body": "Half a sentence", "mode": "internal"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 200 and response.json()["saved"] is True

    # Another device: the same account, a new session.
    other_device = Client()
    other_device.force_login(agent)
    page = text(other_device.get(workspace_url(ticket)))
    assert "Half a sentence" in page and "Draft saved" in page
    assert re.search(r'name="mode" value="internal"[^>]*checked', page)

    # "Cancel" without the script: a plain post, back to the ticket; the draft is gone.
    response = agent_client.post(draft_url(ticket), {"discard": "1"})
    assert response.status_code == 302 and response.url.endswith("#composer")
    assert not ReplyDraft.objects.filter(ticket=ticket).exists()
    assert "Half a sentence" not in text(agent_client.get(workspace_url(ticket)))


def test_draft_is_deleted_with_the_message_sent(agent_client, agent, ticket):
    agent_client.post(draft_url(ticket), {"body": "Final answer", "mode": "public"}, headers={"X-Requested-With": "fetch"})

    response = send(agent_client, ticket, body="Final answer", then="open")

    assert response.status_code == 302
    assert not ReplyDraft.objects.filter(ticket=ticket, user=agent).exists()


def test_a_refused_reply_keeps_the_draft(agent_client, agent, ticket, resolution_code):
    workflow.resolve(ticket, code=resolution_code, solution="Done.", by=agent)

    response = send(agent_client, ticket, body="MY-LATE-REPLY")  # public, on a closed ticket

    assert response.status_code == 400
    assert "MY-LATE-REPLY" in text(response)
    assert ReplyDraft.objects.get(ticket=ticket, user=agent).body == "MY-LATE-REPLY"


def test_drafts_are_per_agent(agent_client, agent, colleague, ticket):
    agent_client.post(draft_url(ticket), {"body": "ALICE-DRAFT"}, headers={"X-Requested-With": "fetch"})
    carl = Client()
    carl.force_login(colleague)

    assert "ALICE-DRAFT" not in text(carl.get(workspace_url(ticket)))
    carl.post(draft_url(ticket), {"discard": "1"})
    assert ReplyDraft.objects.get(ticket=ticket).body == "ALICE-DRAFT"


@pytest.mark.parametrize("who", ["outsider_agent", "requester", "anonymous"])
def test_others_cannot_read_or_write_a_draft(client, request, agent, ticket, who):
    ReplyDraft.objects.create(ticket=ticket, user=agent, body="ALICE-SECRET")
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    for data in ({"body": "overwritten"}, {"discard": "1"}):
        response = client.post(draft_url(ticket), data, headers={"X-Requested-With": "fetch"})
        assert response.status_code in (302, 403, 404)
        assert b"ALICE-SECRET" not in response.content
    if who == "outsider_agent":
        assert response.status_code == 404
    assert ReplyDraft.objects.get(ticket=ticket).body == "ALICE-SECRET"
    assert list(ReplyDraft.objects.values_list("user_id", flat=True)) == [agent.pk]


def test_draft_needs_the_csrf_token(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    assert client.post(draft_url(ticket), {"body": "x"}).status_code == 403
    assert not ReplyDraft.objects.exists()


# Presence ---------------------------------------------------------------------------------------------------


def presence_token(client, ticket):
    page = client.get(workspace_url(ticket)).content.decode()
    return re.search(r'data-wsw-presence-token-value="([^"]+)"', page).group(1)


def test_presence_names_the_others(agent_client, agent, supervisor, ticket):
    sue = Client()
    sue.force_login(supervisor)
    sue_token = presence_token(sue, ticket)

    # Alice opens the ticket: the page already says Sue is viewing it.
    page = text(agent_client.get(workspace_url(ticket)))
    assert "Sue Supervisor is viewing" in page

    alice_token = presence_token(agent_client, ticket)
    agent_client.post(presence_url(ticket), {"token": alice_token, "state": "replying"})
    response = sue.post(presence_url(ticket), {"token": sue_token, "state": "viewing"})
    assert response.status_code == 200
    assert response.json()["others"] == [{"name": "Alice Agent", "state": "replying", "text": "Alice Agent is replying"}]

    # Alice leaves: Sue sees nobody.
    agent_client.post(presence_url(ticket), {"token": alice_token, "state": "gone"})
    assert sue.post(presence_url(ticket), {"token": sue_token, "state": "viewing"}).json()["others"] == []


def test_presence_entries_expire(agent_client, supervisor, ticket, monkeypatch):
    sue = Client()
    sue.force_login(supervisor)
    sue_token = presence_token(sue, ticket)
    token = presence_token(agent_client, ticket)
    clock = [presence.time.time()]
    monkeypatch.setattr(presence.time, "time", lambda: clock[0])

    clock[0] += presence.PRESENCE_TTL + 1
    assert agent_client.post(presence_url(ticket), {"token": token, "state": "viewing"}).json()["others"] == []
    assert sue_token


def test_presence_poll_costs_at_most_two_queries(agent_client, agent, ticket):
    token = presence_token(agent_client, ticket)
    agent_client.post(presence_url(ticket), {"token": token, "state": "viewing"})  # warm the session and caches

    with CaptureQueriesContext(connection) as queries:
        response = agent_client.post(presence_url(ticket), {"token": token, "state": "replying"})

    assert response.status_code == 200
    print(f"\npresence poll queries: {len(queries)}: " + " | ".join(q["sql"][:60] for q in queries))
    assert len(queries) <= 2


@pytest.mark.parametrize("who", ["outsider_agent", "requester", "anonymous"])
def test_others_cannot_read_or_write_presence(client, request, agent, ticket, other_team, who):
    alice = Client()
    alice.force_login(agent)
    alice_token = presence_token(alice, ticket)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    # Their own page is refused; a token of theirs for another ticket, or Alice's token, proves nothing.
    assert client.get(workspace_url(ticket)).status_code in (302, 404)
    theirs = factories.open_ticket(subject="Billing", requester_name="X", requester_email="x@example.com", team=other_team)
    tokens = [alice_token, presence.make_token(theirs, agent), "forged", ""]
    if who == "outsider_agent":
        tokens.append(presence.make_token(theirs, request.getfixturevalue(who)))

    for token in tokens:
        response = client.post(presence_url(ticket), {"token": token, "state": "replying"})
        assert response.status_code in (302, 403)
        assert b"Alice" not in response.content
    # Nobody was recorded on Alice's ticket but Alice.
    assert alice.post(presence_url(ticket), {"token": alice_token, "state": "viewing"}).json()["others"] == []


# The move itself (workflow.submit) -------------------------------------------------------------------------


def test_submit_is_all_or_nothing(agent, colleague, ticket):
    seen = workflow.seen_values(ticket)
    version = ticket.version
    before = log_count(ticket)

    # The assignment and the message are valid; the status after it is not (the ticket is closed meanwhile
    # by this same post's checks: "pending" from closed). Nothing of the post stays.
    ticket.status = Ticket.Status.CLOSED
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    with pytest.raises(workflow.IllegalTransition):
        workflow.submit(
            ticket, by=agent, expected_version=version, seen={**seen, "status": "closed"},
            changes={"assignee": colleague}, body="Some text", internal=True, then="pending",
        )

    ticket.refresh_from_db()
    assert (ticket.version, ticket.assignee, ticket.messages.count(), log_count(ticket)) == (version, None, 1, before)


def test_conflict_lists_every_change_and_who(agent, supervisor, colleague, ticket):
    seen, version = workflow.seen_values(ticket), ticket.version
    workflow.change_details(ticket, by=supervisor, priority="urgent", kind="bug")
    workflow.assign(ticket, to=colleague, by=supervisor)

    with pytest.raises(workflow.ConflictingChanges) as refused:
        workflow.submit(ticket, by=agent, expected_version=version, seen=seen, changes={"kind": "billing"}, body="x")

    assert [(c.field, c.old, c.new, c.by) for c in refused.value.conflicts] == [("kind", "Question", "Bug", "Sue Supervisor")]
    assert {(c.field, c.old, c.new, c.by) for c in refused.value.changes} == {
        ("kind", "Question", "Bug", "Sue Supervisor"),
        ("priority", "Normal", "Urgent", "Sue Supervisor"),
        ("assignee", "-", "Carl Colleague", "Sue Supervisor"),
    }
