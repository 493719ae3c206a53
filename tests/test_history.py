"""Every change of a ticket leaves a Wagtail log entry: the right action, the right user and a message a
person can read in the ticket's history (the formatters registered in ``wagtail_hooks``)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from tests import factories
from wagtail_support import access, workflow
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db

PREFIX = "wagtail_support.ticket."
SOLUTION = "Reset the password."


def history(ticket):
    """The ticket's log entries, oldest first."""
    return list(registry.get_logs_for_instance(ticket).order_by("timestamp", "pk"))


def new_entries(ticket, before):
    return history(ticket)[len(before) :]


def summary(entries):
    """(action without the prefix, user, lower-cased message) of each entry."""
    return [(e.action.removeprefix(PREFIX), e.user, str(e.message).lower()) for e in entries]


def test_entries_are_wagtail_model_log_entries_of_the_ticket(ticket):
    (entry,) = history(ticket)

    assert isinstance(entry, ModelLogEntry)
    assert entry.content_type == ContentType.objects.get_for_model(Ticket)
    assert entry.object_id == str(ticket.pk)
    assert entry.label == f"{ticket.reference} Cannot log in"
    assert entry.data["reference"] == ticket.reference


def test_open_by_the_requester(ticket, requester):
    assert summary(history(ticket)) == [("open", requester, "ticket opened (web)")]


def test_open_by_an_anonymous_requester(anon_ticket):
    assert summary(history(anon_ticket)) == [("open", None, "ticket opened (web)")]


def test_open_on_behalf_of_the_requester(agent, requester, category):
    ticket = factories.open_ticket(requester, by=agent, category=category, channel=Ticket.Channel.PHONE)

    assert summary(history(ticket)) == [
        ("open", agent, "opened the ticket on behalf of the requester (phone)")
    ]


def test_agent_reply(ticket, agent):
    before = history(ticket)

    workflow.reply(ticket, by=agent, body="Which browser?")

    assert summary(new_entries(ticket, before)) == [("reply", agent, "replied to the requester")]


def test_agent_reply_waiting_on_the_requester(ticket, agent):
    before = history(ticket)

    workflow.reply(ticket, by=agent, body="Which browser?", set_pending=True)

    assert summary(new_entries(ticket, before)) == [
        ("reply", agent, "replied to the requester"),
        ("status", agent, "status: open → pending"),
    ]


def test_internal_note(ticket, agent):
    before = history(ticket)

    workflow.reply(ticket, by=agent, body="Looks like the SSO again.", internal=True)

    assert summary(new_entries(ticket, before)) == [("note", agent, "wrote an internal note")]


def test_requester_reply_to_a_pending_ticket(ticket, agent, requester):
    workflow.set_pending(ticket, by=agent)
    before = history(ticket)

    workflow.reply(ticket, by=requester, body="Firefox 140.")

    assert summary(new_entries(ticket, before)) == [
        ("reply", requester, "the requester replied"),
        ("status", requester, "status: pending → open"),
    ]


def test_requester_reply_reopening_a_closed_ticket(ticket, agent, requester, resolution_code):
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
    before = history(ticket)

    workflow.reply(ticket, by=requester, body="It is broken again.")

    entries = new_entries(ticket, before)
    assert summary(entries) == [
        ("reply", requester, "the requester replied"),
        ("status", requester, "status: closed → open"),
    ]
    assert entries[1].data["move"] == "reopen"


def test_anonymous_reply_through_a_signed_link_is_logged_without_a_user(anon_ticket):
    before = history(anon_ticket)

    workflow.reply(anon_ticket, by=workflow.Actor(link_token=access.make_link_token(anon_ticket)), body="Any news?")

    assert summary(new_entries(anon_ticket, before)) == [("reply", None, "the requester replied")]


def test_set_pending(ticket, agent):
    before = history(ticket)

    workflow.set_pending(ticket, by=agent)

    assert summary(new_entries(ticket, before)) == [("status", agent, "status: open → pending")]


