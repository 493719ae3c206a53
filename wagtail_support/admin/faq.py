"""The FAQ in the Wagtail admin: questions and topics as snippets, under one "FAQ" menu item.

``wagtail_hooks.py`` registers ``FAQViewSetGroup`` with everything else wagtail-support registers;
registering the viewsets also puts the add/change/delete/view permissions of both models in the group
editor. Questions have drafts, revisions, history and Wagtail's moderation workflow (the snippet views
give them: "Save draft", "Publish", "Submit for moderation", a status column and a "live" filter); the
listing shows each question's deflection counters.
"""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, Panel
from wagtail.admin.ui.tables import DateColumn, LiveStatusTagColumn, LocaleColumn, NumberColumn
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from ..access import ticket_policy
from ..faq import FAQEntry, FAQTopic, normalize_query
from .paths import ticket_url


class SourceTicketPanel(Panel):
    """On a question proposed from a ticket: "Proposed from ticket #N", a link to its workspace for an
    agent who may work it."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_support/admin/faq_source_ticket.html"

        def is_shown(self):
            return bool(getattr(self.instance, "source_ticket_id", None))

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            ticket = self.instance.source_ticket
            context["ticket"] = ticket
            may_work = ticket is not None and ticket_policy.user_has_permission_for_instance(
                self.request.user, "work", ticket
            )
            context["ticket_url"] = ticket_url(ticket) if may_work else ""
            return context


class FAQEntryIndexView(IndexView):
    def get_base_queryset(self):
        # The topic, locale, counters and status of each row at a fixed query cost.
        return super().get_base_queryset().for_listing()

    @cached_property
    def columns(self):
        columns = super().columns
        if self.i18n_enabled:
            # The language of each question, after the question (as Wagtail's default listing has it).
            columns.insert(2, LocaleColumn(classname="w-text-16"))
        return columns

    @cached_property
    def search_query(self):
        # Only words reach the search backend: Wagtail's SQLite backend puts them into an FTS5 query
        # unescaped, where a stray double quote is a syntax error, a 500 instead of "no result"
        # (wagtail/wagtail#13227).
        if self.search_form and self.search_form.is_valid():
            return normalize_query(self.search_form.cleaned_data[self.search_kwarg])
        return ""


class FAQEntryViewSet(SnippetViewSet):
    model = FAQEntry
    index_view_class = FAQEntryIndexView
    icon = "help"
    menu_label = _("Questions")
    list_display = [
        "question",
        "topic",
        DateColumn("updated_at", label=_("Updated")),
        # How the support form turned visitors away (see wagtail_support.faq.FAQDeflection).
        NumberColumn("shown", accessor="deflection.shown", label=_("Suggested")),
        NumberColumn("opened", accessor="deflection.opened", label=pgettext_lazy("FAQ deflection", "Opened")),
        NumberColumn("deflected", accessor="deflection.deflected", label=_("Deflected")),
        LiveStatusTagColumn(),
    ]
    # "live": published or draft only.
    list_filter = ["topic", "live"]
    # Drag and drop in the listing sets the order; the FAQ page keeps it within each topic.
    sort_order_field = "sort_order"
    # The listing's search goes through Wagtail's search backend (the question's AutocompleteField).
    panels = [
        SourceTicketPanel(),
        FieldPanel("topic"),
        FieldPanel("question"),
        FieldPanel("answer"),
        FieldPanel("slug"),
        FieldPanel("sort_order"),
    ]


class FAQTopicViewSet(SnippetViewSet):
    model = FAQTopic
    icon = "folder-open-inverse"
    menu_label = _("Topics")
    list_display = ["name", "slug"]
    sort_order_field = "sort_order"
    # Topics are not in the search index: search their names in the database.
    search_fields = ["name", "slug"]
    search_backend_name = None
    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("sort_order")]


class FAQViewSetGroup(SnippetViewSetGroup):
    menu_label = _("FAQ")
    menu_icon = "help"
    menu_order = 310
    items = (FAQEntryViewSet, FAQTopicViewSet)

