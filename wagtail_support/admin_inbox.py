"""The agents' inbox, its bulk actions and the "Tickets assigned to my teams" panel of the admin home.

Everything here reads tickets through ``Ticket.objects.worked_by(user)`` (the rule lives in
``wagtail_support.access``) and changes them only through ``wagtail_support.workflow``, one ticket at a
time, so every change is checked and logged like the same change made from the ticket workspace.

The pieces follow Wagtail 8's own admin so they look and behave like the rest of it:

- ``InboxView`` is a ``BaseListingView`` (the base of Wagtail's generic index views): a ``Table`` of
  columns with sortable headers, a django-filter ``FilterSet`` shown in the slim header's filter
  drill-down with the "active filter" pills, the header search box, results refreshed in place through
  a results-only URL, and Wagtail's paginator.
- The bulk actions are Wagtail ``BulkAction`` views registered with the ``register_bulk_action`` hook:
  the checkboxes of the listing show Wagtail's bulk action footer; each button opens a confirmation
  page (``GET`` changes nothing) whose form ``POST``s the change.
- ``TicketsForMyTeamsPanel`` is a ``Component`` added by the ``construct_homepage_panels`` hook.

Each page runs a fixed number of queries whatever the number of tickets: rows come with their team and
assignee (``select_related``), the counts are one aggregate query, and the filter choices are one query
each.
"""

import re
from functools import cached_property, lru_cache

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, path, reverse
from django.utils import dateformat
from django.utils.formats import get_format
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.http import urlencode
from django.utils.html import avoid_wrapping
from django.utils.text import capfirst
from django.utils.timezone import template_localtime
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import (
    BulkActionsCheckboxColumn,
    Table,
    Column,
    DateColumn,
    StatusTagColumn,
    TitleColumn,
)
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.widgets.button import HeaderButton

import django_filters

from . import access, workflow
from .conf import support_settings
from .forms import QuickRadioSelect, QuickSelect
from .models import Category, Team, Ticket

#: Tickets per page of the inbox.
PAGE_SIZE = 50
#: Rows of the admin home panel.
PANEL_SIZE = 10
#: At most this many tickets are changed by one bulk action (a page holds 50).
MAX_BULK_TICKETS = 200
#: Listings count at most this many tickets ("More than 1,000 tickets", 20 pages of 50): counting every
#: ticket of a large desk on each page grows with its whole history (30 ms for 10,000 of 100,000 tickets
#: on a small machine), and beyond 20 pages an agent filters or searches.
COUNT_LIMIT = 1_000
#: A search longer than this is cut, and only its first words are used.
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 8

# Long texts a listing never shows, left in the database.
LISTING_DEFERRED = ("description", "solution")

TICKET_URL_NAME = "wagtail_support_ticket"
CREATE_URL_NAME = "wagtail_support_ticket_create"
INBOX_URL_NAME = "wagtail_support_inbox"
INBOX_RESULTS_URL_NAME = "wagtail_support_inbox_results"


# Links to the other agent views, resolved lazily ------------------------------------------------------


def _reverse_or_none(name, *args):
    # The workspace and "new ticket" views are registered by their own modules; until they exist the
    # inbox shows plain text instead of failing.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


_PK_PLACEHOLDER = 918273645


@lru_cache(maxsize=16)
def _ticket_url_pattern(script_prefix, urlconf):
    # reverse() through Wagtail's admin URLs costs about 0.2 ms; a listing needs one URL per row.
    url = _reverse_or_none(TICKET_URL_NAME, _PK_PLACEHOLDER)
    return url.replace(str(_PK_PLACEHOLDER), "{pk}") if url else None


def ticket_url(ticket):
    """The ticket's workspace in the admin, or ``None`` while that view is not installed."""
    pattern = _ticket_url_pattern(get_script_prefix(), get_urlconf())
    return pattern.format(pk=int(ticket.pk)) if pattern else None


def inbox_url(**params):
    url = reverse(INBOX_URL_NAME)
    return f"{url}?{urlencode(params)}" if params else url


def person_name(user):
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def ticket_age(ticket):
    """How long ago the ticket was opened, in its largest unit ("3 days")."""
    return timesince(ticket.created_at, depth=1)


# Whose tickets: one object per request -----------------------------------------------------------------


VIEW_MINE = "mine"
VIEW_TEAMS = "teams"
VIEW_UNASSIGNED = "unassigned"
VIEW_OPEN = "open"

VIEW_CHOICES = [
    (VIEW_MINE, _("Assigned to me")),
    (VIEW_TEAMS, _("My teams")),
    (VIEW_UNASSIGNED, _("Unassigned")),
    (VIEW_OPEN, _("All open")),
]


