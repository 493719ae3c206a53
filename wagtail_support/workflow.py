"""The only code that changes a ticket.

Each public function here is one move of the ticket lifecycle (see ``docs/architecture.md``). It runs in a
transaction with the ticket row locked, asks ``wagtail_support.access`` whether the actor may make the
move, refuses an illegal transition with a ``WorkflowError`` whose message can be shown to a person,
writes a Wagtail log entry, and records the notifications in the same transaction (they are sent once it
has committed). A move is written whole or not at all: the ticket, its message, the attachments' rows
and the records of its mails; the files of a move that fails are removed.

Once a move has committed, the workflow sends the signals of ``wagtail_support.signals``
(``ticket_opened``, ``ticket_changed``, ``message_added``, ``ticket_rated``) for site owners and integrations.

Views, admin actions, bulk actions, the API and the inbound mail handler all call these functions; none
of them sets ``Ticket.status`` or the other workflow fields by hand.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.log_actions import registry as log_registry

from . import access, signals
from .access import Actor, role_of
from .adapter import get_adapter
from .attachments import files_removed_on_error, store_attachments
from .conf import support_settings
# The refusals, also reached as ``workflow.<Error>`` by every caller.
from .errors import (  # noqa: F401 - WorkflowError is for the callers
    ConflictingChanges,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    ReopenWindowExpired,
    TicketChanged,
    WorkflowError,
)
from .models import Category, Message, Team, Ticket, TicketReferenceCounter, person_label
from .sanitize import clean_text
# The agents' moves, reached as ``workflow.assign(...)`` like every other move.
from .workflow_agent import (  # noqa: F401 - for the callers
    DETAIL_FIELDS,
    _assign_row,
    _change_details_row,
    _change_team_row,
    _check_resolution,
    _resolve_row,
    _resume_row,
    _set_pending_row,
    abandon,
    assign,
    assign_to_self,
    assignee_renamed,
    change_details,
    change_people,
    change_team,
    resolve,
    set_pending,
)
from .workflow_followers import add_follower, dismiss_cc_suggestion, remove_follower  # noqa: F401 - for the callers
from .workflow_merge import merge  # noqa: F401,E402 - merging a ticket into another, for the callers
from .workflow_satisfaction import rate  # noqa: F401 - the requester's rating of a closing, for the callers
from .workflow_satisfaction import refusal_message as rating_refusal_message  # noqa: F401 - for the pages
from .workflow_automation import close_without_reply, remind, warn_service_level  # noqa: F401 - support_tick's moves
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
    _start_service_levels,
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
    source_revision=None,
    locale=None,
):
    """Open a ticket and its first message (the description), and confirm it to the requester.

    ``requester`` is an account, or ``requester_name``/``requester_email`` describe someone without
    one; the same goes for the optional beneficiary. The team is ``team`` if given, else the service
    catalog entry's team, else ``WAGTAILSUPPORT_DEFAULT_TEAM``. ``by`` is who typed it in: the
    requester themselves (``None`` or their account) or an agent opening it on their behalf.
    ``source_revision`` and ``locale``: the live revision and the locale of the page the form was on.
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
            source_revision=source_revision,
            locale=locale,
            awaiting_agent_since=timezone.now(),  # the requester's opening message waits for us
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
        _start_service_levels(ticket)
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
        message = _add_message_row(
            row, actor, body, internal=internal, set_pending=set_pending, channel=channel,
            attachments=attachments, saved_files=saved_files, unverified=unverified,
        )
    _refresh(ticket, row)
    return message


def _add_message_row(row, actor, body, *, internal, set_pending, channel, attachments, saved_files, unverified=False):
    """Write a message on the locked ``row`` and what it means for the ticket (see ``reply``)."""
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
            fields |= set(REOPEN_FIELDS)
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
    if not internal:
        # The inbox's "Waiting for us": since the requester's side's first message after our last reply.
        waiting = None if staff else (row.awaiting_agent_since or message.created_at)
        if waiting != row.awaiting_agent_since:
            row.awaiting_agent_since = waiting
            fields.add("awaiting_agent_since")
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


# What reopening a ticket changes. The current rating goes with the closing it rated: the ticket is
# unrated until its next closing is; the ``SatisfactionRating`` rows stay, as the ticket's history.
REOPEN_FIELDS = ("status", "closed_at", "close_reason", "resolution_code", "solution", "satisfaction", "satisfaction_at")


def _reopen_fields(row):
    row.status = _check_move(row, "reopen")
    row.closed_at = None
    row.close_reason = ""
    row.resolution_code = None
    row.solution = ""
    row.satisfaction = ""
    row.satisfaction_at = None


