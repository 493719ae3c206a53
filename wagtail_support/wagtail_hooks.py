"""Everything wagtail-support registers with Wagtail lives here."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from .workflow import LOG_PREFIX

PERMISSION_CODENAMES = ["work_on_tickets", "view_all_tickets"]


@hooks.register("register_permissions")
def register_support_permissions():
    # The custom permissions, shown in the group editor of Settings > Groups.
    return Permission.objects.filter(
        content_type__app_label="wagtail_support",
        codename__in=PERMISSION_CODENAMES
        + [
            f"{action}_{model}"
            for action in ("add", "change", "delete", "view")
            for model in ("team", "category", "resolutioncode")
        ]
        + ["view_outboundmail", "view_inboundmail", "change_inboundmail"],
    )


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
    from .models import Ticket

    return _choice_label(Ticket.Status, value)


def _channel_label(value):
    from .models import Ticket

    return _choice_label(Ticket.Channel, value)


def _field_change(field, change):
    from django.core.exceptions import FieldDoesNotExist

    from .models import Ticket

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


@hooks.register("register_log_actions")
def register_ticket_log_actions(actions):
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


from wagtail.snippets.models import register_snippet  # noqa: E402

from .faq_admin import FAQViewSetGroup  # noqa: E402

# The FAQ's questions and topics, as snippets under one "FAQ" menu item.
register_snippet(FAQViewSetGroup)


# The "Support" menu: the agents' inbox and "New ticket" first, then the configuration models. ----------------

from django.urls import NoReverseMatch, reverse  # noqa: E402
from wagtail.admin.menu import MenuItem  # noqa: E402
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register  # noqa: E402

from . import access  # noqa: E402
from .admin_mail import InboundMailAdmin, OutboundMailAdmin, SupportNotificationsPanel  # noqa: E402
from .models import CannedResponse, Category, ResolutionCode, Team  # noqa: E402


class SupportLinkMenuItem(MenuItem):
    """A menu item for agents, pointing at one of our admin views by URL name."""

    def __init__(self, label, url_name, count=None, **kwargs):
        self.url_name = url_name
        self.count = count
        super().__init__(label, "", **kwargs)

    def is_shown(self, request):
        if not access.is_agent(request.user):
            return False
        try:
            self.url = reverse(self.url_name)
        except NoReverseMatch:
            return False
        return True

    def render_component(self, request):
        label = self.label
        if self.count is not None:
            number = self.count(request)
            if number:
                # "Inbox (3)": the number of unassigned tickets this agent can see.
                label = _("%(label)s (%(count)s)") % {"label": self.label, "count": number}
        component = super().render_component(request)
        component.label = label
        return component


def unassigned_count(request):
    from .admin_inbox import VIEW_UNASSIGNED, AgentScope
    from .models import Ticket

    # The inbox and the admin home have counted it already, with the other counts of their views.
    scope = getattr(request, AgentScope.REQUEST_ATTRIBUTE, None)
    if scope is not None and scope.user is request.user and "counts" in scope.__dict__:
        return scope.counts[VIEW_UNASSIGNED]
    return Ticket.objects.worked_by(request.user).not_closed().filter(assignee__isnull=True).count()


class TeamAdmin(ModelAdmin):
    model = Team
    menu_label = _("Teams")
    menu_icon = "group"
    list_display = ("name", "contact_email", "inbound_email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_email", "inbound_email")


class CategoryAdmin(ModelAdmin):
    model = Category
    menu_label = _("Service catalog")
    menu_icon = "list-ul"
    list_display = ("full_name", "default_team", "is_active")
    list_filter = ("is_active", "default_team")
    search_fields = ("name", "description")
    ordering = ("parent__sort_order", "sort_order", "name")


class ResolutionCodeAdmin(ModelAdmin):
    model = ResolutionCode
    menu_label = _("Resolution codes")
    menu_icon = "check"
    list_display = ("__str__", "code", "is_active")
    list_filter = ("is_active",)


class CannedResponseAdmin(ModelAdmin):
    model = CannedResponse
    menu_label = _("Canned responses")
    menu_icon = "openquote"
    list_display = ("title", "team", "is_active")
    list_filter = ("is_active", "team")
    search_fields = ("title", "body")


@modeladmin_register
class SupportAdminGroup(ModelAdminGroup):
    menu_label = _("Support")
    menu_icon = "help"
    menu_order = 150
    items = (TeamAdmin, CategoryAdmin, ResolutionCodeAdmin, CannedResponseAdmin, OutboundMailAdmin, InboundMailAdmin)

    def get_submenu_items(self):
        items = [
            SupportLinkMenuItem(_("Inbox"), "wagtail_support_inbox", count=unassigned_count, icon_name="tasks", order=1),
            SupportLinkMenuItem(_("New ticket"), "wagtail_support_ticket_create", icon_name="plus", order=2),
        ]
        for order, item in enumerate(super().get_submenu_items(), start=10):
            item.order = order
            items.append(item)
        return items


# The agents' views: inbox, workspace and "New ticket", the home panel and the bulk actions. -------------------

from . import admin_create, admin_inbox, admin_mail, admin_workspace  # noqa: E402


@hooks.register("register_admin_urls")
def register_support_admin_urls():
    return admin_inbox.admin_urls() + admin_workspace.admin_urls() + admin_create.admin_urls() + admin_mail.admin_urls()


@hooks.register("register_account_settings_panel")
def register_support_notifications_panel(request, user, profile):
    return SupportNotificationsPanel(request, user, profile)


@hooks.register("construct_homepage_panels")
def add_tickets_for_my_teams_panel(request, panels):
    admin_inbox.add_tickets_panel(request, panels)


for _bulk_action in admin_inbox.BULK_ACTIONS:
    hooks.register("register_bulk_action", _bulk_action)
