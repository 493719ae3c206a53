"""The inbox's filters (Wagtail's filter drill-down), its sorts and its search."""

import re
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from ..conf import support_settings
from ..models import Category, Ticket, person_label
from ..site_config import site_labels
from ..widgets import QuickRadioSelect, QuickSelect
from .scope import DEFAULT_VIEW, VIEW_CHOICES, AgentScope, without_repeated_conditions

LATE = "late"
DUE_SOON = "soon"


def due_q(which, now=None):
    """The tickets late (``LATE``: due before now) or due within the hour (``DUE_SOON``). Says the ticket
    is not closed, so the partial indexes on ``next_due`` (``WHERE next_due IS NOT NULL AND status <>
    'closed'``) serve it."""
    now = now or timezone.now()
    open_q = Q(next_due__isnull=False) & ~Q(status=Ticket.Status.CLOSED)
    if which == LATE:
        return open_q & Q(next_due__lt=now)
    return open_q & Q(next_due__gte=now, next_due__lt=now + timedelta(hours=1))


#: A search longer than this is cut, and only its first words are used.
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 8


class BoundedDateRangeField(django_filters.fields.DateRangeField):
    """A date range whose years a database can store once converted to UTC (year 1 cannot)."""

    MIN_YEAR, MAX_YEAR = 1900, 9000

    def compress(self, data_list):
        for day in data_list or []:
            if day and not self.MIN_YEAR <= day.year <= self.MAX_YEAR:
                raise forms.ValidationError(gettext("Enter a date between the years 1900 and 9000."))
        return super().compress(data_list)


class BoundedDateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = BoundedDateRangeField


