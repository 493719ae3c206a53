"""The workflow's signals for site owners: ``ticket_opened``, ``ticket_changed`` and ``message_added``.

Sent once the move's transaction has committed, never for a move that was refused or rolled back, with
what changed; a receiver that fails is logged and changes nothing for the person who made the move.
"""

import logging

import pytest
from django.db import transaction

from tests import factories
from wagtail_support import signals, workflow
from wagtail_support.models import Message, Ticket

pytestmark = pytest.mark.django_db


class Recorder:
    """Connects to every signal and keeps what each one was sent with."""

    def __init__(self):
        self.calls = []

    def __call__(self, sender, signal, **kwargs):
        self.calls.append((signal, kwargs))

    def of(self, signal):
        return [kwargs for sent, kwargs in self.calls if sent is signal]


@pytest.fixture
def heard():
    recorder = Recorder()
    for signal in (signals.ticket_opened, signals.ticket_changed, signals.message_added):
        signal.connect(recorder, weak=False)
    yield recorder
    for signal in (signals.ticket_opened, signals.ticket_changed, signals.message_added):
        signal.disconnect(recorder)


def test_opening_a_ticket_is_announced_after_commit(requester, category, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = factories.open_ticket(requester, category=category)
        assert heard.calls == []  # nothing before the commit

    for callback in callbacks:
        callback()
    [opened] = heard.of(signals.ticket_opened)
    assert opened["ticket"].pk == ticket.pk
    assert opened["actor"] == requester
    assert opened["message"].body == ticket.description and opened["message"].ticket_id == ticket.pk
    assert heard.of(signals.ticket_changed) == [] and heard.of(signals.message_added) == []


def test_assigning_says_who_and_what_changed(ticket, agent, colleague, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign(ticket, to=colleague, by=agent)

    [changed] = heard.of(signals.ticket_changed)
    assert changed["move"] == "assign"
    assert changed["actor"] == agent
    assert changed["changes"] == {"assignee": {"old": None, "new": colleague.pk}}
    assert changed["ticket"].assignee_id == colleague.pk


def test_a_requester_reply_to_a_pending_ticket_adds_a_message_and_reopens(ticket, agent, requester, heard, django_capture_on_commit_callbacks):
    workflow.reply(ticket, by=agent, body="Which browser?", set_pending=True)
    with django_capture_on_commit_callbacks(execute=True):
        message = workflow.reply(ticket, by=requester, body="Firefox.")

    [added] = heard.of(signals.message_added)
    assert added["message"] == message and added["ticket"].pk == ticket.pk and added["actor"] == requester
    [changed] = heard.of(signals.ticket_changed)
    assert changed["move"] == "reply"
    assert changed["changes"]["status"] == {"old": Ticket.Status.PENDING, "new": Ticket.Status.OPEN}


def test_an_internal_note_is_announced_as_internal(ticket, agent, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reply(ticket, by=agent, body="Checked the logs: a proxy issue.", internal=True)

    [added] = heard.of(signals.message_added)
    assert added["message"].visibility == Message.Visibility.INTERNAL
    [changed] = heard.of(signals.ticket_changed)
    assert changed["move"] == "note" and changed["changes"] == {}


def test_resolving_reports_the_status_code_and_solution(ticket, agent, resolution_code, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.resolve(ticket, code=resolution_code, solution="Cleared the cache.", by=agent)

    [changed] = heard.of(signals.ticket_changed)
    assert changed["move"] == "resolve"
    assert changed["changes"]["status"] == {"old": "open", "new": "closed"}
    assert changed["changes"]["resolution_code"] == {"old": None, "new": resolution_code.pk}
    assert changed["changes"]["solution"] == {"old": "", "new": "Cleared the cache."}
    assert changed["changes"]["close_reason"]["new"] == Ticket.CloseReason.RESOLVED


def test_a_refused_move_or_a_move_that_changes_nothing_is_not_announced(ticket, agent, heard, django_capture_on_commit_callbacks):
    workflow.assign(ticket, to=agent, by=agent)
    heard.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign(ticket, to=agent, by=agent)  # already theirs: no change
        with pytest.raises(workflow.IllegalTransition):
            workflow.reopen(ticket, by=agent)  # an open ticket cannot be reopened

    assert heard.calls == []


def test_a_move_rolled_back_by_its_caller_is_not_announced(ticket, agent, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                workflow.set_pending(ticket, by=agent)
                raise RuntimeError("the caller fails after the move")

    assert heard.calls == []
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_failing_receiver_is_logged_and_the_visitor_never_sees_it(client, support_page, empty_cache, caplog, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise ValueError("the site's CRM is down")

    signals.ticket_opened.connect(broken, weak=False)
    try:
        with caplog.at_level(logging.ERROR, logger="wagtail_support.workflow"), django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                support_page.url,
                {"name": "Ann", "email": "ann@example.com", "subject": "Wifi", "description": "Down.", "kind": "bug", "priority": "normal"},
            )
    finally:
        signals.ticket_opened.disconnect(broken)

    assert response.status_code == 302
    assert Ticket.objects.filter(subject="Wifi").count() == 1
    assert any("receiver of a wagtail-support signal failed" in record.getMessage() for record in caplog.records)
