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
import logging
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.log_actions import log

from . import access, signals
from .access import Actor, role_of
from .adapter import get_adapter
from .attachments import files_removed_on_error, store_attachments, validate_attachments
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
from .models import Message, ResolutionCode, Ticket, TicketReferenceCounter, person_label
from .notifications import outbox
from .sanitize import clean_text

Status = Ticket.Status
logger = logging.getLogger(__name__)

# The lifecycle (docs/architecture.md, "The ticket lifecycle"): for each move, the states it may start from and the state it ends in.
LIFECYCLE = {
    "set_pending": ({Status.OPEN}, Status.PENDING),
    "requester_reply": ({Status.PENDING}, Status.OPEN),
    "resolve": ({Status.OPEN, Status.PENDING}, Status.CLOSED),
    "abandon": ({Status.OPEN, Status.PENDING}, Status.CLOSED),
    "close_by_requester": ({Status.OPEN, Status.PENDING}, Status.CLOSED),
    "reopen": ({Status.CLOSED}, Status.OPEN),
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
    }
    return messages[move] % {"status": status}


@contextmanager
def _locked(ticket, expected_version=None):
    """Lock the ticket row for the duration of a move and hand back the fresh row."""
    with transaction.atomic():
        # of=("self",): lock the ticket row only; PostgreSQL refuses to lock the nullable side of the join.
        row = Ticket.objects.select_for_update(of=("self",)).select_related("team").get(pk=ticket.pk)
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
    row.save(update_fields=sorted(set(fields) | {"version", "updated_at"}))
    before, after = getattr(row, "_before_move", {}), _snapshot(row)
    changes = {name: {"old": before[name], "new": value} for name, value in after.items() if before.get(name) != value}
    _announce(signals.ticket_changed, sender=Ticket, ticket=row, move=move, actor=actor.log_user, changes=changes)


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
        data={"reference": row.reference, **data},
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


def assign(ticket, *, to, by, expected_version=None):
    """Assign the ticket to the agent ``to`` (``None`` unassigns it).

    The assignee must be an agent of the ticket's team (or a supervisor).
    """
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        if to is not None and not access.can_be_assigned(to, row.team):
            raise InvalidInput(
                _("%(name)s is not an agent of team %(team)s.")
                % {"name": person_label(to), "team": row.team or "-"},
                field="assignee",
            )
        if row.assignee_id == (to.pk if to else None):
            return ticket
        old = row.assignee
        row.assignee = to
        _save(row, {"assignee"}, "assign", actor)
        _log(
            row,
            "assign",
            actor,
            old=_user_data(old),
            new=_user_data(to),
            self_assigned=bool(to is not None and actor.log_user is not None and to.pk == actor.log_user.pk),
        )
        if to is not None:
            _notify("assigned", row, actor)
    _refresh(ticket, row)
    return ticket


def assign_to_self(ticket, *, by, expected_version=None):
    """The agent ``by`` takes the ticket ("s'assigner le ticket")."""
    return assign(ticket, to=by, by=by, expected_version=expected_version)


def change_team(ticket, *, team, by, expected_version=None):
    """Move the ticket to another team. An assignee who cannot work that team's tickets is removed."""
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        if row.team_id == (team.pk if team else None):
            return ticket
        old = row.team
        row.team = team
        fields = {"team"}
        old_assignee = row.assignee
        if old_assignee is not None and not access.can_be_assigned(old_assignee, team):
            row.assignee = None
            fields.add("assignee")
        _save(row, fields, "change_team", actor)
        _log(row, "team", actor, old=old.name if old else None, new=team.name if team else None)
        if "assignee" in fields:
            _log(row, "assign", actor, old=_user_data(old_assignee), new=None, self_assigned=False)
        _notify("team_changed", row, actor)
    _refresh(ticket, row)
    return ticket


def change_details(ticket, *, by, expected_version=None, **changes):
    """Change the kind, priority, category or subject of the ticket (support team only).

    A new category that names a team moves an unteamed ticket to that team; a ticket that already has
    a team keeps it (use ``change_team``).
    """
    allowed = {"kind", "priority", "category", "subject"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"change_details() cannot change {', '.join(sorted(unknown))}")
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        diff = {}
        if "kind" in changes and changes["kind"] not in Ticket.Kind.values:
            raise InvalidInput(_("Unknown ticket type."), field="kind")
        if "priority" in changes and changes["priority"] not in Ticket.Priority.values:
            raise InvalidInput(_("Unknown priority."), field="priority")
        if "subject" in changes:
            changes["subject"] = clean_text(changes["subject"]).strip()[:255]
            if not changes["subject"]:
                raise InvalidInput(_("Please give the ticket a subject."), field="subject")
        for field, value in changes.items():
            old = getattr(row, field)
            if old != value:
                diff[field] = {
                    "old": str(old) if old is not None else None,
                    "new": str(value) if value is not None else None,
                }
                setattr(row, field, value)
        if not diff:
            return ticket
        fields = set(diff)
        if "category" in diff and row.team_id is None and row.category is not None:
            row.team = row.category.get_team()
            if row.team is not None:
                fields.add("team")
        _save(row, fields, "change_details", actor)
        _log(row, "update", actor, changes=diff)
    _refresh(ticket, row)
    return ticket


