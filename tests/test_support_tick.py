"""The automation over time (``support_tick``): reminders, closing without a reply, service level warnings
and breaches, each exactly once, through the real workflow, database and mail (Anymail's test backend).

The tickets' ``sla_policy``, ``pending_since`` and ``next_due`` are set directly here (the workflow sets
them on its own elsewhere); ``now`` is given to ``tick`` so the days pass without waiting.
"""

import datetime
import threading
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from tests import factories
from wagtail_support import workflow
from wagtail_support.automation import tick
from wagtail_support.models import AutomationStep, OutboundMail, ResolutionCode, ServiceLevelPolicy, Ticket
from wagtail_support.tasks import support_tick_task

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def policy(db):
    return ServiceLevelPolicy.objects.create(
        name="Normal",
        priority=Ticket.Priority.NORMAL,
        first_response_minutes=240,
        warn_before_minutes=30,
        remind_after_days=3,
        second_reminder_after_days=6,
        close_after_days=10,
    )


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


def make_pending(ticket, agent, policy, since=T0):
    """``ticket`` set pending by ``agent`` (its own mail cleared), under ``policy``, pending since ``since``."""
    if ticket.status != Ticket.Status.PENDING:
        workflow.set_pending(ticket, by=agent)
    Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy, pending_since=since)
    ticket.refresh_from_db()
    mail.outbox.clear()
    return ticket


def run(now, on_commit, **kwargs):
    with on_commit():
        return tick(now=now, **kwargs)


# Reminders and closing -----------------------------------------------------------------------------------


def test_a_reminder_after_the_policys_days_exactly_once(support_page, ticket, agent, policy, on_commit):
    make_pending(ticket, agent, policy)

    assert run(T0 + 3 * DAY - datetime.timedelta(minutes=1), on_commit).total == 0
    assert mail.outbox == []

    first = run(T0 + 3 * DAY, on_commit)
    second = run(T0 + 3 * DAY + datetime.timedelta(hours=1), on_commit)

    assert first.done["reminder"] == 1 and second.total == 0
    (reminder,) = sent_to("requester@example.com")
    assert len(mail.outbox) == 1
    assert f"We are waiting for your reply about ticket {ticket.reference}" in reminder.body
    assert ticket.reference in reminder.subject and "Cannot log in" in reminder.subject
    assert f"/tickets/{ticket.number}/" in reminder.body  # the signed link to the ticket
    assert AutomationStep.objects.filter(ticket=ticket, step="reminder", key=T0.isoformat()).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING


