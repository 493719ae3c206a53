"""The ticket lifecycle of docs/architecture.md, enforced by ``wagtail_support.workflow``.

Every move is tried from every state (open, pending, closed); a legal move must land in the state of
the lifecycle table and record it (status, close fields, version, updated_at), an illegal or refused
move must raise its domain error and leave the ticket exactly as it was.
"""

import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from tests import factories
from wagtail_support import access, workflow
from wagtail_support.models import Message, ResolutionCode, Ticket
from wagtail_support.workflow import (
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    ReopenWindowExpired,
    TicketChanged,
)

pytestmark = pytest.mark.django_db

OPEN, PENDING, CLOSED = Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.CLOSED
STATES = [OPEN, PENDING, CLOSED]
SOLUTION = "Your password was reset; use the link we sent you."


def snapshot(ticket):
    """What a person could notice of a ticket: its workflow fields and its conversation."""
    row = Ticket.objects.get(pk=ticket.pk)
    return {
        "status": row.status,
        "version": row.version,
        "updated_at": row.updated_at,
        "closed_at": row.closed_at,
        "close_reason": row.close_reason,
        "resolution_code_id": row.resolution_code_id,
        "solution": row.solution,
        "assignee_id": row.assignee_id,
        "team_id": row.team_id,
        "first_response_at": row.first_response_at,
        "kind": row.kind,
        "priority": row.priority,
        "subject": row.subject,
        "messages": list(row.messages.values_list("pk", flat=True)),
    }


def backdate(ticket, **fields):
    """Move timestamps of ``ticket`` into the past with a queryset update (``closed_at=timedelta``...)."""
    Ticket.objects.filter(pk=ticket.pk).update(**{name: F(name) - delta for name, delta in fields.items()})
    ticket.refresh_from_db()


@pytest.fixture
def bring_to(agent, resolution_code):
    """Put a ticket in ``state`` through the workflow, then age its ``updated_at`` by an hour.

    Closed means resolved by ``agent`` with ``resolution_code``. Ageing ``updated_at`` lets a test
    tell for sure that the next move touched it.
    """

    def bring(ticket, state):
        if state == PENDING:
            workflow.set_pending(ticket, by=agent)
        elif state == CLOSED:
            workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
        backdate(ticket, updated_at=datetime.timedelta(hours=1))
        assert ticket.status == state
        return ticket

    return bring


# The moves of the lifecycle table, by whom they are normally made.
MOVES = {
    "set_pending": lambda t, c: workflow.set_pending(t, by=c["agent"]),
    "requester_reply": lambda t, c: workflow.reply(t, by=c["requester"], body="Here is the screenshot you asked for."),
    "resolve": lambda t, c: workflow.resolve(t, code=c["code"], solution=SOLUTION, by=c["agent"]),
    "abandon": lambda t, c: workflow.abandon(t, by=c["agent"]),
    "close_by_requester": lambda t, c: workflow.close_by_requester(t, by=c["requester"]),
    "reopen_by_agent": lambda t, c: workflow.reopen(t, by=c["agent"]),
    "reopen_by_requester": lambda t, c: workflow.reopen(t, by=c["requester"]),
}

# (move, from) -> to; a pair missing here is an illegal move.
LEGAL = {
    ("set_pending", OPEN): PENDING,
    ("requester_reply", OPEN): OPEN,
    ("requester_reply", PENDING): OPEN,
    ("requester_reply", CLOSED): OPEN,  # inside the reopen window
    ("resolve", OPEN): CLOSED,
    ("resolve", PENDING): CLOSED,
    ("abandon", OPEN): CLOSED,
    ("abandon", PENDING): CLOSED,
    ("close_by_requester", OPEN): CLOSED,
    ("close_by_requester", PENDING): CLOSED,
    ("reopen_by_agent", CLOSED): OPEN,
    ("reopen_by_requester", CLOSED): OPEN,
}


@pytest.fixture
def cast(agent, requester, resolution_code):
    return {"agent": agent, "requester": requester, "code": resolution_code}


