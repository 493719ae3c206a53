"""Tickets that came from a page, where editors work: the page editor's "Support tickets" side panel and the
"Pages with open tickets" report.

A ticket *came from* a page when the page is its ``submitted_from`` (the form was on it) or its ``came_from``
(the visitor was reading it before the support page). Only tickets that are not closed count.

Wagtail 8 has no hook that adds a side panel to the page editor: ``EditView.get_side_panels`` builds a fixed
list. Its supported seam is the page viewset: ``PageViewSet.edit_view_class``, and the viewset registered
for ``Page`` serves every page type that has no viewset of its own. ``SupportPageViewSet`` is that viewset
with an edit view that adds the panel, so every page type shows it without changing its class. A site that
registers its own ``PageViewSet`` for a type mixes ``PageTicketsEditViewMixin`` into its edit view.

Who reads what (``access``): the count of open tickets is shown to anyone who may edit the page; an agent
sees the reference, subject and status of each ticket they may work (``access.worked_tickets``), linked to
its workspace, and only that the others exist; an editor who is no agent sees the count alone (subjects
are the requesters' words). Two queries at most, whatever the number of tickets.
"""

import datetime

from django.db.models import DateTimeField, Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.side_panels import BaseSidePanel
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.pages.edit import EditView
from wagtail.admin.views.reports import ReportView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import Page

from .. import access
from ..access import ticket_policy
from ..models import Ticket
from .paths import inbox_url, page_edit_url, ticket_url
from .scope import VIEW_OPEN, VIEW_TEAMS, BoundedCount, bounded_counts

#: The newest tickets the side panel lists.
PANEL_SIZE = 10

#: The inbox's filter on the page a ticket came from (``filters.TicketFilterSet``; not ``page``, the paginator's).
PAGE_FILTER = "from_page"


def came_from_q(page_id, prefix=""):
    """The tickets that came from the page ``page_id`` (an id or an ``OuterRef``)."""
    return Q(**{f"{prefix}submitted_from_id": page_id}) | Q(**{f"{prefix}came_from_id": page_id})


def page_inbox_url(page_id, user):
    """The inbox on the open tickets of a page that ``user`` works: "Every team" for those who see every
    team, "My teams" (their teams and what is assigned to them) for an agent."""
    view = VIEW_OPEN if access.can_view_all(user) else VIEW_TEAMS
    return inbox_url(view=view, **{PAGE_FILTER: page_id})


# The side panel -------------------------------------------------------------------------------------------


class PageTickets:
    """What ``user`` may read of the open tickets of ``page``: ``total`` for anyone; for an agent, ``workable``
    (the number they work) and ``rows`` (the newest ``PANEL_SIZE``, each with ``may_work``)."""

    def __init__(self, page, user, size=PANEL_SIZE):
        self.page = page
        self.user = user
        self.is_agent = ticket_policy.user_has_permission(user, "work")
        tickets = Ticket.objects.not_closed().filter(came_from_q(page.pk))
        # Counted up to COUNT_LIMIT ("1,000+"): a page most tickets come from (the support page itself)
        # gathers a tenth of a large desk's backlog, and an exact count read all of it on every edit.
        if not self.is_agent:
            self.total = bounded_counts({"total": tickets})["total"]
            self.workable = 0
            self.rows = []
            return
        # Two queries: the counts (all, and those the agent works), then the newest rows, each marked.
        works = Exists(access.worked_tickets(user).filter(pk=OuterRef("pk")))
        # The rule itself for the count, not the EXISTS of the rows: counted through a subquery per ticket,
        # PostgreSQL joined the desk's whole table on its key (500 ms at a million tickets).
        counts = bounded_counts({"total": tickets, "workable": access.worked_tickets(user, tickets)})
        self.total, self.workable = counts["total"], counts["workable"]
        self.rows = list(
            tickets.annotate(may_work=works)
            .only("pk", "number", "subject", "status", "created_at")
            .order_by("-created_at", "-number")[:size]
        )


class PageTicketsSidePanel(BaseSidePanel):
    """"Support tickets" in the page editor's side panels, with the number of open tickets on its toggle."""

    class SidePanelToggle(BaseSidePanel.SidePanelToggle):
        aria_label = _("Toggle support tickets")
        icon_name = "help"

        def get_context_data(self, parent_context):
            context = super().get_context_data(parent_context)
            total = self.panel.tickets.total
            # "1,000+" past the limit (Wagtail's counter shows it as it is).
            context["count"] = total.label() if total.capped else total
            return context

    name = "wagtail_support_tickets"
    title = _("Support tickets")
    template_name = "wagtail_support/admin/page_tickets_panel.html"
    order = 320  # after comments (300), before checks (350) and preview (400)

    class Media:
        css = {"all": ["wagtail_support/admin/page_tickets.css"]}

    def __init__(self, object, request):
        super().__init__(object, request)
        self.tickets = PageTickets(object, request.user)

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        tickets = self.tickets
        context.update(
            {
                "total": tickets.total,
                "workable": tickets.workable,
                "is_agent": tickets.is_agent,
                "rows": [
                    {"ticket": ticket, "url": ticket_url(ticket)} if ticket.may_work else {"ticket": None}
                    for ticket in tickets.rows
                ],
                # Past the limit, "And 995+ older tickets".
                "more": BoundedCount(tickets.total - len(tickets.rows) + 1, tickets.total - len(tickets.rows))
                if tickets.total.capped else max(tickets.total - len(tickets.rows), 0),
                "inbox_url": page_inbox_url(self.object.pk, self.request.user) if tickets.is_agent else None,
            }
        )
        return context


