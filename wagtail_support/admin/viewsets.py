"""The configuration screens (teams, service catalog, resolution codes, canned responses, business hours,
service level policies) and the mail
logs (outgoing and incoming mail), on wagtail-modeladmin.

This is the one module that imports wagtail-modeladmin: the screens are registered through ``register()``,
shown in the Support menu through ``menu_item_factories()``, and reached through ``url_for()``, so that moving them
to Wagtail's ``ModelViewSet`` one day changes this module only.
"""

from functools import partial

from django.contrib.admin import SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import re_path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import get_language_info, gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.log_actions import log
from wagtail.models import Locale
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import CreateView, EditView, InspectView

from ..models import (
    BusinessCalendar,
    CannedResponse,
    Category,
    InboundMail,
    OutboundMail,
    ResolutionCode,
    ServiceLevelPolicy,
    Team,
)
from ..models.catalog import default_language_code, i18n_enabled
from .forms import BusinessCalendarForm, CannedResponseForm, CategoryForm, ServiceLevelPolicyForm, TeamForm
from .mail_preview import inbound_preview, outbound_preview
from .paths import ticket_url


class SupportModelAdmin(ModelAdmin):
    # Shown in the Support menu (``menu_items``), not at the top level of Wagtail's menu.
    add_to_admin_menu = False


# Translation of the catalog, the resolution codes and the saved replies -------------------------------------
#
# The listing shows the entries of the default locale (the catalog itself), each with its translations and a
# "Translate" link per locale it lacks; a translation is edited on its own form, which holds the texts only.
# With Wagtail's i18n off, or a single locale, none of it shows.


def other_locales():
    """The site's locales other than the default one, when the site translates its content; else []."""
    if not i18n_enabled():
        return []
    default = default_language_code()
    return [locale for locale in Locale.objects.order_by("language_code") if locale.language_code != default]


def locale_label(locale):
    return language_label(locale.language_code) or str(locale)


class TranslationEditView(EditView):
    """The edit form of an entry; for a translation, only its translatable texts, and which entry it
    translates, in which language."""

    def get_edit_handler(self):
        original = self.model_admin.original_of(self.instance)
        if original is None:
            return self.original_edit_handler()
        intro = HelpPanel(
            content=format_html(
                "<p>{}</p>",
                gettext("Translation into %(language)s of “%(entry)s”. Only its texts are translated: everything "
                        "else is the original entry's.")
                % {"language": locale_label(self.instance.locale), "entry": original},
            ),
            heading=gettext("Translation"),
        )
        panels = [intro] + [FieldPanel(name) for name in self.model_admin.translatable_fields]
        return ObjectList(panels, base_form_class=WagtailAdminModelForm).bind_to_model(self.model)


    def original_edit_handler(self):
        translations = (
            list(self.instance.get_translations().select_related("locale").order_by("locale__language_code"))
            if other_locales()
            else []
        )
        if not translations:
            return super().get_edit_handler()
        handler = self.model_admin.get_edit_handler()
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            [(self.url_helper.get_action_url("edit", item.pk), locale_label(item.locale)) for item in translations],
        )
        intro = HelpPanel(
            content=format_html("<p>{} {}</p>", gettext("Translations of this entry:"), links),
            heading=gettext("Translations"),
        )
        return ObjectList([intro, *handler.children], base_form_class=handler.base_form_class).bind_to_model(self.model)