# The whole table -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("move", list(MOVES))
def test_every_move_from_every_state(ticket, bring_to, cast, move, state):
    bring_to(ticket, state)
    before = snapshot(ticket)

    if (move, state) in LEGAL:
        MOVES[move](ticket, cast)
        after = snapshot(ticket)
        assert after["status"] == LEGAL[(move, state)]
        assert ticket.status == after["status"], "the caller's instance shows the new state"
        assert after["version"] == before["version"] + 1
        assert after["updated_at"] > before["updated_at"]
        if after["status"] == CLOSED:
            assert after["closed_at"] is not None and after["close_reason"]
        else:
            assert after["closed_at"] is None and after["close_reason"] == ""
            assert after["resolution_code_id"] is None and after["solution"] == ""
    else:
        with pytest.raises(IllegalTransition) as excinfo:
            MOVES[move](ticket, cast)
        assert not isinstance(excinfo.value, ReopenWindowExpired)
        assert str(excinfo.value)
        assert snapshot(ticket) == before


# set_pending -----------------------------------------------------------------------------------------------


def test_set_pending_waits_on_the_requester(ticket, agent):
    workflow.set_pending(ticket, by=agent)

    ticket.refresh_from_db()
    assert ticket.status == PENDING
    assert ticket.closed_at is None
    assert ticket.close_reason == ""
    assert ticket.version == 2


def test_agent_reply_can_wait_on_the_requester(ticket, agent):
    message = workflow.reply(ticket, by=agent, body="Which browser do you use?", set_pending=True)

    ticket.refresh_from_db()
    assert ticket.status == PENDING
    assert message.visibility == Message.Visibility.PUBLIC
    assert message.author_role == Message.AuthorRole.AGENT


# Requester replies -----------------------------------------------------------------------------------------


def test_requester_reply_sets_a_pending_ticket_open(ticket, bring_to, requester):
    bring_to(ticket, PENDING)

    message = workflow.reply(ticket, by=requester, body="I use Firefox.")

    ticket.refresh_from_db()
    assert ticket.status == OPEN
    assert message.author_role == Message.AuthorRole.REQUESTER
    assert message.author_user == requester
    assert message.visibility == Message.Visibility.PUBLIC
    assert list(ticket.messages.values_list("body", flat=True))[-1] == "I use Firefox."


def test_requester_reply_leaves_an_open_ticket_open(ticket, requester):
    workflow.reply(ticket, by=requester, body="One more detail.")

    ticket.refresh_from_db()
    assert ticket.status == OPEN
    assert ticket.messages.count() == 2


def test_anonymous_requester_reply_through_signed_link_sets_pending_ticket_open(anon_ticket, bring_to):
    bring_to(anon_ticket, PENDING)
    actor = workflow.Actor(link_token=access.make_link_token(anon_ticket))

    message = workflow.reply(anon_ticket, by=actor, body="Here is my customer number.")

    anon_ticket.refresh_from_db()
    assert anon_ticket.status == OPEN
    assert message.author_role == Message.AuthorRole.REQUESTER
    assert message.author_user is None
    # The link tells who answers: the team sees the requester, not "(unknown)".
    assert (message.author_name, message.author_email) == ("Ann Onymous", "ann@example.com")
    assert message.author_display == "Ann Onymous"


def test_beneficiary_reply_sets_a_pending_ticket_open(requester, other_requester, category, bring_to):
    ticket = factories.open_ticket(requester, beneficiary=other_requester, category=category)
    bring_to(ticket, PENDING)

    message = workflow.reply(ticket, by=other_requester, body="I am the one who cannot log in.")

    ticket.refresh_from_db()
    assert ticket.status == OPEN
    assert message.author_role == Message.AuthorRole.BENEFICIARY
    assert (message.author_name, message.author_email) == ("Otto Other", "other_requester@example.com")


@pytest.mark.parametrize("close", ["resolve", "abandon", "close_by_requester"])
def test_requester_reply_reopens_a_closed_ticket_inside_the_window(ticket, cast, settings, close):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 3
    MOVES[close](ticket, cast)
    backdate(ticket, closed_at=datetime.timedelta(days=2, hours=23), updated_at=datetime.timedelta(days=3))
    before = snapshot(ticket)

    workflow.reply(ticket, by=cast["requester"], body="It happens again.")

    after = snapshot(ticket)
    assert after["status"] == OPEN
    assert after["closed_at"] is None
    assert after["close_reason"] == ""
    assert after["resolution_code_id"] is None
    assert after["solution"] == ""
    assert after["version"] == before["version"] + 1
    assert after["updated_at"] > before["updated_at"]
    assert len(after["messages"]) == len(before["messages"]) + 1