class AgentScope:
    """The tickets an agent works, and the one-click views of the inbox over them.

    Every queryset starts from ``Ticket.objects.worked_by(user)``: an agent gets the tickets of their
    teams and those assigned to them; a supervisor (``view_all_tickets``) gets every ticket.

    "My teams" is the work of the agent's own teams: tickets of a team they belong to, and tickets
    assigned to them. For an agent that is everything they work. A supervisor who belongs to teams
    gets their teams' tickets (not every team's, which is what "All open" is for); a supervisor who
    belongs to no team has no team of their own to narrow to, so "My teams" (and the admin home panel)
    shows every open ticket.
    """

    def __init__(self, user):
        self.user = user

    REQUEST_ATTRIBUTE = "_wagtail_support_scope"

    @classmethod
    def for_request(cls, request):
        # The view, its filters, its columns and the menu's count share one scope, so its queries run once
        # per request.
        scope = getattr(request, cls.REQUEST_ATTRIBUTE, None)
        if scope is None or scope.user is not request.user:
            scope = cls(request.user)
            setattr(request, cls.REQUEST_ATTRIBUTE, scope)
        return scope

    @cached_property
    def sees_all(self):
        return access.can_view_all(self.user)

    @cached_property
    def team_ids(self):
        return list(Team.objects.filter(members=self.user).values_list("pk", flat=True))

    def tickets(self):
        # The rule of ``Ticket.objects.worked_by``, given the teams this scope has read already.
        return access.filter_agent_tickets(Ticket.objects.all(), self.user, team_ids=self.team_ids)

    def my_teams_q(self):
        """The tickets of the user's own teams (see the class docstring); ``None`` means every ticket."""
        if self.sees_all and not self.team_ids:
            return None
        return Q(team_id__in=self.team_ids) | Q(assignee=self.user)

    def view_q(self, view):
        """The Q of a one-click view, or ``None`` for an unknown view (which is ignored)."""
        not_closed = ~Q(status=Ticket.Status.CLOSED)
        if view == VIEW_MINE:
            return not_closed & Q(assignee=self.user)
        if view == VIEW_UNASSIGNED:
            return not_closed & Q(assignee__isnull=True)
        if view == VIEW_OPEN:
            return not_closed
        if view == VIEW_TEAMS:
            teams = self.my_teams_q()
            return not_closed if teams is None else not_closed & teams
        return None

    @cached_property
    def counts(self):
        """Open tickets per one-click view, in one query: ``{"mine": 3, "teams": 12, ...}``."""
        teams = self.my_teams_q()
        return self.tickets().not_closed().aggregate(
            **{
                VIEW_MINE: Count("pk", filter=Q(assignee=self.user)),
                VIEW_TEAMS: Count("pk", filter=teams) if teams is not None else Count("pk"),
                VIEW_UNASSIGNED: Count("pk", filter=Q(assignee__isnull=True)),
                VIEW_OPEN: Count("pk"),
            }
        )

    def panel_tickets(self):
        """The not-closed tickets of "My teams", newest activity first, ready for a listing."""
        queryset = self.tickets().filter(self.view_q(VIEW_TEAMS))
        return queryset.select_related("team", "assignee").defer(*LISTING_DEFERRED).order_by("-updated_at", "-number")

    def agents(self):
        """The agents this user can pick as an assignee (in a filter or a bulk assign).

        A supervisor gets every agent; an agent gets the agents of their own teams. The workflow still
        checks, ticket by ticket, that the assignee may work that ticket's team.
        """
        queryset = access.agents()
        if not self.sees_all:
            # A UNION, not an OR with the user's own id, which made PostgreSQL read every account.
            members = Team.members.through.objects.filter(team_id__in=self.team_ids).values("user_id")
            me = get_user_model()._default_manager.filter(pk=self.user.pk).values("pk")
            queryset = queryset.filter(pk__in=members.union(me))
        return queryset.order_by("first_name", "last_name", get_user_model().USERNAME_FIELD)

    def teams(self):
        """The teams offered in the team filter: every team for a supervisor, else the user's own."""
        if self.sees_all:
            return Team.objects.all()
        assigned_teams = Ticket.objects.filter(assignee=self.user).values("team_id")
        return Team.objects.filter(Q(pk__in=self.team_ids) | Q(pk__in=assigned_teams))


# Filters --------------------------------------------------------------------------------------------------


