"""Whose tickets: the tickets an agent works and the one-click views of the inbox over them, computed
once per request and shared by the inbox, its filters, the admin home panel and the menu's count."""

from datetime import timedelta
from functools import cached_property

from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import access
from ..access import ticket_policy
from ..models import Team, Ticket

# Long texts a listing never shows, left in the database.
LISTING_DEFERRED = ("description", "solution")

VIEW_MINE = "mine"
VIEW_TEAMS = "teams"
VIEW_UNASSIGNED = "unassigned"
VIEW_WAITING = "waiting"
VIEW_OPEN = "open"
VIEW_ALL = "all"

#: The inbox opens on it: the work of the agent's teams that is not closed.
DEFAULT_VIEW = VIEW_TEAMS

# The one-click views. Each but "All tickets" is of the tickets that are not closed (open and pending), and its
# count in the inbox is the number of tickets its listing shows.
VIEW_CHOICES = [
    (VIEW_TEAMS, _("My teams")),
    (VIEW_MINE, _("Assigned to me")),
    (VIEW_UNASSIGNED, _("Unassigned")),
    (VIEW_WAITING, _("Waiting for us")),
    (VIEW_OPEN, _("Every team")),
    (VIEW_ALL, _("All tickets, closed included")),
]
#: Views with a count (every one but "All tickets": counting a desk's whole history on each page grows with it).
#: The service level counts of ``AgentScope.counts`` (of "My teams"): late, due within the hour.
COUNT_LATE = "late"
COUNT_DUE_SOON = "due_soon"
COUNTED_VIEWS = [VIEW_TEAMS, VIEW_MINE, VIEW_UNASSIGNED, VIEW_WAITING, VIEW_OPEN]

#: Counts and listings stop at this many tickets ("1,000+"; the inbox's paginator says "More than 1,000
#: tickets", 20 pages of 50): an exact count reads every ticket it counts, so on a desk of a million tickets
#: with 200,000 not closed, the counts of the views, the admin home and the menu took 300 ms a page. A
#: bounded count reads at most this many index entries, whatever the size of the desk; beyond it an agent
#: filters or searches.
COUNT_LIMIT = 1_000


class BoundedCount(int):
    """A number of tickets counted up to ``COUNT_LIMIT``: ``capped`` when there are more, shown "1,000+"."""

    capped = False

    def __new__(cls, found, limit=None):
        limit = COUNT_LIMIT if limit is None else limit
        number = super().__new__(cls, min(found, limit))
        number.capped = found > limit
        return number

    def label(self):
        """The count as people read it: "1,234", or "1,000+" past the limit."""
        if self.capped:
            return gettext("%(count)s+") % {"count": intcomma(int(self))}
        return intcomma(int(self))

    def __str__(self):
        return self.label()


def without_repeated_conditions(queryset):
    """``queryset`` without the conditions its WHERE says twice (the scope, a view, a filter and a sort each
    add theirs: "not closed" three times, "my teams" twice). Repeated, they are the same rows, but PostgreSQL
    multiplies their selectivities: at a million tickets it expected 2 late tickets of 41,815 and sorted them
    all instead of reading the first page of the "due" index (143 ms against 0.6)."""
    where = queryset.query.where
    if where.negated or where.connector != "AND":
        return queryset

    def conditions(node):
        # The conditions of an AND, those of the ANDs inside it (a Q of several conditions) included.
        for child in node.children:
            if getattr(child, "connector", None) == "AND" and not child.negated and hasattr(child, "children"):
                yield from conditions(child)
            else:
                yield child

    found = list(conditions(where))
    kept = []
    for child in found:
        if not any(child == other for other in kept):
            kept.append(child)
    if len(kept) == len(found):
        return queryset
    queryset = queryset.all()
    queryset.query.where.children = kept
    return queryset


def bounded_counts(querysets, limit=None):
    """``{key: BoundedCount}`` for ``{key: queryset}`` (all on one database), in one query: each a ``COUNT``
    over at most ``limit + 1`` of its rows, read from an index when one serves its filter."""
    limit = COUNT_LIMIT if limit is None else limit
    if not querysets:
        return {}
    parts, params, using, counted = [], [], None, []
    for index, (key, queryset) in enumerate(querysets.items()):
        try:
            capped = without_repeated_conditions(queryset.order_by().values("pk")[: limit + 1])
            sql, values = capped.query.sql_with_params()
        except EmptyResultSet:  # ``none()``, or a filter on an empty list: nothing to count
            continue
        using = using or queryset.db
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) ws_count_{index})")
        params.extend(values)
        counted.append(key)
    found = dict.fromkeys(querysets, 0)
    if parts:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            found.update(zip(counted, cursor.fetchone()))
    return {key: BoundedCount(number, limit) for key, number in found.items()}


