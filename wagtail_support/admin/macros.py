"""Saved replies as macros: what sending a reply also sets (status after it, priority, type, team, assignee).

A reply's actions live on its original (the version in the default locale, else its first version: the one
the configuration edits; a translation's form holds only its texts). ``actions_for`` reads them for the
replies offered on a ticket, from their originals, in one query, as the data the composer's script uses to
fill the one form ("Submit as") and the sentence it shows before anything is sent. Sending is then the
workspace's ordinary submit: one workflow move, checked by the server like any other.
"""

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _

from ..models import CannedResponse, ResolutionCode, Ticket, person_label
from ..models.catalog import default_language_code

# The workspace's "then" for a reply's ``set_status``.
THEN = {"open": "open", "pending": "pending", "resolved": "resolve"}


def originals_of(responses):
    """``{translation_key: original}`` for ``responses``: per reply, its version in the default locale, else
    its first one (as the configuration's listing shows it), with what its actions name. One query."""
    keys = {response.translation_key for response in responses}
    if not keys:
        return {}
    default = default_language_code()
    versions = (
        CannedResponse.objects.filter(translation_key__in=keys)
        .select_related("set_team", "set_assignee", "set_resolution_code")
        .annotate(
            original_rank=Case(
                When(locale__language_code=default, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("original_rank", "pk")
    )
    originals = {}
    for version in versions:
        originals.setdefault(version.translation_key, version)
    return originals


def actions_of(original, ticket, user):
    """What sending ``original`` (a reply's original) on ``ticket`` also does, for the composer: the
    form's values (``priority``, ``kind``, ``team``, ``assignee``, ``then``, ``code``) and ``preview``,
    the sentence shown before sending; ``None`` when it does nothing more than its text. An action the
    ticket's form cannot take (a retired team or code, a status a closed ticket has no button for) is left
    out; who may be assigned is the workflow's to decide when it is sent."""
    actions, parts = {}, []
    if original.set_priority and original.set_priority != ticket.priority:
        actions["priority"] = original.set_priority
        parts.append(_("set priority to %(priority)s") % {"priority": Ticket.Priority(original.set_priority).label})
    if original.set_kind and original.set_kind != ticket.kind:
        actions["kind"] = original.set_kind
        parts.append(_("set type to %(kind)s") % {"kind": Ticket.Kind(original.set_kind).label})
    team = original.set_team
    if team is not None and team.is_active and team.pk != ticket.team_id:
        actions["team"] = team.pk
        parts.append(_("move to %(team)s") % {"team": team.name})
    assignee = user if original.assign_to_me else original.set_assignee
    if assignee is not None and assignee.is_active and assignee.pk != ticket.assignee_id:
        actions["assignee"] = assignee.pk
        actions["assignee_label"] = person_label(assignee)
        if assignee.pk == user.pk:
            parts.append(_("assign to you"))
        else:
            parts.append(_("assign to %(name)s") % {"name": person_label(assignee)})
    then = THEN.get(original.set_status)
    code = original.set_resolution_code
    if then == "resolve" and not (code is not None and code.is_active and code.code not in ResolutionCode.BUILTIN_LABELS):
        then = None
    if ticket.is_closed and then != "open":
        then = None
    if then == "open":
        actions["then"] = then
        parts.append(_("submit as Open") if not ticket.is_closed else _("reopen the ticket"))
    elif then == "pending":
        actions["then"] = then
        parts.append(_("submit as Pending"))
    elif then == "resolve":
        actions.update(then=then, code=code.pk)
        parts.append(_("resolve the ticket as “%(code)s”, with this reply as the solution") % {"code": code})
    if not parts:
        return None
    actions["preview"] = _("This saved reply will also: %(actions)s.") % {"actions": ", ".join(parts)}
    return actions


def actions_for(responses, ticket, user):
    """``{reply pk (str): actions}`` for the ``responses`` offered on ``ticket`` that do more than their
    text (``actions_of``), each read from its original. One query, whatever the number of replies."""
    originals = originals_of(responses)
    found = {}
    for response in responses:
        original = originals.get(response.translation_key, response)
        actions = actions_of(original, ticket, user)
        if actions is not None:
            found[str(response.pk)] = actions
    return found