def _category_tree():
    """All service catalog entries in one query: ``(choices, children)``.

    ``choices`` are ``(pk, "Parent › Child")`` in tree order; ``children`` maps a pk to its children's pks.
    """
    rows = list(Category.objects.order_by("sort_order", "name").values_list("pk", "name", "parent_id"))
    by_parent = {}
    for pk, name, parent_id in rows:
        by_parent.setdefault(parent_id, []).append((pk, name))
    choices, children = [], {}

    def walk(parent_id, prefix, seen):
        for pk, name in by_parent.get(parent_id, []):
            if pk in seen:  # a cycle saved by hand
                continue
            children[parent_id] = children.get(parent_id, []) + [pk]
            label = f"{prefix} › {name}" if prefix else name
            choices.append((str(pk), label))
            walk(pk, label, seen | {pk})

    walk(None, "", frozenset())
    return choices, children


def _descendants(pk, children):
    found, todo = [], [pk]
    while todo:
        node = todo.pop()
        if node in found:
            continue
        found.append(node)
        todo.extend(children.get(node, []))
    return found


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

    view = django_filters.ChoiceFilter(
        label=_("View"),
        choices=VIEW_CHOICES,
        method="filter_view",
        widget=QuickRadioSelect,
        empty_label=_("All"),
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
    created = BoundedDateFromToRangeFilter(
        label=_("Created"), field_name="created_at", widget=DateRangePickerWidget
    )
    requester = django_filters.CharFilter(label=_("Requester or beneficiary email"), method="filter_requester")

    NO_TEAM = "none"
    ME = "me"
    NOBODY = "nobody"

    class Meta:
        model = Ticket
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.scope = AgentScope.for_request(request)
        user = request.user
        self.filters["team"].extra["choices"] = [(self.NO_TEAM, _("No team"))] + [
            (str(team.pk), team.name) for team in self.scope.teams()
        ]
        self.filters["assignee"].extra["choices"] = [
            (self.ME, _("Me")),
            (self.NOBODY, _("Nobody (unassigned)")),
        ] + [(str(agent.pk), person_name(agent)) for agent in self.scope.agents() if agent.pk != user.pk]
        self.category_choices, self.category_children = _category_tree()
        self.filters["category"].extra["choices"] = self.category_choices

    def filter_view(self, queryset, name, value):
        q = self.scope.view_q(value)
        return queryset if q is None else queryset.filter(q)

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
        return queryset.filter(category_id__in=_descendants(int(value), self.category_children))

    def filter_requester(self, queryset, name, value):
        # "Other tickets" of a person: as requester or as beneficiary. The workflow stores addresses in
        # lower case, so an exact match on the lowered address is case-insensitive and both indexes
        # (requester_email, beneficiary_email) serve it.
        email = value.strip().lower()
        if not email:
            return queryset
        return queryset.filter(Q(requester_email=email) | Q(beneficiary_email=email))


# Sorting --------------------------------------------------------------------------------------------------


PRIORITY_ORDER = [Ticket.Priority.URGENT, Ticket.Priority.HIGH, Ticket.Priority.NORMAL, Ticket.Priority.LOW]
STATUS_ORDER = [Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.CLOSED]


def _rank(field, values):
    return Case(
        *[When(**{field: value}, then=Value(rank)) for rank, value in enumerate(values)],
        default=Value(len(values)),
        output_field=IntegerField(),
    )


# Sort key -> (annotations, fields in ascending order). "priority" puts urgent first and "status" follows
# the lifecycle (open, pending, closed); "-key" reverses. Anything else in ?ordering= is ignored.
ORDERINGS = {
    "reference": ({}, ["number"]),
    "subject": ({"subject_sort": Lower("subject")}, ["subject_sort"]),
    "priority": ({"priority_rank": _rank("priority", PRIORITY_ORDER)}, ["priority_rank"]),
    "status": ({"status_rank": _rank("status", STATUS_ORDER)}, ["status_rank"]),
    "updated_at": ({}, ["updated_at"]),
    "created_at": ({}, ["created_at"]),
    "assignee": ({}, ["assignee__first_name", "assignee__last_name", "assignee__username"]),
}
ORDERING_ALIASES = {"number": "reference", "updated": "updated_at", "created": "created_at"}
DEFAULT_ORDERING = "-updated_at"


def order_tickets(queryset, ordering):
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    annotations, fields = ORDERINGS[key]
    if annotations:
        queryset = queryset.annotate(**annotations)
    if key == "assignee":
        # Unassigned tickets sort before everyone in ascending order, after everyone in descending order,
        # on every database.
        order_by = [
            F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_first=True) for field in fields
        ]
    else:
        # Columns that are never null: a plain order, which the (-updated_at, -number) and
        # (-created_at, -number) indexes serve read forwards or backwards.
        order_by = [F(field).desc() if descending else F(field).asc() for field in fields]
    if fields != ["number"]:
        # A stable order, so a ticket never shows on two pages, in the same direction as the sort.
        order_by.append(F("number").desc() if descending else F("number").asc())
    return queryset.order_by(*order_by)


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


