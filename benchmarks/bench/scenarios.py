"""The benchmark's scenarios: each a real request through Django's whole stack, and its SQL floor.

A scenario's *floor* is the smallest hand-written SQL that fetches what the page shows: its rows and the
counts on it (for the inbox: the page of rows, the total for the paginator and the counts of the
one-click views). The page's *SQL time* is the time of every query it ran, sessions and permissions
included. Both are medians over the same number of runs.
"""

import datetime
import itertools
import time
from email.message import EmailMessage

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from wagtail_support import access, inbound, presence
from wagtail_support.admin.inbox import COUNT_LIMIT, PAGE_SIZE
from wagtail_support.admin.page_tickets import PANEL_SIZE as PAGE_PANEL_SIZE
from wagtail_support.admin.page_tickets import pages_with_open_tickets
from wagtail_support.admin.panels import PANEL_SIZE
from wagtail_support.conf import support_settings
from wagtail_support.links import support_page_models
from wagtail_support.models import Team, Ticket

from . import generate, measure, report_scenarios
from . import faq_scenarios, sort_scenarios

LISTING_COLUMNS = """t.id, t.number, t.subject, t.requester_name, t.requester_email, t.priority, t.status,
    t.updated_at, t.created_at, tm.name, u.first_name, u.last_name, u.username"""
LISTING_FROM = """wagtail_support_ticket t
    LEFT JOIN wagtail_support_team tm ON tm.id = t.team_id
    LEFT JOIN auth_user u ON u.id = t.assignee_id"""
# Active accounts holding the agent permission through a group.
AGENTS_SQL = """SELECT u.id, u.first_name, u.last_name, u.username FROM auth_user u WHERE u.is_active
    AND u.id IN (SELECT ug.user_id FROM auth_user_groups ug JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
    JOIN auth_permission p ON p.id = gp.permission_id WHERE p.codename = 'work_on_tickets') {scope}
    ORDER BY u.first_name, u.last_name, u.username"""
# The messages a ticket page shows: the first and the newest ``latest``.
WINDOW_SQL = """(SELECT * FROM wagtail_support_message WHERE ticket_id = %(ticket)s {visibility}
    ORDER BY created_at, id LIMIT 1)
    UNION (SELECT * FROM wagtail_support_message WHERE ticket_id = %(ticket)s {visibility}
    ORDER BY created_at DESC, id DESC LIMIT %(latest)s)"""
def _bounded(where):
    return (f"(SELECT count(*) FROM (SELECT 1 FROM wagtail_support_ticket WHERE status <> 'closed' {{scope}} "
            f"AND {where} LIMIT {COUNT_LIMIT + 1}) c)")


# The one-click views' counts, the home panel's and the menu's: each counted up to COUNT_LIMIT (admin.scope).
OPEN_VIEW_COUNTS = "SELECT " + ", ".join(_bounded(where) for where in (
    "assignee_id = %(me)s",
    "(team_id = ANY(%(teams)s) OR assignee_id = %(me)s)",
    "assignee_id IS NULL",
    "awaiting_agent_since IS NOT NULL AND (team_id = ANY(%(teams)s) OR assignee_id = %(me)s)",
    "TRUE",
    "next_due < %(now)s AND (team_id = ANY(%(teams)s) OR assignee_id = %(me)s)",
    "next_due >= %(now)s AND next_due < %(now)s + interval '1 hour' AND (team_id = ANY(%(teams)s) "
    "OR assignee_id = %(me)s)",
))
#: The exports take the newest tickets of their view up to about this many rows (``Bench.export``).
EXPORT_ROWS_CSV = 100_000
EXPORT_ROWS = 10_000


def newest_days(tickets, rows):
    """The first day of the newest ``rows`` of ``tickets`` (a "Created from" date in the site's time zone), or
    ``None`` when there are no more than ``rows`` of them."""
    nth = tickets.order_by("-created_at").values_list("created_at", flat=True)[rows - 1: rows].first()
    if nth is None:
        return None
    return timezone.localtime(nth).date()


# The columns of the inbox's export (admin.export): the ticket's fields, its team, assignee and code.
EXPORT_SQL = """SELECT t.id, t.number, t.subject, t.status, t.priority, t.kind, t.category_id, t.requester_name,
    t.requester_email, t.beneficiary_name, t.beneficiary_email, t.channel, t.created_at, t.updated_at,
    t.awaiting_agent_since, t.first_response_at, t.closed_at, t.close_reason, tm.name, u.first_name, u.last_name,
    u.username, rc.label FROM wagtail_support_ticket t
    LEFT JOIN wagtail_support_team tm ON tm.id = t.team_id LEFT JOIN auth_user u ON u.id = t.assignee_id
    LEFT JOIN wagtail_support_resolutioncode rc ON rc.id = t.resolution_code_id
    WHERE {where} ORDER BY t.updated_at DESC, t.number DESC"""


support_page = generate.support_page


#: The baseline scenarios' names (``Bench.baseline``), which ``__main__.evaluate`` compares the pages with.
BASELINE_ADMIN = "baseline: Wagtail's account page (admin)"
BASELINE_VISITOR = "baseline: example site content page (visitor)"


def content_page():
    """A plain content page of the example site (its ``HomePage``: a title and rich text), live under the
    default site; created the first time."""
    from example_site.home.models import HomePage

    page = HomePage.objects.filter(slug="bench-content", live=True).first()
    if page is None:
        site = Site.objects.get(is_default_site=True)
        page = HomePage(title="About us", slug="bench-content",
                        intro="<p>We make things. " + "This paragraph tells you about them. " * 20 + "</p>")
        site.root_page.add_child(instance=page)
        page = HomePage.objects.get(pk=page.pk)
    return page


