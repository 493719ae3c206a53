"""Merging a ticket into another: the duplicate (the source) hands its conversation, its attachments and
its mail threading to the ticket that goes on (the target), and closes with a pointer to it
(``merged_into``, close reason "Merged"). Reached as ``workflow.merge(...)`` like every other move.

It cannot be undone: the messages of both tickets are one conversation afterwards. The source's links and
reply address keep working: the visitor pages and the inbound mail handler follow ``merged_into`` to the
target. When the requesters differ, the source's requester (and beneficiary) follow the target
(``TicketFollower``), so they keep hearing about it and may read it (``access.follows_by_merge``).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import Actor, role_of
from .conf import support_settings
from .errors import IllegalTransition, InvalidInput, NotAllowed, TicketChanged
from .models import InboundMail, Message, OutboundMail, Ticket, TicketFollower
from .workflow_base import STAFF, _check_move, _log, _log_status, _notify, _refresh, _save, _snapshot

# The event of the mails telling both requesters (``notifications.recipients``).
MERGED_EVENT = "merged"


def _lock_both(source_pk, target_pk):
    """Lock both rows, the lower pk first (two merges of the same pair in opposite directions never
    deadlock), and hand them back as (source, target); ``None`` for a ticket that does not exist."""
    rows = {}
    for pk in sorted((source_pk, target_pk)):
        row = Ticket.objects.select_for_update(of=("self",)).select_related("team").filter(pk=pk).first()
        if row is not None:
            row._before_move = _snapshot(row)
        rows[pk] = row
    return rows[source_pk], rows[target_pk]


def _check(actor, source, target):
    for row in (source, target):
        if row is None or role_of(actor, row) not in STAFF:
            # The same refusal for a ticket that does not exist and one the actor does not work.
            raise NotAllowed(_("You may only merge tickets that you work."))
    if source.merged_into_id is not None:
        raise IllegalTransition(
            _("Ticket %(reference)s has already been merged into another ticket.") % {"reference": source.reference},
            field="status",
        )
    if source.is_closed:
        raise IllegalTransition(
            _("Ticket %(reference)s is closed: reopen it before merging it.") % {"reference": source.reference},
            field="status",
        )
    if target.is_closed or target.merged_into_id is not None:
        raise IllegalTransition(
            _("Ticket %(reference)s is closed: reopen it before merging another ticket into it.")
            % {"reference": target.reference},
            field="target",
        )


def _people(ticket):
    """The requester's and the beneficiary's (address, name, account) on ``ticket``."""
    people = []
    for email, name, user in (
        (ticket.requester_email, ticket.requester_name, ticket.requester_user),
        (ticket.beneficiary_email, ticket.beneficiary_name, ticket.beneficiary_user),
    ):
        email = (email or (user.email if user is not None else "") or "").strip().lower()
        if email:
            people.append((email, name, user))
    return people


def _follow_target(source, target, actor):
    """The source's people (requester, beneficiary, followers) who are not the target's follow it."""
    own = {email for email, _name, _user in _people(target)}
    taken = own | set(TicketFollower.objects.filter(ticket=target).values_list("email", flat=True))
    new = []
    candidates = _people(source) + [
        (f.email.lower(), f.name, f.user) for f in TicketFollower.objects.filter(ticket=source).select_related("user")
    ]
    for email, name, user in candidates:
        if email in taken:
            continue
        taken.add(email)
        new.append(TicketFollower(ticket=target, email=email, name=name or "", user=user, added_by=actor.log_user))
    TicketFollower.objects.bulk_create(new, ignore_conflicts=True)
    return [follower.email for follower in new]


def merge(source, target, *, by, notify=None, expected_version=None):
    """Merge ``source`` into ``target`` (tickets or their ids) and return the target.

    In one transaction, both rows locked: the source's messages (internal notes stay internal) with their
    attachments, and the records of its mails in and out, move to the target (each message keeps its
    date, so the conversation interleaves); the source closes as "Merged" with ``merged_into`` set;
    tickets merged into the source earlier point at the target; the source's people follow the target;
    both tickets log the merge. ``notify``: whether both requesters are told (``None``: the setting
    ``WAGTAILSUPPORT_MERGE_NOTIFY_REQUESTERS``). ``expected_version``: the source's version the agent saw.
    """
    actor = Actor.coerce(by)
    source_pk, target_pk = getattr(source, "pk", source), getattr(target, "pk", target)
    if notify is None:
        notify = support_settings.MERGE_NOTIFY_REQUESTERS
    if source_pk == target_pk:
        raise InvalidInput(_("A ticket cannot be merged into itself."), field="target")
    with transaction.atomic():
        source_row, target_row = _lock_both(source_pk, target_pk)
        _check(actor, source_row, target_row)
        if expected_version is not None and int(expected_version) != source_row.version:
            raise TicketChanged(
                _(
                    "Ticket %(reference)s changed while you were working on it. "
                    "Nothing was applied: look at the latest version and try again."
                )
                % {"reference": source_row.reference}
            )
        now = timezone.now()
        moved = Message.objects.filter(ticket=source_row).update(ticket=target_row)
        OutboundMail.objects.filter(ticket=source_row).update(ticket=target_row)
        InboundMail.objects.filter(ticket=source_row).update(ticket=target_row)
        # No chain to follow later: what was merged into the source now points at the target.
        Ticket.objects.filter(merged_into=source_row).update(merged_into=target_row)

        old_status = source_row.status
        source_waiting = source_row.awaiting_agent_since
        source_row.status = _check_move(source_row, "merge")
        source_row.closed_at = now
        source_row.close_reason = Ticket.CloseReason.MERGED
        source_row.merged_into = target_row
        source_row.awaiting_agent_since = None
        _save(source_row, {"status", "closed_at", "close_reason", "merged_into", "awaiting_agent_since"}, "merge", actor)
        _log(source_row, "merge", actor, into=target_row.reference, into_id=target_row.pk, messages=moved)
        _log_status(source_row, actor, old_status, "merge")

        # A requester's message of the source that waits for an answer now waits on the target.
        waiting = [when for when in (target_row.awaiting_agent_since, source_waiting) if when]
        fields = set()
        if waiting and min(waiting) != target_row.awaiting_agent_since:
            target_row.awaiting_agent_since = min(waiting)
            fields.add("awaiting_agent_since")
        _save(target_row, fields, "merge_into", actor)
        if notify:
            _notify(MERGED_EVENT, source_row, actor)
            # The target's people, unless they are the source's (told by the mail above). Before the
            # source's people follow the target: they are not mailed twice.
            if {e for e, _n, _u in _people(target_row)} - {e for e, _n, _u in _people(source_row)}:
                _notify(MERGED_EVENT, target_row, actor)
        followers = _follow_target(source_row, target_row, actor)
        _log(
            target_row,
            "merged_from",
            actor,
            source=source_row.reference,
            source_id=source_row.pk,
            messages=moved,
            followers=followers,
        )
    if isinstance(source, Ticket):
        _refresh(source, source_row)
    if isinstance(target, Ticket):
        _refresh(target, target_row)
        return target
    return target_row

