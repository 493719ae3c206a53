"""A ticket's service level due times: which policy applies, when the first response, the next response and
the resolution are due, the earliest of them (``next_due``, what the inbox sorts and filters on), the pause
while the ticket waits for the requester, and how each target stands (``targets``, for display).

Below the workflow, beside ``links``: ``refresh`` only sets fields on the ticket object it is given; the
workflow calls it from the one place a move saves (``workflow_base._save``, and once after opening) and
saves what it changed. The arithmetic is ``business_time``'s.

How the dues move:

- On opening, and whenever the priority, the team or the catalog entry changes, the policy is looked for
  again (one query) and the dues are computed from their original start moments: the first response and the
  resolution from ``created_at``, the next response from ``awaiting_agent_since``; the business time already
  spent paused is carried over.
- The first response due is cleared once a first public reply is given; the next response due is set when the
  requester wrote last after a first response, and cleared when the team answers.
- A policy that pauses while pending stops the clock when the ticket becomes pending (``sla_paused_at``);
  when it leaves pending the open dues move on by the business minutes spent paused. While paused, and once
  closed, nothing is due (``next_due`` is ``None``).

What the reports read (``durations``), recorded by the same ``refresh`` when it happens, so every move gets it:

- the first response: ``first_response_seconds`` from ``created_at`` to ``first_response_at``, and
  ``first_response_met`` (``first_response_at`` <= the first response due, read before it is cleared; ``None``
  without a target), once, by the move that gave the first public reply;
- each closing: ``resolution_seconds`` from ``created_at`` to ``closed_at`` and ``resolution_met``
  (``closed_at`` <= the resolution due, which the pauses moved on; ``None`` without a target); reopening clears
  them and the next closing computes them again from ``created_at``.

Seconds are business seconds of the policy's calendar when the policy counts in business hours (its team's
calendar), clock seconds otherwise (no policy, around the clock). The time spent paused is not taken out of
the durations (it is out of the dues, hence of ``*_met``).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from .business_time import Calendar, InvalidCalendar
from .models import ServiceLevelPolicy, Team, Ticket

# The fields ``refresh`` may change.
FIELDS = (
    "sla_policy", "first_response_due", "next_response_due", "resolution_due", "next_due", "sla_paused_at",
    "pending_since", "first_response_seconds", "first_response_met", "resolution_seconds", "resolution_met",
    "next_due_step",
)  # fmt: skip
# What makes the policy be looked for again (besides opening).
BASIS = ("priority", "team", "category")
DUES = ("first_response_due", "next_response_due", "resolution_due")

LABELS = {
    "first_response": _("First response"),
    "next_response": _("Next response"),
    "resolution": _("Resolution"),
}


def calendar_for(policy, team):
    """The ``Calendar`` ``policy``'s targets are counted in for ``team`` (around the clock without a policy,
    or when the team's calendar cannot be computed with). Reads the team's calendar, its intervals and its
    holidays (prefetch them to spare the queries)."""
    if policy is None:
        return Calendar.always()
    try:
        return Calendar.of(policy.calendar_for(team))
    except InvalidCalendar:
        return Calendar.always()


def durations(calendar, start, end):
    """The whole seconds from ``start`` to ``end`` counted in ``calendar`` (a ``business_time.Calendar``:
    business seconds, or clock seconds around the clock); never negative."""
    return max(0, round(calendar.between(start, end) * 60))


def _basis(ticket):
    return tuple(getattr(ticket, Ticket._meta.get_field(name).attname) for name in BASIS)


def _policy(ticket):
    """The ticket's current policy object (``None`` without one); a query when not loaded yet."""
    return ticket.sla_policy if ticket.sla_policy_id else None


