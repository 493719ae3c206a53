"""The workflow's common ground: the lifecycle table, the row lock, saving a move, its log entry and its
mail records. Only ``wagtail_support.workflow`` and the ``workflow_*`` modules (the moves) use it;
everyone else calls the moves through ``wagtail_support.workflow``.
"""

import logging
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from . import access, service_levels, signals
from .access import role_of
from .attachments import validate_attachments
from .errors import IllegalTransition, InvalidInput, NotAllowed, TicketChanged
from .models import Message, Ticket, person_label
from .notifications import outbox

Status = Ticket.Status
logger = logging.getLogger("wagtail_support.workflow")

# The lifecycle (docs/architecture.md, "The ticket lifecycle"): for each move, the states it may start from and the state it ends in.
LIFECYCLE = {
    "set_pending": ({Status.OPEN}, Status.PENDING),
    "requester_reply": ({Status.PENDING}, Status.OPEN),
    "resolve": ({Status.OPEN, Status.PENDING}, Status.CLOSED),
    "abandon": ({Status.OPEN, Status.PENDING}, Status.CLOSED),
    "close_by_requester": ({Status.OPEN, Status.PENDING}, Status.CLOSED),
    "reopen": ({Status.CLOSED}, Status.OPEN),
    # The team takes a pending ticket back (the requester answered by phone, say): no mail.
    "resume": ({Status.PENDING}, Status.OPEN),
    # support_tick: a pending ticket whose requester stayed silent (workflow_automation.close_without_reply).
    "close_without_reply": ({Status.PENDING}, Status.CLOSED),
    # workflow_merge.merge: the merged ticket closes, pointing at the one it went into.
    "merge": ({Status.OPEN, Status.PENDING}, Status.CLOSED),
    # workflow_satisfaction.rate: the requester rates the current closing; the ticket stays closed.
    "rate": ({Status.CLOSED}, Status.CLOSED),
}

LOG_PREFIX = "wagtail_support.ticket"


STAFF = {Message.AuthorRole.AGENT, Message.AuthorRole.SYSTEM}
REQUESTER_SIDE = {Message.AuthorRole.REQUESTER, Message.AuthorRole.BENEFICIARY, Message.AuthorRole.SYSTEM}


def _require_role(actor, ticket, allowed):
    role = role_of(actor, ticket)
    if role not in allowed:
        if role is None:
            raise NotAllowed(_("You are not allowed to act on this ticket."))
        if role in STAFF:
            raise NotAllowed(_("Only the requester can do this."))
        raise NotAllowed(_("Only the support team can do this."))
    return role


def _check_move(ticket, move):
    sources, target = LIFECYCLE[move]
    if ticket.status not in sources:
        raise IllegalTransition(_illegal_message(move, ticket), field="status")
    return target


def _illegal_message(move, ticket):
    status = ticket.get_status_display()
    messages = {
        "set_pending": _("Only an open ticket can be set to pending (current status: %(status)s)."),
        "requester_reply": _("This reply cannot change the ticket (current status: %(status)s)."),
        "resolve": _("This ticket is already closed; reopen it before resolving it again."),
        "abandon": _("This ticket is already closed; it cannot be abandoned."),
        "close_by_requester": _("This ticket is already closed."),
        "reopen": _("Only a closed ticket can be reopened (current status: %(status)s)."),
        "resume": _("Only a pending ticket can be set open again (current status: %(status)s)."),
        "close_without_reply": _("Only a pending ticket is closed for want of a reply (current status: %(status)s)."),
        "merge": _("This ticket is already closed; reopen it before merging it."),
        "rate": _("Only a closed ticket can be rated (current status: %(status)s)."),
    }
    return messages[move] % {"status": status}


@contextmanager
def _locked(ticket, expected_version=None):
    """Lock the ticket row for the duration of a move and hand back the fresh row."""
    with transaction.atomic():
        # of=("self",): lock the ticket row only; PostgreSQL refuses to lock the nullable side of the join.
        # The policy too: every move brings the ticket's service level dues up to date (``_save``).
        row = Ticket.objects.select_for_update(of=("self",)).select_related("team", "sla_policy").get(pk=ticket.pk)
        if expected_version is not None and int(expected_version) != row.version:
            raise TicketChanged(
                _(
                    "Ticket %(reference)s changed while you were working on it. "
                    "Nothing was applied: look at the latest version and try again."
                )
                % {"reference": row.reference}
            )
        row._before_move = _snapshot(row)
        yield row