class TicketFilterSet(WagtailFilterSet):
    """The inbox filters, shown in the header's filter drill-down.

    Choices that depend on the user (teams, assignees) are filled in per request; a value that is not
    one of them is invalid, and the inbox then ignores that one filter (see ``InboxView.filters``).
    """

    # Always one of the views ("My teams" when the address names none, see ``InboxView``): its initial value is
    # the default, so the default view is no "active filter" and "All tickets" is a view like the others.
    view = django_filters.ChoiceFilter(
        label=_("View"),
        choices=VIEW_CHOICES,
        method="filter_view",
        widget=QuickRadioSelect,
        empty_label=None,
        initial=DEFAULT_VIEW,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Ticket.Status.choices, widget=QuickRadioSelect, empty_label=_("All")
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Ticket.Priority.choices, widget=QuickRadioSelect, empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=Ticket.Kind.choices, widget=QuickRadioSelect, empty_label=_("All")
    )
    team = django_filters.ChoiceFilter(
        label=_("Support team"), method="filter_team", empty_label=_("All"), widget=QuickSelect
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"), method="filter_assignee", empty_label=_("All"), widget=QuickSelect
    )
    category = django_filters.ChoiceFilter(
        label=_("Service catalog entry"), method="filter_category", empty_label=_("All"), widget=QuickSelect
    )
    service_level = django_filters.ChoiceFilter(
        label=_("Service level"),
        choices=[(LATE, _("Late")), (DUE_SOON, _("Due within the hour"))],
        method="filter_service_level",
        widget=QuickRadioSelect,
        empty_label=_("All"),
    )
    # The requester's rating of the latest closing; "Not rated": closed tickets without one.
    satisfaction = django_filters.ChoiceFilter(
        label=_("Satisfaction"),
        choices=[*Ticket.Satisfaction.choices, ("none", _("Not rated (closed)"))],
        method="filter_satisfaction",
        widget=QuickRadioSelect,
        empty_label=_("All"),
    )
    created = BoundedDateFromToRangeFilter(
        label=_("Created"), field_name="created_at", widget=DateRangePickerWidget
    )
    requester = django_filters.CharFilter(label=_("Requester or beneficiary email"), method="filter_requester")
    # The page a ticket came from (``page_tickets``: the page editor's panel and the report link here). Not
    # "page", which is the paginator's.
    from_page = django_filters.NumberFilter(
        label=_("Came from page (ID)"), method="filter_from_page", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    # Only where there is more than one Wagtail Site (removed in __init__ otherwise).
    site = django_filters.ChoiceFilter(label=_("Site"), method="filter_site", empty_label=_("All"), widget=QuickSelect)

    NO_TEAM = "none"
    ME = "me"
    NOBODY = "nobody"
    NOT_RATED = "none"

    class Meta:
        model = Ticket
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.scope = AgentScope.for_request(request)
        user = request.user
        self.filters["view"].extra["choices"] = self.scope.view_choices()
        self.filters["team"].extra["choices"] = [(self.NO_TEAM, _("No team"))] + [
            (str(team.pk), team.name) for team in self.scope.teams()
        ]
        self.filters["assignee"].extra["choices"] = [
            (self.ME, _("Me")),
            (self.NOBODY, _("Nobody (unassigned)")),
        ] + [(str(agent.pk), person_label(agent)) for agent in self.scope.agents() if agent.pk != user.pk]
        self.catalog = Category.objects.tree()
        self.filters["category"].extra["choices"] = [(str(pk), name) for pk, name in self.catalog.choices(self.catalog.entries)]
        self.site_labels = site_labels()
        if self.site_labels:
            self.filters["site"].extra["choices"] = [(str(pk), label) for pk, label in self.site_labels.items()]
        else:
            del self.filters["site"]

    def filter_view(self, queryset, name, value):
        # A view holds the tickets that are not closed, unless a status is chosen, a search typed or a person's
        # tickets asked for: then it holds them whatever their status ("My teams" + "Closed" is my teams' closed
        # tickets, a reference searched is found once its ticket is closed, and "Other tickets" of a requester
        # lists their history).
        cleaned = self.form.cleaned_data
        # A rating is a closed ticket's: asking for one holds closed tickets too.
        any_status = bool(cleaned.get("status") or cleaned.get("satisfaction") or (cleaned.get("requester") or "").strip())
        any_status = any_status or bool((self.data.get("q") or "").strip())
        q = self.scope.view_q(value, any_status=any_status)
        return queryset if q is None else queryset.filter(q)

    def filter_satisfaction(self, queryset, name, value):
        if value == self.NOT_RATED:
            return queryset.filter(status=Ticket.Status.CLOSED, satisfaction="")
        return queryset.filter(satisfaction=value)

    def filter_service_level(self, queryset, name, value):
        return queryset.filter(due_q(value))

    def filter_team(self, queryset, name, value):
        if value == self.NO_TEAM:
            return queryset.filter(team__isnull=True)
        return queryset.filter(team_id=int(value))

    def filter_assignee(self, queryset, name, value):
        if value == self.ME:
            return queryset.filter(assignee=self.request.user)
        if value == self.NOBODY:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_category(self, queryset, name, value):
        # An entry and everything under it: "Accounts" also finds "Accounts › Password".
        return queryset.filter(category_id__in=self.catalog.descendants(int(value)))

    def filter_site(self, queryset, name, value):
        # Within the tickets the view already holds: a site's tickets are still only those the agent works.
        return queryset.filter(site_id=int(value))

    def filter_requester(self, queryset, name, value):
        # "Other tickets" of a person: as requester or as beneficiary. The workflow stores addresses in
        # lower case, so an exact match on the lowered address is case-insensitive and both indexes
        # (requester_email, beneficiary_email) serve it.
        email = value.strip().lower()
        if not email:
            return queryset
        return queryset.filter(Q(requester_email=email) | Q(beneficiary_email=email))

    def filter_from_page(self, queryset, name, value):
        # Submitted from the page (its form) or came from it (read before the support page): the two
        # foreign key indexes serve it.
        page = int(value)
        return queryset.filter(Q(submitted_from_id=page) | Q(came_from_id=page))


# Sorting --------------------------------------------------------------------------------------------------


# Sort key -> (annotations, fields in ascending order). "priority" puts urgent first and "status" follows
# the lifecycle (open, pending, closed): both are ranks the database stores with the ticket
# (``Ticket.priority_rank``, ``Ticket.status_rank``), and "assignee" is the assignee's names stored with the
# ticket (``Ticket.assignee_sort``, "" for nobody: unassigned first ascending, last descending), so that an
# index of ``Ticket.Meta.indexes`` serves each sort, on the backlog and on the whole table. "-key" reverses.
# Anything else in ?ordering= is ignored.
ORDERINGS = {
    "reference": ({}, ["number"]),
    # The functional indexes ws_ticket_backlog_subject and ws_ticket_subject_sort are on LOWER(subject).
    "subject": ({"subject_sort": Lower("subject")}, ["subject_sort"]),
    "priority": ({}, ["priority_rank"]),
    "status": ({}, ["status_rank"]),
    "updated_at": ({}, ["updated_at"]),
    "created_at": ({}, ["created_at"]),
    "assignee": ({}, ["assignee_sort"]),
    # Longest waiting first; the tickets that wait for nobody after them, in either direction.
    "waiting": ({}, ["awaiting_agent_since"]),
    # "Due next": soonest first, of the tickets with something due (see ``order_tickets``).
    "due": ({}, ["next_due"]),
}
ORDERING_ALIASES = {"number": "reference", "updated": "updated_at", "created": "created_at"}
DEFAULT_ORDERING = "-updated_at"


def order_tickets(queryset, ordering):
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    annotations, fields = ORDERINGS[key]
    if annotations:
        queryset = queryset.annotate(**annotations)
    if key == "due":
        # Only the tickets with something due: the condition of the partial indexes ws_ticket_next_due
        # (next_due, number) and ws_ticket_team_next_due (team, next_due), so PostgreSQL reads the first
        # page from one of them instead of sorting every ticket of the view.
        queryset = queryset.filter(next_due__isnull=False).exclude(status=Ticket.Status.CLOSED)
    if key == "waiting":
        # Tickets that wait for nobody come last both ways (the ws_ticket_backlog_waiting index serves the
        # ascending order, NULLs last being PostgreSQL's default for it).
        order_by = [F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True) for field in fields]
    else:
        # Columns that are never null: a plain order, which the (key, number) indexes serve read forwards or
        # backwards.
        order_by = [F(field).desc() if descending else F(field).asc() for field in fields]
    if fields != ["number"]:
        # A stable order, so a ticket never shows on two pages, in the same direction as the sort.
        order_by.append(F("number").desc() if descending else F("number").asc())
    return without_repeated_conditions(queryset.order_by(*order_by))


