"""The moves that change who is in copy of a ticket: add a follower, remove one, dismiss an address the
requester had in copy. Reached as ``workflow.<move>`` like every other move.

Followers change a ticket's audience (they get its public replies by mail and may answer them), so these
are moves: the ticket row is locked, only an agent who may work the ticket makes them, each writes a log
entry. Adding a follower mails them once ("you are in copy of ticket #123", with their own signed link and
reply address); removing one makes their link and their mail count for nothing any more.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .access import Actor
from .errors import InvalidInput
from .models import CcSuggestion, Ticket, TicketFollower
from .notifications import outbox
from .notifications.recipients import REQUESTER, language_for
from .sanitize import clean_text
from .workflow_base import STAFF, _locked, _log, _refresh, _require_role

# The event of the mail a new follower gets (templates ``mail/requester/follower_added``).
FOLLOWER_ADDED = "follower_added"


def _ticket(ticket):
    return ticket if isinstance(ticket, Ticket) else Ticket.objects.get(pk=ticket)


def _clean_address(email):
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput(_("Enter a valid email address."), field="email") from error
    return email


def _check_new_follower(row, email):
    if access.is_support_address(email):
        raise InvalidInput(
            _("%(address)s is an address of the support itself: give the person's own address.") % {"address": email},
            field="email",
        )
    if row.is_requester_or_beneficiary_email(email):
        raise InvalidInput(
            _("%(address)s is the requester's or the beneficiary's address: they get the replies already.") % {"address": email},
            field="email",
        )
    if row.followers.filter(email=email).exists():
        raise InvalidInput(_("%(address)s is already in copy of this ticket.") % {"address": email}, field="email")


def add_follower(ticket, by, email, name=""):
    """Put ``email`` (and ``name``) in copy of the ticket's public replies; mail them their link once.

    Refused: an invalid address, one of the support's own addresses, the requester's or beneficiary's
    address, an address already in copy. An address proposed from a requester's mail (``CcSuggestion``)
    is no longer proposed once added."""
    actor = Actor.coerce(by)
    email = _clean_address(email)
    name = clean_text(name or "").strip()[:255]
    with _locked(_ticket(ticket)) as row:
        _require_role(actor, row, STAFF)
        _check_new_follower(row, email)
        try:
            with transaction.atomic():
                follower = TicketFollower.objects.create(ticket=row, email=email, name=name, added_by=actor.log_user)
        except IntegrityError as error:
            # Someone else added the same address meanwhile (the lock makes this rare).
            raise InvalidInput(_("%(address)s is already in copy of this ticket.") % {"address": email}, field="email") from error
        CcSuggestion.objects.filter(ticket=row, email=email).delete()
        _log(row, "follower_added", actor, email=email, name=name)
        mail = outbox.record_mail(
            event=FOLLOWER_ADDED,
            audience=REQUESTER,
            recipient=email,
            ticket=row,
            language=language_for(row, email, REQUESTER),
        )
        outbox.dispatch([mail])
    if isinstance(ticket, Ticket):
        _refresh(ticket, row)
    return follower


def remove_follower(ticket, by, email):
    """Take ``email`` out of copy: no more mail, and their signed link and replies by mail stop counting."""
    actor = Actor.coerce(by)
    email = (email or "").strip().lower()
    with _locked(_ticket(ticket)) as row:
        _require_role(actor, row, STAFF)
        deleted, _rows = TicketFollower.objects.filter(ticket=row, email=email).delete()
        if not deleted:
            raise InvalidInput(_("%(address)s is not in copy of this ticket.") % {"address": email}, field="email")
        _log(row, "follower_removed", actor, email=email)


def dismiss_cc_suggestion(ticket, by, email):
    """Stop proposing ``email`` (an address in copy of a requester's mail) for this ticket."""
    actor = Actor.coerce(by)
    email = (email or "").strip().lower()
    with _locked(_ticket(ticket)) as row:
        _require_role(actor, row, STAFF)
        updated = CcSuggestion.objects.filter(ticket=row, email=email, dismissed_at__isnull=True).update(
            dismissed_at=timezone.now()
        )
        if not updated:
            raise InvalidInput(_("%(address)s is not proposed for this ticket.") % {"address": email}, field="email")
        _log(row, "cc_dismissed", actor, email=email)