class PageTicketsEditViewMixin:
    """Adds the "Support tickets" side panel to a page edit view (not to the autosave's partial answers)."""

    def get_side_panels(self):
        side_panels = super().get_side_panels()
        if self.page.pk and not self.expects_json_response and not self.hydrate_create_view:
            side_panels.append(PageTicketsSidePanel(self.page, self.request))
        return side_panels


class PageTicketsEditView(PageTicketsEditViewMixin, EditView):
    pass


class SupportPageViewSet(PageViewSet):
    """Wagtail's default page views, with the "Support tickets" panel in the editor. Registered for ``Page``
    (after Wagtail's own ``base_page_viewset``, which it replaces), so it serves every page type that has no
    viewset of its own."""

    name = "wagtail_support_pages"
    model = Page
    edit_view_class = PageTicketsEditView


# The report -----------------------------------------------------------------------------------------------


def pages_with_open_tickets(user):
    """The pages that open tickets ``user`` works came from, each with ``open_tickets`` (their number) and
    ``newest_ticket`` (when the newest was opened), most tickets first. A ticket whose two pages are the same
    counts once."""
    tickets = access.worked_tickets(user).not_closed()
    of_page = tickets.filter(came_from_q(OuterRef("pk"))).order_by()
    count = of_page.annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("n")
    newest = of_page.annotate(n=Func(F("created_at"), function="MAX", output_field=DateTimeField())).values("n")
    pages = Page.objects.filter(
        Q(pk__in=tickets.filter(submitted_from__isnull=False).values("submitted_from_id"))
        | Q(pk__in=tickets.filter(came_from__isnull=False).values("came_from_id"))
    )
    return (
        pages.annotate(open_tickets=Subquery(count), newest_ticket=Subquery(newest))
        .only("pk", "title", "draft_title", "live", "url_path", "depth", "path", "content_type_id")
        .order_by("-open_tickets", "-newest_ticket", "pk")
    )


class InboxLinkColumn(Column):
    """The number of open tickets, linked to the inbox on them."""

    cell_template_name = "wagtail_support/admin/page_tickets_count_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["value"] = instance.open_tickets
        context["inbox_url"] = page_inbox_url(instance.pk, parent_context["request"].user)
        return context


class PagesWithOpenTicketsView(ReportView):
    """"Pages with open tickets" in Reports: agents only, counting the tickets the agent works (a supervisor:
    every ticket). Two queries of its own per page of results, whatever the number of pages and tickets: the
    paginator's count and the rows (each with its count and newest date as subqueries)."""

    page_title = _("Pages with open tickets")
    header_icon = "help"
    index_url_name = "wagtail_support_reports:pages_with_tickets"
    index_results_url_name = "wagtail_support_reports:pages_with_tickets_results"
    results_template_name = "wagtail_support/admin/page_tickets_report_results.html"
    permission_policy = ticket_policy
    permission_required = "work"
    paginate_by = 50
    model = Page
    list_export = ["id", "title", "open_tickets", "newest_ticket"]
    export_headings = {"id": _("Page ID"), "title": _("Page"), "open_tickets": _("Open tickets"),
                       "newest_ticket": _("Newest ticket")}

    @property
    def columns(self):
        return [
            TitleColumn("title", label=_("Page"), get_url=lambda page: page_edit_url(page),
                        accessor="get_admin_display_title"),
            InboxLinkColumn("open_tickets", label=_("Open tickets")),
            DateColumn("newest_ticket", label=_("Newest ticket")),
        ]

    def get_filename(self):
        return f"pages-with-open-tickets-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        return pages_with_open_tickets(self.request.user)


class PagesWithOpenTicketsMenuItem(MenuItem):
    def is_shown(self, request):
        return ticket_policy.user_has_permission(request.user, "work")


REPORT_NAMESPACE = "wagtail_support_reports"


def report_urls():
    """The report's URLs, for ``include`` (``wagtail_hooks`` puts them under ``/admin/support/reports/``)."""
    return (
        [
            path("pages/", PagesWithOpenTicketsView.as_view(), name="pages_with_tickets"),
            path("pages/results/", PagesWithOpenTicketsView.as_view(results_only=True), name="pages_with_tickets_results"),
        ],
        REPORT_NAMESPACE,
    )


def report_menu_item():
    return PagesWithOpenTicketsMenuItem(
        _("Pages with open tickets"),
        reverse(f"{REPORT_NAMESPACE}:pages_with_tickets"),
        name="wagtail-support-pages-with-tickets",
        icon_name="help",
        order=750,
    )
