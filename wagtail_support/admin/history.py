"""A ticket's history: Wagtail's generic history view over the ticket's log entries, with its filters
(action, user, date), and the formatters that tell each logged move as a person would.

One action is one row: a move logs one entry per thing it changed (a reply and the status it set, a team
and the assignee it removed, every step of the workspace's one submit), and the rows put them back
together, "Replied to the requester, Status: Open → Waiting for the requester". The entries of one action
share the log context of the admin request (Wagtail's ``uuid``), else the ticket version the move left
(``data["version"]``, written by the workflow).
"""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, OuterRef, Q
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.history import HistoryView, LogEntryUserColumn
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import LogFormatter
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry

from ..models import Ticket
from ..workflow import LOG_PREFIX
from .paths import NAMESPACE, ticket_url
from .workspace import TicketMixin

# Between the parts of one row, and the arrow of a change.
JOIN = ", "
NOTHING = "—"


# One row per action -------------------------------------------------------------------------------------


def action_key(entry):
    """What the entries of one action share: the admin request's log context, else the version the move
    left; an entry with neither (written before versions were logged) is an action of its own."""
    if entry.uuid:
        return ("uuid", str(entry.uuid))
    version = (entry.data or {}).get("version")
    if version is not None:
        return ("version", version)
    return ("entry", entry.pk)


@dataclass
class HistoryRow:
    """One action: its entries, oldest first. Reads like a log entry (``user``, ``timestamp``,
    ``message``...) so a template shows either."""

    entries: list = field(default_factory=list)

    @property
    def first(self):
        return self.entries[0]

    def __getattr__(self, name):
        # user, user_id, user_display_name, timestamp, action, data, label: the first entry's.
        if name == "entries":
            raise AttributeError(name)
        return getattr(self.first, name)

    @cached_property
    def message(self):
        parts = []
        for entry in self.entries:
            text = str(entry.message)
            if text and text not in parts:
                parts.append(text)
        return JOIN.join(parts)


def history_rows(entries):
    """``entries`` (newest first, as listed) made into one ``HistoryRow`` per action, newest first."""
    rows = {}
    for entry in entries:
        rows.setdefault(action_key(entry), HistoryRow()).entries.append(entry)
    for row in rows.values():
        row.entries.sort(key=lambda entry: (entry.timestamp, entry.pk))
    return list(rows.values())


def first_of_each_action(queryset):
    """Only the first entry of each action (the row's own): a later entry of the same request, or of the
    same version outside a request, is part of that row."""
    same_object = ModelLogEntry.objects.filter(
        content_type_id=OuterRef("content_type_id"), object_id=OuterRef("object_id"), pk__lt=OuterRef("pk")
    )
    same_request = same_object.filter(uuid=OuterRef("uuid"))
    same_version = same_object.filter(uuid__isnull=True, data__version=OuterRef("data__version"))
    return queryset.exclude(Exists(same_request)).exclude(Q(uuid__isnull=True) & Exists(same_version))


class ActorColumn(LogEntryUserColumn):
    """Who made the move: the account, else the requester's name or address the workflow logged."""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        actor = (instance.data or {}).get("actor") if not instance.user_id else None
        if actor:
            context["display_name"] = actor
        return context


