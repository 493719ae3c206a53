"""The automation over time, run by ``manage.py support_tick`` (from cron) or the ``support_tick_task``.

``tick`` looks for the tickets on which a step of their service level policy is due and has each done by
its workflow move (``workflow.remind``, ``workflow.close_without_reply``, ``workflow.warn_service_level``):

- pending tickets (waiting for the requester since ``pending_since``): a reminder after the policy's
  ``remind_after_days``, a second one after ``second_reminder_after_days``, and after ``close_after_days``
  the ticket is closed with the built-in "no reply" resolution code and a mail saying so;
- tickets with a due time (``next_due``): a warning to the assignee (or the team) from
  ``warn_before_minutes`` before it, and a mail to the supervisors once it has passed.

And on and after the first day of a month, the reports' monthly summary of the month before to each agent
who asked for it (``ReportSubscription.monthly_summary``), once per month (``monthly_summaries``).
It also tries again the outgoing webhooks' deliveries whose retry is due (``webhooks.retry_due``, counted
as ``webhook_retries``).

Only tickets whose ``sla_policy`` is set (by the workflow) and active are looked at. They are read in
batches, in the order of the index each scan uses (``pending_since``, ``next_due``) with the primary key
or the number as tie-break (keyset pagination: each batch starts after the last row of the one before, so
a batch costs the same whatever its place), and the steps already done are read for the whole batch in one
query, so a batch in which nothing is due costs two queries. Each step done is its own move: it locks the
ticket, checks again, and claims the step by inserting its ``AutomationStep`` row; running ``tick`` twice,
or on two machines at once, does each step once.
"""

import datetime
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from . import access, privacy, reports, webhooks, workflow
from .conf import support_settings
from .models import AutomationStep, ReportSubscription, ServiceLevelPolicy, Team, Ticket
from .notifications import outbox
from .notifications.recipients import AGENT, SUMMARY_EVENT, account_language
from .workflow_automation import (
    AUTO_CLOSE,
    EVENTS,
    REMINDER,
    SECOND_REMINDER,
    SLA_BREACH,
    SLA_WARNING,
    pending_step_due,
    service_level_step_due,
    step_key,
)

logger = logging.getLogger("wagtail_support.automation")

PENDING_STEPS = (REMINDER, SECOND_REMINDER, AUTO_CLOSE)
SERVICE_LEVEL_STEPS = (SLA_WARNING, SLA_BREACH)
MONTHLY_SUMMARY = SUMMARY_EVENT
STEPS = PENDING_STEPS + SERVICE_LEVEL_STEPS + (MONTHLY_SUMMARY,)
BATCH_SIZE = 500
# The outgoing webhooks' deliveries tried again (``webhooks.retry_due``), counted in ``TickResult.done``.
WEBHOOK_RETRIES = "webhook_retries"


@dataclass
class TickResult:
    """What a ``tick`` did (or, in a dry run, would do): ``done`` counts the steps by name, ``skipped``
    the steps another run did first, ``failed`` the steps that raised (logged); ``planned``: (ticket
    reference, step) of each step, in a dry run; ``batches``: the batches read."""

    done: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    planned: list = field(default_factory=list)
    batches: int = 0

    @property
    def total(self):
        return sum(self.done.values())


def tick(now=None, batch_size=BATCH_SIZE, dry_run=False):
    """Do every automation step due at ``now`` (default: the current time); see the module docstring.

    ``dry_run``: change nothing and send nothing, and say what would be done (``TickResult.planned``).
    """
    now = now or timezone.now()
    result = TickResult()
    monthly_summaries(now, dry_run, result)
    _retention(now, batch_size, dry_run, result)
    _webhook_retries(now, dry_run, result)
    policies = ServiceLevelPolicy.objects.filter(is_active=True)
    bounds = policies.aggregate(
        remind=Min("remind_after_days"),
        second=Min("second_reminder_after_days"),
        close=Min("close_after_days"),
        warn=Max("warn_before_minutes"),
        any_due=Max("pk"),
    )
    if bounds["any_due"] is None:
        return result  # no active policy: nothing can be due
    days = [value for value in (bounds["remind"], bounds["second"], bounds["close"]) if value]
    if days:
        _pending(now, min(days), batch_size, dry_run, result)
    _service_levels(now, bounds["warn"] or 0, batch_size, dry_run, result)
    return result