def test_requester_reply_outside_the_window_is_refused(ticket, bring_to, requester, settings):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 3
    bring_to(ticket, CLOSED)
    backdate(ticket, closed_at=datetime.timedelta(days=3, hours=1))
    before = snapshot(ticket)

    with pytest.raises(ReopenWindowExpired) as excinfo:
        workflow.reply(ticket, by=requester, body="It happens again.")

    assert ticket.reference in str(excinfo.value)
    assert "3" in str(excinfo.value)
    assert snapshot(ticket) == before, "the reply is not stored and the ticket stays closed"


def test_reopen_window_follows_the_setting(ticket, bring_to, requester, settings):
    bring_to(ticket, CLOSED)
    backdate(ticket, closed_at=datetime.timedelta(days=10))
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 7
    with pytest.raises(ReopenWindowExpired):
        workflow.reply(ticket, by=requester, body="Still broken.")

    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 14
    workflow.reply(ticket, by=requester, body="Still broken.")
    assert Ticket.objects.get(pk=ticket.pk).status == OPEN


# Resolve ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [OPEN, PENDING])
def test_resolve_closes_with_code_and_solution(ticket, bring_to, agent, resolution_code, state):
    bring_to(ticket, state)
    started = timezone.now()

    workflow.resolve(ticket, code=resolution_code, solution="  Cleared the browser cache.  ", by=agent)

    ticket.refresh_from_db()
    assert ticket.status == CLOSED
    assert ticket.close_reason == Ticket.CloseReason.RESOLVED
    assert started <= ticket.closed_at <= timezone.now()
    assert ticket.resolution_code == resolution_code
    assert ticket.solution == "Cleared the browser cache."


@pytest.mark.parametrize(
    "code_name, solution, field",
    [
        (None, SOLUTION, "code"),
        ("no-follow-up", SOLUTION, "code"),
        ("inactive", SOLUTION, "code"),
        ("fixed", "", "solution"),
        ("fixed", "   \n ", "solution"),
    ],
)
@pytest.mark.parametrize("state", [OPEN, PENDING])
def test_resolve_refuses_missing_or_wrong_code_or_solution(
    ticket, bring_to, agent, resolution_code, state, code_name, solution, field
):
    codes = {
        None: None,
        "fixed": resolution_code,
        "no-follow-up": ResolutionCode.objects.get(code=ResolutionCode.NO_FOLLOW_UP),
        "inactive": factories.make_code("escalated", "Escalated", is_active=False),
    }
    bring_to(ticket, state)
    before = snapshot(ticket)

    with pytest.raises(InvalidInput) as excinfo:
        workflow.resolve(ticket, code=codes[code_name], solution=solution, by=agent)

    assert excinfo.value.field == field
    assert snapshot(ticket) == before


# Abandon ---------------------------------------------------------------------------------------------------


def test_no_follow_up_code_is_built_in():
    code = ResolutionCode.objects.get(code=ResolutionCode.NO_FOLLOW_UP)
    assert code.is_builtin
    assert str(code) == "No follow-up"


@pytest.mark.parametrize("state", [OPEN, PENDING])
def test_abandon_closes_with_no_follow_up(ticket, bring_to, agent, state):
    bring_to(ticket, state)
    started = timezone.now()

    workflow.abandon(ticket, by=agent)

    ticket.refresh_from_db()
    assert ticket.status == CLOSED
    assert ticket.close_reason == Ticket.CloseReason.ABANDONED
    assert started <= ticket.closed_at <= timezone.now()
    assert ticket.resolution_code.code == ResolutionCode.NO_FOLLOW_UP
    assert ticket.solution == ""


# Close by the requester ------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [OPEN, PENDING])
def test_requester_closes_their_ticket(ticket, bring_to, requester, state):
    bring_to(ticket, state)
    started = timezone.now()

    workflow.close_by_requester(ticket, by=requester)

    ticket.refresh_from_db()
    assert ticket.status == CLOSED
    assert ticket.close_reason == Ticket.CloseReason.CLOSED_BY_REQUESTER
    assert started <= ticket.closed_at <= timezone.now()
    assert ticket.resolution_code is None
    assert ticket.solution == ""