class TicketHistoryView(TicketMixin, HistoryView):
    """Every log entry of the ticket, newest first, filtered by action, user or date, paged."""

    any_permission_required = None
    paginate_by = 100
    index_url_name = f"{NAMESPACE}:inbox"
    edit_url_name = f"{NAMESPACE}:ticket"
    history_url_name = f"{NAMESPACE}:ticket_history"
    history_results_url_name = f"{NAMESPACE}:ticket_history_results"

    verbose_name_plural = _("history entries")

    def get_page_title(self):
        return _("History of %(reference)s") % {"reference": self.ticket.reference}

    @cached_property
    def columns(self):
        return [
            Column("row_message", label=_("Action")),
            ActorColumn("user", label=_("By"), width="25%"),
            DateColumn("timestamp", label=_("Date"), width="15%"),
        ]

    def get_base_queryset(self):
        # Every entry: Wagtail's own view keeps only the latest entry of each action within a request,
        # and would drop the first assignment of a request that assigns twice.
        return self._annotate_queryset(log_registry.get_logs_for_instance(self.object))

    def get_queryset(self):
        queryset = super().get_queryset()
        # Filtered (an action, a person, dates), each entry found is a row; else one row per action.
        return queryset if self.is_filtering else first_of_each_action(queryset)

    def get_table(self, object_list):
        object_list = list(object_list)
        if self.is_filtering:
            for entry in object_list:
                entry.row_message = entry.message
        else:
            self.attach_rows(object_list)
        return super().get_table(object_list)

    def attach_rows(self, firsts):
        """Give each first entry the message of its whole action (one query for the page)."""
        keys = {action_key(entry) for entry in firsts}
        uuids = [value for kind, value in keys if kind == "uuid"]
        versions = [value for kind, value in keys if kind == "version"]
        others = log_registry.get_logs_for_instance(self.object).filter(
            Q(uuid__in=uuids) | Q(uuid__isnull=True, data__version__in=versions)
        ) if uuids or versions else []
        by_key = {row.entries[0].pk: row for row in history_rows(list(others))}
        for entry in firsts:
            row = by_key.get(entry.pk)
            entry.row_message = row.message if row is not None else entry.message

    @cached_property
    def header_buttons(self):
        return [HeaderButton(label=gettext("Back to the ticket"), url=ticket_url(self.ticket), icon_name="arrow-left")]

    def get_page_subtitle(self):
        return self.ticket.subject

    def get_base_object_queryset(self):
        return Ticket.objects.all()


# What each logged move says -----------------------------------------------------------------------------


def _name(data):
    if not data:
        return NOTHING
    return data.get("name") or "?"


def _choice_label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value or NOTHING


def _status_label(value):
    return _choice_label(Ticket.Status, value)


def _channel_label(value):
    return _choice_label(Ticket.Channel, value)


def _change(label, old, new):
    """ "Priority: Normal → High" (an empty side is "—")."""
    return _("%(field)s: %(old)s → %(new)s") % {"field": capfirst(label), "old": old or NOTHING, "new": new or NOTHING}


def _field_change(field, change):
    try:
        model_field = Ticket._meta.get_field(field)
        label = model_field.verbose_name
    except FieldDoesNotExist:
        model_field, label = None, field
    old, new = change.get("old"), change.get("new")
    if model_field is not None and model_field.choices:
        choices = {str(k): v for k, v in model_field.flatchoices}
        old, new = choices.get(old, old), choices.get(new, new)
    return _change(label, old, new)


def _satisfaction_label(value):
    try:
        return str(Ticket.Satisfaction(value).label).lower()
    except ValueError:
        return str(value or "")