def reopen(ticket, *, by, expected_version=None):
    """Open a closed ticket again, by the support team or by the requester.

    The support team may always reopen; a requester may within the reopen window.
    """
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        role = _require_role(actor, row, STAFF | REQUESTER_SIDE)
        if role not in STAFF and row.status == Status.CLOSED and not within_reopen_window(row):
            raise ReopenWindowExpired(_reopen_window_message(row))
        _reopen_row(row, actor)
    _refresh(ticket, row)
    return ticket


def _reopen_row(row, actor):
    old_status = row.status
    previous = {"reason": row.close_reason, "code": row.resolution_code.code if row.resolution_code else None}
    _reopen_fields(row)
    _save(row, set(REOPEN_FIELDS), "reopen", actor)
    _log(row, "reopen", actor, previous=previous)
    _log_status(row, actor, old_status, "reopen")
    _notify("reopened", row, actor)


# The workspace's one submit ------------------------------------------------------------------------------

# The ticket's properties an agent changes with a message ("Submit as"), by the names a form gives them.
PROPERTY_FIELDS = ("team", "assignee", "kind", "priority", "category", "subject")
THEN_STATUS = {"open": Status.OPEN, "pending": Status.PENDING, "resolve": Status.CLOSED}


@dataclass(frozen=True)
class Change:
    """A change someone made: ``field`` (a property, ``"status"`` or ``"message"``), the old and new value
    as a person reads them, and who made it (a name, or ``""`` when the log does not say)."""

    field: str
    old: str
    new: str
    by: str = ""


@dataclass
class Submitted:
    """What ``submit`` did: the message written (or ``None``), the steps made (``"team"``, ``"assignee"``,
    ``"details"``, ``"message"``, ``"status"``) and what others had changed meanwhile (``Change``)."""

    message: object = None
    done: list = field(default_factory=list)
    meanwhile: list = field(default_factory=list)


def seen_values(ticket):
    """What a form shows of ``ticket``: hand it back to ``submit`` as ``seen`` with the ticket's version."""
    return {
        "team": ticket.team_id,
        "assignee": ticket.assignee_id,
        "kind": ticket.kind,
        "priority": ticket.priority,
        "category": ticket.category_id,
        "subject": ticket.subject,
        "status": ticket.status,
    }


def _value_id(value):
    return getattr(value, "pk", value)


def _display(name, value):
    """A property's value as a person reads it (one query for an account, a team or a catalog entry)."""
    if value in (None, ""):
        return "-"
    if name == "assignee":
        return person_label(get_user_model()._default_manager.filter(pk=value).first()) or "-"
    if name == "team":
        return str(Team.objects.filter(pk=value).first() or "-")
    if name == "category":
        return str(Category.objects.filter(pk=value).first() or "-")
    choices = {"kind": Ticket.Kind, "priority": Ticket.Priority, "status": Ticket.Status}.get(name)
    if choices is not None:
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value)
    return str(value)


# What each logged move touched (the log of ``workflow_base._log``).
_LOGGED_FIELDS = {"assign": ("assignee",), "team": ("team",), "status": ("status",)}


def _changes_since(row, version, seen, actor):
    """What changed on ``row`` since ``version`` (the form's): the properties and status that differ from
    ``seen``, named with who changed them (from the log entries written since), and the public messages
    others wrote meanwhile."""
    entries = list(
        log_registry.get_logs_for_instance(row)
        .filter(data__version__gt=version)
        .select_related("user")
        .order_by("timestamp", "pk")
    )
    who = {}
    messages = []
    for entry in entries:
        data = entry.data or {}
        name = person_label(entry.user) if entry.user_id else data.get("actor", "")
        action = entry.action.removeprefix(LOG_PREFIX + ".")
        touched = _LOGGED_FIELDS.get(action, ())
        if action == "update":
            touched = tuple((data.get("changes") or {}).keys())
        for touched_field in touched:
            who[touched_field] = name
        mine = actor.log_user is not None and entry.user_id == actor.log_user.pk
        if action == "reply" and not mine:
            messages.append(Change("message", "", _("a new public message"), name))
    current = {**seen_values(row)}
    changes = [
        Change(name, _display(name, seen[name]), _display(name, current[name]), who.get(name, ""))
        for name in (*PROPERTY_FIELDS, "status")
        if name in seen and seen[name] != current[name]
    ]
    return changes + messages