def test_self_assign(ticket, agent):
    before = history(ticket)

    workflow.assign_to_self(ticket, by=agent)

    assert summary(new_entries(ticket, before)) == [("assign", agent, "assigned the ticket to themselves")]


def test_assign_to_someone_else_and_unassign(ticket, agent, supervisor):
    before = history(ticket)

    workflow.assign(ticket, to=agent, by=supervisor)
    workflow.assign(ticket, to=None, by=supervisor)

    assert summary(new_entries(ticket, before)) == [
        ("assign", supervisor, "assignee: — → alice agent"),
        ("assign", supervisor, "assignee: alice agent → —"),
    ]


def test_change_team_logs_the_team_and_the_removed_assignee(ticket, agent, other_team):
    workflow.assign_to_self(ticket, by=agent)
    before = history(ticket)

    workflow.change_team(ticket, team=other_team, by=agent)

    assert summary(new_entries(ticket, before)) == [
        ("team", agent, "support team: helpdesk → billing"),
        ("assign", agent, "assignee: alice agent → —"),
    ]


def test_change_details(ticket, agent):
    before = history(ticket)

    workflow.change_details(ticket, by=agent, priority=Ticket.Priority.HIGH, subject="Login loop")

    ((action, user, message),) = summary(new_entries(ticket, before))
    assert (action, user) == ("update", agent)
    assert "priority: normal → high" in message
    assert "subject: cannot log in → login loop" in message


def test_resolve(ticket, agent, resolution_code):
    before = history(ticket)

    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    assert summary(new_entries(ticket, before)) == [
        ("resolve", agent, "resolved the ticket (fixed)"),
        ("status", agent, "status: open → closed"),
    ]


def test_abandon(ticket, agent):
    workflow.set_pending(ticket, by=agent)
    before = history(ticket)

    workflow.abandon(ticket, by=agent)

    assert summary(new_entries(ticket, before)) == [
        ("abandon", agent, "abandoned the ticket (closed with no follow-up)"),
        ("status", agent, "status: pending → closed"),
    ]


def test_close_by_the_requester(ticket, requester):
    before = history(ticket)

    workflow.close_by_requester(ticket, by=requester)

    assert summary(new_entries(ticket, before)) == [
        ("close", requester, "the requester closed the ticket"),
        ("status", requester, "status: open → closed"),
    ]


@pytest.mark.parametrize("who", ["agent", "requester"])
def test_reopen(ticket, agent, requester, resolution_code, who):
    actor = {"agent": agent, "requester": requester}[who]
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
    before = history(ticket)

    workflow.reopen(ticket, by=actor)

    entries = new_entries(ticket, before)
    assert summary(entries) == [
        ("reopen", actor, "reopened the ticket"),
        ("status", actor, "status: closed → open"),
    ]
    assert entries[0].data["previous"] == {"reason": "resolved", "code": "fixed"}


def test_a_whole_conversation_reads_in_order(ticket, agent, requester, resolution_code):
    workflow.assign_to_self(ticket, by=agent)
    workflow.reply(ticket, by=agent, body="Which browser?", set_pending=True)
    workflow.reply(ticket, by=requester, body="Firefox.")
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    assert [a for a, _u, _m in summary(history(ticket))] == [
        "open",
        "assign",
        "reply",
        "status",
        "reply",
        "status",
        "resolve",
        "status",
    ]


REFUSED = {
    "illegal transition": lambda t, c: workflow.reopen(t, by=c["agent"]),
    "not allowed": lambda t, c: workflow.resolve(t, code=c["code"], solution=SOLUTION, by=c["requester"]),
    "invalid input": lambda t, c: workflow.assign(t, to=c["requester"], by=c["agent"]),
    "stale version": lambda t, c: workflow.reply(t, by=c["agent"], body="Hi", expected_version=99),
    "reopen window expired": lambda t, c: workflow.reply(t, by=c["requester"], body="Again?"),
}


