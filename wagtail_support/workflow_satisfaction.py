"""The requester's rating of a closing: good or bad, with an optional comment. Reached as ``workflow.rate``
like every other move.

A rating belongs to one closing of the ticket (``SatisfactionRating``, keyed by the ticket and its
``closed_at``): the requester may change it while the closing lasts and for ``WAGTAILSUPPORT_RATING_DAYS``
after it; reopening the ticket ends it (``workflow._reopen_fields`` clears the ticket's current rating, the
row stays as history) and a new closing is rated afresh. Which closings are rated, and until when, is
``access``'s rule (``access.RATABLE_CLOSE_REASONS``, ``access.rating_refusal``): the signed rating link is an
access decision, and this move checks the same rule whatever the caller.

A rating that becomes bad mails the assignee (else the ticket's team), so that someone looks at it while
the requester still remembers.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, signals
from .access import Actor, RatingRefusal
from .errors import IllegalTransition, InvalidInput
from .forms import RATING_COMMENT_MAX_LENGTH
from .models import SatisfactionRating, Ticket
from .sanitize import clean_text
from .workflow_base import REQUESTER_SIDE, _announce, _check_move, _locked, _log, _notify, _refresh, _require_role, _save

# The event of the mail to the support team about a bad rating (templates ``mail/agent/rated_bad``).
RATED_BAD = "rated_bad"
# The longest comment kept with a rating, in characters (the visitor's form says the same).
COMMENT_MAX_LENGTH = RATING_COMMENT_MAX_LENGTH


def refusal_message(refusal):
    """The sentence that says why a closing may not be rated (``access.RatingRefusal``); it names nothing of
    the ticket, so a page may show it to whoever holds a link."""
    return {
        RatingRefusal.EXPIRED: _("The rating period of this ticket has ended: it can no longer be rated or changed."),
        RatingRefusal.REOPENED: _(
            "This link rated an earlier closing of the ticket: the ticket was reopened since. "
            "Use the link of the latest mail about it."
        ),
        RatingRefusal.NOT_RATABLE: _("This ticket cannot be rated."),
    }.get(refusal, _("This rating link is not valid."))


def rate(ticket, rating, comment="", *, by, closed_at, now=None):
    """Record (or change) the rating of the ticket's closing at ``closed_at`` by its requester or beneficiary.

    ``by``: the requester's side (an account, or an ``Actor`` whose role the caller established, such as
    the holder of a signed rating link). Refused: a rating that is neither good nor bad; a ticket that is
    not closed, or was reopened since ``closed_at`` (the closing rated must be the current one); a closing
    that is not rated (abandoned, closed for want of a reply, merged); after the rating period. The same
    rating and comment sent again (a double click, a link opened twice) change nothing.

    Returns the ``SatisfactionRating``.
    """
    actor = Actor.coerce(by)
    if rating not in Ticket.Satisfaction.values:
        raise InvalidInput(_("Choose good or bad."), field="rating")
    comment = clean_text(comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidInput(
            _("The comment is too long: at most %(count)d characters.") % {"count": COMMENT_MAX_LENGTH}, field="comment"
        )
    with _locked(ticket) as row:
        _require_role(actor, row, REQUESTER_SIDE)
        refusal = access.rating_refusal(row, closed_at, now)
        if refusal:
            raise IllegalTransition(refusal_message(refusal), field="rating")
        _check_move(row, "rate")  # the lifecycle's own guard (closed stays closed)
        existing = SatisfactionRating.objects.filter(ticket=row, closed_at=row.closed_at).first()
        if existing is not None and existing.rating == rating and existing.comment == comment:
            return existing
        moment = timezone.now()
        saved, _created = SatisfactionRating.objects.update_or_create(
            ticket=row,
            closed_at=row.closed_at,
            defaults={
                "rating": rating,
                "comment": comment,
                "rated_by_email": actor.address,
                "rated_by_user": actor.log_user,
                "updated_at": moment,
            },
            create_defaults={
                "rating": rating,
                "comment": comment,
                "rated_by_email": actor.address,
                "rated_by_user": actor.log_user,
                "created_at": moment,
                "updated_at": moment,
            },
        )
        previous = existing.rating if existing is not None else ""
        row.satisfaction = rating
        row.satisfaction_at = moment
        _save(row, {"satisfaction", "satisfaction_at"}, "rate", actor)
        _log(row, "rate", actor, rating=rating, previous=previous, comment=comment, closed_at=row.closed_at.isoformat())
        if rating == Ticket.Satisfaction.BAD and previous != Ticket.Satisfaction.BAD:
            _notify(RATED_BAD, row, actor)
        _announce(signals.ticket_rated, sender=Ticket, ticket=row, rating=rating, actor=actor.log_user)
    _refresh(ticket, row)
    return saved