class OriginalCreateView(CreateView):
    """A new entry is always one of the default locale (translations are made with "Translate")."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"].locale = None  # Wagtail's pre_save gives it the default locale
        return kwargs


class TranslatableAdminMixin:
    """The listing of the default locale's entries with their translations, the "Translate" action and the
    translation's own edit form (``translatable_fields``)."""

    translatable_fields = ()
    edit_view_class = TranslationEditView
    create_view_class = OriginalCreateView

    def originals(self, queryset):
        """The rows the listing shows: the default locale's."""
        return queryset.originals()

    def original_of(self, obj):
        """The entry ``obj`` translates, or ``None`` when it is an original."""
        if obj.locale.language_code == default_language_code():
            return None
        return self.model._default_manager.originals().filter(translation_key=obj.translation_key).first()

    def translation_locales(self):
        """The locales an entry may be translated into: those of the site but the default one (the
        originals'); none when the site does not translate its content."""
        return other_locales()

    def with_translations(self, request, queryset):
        """``queryset`` annotated with the pk of each row's translation per other locale (one subquery
        each: the listing stays one query)."""
        locales = getattr(request, "wagtail_support_locales", None)
        if locales is None:
            locales = request.wagtail_support_locales = other_locales()
        if not locales:
            return queryset
        annotations = {}
        for locale in self.translation_locales():
            same = self.model._default_manager.filter(translation_key=OuterRef("translation_key"), locale_id=locale.pk)
            annotations[f"ws_translation_{locale.pk}"] = Subquery(same.values("pk")[:1])
            annotations[f"ws_language_{locale.pk}"] = Value(locale.language_code, output_field=CharField())
        return queryset.annotate(**annotations)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if getattr(request, "wagtail_support_locales", None) is None:
            request.wagtail_support_locales = other_locales()
        if request.wagtail_support_locales:
            shown = tuple(shown) + ("translations",)
        return shown

    def translations(self, obj):
        links = []
        languages = sorted(
            (value, int(name.rsplit("_", 1)[1])) for name, value in vars(obj).items() if name.startswith("ws_language_")
        )
        for value, locale_pk in languages:
            if locale_pk == obj.locale_id:
                continue
            label = language_label(value) or value
            translation_pk = getattr(obj, f"ws_translation_{locale_pk}", None)
            if translation_pk:
                links.append((self.url_helper.get_action_url("edit", translation_pk), "", label))
            else:
                links.append(
                    (
                        self.url_helper.get_action_url("translate", obj.pk) + f"?locale={locale_pk}",
                        "button button-small button-secondary",
                        gettext("Translate into %(language)s") % {"language": label},
                    )
                )
        return format_html_join(" ", '<a href="{}" class="{}">{}</a>', links)

    translations.short_description = _("Translations")

    def get_admin_urls_for_registration(self):
        return super().get_admin_urls_for_registration() + (
            re_path(
                self.url_helper.get_action_url_pattern("translate"),
                self.translate_view,
                name=self.url_helper.get_action_url_name("translate"),
            ),
        )

    def translate_view(self, request, instance_pk):
        return require_http_methods(["GET", "POST"])(self._translate)(request, instance_pk)

    def _translate(self, request, instance_pk):
        """GET: which entry, into which language (changes nothing); POST: Wagtail's ``copy_for_translation``
        into that locale, saved, then its edit form. A translation that exists is opened instead."""
        if not request.user.is_authenticated or not self.permission_helper.user_can_create(request.user):
            raise PermissionDenied
        if not other_locales():
            raise Http404
        locales = {str(locale.pk): locale for locale in self.translation_locales()}
        original = get_object_or_404(self.originals(self.model._default_manager.all()), pk=instance_pk)
        locale = locales.get(request.POST.get("locale") if request.method == "POST" else request.GET.get("locale"))
        if locale is None or locale.pk == original.locale_id:
            raise Http404
        existing = original.get_translation_or_none(locale)
        if existing is not None:
            return redirect(self.url_helper.get_action_url("edit", existing.pk))
        if request.method == "POST":
            copy = original.copy_for_translation(locale)
            copy.save()
            log(instance=copy, action="wagtail.create", user=request.user, content_changed=True)
            return redirect(self.url_helper.get_action_url("edit", copy.pk))
        title = gettext("Translate into %(language)s") % {"language": locale_label(locale)}
        return TemplateResponse(
            request,
            "wagtail_support/admin/translate.html",
            {
                "page_title": title,
                "header_icon": self.get_menu_icon(),
                "original": original,
                "locale": locale,
                "language": locale_label(locale),
                "verbose_name": self.opts.verbose_name,
                "fields": [capfirst(self.opts.get_field(name).verbose_name) for name in self.translatable_fields],
                "action_url": self.url_helper.get_action_url("translate", original.pk),
                "index_url": self.url_helper.index_url,
            },
        )


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
            FieldPanel("calendar"),
            FieldPanel("is_active"),
        ],
        base_form_class=TeamForm,
    )


class CategoryAdmin(TranslatableAdminMixin, SupportModelAdmin):
    """The service catalog in tree order (parents first, then their children), named "Parent › Child",
    read from ``Category.objects.tree()``; its form offers the parent entry in the same order."""

    model = Category
    menu_label = _("Service catalog")
    menu_icon = "list-ul"
    list_display = ("tree_name", "default_team", "is_active")
    list_filter = ("is_active", "default_team")
    search_fields = ("name", "description")
    ordering = ("tree_position",)
    translatable_fields = ("name", "description")
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
        queryset = (
            Category.objects.originals()
            .select_related("default_team")
            .annotate(
                tree_position=Case(*position, default=Value(len(entries)), output_field=IntegerField()),
                tree_label=Case(*label, default="name", output_field=CharField()),
            )
            .order_by(*self.get_ordering(request))
        )
        return self.with_translations(request, queryset)

    def tree_name(self, obj):
        return obj.tree_label

    tree_name.short_description = _("Name")
    tree_name.admin_order_field = "tree_position"


class ResolutionCodeAdmin(TranslatableAdminMixin, SupportModelAdmin):
    model = ResolutionCode
    menu_label = _("Resolution codes")
    menu_icon = "check"
    list_display = ("__str__", "code", "is_active")
    list_filter = ("is_active",)
    translatable_fields = ("label",)

    def get_queryset(self, request):
        return self.with_translations(request, super().get_queryset(request).originals())