def test_anonymous_requester_closes_through_signed_link(anon_ticket):
    workflow.close_by_requester(anon_ticket, by=workflow.Actor(link_token=access.make_link_token(anon_ticket)))

    anon_ticket.refresh_from_db()
    assert anon_ticket.status == CLOSED
    assert anon_ticket.close_reason == Ticket.CloseReason.CLOSED_BY_REQUESTER


@pytest.mark.parametrize("state", [OPEN, PENDING])
def test_agent_cannot_close_as_the_requester(ticket, bring_to, agent, state):
    bring_to(ticket, state)
    before = snapshot(ticket)

    with pytest.raises(NotAllowed):
        workflow.close_by_requester(ticket, by=agent)

    assert snapshot(ticket) == before


# Reopen ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("close", ["resolve", "abandon", "close_by_requester"])
@pytest.mark.parametrize("who", ["agent", "requester"])
def test_reopen_clears_the_closing(ticket, cast, close, who):
    MOVES[close](ticket, cast)
    backdate(ticket, updated_at=datetime.timedelta(hours=1))
    before = snapshot(ticket)

    workflow.reopen(ticket, by=cast[who])

    after = snapshot(ticket)
    assert after["status"] == OPEN
    assert after["closed_at"] is None
    assert after["close_reason"] == ""
    assert after["resolution_code_id"] is None
    assert after["solution"] == ""
    assert after["version"] == before["version"] + 1
    assert after["updated_at"] > before["updated_at"]


def test_agent_reopens_even_outside_the_window(ticket, bring_to, agent, settings):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 3
    bring_to(ticket, CLOSED)
    backdate(ticket, closed_at=datetime.timedelta(days=400))

    workflow.reopen(ticket, by=agent)

    assert Ticket.objects.get(pk=ticket.pk).status == OPEN


def test_requester_reopens_inside_the_window(ticket, bring_to, requester, settings):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 3
    bring_to(ticket, CLOSED)
    backdate(ticket, closed_at=datetime.timedelta(days=2))

    workflow.reopen(ticket, by=requester)

    assert Ticket.objects.get(pk=ticket.pk).status == OPEN


def test_requester_cannot_reopen_outside_the_window(ticket, bring_to, requester, settings):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 3
    bring_to(ticket, CLOSED)
    backdate(ticket, closed_at=datetime.timedelta(days=4))
    before = snapshot(ticket)

    with pytest.raises(ReopenWindowExpired):
        workflow.reopen(ticket, by=requester)

    assert snapshot(ticket) == before


# Who may act -----------------------------------------------------------------------------------------------

REQUESTER_REFUSED = {
    "set_pending": lambda t, c: workflow.set_pending(t, by=c["requester"]),
    "resolve": lambda t, c: workflow.resolve(t, code=c["code"], solution=SOLUTION, by=c["requester"]),
    "abandon": lambda t, c: workflow.abandon(t, by=c["requester"]),
    "assign": lambda t, c: workflow.assign(t, to=c["agent"], by=c["requester"]),
    "assign_to_self": lambda t, c: workflow.assign_to_self(t, by=c["requester"]),
    "change_team": lambda t, c: workflow.change_team(t, team=c["other_team"], by=c["requester"]),
    "change_details": lambda t, c: workflow.change_details(t, priority=Ticket.Priority.URGENT, by=c["requester"]),
    "internal_note": lambda t, c: workflow.reply(t, by=c["requester"], body="Note to self", internal=True),
}


@pytest.mark.parametrize("state", [OPEN, PENDING])
@pytest.mark.parametrize("move", list(REQUESTER_REFUSED))
def test_requester_cannot_work_the_ticket(ticket, bring_to, cast, other_team, move, state):
    bring_to(ticket, state)
    before = snapshot(ticket)

    with pytest.raises(NotAllowed):
        REQUESTER_REFUSED[move](ticket, {**cast, "other_team": other_team})

    assert snapshot(ticket) == before


def test_requester_reply_cannot_wait_on_themselves(ticket, requester):
    before = snapshot(ticket)

    with pytest.raises(InvalidInput):
        workflow.reply(ticket, by=requester, body="Please wait for me.", set_pending=True)

    assert snapshot(ticket) == before