# Columns --------------------------------------------------------------------------------------------------


# Each cell is rendered in Python with the markup of Wagtail's own cell templates: a page of 50 tickets has
# 500 cells, and rendering a template for each one took about 100 ms of the inbox's time.


def _td(column, inner, extra_class=""):
    classes = " ".join(name for name in (column.classname, extra_class) if name)
    if classes:
        return format_html('<td class="{}">{}</td>', classes, inner)
    return format_html("<td>{}</td>", inner)


def status_tag(label, classname=""):
    """Wagtail's ``{% status %}`` tag (``wagtailadmin/shared/status_tag.html``), without a link."""
    return format_html('<span class="{}">{}</span>', f"w-status {classname}".strip(), label)


@lru_cache(maxsize=64)
def _labels(choices, language):
    """A choice field's labels, translated once per language instead of once per cell."""
    return {value: str(label) for value, label in choices.choices}


def label_of(choices, value):
    return _labels(choices, get_language()).get(value, value)


def _date_and_iso(value):
    value = template_localtime(value)
    return dateformat.format(value, get_format("DATETIME_FORMAT")), value.isoformat()


def time_ago(value):
    """Wagtail's ``timesince_simple`` ("19 hours ago", "just now"), computing only the largest unit."""
    period = timesince(value, depth=1)
    if period == avoid_wrapping(gettext("0 minutes")):
        return gettext("just now")
    return gettext("%(time_period)s ago") % {"time_period": period}


def human_readable_date(value, text=None):
    """Wagtail's ``{% human_readable_date %}``: ``text`` ("3 days ago" by default), the exact date in a
    tooltip."""
    tooltip, iso = _date_and_iso(value)
    return format_html(
        '<button type="button" class="w-human-readable-date" data-controller="w-tooltip" '
        'data-w-tooltip-content-value="{}" data-w-tooltip-placement-value="top">'
        '<time class="w-human-readable-date__date" datetime="{}">{}</time></button>',
        tooltip,
        iso,
        capfirst(time_ago(value)) if text is None else text,
    )


class PythonCellMixin:
    """Renders the cell with ``cell_html(instance)`` instead of a template."""

    def render_cell_html(self, instance, parent_context):
        return self.cell_html(instance)


class TextColumn(PythonCellMixin, Column):
    def cell_html(self, instance):
        value = self.get_value(instance)
        return _td(self, "" if value is None else value)


class CheckboxColumn(PythonCellMixin, BulkActionsCheckboxColumn):
    def cell_html(self, instance):
        return format_html(
            '<td class="bulk-action-checkbox-cell"><input type="checkbox" data-object-id="{}" '
            'data-bulk-action-checkbox class="bulk-action-checkbox" aria-label="{}" aria-describedby="{}"/></td>',
            instance.pk,
            gettext("Select"),
            self.get_aria_describedby(instance),
        )


class ReferenceColumn(PythonCellMixin, TitleColumn):
    """The reference ("#1042"), linking to the ticket's workspace."""

    def __init__(self, **kwargs):
        super().__init__(
            "reference",
            label=_("Reference"),
            sort_key="reference",
            get_url=ticket_url,
            get_title_id=lambda ticket: f"ticket_{ticket.pk}_title",
            width="9%",
            **kwargs,
        )

    def cell_html(self, ticket):
        title = format_html('<span id="ticket_{}_title">{}</span>', ticket.pk, ticket.reference)
        url = ticket_url(ticket)
        if url:
            title = format_html('<a href="{}" title="{}">{}</a>', url, gettext("Open this ticket"), title)
        return _td(self, format_html('<div class="title-wrapper">{}</div>', title), "title")


class RequesterColumn(PythonCellMixin, Column):
    def __init__(self, **kwargs):
        super().__init__("requester", label=_("Requester"), accessor="requester_display", **kwargs)

    def cell_html(self, ticket):
        name = ticket.requester_display
        if ticket.requester_email and ticket.requester_email != name:
            return _td(self, format_html('{}<div class="w-help-text ws-inbox-email">{}</div>', name, ticket.requester_email))
        return _td(self, name)