# What ``ticket_changed`` reports: the fields a move may change, by name (foreign keys by id).
SIGNALLED_FIELDS = (
    "status", "priority", "kind", "subject", "team", "assignee", "category", "requester_user",
    "requester_name", "requester_email", "beneficiary_user", "beneficiary_name", "beneficiary_email",
    "resolution_code", "solution", "close_reason",
)  # fmt: skip


def _snapshot(row):
    return {name: getattr(row, row._meta.get_field(name).attname) for name in SIGNALLED_FIELDS}


def _save(row, fields, move, actor):
    """Write the move's fields (with a new version) and announce it once the transaction commits."""
    row.version += 1
    row.updated_at = timezone.now()
    # Every move saves here: its service level dues (and pending_since) follow what it changed.
    fields = set(fields) | service_levels.refresh(row, row.updated_at)
    row.save(update_fields=sorted(fields | {"version", "updated_at"}))
    before, after = getattr(row, "_before_move", {}), _snapshot(row)
    changes = {name: {"old": before[name], "new": value} for name, value in after.items() if before.get(name) != value}
    _announce(signals.ticket_changed, sender=Ticket, ticket=row, move=move, actor=actor.log_user, changes=changes)


def _start_service_levels(ticket):
    """The dues of a ticket just opened (``open_ticket`` creates its row without ``_save``)."""
    fields = service_levels.refresh(ticket, ticket.created_at, recompute=True)
    if fields:
        ticket.save(update_fields=sorted(fields))


def _announce(signal, **kwargs):
    """Send ``signal`` once the move's transaction has committed (never for a move rolled back). A
    receiver that fails is logged: a site's integration cannot undo a move or break the request."""

    def send():
        for receiver, result in signal.send_robust(**kwargs):
            if isinstance(result, Exception):
                logger.error("A receiver of a wagtail-support signal failed: %r", receiver, exc_info=result)

    transaction.on_commit(send)


def _refresh(ticket, row):
    """Give the caller's instance the state the move left in the database."""
    if ticket is not row:
        ticket.refresh_from_db()


def _log(row, action, actor, **data):
    if actor.log_user is None and (actor.name or actor.address):
        # Someone without an account (a requester by mail or signed link): the history names them.
        data.setdefault("actor", actor.name or actor.address)
    log(
        instance=row,
        action=f"{LOG_PREFIX}.{action}",
        user=actor.log_user,
        title=str(row),
        # The version the move left: what changed since a form's version is found by it (workflow.submit).
        data={"reference": row.reference, "version": row.version, **data},
    )


def _log_status(row, actor, old_status, move):
    if old_status != row.status:
        _log(row, "status", actor, old=old_status, new=row.status, move=move)


def _notify(event, row, actor, message=None):
    # Inside the move's transaction: the mail records are written with the ticket, or not at all; the
    # mails themselves go out after the commit (see ``notifications``).
    outbox.ticket_event(
        event,
        row.pk,
        message_id=message.pk if message else None,
        actor_user_id=actor.log_user.pk if actor.log_user is not None else None,
        actor_email=actor.address,
        ticket=row,
        message=message,
    )


def _person(user, name, email):
    """Normalise an account or a name/address pair into (user, name, email)."""
    name = (name or "").strip()
    email = (email or "").strip()
    if user is not None:
        name = name or person_label(user)
        email = email or user.email or ""
    return user, name, email.lower()


def _refuse_support_addresses(requester_email, beneficiary_email):
    """No ticket for one of the support's own addresses: every mail about it would go to the support."""
    if not (requester_email or beneficiary_email):
        return
    own = access.support_addresses()
    for field, address in (("requester_email", requester_email), ("beneficiary_email", beneficiary_email)):
        if address and access.is_support_address(address, own):
            raise InvalidInput(
                _("%(address)s is an address of the support itself: give the person's own address.") % {"address": address},
                field=field,
            )


def _check_attachments(attachments):
    """Apply the attachment limits and type checks whoever the caller is (forms check first too)."""
    attachments = [a for a in attachments if a]
    if not attachments:
        return []
    try:
        return validate_attachments(attachments)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), field="attachments") from error



def _user_data(user):
    if user is None:
        return None
    return {"id": user.pk, "name": person_label(user)}