class AgentScope:
    """The tickets an agent works, and the one-click views of the inbox over them.

    Every queryset starts from ``access.worked_tickets(user)``: an agent gets the tickets of their
    teams and those assigned to them; a supervisor (``view_all_tickets``) gets every ticket.

    "My teams" (the inbox's default) is the work of the agent's own teams: tickets of a team they belong
    to, and tickets assigned to them. For an agent that is everything they work, so only a supervisor is
    offered "Every team". A supervisor who belongs to teams gets their teams' tickets; a supervisor who
    belongs to no team has no team of their own to narrow to, so "My teams" (and the admin home panel)
    shows every ticket that is not closed. An agent of no team gets what is assigned to them.

    "Waiting for us" is "My teams" where the requester's side wrote last (``awaiting_agent_since``).
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
        return ticket_policy.user_has_permission(self.user, "view_all")

    @cached_property
    def team_ids(self):
        return list(Team.objects.filter(members=self.user).values_list("pk", flat=True))

    def tickets(self, view=None):
        """The tickets the user works (the rule of ``access.worked_tickets``, given the teams this scope has
        read already); for the view "Assigned to me", those assigned to them alone (all of which they work),
        which PostgreSQL reads from the assignee's index."""
        if view == VIEW_MINE:
            return access.assigned_worked_tickets(self.user)
        return access.worked_tickets(self.user, team_ids=self.team_ids)

    def my_teams_q(self):
        """The tickets of the user's own teams (see the class docstring); ``None`` means every ticket."""
        if self.sees_all and not self.team_ids:
            return None
        return Q(team_id__in=self.team_ids) | Q(assignee=self.user)

    def view_choices(self):
        """The views this user is offered: "Every team" only to those who see every team."""
        return [(value, label) for value, label in VIEW_CHOICES if value != VIEW_OPEN or self.sees_all]

    def whose_q(self, view):
        """Whose tickets a view holds, whatever their status: a Q, ``Q()`` for all, ``None`` if unknown."""
        if view == VIEW_MINE:
            return Q(assignee=self.user)
        if view == VIEW_UNASSIGNED:
            return Q(assignee__isnull=True)
        if view in (VIEW_OPEN, VIEW_ALL):
            return Q()
        if view in (VIEW_TEAMS, VIEW_WAITING):
            teams = self.my_teams_q()
            teams = Q() if teams is None else teams
            return teams & Q(awaiting_agent_since__isnull=False) if view == VIEW_WAITING else teams
        return None

    def view_q(self, view, *, any_status=False):
        """The Q of a one-click view, or ``None`` for an unknown view (which is ignored).

        Every view but "All tickets" holds the tickets that are not closed; with ``any_status`` (the inbox
        passes it when a status is chosen or a search typed) it holds them whatever their status, except
        "Waiting for us", which a closed ticket never is.
        """
        whose = self.whose_q(view)
        if whose is None or view == VIEW_ALL or (any_status and view != VIEW_WAITING):
            return whose
        return whose & ~Q(status=Ticket.Status.CLOSED)

    @cached_property
    def counts(self):
        """Tickets that are not closed per one-click view, in one query, each counted up to ``COUNT_LIMIT``
        (``BoundedCount``): ``{"mine": 3, "teams": 12, ...}``, with the late ones (``COUNT_LATE``) and those
        due within the hour (``COUNT_DUE_SOON``) of "My teams"."""
        teams = self.my_teams_q()
        waiting = Q(awaiting_agent_since__isnull=False)
        now = timezone.now()
        # The home panel's service level counts, of "My teams": late, and due within the hour.
        late = Q(next_due__lt=now)
        soon = Q(next_due__gte=now, next_due__lt=now + timedelta(hours=1))
        backlog = self.tickets().not_closed()

        def of_teams(q):
            return q & teams if teams is not None else q

        return bounded_counts({
            COUNT_LATE: backlog.filter(of_teams(late)),
            COUNT_DUE_SOON: backlog.filter(of_teams(soon)),
            VIEW_MINE: self.tickets(VIEW_MINE).not_closed(),
            VIEW_TEAMS: backlog.filter(teams) if teams is not None else backlog,
            VIEW_UNASSIGNED: access.unassigned_worked_tickets(
                self.user, Ticket.objects.not_closed(), team_ids=self.team_ids
            ),
            VIEW_WAITING: backlog.filter(of_teams(waiting)),
            VIEW_OPEN: backlog,
        })

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


UNASSIGNED_ATTRIBUTE = "_wagtail_support_unassigned"


def unassigned_count(request):
    """The unassigned, not closed tickets ``request.user`` works, up to ``COUNT_LIMIT`` (the Support menu's
    counts; a ``BoundedCount``).

    At most one query per request, shared by the "Support" item and its "Inbox" item; none on the inbox and
    the admin home, which have counted it with the other counts of their views.
    """
    scope = getattr(request, AgentScope.REQUEST_ATTRIBUTE, None)
    if scope is not None and scope.user is request.user and "counts" in scope.__dict__:
        return scope.counts[VIEW_UNASSIGNED]
    counted = getattr(request, UNASSIGNED_ATTRIBUTE, None)
    if counted is None or counted[0] is not request.user:
        unassigned = access.unassigned_worked_tickets(request.user, Ticket.objects.not_closed())
        number = bounded_counts({VIEW_UNASSIGNED: unassigned})[VIEW_UNASSIGNED]
        counted = (request.user, number)
        setattr(request, UNASSIGNED_ATTRIBUTE, counted)
    return counted[1]