def change_people(
    ticket,
    *,
    by,
    expected_version=None,
    requester=None,
    requester_name=None,
    requester_email=None,
    beneficiary=None,
    beneficiary_name=None,
    beneficiary_email=None,
    clear_beneficiary=False,
):
    """Change the requester or the beneficiary (support team only).

    Give an account, or a name and an address; ``None`` leaves a field as it is. A ticket always keeps
    a requester with an address or an account; ``clear_beneficiary`` removes the beneficiary.
    """
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        before = {
            "requester": f"{row.requester_name} <{row.requester_email}>",
            "beneficiary": f"{row.beneficiary_name} <{row.beneficiary_email}>" if row.beneficiary_display else "",
        }
        fields = set()
        if requester is not None or requester_name is not None or requester_email is not None:
            user = requester if requester is not None else None
            name = requester_name if requester_name is not None else ("" if user else row.requester_name)
            email = requester_email if requester_email is not None else ("" if user else row.requester_email)
            user, name, email = _person(user, name, email)
            if user is None and not email:
                raise InvalidInput(
                    _("A ticket needs a requester: an account or an email address."), field="requester_email"
                )
            _refuse_support_addresses(email, "")
            row.requester_user, row.requester_name, row.requester_email = user, name, email
            fields |= {"requester_user", "requester_name", "requester_email"}
        if clear_beneficiary:
            row.beneficiary_user, row.beneficiary_name, row.beneficiary_email = None, "", ""
            fields |= {"beneficiary_user", "beneficiary_name", "beneficiary_email"}
        elif beneficiary is not None or beneficiary_name is not None or beneficiary_email is not None:
            user = beneficiary if beneficiary is not None else None
            name = beneficiary_name if beneficiary_name is not None else ("" if user else row.beneficiary_name)
            email = beneficiary_email if beneficiary_email is not None else ("" if user else row.beneficiary_email)
            row.beneficiary_user, row.beneficiary_name, row.beneficiary_email = _person(user, name, email)
            _refuse_support_addresses("", row.beneficiary_email)
            fields |= {"beneficiary_user", "beneficiary_name", "beneficiary_email"}
        after = {
            "requester": f"{row.requester_name} <{row.requester_email}>",
            "beneficiary": f"{row.beneficiary_name} <{row.beneficiary_email}>" if row.beneficiary_display else "",
        }
        if not fields or after == before and not fields & {"requester_user", "beneficiary_user"}:
            return ticket
        _save(row, fields, "change_people", actor)
        _log(row, "people", actor, old=before, new=after)
    _refresh(ticket, row)
    return ticket


def set_pending(ticket, *, by, expected_version=None):
    """Wait on the requester (open -> pending) without writing a reply."""
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        old_status = row.status
        row.status = _check_move(row, "set_pending")
        _save(row, {"status"}, "set_pending", actor)
        _log_status(row, actor, old_status, "set_pending")
        _notify("pending", row, actor)
    _refresh(ticket, row)
    return ticket


def resolve(ticket, *, code, solution, by, expected_version=None):
    """Close the ticket as resolved ("Résolu") with a resolution code and the solution.

    Both are required; the solution is what the requester receives by mail.
    """
    actor = Actor.coerce(by)
    solution = clean_text(solution or "").strip()
    if code is None:
        raise InvalidInput(_("Choose a resolution code."), field="code")
    if code.code == ResolutionCode.NO_FOLLOW_UP:
        raise InvalidInput(_("To close a ticket with no follow-up, abandon it."), field="code")
    if not code.is_active:
        raise InvalidInput(_("This resolution code is no longer in use."), field="code")
    if not solution:
        raise InvalidInput(_("Describe the solution: the requester will receive it."), field="solution")
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        old_status = row.status
        row.status = _check_move(row, "resolve")
        row.closed_at = timezone.now()
        row.close_reason = Ticket.CloseReason.RESOLVED
        row.resolution_code = code
        row.solution = solution
        _save(row, {"status", "closed_at", "close_reason", "resolution_code", "solution"}, "resolve", actor)
        _log(row, "resolve", actor, code=code.code, code_label=str(code))
        _log_status(row, actor, old_status, "resolve")
        _notify("resolved", row, actor)
    _refresh(ticket, row)
    return ticket


def abandon(ticket, *, by, expected_version=None):
    """Close the ticket as "No follow-up" ("Abandonner", "clôture sans suite").

    This is not "Cancel", which only discards a draft and never reaches the workflow.
    """
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        old_status = row.status
        row.status = _check_move(row, "abandon")
        row.closed_at = timezone.now()
        row.close_reason = Ticket.CloseReason.ABANDONED
        row.resolution_code = ResolutionCode.no_follow_up()
        row.solution = ""
        _save(row, {"status", "closed_at", "close_reason", "resolution_code", "solution"}, "abandon", actor)
        _log(row, "abandon", actor)
        _log_status(row, actor, old_status, "abandon")
        _notify("abandoned", row, actor)
    _refresh(ticket, row)
    return ticket


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


def _user_data(user):
    if user is None:
        return None
    return {"id": user.pk, "name": person_label(user)}
