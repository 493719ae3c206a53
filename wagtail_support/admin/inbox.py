"""The agents' inbox: Wagtail's listing view over the tickets an agent works.

``InboxView`` is a ``BaseListingView`` (the base of Wagtail's generic index views): a ``Table`` of
columns with sortable headers, a django-filter ``FilterSet`` shown in the slim header's filter drill-down
with the "active filter" pills, the header search box, results refreshed in place through a results-only
URL, and Wagtail's paginator. Every query runs through ``AgentScope`` (the rule lives in ``access``) and
the page runs a fixed number of queries whatever the number of tickets.

It opens on "My teams": the tickets of the agent's teams that are not closed, newest activity first. Any
of its addresses with ``?export=csv`` or ``?export=xlsx`` downloads every ticket of that view
(``admin.export``).
"""

from functools import cached_property

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton

from ..access import ticket_policy
from .columns import PythonRowsTable, ticket_columns
from .export import TicketExportMixin
from .filters import (
    ORDERING_ALIASES, ORDERINGS, DEFAULT_ORDERING, TicketFilterSet, order_tickets, search_tickets,
    without_repeated_conditions,
)
from .paths import NAMESPACE, admin_url, inbox_url
from .scope import COUNT_LIMIT, COUNTED_VIEWS, DEFAULT_VIEW, LISTING_DEFERRED, VIEW_ALL, AgentScope

#: Tickets per page of the inbox.
PAGE_SIZE = 50


class CappedPaginator(WagtailPaginator):
    """Wagtail's paginator, counting at most ``COUNT_LIMIT`` rows (one ``COUNT`` over a ``LIMIT``)."""

    capped = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "values"):
            return super().count
        found = queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()
        self.capped = found > COUNT_LIMIT
        return min(found, COUNT_LIMIT)

    @cached_property
    def items_count_label(self):
        if self.count and self.capped:
            return gettext("More than %(count)s tickets") % {"count": intcomma(COUNT_LIMIT)}
        return super().items_count_label


def with_default_view(data):
    """The inbox's query with its view: "My teams" when it names none."""
    if data.get("view"):
        return data
    data = data.copy()
    data["view"] = DEFAULT_VIEW
    return data


class InboxView(PermissionCheckedMixin, TicketExportMixin, BaseListingView):
    """The tickets an agent works: paged, sortable, filtered, searchable, with bulk actions and an export."""

    permission_policy = ticket_policy
    permission_required = "work"
    template_name = "wagtail_support/admin/inbox.html"
    results_template_name = "wagtail_support/admin/inbox_results.html"
    page_title = _("Inbox")
    header_icon = "tasks"
    paginate_by = PAGE_SIZE
    paginator_class = CappedPaginator
    index_url_name = f"{NAMESPACE}:inbox"
    index_results_url_name = f"{NAMESPACE}:inbox_results"
    filterset_class = TicketFilterSet
    is_searchable = True
    default_ordering = DEFAULT_ORDERING
    verbose_name = _("ticket")
    verbose_name_plural = _("tickets")
    table_classname = "listing ws-inbox-table"
    table_class = PythonRowsTable

    @cached_property
    def scope(self):
        return AgentScope.for_request(self.request)

    @cached_property
    def columns(self):
        # An agent of one team sees that team's tickets (and the few assigned to them): no Team column.
        scope = self.scope
        return ticket_columns(team=scope.sees_all or len(scope.team_ids) != 1)

    def get_search_form(self):
        placeholder = gettext("Search by reference, subject or requester…")
        if self.search_kwarg in self.request.GET:
            return SearchForm(self.request.GET, placeholder=placeholder)
        return SearchForm(placeholder=placeholder)

    def search_queryset(self, queryset):
        return search_tickets(queryset, self.search_query)

    def get(self, request, *args, **kwargs):
        if self.is_export:
            return self.export_response()
        return super().get(request, *args, **kwargs)

    def get_filterset_kwargs(self):
        return {"data": with_default_view(self.request.GET), "request": self.request}

    @cached_property
    def filters(self):
        """The filter set, without the filters whose values are invalid: each one is ignored alone (an
        invalid view is the default one)."""
        filterset = self.filterset_class(**self.get_filterset_kwargs())
        if not filterset.is_valid():
            data = self.request.GET.copy()
            for name in filterset.form.errors:
                for key in list(data):
                    if key == name or key.startswith(f"{name}_"):
                        del data[key]
            filterset = self.filterset_class(data=with_default_view(data), request=self.request)
            if not filterset.is_valid():
                filterset = self.filterset_class(data=with_default_view({}), request=self.request)
        return filterset

    @cached_property
    def category_names(self):
        """``{pk: "Parent › Child"}`` of the service catalog (read once already, for the category filter)."""
        catalog = self.filters.catalog
        return {entry.pk: entry.full_name for entry in catalog.entries}

    def get_valid_orderings(self):
        return [key for name in ORDERINGS for key in (name, f"-{name}")]

    def get_ordering(self):
        ordering = self.request.GET.get("ordering", "") or ""
        descending = ordering.startswith("-")
        name = ordering.lstrip("-")
        name = ORDERING_ALIASES.get(name, name)
        ordering = f"-{name}" if descending else name
        return ordering if ordering in self.get_valid_orderings() else self.default_ordering

    def order_queryset(self, queryset):
        return order_tickets(queryset, self.ordering)

    def get_queryset(self):
        # Wagtail orders, then filters, then searches: the conditions said twice on the way go last.
        return without_repeated_conditions(super().get_queryset())

    def get_base_queryset(self):
        return self.scope.tickets(self.current_view).select_related("team", "assignee").defer(*LISTING_DEFERRED)

    @cached_property
    def header_buttons(self):
        # "New ticket"; the export's "Download XLSX" and "Download CSV" go in the "More" menu beside it.
        return [HeaderButton(gettext("New ticket"), url=admin_url("ticket_create"), icon_name="plus")]

    @cached_property
    def current_view(self):
        filters = self.filters
        if filters is not None and filters.is_valid():
            return filters.form.cleaned_data.get("view") or DEFAULT_VIEW
        return DEFAULT_VIEW

    def view_links(self):
        """The one-click views above the listing; each but "All tickets" with its count, the number of
        tickets its listing shows."""
        counts = self.scope.counts
        return [
            {
                "value": value,
                "label": label,
                "count": counts[value] if value in COUNTED_VIEWS else None,
                "url": inbox_url(view=value),
                "active": self.current_view == value,
            }
            for value, label in self.scope.view_choices()
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        links = self.view_links()
        context["view_links"] = [link for link in links if link["value"] != VIEW_ALL]
        context["all_link"] = next(link for link in links if link["value"] == VIEW_ALL)
        paginator = context.get("paginator")
        context["count_capped"] = bool(getattr(paginator, "capped", False))
        context["count_limit"] = COUNT_LIMIT
        context["all_url"] = inbox_url(view=VIEW_ALL)
        return context
