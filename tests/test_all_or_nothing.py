"""A move of the workflow is written whole or not at all, and a mail survives a database that restarts.

What the load test (``make load``) checks under load with PostgreSQL restarted, here one case at a time:

- the records of a move's mails (``OutboundMail``) are written in the move's transaction: a move that
  fails leaves none, a move that commits has them even before its mails are sent;
- with a task backend that keeps its tasks in the same database (django-tasks-db), the tasks are
  enqueued in the transaction too; with any other, once it has committed;
- the files of a move that fails are removed with its rows;
- sending a mail waits for a database that went away between two steps, so a mail the ESP accepted is
  recorded as sent (and never sent again by a retry).
"""

import os

import pytest
from django.core import mail
from django.db import OperationalError, transaction
from django.test import override_settings

from tests import factories
from tests.test_support_pages import png_file, txt_file
from wagtail_support import workflow
from wagtail_support.models import Attachment, Message, OutboundMail, Ticket
from wagtail_support.storage import attachment_storage
from wagtail_support.notifications import delivery, outbox

pytestmark = pytest.mark.django_db


def files_in_storage():
    location = attachment_storage().location
    found = set()
    for directory, _dirs, files in os.walk(location):
        found |= {os.path.join(directory, name) for name in files}
    return found


class Boom(Exception):
    pass


# The records of the mails, in the move's transaction --------------------------------------------------------


def test_a_committed_move_has_its_mail_records_before_its_mails_go_out(requester, category, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = factories.open_ticket(requester, category=category)

    # Written with the ticket, queued; nothing sent until the transaction commits.
    assert sorted(ticket.mails.values_list("recipient", "status")) == [
        (agent.email, OutboundMail.Status.QUEUED),
        (requester.email, OutboundMail.Status.QUEUED),
    ]
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email, requester.email])
    assert set(ticket.mails.values_list("status", flat=True)) == {OutboundMail.Status.SENT}


def test_a_move_that_fails_leaves_no_mail_record_and_no_file(requester, category, agent, monkeypatch, django_capture_on_commit_callbacks):
    files_before = files_in_storage()

    recorded = []

    def dispatch_fails(mails):
        recorded.extend(mails)
        raise Boom("the request failed after the mails were recorded")

    # The very end of the move fails, after the ticket, its message, files and mail records were written.
    monkeypatch.setattr(outbox, "dispatch", dispatch_fails)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom):
            factories.open_ticket(requester, category=category, attachments=[png_file(), txt_file()])

    assert len(recorded) == 2
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert not OutboundMail.objects.exists()
    assert files_in_storage() == files_before
    assert mail.outbox == []


def test_a_reply_that_fails_removes_its_files_and_changes_nothing(ticket, agent, monkeypatch, django_capture_on_commit_callbacks):
    files_before = files_in_storage()
    version = ticket.version
    save = workflow._save

    def save_fails(row, fields, *args):
        save(row, fields, *args)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(workflow, "_save", save_fails)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(OperationalError):
            workflow.reply(ticket, by=agent, body="With the log you asked for.", attachments=[txt_file()])

    ticket.refresh_from_db()
    assert ticket.version == version
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()
    assert not OutboundMail.objects.exists()
    assert files_in_storage() == files_before
    assert mail.outbox == []


def test_mails_that_cannot_be_recorded_leave_the_move_alone(requester, category, agent, monkeypatch, caplog):
    def recipients_fail(*args, **kwargs):
        raise Boom("a bug while choosing the recipients")

    monkeypatch.setattr(outbox, "_recipients", recipients_fail)
    ticket = factories.open_ticket(requester, category=category)

    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert ticket.messages.count() == 1
    assert not OutboundMail.objects.exists()
    assert "Could not record the opened mails" in caplog.text