class PriorityColumn(PythonCellMixin, Column):
    def __init__(self, **kwargs):
        super().__init__(
            "priority", label=_("Priority"), accessor="get_priority_display", sort_key="priority", **kwargs
        )

    def cell_html(self, ticket):
        label = label_of(Ticket.Priority, ticket.priority)
        if ticket.priority == Ticket.Priority.URGENT:
            return _td(self, status_tag(label, "w-status--primary ws-priority ws-priority--urgent"))
        if ticket.priority == Ticket.Priority.HIGH:
            return _td(self, status_tag(label, "ws-priority ws-priority--high"))
        return _td(self, format_html('<span class="ws-priority ws-priority--{}">{}</span>', ticket.priority, label))


class StatusColumn(PythonCellMixin, StatusTagColumn):
    def __init__(self, **kwargs):
        super().__init__(
            "status",
            label=_("Status"),
            accessor="get_status_display",
            sort_key="status",
            primary=lambda t: t.status == Ticket.Status.OPEN,
            **kwargs,
        )

    def cell_html(self, ticket):
        primary = "w-status--primary" if ticket.status == Ticket.Status.OPEN else ""
        return _td(self, status_tag(label_of(Ticket.Status, ticket.status), primary))


class AssigneeColumn(PythonCellMixin, Column):
    def __init__(self, **kwargs):
        super().__init__(
            "assignee", label=_("Assignee"), accessor=lambda t: person_name(t.assignee), sort_key="assignee", **kwargs
        )

    def cell_html(self, ticket):
        name = person_name(ticket.assignee)
        return _td(self, name or format_html('<span class="w-help-text">{}</span>', gettext("Unassigned")))


class UpdatedColumn(PythonCellMixin, DateColumn):
    def cell_html(self, ticket):
        return _td(self, human_readable_date(ticket.updated_at) if ticket.updated_at else "")


class AgeColumn(PythonCellMixin, Column):
    """How long ago the ticket was opened ("3 days"), the exact date in a tooltip."""

    def __init__(self, **kwargs):
        super().__init__("age", label=_("Age"), accessor=ticket_age, sort_key="created_at", **kwargs)

    def cell_html(self, ticket):
        return _td(self, human_readable_date(ticket.created_at, ticket_age(ticket)))


class PythonRowsTable(Table):
    """Wagtail's ``Table``, its body rendered in Python: one call per row instead of a template per cell.

    Every column must be a ``PythonCellMixin`` one (the inbox's are).
    """

    template_name = "wagtail_support/admin/python_rows_table.html"

    def body_html(self):
        columns = list(self.columns.values())
        rows = []
        for instance in self.data:
            attrs = flatatt(self.get_row_attrs(instance))
            cells = "".join(column.cell_html(instance) for column in columns)
            rows.append(f"<tr{attrs}>{cells}</tr>")
        return mark_safe("".join(rows))


def ticket_columns(*, sortable=True, checkboxes=True):
    columns = [
        ReferenceColumn(),
        TextColumn("subject", label=_("Subject"), sort_key="subject"),
        RequesterColumn(),
        TextColumn("team", label=_("Team"), accessor=lambda t: t.team.name if t.team_id else ""),
        PriorityColumn(),
        StatusColumn(),
        AssigneeColumn(),
        UpdatedColumn("updated_at", label=_("Updated"), sort_key="updated_at", classname="ws-nowrap"),
        AgeColumn(classname="ws-nowrap"),
    ]
    if checkboxes:
        columns.insert(0, CheckboxColumn("bulk_actions", obj_type="ticket"))
    if not sortable:
        for column in columns:
            column.sort_key = None
    return columns


# The inbox ------------------------------------------------------------------------------------------------


