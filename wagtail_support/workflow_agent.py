"""The support team's moves on a ticket: assign, change the team or the details, change the people,
wait for the requester, resolve, abandon. Reached as ``workflow.<move>`` like every other move.

Each public move locks the ticket row (``workflow_base._locked``) and applies one ``_..._row`` step to
it; the combined move of the workspace (``workflow.submit``) applies several of these steps to the same
locked row, in one transaction, each with its own log entry.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .access import Actor
from .errors import InvalidInput
from .models import ResolutionCode, Ticket, assignee_sort_key, person_label
from .sanitize import clean_text
from .workflow_base import (
    STAFF,
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
    _user_data,
)

DETAIL_FIELDS = ("kind", "priority", "category", "subject")


# Steps on a locked row: each checks, changes the row, saves it, logs and records its mails; each
# returns whether it changed anything.


def _assign_row(row, actor, to):
    if to is not None and not access.can_be_assigned(to, row.team):
        raise InvalidInput(
            _("%(name)s is not an agent of team %(team)s.") % {"name": person_label(to), "team": row.team or "-"},
            field="assignee",
        )
    if row.assignee_id == (to.pk if to else None):
        return False
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
    return True


def _change_team_row(row, actor, team):
    if row.team_id == (team.pk if team else None):
        return False
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
    return True


def _clean_details(changes):
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"change_details() cannot change {', '.join(sorted(unknown))}")
    if "kind" in changes and changes["kind"] not in Ticket.Kind.values:
        raise InvalidInput(_("Unknown ticket type."), field="kind")
    if "priority" in changes and changes["priority"] not in Ticket.Priority.values:
        raise InvalidInput(_("Unknown priority."), field="priority")
    if "subject" in changes:
        changes["subject"] = clean_text(changes["subject"]).strip()[:255]
        if not changes["subject"]:
            raise InvalidInput(_("Please give the ticket a subject."), field="subject")
    return changes


def _change_details_row(row, actor, changes):
    changes = _clean_details(dict(changes))
    diff = {}
    for field, value in changes.items():
        old = getattr(row, field)
        if old != value:
            diff[field] = {"old": str(old) if old is not None else None, "new": str(value) if value is not None else None}
            setattr(row, field, value)
    if not diff:
        return False
    fields = set(diff)
    if "category" in diff and row.team_id is None and row.category is not None:
        row.team = row.category.get_team()
        if row.team is not None:
            fields.add("team")
    _save(row, fields, "change_details", actor)
    _log(row, "update", actor, changes=diff)
    return True


def _set_pending_row(row, actor, notify=True):
    old_status = row.status
    row.status = _check_move(row, "set_pending")
    _save(row, {"status"}, "set_pending", actor)
    _log_status(row, actor, old_status, "set_pending")
    if notify:
        _notify("pending", row, actor)
    return True


def _resume_row(row, actor):
    """Pending -> open by the team (the requester answered another way): no mail."""
    old_status = row.status
    row.status = _check_move(row, "resume")
    _save(row, {"status"}, "resume", actor)
    _log_status(row, actor, old_status, "resume")
    return True


def _check_resolution(code, solution):
    solution = clean_text(solution or "").strip()
    if code is None:
        raise InvalidInput(_("Choose a resolution code."), field="code")
    if code.code == ResolutionCode.NO_FOLLOW_UP:
        raise InvalidInput(_("To close a ticket with no follow-up, abandon it."), field="code")
    if not code.is_active:
        raise InvalidInput(_("This resolution code is no longer in use."), field="code")
    if not solution:
        raise InvalidInput(_("Describe the solution: the requester will receive it."), field="solution")
    return solution


def _resolve_row(row, actor, code, solution):
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
    return True


# Moves ----------------------------------------------------------------------------------------------------


def assign(ticket, *, to, by, expected_version=None):
    """Assign the ticket to the agent ``to`` (``None`` unassigns it).

    The assignee must be an agent of the ticket's team (or a supervisor).
    """
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        _assign_row(row, actor, to)
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
        _change_team_row(row, actor, team)
    _refresh(ticket, row)
    return ticket


def change_details(ticket, *, by, expected_version=None, **changes):
    """Change the kind, priority, category or subject of the ticket (support team only).

    A new category that names a team moves an unteamed ticket to that team; a ticket that already has
    a team keeps it (use ``change_team``).
    """
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"change_details() cannot change {', '.join(sorted(unknown))}")
    actor = Actor.coerce(by)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        _change_details_row(row, actor, changes)
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
        _set_pending_row(row, actor)
    _refresh(ticket, row)
    return ticket


def resolve(ticket, *, code, solution, by, expected_version=None):
    """Close the ticket as resolved ("Résolu") with a resolution code and the solution.

    Both are required; the solution is what the requester receives by mail.
    """
    actor = Actor.coerce(by)
    solution = _check_resolution(code, solution)
    with _locked(ticket, expected_version) as row:
        _require_role(actor, row, STAFF)
        _resolve_row(row, actor, code, solution)
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


def assignee_renamed(user, *, deleted=False):
    """Bring the sort key of ``user``'s tickets (``Ticket.assignee_sort``, the inbox's order by assignee) up to
    date after their names changed, or clear it when the account is being deleted (its tickets become
    unassigned). One UPDATE over the tickets whose key differs, none when nothing changed: the key is not a
    move (no version, no history, no signal)."""
    key = "" if deleted else assignee_sort_key(user)
    return Ticket.objects.filter(assignee_id=user.pk).exclude(assignee_sort=key).update(assignee_sort=key)