def test_a_lost_database_while_recording_the_mails_fails_the_whole_move(requester, category, agent, monkeypatch):
    def recipients_lose_the_database(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(outbox, "_recipients", recipients_lose_the_database)
    with pytest.raises(OperationalError):
        factories.open_ticket(requester, category=category)
    assert not Ticket.objects.exists()


# Where the tasks are enqueued --------------------------------------------------------------------------------


def test_the_immediate_backend_sends_only_after_the_commit(requester, category, agent, django_capture_on_commit_callbacks):
    assert not outbox.queue_joins_transaction()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        factories.open_ticket(requester, category=category)
    assert mail.outbox == [] and len(callbacks) >= 1


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}})
def test_a_backend_in_the_same_database_gets_the_tasks_in_the_transaction(
    requester, category, agent, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks import task_backends

    backend = task_backends["default"]
    backend.clear()
    # As django-tasks-db's backend is seen: its tasks are rows of this database.
    monkeypatch.setattr(outbox, "queue_joins_transaction", lambda: True)
    with django_capture_on_commit_callbacks(execute=False):
        ticket = factories.open_ticket(requester, category=category)
        enqueued = [r.kwargs["mail_id"] for r in backend.results if r.task.name == "send_recorded_mail"]
    assert sorted(enqueued) == sorted(ticket.mails.values_list("pk", flat=True))
    backend.clear()


def test_the_database_backend_of_django_tasks_db_is_recognised(settings):
    # django-tasks-db is not an installed app of the test settings: another backend is never taken for it.
    assert not outbox.queue_joins_transaction()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert not outbox.queue_joins_transaction()


# Sending while the database restarts --------------------------------------------------------------------------


@pytest.fixture
def no_waiting(monkeypatch):
    slept = []
    monkeypatch.setattr(delivery.time, "sleep", slept.append)
    return slept


def flaky(monkeypatch, name, failures=1):
    """``notifications.delivery.<name>`` fails ``failures`` times as if the database went away, then works."""
    original = getattr(delivery, name)
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) <= failures:
            raise OperationalError("server closed the connection unexpectedly")
        return original(*args, **kwargs)

    monkeypatch.setattr(delivery, name, wrapper)
    return calls


def record_for(ticket, requester):
    # Outside a test transaction, the fixture's ticket sent its own mails already.
    mail.outbox = []
    return outbox.record_mail(event="pending", audience="requester", recipient=requester.email, ticket=ticket, language="en")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mail_accepted_by_the_esp_is_recorded_sent_once_the_database_is_back(ticket, requester, monkeypatch, no_waiting):
    record = record_for(ticket, requester)
    calls = flaky(monkeypatch, "_record_sent", failures=2)

    assert delivery.deliver(record.pk) == 1

    assert len(calls) == 3 and len(no_waiting) == 2
    record.refresh_from_db()
    assert (record.status, record.attempts) == (OutboundMail.Status.SENT, 1)
    assert len(mail.outbox) == 1
    # Nothing is left for a retry to send twice.
    assert delivery.retry([record]) == (0, 0)
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claiming_and_rendering_wait_for_the_database_too(ticket, requester, monkeypatch, no_waiting):
    record = record_for(ticket, requester)
    claims = flaky(monkeypatch, "_claim")
    renders = flaky(monkeypatch, "_load_and_build")

    assert delivery.deliver(record.pk) == 1
    assert len(claims) == 2 and len(renders) == 2
    record.refresh_from_db()
    assert (record.status, record.attempts) == (OutboundMail.Status.SENT, 1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_esp_is_recorded_once_the_database_is_back(ticket, requester, monkeypatch, no_waiting, esp_down):
    record = record_for(ticket, requester)
    marks = flaky(monkeypatch, "mark_failed")

    assert delivery.deliver(record.pk) == 0
    assert len(marks) == 2
    record.refresh_from_db()
    assert record.status == OutboundMail.Status.FAILED and "ESP is unavailable" in record.error


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_that_stays_away_is_raised_after_a_while(ticket, requester, monkeypatch, no_waiting):
    record = record_for(ticket, requester)
    monkeypatch.setattr(delivery, "DATABASE_WAIT_SECONDS", 0)
    flaky(monkeypatch, "_claim", failures=100)

    with pytest.raises(OperationalError):
        delivery.deliver(record.pk)
    record.refresh_from_db()
    assert record.status == OutboundMail.Status.QUEUED
    assert mail.outbox == []


def test_inside_a_transaction_a_lost_database_is_not_waited_for(ticket, requester, monkeypatch, no_waiting):
    # The transaction is lost anyway; waiting would only hold the request.
    record = record_for(ticket, requester)
    flaky(monkeypatch, "_claim")
    with transaction.atomic(), pytest.raises(OperationalError):
        delivery.deliver(record.pk)
    assert no_waiting == []