ANY_MOVE = {
    "public_reply": (OPEN, lambda t, u, c: workflow.reply(t, by=u, body="Hello")),
    "internal_note": (OPEN, lambda t, u, c: workflow.reply(t, by=u, body="Hmm", internal=True)),
    "set_pending": (OPEN, lambda t, u, c: workflow.set_pending(t, by=u)),
    "resolve": (OPEN, lambda t, u, c: workflow.resolve(t, code=c["code"], solution=SOLUTION, by=u)),
    "abandon": (PENDING, lambda t, u, c: workflow.abandon(t, by=u)),
    "assign_to_self": (OPEN, lambda t, u, c: workflow.assign_to_self(t, by=u)),
    "assign_to_team_agent": (OPEN, lambda t, u, c: workflow.assign(t, to=c["agent"], by=u)),
    "change_team": (OPEN, lambda t, u, c: workflow.change_team(t, team=c["other_team"], by=u)),
    "change_details": (OPEN, lambda t, u, c: workflow.change_details(t, priority=Ticket.Priority.HIGH, by=u)),
    "close_by_requester": (OPEN, lambda t, u, c: workflow.close_by_requester(t, by=u)),
    "reopen": (CLOSED, lambda t, u, c: workflow.reopen(t, by=u)),
}


@pytest.mark.parametrize("move", list(ANY_MOVE))
def test_agent_of_another_team_cannot_act(ticket, bring_to, cast, outsider_agent, other_team, move):
    state, call = ANY_MOVE[move]
    bring_to(ticket, state)
    before = snapshot(ticket)

    with pytest.raises(NotAllowed):
        call(ticket, outsider_agent, {**cast, "other_team": other_team})

    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    "move", ["public_reply", "internal_note", "set_pending", "resolve", "assign_to_self", "close_by_requester", "reopen"]
)
def test_another_requester_cannot_act(ticket, bring_to, cast, other_requester, other_team, move):
    state, call = ANY_MOVE[move]
    bring_to(ticket, state)
    before = snapshot(ticket)

    with pytest.raises(NotAllowed):
        call(ticket, other_requester, {**cast, "other_team": other_team})

    assert snapshot(ticket) == before


def test_supervisor_works_the_tickets_of_every_team(ticket, supervisor, resolution_code):
    workflow.reply(ticket, by=supervisor, body="Looking into it.", internal=True)
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=supervisor)

    ticket.refresh_from_db()
    assert ticket.status == CLOSED
    assert ticket.messages.internal().get().author_role == Message.AuthorRole.AGENT


def test_agent_of_another_team_cannot_be_assigned(ticket, supervisor, outsider_agent):
    with pytest.raises(InvalidInput):
        workflow.assign(ticket, to=outsider_agent, by=supervisor)
    with pytest.raises(NotAllowed):
        workflow.set_pending(ticket, by=outsider_agent)


# Internal notes and public replies -------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_internal_note_never_changes_the_status(ticket, bring_to, agent, state):
    bring_to(ticket, state)
    before = snapshot(ticket)

    note = workflow.reply(ticket, by=agent, body="Customer called twice already.", internal=True)

    after = snapshot(ticket)
    assert note.visibility == Message.Visibility.INTERNAL
    assert after["status"] == before["status"]
    assert after["closed_at"] == before["closed_at"]
    assert after["close_reason"] == before["close_reason"]
    assert after["resolution_code_id"] == before["resolution_code_id"]
    assert after["first_response_at"] == before["first_response_at"]
    assert after["messages"] == before["messages"] + [note.pk]
    assert after["version"] == before["version"] + 1


def test_agent_public_reply_on_closed_ticket_is_refused(ticket, bring_to, agent):
    bring_to(ticket, CLOSED)
    before = snapshot(ticket)

    with pytest.raises(IllegalTransition) as excinfo:
        workflow.reply(ticket, by=agent, body="One more thing.")

    assert "reopen" in str(excinfo.value).lower()
    assert snapshot(ticket) == before


@pytest.mark.parametrize("body", ["", "   \n\t "])
def test_empty_reply_is_refused(ticket, requester, body):
    before = snapshot(ticket)

    with pytest.raises(InvalidInput) as excinfo:
        workflow.reply(ticket, by=requester, body=body)

    assert excinfo.value.field == "body"
    assert snapshot(ticket) == before


