"""A ticket's history: Wagtail's generic history view over the ticket's log entries, with its filters
(action, user, date), and the formatters that tell each logged move as a person would."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from django.utils.functional import cached_property
from django.utils.translation import gettext
from wagtail.admin.ui.tables import DateColumn
from wagtail.admin.views.generic.history import ActionColumn, HistoryView, LogEntryUserColumn
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import LogFormatter

from ..models import Ticket
from ..workflow import LOG_PREFIX
from .paths import NAMESPACE, ticket_url
from .workspace import TicketMixin


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
            ActionColumn("message", label=_("Action"), object=self.object, url_names={}, user_can_unschedule=False),
            ActorColumn("user", label=_("By"), width="25%"),
            DateColumn("timestamp", label=_("Date"), width="15%"),
        ]

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
        return _("nobody")
    return data.get("name") or "?"


def _choice_label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value or "-"


def _status_label(value):
    return _choice_label(Ticket.Status, value)


def _channel_label(value):
    return _choice_label(Ticket.Channel, value)


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
    return _("%(field)s: %(old)s -> %(new)s") % {"field": label, "old": old or "-", "new": new or "-"}


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
            if not data.get("new"):
                return _("Unassigned the ticket (was %(old)s)") % {"old": _name(data.get("old"))}
            return _("Assigned the ticket to %(new)s") % {"new": _name(data.get("new"))}

    @actions.register_action(f"{LOG_PREFIX}.team")
    class TeamFormatter(LogFormatter):
        label = _("Ticket: change team")

        def format_message(self, log_entry):
            data = log_entry.data
            return _("team: %(old)s -> %(new)s") % {"old": data.get("old") or "-", "new": data.get("new") or "-"}

    @actions.register_action(f"{LOG_PREFIX}.status")
    class StatusFormatter(LogFormatter):
        label = _("Ticket: status change")

        def format_message(self, log_entry):
            data = log_entry.data
            return _("status: %(old)s -> %(new)s") % {
                "old": _status_label(data.get("old")),
                "new": _status_label(data.get("new")),
            }

    @actions.register_action(f"{LOG_PREFIX}.update")
    class UpdateFormatter(LogFormatter):
        label = _("Ticket: change details")

        def format_message(self, log_entry):
            changes = log_entry.data.get("changes") or {}
            return "; ".join(str(_field_change(field, change)) for field, change in changes.items())

    @actions.register_action(f"{LOG_PREFIX}.people")
    class PeopleFormatter(LogFormatter):
        label = _("Ticket: change requester or beneficiary")

        def format_message(self, log_entry):
            old, new = log_entry.data.get("old") or {}, log_entry.data.get("new") or {}
            parts = []
            if old.get("requester") != new.get("requester"):
                parts.append(_("requester: %(old)s -> %(new)s") % {"old": old.get("requester") or "-", "new": new.get("requester") or "-"})
            if old.get("beneficiary") != new.get("beneficiary"):
                parts.append(
                    _("beneficiary: %(old)s -> %(new)s") % {"old": old.get("beneficiary") or "-", "new": new.get("beneficiary") or "-"}
                )
            return "; ".join(str(p) for p in parts) or _("Requester or beneficiary changed")

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