def _webhook_retries(now, dry_run, result):
    """The outgoing webhooks' deliveries whose retry is due, each tried once (``webhooks.retry_due``);
    first, since they need no service level policy."""
    count = webhooks.retry_due(now, dry_run)
    if count:
        result.done[WEBHOOK_RETRIES] = count


# What deciding on a step reads (500 full rows would cost more to build than to fetch).
FIELDS_READ = (
    "pk", "number", "status", "pending_since", "next_due", "next_due_step", "sla_policy__id",
    "sla_policy__warn_before_minutes", "sla_policy__remind_after_days", "sla_policy__second_reminder_after_days",
    "sla_policy__close_after_days",
)  # fmt: skip


def _with_policy():
    tickets = Ticket.objects.filter(sla_policy__isnull=False, sla_policy__is_active=True)
    return tickets.select_related("sla_policy").only(*FIELDS_READ)


def _pending(now, min_days, batch_size, dry_run, result):
    """Pending tickets waiting for at least ``min_days`` (the fewest days of any policy)."""
    tickets = _with_policy().filter(
        status=Ticket.Status.PENDING,
        pending_since__isnull=False,
        pending_since__lte=now - datetime.timedelta(days=min_days),
    )
    for batch in _batches(tickets, "pending_since", "pk", batch_size, result):
        due = [(row, pending_step_due(row, row.sla_policy, now)) for row in batch]
        _run(due, lambda row: step_key(row.pending_since), now, dry_run, result)


def _service_levels(now, max_warn, batch_size, dry_run, result):
    """Open and pending tickets due within the longest warning of any policy, or late."""
    tickets = _with_policy().filter(next_due__isnull=False, next_due__lte=now + datetime.timedelta(minutes=max_warn))
    # Leave out what is done (``Ticket.next_due_step``): a breach reported, a warning given and not late yet.
    # The partial index ws_ticket_due_to_report holds only the due times whose breach is still to report.
    tickets = tickets.exclude(status=Ticket.Status.CLOSED).exclude(next_due_step=SLA_BREACH)
    tickets = tickets.exclude(next_due__gt=now, next_due_step=SLA_WARNING)
    for batch in _batches(tickets, "next_due", "number", batch_size, result):
        due = [(row, service_level_step_due(row, row.sla_policy, now)) for row in batch]
        _run(due, lambda row: step_key(row.next_due), now, dry_run, result)


def _batches(queryset, column, tie, batch_size, result):
    """``queryset`` in batches of ``batch_size`` rows, by (``column``, ``tie``), each batch after the last.

    The "after" is a row comparison, ``(column, tie) > (last, last tie)``, which the database reads as a
    range of the index on ``column``: a batch starts where the last ended instead of reading past the rows
    of every batch before it (an ``OR`` of the two conditions would, and costs grow with the batch's place)."""
    model = queryset.model
    table = connection.ops.quote_name(model._meta.db_table)
    fields = [model._meta.pk if name == "pk" else model._meta.get_field(name) for name in (column, tie)]
    columns = [f"{table}.{connection.ops.quote_name(one.column)}" for one in fields]
    last = None
    while True:
        page = queryset.order_by(column, tie)
        if last is not None:
            page = page.extra(where=[f"({columns[0]}, {columns[1]}) > (%s, %s)"], params=last)
        batch = list(page[:batch_size])
        if not batch:
            return
        result.batches += 1
        yield batch
        if len(batch) < batch_size:
            return
        last = [connection.ops.adapt_datetimefield_value(getattr(batch[-1], column)), getattr(batch[-1], tie)]


def _run(due, key_of, now, dry_run, result):
    """Do the steps due on a batch's tickets, the ones already done left out (one query for the batch)."""
    due = [(row, step) for row, step in due if step is not None]
    if not due:
        return
    done = set(
        AutomationStep.objects.filter(ticket_id__in=[row.pk for row, _step in due], step__in={s for _r, s in due})
        .values_list("ticket_id", "step", "key")
    )
    for row, step in due:
        if (row.pk, step, key_of(row)) in done:
            continue
        if dry_run:
            result.planned.append((row.reference, step))
            result.done[step] += 1
            continue
        try:
            did = _move(row.pk, step, now)
        except Exception:  # noqa: BLE001 - one ticket's failure must not stop the others; it is retried next run
            logger.exception("support_tick: could not do %s on ticket %s", step, row.reference)
            result.failed[step] += 1
            continue
        (result.done if did else result.skipped)[step] += 1


# The monthly summary ------------------------------------------------------------------------------------------