def test_first_response_is_the_first_agent_public_reply_only(ticket, agent, requester, team):
    colleague = factories.make_agent("colleague", team)
    assert ticket.first_response_at is None

    workflow.reply(ticket, by=agent, body="Internal: probably the SSO.", internal=True)
    workflow.reply(ticket, by=requester, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None, "notes and requester replies are not a response"

    workflow.reply(ticket, by=colleague, body="We are on it.")
    ticket.refresh_from_db()
    first = ticket.first_response_at
    assert first is not None

    workflow.reply(ticket, by=agent, body="Fixed on our side, please try again.", set_pending=True)
    workflow.reply(ticket, by=requester, body="Works, thanks.")
    workflow.reply(ticket, by=agent, body="Great!")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first


# Concurrent edits ------------------------------------------------------------------------------------------

VERSIONED = {
    "public_reply": (OPEN, lambda t, c, v: workflow.reply(t, by=c["agent"], body="Hi", expected_version=v)),
    "internal_note": (OPEN, lambda t, c, v: workflow.reply(t, by=c["agent"], body="Hm", internal=True, expected_version=v)),
    "requester_reply": (PENDING, lambda t, c, v: workflow.reply(t, by=c["requester"], body="Here", expected_version=v)),
    "set_pending": (OPEN, lambda t, c, v: workflow.set_pending(t, by=c["agent"], expected_version=v)),
    "resolve": (OPEN, lambda t, c, v: workflow.resolve(t, code=c["code"], solution=SOLUTION, by=c["agent"], expected_version=v)),
    "abandon": (PENDING, lambda t, c, v: workflow.abandon(t, by=c["agent"], expected_version=v)),
    "close_by_requester": (OPEN, lambda t, c, v: workflow.close_by_requester(t, by=c["requester"], expected_version=v)),
    "reopen": (CLOSED, lambda t, c, v: workflow.reopen(t, by=c["agent"], expected_version=v)),
    "assign": (OPEN, lambda t, c, v: workflow.assign_to_self(t, by=c["agent"], expected_version=v)),
    "change_team": (OPEN, lambda t, c, v: workflow.change_team(t, team=c["other_team"], by=c["agent"], expected_version=v)),
    "change_details": (
        OPEN,
        lambda t, c, v: workflow.change_details(t, priority=Ticket.Priority.HIGH, by=c["agent"], expected_version=v),
    ),
}


@pytest.mark.parametrize("move", list(VERSIONED))
def test_stale_version_changes_nothing(ticket, bring_to, cast, other_team, move):
    state, call = VERSIONED[move]
    bring_to(ticket, state)
    shown = Ticket.objects.get(pk=ticket.pk).version
    # Someone else changed the ticket after the form was shown.
    workflow.change_details(ticket, subject="Cannot log in since Monday", by=cast["agent"])
    before = snapshot(ticket)

    with pytest.raises(TicketChanged) as excinfo:
        call(ticket, {**cast, "other_team": other_team}, shown)

    assert ticket.reference in str(excinfo.value)
    assert snapshot(ticket) == before


@pytest.mark.parametrize("move", list(VERSIONED))
def test_current_version_is_accepted(ticket, bring_to, cast, other_team, move):
    state, call = VERSIONED[move]
    bring_to(ticket, state)
    before = snapshot(ticket)

    call(ticket, {**cast, "other_team": other_team}, str(before["version"]))  # forms post strings

    assert snapshot(ticket)["version"] == before["version"] + 1


# Assign ----------------------------------------------------------------------------------------------------


def test_assign_to_an_agent_of_the_team(ticket, supervisor, agent):
    workflow.assign(ticket, to=agent, by=supervisor)

    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.version == 2


def test_assign_to_self(ticket, agent):
    workflow.assign_to_self(ticket, by=agent)

    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_assign_to_a_supervisor_outside_the_team(ticket, agent, supervisor):
    workflow.assign(ticket, to=supervisor, by=agent)

    assert Ticket.objects.get(pk=ticket.pk).assignee == supervisor


@pytest.mark.parametrize("who", ["outsider_agent", "requester"])
def test_assign_to_someone_who_is_not_an_agent_of_the_team_is_refused(ticket, agent, request, who):
    person = request.getfixturevalue(who)
    before = snapshot(ticket)

    with pytest.raises(InvalidInput) as excinfo:
        workflow.assign(ticket, to=person, by=agent)

    assert excinfo.value.field == "assignee"
    assert "Helpdesk" in str(excinfo.value)
    assert snapshot(ticket) == before


def test_unassign(ticket, agent):
    workflow.assign_to_self(ticket, by=agent)

    workflow.assign(ticket, to=None, by=agent)

    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.version == 3


def test_assigning_the_current_assignee_again_changes_nothing(ticket, agent):
    workflow.assign_to_self(ticket, by=agent)
    before = snapshot(ticket)

    workflow.assign(ticket, to=agent, by=agent)

    assert snapshot(ticket) == before


def test_assignee_keeps_working_the_ticket_after_leaving_the_team(ticket, agent, team, resolution_code):
    workflow.assign_to_self(ticket, by=agent)
    team.members.remove(agent)

    workflow.set_pending(ticket, by=agent)

    assert Ticket.objects.get(pk=ticket.pk).status == PENDING


def test_agent_who_left_the_team_no_longer_works_its_tickets(ticket, agent, team):
    team.members.remove(agent)
    before = snapshot(ticket)

    with pytest.raises(NotAllowed):
        workflow.set_pending(ticket, by=agent)

    assert snapshot(ticket) == before


# Change team -----------------------------------------------------------------------------------------------


def test_change_team_removes_an_assignee_outside_the_new_team(ticket, agent, other_team):
    workflow.assign_to_self(ticket, by=agent)

    workflow.change_team(ticket, team=other_team, by=agent)

    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert ticket.assignee is None
    assert ticket.version == 3
    # The agent no longer works this ticket.
    with pytest.raises(NotAllowed):
        workflow.set_pending(ticket, by=agent)


def test_change_team_keeps_an_assignee_of_the_new_team(ticket, agent, other_team):
    other_team.members.add(agent)
    workflow.assign_to_self(ticket, by=agent)

    workflow.change_team(ticket, team=other_team, by=agent)

    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert ticket.assignee == agent


def test_change_team_keeps_a_supervisor_assignee(ticket, agent, supervisor, other_team):
    workflow.assign(ticket, to=supervisor, by=agent)

    workflow.change_team(ticket, team=other_team, by=supervisor)

    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert ticket.assignee == supervisor


def test_change_team_to_the_same_team_changes_nothing(ticket, agent, team):
    before = snapshot(ticket)

    workflow.change_team(ticket, team=team, by=agent)

    assert snapshot(ticket) == before


# Change details --------------------------------------------------------------------------------------------


def test_change_details_applies_and_logs_a_diff(ticket, agent):
    from wagtail.log_actions import registry

    workflow.change_details(ticket, by=agent, priority=Ticket.Priority.URGENT, kind=Ticket.Kind.BUG)

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.kind) == (Ticket.Priority.URGENT, Ticket.Kind.BUG)
    assert ticket.version == 2
    entry = registry.get_logs_for_instance(ticket).get(action="wagtail_support.ticket.update")
    assert entry.data["changes"] == {
        "priority": {"old": "normal", "new": "urgent"},
        "kind": {"old": "question", "new": "bug"},
    }


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "complaint"}, "kind"),
        ({"priority": "whenever"}, "priority"),
        ({"subject": "   "}, "subject"),
        ({"priority": Ticket.Priority.HIGH, "kind": "complaint"}, "kind"),
    ],
)
def test_change_details_refuses_unknown_values(ticket, agent, changes, field):
    before = snapshot(ticket)

    with pytest.raises(InvalidInput) as excinfo:
        workflow.change_details(ticket, by=agent, **changes)

    assert excinfo.value.field == field
    assert snapshot(ticket) == before