class Bench:
    def __init__(self, runs, log=print, warmup=3, collect=False, faq_entries=faq_scenarios.ENTRIES_PER_LANGUAGE):
        self.runs = runs
        self.warmup = warmup
        self.collect = collect
        self.faq_entries = faq_entries
        self.defined = []
        self.log = log
        self.results = []
        User = get_user_model()
        self.agent = User.objects.get(username=generate.BENCH_AGENT)
        self.supervisor = User.objects.get(username=generate.BENCH_SUPERVISOR)
        self.heavy = User.objects.get(username=generate.BENCH_HEAVY)
        self.team_ids = sorted(Team.objects.filter(members=self.agent).values_list("pk", flat=True))
        self.big = Ticket.objects.get(subject=generate.BIG_TICKET_SUBJECT)
        self.page = support_page()
        self.agent_client = Client()
        self.agent_client.force_login(self.agent)
        self.supervisor_client = Client()
        self.supervisor_client.force_login(self.supervisor)
        self.heavy_client = Client()
        self.heavy_client.force_login(self.heavy)
        self.big_requester_client = Client()
        self.big_requester_client.force_login(self.big.requester_user)

    # Helpers -----------------------------------------------------------------------------------------

    def request(self, client, method, url, data=None, expect=200):
        def action():
            response = getattr(client, method)(url, data or {})
            if response.status_code != expect:
                raise AssertionError(f"{method.upper()} {url}: {response.status_code}, expected {expect}")
            return response

        return action

    def auth_floor(self, client, user, admin=False):
        """What any page for a signed-in person reads first: the session and the account; the admin also
        needs the account's permissions (one query through its groups and its own)."""
        statements = [
            ("SELECT session_data FROM django_session WHERE session_key = %(key)s AND expire_date > now()",
             {"key": client.cookies[settings.SESSION_COOKIE_NAME].value}),
            ("SELECT * FROM auth_user WHERE id = %(user)s", {"user": user.pk}),
        ]
        if admin:
            statements.append((
                "SELECT ct.app_label, p.codename FROM auth_permission p "
                "JOIN django_content_type ct ON ct.id = p.content_type_id "
                "WHERE p.id IN (SELECT gp.permission_id FROM auth_group_permissions gp "
                "JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = %(user)s "
                "UNION SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = %(user)s)",
                {"user": user.pk},
            ))
        return statements

    def scenario(self, name, group, action, floor, *, prepare=None, rollback_floor=False, rows=None, auth=None,
                 runs=None, audience=None):
        """``runs``: fewer runs than the others, for a scenario that takes seconds (the export).

        ``audience``: "admin" for a page of the admin (compared with Wagtail's bare admin page), "visitor" for a
        page of the site (compared with the example site's plain content page); by default what ``auth`` says
        (an admin page checks the account's permissions), none without it (the API, the engines)."""
        if audience is None and auth is not None:
            audience = "admin" if auth[2] else "visitor"
        runs = min(runs or self.runs, self.runs)
        warmup = min(self.warmup, 1) if runs < self.runs else self.warmup
        if connection.vendor != "postgresql":
            floor = None  # the floors are PostgreSQL's SQL; the smoke test on SQLite checks the rest
        elif auth is not None:
            floor = self.auth_floor(*auth) + floor
        if self.collect:
            # Defined now, measured later by ``interleaved`` in turn with the same scenario at other sizes.
            self.defined.append({"name": name, "group": group, "audience": audience, "action": action, "floor": floor,
                                 "prepare": prepare, "rollback_floor": rollback_floor, "rows": rows,
                                 "runs": runs, "warmup": warmup})
            return None
        summary, log = measure.run(action, runs=runs, warmup=warmup, prepare=prepare)
        floor_ms = measure.time_sql(floor, runs=runs, warmup=warmup, rollback=rollback_floor) if floor else None
        summary.update({
            "name": name,
            "group": group,
            "audience": audience,
            "floor_ms": floor_ms,
            "floor_queries": len(floor) if floor else 0,
            "ratio": round(summary["sql_median_ms"] / floor_ms, 2) if floor_ms else None,
            "rows": rows,
            "last_queries": log.sql,
        })
        self.results.append(summary)
        self.log(
            f"  {name:<44} {summary['median_ms']:>7.1f} ms  p95 {summary['p95_ms']:>7.1f}  "
            f"{summary['queries']!s:>4} q  sql {summary['sql_median_ms']:>6.2f}  floor {floor_ms or 0:>6.2f}"
        )
        return summary

    def scope_sql(self, user_is_agent=True):
        return "AND (team_id = ANY(%(teams)s) OR assignee_id = %(me)s)" if user_is_agent else ""

    def inbox_floor(self, where, params, order="t.updated_at DESC, t.number DESC", scoped=True):
        scope = "(t.team_id = ANY(%(teams)s) OR t.assignee_id = %(me)s)" if scoped else "TRUE"
        params = {"me": self.agent.pk if scoped else self.supervisor.pk, "teams": self.team_ids,
                  "now": timezone.now(), **params}
        condition = f"{scope} AND ({where})"
        return [
            (f"SELECT {LISTING_COLUMNS} FROM {LISTING_FROM} WHERE {condition} ORDER BY {order} LIMIT {PAGE_SIZE}", params),
            (f"SELECT count(*) FROM (SELECT 1 FROM wagtail_support_ticket t WHERE {condition} "
             f"LIMIT {COUNT_LIMIT + 1}) c", params),
            (OPEN_VIEW_COUNTS.format(scope=self.scope_sql(scoped)), params),
        ] + self.filter_choices_floor(scoped)

    def filter_choices_floor(self, scoped=True):
        """The choices of the inbox's filters: teams, agents, the service catalog."""
        if not scoped:
            return [
                ("SELECT id, name FROM wagtail_support_team ORDER BY name", {}),
                (AGENTS_SQL.format(scope=""), {}),
                ("SELECT id, name, parent_id FROM wagtail_support_category ORDER BY sort_order, name", {}),
            ]
        params = {"me": self.agent.pk, "teams": self.team_ids}
        return [
            ("SELECT id, name FROM wagtail_support_team WHERE id = ANY(%(teams)s) OR id IN "
             "(SELECT team_id FROM wagtail_support_ticket WHERE assignee_id = %(me)s) ORDER BY name", params),
            (AGENTS_SQL.format(scope="AND u.id IN (SELECT user_id FROM wagtail_support_team_members "
                               "WHERE team_id = ANY(%(teams)s))"), params),
            ("SELECT id, name, parent_id FROM wagtail_support_category ORDER BY sort_order, name", {}),
        ]

    # Scenarios ---------------------------------------------------------------------------------------

    def baseline(self):
        """Wagtail's own pages, measured in the same run as the product's (group "baseline"): the budget of an
        admin page is 1.3× Wagtail's bare admin page (the account page, for the same agent) plus the product's
        own SQL, of a visitor page 1.3× the example site's plain content page (for an anonymous visitor)."""
        url = reverse("wagtailadmin_account")
        self.scenario(BASELINE_ADMIN, "baseline", self.request(self.agent_client, "get", url), [],
                      auth=(self.agent_client, self.agent, True))
        page = content_page()
        floor = [
            ("SELECT * FROM wagtailcore_site WHERE is_default_site", {}),
            ("SELECT * FROM wagtailcore_page p JOIN home_homepage h ON h.page_ptr_id = p.id WHERE p.url_path = "
             "%(path)s AND p.live", {"path": page.url_path}),
        ] if connection.vendor == "postgresql" else None
        self.scenario(BASELINE_VISITOR, "baseline", self.request(Client(), "get", page.url), floor,
                      audience="visitor")

    def inbox(self):
        url = reverse("wagtail_support_admin:inbox")
        first_team = self.team_ids[0]
        # The default view is "My teams": the agent's teams' tickets that are not closed.
        waiting = "t.status <> 'closed' AND t.awaiting_agent_since IS NOT NULL"
        cases = [
            ("inbox: default", {}, "t.status <> 'closed'", {}),
            ("inbox: assigned to me", {"view": "mine"}, "t.status <> 'closed' AND t.assignee_id = %(me)s", {}),
            ("inbox: my teams", {"view": "teams"}, "t.status <> 'closed'", {}),
            ("inbox: unassigned", {"view": "unassigned"}, "t.status <> 'closed' AND t.assignee_id IS NULL", {}),
            ("inbox: waiting for us", {"view": "waiting"}, waiting, {}),
            ("inbox: all tickets", {"view": "all"}, "TRUE", {}),
            ("inbox: status open + team", {"status": "open", "team": first_team},
             "t.status = 'open' AND t.team_id = %(team)s", {"team": first_team}),
        ]
        # The requester with the most tickets of the agent's teams, and a subject word.
        email = (
            Ticket.objects.filter(team_id__in=self.team_ids).exclude(requester_user=self.heavy)
            .values("requester_email").annotate(n=Count("pk"))
            .order_by("-n").values_list("requester_email", flat=True).first()
        )
        cases.append((
            "inbox: search requester email", {"q": email},
            "(t.requester_email = %(email)s OR t.beneficiary_email = %(email)s)", {"email": email},
        ))
        like = "UPPER({}::text) LIKE UPPER(%(like)s)"
        cases.append((
            "inbox: search subject word", {"q": generate.SEARCH_WORD},
            " OR ".join(like.format(f"t.{c}") for c in ("subject", "requester_name", "requester_email")),
            {"like": f"%{generate.SEARCH_WORD}%"},
        ))
        for name, query, where, params in cases:
            self.scenario(name, "inbox", self.request(self.agent_client, "get", url, query),
                          self.inbox_floor(where, params), auth=(self.agent_client, self.agent, True))
        self.scenario("inbox: sorted by waiting", "inbox",
                      self.request(self.agent_client, "get", url, {"ordering": "waiting"}),
                      self.inbox_floor("t.status <> 'closed'", {},
                                       order="t.awaiting_agent_since ASC NULLS LAST, t.number ASC"),
                      auth=(self.agent_client, self.agent, True))
        # Service levels: "Due next" (the tickets with something due, soonest first: the partial indexes
        # ws_ticket_next_due and ws_ticket_team_next_due) and the "Late" filter.
        due = "t.status <> 'closed' AND t.next_due IS NOT NULL"
        self.scenario("inbox: due next", "inbox",
                      self.request(self.agent_client, "get", url, {"ordering": "due"}),
                      self.inbox_floor(due, {}, order="t.next_due ASC, t.number ASC"),
                      auth=(self.agent_client, self.agent, True))
        self.scenario("inbox: late filter", "inbox",
                      self.request(self.agent_client, "get", url, {"service_level": "late", "ordering": "due"}),
                      self.inbox_floor(f"{due} AND t.next_due < %(now)s", {}, order="t.next_due ASC, t.number ASC"),
                      auth=(self.agent_client, self.agent, True))
        self.scenario("inbox: due next, supervisor", "inbox",
                      self.request(self.supervisor_client, "get", url, {"ordering": "due"}),
                      self.inbox_floor(due, {}, order="t.next_due ASC, t.number ASC", scoped=False),
                      auth=(self.supervisor_client, self.supervisor, True))
        # A supervisor of no team: "My teams" is every team's tickets that are not closed; "Every team" the same.
        for name, query in (("inbox: default, supervisor", {}), ("inbox: every team, supervisor", {"view": "open"})):
            self.scenario(name, "inbox", self.request(self.supervisor_client, "get", url, query),
                          self.inbox_floor("t.status <> 'closed'", {}, scoped=False),
                          auth=(self.supervisor_client, self.supervisor, True))

    def export(self):
        """The inbox's export (``?export=csv|xlsx``): the tickets of a view, read in chunks and streamed.

        Its time grows with the rows by nature (group "export": no page budget, a budget on the time per row),
        its queries must not. Each download takes the newest tickets of its view up to a number of rows (a
        "Created from" date, as an agent narrows a large export): the whole desk at 100,000 tickets or fewer, the
        newest 100,000 of it at a million (CSV); the newest 10,000 in XLSX and of "My teams". Two runs after
        one warm-up, not thirty: the files take seconds.
        """
        url = reverse("wagtail_support_admin:inbox")
        worked = access.worked_tickets(self.agent).not_closed()
        agent_where = "t.status <> 'closed' AND (t.team_id = ANY(%(teams)s) OR t.assignee_id = %(me)s)"
        agent_params = {"teams": self.team_ids, "me": self.agent.pk}
        cases = [
            ("inbox export: CSV, all tickets, supervisor", self.supervisor_client, self.supervisor,
             {"view": "all", "export": "csv"}, "TRUE", {}, Ticket.objects.all(), EXPORT_ROWS_CSV),
            ("inbox export: XLSX, all tickets, supervisor", self.supervisor_client, self.supervisor,
             {"view": "all", "export": "xlsx"}, "TRUE", {}, Ticket.objects.all(), EXPORT_ROWS),
            ("inbox export: CSV, my teams", self.agent_client, self.agent, {"export": "csv"}, agent_where,
             agent_params, worked, EXPORT_ROWS),
            ("inbox export: XLSX, my teams", self.agent_client, self.agent, {"export": "xlsx"}, agent_where,
             agent_params, worked, EXPORT_ROWS),
        ]
        for name, client, user, query, where, params, tickets, at_most in cases:
            since = newest_days(tickets, at_most)
            if since is not None:
                # The "Created" filter's first date (Wagtail's date range: ``created_from``, ``created_to``).
                query = {**query, "created_from": since.isoformat()}
                where = f"({where}) AND t.created_at >= %(since)s"
                params = {**params, "since": datetime.datetime.combine(
                    since, datetime.time(), tzinfo=timezone.get_current_timezone())}
                tickets = tickets.filter(created_at__gte=params["since"])
            rows = tickets.count()
            self.scenario(name, "export", self.download(client, url, query, rows),
                          [(EXPORT_SQL.format(where=where), params)], rows=rows,
                          auth=(client, user, True), runs=2)

    def download(self, client, url, query, rows=None):
        def action():
            response = client.get(url, query)
            if response.status_code != 200:
                raise AssertionError(f"GET {url}: {response.status_code}, expected 200")
            # The whole file, as the browser would read it (the test client closes the response at its end).
            chunks = response.streaming_content if response.streaming else [response.content]
            size = lines = 0
            for chunk in chunks:
                size += len(chunk)
                lines += chunk.count(b"\r\n")
            if not size:
                raise AssertionError(f"GET {url}: an empty file")
            # A CSV holds its heading and the rows the scenario counted (its time per row is budgeted).
            if rows is not None and query.get("export") == "csv" and lines != rows + 1:
                raise AssertionError(f"GET {url}?{query}: {lines - 1} rows, expected {rows}")

        return action

    def home(self):
        params = {"me": self.agent.pk, "teams": self.team_ids, "now": timezone.now()}
        floor = [
            (f"SELECT {LISTING_COLUMNS} FROM {LISTING_FROM} WHERE t.status <> 'closed' AND "
             f"(t.team_id = ANY(%(teams)s) OR t.assignee_id = %(me)s) ORDER BY t.updated_at DESC, t.number DESC "
             f"LIMIT {PANEL_SIZE}", params),
            (OPEN_VIEW_COUNTS.format(scope=self.scope_sql()), params),
        ]
        self.scenario("admin home (my teams panel)", "home",
                      self.request(self.agent_client, "get", reverse("wagtailadmin_home")), floor,
                      auth=(self.agent_client, self.agent, True))
        # A supervisor's home: every open ticket in the panel, and the first-run panel's three questions.
        params = {"me": self.supervisor.pk, "teams": self.team_ids, "now": timezone.now(),
                  "slug": support_settings.DEFAULT_TEAM or "",
                  "types": [ct.pk for ct in ContentType.objects.get_for_models(*support_page_models()).values()]}
        floor = [
            (f"SELECT {LISTING_COLUMNS} FROM {LISTING_FROM} WHERE t.status <> 'closed' "
             f"ORDER BY t.updated_at DESC, t.number DESC LIMIT {PANEL_SIZE}", params),
            (OPEN_VIEW_COUNTS.format(scope=""), params),
            ("SELECT count(DISTINCT tm.id), count(DISTINCT tm.id) FILTER (WHERE u.is_active), min(tm.slug) "
             "FROM wagtail_support_team tm LEFT JOIN wagtail_support_team_members m ON m.team_id = tm.id "
             "LEFT JOIN auth_user u ON u.id = m.user_id WHERE tm.is_active", params),
            ("SELECT * FROM wagtail_support_team WHERE slug = %(slug)s AND is_active LIMIT 1", params),
            ("SELECT s.id, s.hostname, s.port, s.root_page_id, EXISTS(SELECT 1 FROM wagtail_support_resolutioncode "
             "WHERE is_active AND code <> 'no-follow-up'), EXISTS(SELECT 1 FROM wagtailcore_page p WHERE p.live "
             "AND p.content_type_id = ANY(%(types)s) AND p.path LIKE r.path || '%%') FROM wagtailcore_site s "
             "JOIN wagtailcore_page r ON r.id = s.root_page_id WHERE s.is_default_site LIMIT 1", params),
        ]
        self.scenario("admin home, supervisor (first-run panel)", "home",
                      self.request(self.supervisor_client, "get", reverse("wagtailadmin_home")), floor,
                      auth=(self.supervisor_client, self.supervisor, True))

    def visitor_list(self):
        url = self.page.url + self.page.reverse_subpage("tickets")
        per_page = support_settings.TICKETS_PER_PAGE
        me = self.heavy.pk
        today = timezone.localdate()
        start = today - datetime.timedelta(days=90)
        base = "(t.requester_user_id = %(me)s OR t.beneficiary_user_id = %(me)s)"
        month = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        cases = [
            ("visitor list: all", {}, "TRUE", {}),
            ("visitor list: open", {"status": "open"}, "t.status = 'open'", {}),
            ("visitor list: pending", {"status": "pending"}, "t.status = 'pending'", {}),
            ("visitor list: closed", {"status": "closed"}, "t.status = 'closed'", {}),
            ("visitor list: this month", {"period": "month"}, "t.created_at >= %(since)s", {"since": month}),
            ("visitor list: custom dates + type", {"period": "custom", "date_from": start.isoformat(),
             "date_to": today.isoformat(), "kind": "bug"},
             "t.created_at >= %(since)s AND t.kind = 'bug'", {"since": start}),
        ]
        for name, query, where, params in cases:
            params = {"me": me, **params}
            condition = f"{base} AND {where}"
            # The tab counts are over the other filters, not the tab itself.
            counts_condition = f"{base} AND " + ("TRUE" if query.get("status") else where)
            floor = [
                ("SELECT t.id, t.number, t.subject, t.kind, t.priority, t.status, t.created_at, t.updated_at "
                 f"FROM wagtail_support_ticket t WHERE {condition} "
                 f"ORDER BY t.updated_at DESC, t.number DESC LIMIT {per_page}", params),
                ("SELECT count(*), count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'pending'), "
                 f"count(*) FILTER (WHERE status = 'closed') FROM wagtail_support_ticket t WHERE {counts_condition}",
                 params),
            ]
            self.scenario(name, "visitor list", self.request(self.heavy_client, "get", url, query), floor,
                          auth=(self.heavy_client, self.heavy, False))

    def ticket_pages(self):
        big = self.big
        big_count = big.messages.count()
        url = self.page.url + self.page.reverse_subpage("ticket", kwargs={"number": big.number})
        ticket_sql = ("SELECT * FROM wagtail_support_ticket WHERE number = %(number)s", {"number": big.number})
        public = {"ticket": big.pk}
        window = support_settings.CONVERSATION_WINDOW
        public_window = WINDOW_SQL.format(visibility="AND visibility = 'public'")
        floor = [
            ticket_sql,
            ("SELECT m.id, m.author_name, m.author_role, m.body, m.created_at, a.id, a.filename, a.size "
             f"FROM ({public_window}) m "
             "LEFT JOIN wagtail_support_attachment a ON a.message_id = m.id ORDER BY m.created_at, m.id, a.id",
             {**public, "latest": window}),
            ("SELECT count(*) FROM wagtail_support_message WHERE ticket_id = %(ticket)s AND visibility = 'public'",
             public),
        ]
        self.scenario(f"ticket page, {big_count} messages: visitor", "ticket page",
                      self.request(self.big_requester_client, "get", url), floor,
                      rows=window + 1, auth=(self.big_requester_client, big.requester_user, False))
        workspace = reverse("wagtail_support_admin:ticket", args=[big.pk])
        floor = [
            ("SELECT * FROM wagtail_support_ticket WHERE id = %(ticket)s", public),
            ("SELECT m.id, m.author_name, m.author_role, m.body, m.visibility, m.created_at, a.id, a.filename, "
             f"a.size, o.id, o.recipient, o.status FROM ({WINDOW_SQL.format(visibility='')}) m "
             "LEFT JOIN wagtail_support_attachment a ON a.message_id = m.id "
             "LEFT JOIN wagtail_support_outboundmail o ON o.message_id = m.id "
             "ORDER BY m.created_at, m.id", {**public, "latest": window}),
            ("SELECT count(*), count(*) FILTER (WHERE visibility = 'public') FROM wagtail_support_message "
             "WHERE ticket_id = %(ticket)s", public),
            ("SELECT id, action, timestamp, user_id, data FROM wagtailcore_modellogentry "
             "WHERE content_type_id = (SELECT id FROM django_content_type WHERE app_label = 'wagtail_support' "
             "AND model = 'ticket') AND object_id = %(object)s ORDER BY timestamp DESC, id DESC LIMIT 16",
             {"object": str(big.pk)}),
            # The workspace's forms: who it may be assigned to, the teams, the catalog, the codes, the saved
            # replies; and the mails about the ticket itself.
            (AGENTS_SQL.format(scope="AND u.id IN (SELECT user_id FROM wagtail_support_team_members "
                               "WHERE team_id = %(team)s)"), {"team": big.team_id}),
            ("SELECT id, name FROM wagtail_support_team WHERE is_active ORDER BY name", {}),
            ("SELECT id, name, parent_id, is_active FROM wagtail_support_category ORDER BY sort_order, name", {}),
            ("SELECT id, code, label FROM wagtail_support_resolutioncode WHERE is_active ORDER BY sort_order, label",
             {}),
            ("SELECT id, title, body FROM wagtail_support_cannedresponse WHERE is_active AND "
             "(team_id IS NULL OR team_id = %(team)s) ORDER BY sort_order, title", {"team": big.team_id}),
            ("SELECT id, recipient, status, event, created_at FROM wagtail_support_outboundmail "
             "WHERE ticket_id = %(ticket)s AND message_id IS NULL ORDER BY created_at DESC, id DESC LIMIT 20",
             public),
        ]
        self.scenario(f"ticket page, {big_count} messages: agent", "ticket page",
                      self.request(self.agent_client, "get", workspace), floor,
                      rows=window + 1, auth=(self.agent_client, self.agent, True))
        # Every message (``?latest=all``, "Show all"): the same reads without the window.
        every = "SELECT * FROM wagtail_support_message WHERE ticket_id = %(ticket)s {visibility} ORDER BY created_at, id"
        every_public = every.format(visibility="AND visibility = 'public'")
        visitor_floor = [
            ticket_sql,
            ("SELECT m.id, m.author_name, m.author_role, m.body, m.created_at, a.id, a.filename, a.size "
             f"FROM ({every_public}) m "
             "LEFT JOIN wagtail_support_attachment a ON a.message_id = m.id ORDER BY m.created_at, m.id, a.id",
             public),
        ]
        self.scenario(f"ticket page, {big_count} messages, all shown: visitor", "ticket page",
                      self.request(self.big_requester_client, "get", f"{url}?latest=all"), visitor_floor,
                      rows=big.messages.filter(visibility="public").count(),
                      auth=(self.big_requester_client, big.requester_user, False))
        floor = list(floor)
        floor[1] = (
            "SELECT m.id, m.author_name, m.author_role, m.body, m.visibility, m.created_at, a.id, a.filename, "
            f"a.size, o.id, o.recipient, o.status FROM ({every.format(visibility='')}) m "
            "LEFT JOIN wagtail_support_attachment a ON a.message_id = m.id "
            "LEFT JOIN wagtail_support_outboundmail o ON o.message_id = m.id ORDER BY m.created_at, m.id", public)
        self.scenario(f"ticket page, {big_count} messages, all shown: agent", "ticket page",
                      self.request(self.agent_client, "get", f"{workspace}?latest=all"), floor,
                      rows=big_count, auth=(self.agent_client, self.agent, True))

    def submission(self):
        url = self.page.url
        counter = itertools.count()
        visitor = Client()  # most tickets come from visitors without an account

        def action():
            n = next(counter)
            response = visitor.post(url, {
                "name": "Ann Onymous", "email": "ann.onymous@mail.example.net",
                "subject": f"Benchmark submission {n}", "description": "The export button does nothing.",
                "kind": "bug", "priority": "normal",
            })
            if response.status_code != 302:
                raise AssertionError(f"submission: {response.status_code}")

        now = timezone.now()
        params = {"now": now, "subject": "floor", "me": self.heavy.pk, "team": self.team_ids[0]}
        floor = [
            ("UPDATE wagtail_support_ticketreferencecounter SET value = value + 1 WHERE name = 'ticket' "
             "RETURNING value", {}),
            ("INSERT INTO wagtail_support_ticket (number, subject, description, kind, priority, status, team_id, "
             "requester_user_id, requester_name, requester_email, beneficiary_name, beneficiary_email, channel, "
             "language, created_at, updated_at, close_reason, solution, satisfaction, version) VALUES ((SELECT value "
             "FROM wagtail_support_ticketreferencecounter WHERE name = 'ticket'), %(subject)s, 'd', 'bug', 'normal', "
             "'open', %(team)s, %(me)s, 'n', 'e@example.com', '', '', 'web', 'en', %(now)s, %(now)s, '', '', '', 1) "
             "RETURNING id", params),
            ("INSERT INTO wagtail_support_message (ticket_id, author_user_id, author_name, author_email, author_role, "
             "body, visibility, channel, created_at) VALUES (currval(pg_get_serial_sequence("
             "'wagtail_support_ticket', 'id')), %(me)s, 'n', 'e@example.com', 'requester', 'd', 'public', 'web', "
             "%(now)s)", params),
            ("INSERT INTO wagtail_support_outboundmail (ticket_id, event, audience, recipient, language, subject, "
             "internet_message_id, esp_name, esp_message_id, status, error, attempts, params, created_at, updated_at) "
             "VALUES (currval(pg_get_serial_sequence('wagtail_support_ticket', 'id')), 'opened', 'requester', "
             "'e@example.com', 'en', 's', md5(random()::text), '', '', 'queued', '', 0, '{}', %(now)s, %(now)s)",
             params),
            # The visitor's session, which remembers the signed link to the new ticket.
            ("INSERT INTO django_session (session_key, session_data, expire_date) "
             "VALUES (md5(random()::text), 'x', %(now)s)", params),
        ] if connection.vendor == "postgresql" else None
        self.scenario("ticket submission", "write", action, floor, rollback_floor=True, audience="visitor")

    def agent_reply(self):
        # Tickets of the same shape (open, unassigned, a requester with an account, no beneficiary, from no page),
        # so that each run asks for the same mails and reads the same rows: the query count is the page's, not the
        # data's. (A ticket from a page reads the page: one query or two more.)
        self.pages_with_tickets()
        tickets = list(
            Ticket.objects.filter(team_id=self.team_ids[0], status="open", requester_user__isnull=False,
                                  beneficiary_email="", assignee__isnull=True, submitted_from__isnull=True,
                                  came_from__isnull=True)
            .order_by("-updated_at")[: self.warmup + self.runs]
        )
        state = {"index": 0, "ticket": None}

        def prepare():
            ticket = Ticket.objects.get(pk=tickets[state["index"] % len(tickets)].pk)
            state["index"] += 1
            state["ticket"] = ticket

        def action():
            ticket = state["ticket"]
            url = reverse("wagtail_support_admin:ticket_action", args=[ticket.pk, "submit"])
            response = self.agent_client.post(url, {"version": ticket.version, "body": "We are looking into it."})
            if response.status_code != 302:
                raise AssertionError(f"reply: {response.status_code}")

        ticket = tickets[0]
        params = {"ticket": ticket.pk, "me": self.agent.pk, "now": timezone.now()}
        floor = [
            ("SELECT * FROM wagtail_support_ticket WHERE id = %(ticket)s FOR UPDATE", params),
            ("INSERT INTO wagtail_support_message (ticket_id, author_user_id, author_name, author_email, author_role, "
             "body, visibility, channel, created_at) VALUES (%(ticket)s, %(me)s, 'a', 'a@example.com', 'agent', 'b', "
             "'public', 'web', %(now)s)", params),
            ("UPDATE wagtail_support_ticket SET updated_at = %(now)s, version = version + 1 WHERE id = %(ticket)s",
             params),
            ("INSERT INTO wagtail_support_outboundmail (ticket_id, event, audience, recipient, language, subject, "
             "internet_message_id, esp_name, esp_message_id, status, error, attempts, params, created_at, updated_at) "
             "VALUES (%(ticket)s, 'agent_reply', 'requester', 'e@example.com', 'en', 's', md5(random()::text), '', '', "
             "'queued', '', 0, '{}', %(now)s, %(now)s)", params),
        ] if connection.vendor == "postgresql" else None
        self.scenario("agent reply", "write", action, floor, prepare=prepare, rollback_floor=True,
                      auth=(self.agent_client, self.agent, True))

    def workspace_live(self):
        """What an open workspace asks while an agent works: the draft saved as they type (about once a
        second of pause) and the presence poll (every ~10 s per open tab)."""
        # A ticket from no page at every size (one from a page reads the page: a query more).
        self.pages_with_tickets()
        ticket = (Ticket.objects.filter(team_id=self.team_ids[0], submitted_from__isnull=True, came_from__isnull=True)
                  .exclude(status="closed").order_by("-updated_at").first())
        counter = itertools.count()
        draft_url = reverse("wagtail_support_admin:ticket_draft", args=[ticket.pk])

        def save_draft():
            response = self.agent_client.post(
                draft_url, {"body": f"Draft {next(counter)}", "mode": "public"}, headers={"X-Requested-With": "fetch"}
            )
            if response.status_code != 200:
                raise AssertionError(f"draft: {response.status_code}")

        params = {"ticket": ticket.pk, "me": self.agent.pk}
        floor = [
            ("SELECT * FROM wagtail_support_ticket WHERE id = %(ticket)s", params),
            ("UPDATE wagtail_support_replydraft SET body = 'b', mode = 'public', updated = now() "
             "WHERE ticket_id = %(ticket)s AND user_id = %(me)s", params),
        ]
        self.scenario("workspace: draft autosave", "write", save_draft, floor, rollback_floor=True,
                      auth=(self.agent_client, self.agent, True))
        # The poll is answered from the cache, after the session and the account (no admin wrapper).
        poll = reverse("wagtail_support:ticket_presence", args=[ticket.pk])
        data = {"token": presence.make_token(ticket, self.agent), "state": "viewing"}
        self.scenario("workspace: presence poll", "ticket page", self.request(self.agent_client, "post", poll, data), [],
                      auth=(self.agent_client, self.agent, False))

    def inbound(self, count=None):
        """Replies by mail to open tickets, processed one after another: mails per second."""
        count = count or max(20, self.runs * 2)
        tickets = list(Ticket.objects.exclude(status="closed").exclude(requester_email="").order_by("-pk")[:count])
        mails = []
        for n, ticket in enumerate(tickets):
            message = EmailMessage()
            message["From"] = f"{ticket.requester_name} <{ticket.requester_email}>"
            message["To"] = f"support+{access.make_reply_token(ticket)}@reply.example.com"
            message["Subject"] = f"Re: [#{ticket.number}] {ticket.subject}"
            message["Message-ID"] = f"<bench-inbound-{time.time_ns()}-{n}@customer.example.org>"
            message.set_content("Thanks, here is more information.\n\nOn Monday, support wrote:\n> earlier text\n")
            mails.append(message.as_string())
        from anymail.inbound import AnymailInboundMessage

        parsed = [AnymailInboundMessage.parse_raw_mime(raw) for raw in mails]
        with measure.capture() as log:
            start = time.perf_counter()
            for message in parsed:
                inbound.process(message, esp_name="bench")
            elapsed = time.perf_counter() - start
        rate = len(parsed) / elapsed
        result = {
            "name": "inbound mail (replies)", "group": "inbound", "mails": len(parsed),
            "mails_per_second": round(rate, 1), "median_ms": round(elapsed / len(parsed) * 1000, 2),
            "queries": round(len(log.durations) / len(parsed), 1),
            "sql_median_ms": round(sum(log.durations) / len(parsed) * 1000, 2),
            "p95_ms": None, "floor_ms": None, "ratio": None,
        }
        self.results.append(result)
        self.log(f"  {'inbound mail (replies)':<44} {rate:>7.1f} mails/s, {result['queries']} queries each")

    # Tickets where editors work (admin.page_tickets) -------------------------------------------------------

    def pages_with_tickets(self):
        """The pages tickets came from are the generator's (``generate._source_pages``): one ticket in ten was
        submitted from the support page, one in three came from one of twenty articles read before it."""
        # The agent edits pages too (the page editor needs it); Wagtail's migrations made "Editors".
        self.agent.groups.add(Group.objects.get(name="Editors"))

    def page_tickets(self):
        """The page editor with its "Support tickets" panel (the page most open tickets came from) and the
        "Pages with open tickets" report, for an agent.

        The editor's floor is the page and the panel's two reads (the counts, the newest rows): Wagtail's own
        editor (revisions, locks, workflow, permissions, comments) is the rest of its SQL time, which the
        ratio shows.
        """
        self.pages_with_tickets()
        page = pages_with_open_tickets(self.supervisor).first()
        params = {"me": self.agent.pk, "teams": self.team_ids, "page": page.pk}
        of_page = "t.status <> 'closed' AND (t.submitted_from_id = %(page)s OR t.came_from_id = %(page)s)"
        works = "(t.team_id = ANY(%(teams)s) OR t.assignee_id = %(me)s)"
        floor = [
            ("SELECT * FROM wagtailcore_page WHERE id = %(page)s", params),
            (f"SELECT count(*), count(*) FILTER (WHERE {works}) FROM wagtail_support_ticket t WHERE {of_page}", params),
            (f"SELECT t.id, t.number, t.subject, t.status, t.created_at, {works} FROM wagtail_support_ticket t "
             f"WHERE {of_page} ORDER BY t.created_at DESC, t.number DESC LIMIT {PAGE_PANEL_SIZE}", params),
        ]
        url = reverse("wagtailadmin_pages:edit", args=[page.pk])
        self.scenario("page editor with open tickets panel", "page tickets",
                      self.request(self.agent_client, "get", url), floor,
                      auth=(self.agent_client, self.agent, True))
        # The report: per page, the open tickets the agent works (a ticket from the page twice counts once).
        pages = f"""WITH t AS (SELECT id, created_at, submitted_from_id, came_from_id FROM wagtail_support_ticket t
            WHERE t.status <> 'closed' AND {works}),
            p AS (SELECT submitted_from_id AS page, id, created_at FROM t WHERE submitted_from_id IS NOT NULL
            UNION SELECT came_from_id, id, created_at FROM t WHERE came_from_id IS NOT NULL)"""
        floor = [
            (f"{pages} SELECT count(DISTINCT page) FROM p", params),
            (f"{pages} SELECT pg.id, pg.title, count(*), max(p.created_at) FROM p JOIN wagtailcore_page pg "
             "ON pg.id = p.page GROUP BY pg.id, pg.title ORDER BY 3 DESC, 4 DESC, pg.id LIMIT 50", params),
        ]
        self.scenario("report: pages with open tickets", "page tickets",
                      self.request(self.agent_client, "get", reverse("wagtail_support_reports:pages_with_tickets")),
                      floor, auth=(self.agent_client, self.agent, True))

    def reports_engine(self):
        """The reports engine (``report_scenarios``): the figures of the report page, without the page."""
        report_scenarios.define(self)

    # The reports page (admin.reports): kept apart from the engine's rows ("reports engine ...") -----------

    def reports_page_floor(self, scoped):
        """What the reports page shows, in the fewest hand-written statements: per team and per day the
        tickets created and closed in the period and the 30 days before, the backlog at the start, the
        percentiles of the first responses and the closings, the attainment and the ratings of both periods;
        then the filter choices."""
        from wagtail_support import reports as engine

        zone = engine.time_zone()
        today = datetime.datetime.now(zone).date()
        start = datetime.datetime.combine(today - datetime.timedelta(days=29), datetime.time(), tzinfo=zone)
        end = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
        before = start - datetime.timedelta(days=30)
        params = {"me": self.agent.pk if scoped else self.supervisor.pk, "teams": self.team_ids,
                  "start": start, "end": end, "before": before, "zone": str(zone)}
        scope = "AND (t.team_id = ANY(%(teams)s) OR t.assignee_id = %(me)s)" if scoped else ""
        timed = """SELECT t.team_id, t.{at} >= %(start)s AS now,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY t.{seconds}),
                percentile_cont(0.9) WITHIN GROUP (ORDER BY t.{seconds}),
                count(t.{met}), count(*) FILTER (WHERE t.{met})
            FROM wagtail_support_ticket t WHERE t.{at} >= %(before)s AND t.{at} < %(end)s {scope}
            GROUP BY 1, 2"""
        return [
            (f"""SELECT t.team_id, date_trunc('day', t.created_at AT TIME ZONE %(zone)s), count(*)
                FROM wagtail_support_ticket t WHERE t.created_at >= %(before)s AND t.created_at < %(end)s {scope}
                GROUP BY 1, 2""", params),
            (f"""SELECT t.team_id, date_trunc('day', t.closed_at AT TIME ZONE %(zone)s), count(*)
                FROM wagtail_support_ticket t WHERE t.closed_at >= %(before)s AND t.closed_at < %(end)s {scope}
                GROUP BY 1, 2""", params),
            (f"""SELECT t.team_id, count(*) FILTER (WHERE t.created_at < %(start)s),
                    count(*) FILTER (WHERE t.created_at < %(before)s)
                FROM wagtail_support_ticket t WHERE t.created_at < %(start)s
                    AND (t.closed_at IS NULL OR t.closed_at >= %(before)s) {scope} GROUP BY 1""", params),
            (timed.format(at="first_response_at", seconds="first_response_seconds", met="first_response_met",
                          scope=scope), params),
            (timed.format(at="closed_at", seconds="resolution_seconds", met="resolution_met", scope=scope), params),
            (f"""SELECT t.team_id, t.satisfaction_at >= %(start)s, count(*) FILTER (WHERE t.satisfaction = 'good'),
                    count(*) FILTER (WHERE t.satisfaction = 'bad')
                FROM wagtail_support_ticket t WHERE t.satisfaction_at >= %(before)s AND t.satisfaction_at < %(end)s
                    {scope} GROUP BY 1, 2""", params),
            ("SELECT id, name FROM wagtail_support_team", {}),
        ] + self.filter_choices_floor(scoped)

    def reports_page(self):
        """The reports page as it opens (the last 30 days per day, by team, against the 30 before), for the
        supervisor (every team) and for an agent (their teams); and the supervisor's page by agent."""
        url = reverse("wagtail_support_admin:reports")
        self.scenario("reports page: default, supervisor", "reports page",
                      self.request(self.supervisor_client, "get", url), self.reports_page_floor(scoped=False),
                      auth=(self.supervisor_client, self.supervisor, True))
        self.scenario("reports page: default, agent", "reports page",
                      self.request(self.agent_client, "get", url), self.reports_page_floor(scoped=True),
                      auth=(self.agent_client, self.agent, True))
        self.scenario("reports page: by agent, last 90 days per week, supervisor", "reports page",
                      self.request(self.supervisor_client, "get", f"{url}?period=last_90&bucket=week&breakdown=agent"),
                      None, audience="admin")

    # The support API (wagtail_support.api) ----------------------------------------------------------------

    def api_list(self):
        """``GET /api/support/v1/tickets/`` with a personal access token (no session): the inbox's default
        view, a page of 50, for an agent and a supervisor. The floor: the token and its account, the
        account's permissions, and the page (the API counts nothing: a cursor, not page numbers)."""
        from wagtail_support.models import ApiToken
        from wagtail_support.models.api import hash_key

        url = reverse("wagtail_support_api:tickets")
        for name, user, scoped in (("API ticket list", self.agent, True),
                                   ("API ticket list, supervisor", self.supervisor, False)):
            ApiToken.objects.filter(user=user, name="bench").delete()  # the key of an earlier run is gone
            _row, key = ApiToken.objects.issue(user, name="bench", access="read")
            client = Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})
            scope = "(t.team_id = ANY(%(teams)s) OR t.assignee_id = %(me)s)" if scoped else "TRUE"
            params = {"me": user.pk, "teams": self.team_ids, "hash": hash_key(key)}
            floor = [
                ("SELECT * FROM wagtail_support_apitoken k JOIN auth_user u ON u.id = k.user_id "
                 "WHERE k.key_hash = %(hash)s", params),
                self.auth_floor(self.agent_client, user, admin=True)[-1],
                (f"SELECT {LISTING_COLUMNS} FROM {LISTING_FROM} WHERE {scope} AND t.status <> 'closed' "
                 f"ORDER BY t.updated_at DESC, t.number DESC LIMIT {PAGE_SIZE + 1}", params),
            ]
            self.scenario(name, "api", self.request(client, "get", url), floor)

    def pages(self):
        """Every request scenario (everything but the inbound mail rate)."""
        self.baseline()
        self.inbox()
        sort_scenarios.define(self)
        self.export()
        self.home()
        self.visitor_list()
        self.ticket_pages()
        self.submission()
        self.agent_reply()
        self.workspace_live()
        self.page_tickets()
        self.reports_engine()
        self.reports_page()

        self.api_list()
        faq_scenarios.define(self, self.faq_entries)
        return self.defined if self.collect else self.results

    def all(self):
        self.baseline()
        self.inbox()
        sort_scenarios.define(self)
        self.export()
        self.home()
        self.visitor_list()
        self.ticket_pages()
        self.submission()
        self.agent_reply()
        self.workspace_live()
        self.page_tickets()
        self.reports_engine()
        self.reports_page()

        self.api_list()
        faq_scenarios.define(self, self.faq_entries)
        self.inbound()
        return self.results
