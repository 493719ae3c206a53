"""The reports engine (``wagtail_support.reports``) on hand-built tickets whose every timestamp is known.

Each expected figure is worked out by hand in the test (medians and 90th percentiles by linear interpolation,
as PostgreSQL's ``percentile_cont``), and the same tests run on SQLite (percentiles in Python) and on
PostgreSQL (percentiles in the database), so both paths give the same answers. The tickets are rows written
directly: the reports read what the workflow recorded (``tests/test_report_durations.py`` checks the
recording).
"""

import datetime
import itertools
import random

import pytest
from django.db import connection
from django.utils import translation

from tests import factories
from wagtail_support import reports
from wagtail_support.models import Ticket
from wagtail_support.reports import Percentile, ReportQuery, percentile

UTC = datetime.timezone.utc
HOUR = 3600
_numbers = itertools.count(900000)

pytestmark = pytest.mark.django_db


def at(day, hour=12, minute=0, month=3, year=2026):
    """A moment in UTC (March 2026 unless told)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def make(created, **fields):
    """A ticket row with the timestamps and durations given (closed when ``closed_at`` is)."""
    if fields.get("closed_at") is not None:
        fields.setdefault("status", Ticket.Status.CLOSED)
    return Ticket.objects.create(number=next(_numbers), subject="s", description="d", created_at=created, **fields)


def closed(created, hours, **fields):
    """A ticket closed ``hours`` after ``created``, its resolution time recorded in clock seconds."""
    return make(created, closed_at=created + datetime.timedelta(hours=hours), resolution_seconds=round(hours * HOUR), **fields)


def march(**kwargs):
    return ReportQuery(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31), **kwargs)


# Percentiles ------------------------------------------------------------------------------------------------


def test_median_and_90th_percentile_of_resolution_times_worked_out_by_hand(supervisor, team):
    for hours in (1, 2, 3, 4, 10):
        closed(at(10), hours, team=team)
    figures = reports.build(supervisor, march()).figures
    # Sorted: 1 2 3 4 10 hours. Median: the 3rd value. p90: position 0.9 * (5 - 1) = 3.6, between the 4th
    # (4 h) and the 5th (10 h): 4 + 0.6 * (10 - 4) = 7.6 h.
    assert figures.closed == 5
    assert figures.resolution_median == 3 * HOUR
    assert figures.resolution_p90 == pytest.approx(7.6 * HOUR)


def test_an_even_number_of_first_responses_interpolates_the_median(supervisor, team):
    for minutes in (10, 20, 40, 90):
        make(at(5), team=team, first_response_at=at(5) + datetime.timedelta(minutes=minutes), first_response_seconds=minutes * 60)
    figures = reports.build(supervisor, march()).figures
    # Median: halfway between 20 and 40 minutes; p90: position 2.7, 40 + 0.7 * (90 - 40) = 75 minutes.
    assert figures.first_responses == 4
    assert figures.first_response_median == 30 * 60
    assert figures.first_response_p90 == pytest.approx(75 * 60)


def test_the_python_percentile_is_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([None, None], 0.9) is None
    assert percentile([7], 0.9) == 7
    assert percentile([10, 1, 4, 3, 2], 0.5) == 3
    assert percentile([1, 2, 3, 4, 10], 0.9) == pytest.approx(7.6)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    with pytest.raises(ValueError):
        Percentile("resolution_seconds", 1.5)


@pytest.mark.postgres
def test_the_database_percentile_gives_the_python_one(team):
    # The same values through PostgreSQL's percentile_cont and through the Python function.
    rng = random.Random(17)
    values = [rng.randint(0, 500000) for _ in range(101)] + [None, None]
    for value in values:
        make(at(3), team=team, closed_at=at(20), resolution_seconds=value)
    row = Ticket.objects.filter(team=team).aggregate(
        p50=Percentile("resolution_seconds", 0.5), p90=Percentile("resolution_seconds", 0.9)
    )
    assert row["p50"] == pytest.approx(percentile(values, 0.5))
    assert row["p90"] == pytest.approx(percentile(values, 0.9))


def test_an_empty_period_gives_none_not_zero(supervisor, team):
    closed(at(10, month=1), 2, team=team, resolution_met=True, satisfaction="good", satisfaction_at=at(10, month=1))
    report = reports.build(supervisor, march())
    figures = report.figures
    assert (figures.created, figures.closed, figures.good, figures.bad) == (0, 0, 0, 0)
    assert figures.first_response_median is None and figures.first_response_p90 is None
    assert figures.resolution_median is None and figures.resolution_p90 is None
    assert figures.first_response_attainment is None and figures.resolution_attainment is None
    assert figures.satisfaction is None
    assert report.breakdown == []
    assert [bucket.created for bucket in report.series] == [0] * 31


# Attainment and satisfaction ---------------------------------------------------------------------------------


def test_attainment_counts_only_the_tickets_with_a_target(supervisor, team):
    for met in (True, True, True, False, None, None):
        closed(at(12), 5, team=team, resolution_met=met)
    for met in (True, False, None):
        make(at(12), team=team, first_response_at=at(13), first_response_seconds=HOUR, first_response_met=met)
    figures = reports.build(supervisor, march()).figures
    assert figures.resolution_targets == 4
    assert figures.resolution_attainment == 0.75
    assert figures.first_response_targets == 2
    assert figures.first_response_attainment == 0.5


def test_satisfaction_counts_the_ratings_given_in_the_period(supervisor, team):
    for rating in ("good", "good", "good", "bad"):
        closed(at(2, month=2), 3, team=team, satisfaction=rating, satisfaction_at=at(4))
    # Rated in February: not this period's, although closed... in February too.
    closed(at(2, month=2), 3, team=team, satisfaction="bad", satisfaction_at=at(27, month=2))
    report = reports.build(supervisor, march())
    assert (report.figures.good, report.figures.bad) == (3, 1)
    assert report.figures.satisfaction == 0.75
    assert (report.previous.good, report.previous.bad, report.previous.satisfaction) == (0, 1, 0.0)
    # Closed in February: no closing this month, whatever the ratings.
    assert report.figures.closed == 0


# Days, weeks, months and the time zone -------------------------------------------------------------------------


def test_a_ticket_at_23_30_utc_counts_on_the_next_day_in_paris(settings, supervisor, team):
    settings.WAGTAILSUPPORT_REPORTS_TIME_ZONE = "Europe/Paris"
    make(at(1, 23, 30), team=team)  # 00:30 on March 2 in Paris
    first = ReportQuery(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 1))
    second = ReportQuery(start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 2))
    assert reports.build(supervisor, first).figures.created == 0
    assert reports.build(supervisor, second).figures.created == 1
    series = reports.build(supervisor, march()).series
    assert [(bucket.start, bucket.created) for bucket in series if bucket.created] == [(datetime.date(2026, 3, 2), 1)]

    settings.WAGTAILSUPPORT_REPORTS_TIME_ZONE = "UTC"
    assert reports.build(supervisor, first).figures.created == 1
    series = reports.build(supervisor, march()).series
    assert [(bucket.start, bucket.created) for bucket in series if bucket.created] == [(datetime.date(2026, 3, 1), 1)]


def test_without_a_reports_time_zone_the_site_time_zone_counts(settings, supervisor, team):
    settings.WAGTAILSUPPORT_REPORTS_TIME_ZONE = None
    settings.TIME_ZONE = "America/New_York"
    make(at(2, 3, 0), team=team)  # 22:00 on March 1 in New York
    first = ReportQuery(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 1))
    assert reports.build(supervisor, first).figures.created == 1


def test_weeks_start_on_monday_and_months_on_the_first(settings, supervisor, team):
    settings.WAGTAILSUPPORT_REPORTS_TIME_ZONE = "UTC"
    make(at(1), team=team)  # Sunday: the week of Monday 23 February
    make(at(2), team=team)  # Monday
    make(at(8), team=team)  # Sunday
    make(at(9), team=team)  # Monday
    closed(at(9), 1, team=team)
    weeks = reports.build(supervisor, march(bucket="week")).series
    assert [bucket.start for bucket in weeks] == [datetime.date(2026, 2, 23)] + [datetime.date(2026, 3, d) for d in (2, 9, 16, 23, 30)]
    # The first week is cut by the period: only its Sunday inside; the last ends with the month.
    assert (weeks[0].end, weeks[-1].end) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert [bucket.created for bucket in weeks] == [1, 2, 2, 0, 0, 0]
    assert [bucket.closed for bucket in weeks] == [0, 0, 1, 0, 0, 0]

    make(at(20, month=4), team=team)
    quarter = ReportQuery(start=datetime.date(2026, 2, 15), end=datetime.date(2026, 4, 30), bucket="month")
    months = reports.build(supervisor, quarter).series
    assert [bucket.start for bucket in months] == [datetime.date(2026, m, 1) for m in (2, 3, 4)]
    assert [bucket.created for bucket in months] == [0, 5, 1]
    with translation.override("en"):
        assert months[1].label == "March 2026"
        assert weeks[1].label == "Week of 03/02/2026"


def test_the_backlog_over_time_at_each_bucket_end(settings, supervisor, team):
    settings.WAGTAILSUPPORT_REPORTS_TIME_ZONE = "UTC"
    make(at(20, month=2), team=team)  # open since before the period: in every bucket
    closed(at(25, month=2), 24 * 10, team=team)  # closed on 7 March: in the backlog until then
    make(at(3), team=team)
    closed(at(4), 24 * 2, team=team)  # created on the 4th, closed on the 6th
    closed(at(10), 24 * 30, team=team)  # closed on 9 April: still in the backlog at the end of March
    query = ReportQuery(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 10))
    report = reports.build(supervisor, query)
    by_day = {bucket.start.day: bucket.backlog for bucket in report.series}
    # End of day 1: 2 (the two from February); 3: +1; 4: +1; 6: -1 (closed); 7: -1; 10: +1.
    assert by_day == {1: 2, 2: 2, 3: 3, 4: 4, 5: 4, 6: 3, 7: 2, 8: 2, 9: 2, 10: 3}
    assert report.figures.backlog == 3
    # The previous period (19-28 February) ends with the two February tickets open.
    assert report.previous.backlog == 2


# The previous period -------------------------------------------------------------------------------------------


def test_the_previous_period_is_the_same_number_of_days_just_before(supervisor, team):
    query = ReportQuery(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    assert query.previous() == ReportQuery(start=datetime.date(2026, 1, 29), end=datetime.date(2026, 2, 28))
    assert query.previous().days == query.days == 31
    for hours in (1, 3):
        closed(at(5, month=2), hours, team=team)
    closed(at(5), 8, team=team)
    closed(at(28, month=1), 1, team=team)  # created and closed on 28 January: before both periods
    report = reports.build(supervisor, query)
    assert report.previous_query == query.previous()
    assert (report.figures.created, report.figures.closed, report.figures.resolution_median) == (1, 1, 8 * HOUR)
    assert (report.previous.created, report.previous.closed, report.previous.resolution_median) == (2, 2, 2 * HOUR)
    figures, previous = reports.headline(supervisor, query.start, query.end)
    assert figures == report.figures
    assert previous == report.previous


def test_whole_months_are_compared_with_whole_months(supervisor, team):
    march_query = march()
    assert reports.months_before(march_query) == ReportQuery(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28))
    spring = ReportQuery(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 4, 30))
    assert (reports.months_before(spring).start, reports.months_before(spring).end) == (
        datetime.date(2026, 1, 1), datetime.date(2026, 2, 28),
    )
    january = ReportQuery(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))
    assert reports.months_before(january).start == datetime.date(2025, 12, 1)
    # Not whole months: the same number of days.
    odd = ReportQuery(start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 31))
    assert reports.months_before(odd) == odd.previous()
    # The headline of March against February: a ticket of 30 January is January's, not the previous period's.
    make(at(30, month=1), team=team)
    make(at(10, month=2), team=team)
    figures, previous = reports.headline(supervisor, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert previous.created == 1
    assert reports.build(supervisor, march()).previous.created == 2  # 29 January - 28 February


def test_a_bad_query_is_refused():
    with pytest.raises(ValueError):
        march(bucket="year")
    with pytest.raises(ValueError):
        march(breakdown="priority")
    with pytest.raises(ValueError):
        ReportQuery(start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 1))


# Who sees what ------------------------------------------------------------------------------------------------


def test_an_agent_gets_nothing_of_another_team_even_by_asking_for_it(agent, team, other_team, colleague):
    mine = closed(at(10), 2, team=team, satisfaction="good", satisfaction_at=at(11))
    theirs = [closed(at(10), 5, team=other_team, assignee=None, satisfaction="bad", satisfaction_at=at(11)) for _ in range(3)]
    make(at(10), team=other_team, first_response_at=at(11), first_response_seconds=HOUR)
    attack = march(teams=(other_team.pk,))
    report = reports.build(agent, attack)
    assert (report.figures.created, report.figures.closed, report.figures.backlog, report.figures.bad) == (0, 0, 0, 0)
    assert report.figures.resolution_median is None and report.figures.first_response_median is None
    assert report.breakdown == []
    assert list(reports.tickets(agent, attack)) == []
    assert reports.headline(agent, attack.start, attack.end)[0].closed == 1  # their own team only
    # By agent, by catalog entry: still only their team's.
    for breakdown in reports.DIMENSIONS:
        rows = reports.build(agent, march(breakdown=breakdown)).breakdown
        assert sum(row.figures.created for row in rows) == 1, breakdown
    assert list(reports.tickets(agent, march())) == [mine]
    assert {ticket.pk for ticket in reports.tickets(factories.make_supervisor("boss"), march())} == {
        mine.pk, *(t.pk for t in theirs), *Ticket.objects.filter(first_response_at__isnull=False).values_list("pk", flat=True)
    }


def test_a_requester_gets_an_empty_report(requester, team, ticket):
    closed(at(10), 2, team=team, requester_user=requester)
    report = reports.build(requester, march())
    assert report.figures.created == 0 and report.breakdown == []
    assert not reports.tickets(requester, march()).exists()


def test_a_supervisor_sees_every_team_and_filters_narrow(supervisor, team, other_team):
    closed(at(10), 2, team=team, kind="bug", channel="email")
    closed(at(10), 4, team=other_team, kind="billing", channel="web")
    make(at(11), team=other_team, kind="bug", channel="web")
    assert reports.build(supervisor, march()).figures.created == 3
    assert reports.build(supervisor, march(teams=(other_team.pk,))).figures.created == 2
    assert reports.build(supervisor, march(kinds=("bug",))).figures.created == 2
    assert reports.build(supervisor, march(kinds=("bug",), channels=("web",))).figures.created == 1
    narrowed = reports.build(supervisor, march(teams=(other_team.pk,), kinds=("billing",))).figures
    assert (narrowed.created, narrowed.closed, narrowed.resolution_median) == (1, 1, 4 * HOUR)


# The breakdown ----------------------------------------------------------------------------------------------


def test_breakdown_rows_and_their_labels(supervisor, team, other_team, agent, colleague, category):
    closed(at(10), 2, team=team, assignee=agent, category=category, kind="bug", channel="email")
    closed(at(10), 6, team=team, assignee=colleague, category=category, kind="bug", channel="email")
    closed(at(11), 4, team=other_team, assignee=None, kind="billing", channel="web")
    make(at(12), team=None)
    with translation.override("en"):
        by_team = reports.build(supervisor, march(breakdown="team")).breakdown
        assert [(row.label, row.figures.created, row.figures.closed, row.figures.backlog) for row in by_team] == [
            ("Billing", 1, 1, 0), ("Helpdesk", 2, 2, 0), ("No team", 1, 0, 1),
        ]
        assert by_team[1].key == team.pk and by_team[2].key is None
        assert by_team[1].figures.resolution_median == 4 * HOUR
        by_agent = reports.build(supervisor, march(breakdown="agent")).breakdown
        assert [row.label for row in by_agent] == ["Alice Agent", "Carl Colleague", "Unassigned"]
        by_kind = reports.build(supervisor, march(breakdown="kind")).breakdown
        assert [(row.key, row.label) for row in by_kind] == [("billing", "Billing"), ("bug", "Bug"), ("question", "Question")]
        by_category = reports.build(supervisor, march(breakdown="category")).breakdown
        assert [(row.label, row.figures.created) for row in by_category] == [("Accounts", 2), ("No catalog entry", 2)]
        by_channel = reports.build(supervisor, march(breakdown="channel")).breakdown
        assert [row.label for row in by_channel] == ["Email", "Web"]


# Queries --------------------------------------------------------------------------------------------------------


# 2 for the permissions; creations, closings, closings by bucket, first responses, ratings, backlog; the labels.
SUPERVISOR_QUERIES = 9
# The headline (the monthly mail): no series, no breakdown, no labels: 2 + created, closed, first responses,
# ratings, backlog.
HEADLINE_QUERIES = 7


def WORK_MEM_QUERIES():  # noqa: N802 - read like the constants beside it
    return 3 if connection.vendor == "postgresql" else 0


@pytest.mark.parametrize("breakdown", reports.DIMENSIONS)
def test_a_fixed_number_of_queries_whatever_the_data(breakdown, team, other_team, category, django_assert_num_queries):
    def fresh(maker, name, *teams):
        # A new account each time: the permission cache of the one before would spare queries.
        return maker(f"{name}{next(_numbers)}", *teams)

    bucket = {"team": "day", "agent": "week", "category": "month"}.get(breakdown, "day")
    query = march(breakdown=breakdown, bucket=bucket)
    # On PostgreSQL the report's transaction sets work_mem: one query, with the savepoint and its release
    # (the test runs inside a transaction).
    expected = SUPERVISOR_QUERIES - (1 if breakdown in ("kind", "channel") else 0) + WORK_MEM_QUERIES()

    def count(maker, extra, *teams):
        user = fresh(maker, "u", *teams)
        with django_assert_num_queries(expected + extra):
            return reports.build(user, query)

    count(factories.make_supervisor, 0)
    count(factories.make_agent, 1, team)
    for day in range(1, 29):
        for which in (team, other_team):
            closed(at(day), day, team=which, category=category, kind="bug", first_response_at=at(day, 13),
                   first_response_seconds=HOUR, satisfaction="good", satisfaction_at=at(day, 14))
            make(at(day), team=which, assignee=factories.make_agent(f"x{next(_numbers)}", which))
    assert count(factories.make_supervisor, 0).figures.created == 28 * 4
    assert count(factories.make_agent, 1, team).figures.created == 28 * 2
    user = fresh(factories.make_supervisor, "u")
    with django_assert_num_queries(HEADLINE_QUERIES + WORK_MEM_QUERIES()):
        reports.headline(user, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def test_the_tickets_behind_a_report(supervisor, team):
    created_in = make(at(10), team=team)
    closed_in = closed(at(10, month=2), 24 * 30, team=team)  # closed on 12 March
    make(at(10, month=2), team=team)  # neither
    assert connection.vendor in ("sqlite", "postgresql")
    assert set(reports.tickets(supervisor, march())) == {created_in, closed_in}