def test_change_details_refuses_workflow_fields(ticket, agent):
    before = snapshot(ticket)

    with pytest.raises(TypeError):
        workflow.change_details(ticket, by=agent, status=CLOSED)

    assert snapshot(ticket) == before


def test_change_details_without_a_change_changes_nothing(ticket, agent):
    before = snapshot(ticket)

    workflow.change_details(ticket, by=agent, priority=ticket.priority, subject=ticket.subject)

    assert snapshot(ticket) == before


def test_change_category_gives_an_unteamed_ticket_the_category_team(requester, other_team, supervisor, settings):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = None
    ticket = factories.open_ticket(requester)
    assert ticket.team is None
    billing = factories.make_category("Invoices", other_team)

    workflow.change_details(ticket, by=supervisor, category=billing)

    ticket.refresh_from_db()
    assert ticket.category == billing
    assert ticket.team == other_team


# open_ticket -----------------------------------------------------------------------------------------------


def test_open_ticket_starts_open_with_the_description_as_first_message(requester, category, team):
    ticket = workflow.open_ticket(
        subject="  Printer on fire  ", description="  It smells.\nPlease hurry.  ", requester=requester, category=category
    )

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == OPEN
    assert ticket.version == 1
    assert ticket.subject == "Printer on fire"
    assert ticket.team == team
    assert ticket.requester_user == requester
    assert ticket.requester_name == "Rita Requester"
    assert ticket.requester_email == "requester@example.com"
    assert (ticket.closed_at, ticket.close_reason, ticket.first_response_at) == (None, "", None)
    first = ticket.messages.get()
    assert first.body == ticket.description == "It smells.\nPlease hurry."
    assert first.visibility == Message.Visibility.PUBLIC
    assert first.author_role == Message.AuthorRole.REQUESTER
    assert first.author_user == requester