class CannedResponseAdmin(TranslatableAdminMixin, SupportModelAdmin):
    """Saved replies. A reply may be written in any of the site's languages ("Language"); the listing shows
    one row per reply (the default locale's version, else its first), with its other versions as its
    translations."""

    model = CannedResponse
    menu_label = _("Canned responses")
    menu_icon = "openquote"
    list_display = ("title", "team", "language_name", "is_active")
    list_filter = ("is_active", "team")
    search_fields = ("title", "body")
    translatable_fields = ("title", "body")
    create_view_class = CreateView  # its form's "Language" chooses the locale

    def originals(self, queryset):
        same_key = CannedResponse.objects.filter(translation_key=OuterRef("translation_key")).exclude(pk=OuterRef("pk"))
        default = default_language_code()
        return queryset.exclude(
            ~Q(locale__language_code=default)
            & (
                Exists(same_key.filter(locale__language_code=default))
                | Exists(same_key.filter(pk__lt=OuterRef("pk")))
            )
        )

    def translation_locales(self):
        # A reply first written in another language may be translated into the default one too.
        return list(Locale.objects.order_by("language_code")) if other_locales() else []

    def original_of(self, obj):
        default = default_language_code()
        if obj.locale.language_code == default:
            return None
        others = CannedResponse.objects.filter(translation_key=obj.translation_key).exclude(pk=obj.pk)
        return others.filter(locale__language_code=default).first() or others.filter(pk__lt=obj.pk).order_by("pk").first()

    def get_queryset(self, request):
        queryset = self.originals(super().get_queryset(request).select_related("locale", "team"))
        return self.with_translations(request, queryset)
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("body"),
            FieldPanel("team"),
            FieldPanel("language"),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
            # A macro: what sending the reply also sets, in the same move (a translation keeps these).
            MultiFieldPanel(
                [
                    HelpPanel(
                        content=_(
                            "Inserting this reply in a ticket also fills in these values; the agent sees them "
                            "before sending and may change any of them. Empty: unchanged."
                        )
                    ),
                    FieldRowPanel([FieldPanel("set_status"), FieldPanel("set_resolution_code")]),
                    FieldRowPanel([FieldPanel("set_priority"), FieldPanel("set_kind")]),
                    FieldPanel("set_team"),
                    FieldRowPanel([FieldPanel("set_assignee"), FieldPanel("assign_to_me")]),
                ],
                heading=_("When sent"),
            ),
        ],
        base_form_class=CannedResponseForm,
    )

    def language_name(self, obj):
        return language_label(obj.locale.language_code)

    language_name.short_description = _("Language")
    language_name.admin_order_field = "locale__language_code"


class BusinessCalendarAdmin(SupportModelAdmin):
    """Business hours: a weekly schedule (several intervals a day allowed) in a time zone, and holidays; one
    form edits them all (``BusinessCalendarForm`` checks the week as a whole)."""

    model = BusinessCalendar
    menu_label = _("Business hours")
    menu_icon = "time"
    list_display = ("name", "time_zone")
    search_fields = ("name", "time_zone")
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("time_zone"),
            InlinePanel("intervals", heading=_("Weekly hours"), label=_("Interval"), min_num=1),
            InlinePanel("holidays", heading=_("Holidays"), label=_("Holiday")),
        ],
        base_form_class=BusinessCalendarForm,
    )


class ServiceLevelPolicyAdmin(SupportModelAdmin):
    """Service level policies: targets per priority, optionally for one team or catalog entry, and the
    reminders and closing of tickets pending for days."""

    model = ServiceLevelPolicy
    menu_label = _("Service levels")
    menu_icon = "history"
    list_display = (
        "name", "priority", "team", "catalog_entry", "first_response_minutes", "resolution_minutes", "is_active"
    )
    list_filter = ("is_active", "priority", "team")
    search_fields = ("name",)
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            MultiFieldPanel(
                [FieldPanel("priority"), FieldPanel("team"), FieldPanel("category")], heading=_("Tickets covered")
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [
                            FieldPanel("first_response_minutes"),
                            FieldPanel("next_response_minutes"),
                            FieldPanel("resolution_minutes"),
                        ]
                    ),
                    FieldPanel("use_business_hours"),
                    FieldPanel("pause_while_pending"),
                    FieldPanel("warn_before_minutes"),
                ],
                heading=_("Targets"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [
                            FieldPanel("remind_after_days"),
                            FieldPanel("second_reminder_after_days"),
                            FieldPanel("close_after_days"),
                        ]
                    )
                ],
                heading=_("Tickets waiting for the requester"),
            ),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
        ],
        base_form_class=ServiceLevelPolicyForm,
    )

    def get_queryset(self, request):
        # The entries' names as the tree gives them ("Parent › Child"), read once, not once per row.
        label = [When(category_id=entry.pk, then=Value(entry.full_name)) for entry in Category.objects.tree().entries]
        return (
            super()
            .get_queryset(request)
            .select_related("team")
            .annotate(category_label=Case(*label, default=Value(""), output_field=CharField()))
        )

    def catalog_entry(self, obj):
        return obj.category_label or self.get_empty_value_display("category")

    catalog_entry.short_description = _("Service catalog entry")


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
    BusinessCalendarAdmin(),
    ServiceLevelPolicyAdmin(),
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