@pytest.mark.parametrize("refusal", list(REFUSED))
def test_a_refused_move_leaves_no_entry(ticket, agent, requester, resolution_code, settings, refusal):
    if refusal == "reopen window expired":
        settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 0
        workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
    before = history(ticket)

    with pytest.raises(workflow.WorkflowError):
        REFUSED[refusal](ticket, {"agent": agent, "requester": requester, "code": resolution_code})

    assert history(ticket) == before


# One row per action, in the workspace and on the history page ------------------------------------------


from bs4 import BeautifulSoup  # noqa: E402
from django.urls import reverse  # noqa: E402

from wagtail_support.admin.history import history_rows  # noqa: E402


def workspace_rows(client, ticket):
    page = BeautifulSoup(client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content, "html.parser")
    return [li.select_one(".wsw-history__what").get_text(strip=True) for li in page.select(".wsw-history__entry")]


def history_page_rows(client, ticket, **params):
    response = client.get(reverse("wagtail_support_admin:ticket_history", args=[ticket.pk]), params)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    return [row.select("td")[0].get_text(" ", strip=True) for row in page.select("table tbody tr")]


def test_a_requester_reply_that_reopens_is_one_row_with_an_arrow(ticket, agent, requester):
    # Outside the admin (no request log context): the entries of one move share its version.
    workflow.set_pending(ticket, by=agent)
    workflow.reply(ticket, by=requester, body="Firefox 140.")

    rows = history_rows(list(reversed(history(ticket))))

    assert [row.message for row in rows] == [
        "The requester replied, Status: Pending → Open",
        "Status: Open → Pending",
        "Ticket opened (Web)",
    ]
    assert rows[0].user == requester and rows[0].action == f"{PREFIX}reply"


def test_the_workspace_and_the_history_page_show_one_row_per_action(client, ticket, agent, supervisor, colleague, resolution_code):
    client.force_login(agent)
    workflow.change_details(ticket, by=agent, priority=Ticket.Priority.HIGH)
    workflow.reply(ticket, by=agent, body="Which browser?", set_pending=True)
    workflow.assign(ticket, to=colleague, by=supervisor)
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    expected = [
        "Resolved the ticket (Fixed), Status: Pending → Closed",
        "Assignee: — → Carl Colleague",
        "Replied to the requester, Status: Open → Pending",
        "Priority: Normal → High",
        "Ticket opened (Web)",
    ]
    assert workspace_rows(client, ticket) == expected
    assert history_page_rows(client, ticket) == expected
    assert len(history(ticket)) == 7  # the entries themselves stay one per change (filters use them)


def test_two_changes_in_one_admin_request_read_as_one_row(client, ticket, agent, other_team):
    # The workspace posts one form that may make several moves: Wagtail's request log context ties them.
    from wagtail.log_actions import LogContext

    workflow.assign_to_self(ticket, by=agent)
    with LogContext(user=agent):
        workflow.change_details(ticket, by=agent, priority=Ticket.Priority.URGENT)
        workflow.change_team(ticket, team=other_team, by=agent)
    client.force_login(agent)

    rows = history_rows(list(reversed(history(ticket))))

    assert rows[0].message == (
        "Priority: Normal → Urgent, Support team: Helpdesk → Billing, Assignee: Alice Agent → —"
    )
    assert [row.message for row in rows[1:]] == ["Assigned the ticket to themselves", "Ticket opened (Web)"]


def test_filtering_the_history_by_action_shows_each_entry(client, ticket, agent):
    workflow.reply(ticket, by=agent, body="Which browser?", set_pending=True)
    client.force_login(agent)

    assert history_page_rows(client, ticket, action=f"{PREFIX}status") == ["Status: Open → Pending"]
    assert history_page_rows(client, ticket, action=f"{PREFIX}reply") == ["Replied to the requester"]


def test_display_values_not_codes(ticket, agent, category):
    other = factories.make_category("Invoices", parent=category)
    workflow.change_details(ticket, by=agent, kind=Ticket.Kind.BUG, category=other)

    message = str(history(ticket)[-1].message)

    assert "Type: Question → Bug" in message
    assert "Accounts › Invoices" in message and "->" not in message and "bug" not in message.split("→")[0]