class AgentRequiredMixin:
    """Agents only: anyone else is refused (Wagtail's admin turns this into its "no permission" page)."""

    def dispatch(self, request, *args, **kwargs):
        if not access.is_agent(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


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


class InboxView(AgentRequiredMixin, BaseListingView):
    """The tickets an agent works: paged, sortable, filtered, searchable, with bulk actions."""

    template_name = "wagtail_support/admin/inbox.html"
    results_template_name = "wagtail_support/admin/inbox_results.html"
    page_title = _("Inbox")
    header_icon = "tasks"
    paginate_by = PAGE_SIZE
    paginator_class = CappedPaginator
    index_url_name = INBOX_URL_NAME
    index_results_url_name = INBOX_RESULTS_URL_NAME
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
        return ticket_columns()

    def get_search_form(self):
        placeholder = gettext("Search by reference, subject or requester…")
        if self.search_kwarg in self.request.GET:
            return SearchForm(self.request.GET, placeholder=placeholder)
        return SearchForm(placeholder=placeholder)

    def search_queryset(self, queryset):
        return search_tickets(queryset, self.search_query)

    @cached_property
    def filters(self):
        """The filter set, without the filters whose values are invalid: each one is ignored alone."""
        filterset = self.filterset_class(**self.get_filterset_kwargs())
        if not filterset.is_valid():
            data = self.request.GET.copy()
            for name in filterset.form.errors:
                for key in list(data):
                    if key == name or key.startswith(f"{name}_"):
                        del data[key]
            filterset = self.filterset_class(data=data, request=self.request)
            if not filterset.is_valid():
                filterset = self.filterset_class(data=None, request=self.request)
        return filterset

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

    def get_base_queryset(self):
        return self.scope.tickets().select_related("team", "assignee").defer(*LISTING_DEFERRED)

    def get_header_buttons(self):
        buttons = []
        create_url = _reverse_or_none(CREATE_URL_NAME)
        if create_url:
            buttons.append(HeaderButton(gettext("New ticket"), url=create_url, icon_name="plus"))
        return buttons

    @cached_property
    def current_view(self):
        filters = self.filters
        if filters is not None and filters.is_valid():
            return filters.form.cleaned_data.get("view") or ""
        return ""

    def view_links(self):
        """The one-click views above the listing, with their counts."""
        counts = self.scope.counts
        return [
            {
                "value": value,
                "label": label,
                "count": counts[value],
                "url": inbox_url(view=value),
                "active": self.current_view == value,
            }
            for value, label in VIEW_CHOICES
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["view_links"] = self.view_links()
        paginator = context.get("paginator")
        context["count_capped"] = bool(getattr(paginator, "capped", False))
        context["count_limit"] = COUNT_LIMIT
        context["all_url"] = inbox_url()
        return context


# Bulk actions ---------------------------------------------------------------------------------------------


class TicketBulkAction(BulkAction):
    """A change made to each selected ticket through the workflow.

    The selected ids are read again through ``Ticket.objects.worked_by(user)``: an id the agent may not
    work (a forged one, another team's ticket) is skipped and only counted, never named. A
    ``WorkflowError`` on one ticket skips that ticket, with the workflow's own explanation, and the
    others go on. ``GET`` shows the confirmation page; only its ``POST`` changes anything.
    """

    models = [Ticket]
    template_name = "wagtail_support/admin/inbox_bulk_confirm.html"
    header_icon = "tasks"
    action_button_class = ""
    page_title = ""
    question = ""
    action_button_text = ""

    def __init__(self, request, model):
        super().__init__(request, model)
        if self.next_url == request.path:
            self.next_url = reverse(INBOX_URL_NAME)

    def dispatch(self, request, *args, **kwargs):
        if not access.is_agent(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def scope(self):
        return AgentScope.for_request(self.request)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if issubclass(self.form_class, TicketBulkForm):
            kwargs["scope"] = self.scope
        return kwargs

    @cached_property
    def selection(self):
        """``(tickets the user may work, number of selected ids skipped)``."""
        requested, garbage = [], 0
        for value in self.request.GET.getlist("id"):
            try:
                pk = int(value)
            except (TypeError, ValueError):
                garbage += 1
                continue
            if pk > 0 and pk not in requested:
                requested.append(pk)
        too_many = max(0, len(requested) - MAX_BULK_TICKETS)
        requested = requested[:MAX_BULK_TICKETS]
        tickets = list(
            self.scope.tickets().filter(pk__in=requested).select_related("team", "assignee").order_by("number")
        )
        return tickets, len(requested) - len(tickets) + garbage + too_many

    def get_actionable_objects(self):
        tickets, skipped = self.selection
        return tickets, {"items_with_no_access": [], "num_skipped": skipped}

    def object_context(self, obj):
        return {"item": obj, "url": ticket_url(obj)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "page_title": self.page_title,
                "header_icon": self.header_icon,
                "question": self.question,
                "action_button_text": self.action_button_text,
                "no_action_button_text": gettext("No, go back"),
                "action_button_class": self.action_button_class,
            }
        )
        return context

    def get_execution_context(self):
        return {"data": self.cleaned_form.cleaned_data}

    def apply(self, ticket, data):
        """Make the change to one ticket through the workflow."""
        raise NotImplementedError

    def changed_message(self, count, data):
        raise NotImplementedError

    def execute_action(self, objects, data=None, **kwargs):
        # Each workflow move runs in its own savepoint inside BulkAction's transaction, so a refused
        # move leaves nothing behind and the next ticket goes on.
        self.changed, self.unchanged, self.failed = [], [], []
        for ticket in objects:
            version = ticket.version
            try:
                self.apply(ticket, data)
            except workflow.WorkflowError as error:
                self.failed.append((ticket, error))
                continue
            (self.changed if ticket.version != version else self.unchanged).append(ticket)
        return len(self.changed), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return None  # reported by form_valid, with what was skipped

    def form_valid(self, form):
        response = super().form_valid(form)
        if hasattr(self, "changed"):
            self.report(form.cleaned_data)
        return response

    def report(self, data):
        """One message: what changed, what was already so, what was skipped and why."""
        _tickets, not_found = self.selection
        parts = []
        if self.changed:
            parts.append(self.changed_message(len(self.changed), data))
        if self.unchanged:
            parts.append(
                ngettext("%(count)d ticket unchanged", "%(count)d tickets unchanged", len(self.unchanged))
                % {"count": len(self.unchanged)}
            )
        skipped = len(self.failed) + not_found
        if skipped:
            reasons = [
                gettext("%(reference)s: %(error)s") % {"reference": ticket.reference, "error": error}
                for ticket, error in self.failed
            ]
            if not_found:
                reasons.append(
                    ngettext(
                        "%(count)d not found or not one you may work on.",
                        "%(count)d not found or not ones you may work on.",
                        not_found,
                    )
                    % {"count": not_found}
                )
            parts.append(
                ngettext("%(count)d skipped: %(reasons)s", "%(count)d skipped: %(reasons)s", skipped)
                % {"count": skipped, "reasons": " ".join(str(r) for r in reasons)}
            )
        if not parts:
            parts.append(gettext("No ticket was changed."))
        message = "; ".join(str(part) for part in parts)
        if skipped and not self.changed:
            messages.error(self.request, message)
        elif skipped:
            messages.warning(self.request, message)
        else:
            messages.success(self.request, message)


class TicketBulkForm(forms.Form):
    def __init__(self, *args, scope, **kwargs):
        self.scope = scope
        super().__init__(*args, **kwargs)


class AssignForm(TicketBulkForm):
    ME = "me"
    NOBODY = "nobody"

    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.scope.user
        self.agents = {str(agent.pk): agent for agent in self.scope.agents() if agent.pk != user.pk}
        self.fields["assignee"].choices = (
            [(self.ME, gettext("Me (%(name)s)") % {"name": person_name(user)})]
            + [(pk, person_name(agent)) for pk, agent in self.agents.items()]
            + [(self.NOBODY, gettext("Nobody (unassign)"))]
        )
        self.fields["assignee"].initial = self.ME

    def clean_assignee(self):
        value = self.cleaned_data["assignee"]
        if value == self.ME:
            return self.scope.user
        if value == self.NOBODY:
            return None
        return self.agents[value]


class TeamForm(TicketBulkForm):
    team = forms.ModelChoiceField(label=_("Move to team"), queryset=Team.objects.filter(is_active=True))


class PriorityForm(TicketBulkForm):
    priority = forms.ChoiceField(label=_("New priority"), choices=Ticket.Priority.choices)


class AssignBulkAction(TicketBulkAction):
    display_name = _("Assign")
    action_type = "assign"
    aria_label = _("Assign the selected tickets")
    action_priority = 10
    form_class = AssignForm
    page_title = _("Assign tickets")
    question = _("Assign these tickets?")
    action_button_text = _("Yes, assign")

    def apply(self, ticket, data):
        workflow.assign(ticket, to=data["assignee"], by=self.request.user)

    def changed_message(self, count, data):
        if data["assignee"] is None:
            return ngettext("%(count)d ticket unassigned", "%(count)d tickets unassigned", count) % {"count": count}
        return ngettext(
            "%(count)d ticket assigned to %(name)s", "%(count)d tickets assigned to %(name)s", count
        ) % {"count": count, "name": person_name(data["assignee"])}


class ChangeTeamBulkAction(TicketBulkAction):
    display_name = _("Change team")
    action_type = "change_team"
    aria_label = _("Move the selected tickets to another team")
    action_priority = 20
    form_class = TeamForm
    page_title = _("Change the team of tickets")
    question = _("Move these tickets to another team? An assignee who is not in that team is removed.")
    action_button_text = _("Yes, move")

    def apply(self, ticket, data):
        workflow.change_team(ticket, team=data["team"], by=self.request.user)

    def changed_message(self, count, data):
        return ngettext(
            "%(count)d ticket moved to team %(team)s", "%(count)d tickets moved to team %(team)s", count
        ) % {"count": count, "team": data["team"].name}


class ChangePriorityBulkAction(TicketBulkAction):
    display_name = _("Change priority")
    action_type = "change_priority"
    aria_label = _("Change the priority of the selected tickets")
    action_priority = 30
    form_class = PriorityForm
    page_title = _("Change the priority of tickets")
    question = _("Change the priority of these tickets?")
    action_button_text = _("Yes, change")

    def apply(self, ticket, data):
        workflow.change_details(ticket, priority=data["priority"], by=self.request.user)

    def changed_message(self, count, data):
        return ngettext(
            "%(count)d ticket set to priority %(priority)s",
            "%(count)d tickets set to priority %(priority)s",
            count,
        ) % {"count": count, "priority": Ticket.Priority(data["priority"]).label}


class AbandonBulkAction(TicketBulkAction):
    display_name = _("Abandon")
    action_type = "abandon"
    aria_label = _("Close the selected tickets with no follow-up")
    action_priority = 40
    classes = {"serious"}
    page_title = _("Abandon tickets")
    question = _(
        "Close these tickets as abandoned (no follow-up)? Their requesters are told that the ticket is "
        "closed. This is not “Cancel”: it cannot be undone except by reopening each ticket."
    )
    action_button_text = _("Yes, abandon")
    action_button_class = "serious"

    def apply(self, ticket, data):
        workflow.abandon(ticket, by=self.request.user)

    def changed_message(self, count, data):
        return ngettext(
            "%(count)d ticket abandoned (closed with no follow-up)",
            "%(count)d tickets abandoned (closed with no follow-up)",
            count,
        ) % {"count": count}


BULK_ACTIONS = [AssignBulkAction, ChangeTeamBulkAction, ChangePriorityBulkAction, AbandonBulkAction]


# The admin home panel -------------------------------------------------------------------------------------


class TicketsForMyTeamsPanel(Component):
    """"Tickets assigned to my teams" ("Les demandes affectées à mes équipes") on the admin home.

    Agents only. The not-closed tickets of the agent's teams and those assigned to them, newest activity
    first, ``PANEL_SIZE`` of them, each reference linking to its workspace; above them the counts
    (unassigned, mine, my teams), each linking to that view of the inbox. A supervisor sees their own
    teams' tickets, or every open ticket if they belong to no team (see ``AgentScope``). Three queries
    whatever the number of tickets: the user's teams, the counts, the rows.
    """

    name = "wagtail_support_my_teams"
    template_name = "wagtail_support/admin/home_panel.html"
    order = 100  # before Wagtail's own panels (moderation 210+, recent edits 250, locked pages 300)

    class Media:
        css = {"all": ["wagtail_support/admin/inbox.css"]}

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        scope = AgentScope.for_request(self.request)
        tickets = list(scope.panel_tickets()[:PANEL_SIZE])
        counts = scope.counts
        return {
            "request": self.request,
            "rows": [
                {
                    "ticket": ticket,
                    "url": ticket_url(ticket),
                    "assignee": person_name(ticket.assignee),
                    "age": ticket_age(ticket),
                }
                for ticket in tickets
            ],
            "counts": [
                {"count": counts[VIEW_UNASSIGNED], "label": _("Unassigned"), "icon": "warning",
                 "url": inbox_url(view=VIEW_UNASSIGNED)},
                {"count": counts[VIEW_MINE], "label": _("Assigned to me"), "icon": "user",
                 "url": inbox_url(view=VIEW_MINE)},
                {"count": counts[VIEW_TEAMS], "label": _("My teams"), "icon": "group",
                 "url": inbox_url(view=VIEW_TEAMS)},
            ],
            "total": counts[VIEW_TEAMS],
            "inbox_url": inbox_url(view=VIEW_TEAMS),
        }

    def render_html(self, parent_context=None):
        if not access.is_agent(self.request.user):
            return ""
        return super().render_html(parent_context)


# Registration ---------------------------------------------------------------------------------------------


def admin_urls():
    """URLs of the inbox; registered by ``wagtail_hooks``."""
    return [
        path("support/tickets/", InboxView.as_view(), name=INBOX_URL_NAME),
        path("support/tickets/results/", InboxView.as_view(results_only=True), name=INBOX_RESULTS_URL_NAME),
    ]


def add_tickets_panel(request, panels):
    """The "Tickets assigned to my teams" panel, for agents; registered by ``wagtail_hooks``."""
    if access.is_agent(request.user):
        panels.append(TicketsForMyTeamsPanel(request))