def submit(
    ticket,
    *,
    by,
    expected_version,
    seen=None,
    changes=None,
    body="",
    internal=False,
    attachments=(),
    then=None,
    code=None,
    solution="",
    channel=Ticket.Channel.ADMIN,
):
    """The workspace's one submit ("Submit as"): the ticket's properties, a message and the status after
    it, in one move (one transaction, the ticket row locked, one log entry per step, mails after commit).

    - ``changes``: the properties the agent changed (``PROPERTY_FIELDS``: an account, a team, a catalog
      entry, a kind, a priority, a subject); ``seen``: what the form showed (``seen_values``).
    - ``body`` (and ``attachments``): a public reply, or an internal note with ``internal``; none is fine.
    - ``then``: the status after it, ``"open"``, ``"pending"`` or ``"resolve"`` (``code`` and ``solution``
      required then; the solution is mailed). The status the form showed, or ``None``, changes nothing.
      An internal note with ``"pending"`` sets the ticket pending with its own mail, never the note.

    When the ticket changed since ``expected_version``, what changed is compared with the post: a post
    whose own changes do not touch it is applied (``Submitted.meanwhile`` says what the others did); one
    that changes the same field (or a public reply after a new public message) raises
    ``ConflictingChanges`` naming the changes, and nothing is applied. Without ``seen`` any change
    meanwhile is a ``TicketChanged``, as for the other moves.
    """
    actor = Actor.coerce(by)
    changes = {name: value for name, value in (changes or {}).items()}
    unknown = set(changes) - set(PROPERTY_FIELDS)
    if unknown:
        raise TypeError(f"submit() cannot change {', '.join(sorted(unknown))}")
    if then not in (None, "", *THEN_STATUS):
        raise InvalidInput(_("Unknown status."), field="then")
    body = clean_text(body or "").strip()
    attachments = _check_attachments(attachments)
    if then == "resolve":
        solution = _check_resolution(code, solution)
    target = THEN_STATUS.get(then)
    seen = dict(seen) if seen is not None else None
    if seen is not None and target is not None and seen.get("status") == target:
        target = None  # "keep it as it is": the status shown

    submitted = Submitted()
    with _locked(ticket) as row, files_removed_on_error() as saved_files:
        _require_role(actor, row, STAFF)
        if int(expected_version) != row.version:
            if seen is None:
                raise TicketChanged(_changed_message(row))
            submitted.meanwhile = _changes_since(row, int(expected_version), seen, actor)
            conflicts = _conflicts(submitted.meanwhile, changes, seen, target, bool(body or attachments) and not internal, row)
            if conflicts:
                raise ConflictingChanges(_changed_message(row, conflicts), conflicts=conflicts, changes=submitted.meanwhile)
        current = seen_values(row)
        own = {name: value for name, value in changes.items() if _value_id(value) != current[name]}
        if "team" in own and _change_team_row(row, actor, own["team"]):
            submitted.done.append("team")
        if "assignee" in own and _assign_row(row, actor, own["assignee"]):
            submitted.done.append("assignee")
        details = {name: value for name, value in own.items() if name in DETAIL_FIELDS}
        if details and _change_details_row(row, actor, details):
            submitted.done.append("details")
        if target == Status.OPEN and row.status in (Status.PENDING, Status.CLOSED):
            # Open first, so that a public reply may follow on a ticket that was closed.
            _resume_row(row, actor) if row.status == Status.PENDING else _reopen_row(row, actor)
            submitted.done.append("status")
        if body or attachments:
            waits = target == Status.PENDING and not internal and row.status == Status.OPEN
            submitted.message = _add_message_row(
                row, actor, body, internal=internal, set_pending=waits, channel=channel,
                attachments=attachments, saved_files=saved_files,
            )  # fmt: skip
            submitted.done.append("message")
            if waits:
                submitted.done.append("status")
        if target == Status.PENDING and row.status != Status.PENDING:
            _set_pending_row(row, actor)
            submitted.done.append("status")
        elif target == Status.CLOSED:
            _resolve_row(row, actor, code, solution)
            submitted.done.append("status")
    _refresh(ticket, row)
    return submitted


def _conflicts(meanwhile, changes, seen, target, public_message, row):
    """The changes made meanwhile that the post would undo or contradict."""
    current = seen_values(row)
    conflicts = []
    for change in meanwhile:
        if change.field in changes:
            # Changed by someone else, and by this post to something else: the agent decides again.
            if _value_id(changes[change.field]) != current[change.field]:
                conflicts.append(change)
        elif change.field == "status" and target is not None and current["status"] != target:
            conflicts.append(change)
        elif change.field == "message" and public_message:
            conflicts.append(change)
    return conflicts


def _changed_message(row, conflicts=()):
    if not conflicts:
        return _(
            "Ticket %(reference)s changed while you were working on it. "
            "Nothing was applied: look at the latest version and try again."
        ) % {"reference": row.reference}
    return _(
        "Ticket %(reference)s changed while you were working on it, on what you changed too. "
        "Nothing was applied and your draft is kept: check the changes and send again."
    ) % {"reference": row.reference}
