"""The moves of the automation over time (``support_tick``): reminding a requester who went silent,
closing a ticket after the policy's days without a reply, warning the team before a service level target
is missed and the supervisors when it is. Reached as ``workflow.<move>`` like every other move.

Each move locks the ticket row, checks again under the lock that the step is still due (the requester
may have answered meanwhile, an agent may have closed the ticket), then claims the step by inserting its
``AutomationStep`` row (ticket, step, key) in a savepoint of the move's transaction: a second run, on this
machine or another, finds the row there (an ``IntegrityError``) and does nothing. The claim, the ticket's
change, its log entry and its mail records commit together or not at all. Each move returns whether it
did the step.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .access import Actor
from .models import AutomationStep, Message, ResolutionCode, Ticket
from .workflow_base import Status, _check_move, _locked, _log, _log_status, _notify, _save

Step = AutomationStep.Step
# The steps as plain strings (a ``TextChoices`` member does not hash as its value).
REMINDER, SECOND_REMINDER, AUTO_CLOSE = Step.REMINDER.value, Step.SECOND_REMINDER.value, Step.AUTO_CLOSE.value
SLA_WARNING, SLA_BREACH = Step.SLA_WARNING.value, Step.SLA_BREACH.value

# The mail event of each step.
EVENTS = {
    REMINDER: "reminder",
    SECOND_REMINDER: "second_reminder",
    AUTO_CLOSE: "closed_no_reply",
    SLA_WARNING: "sla_warning",
    SLA_BREACH: "sla_breach",
}
# The days of the policy after which each pending step is due.
PENDING_DAYS = {
    REMINDER: "remind_after_days",
    SECOND_REMINDER: "second_reminder_after_days",
    AUTO_CLOSE: "close_after_days",
}


def _system():
    return Actor(trusted_role=Message.AuthorRole.SYSTEM)


def step_key(moment):
    """The key of a step about ``moment`` (the time a ticket became pending, a due time)."""
    return moment.isoformat()


def _claim(row, step, key, now):
    """Insert the step's row in a savepoint; ``False`` when it is there already (done by another run)."""
    try:
        with transaction.atomic():
            AutomationStep.objects.create(ticket=row, step=step, key=key, done_at=now)
    except IntegrityError:
        return False
    return True


def pending_step_due(ticket, policy, now):
    """The pending step due on ``ticket`` at ``now`` under ``policy`` (the latest one due), or ``None``."""
    if policy is None or ticket.status != Status.PENDING or ticket.pending_since is None:
        return None
    for step in (AUTO_CLOSE, SECOND_REMINDER, REMINDER):
        days = getattr(policy, PENDING_DAYS[step])
        if days and now >= ticket.pending_since + datetime.timedelta(days=days):
            return step
    return None


def service_level_step_due(ticket, policy, now):
    """``SLA_BREACH`` when ``ticket``'s next due time has passed, ``SLA_WARNING`` within the policy's
    warning minutes before it, else ``None`` (a closed ticket, or one with no due time, has none)."""
    if policy is None or ticket.status == Status.CLOSED or ticket.next_due is None:
        return None
    if now >= ticket.next_due:
        return SLA_BREACH
    if policy.warn_before_minutes and now >= ticket.next_due - datetime.timedelta(minutes=policy.warn_before_minutes):
        return SLA_WARNING
    return None


def remind(ticket_id, step, now=None):
    """Remind the requester of a pending ticket (``step``: ``REMINDER`` or ``SECOND_REMINDER``), once per
    time the ticket became pending."""
    step = str(step)
    if step not in (REMINDER, SECOND_REMINDER):
        raise ValueError(f"remind() cannot do {step}")
    now = now or timezone.now()
    actor = _system()
    with _locked(Ticket(pk=ticket_id)) as row:
        if pending_step_due(row, row.sla_policy, now) != step:
            return False
        key = step_key(row.pending_since)
        if not _claim(row, step, key, now):
            return False
        _log(row, "automation", actor, step=step, about=key)
        _notify(EVENTS[step], row, actor)
    return True


def close_without_reply(ticket_id, now=None):
    """Close a pending ticket whose requester stayed silent for the policy's ``close_after_days``: the
    built-in "no reply" resolution code, close reason ``NO_REPLY``, a mail saying so. The requester can
    reopen it within the reopen window, as any closed ticket."""
    now = now or timezone.now()
    actor = _system()
    code = ResolutionCode.no_reply()
    with _locked(Ticket(pk=ticket_id)) as row:
        if pending_step_due(row, row.sla_policy, now) != AUTO_CLOSE:
            return False
        key = step_key(row.pending_since)
        if not _claim(row, AUTO_CLOSE, key, now):
            return False
        old_status = row.status
        row.status = _check_move(row, "close_without_reply")
        row.closed_at = now
        row.close_reason = Ticket.CloseReason.NO_REPLY
        row.resolution_code = code
        row.solution = ""
        _save(row, {"status", "closed_at", "close_reason", "resolution_code", "solution"}, "close_without_reply", actor)
        _log(row, "automation", actor, step=AUTO_CLOSE, about=key, code=code.code)
        _log_status(row, actor, old_status, "close_without_reply")
        _notify(EVENTS[AUTO_CLOSE], row, actor)
    return True


def warn_service_level(ticket_id, step, now=None):
    """Mail the team before the ticket's next due time (``SLA_WARNING``) or the supervisors once it has
    passed (``SLA_BREACH``), once per due time."""
    step = str(step)
    if step not in (SLA_WARNING, SLA_BREACH):
        raise ValueError(f"warn_service_level() cannot do {step}")
    now = now or timezone.now()
    actor = _system()
    with _locked(Ticket(pk=ticket_id)) as row:
        if service_level_step_due(row, row.sla_policy, now) != step:
            return False
        key = step_key(row.next_due)
        if not _claim(row, step, key, now):
            return False
        # What the tick's scan reads to leave this due time out once its breach is reported (no other
        # field changes: the ticket's updated_at stays, it is not a change the agents made).
        Ticket.objects.filter(pk=row.pk).update(next_due_step=step)
        _log(row, "automation", actor, step=step, about=key)
        _notify(EVENTS[step], row, actor)
    return True
