"""The FAQ in the Wagtail admin: questions and topics as snippets, under one "FAQ" menu item.

``wagtail_hooks.py`` registers ``FAQViewSetGroup`` with everything else wagtail-support registers;
registering the viewsets also puts the add/change/delete/view permissions of both models in the group
editor.
"""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import BooleanColumn, DateColumn
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from ..faq import FAQEntry, FAQTopic, normalize_query


class FAQEntryIndexView(IndexView):
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
    ]
    list_filter = ["topic", "live"]
    # Drag and drop in the listing sets the order; the FAQ page keeps it within each topic.
    sort_order_field = "sort_order"
    # The listing's search goes through Wagtail's search backend (the question's AutocompleteField).
    panels = [
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