def test_the_second_reminder_then_the_closing_with_the_no_reply_code(ticket, agent, policy, on_commit):
    # Ten days ago, so that the closing falls inside the reopen window of today.
    t0 = timezone.now().replace(microsecond=0) - 10 * DAY
    make_pending(ticket, agent, policy, since=t0)
    run(t0 + 3 * DAY, on_commit)
    mail.outbox.clear()

    assert run(t0 + 6 * DAY, on_commit).done["second_reminder"] == 1
    (second,) = mail.outbox
    assert f"We are still waiting for your reply about ticket {ticket.reference}" in second.body
    mail.outbox.clear()
    assert run(t0 + 9 * DAY, on_commit).total == 0

    result = run(t0 + 10 * DAY, on_commit)
    assert result.done["auto_close"] == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.close_reason == Ticket.CloseReason.NO_REPLY
    assert ticket.resolution_code == ResolutionCode.no_reply()
    assert ticket.closed_at == t0 + 10 * DAY
    (closed,) = mail.outbox
    assert closed.to == ["requester@example.com"]
    assert "was closed because we did not receive your reply" in closed.body
    assert "answer this mail and your ticket will be reopened" in closed.body

    mail.outbox.clear()
    assert run(t0 + 11 * DAY, on_commit).total == 0
    assert mail.outbox == []
    # The reopen window is kept: the requester answers, the ticket opens again.
    workflow.reply(ticket, by=ticket.requester_user, body="Sorry, I was away. It still fails.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert workflow.LOG_PREFIX  # the move is reached through workflow like every other
    assert workflow.close_without_reply is not None


def test_a_ticket_past_its_closing_day_is_closed_without_the_reminders_it_missed(ticket, agent, policy, on_commit):
    make_pending(ticket, agent, policy)
    result = run(T0 + 30 * DAY, on_commit)
    assert dict(result.done) == {"auto_close": 1}
    assert [m.to for m in mail.outbox] == [["requester@example.com"]]


def test_a_reply_in_between_stops_the_reminder_and_pending_again_gets_a_new_one(ticket, agent, requester, policy, on_commit):
    make_pending(ticket, agent, policy)
    workflow.reply(ticket, by=requester, body="Here is the screenshot you asked for.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    mail.outbox.clear()

    assert run(T0 + 4 * DAY, on_commit).total == 0
    assert sent_to("requester@example.com") == []

    # Pending again later: a new wait, a new reminder (a new key).
    later = T0 + 5 * DAY
    make_pending(ticket, agent, policy, since=later)
    run(T0 + 5 * DAY + 3 * DAY, on_commit)
    assert len(sent_to("requester@example.com")) == 1
    assert set(AutomationStep.objects.filter(ticket=ticket).values_list("key", flat=True)) == {later.isoformat()}

    # The earlier wait's reminder was claimed under its own key: pending since T0 again would remind again too.
    make_pending(ticket, agent, policy, since=T0)
    run(T0 + 5 * DAY, on_commit)
    assert len(sent_to("requester@example.com")) == 1


def test_no_policy_nothing_happens(ticket, agent, policy, on_commit):
    make_pending(ticket, agent, None)
    Ticket.objects.filter(pk=ticket.pk).update(next_due=T0)
    result = run(T0 + 100 * DAY, on_commit)
    assert result.total == 0 and mail.outbox == []
    assert not AutomationStep.objects.exists()


def test_an_inactive_policy_does_nothing(ticket, agent, policy, on_commit):
    make_pending(ticket, agent, policy)
    ServiceLevelPolicy.objects.filter(pk=policy.pk).update(is_active=False)
    assert run(T0 + 100 * DAY, on_commit).total == 0
    assert mail.outbox == []


def test_a_policy_without_reminders_only_closes(ticket, agent, policy, on_commit):
    ServiceLevelPolicy.objects.filter(pk=policy.pk).update(remind_after_days=None, second_reminder_after_days=None)
    make_pending(ticket, agent, policy)
    assert run(T0 + 9 * DAY, on_commit).total == 0
    assert dict(run(T0 + 10 * DAY, on_commit).done) == {"auto_close": 1}


def test_the_reminder_is_in_the_requesters_language(ticket, agent, requester, policy, on_commit):
    from wagtail.users.models import UserProfile  # noqa: PLC0415 - only this test sets a preference

    UserProfile.get_for_user(requester).__class__.objects.filter(user=requester).update(preferred_language="fr")
    make_pending(ticket, agent, policy)
    run(T0 + 3 * DAY, on_commit)
    (record,) = OutboundMail.objects.filter(event="reminder")
    assert record.language == "fr"
    assert record.audience == "requester"


# Service levels -------------------------------------------------------------------------------------------


def set_due(ticket, policy, due, **fields):
    """A new due time, as ``service_levels.refresh`` leaves it: its steps still to do (``next_due_step``)."""
    Ticket.objects.filter(pk=ticket.pk).update(sla_policy=policy, next_due=due, next_due_step="", **fields)
    ticket.refresh_from_db()
    mail.outbox.clear()


def test_a_warning_to_the_assignee_once_before_the_breach(ticket, agent, colleague, supervisor, policy, on_commit):
    workflow.assign(ticket, to=agent, by=agent)
    set_due(ticket, policy, T0)

    assert run(T0 - datetime.timedelta(minutes=31), on_commit).total == 0
    assert run(T0 - datetime.timedelta(minutes=30), on_commit).done["sla_warning"] == 1
    assert run(T0 - datetime.timedelta(minutes=1), on_commit).total == 0

    (warning,) = mail.outbox
    assert warning.to == [agent.email]
    assert ticket.reference in warning.subject and "Due soon" in warning.subject
    assert "about to be missed" in warning.body
    assert "/admin/" in warning.body or "support" in warning.body
    assert sent_to(colleague.email) == [] and sent_to(supervisor.email) == []


def test_an_unassigned_tickets_warning_goes_to_the_team_and_its_address(ticket, team, agent, colleague, outsider_agent, policy, on_commit):
    team.contact_email = "helpdesk@example.com"
    team.save()
    set_due(ticket, policy, T0)
    run(T0 - datetime.timedelta(minutes=10), on_commit)
    assert sorted(address for m in mail.outbox for address in m.to) == sorted(
        [agent.email, colleague.email, "helpdesk@example.com"]
    )
    assert sent_to(outsider_agent.email) == []
    assert sent_to("requester@example.com") == []


def test_the_breach_mails_the_supervisors_once(ticket, agent, supervisor, policy, on_commit):
    other = factories.make_supervisor("boss", first_name="Bea", last_name="Boss")
    factories.make_user("root", email="root@example.com").__class__.objects.filter(username="root").update(
        is_superuser=True
    )
    workflow.assign(ticket, to=agent, by=agent)
    set_due(ticket, policy, T0)

    # A tick that missed the warning window: the breach only.
    assert dict(run(T0 + datetime.timedelta(minutes=1), on_commit).done) == {"sla_breach": 1}
    assert run(T0 + datetime.timedelta(hours=5), on_commit).total == 0

    assert sorted(address for m in mail.outbox for address in m.to) == sorted([supervisor.email, other.email])
    (breach,) = sent_to(supervisor.email)
    assert "Late" in breach.subject and "missed its service level target" in breach.body
    assert sent_to("root@example.com") == []  # a bare superuser is not one of the support's supervisors


def test_a_new_due_time_is_warned_about_again(ticket, agent, supervisor, policy, on_commit):
    workflow.assign(ticket, to=agent, by=agent)
    set_due(ticket, policy, T0)
    run(T0 - datetime.timedelta(minutes=5), on_commit)
    set_due(ticket, policy, T0 + DAY)
    run(T0 + DAY - datetime.timedelta(minutes=5), on_commit)
    assert len(sent_to(agent.email)) == 1  # after set_due's clear: the second due time's warning
    assert AutomationStep.objects.filter(ticket=ticket, step="sla_warning").count() == 2


def test_a_reported_breach_is_left_out_of_the_next_scans(ticket, agent, supervisor, policy, on_commit):
    workflow.assign(ticket, to=agent, by=agent)
    set_due(ticket, policy, T0)
    run(T0 - datetime.timedelta(minutes=5), on_commit)
    ticket.refresh_from_db()
    assert ticket.next_due_step == "sla_warning"
    # Warned and not late yet: the scan reads nothing.
    assert run(T0 - datetime.timedelta(minutes=1), on_commit).batches == 0

    run(T0 + datetime.timedelta(minutes=1), on_commit)
    ticket.refresh_from_db()
    assert ticket.next_due_step == "sla_breach"
    updated_at = ticket.updated_at
    # Reported: the later runs read no batch at all (the ticket is out of the scan's index).
    later = run(T0 + 3 * DAY, on_commit)
    assert later.batches == 0 and later.total == 0
    ticket.refresh_from_db()
    assert ticket.updated_at == updated_at  # the mark is not a change of the ticket


def test_a_move_that_sets_a_new_due_time_clears_the_mark(ticket, agent, supervisor, policy, on_commit):
    """The mark belongs to one due time: the workflow's own recomputation (a priority change here) clears it,
    and the new due time's breach is reported."""
    ServiceLevelPolicy.objects.create(name="High", priority=Ticket.Priority.HIGH, first_response_minutes=60)
    workflow.assign(ticket, to=agent, by=agent)
    set_due(ticket, policy, T0)
    run(T0 + datetime.timedelta(minutes=1), on_commit)
    ticket.refresh_from_db()
    assert ticket.next_due_step == "sla_breach"

    workflow.change_details(ticket, by=agent, priority=Ticket.Priority.HIGH)
    ticket.refresh_from_db()
    assert ticket.next_due is not None and ticket.next_due_step == ""
    mail.outbox.clear()
    result = run(ticket.next_due + datetime.timedelta(minutes=1), on_commit)
    assert result.done["sla_breach"] == 1
    assert sent_to(supervisor.email)


def test_the_migration_marks_the_breaches_already_reported(ticket, agent, supervisor, policy, on_commit):
    from importlib import import_module

    from django.apps import apps

    workflow.assign(ticket, to=agent, by=agent)
    set_due(ticket, policy, T0)
    run(T0 + datetime.timedelta(minutes=1), on_commit)
    other = factories.open_ticket(requester_email="one@example.com", subject="Warned only")
    set_due(other, policy, T0 + DAY)
    AutomationStep.objects.create(ticket=other, step="sla_warning", key=(T0 + DAY).isoformat())
    stale = factories.open_ticket(requester_email="two@example.com", subject="Reported for an earlier due time")
    set_due(stale, policy, T0 + 2 * DAY)
    AutomationStep.objects.create(ticket=stale, step="sla_breach", key=T0.isoformat())
    Ticket.objects.update(next_due_step="")  # as the rows were before the migration

    import_module("wagtail_support.migrations.0033_next_due_step").fill(apps, None)

    steps = dict(Ticket.objects.values_list("subject", "next_due_step"))
    assert steps[ticket.subject] == "sla_breach"
    assert steps["Warned only"] == "sla_warning"
    assert steps["Reported for an earlier due time"] == ""


def test_a_closed_ticket_is_not_warned_about(ticket, agent, supervisor, resolution_code, policy, on_commit):
    workflow.resolve(ticket, by=agent, code=resolution_code, solution="Fixed it.")
    set_due(ticket, policy, T0)
    assert run(T0 + DAY, on_commit).total == 0
    assert mail.outbox == []


# Dry run, batches, command, task ---------------------------------------------------------------------------


def test_a_dry_run_changes_and_sends_nothing(ticket, agent, supervisor, policy, on_commit):
    make_pending(ticket, agent, policy)
    Ticket.objects.filter(pk=ticket.pk).update(next_due=T0)
    version = Ticket.objects.get(pk=ticket.pk).version

    result = run(T0 + 30 * DAY, on_commit, dry_run=True)

    assert dict(result.done) == {"auto_close": 1, "sla_breach": 1}
    assert sorted(result.planned) == sorted([(ticket.reference, "auto_close"), (ticket.reference, "sla_breach")])
    assert mail.outbox == [] and not OutboundMail.objects.filter(ticket=ticket, event__in=["closed_no_reply", "sla_breach"]).exists()
    assert not AutomationStep.objects.exists()
    row = Ticket.objects.get(pk=ticket.pk)
    assert row.status == Ticket.Status.PENDING and row.version == version


def test_batches_handle_every_ticket(requester, category, agent, policy, on_commit):
    tickets = [
        make_pending(factories.open_ticket(requester, category=category, subject=f"Ticket {n}"), agent, policy)
        for n in range(7)
    ]
    # Some share a pending_since, so the keyset's tie-break is needed.
    for n, one in enumerate(tickets):
        Ticket.objects.filter(pk=one.pk).update(pending_since=T0 + datetime.timedelta(hours=n // 3))
    result = run(T0 + 4 * DAY, on_commit, batch_size=2)
    assert result.done["reminder"] == 7
    assert result.batches == 4
    assert AutomationStep.objects.filter(step="reminder").count() == 7
    assert len(sent_to("requester@example.com")) == 7


def test_a_batch_with_nothing_due_costs_two_queries(requester, category, agent, policy, on_commit, django_assert_max_num_queries):
    for n in range(6):
        make_pending(factories.open_ticket(requester, category=category, subject=f"Ticket {n}"), agent, policy)
    run(T0 + 4 * DAY, on_commit)
    # Everything done already: the monthly summaries waiting (none), the webhook retries due (one query on
    # their index), the policies' bounds, then per batch the tickets and the steps done.
    with django_assert_max_num_queries(1 + 1 + 1 + 2 * 3 + 2):
        assert tick(now=T0 + 4 * DAY, batch_size=2).total == 0


def test_the_command_prints_the_counts_and_its_dry_run(ticket, agent, policy, on_commit):
    make_pending(ticket, agent, policy, since=timezone.now() - 4 * DAY)
    out = StringIO()
    call_command("support_tick", "--dry-run", stdout=out)
    assert f"{ticket.reference}\treminder" in out.getvalue()
    assert "reminder: 1 would be done" in out.getvalue()
    assert not AutomationStep.objects.exists()

    out = StringIO()
    with on_commit():
        call_command("support_tick", stdout=out)
    assert "reminder: 1 done" in out.getvalue()
    assert "auto_close: 0 done" in out.getvalue()
    assert len(sent_to("requester@example.com")) == 1


def test_the_task_runs_the_tick(ticket, agent, policy, on_commit):
    make_pending(ticket, agent, policy, since=timezone.now() - 4 * DAY)
    with on_commit():
        result = support_tick_task.enqueue()
    assert result.return_value == {"reminder": 1}
    assert len(sent_to("requester@example.com")) == 1


# Two runs at once (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_ticks_at_once_do_each_step_once(transactional_db, requester, category, agent, supervisor, policy):
    pending = [
        make_pending(factories.open_ticket(requester, category=category, subject=f"Quiet {n}"), agent, policy)
        for n in range(4)
    ]
    for n, one in enumerate(pending):
        # Two reminders due, two closings due.
        Ticket.objects.filter(pk=one.pk).update(pending_since=T0 - (4 if n < 2 else 11) * DAY)
    late = factories.open_ticket(requester, category=category, subject="Late one")
    set_due(late, policy, T0 - datetime.timedelta(minutes=1))
    mail.outbox.clear()
    OutboundMail.objects.all().delete()

    runs = 2
    start = threading.Barrier(runs)
    results, errors = [None] * runs, []

    def one_run(number):
        try:
            start.wait()
            results[number] = tick(now=T0, batch_size=2)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_run, args=(n,)) for n in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    done = sum((r.done for r in results), start=__import__("collections").Counter())
    assert dict(done) == {"reminder": 2, "auto_close": 2, "sla_breach": 1}
    assert sum(sum(r.failed.values()) for r in results) == 0
    events = sorted(OutboundMail.objects.values_list("event", "recipient"))
    assert events == sorted(
        [("reminder", "requester@example.com")] * 2
        + [("closed_no_reply", "requester@example.com")] * 2
        + [("sla_breach", supervisor.email)]
    )
    assert Ticket.objects.filter(close_reason=Ticket.CloseReason.NO_REPLY).count() == 2
    for one in pending[2:]:
        row = Ticket.objects.get(pk=one.pk)
        assert row.status == Ticket.Status.CLOSED
        # Closed once: one status entry in its history.
        from wagtail.log_actions import registry  # noqa: PLC0415 - read here only

        assert registry.get_logs_for_instance(row).filter(action="wagtail_support.ticket.status", data__new="closed").count() == 1


def test_the_history_names_each_step(ticket, agent, policy, on_commit):
    from wagtail.log_actions import registry  # noqa: PLC0415 - read here only

    make_pending(ticket, agent, policy, since=timezone.now() - 11 * DAY)
    run(timezone.now(), on_commit)
    messages = [str(entry.message) for entry in registry.get_logs_for_instance(ticket).order_by("pk")]
    assert "Closed the ticket: no reply from the requester" in messages
    assert any(message.startswith("Status:") and "→" in message for message in messages)  # the status change too
    assert not any(message.startswith("Unknown") for message in messages)