def register_ticket_log_actions(actions):
    """The formatters of the ticket's log actions (registered by ``wagtail_hooks``)."""
    @actions.register_action(f"{LOG_PREFIX}.open")
    class OpenFormatter(LogFormatter):
        label = _("Ticket: open")

        def format_message(self, log_entry):
            data = log_entry.data
            if data.get("on_behalf"):
                return _("Opened the ticket on behalf of the requester (%(channel)s)") % {
                    "channel": _channel_label(data.get("channel"))
                }
            return _("Ticket opened (%(channel)s)") % {"channel": _channel_label(data.get("channel"))}

    @actions.register_action(f"{LOG_PREFIX}.reply")
    class ReplyFormatter(LogFormatter):
        label = _("Ticket: reply")

        def format_message(self, log_entry):
            if log_entry.data.get("role") in ("agent", "system"):
                return _("Replied to the requester")
            return _("The requester replied")

    @actions.register_action(f"{LOG_PREFIX}.note")
    class NoteFormatter(LogFormatter):
        label = _("Ticket: internal note")
        message = _("Wrote an internal note")

    @actions.register_action(f"{LOG_PREFIX}.assign")
    class AssignFormatter(LogFormatter):
        label = _("Ticket: assign")

        def format_message(self, log_entry):
            data = log_entry.data
            if data.get("self_assigned"):
                return _("Assigned the ticket to themselves")
            return _change(Ticket._meta.get_field("assignee").verbose_name, _name(data.get("old")), _name(data.get("new")))

    @actions.register_action(f"{LOG_PREFIX}.team")
    class TeamFormatter(LogFormatter):
        label = _("Ticket: change team")

        def format_message(self, log_entry):
            data = log_entry.data
            return _change(Ticket._meta.get_field("team").verbose_name, data.get("old"), data.get("new"))

    @actions.register_action(f"{LOG_PREFIX}.status")
    class StatusFormatter(LogFormatter):
        label = _("Ticket: status change")

        def format_message(self, log_entry):
            data = log_entry.data
            return _change(
                Ticket._meta.get_field("status").verbose_name, _status_label(data.get("old")), _status_label(data.get("new"))
            )

    @actions.register_action(f"{LOG_PREFIX}.update")
    class UpdateFormatter(LogFormatter):
        label = _("Ticket: change details")

        def format_message(self, log_entry):
            changes = log_entry.data.get("changes") or {}
            return JOIN.join(str(_field_change(field, change)) for field, change in changes.items())

    @actions.register_action(f"{LOG_PREFIX}.people")
    class PeopleFormatter(LogFormatter):
        label = _("Ticket: change requester or beneficiary")

        def format_message(self, log_entry):
            old, new = log_entry.data.get("old") or {}, log_entry.data.get("new") or {}
            parts = []
            for name, label in (("requester", _("requester")), ("beneficiary", _("beneficiary"))):
                if old.get(name) != new.get(name):
                    parts.append(_change(label, old.get(name), new.get(name)))
            return JOIN.join(str(p) for p in parts) or _("Requester or beneficiary changed")

    @actions.register_action(f"{LOG_PREFIX}.resolve")
    class ResolveFormatter(LogFormatter):
        label = _("Ticket: resolve")

        def format_message(self, log_entry):
            return _("Resolved the ticket (%(code)s)") % {"code": log_entry.data.get("code_label", "")}

    @actions.register_action(f"{LOG_PREFIX}.abandon")
    class AbandonFormatter(LogFormatter):
        label = _("Ticket: abandon")
        message = _("Abandoned the ticket (closed with no follow-up)")

    @actions.register_action(f"{LOG_PREFIX}.close")
    class CloseFormatter(LogFormatter):
        label = _("Ticket: closed by the requester")
        message = _("The requester closed the ticket")

    @actions.register_action(f"{LOG_PREFIX}.reopen")
    class ReopenFormatter(LogFormatter):
        label = _("Ticket: reopen")
        message = _("Reopened the ticket")

    @actions.register_action(f"{LOG_PREFIX}.rate")
    class RateFormatter(LogFormatter):
        label = _("Ticket: rated by the requester")

        def format_message(self, log_entry):
            data = log_entry.data
            if data.get("rating") == Ticket.Satisfaction.BAD:
                text = gettext("Rated bad")
            else:
                text = gettext("Rated good")
            if data.get("previous") and data.get("previous") != data.get("rating"):
                text = gettext("%(rating)s (changed from %(previous)s)") % {
                    "rating": text, "previous": _satisfaction_label(data.get("previous")),
                }
            if data.get("comment"):
                text = gettext("%(rating)s: “%(comment)s”") % {"rating": text, "comment": data["comment"]}
            return text

    @actions.register_action(f"{LOG_PREFIX}.merge")
    class MergeFormatter(LogFormatter):
        label = _("Ticket: merge into another")

        def format_message(self, log_entry):
            return _("Merged into %(reference)s") % {"reference": log_entry.data.get("into", "?")}

    @actions.register_action(f"{LOG_PREFIX}.merged_from")
    class MergedFromFormatter(LogFormatter):
        label = _("Ticket: another ticket merged into it")

        def format_message(self, log_entry):
            data = log_entry.data
            count = data.get("messages", 0)
            return ngettext(
                "%(reference)s merged into this ticket (%(count)d message moved)",
                "%(reference)s merged into this ticket (%(count)d messages moved)",
                count,
            ) % {"reference": data.get("source", "?"), "count": count}
