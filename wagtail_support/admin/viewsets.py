"""The configuration screens (teams, service catalog, resolution codes, canned responses) and the mail
logs (outgoing and incoming mail), on wagtail-modeladmin.

This is the one module that imports wagtail-modeladmin: the screens are registered through ``register()``,
shown in the Support menu through ``menu_item_factories()``, and reached through ``url_for()``, so that moving them
to Wagtail's ``ModelViewSet`` one day changes this module only.
"""

from functools import partial

from django.contrib.admin import SimpleListFilter
from django.db.models import Case, CharField, IntegerField, Value, When
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import InspectView

from ..models import CannedResponse, Category, InboundMail, OutboundMail, ResolutionCode, Team
from .forms import CannedResponseForm, CategoryForm, TeamForm
from .mail_preview import inbound_preview, outbound_preview
from .paths import ticket_url


class SupportModelAdmin(ModelAdmin):
    # Shown in the Support menu (``menu_items``), not at the top level of Wagtail's menu.
    add_to_admin_menu = False


class TeamAdmin(SupportModelAdmin):
    model = Team
    menu_label = _("Teams")
    menu_icon = "group"
    list_display = ("name", "contact_email", "inbound_email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_email", "inbound_email")
    # The members: a filtered checkbox list of the agents by full name (``TeamForm``).
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("members"),
            FieldPanel("contact_email"),
            FieldPanel("inbound_email"),
            FieldPanel("is_active"),
        ],
        base_form_class=TeamForm,
    )


class CategoryAdmin(SupportModelAdmin):
    """The service catalog in tree order (parents first, then their children), named "Parent › Child",
    read from ``Category.objects.tree()``; its form offers the parent entry in the same order."""

    model = Category
    menu_label = _("Service catalog")
    menu_icon = "list-ul"
    list_display = ("tree_name", "default_team", "is_active")
    list_filter = ("is_active", "default_team")
    search_fields = ("name", "description")
    ordering = ("tree_position",)
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("parent"),
            FieldPanel("default_team"),
            FieldPanel("description"),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
        ],
        base_form_class=CategoryForm,
    )

    def get_queryset(self, request):
        # The tree's order and names as annotations (one CASE per entry: a catalog has tens or hundreds
        # of entries), so the listing's paging, filters and search work on them as on any column.
        entries = Category.objects.tree().entries
        position = [When(pk=entry.pk, then=Value(index)) for index, entry in enumerate(entries)]
        label = [When(pk=entry.pk, then=Value(entry.full_name)) for entry in entries]
        return (
            Category.objects.select_related("default_team")
            .annotate(
                tree_position=Case(*position, default=Value(len(entries)), output_field=IntegerField()),
                tree_label=Case(*label, default="name", output_field=CharField()),
            )
            .order_by(*self.get_ordering(request))
        )

    def tree_name(self, obj):
        return obj.tree_label

    tree_name.short_description = _("Name")
    tree_name.admin_order_field = "tree_position"


class ResolutionCodeAdmin(SupportModelAdmin):
    model = ResolutionCode
    menu_label = _("Resolution codes")
    menu_icon = "check"
    list_display = ("__str__", "code", "is_active")
    list_filter = ("is_active",)


class CannedResponseAdmin(SupportModelAdmin):
    model = CannedResponse
    menu_label = _("Canned responses")
    menu_icon = "openquote"
    list_display = ("title", "team", "language_name", "is_active")
    list_filter = ("is_active", "team")
    search_fields = ("title", "body")
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("body"),
            FieldPanel("team"),
            FieldPanel("language"),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
        ],
        base_form_class=CannedResponseForm,
    )

    def language_name(self, obj):
        return language_label(obj.locale.language_code)

    language_name.short_description = _("Language")
    language_name.admin_order_field = "locale__language_code"


