"""The reports engine's scenarios ("reports engine: ..."): ``wagtail_support.reports.build`` as the report
page asks it, for a supervisor (every team) and for ``bench-agent`` (two teams), and the monthly summary's
``headline``. The page around it (``reports page: ...``) has scenarios of its own.

Each run reads the user again (untimed), so the permission queries a request makes once are counted. The
floor is the smallest hand-written SQL giving the same figures: per figure one statement, grouped with
``GROUPING SETS`` where the engine runs two queries (by breakdown key and in total), plus the permissions
and the breakdown's labels.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from wagtail_support import reports

# (scenario, who, days, bucket, breakdown)
CASES = [
    ("reports engine: 30 days by team, supervisor", "supervisor", 30, "day", "team"),
    ("reports engine: 90 days by week by agent, supervisor", "supervisor", 90, "week", "agent"),
    ("reports engine: 365 days by month by catalog entry, supervisor", "supervisor", 365, "month", "category"),
    ("reports engine: 30 days by team, agent", "agent", 30, "day", "team"),
    ("reports engine: 365 days by month by catalog entry, agent", "agent", 365, "month", "category"),
]
COLUMNS = {"team": "team_id", "agent": "assignee_id", "category": "category_id"}
LABELS = {
    "team": "SELECT id, name FROM wagtail_support_team WHERE id = ANY(%(keys)s)",
    "agent": "SELECT id, first_name, last_name, username FROM auth_user WHERE id = ANY(%(keys)s)",
    "category": "SELECT id, name FROM wagtail_support_category WHERE id = ANY(%(keys)s)",
}
PERMISSIONS = (
    "SELECT ct.app_label, p.codename FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id "
    "WHERE p.id IN (SELECT gp.permission_id FROM auth_group_permissions gp JOIN auth_user_groups ug "
    "ON ug.group_id = gp.group_id WHERE ug.user_id = %(me)s "
    "UNION SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = %(me)s)"
)


def period(days):
    """The last ``days`` days, today included, in the reports time zone."""
    end = timezone.now().astimezone(reports.time_zone()).date()
    return end - datetime.timedelta(days=days - 1), end


def floor(query, user, team_ids, scoped):
    zone = reports.time_zone()
    start, end = reports.bounds(query, zone)
    previous, _ = reports.bounds(query.previous(), zone)
    key = COLUMNS[query.breakdown]
    scope = "AND (team_id = ANY(%(teams)s) OR assignee_id = %(me)s)" if scoped else ""
    params = {"start": start, "end": end, "prev": previous, "tz": zone.key, "bucket": query.bucket,
              "teams": team_ids, "me": user.pk, "keys": []}
    cur = "(t.{col} >= %(start)s)"
    bucket = "date_trunc(%(bucket)s, t.{col} AT TIME ZONE %(tz)s)::date"

    def timed(col, seconds, met, series):
        sets = f"(cur, k), (cur){', (cur, b)' if series else ''}"
        b = bucket.format(col=col) if series else "NULL::date"
        return (
            f"SELECT cur, k, {'b' if series else 'NULL'}, count(*), count(*) FILTER (WHERE met), count(met), "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.9) WITHIN GROUP (ORDER BY s) "
            f"FROM (SELECT {cur.format(col=col)} AS cur, t.{key} AS k, {b} AS b, t.{seconds} AS s, t.{met} AS met "
            f"FROM wagtail_support_ticket t WHERE t.{col} >= %(prev)s AND t.{col} < %(end)s {scope}) x "
            f"GROUP BY GROUPING SETS ({sets})",
            params,
        )

    return [
        (PERMISSIONS, params),
        *([("SELECT team_id FROM wagtail_support_team_members WHERE user_id = %(me)s", params)] if scoped else []),
        (f"SELECT {cur.format(col='created_at')}, t.{key}, {bucket.format(col='created_at')}, count(*) "
         f"FROM wagtail_support_ticket t WHERE t.created_at >= %(prev)s AND t.created_at < %(end)s {scope} "
         f"GROUP BY 1, 2, 3", params),
        timed("closed_at", "resolution_seconds", "resolution_met", True),
        timed("first_response_at", "first_response_seconds", "first_response_met", False),
        (f"SELECT {cur.format(col='satisfaction_at')}, t.{key}, count(*) FILTER (WHERE satisfaction = 'good'), "
         f"count(*) FILTER (WHERE satisfaction = 'bad') FROM wagtail_support_ticket t "
         f"WHERE t.satisfaction_at >= %(prev)s AND t.satisfaction_at < %(end)s {scope} GROUP BY 1, 2", params),
        (f"SELECT t.{key}, count(*) FILTER (WHERE t.status <> 'closed' OR t.closed_at >= %(end)s), "
         f"count(*) FILTER (WHERE t.created_at < %(start)s AND (t.status <> 'closed' OR t.closed_at >= %(start)s)) "
         f"FROM wagtail_support_ticket t WHERE t.created_at < %(end)s "
         f"AND (t.status <> 'closed' OR t.closed_at >= %(prev)s) {scope} GROUP BY 1", params),
        (LABELS[query.breakdown], params),
    ]


def define(bench):
    """Add the engine's scenarios to ``bench`` (a ``scenarios.Bench``)."""
    User = get_user_model()
    users = {"supervisor": bench.supervisor, "agent": bench.agent}
    for name, who, days, bucket, breakdown in CASES:
        start, end = period(days)
        query = reports.ReportQuery(start=start, end=end, bucket=bucket, breakdown=breakdown)
        state = {}

        def prepare(pk=users[who].pk, state=state):
            state["user"] = User.objects.get(pk=pk)

        def action(query=query, state=state):
            report = reports.build(state["user"], query)
            if not report.breakdown or report.figures.created <= 0:
                raise AssertionError(f"an empty report: {query}")

        statements = floor(query, users[who], bench.team_ids, who == "agent") if connection.vendor == "postgresql" else None
        bench.scenario(name, "reports", action, statements, prepare=prepare)

    # The monthly summary mail's figures: last month and the month before, for a supervisor.
    first = timezone.now().astimezone(reports.time_zone()).date().replace(day=1)
    last_month_end = first - datetime.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    state = {}

    def prepare_headline(state=state):
        state["user"] = User.objects.get(pk=bench.supervisor.pk)

    def headline(state=state):
        reports.headline(state["user"], last_month, last_month_end)

    bench.scenario("reports engine: monthly headline, supervisor", "reports", headline, None, prepare=prepare_headline)