def refresh(ticket, now, *, recompute=None):
    """Bring ``ticket``'s service level fields up to date at ``now`` (nothing saved) and return the names of
    the fields changed. ``recompute``: look for the policy again and compute the dues from their start
    moments; by default when the priority, team or catalog entry differ from what the dues were computed
    for (the row's state when the move began, ``_before_move``)."""
    before = {name: getattr(ticket, name) for name in FIELDS if name != "sla_policy"}
    before_policy = ticket.sla_policy_id
    # The first response due as the move found it: a recomputation in the same move clears it once answered.
    first_due_before = ticket.first_response_due
    if recompute is None:
        basis = getattr(ticket, "_sla_basis", None)
        if basis is None:
            snapshot = getattr(ticket, "_before_move", None)
            basis = tuple(snapshot.get(name) for name in BASIS) if snapshot else _basis(ticket)
        recompute = basis != _basis(ticket)
    ticket._sla_basis = _basis(ticket)

    cache = {}

    def calendar():
        if "calendar" not in cache:
            cache["calendar"] = calendar_for(policy, ticket.team)
        return cache["calendar"]

    closed = ticket.status == Ticket.Status.CLOSED
    pending = ticket.status == Ticket.Status.PENDING

    if recompute:
        policy = _recompute(ticket, now)
    else:
        policy = _policy(ticket)
    targets = policy.targets() if policy is not None else {}

    # Waiting for the requester: pending_since, and the pause.
    if pending and ticket.pending_since is None:
        ticket.pending_since = now
    elif not pending:
        ticket.pending_since = None
    if pending and policy is not None and policy.pause_while_pending and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    elif not pending and ticket.sla_paused_at is not None:
        paused = max(0, calendar().between(ticket.sla_paused_at, now))
        for name in DUES:
            due = getattr(ticket, name)
            if due is not None and paused:
                setattr(ticket, name, calendar().add(due, paused))
        ticket.sla_paused_at = None

    # The first response: recorded for the reports (against its due, before it goes), due only until given.
    if ticket.first_response_at is not None and ticket.first_response_seconds is None:
        due = ticket.first_response_due if ticket.first_response_due is not None else first_due_before
        if "first_response" not in targets:
            due = None
        ticket.first_response_seconds = durations(calendar(), ticket.created_at, ticket.first_response_at)
        ticket.first_response_met = None if due is None else ticket.first_response_at <= due
    if ticket.first_response_at is not None or "first_response" not in targets:
        ticket.first_response_due = None
    # The next response: after the requester's message, once a first response was given.
    waiting = ticket.awaiting_agent_since
    if closed or waiting is None or ticket.first_response_at is None or "next_response" not in targets:
        ticket.next_response_due = None
    elif ticket.next_response_due is None:
        ticket.next_response_due = calendar().add(waiting, targets["next_response"])
    if "resolution" not in targets:
        ticket.resolution_due = None
    # Each closing: the time to it and whether the resolution target was met; cleared while not closed.
    if closed and ticket.closed_at is not None:
        if ticket.resolution_seconds is None:
            due = ticket.resolution_due
            ticket.resolution_seconds = durations(calendar(), ticket.created_at, ticket.closed_at)
            ticket.resolution_met = None if due is None else ticket.closed_at <= due
    elif not closed:
        ticket.resolution_seconds = None
        ticket.resolution_met = None

    dues = [getattr(ticket, name) for name in DUES if getattr(ticket, name) is not None]
    ticket.next_due = None if closed or ticket.sla_paused_at is not None or not dues else min(dues)
    if ticket.next_due != before["next_due"]:
        ticket.next_due_step = ""  # a new due time: its warning and breach are still to do

    changed = {name for name, value in before.items() if getattr(ticket, name) != value}
    if ticket.sla_policy_id != before_policy:
        changed.add("sla_policy")
    return changed


def _recompute(ticket, now):
    """Look for the ticket's policy again and compute its dues from their start moments, carrying the
    business time already spent paused (read from the old resolution due, in the old policy's calendar)."""
    old_policy = _policy(ticket)
    shift = 0
    if old_policy is not None and old_policy.resolution_minutes is not None and ticket.resolution_due is not None:
        snapshot = getattr(ticket, "_before_move", None) or {}
        old_team = ticket.team
        if snapshot.get("team", ticket.team_id) != ticket.team_id:
            old_team = Team.objects.select_related("calendar").filter(pk=snapshot.get("team")).first()
        spent = calendar_for(old_policy, old_team).between(ticket.created_at, ticket.resolution_due)
        shift = max(0, spent - old_policy.resolution_minutes)

    policy = ServiceLevelPolicy.objects.for_ticket(ticket)
    ticket.sla_policy = policy
    for name in DUES:
        setattr(ticket, name, None)
    if policy is None:
        ticket.sla_paused_at = None
        return None
    targets = policy.targets()
    cal = calendar_for(policy, ticket.team)
    if "first_response" in targets and ticket.first_response_at is None:
        ticket.first_response_due = cal.add(ticket.created_at, targets["first_response"] + shift)
    if "resolution" in targets:
        ticket.resolution_due = cal.add(ticket.created_at, targets["resolution"] + shift)
    if "next_response" in targets and ticket.awaiting_agent_since is not None and ticket.first_response_at:
        ticket.next_response_due = cal.add(ticket.awaiting_agent_since, targets["next_response"])
    if ticket.status == Ticket.Status.PENDING and not policy.pause_while_pending:
        ticket.sla_paused_at = None
    return policy


# Display ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """How one target of a ticket stands: ``state`` is "met", "late", "due soon", "running" or "paused";
    ``minutes`` the business minutes late (late, or met late) or left (due soon, running, paused)."""

    name: str
    due: datetime | None
    met_at: datetime | None
    state: str
    minutes: int | None

    @property
    def label(self):
        return LABELS[self.name]


def targets(ticket, now, calendar=None):
    """The targets of ``ticket``'s policy and how each stands at ``now``, in the order first response, next
    response, resolution (a target without a due time now and not met is left out). ``calendar``: the
    ``Calendar`` to count business minutes in (by default the policy's for the ticket's team)."""
    policy = _policy(ticket)
    if policy is None:
        return []
    cal = calendar or calendar_for(policy, ticket.team)
    soon = policy.warn_before_minutes
    closed = ticket.status == Ticket.Status.CLOSED
    found = []
    wanted = policy.targets()
    rows = [
        ("first_response", ticket.first_response_due, ticket.first_response_at),
        ("next_response", ticket.next_response_due, None),
        ("resolution", ticket.resolution_due, ticket.closed_at if closed else None),
    ]
    for name, due, met_at in rows:
        if name not in wanted:
            continue
        if met_at is not None:
            late = cal.between(due, met_at) if due is not None else 0
            found.append(Target(name, due, met_at, "met", max(0, late)))
            continue
        if due is None or closed:
            continue
        if ticket.sla_paused_at is not None:
            found.append(Target(name, due, None, "paused", max(0, cal.between(ticket.sla_paused_at, due))))
            continue
        left = cal.between(now, due)
        if due <= now:
            found.append(Target(name, due, None, "late", max(0, -left)))
        elif left <= soon:
            found.append(Target(name, due, None, "due soon", left))
        else:
            found.append(Target(name, due, None, "running", left))
    return found


def duration(minutes):
    """Business minutes as a person reads them: "45 min", "2 h 15 min", "3 h"."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": rest}
    if not rest:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