def summary_month(now):
    """The month a summary sent at ``now`` is about: the one before ``now``'s, in the reports time zone, as
    ``(first day, last day)``."""
    first = now.astimezone(reports.time_zone()).date().replace(day=1)
    end = first - datetime.timedelta(days=1)
    return end.replace(day=1), end


def _not_sent_for(start):
    return Q(last_sent_month__isnull=True) | Q(last_sent_month__lt=start)


def monthly_summaries(now, dry_run=False, result=None):
    """Mail the summary of last month (against the month before) to every active agent who asked for it and
    has not had it yet, each scoped to the tickets they may see (``reports.headline``). Someone who is no
    longer an agent gets nothing (their choice is kept). Each mail is claimed by moving the subscription's
    ``last_sent_month`` with an ``UPDATE ... WHERE`` it was earlier: two ticks at once send it once."""
    result = result if result is not None else TickResult()
    start, end = summary_month(now)
    waiting = (
        ReportSubscription.objects.filter(_not_sent_for(start), monthly_summary=True, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    )
    for subscription in waiting:
        user = subscription.user
        if not access.is_agent(user):
            continue
        if dry_run:
            result.planned.append((user.get_username(), MONTHLY_SUMMARY))
            result.done[MONTHLY_SUMMARY] += 1
            continue
        try:
            sent = _send_summary(subscription, start, end)
        except Exception:  # noqa: BLE001 - one user's failure must not stop the others; retried next run
            logger.exception("support_tick: could not send the monthly summary to user %s", user.pk)
            result.failed[MONTHLY_SUMMARY] += 1
            continue
        (result.done if sent else result.skipped)[MONTHLY_SUMMARY] += 1
    return result


def _send_summary(subscription, start, end):
    """Claim this month's summary for ``subscription`` and record its mail, in one transaction (a failure
    leaves it unclaimed, for the next run); ``False`` when another run claimed it first."""
    user = subscription.user
    with transaction.atomic():
        claimed = ReportSubscription.objects.filter(_not_sent_for(start), pk=subscription.pk, monthly_summary=True).update(
            last_sent_month=start
        )
        if not claimed:
            return False
        figures, previous = reports.headline(user, start, end)
        every_team = access.can_view_all(user)
        teams = [] if every_team else sorted(Team.objects.filter(members=user).values_list("name", flat=True))
        previous_query = reports.months_before(reports.ReportQuery(start=start, end=end))
        mail = outbox.record_mail(
            event=SUMMARY_EVENT,
            audience=AGENT,
            recipient=user.email,
            language=account_language(user),
            params={
                "start": start.isoformat(),
                "end": end.isoformat(),
                "previous_start": previous_query.start.isoformat(),
                "previous_end": previous_query.end.isoformat(),
                "figures": asdict(figures),
                "previous": asdict(previous),
                "every_team": every_team,
                "teams": teams,
                "name": user.get_full_name() or user.get_username(),
            },
        )
        outbox.dispatch([mail])
    return True
RETENTION = "retention"
# At most this many tickets erased by one tick (about a minute or two); the rest go at the next ticks.
RETENTION_PER_TICK = 2000


def _retention(now, batch_size, dry_run, result):
    """The closed tickets past ``WAGTAILSUPPORT_RETENTION_DAYS`` erased (``privacy.erase_expired``), counted
    as the step ``"retention"``; nothing without the setting."""
    if support_settings.RETENTION_DAYS is None:
        return
    done = privacy.erase_expired(now=now, batch_size=batch_size, dry_run=dry_run, limit=RETENTION_PER_TICK)
    result.planned += [(reference, RETENTION) for reference in done.planned]
    result.done[RETENTION] += len(done.planned) if dry_run else done.erased
    result.skipped[RETENTION] += done.skipped
    result.failed[RETENTION] += done.failed


def _move(ticket_id, step, now):
    if step == AUTO_CLOSE:
        return workflow.close_without_reply(ticket_id, now)
    if step in (REMINDER, SECOND_REMINDER):
        return workflow.remind(ticket_id, step, now)
    return workflow.warn_service_level(ticket_id, step, now)


__all__ = [
    "EVENTS", "MONTHLY_SUMMARY", "PENDING_STEPS", "RETENTION", "SERVICE_LEVEL_STEPS", "STEPS", "TickResult",
    "WEBHOOK_RETRIES", "monthly_summaries", "tick",
]  # fmt: skip