# Search ---------------------------------------------------------------------------------------------------


#: A whole address: something@domain.tld, nothing around it.
ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def search_tickets(queryset, query):
    """Tickets matching ``query``: a reference ("#1042" or "1042"), or words of the subject, requester
    name or requester address.

    A reference typed with its prefix looks up the ticket number only (the unique index answers). A whole
    address ("ann@example.com") finds the tickets of that requester or beneficiary (the address indexes
    answer; a substring search of a common domain reads thousands of rows). Other words must each
    appear in one of the text fields (``icontains``, served by trigram indexes on PostgreSQL).
    """
    query = (query or "").strip()[:MAX_SEARCH_LENGTH]
    if not query:
        return queryset
    prefix = support_settings.REFERENCE_PREFIX or ""
    reference = re.fullmatch(r"(%s)?\s*(\d{1,18})" % re.escape(prefix), query) if prefix else None
    if reference is None:
        reference = re.fullmatch(r"()(\d{1,18})", query)
    if reference is not None and reference.group(1):
        return queryset.filter(number=int(reference.group(2)))
    if ADDRESS.fullmatch(query):
        email = query.lower()
        return queryset.filter(Q(requester_email=email) | Q(beneficiary_email=email))
    words = query.split()[:MAX_SEARCH_WORDS]
    condition = Q()
    for word in words:
        condition &= (
            Q(subject__icontains=word) | Q(requester_name__icontains=word) | Q(requester_email__icontains=word)
        )
    if reference is not None:
        condition |= Q(number=int(reference.group(2)))
    return queryset.filter(condition)