class ReadOnlyPermissionHelper(PermissionHelper):
    """Records are written by the mail code only: they can be listed and inspected, never edited."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


# The mail logs speak in labels, not codes: every event of ``notifications`` and both audiences.
EVENT_LABELS = {
    **OutboundMail.EVENT_LABELS,
    "internal_note": _("Internal note"),
    "team_changed": _("Moved to another team"),
    "closed_by_requester": _("Closed by the requester"),
}
AUDIENCE_LABELS = {"requester": _("Requester"), "agent": _("Agent")}


def event_label(code):
    return EVENT_LABELS.get(code, code)


def language_label(code):
    if not code:
        return ""
    try:
        return capfirst(get_language_info(code)["name_translated"])
    except KeyError:
        return code


class LabelledListFilter(SimpleListFilter):
    """A filter on a code field without choices (``event``, ``audience``), offering its labels."""

    labels = {}

    def lookups(self, request, model_admin):
        return [(code, capfirst(label)) for code, label in self.labels.items()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class EventFilter(LabelledListFilter):
    title = _("event")
    parameter_name = "event"
    labels = EVENT_LABELS


class AudienceFilter(LabelledListFilter):
    title = _("audience")
    parameter_name = "audience"
    labels = AUDIENCE_LABELS


class MailInspectView(InspectView):
    """A mail record: its fields under their names as people write them ("Recipient", not "recipient"),
    codes as labels, and a preview of the mail (``admin.mail_preview``)."""

    DISPLAY = {"event": event_label, "audience": lambda code: AUDIENCE_LABELS.get(code, code), "language": language_label}

    def get_field_label(self, field_name, field=None):
        return capfirst(super().get_field_label(field_name, field))

    def get_field_display_value(self, field_name, field=None):
        if field_name in self.DISPLAY:
            value = self.DISPLAY[field_name](getattr(self.instance, field_name))
            return value or self.model_admin.get_empty_value_display(field_name)
        return super().get_field_display_value(field_name, field)

    def get_context_data(self, **kwargs):
        return super().get_context_data(preview=self.model_admin.preview(self.instance), **kwargs)


class MailAdminMixin:
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    inspect_view_class = MailInspectView
    list_per_page = 50

    def ticket_link(self, obj):
        if obj.ticket_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', ticket_url(obj.ticket_id), obj.ticket.reference
        )

    ticket_link.short_description = gettext_lazy("Ticket")


class OutboundMailAdmin(MailAdminMixin, SupportModelAdmin):
    model = OutboundMail
    menu_label = gettext_lazy("Outgoing mail")
    menu_icon = "mail"
    list_display = ("created_at", "recipient", "event_label", "subject", "ticket_link", "status", "attempts", "error")
    list_filter = ("status", EventFilter, AudienceFilter)
    search_fields = ("recipient", "internet_message_id", "esp_message_id", "subject")
    inspect_view_fields = (
        "ticket", "message", "event", "audience", "recipient", "language", "subject", "internet_message_id",
        "esp_name", "esp_message_id", "status", "error", "attempts", "created_at", "sent_at", "updated_at",
    )
    inspect_template_name = "wagtail_support/admin/outbound_mail_inspect.html"

    def event_label(self, obj):
        return event_label(obj.event)

    event_label.short_description = gettext_lazy("Event")

    def preview(self, mail):
        return outbound_preview(mail)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket")


class InboundMailAdmin(MailAdminMixin, SupportModelAdmin):
    model = InboundMail
    menu_label = gettext_lazy("Incoming mail")
    menu_icon = "download"
    list_display = ("received_at", "from_email", "subject", "status", "reason", "ticket_link")
    list_filter = ("status", "reason")
    search_fields = ("from_email", "subject", "internet_message_id", "recipients")
    inspect_view_fields = (
        "received_at", "from_email", "from_name", "recipients", "subject", "internet_message_id", "esp_name",
        "status", "reason", "note", "ticket", "message",
    )
    inspect_template_name = "wagtail_support/admin/inbound_mail_inspect.html"

    def preview(self, record):
        return inbound_preview(record)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket").defer("raw")


# In the order of the Support menu.
MODEL_ADMINS = [
    TeamAdmin(),
    CategoryAdmin(),
    ResolutionCodeAdmin(),
    CannedResponseAdmin(),
    OutboundMailAdmin(),
    InboundMailAdmin(),
]
_BY_MODEL = {admin.model: admin for admin in MODEL_ADMINS}


def register():
    """Register the screens' URLs, permissions and URL finders with Wagtail (``wagtail_hooks``)."""
    for admin in MODEL_ADMINS:
        admin.register_with_wagtail()


def menu_item_factories(first_order=10):
    """One callable per screen that makes its Support menu item (shown to those whose permissions let them
    list the model); called when the menu is first built, once the URLs are loaded."""
    return [partial(admin.get_menu_item, order) for order, admin in enumerate(MODEL_ADMINS, start=first_order)]


def url_for(model, action="index", *args):
    """The address of a screen of ``model``: ``"index"``, ``"create"``, ``"edit"``, ``"delete"``,
    ``"inspect"`` (the last three with the object's pk)."""
    return reverse(_BY_MODEL[model].url_helper.get_action_url_name(action), args=args)