def test_open_ticket_for_someone_without_an_account(anon_ticket):
    assert anon_ticket.requester_user is None
    assert anon_ticket.requester_name == "Ann Onymous"
    assert anon_ticket.requester_email == "ann@example.com"
    assert anon_ticket.messages.get().body == "I did not receive my invoice for March."


def test_open_ticket_takes_the_team_of_the_category(requester, other_team):
    invoices = factories.make_category("Invoices", other_team)

    ticket = factories.open_ticket(requester, category=invoices)

    assert ticket.team == other_team


def test_open_ticket_takes_the_team_of_the_parent_category(requester, other_team):
    billing = factories.make_category("Billing", other_team)
    refunds = factories.make_category("Refunds", parent=billing)
    late = factories.make_category("Late refunds", parent=refunds)

    assert factories.open_ticket(requester, category=refunds).team == other_team
    assert factories.open_ticket(requester, category=late).team == other_team


def test_open_ticket_takes_the_default_team_without_a_category_team(requester, team, other_team, settings):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = "billing"
    unrouted = factories.make_category("Miscellaneous")

    assert factories.open_ticket(requester).team == other_team
    assert factories.open_ticket(requester, category=unrouted).team == other_team


def test_open_ticket_without_any_team(requester, settings):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = None

    assert factories.open_ticket(requester).team is None


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"description": ""}, "description"),
        ({"description": " \n "}, "description"),
        ({"requester": None}, "requester_email"),
        ({"requester": None, "requester_name": "Nobody"}, "requester_email"),
        ({"kind": "complaint"}, "kind"),
        ({"priority": "asap"}, "priority"),
    ],
)
def test_open_ticket_refuses_missing_values(requester, category, kwargs, field):
    values = {"subject": "Help", "description": "Something broke.", "requester": requester, "category": category}

    with pytest.raises(InvalidInput) as excinfo:
        workflow.open_ticket(**{**values, **kwargs})

    assert excinfo.value.field == field
    assert str(excinfo.value)
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "for_whom",
    [{"requester_name": "Someone", "requester_email": "someone@example.com"}, {"requester": "other_requester"}],
)
def test_non_agent_cannot_open_a_ticket_for_someone_else(requester, other_requester, category, for_whom):
    if for_whom.get("requester") == "other_requester":
        for_whom = {"requester": other_requester}

    with pytest.raises(NotAllowed):
        factories.open_ticket(by=requester, category=category, **for_whom)

    assert not Ticket.objects.exists()


def test_requester_may_open_a_ticket_as_themselves(requester, category):
    ticket = factories.open_ticket(requester, by=requester, category=category)

    assert ticket.requester_user == requester


def test_agent_opens_a_ticket_on_behalf_of_a_requester(agent, requester, category):
    from wagtail.log_actions import registry

    ticket = factories.open_ticket(requester, by=agent, category=category, channel=Ticket.Channel.PHONE)

    ticket.refresh_from_db()
    assert ticket.requester_user == requester
    assert ticket.channel == Ticket.Channel.PHONE
    first = ticket.messages.get()
    assert first.author_user == requester
    assert first.author_role == Message.AuthorRole.REQUESTER
    entry = registry.get_logs_for_instance(ticket).get(action="wagtail_support.ticket.open")
    assert entry.user == agent
    assert entry.data["on_behalf"] is True


def test_agent_opens_a_ticket_for_someone_without_an_account(agent):
    ticket = factories.open_ticket(by=agent, requester_name="Paul Phone", requester_email="Paul@Example.com")

    assert ticket.requester_user is None
    assert ticket.requester_email == "paul@example.com"
