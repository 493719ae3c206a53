"""The only code that changes a ticket.

Each public function here is one move of the ticket lifecycle (see ``docs/architecture.md``). It runs in a
transaction with the ticket row locked, asks ``wagtail_support.access`` whether the actor may make the
move, refuses an illegal transition with a ``WorkflowError`` whose message can be shown to a person,
writes a Wagtail log entry, and records the notifications in the same transaction (they are sent once it
has committed). A move is written whole or not at all: the ticket, its message, the attachments' rows
and the records of its mails; the files of a move that fails are removed.

Once a move has committed, the workflow sends the signals of ``wagtail_support.signals``
(``ticket_opened``, ``ticket_changed``, ``message_added``) for site owners and integrations.

Views, admin actions, bulk actions, the API and the inbound mail handler all call these functions; none
of them sets ``Ticket.status`` or the other workflow fields by hand.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import access, signals
from .access import Actor, role_of
from .adapter import get_adapter
from .attachments import files_removed_on_error, store_attachments
from .conf import support_settings
# The refusals, also reached as ``workflow.<Error>`` by every caller.
from .errors import (  # noqa: F401 - WorkflowError is for the callers
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    ReopenWindowExpired,
    TicketChanged,
    WorkflowError,
)
from .models import Message, Ticket, TicketReferenceCounter
from .sanitize import clean_text
# The agents' moves, reached as ``workflow.assign(...)`` like every other move.
from .workflow_agent import (  # noqa: F401 - for the callers
    abandon,
    assign,
    assign_to_self,
    change_details,
    change_people,
    change_team,
    resolve,
    set_pending,
)
# The common ground of the moves (``workflow.LIFECYCLE``, ``workflow.LOG_PREFIX`` for the callers).
from .workflow_base import (  # noqa: F401 - LIFECYCLE, LOG_PREFIX and REQUESTER_SIDE are for the callers
    LIFECYCLE,
    LOG_PREFIX,
    REQUESTER_SIDE,
    STAFF,
    Status,
    _announce,
    _check_attachments,
    _check_move,
    _locked,
    _log,
    _log_status,
    _notify,
    _person,
    _refresh,
    _refuse_support_addresses,
    _require_role,
    _save,
)


# Moves ----------------------------------------------------------------------------------------------------


def open_ticket(
    *,
    subject,
    description,
    by=None,
    requester=None,
    requester_name="",
    requester_email="",
    beneficiary=None,
    beneficiary_name="",
    beneficiary_email="",
    kind=Ticket.Kind.QUESTION,
    priority=Ticket.Priority.NORMAL,
    category=None,
    team=None,
    channel=Ticket.Channel.WEB,
    site=None,
    submitted_from=None,
    came_from=None,
    language="",
    attachments=(),
    follows=None,
):
    """Open a ticket and its first message (the description), and confirm it to the requester.

    ``requester`` is an account, or ``requester_name``/``requester_email`` describe someone without
    one; the same goes for the optional beneficiary. The team is ``team`` if given, else the service
    catalog entry's team, else ``WAGTAILSUPPORT_DEFAULT_TEAM``. ``by`` is who typed it in: the
    requester themselves (``None`` or their account) or an agent opening it on their behalf.
    """
    actor = Actor.coerce(by) if by is not None else Actor(user=requester, name=requester_name, email=requester_email)
    subject = clean_text(subject).strip()
    description = clean_text(description).strip()
    if not subject:
        raise InvalidInput(_("Please give the ticket a subject."), field="subject")
    if not description:
        raise InvalidInput(_("Please describe your request."), field="description")
    if kind not in Ticket.Kind.values:
        raise InvalidInput(_("Unknown ticket type."), field="kind")
    if priority not in Ticket.Priority.values:
        raise InvalidInput(_("Unknown priority."), field="priority")
    requester, requester_name, requester_email = _person(requester, requester_name, requester_email)
    if not requester_email and requester is None:
        raise InvalidInput(_("A ticket needs a requester: an account or an email address."), field="requester_email")
    beneficiary, beneficiary_name, beneficiary_email = _person(beneficiary, beneficiary_name, beneficiary_email)
    _refuse_support_addresses(requester_email, beneficiary_email)

    agent_on_behalf = actor.log_user is not None and actor.log_user != requester and access.is_agent(actor.log_user)
    if actor.log_user is not None and actor.log_user != requester and not agent_on_behalf:
        raise NotAllowed(_("Only the support team can open a ticket for someone else."))

    if team is None:
        team = get_adapter().get_team_for_new_ticket(
            category=category, channel=channel, requester_email=requester_email, site=site, subject=subject
        )
    attachments = _check_attachments(attachments)

    with transaction.atomic(), files_removed_on_error() as saved_files:
        ticket = Ticket.objects.create(
            number=TicketReferenceCounter.next_value(),
            subject=subject[:255],
            description=description,
            kind=kind,
            priority=priority,
            category=category,
            team=team,
            requester_user=requester,
            requester_name=requester_name,
            requester_email=requester_email,
            beneficiary_user=beneficiary,
            beneficiary_name=beneficiary_name,
            beneficiary_email=beneficiary_email,
            channel=channel,
            site=site,
            submitted_from=submitted_from,
            came_from=came_from,
            language=language or "",
            follows=follows,
        )
        message = Message.objects.create(
            ticket=ticket,
            author_user=requester,
            author_name=requester_name,
            author_email=requester_email,
            author_role=Message.AuthorRole.REQUESTER,
            body=description,
            visibility=Message.Visibility.PUBLIC,
            channel=channel,
            created_at=ticket.created_at,
        )
        store_attachments(message, attachments, saved_files)
        _log(
            ticket,
            "open",
            actor,
            channel=channel,
            team=team.name if team else None,
            on_behalf=bool(agent_on_behalf),
            follows=follows.reference if follows else None,
        )
        _notify("opened", ticket, actor, message)
        _announce(signals.ticket_opened, sender=Ticket, ticket=ticket, actor=actor.log_user, message=message)
    return ticket


def reply(
    ticket,
    *,
    by,
    body,
    internal=False,
    set_pending=False,
    channel=Ticket.Channel.WEB,
    attachments=(),
    expected_version=None,
    unverified=False,
):
    """Add a message to the conversation and apply what it means for the ticket.

    - An internal note (``internal=True``, the agent journal) is for the support team only and never
      changes the status.
    - A public reply from the team records the first response time and, with ``set_pending``, waits
      on the requester (open -> pending). The team cannot answer publicly on a closed ticket: it is
      reopened first.
    - A reply from the requester or beneficiary sets a pending ticket open again, and reopens a closed
      one within ``WAGTAILSUPPORT_REOPEN_WINDOW_DAYS`` of its closing (after that the window is
      expired and ``ReopenWindowExpired`` is raised).
    - ``unverified``: an internal note made of a mail whose sender could not be proven (the inbound
      handler's choice); only an internal note can be one.
    """
    actor = Actor.coerce(by)
    body = clean_text(body).strip()
    attachments = _check_attachments(attachments)
    if not body and not attachments:
        raise InvalidInput(_("The message is empty."), field="body")
    if unverified and not internal:
        raise InvalidInput(_("A message from an unverified sender can only be an internal note."))
    with _locked(ticket, expected_version) as row, files_removed_on_error() as saved_files:
        role = role_of(actor, row)
        if role is None:
            raise NotAllowed(_("You are not allowed to act on this ticket."))
        staff = role in STAFF
        if internal and not staff:
            raise NotAllowed(_("Only the support team can write internal notes."))
        if set_pending and (internal or not staff):
            raise InvalidInput(_("Only a public reply from the support team can set the ticket to pending."))

        old_status = row.status
        fields = set()
        move = None
        if staff and not internal:
            if row.status == Status.CLOSED:
                raise IllegalTransition(_("This ticket is closed: reopen it before replying to the requester."))
            if row.first_response_at is None:
                row.first_response_at = timezone.now()
                fields.add("first_response_at")
            if set_pending and row.status != Status.PENDING:
                # A reply to a ticket that already waits on the requester keeps it waiting.
                row.status = _check_move(row, "set_pending")
                fields.add("status")
                move = "set_pending"
        elif not staff:
            if row.status == Status.PENDING:
                row.status = _check_move(row, "requester_reply")
                fields.add("status")
                move = "requester_reply"
            elif row.status == Status.CLOSED:
                if not within_reopen_window(row):
                    raise ReopenWindowExpired(_reopen_window_message(row))
                _reopen_fields(row)
                fields |= {"status", "closed_at", "close_reason", "resolution_code", "solution"}
                move = "reopen"

        author_name, author_email = actor.identity_on(row, role)
        message = Message.objects.create(
            ticket=row,
            author_user=actor.log_user,
            author_name=author_name,
            author_email=author_email,
            author_role=role,
            body=body,
            visibility=Message.Visibility.INTERNAL if internal else Message.Visibility.PUBLIC,
            channel=channel,
            unverified=unverified,
        )
        stored = store_attachments(message, attachments, saved_files)
        _save(row, fields, "note" if internal else "reply", actor)
        _announce(signals.message_added, sender=Message, message=message, ticket=row, actor=actor.log_user)
        _log(
            row,
            "note" if internal else "reply",
            actor,
            message=message.pk,
            role=role,
            attachments=len(stored),
        )
        _log_status(row, actor, old_status, move)
        if internal:
            _notify("internal_note", row, actor, message)
        elif staff:
            # With set_pending, this one mail also tells the requester that we wait for them.
            _notify("agent_reply", row, actor, message)
        else:
            _notify("requester_reply", row, actor, message)
            if move == "reopen":
                _notify("reopened", row, actor)
    _refresh(ticket, row)
    return message


def _reopen_window_message(ticket):
    days = support_settings.REOPEN_WINDOW_DAYS
    return ngettext(
        "Ticket %(reference)s was closed more than %(days)d day ago. Please open a new ticket.",
        "Ticket %(reference)s was closed more than %(days)d days ago. Please open a new ticket.",
        days,
    ) % {"reference": ticket.reference, "days": days}


def within_reopen_window(ticket, now=None):
    if ticket.closed_at is None:
        return True
    now = now or timezone.now()
    return now - ticket.closed_at <= datetime.timedelta(days=support_settings.REOPEN_WINDOW_DAYS)



def close_by_requester(ticket, *, by, expected_version=None):
    """The requester (or beneficiary) closes their ticket."""
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, REQUESTER_SIDE)
        old_status = row.status
        row.status = _check_move(row, "close_by_requester")
        row.closed_at = timezone.now()
        row.close_reason = Ticket.CloseReason.CLOSED_BY_REQUESTER
        row.resolution_code = None
        row.solution = ""
        _save(row, {"status", "closed_at", "close_reason", "resolution_code", "solution"}, "close_by_requester", actor)
        _log(row, "close", actor)
        _log_status(row, actor, old_status, "close_by_requester")
        _notify("closed_by_requester", row, actor)
    _refresh(ticket, row)
    return ticket


def _reopen_fields(row):
    row.status = _check_move(row, "reopen")
    row.closed_at = None
    row.close_reason = ""
    row.resolution_code = None
    row.solution = ""


def reopen(ticket, *, by, expected_version=None):
    """Open a closed ticket again, by the support team or by the requester.

    The support team may always reopen; a requester may within the reopen window.
    """
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        role = _require_role(actor, row, STAFF | REQUESTER_SIDE)
        if role not in STAFF and row.status == Status.CLOSED and not within_reopen_window(row):
            raise ReopenWindowExpired(_reopen_window_message(row))
        old_status = row.status
        previous = {"reason": row.close_reason, "code": row.resolution_code.code if row.resolution_code else None}
        _reopen_fields(row)
        _save(row, {"status", "closed_at", "close_reason", "resolution_code", "solution"}, "reopen", actor)
        _log(row, "reopen", actor, previous=previous)
        _log_status(row, actor, old_status, "reopen")
        _notify("reopened", row, actor)
    _refresh(ticket, row)
    return ticket
