"""The reports: how many tickets came and went, how fast they were answered and resolved, how often the
service levels were kept and what the requesters thought, over a period, by team, agent, catalog entry, type,
channel or site, compared with the period before. Read-only; the admin page, the exports and the monthly
summary mail ask here.

What each figure counts (every bound in the reports time zone, ``WAGTAILSUPPORT_REPORTS_TIME_ZONE``, else
``TIME_ZONE``; a period runs from the start of its first day to the end of its last):

- ``created``: the tickets created in the period.
- ``closed``: the tickets whose (current) closing, ``closed_at``, falls in the period; a ticket reopened and not
  closed again counts nowhere as closed.
- ``backlog``: the tickets created before the end of the period and not closed at that moment (by their current
  closing: a ticket reopened since counts as not closed). In the series, at the end of each bucket.
- first response ``*_median`` / ``*_p90`` / ``*_attainment``: over the tickets whose first response was given in
  the period (``first_response_at``), their ``first_response_seconds`` and ``first_response_met``.
- resolution ``*_median`` / ``*_p90`` / ``*_attainment``: over the tickets closed in the period, their
  ``resolution_seconds`` and ``resolution_met``.
- Durations are in seconds: business seconds of the ticket's calendar where its service level policy counts in
  business hours, clock seconds otherwise (``service_levels`` records them when they happen). The median and
  the 90th percentile interpolate linearly between the two nearest values (PostgreSQL's ``percentile_cont``;
  computed in Python on other databases, with the same results). ``None`` when there is no value, never 0.
- Attainment: the share of the tickets with a target that met it (``None`` when none had a target); the
  number of tickets with a target beside it (``*_targets``).
- ``satisfaction``: good / (good + bad) over the ratings given in the period (``satisfaction_at``, the
  current rating of each ticket); ``None`` without a rating.
- Buckets: days, ISO weeks (from Monday) and months, in the reports time zone; a bucket cut by the period's
  bounds counts only its days inside the period.
- The previous period: the same number of days just before (``ReportQuery.previous``).

Who sees what is ``access``'s rule (``access.worked_tickets``): a supervisor every team, an agent the tickets of
their teams and those assigned to them; the filters only narrow that.

The cost: a report runs 9 queries whatever the data, the period or the bucket (2 for the permissions, one
for each of the creations, closings, closings by bucket, first responses, ratings and the backlog, one for
the breakdown's labels; an agent's teams make 10; ``headline`` runs 7). Each measure is one index range
covering the period and the one before, aggregated by the database: on PostgreSQL with ``GROUPING SETS`` (by
breakdown key and in total) and ``percentile_cont``, from the covering indexes of migration 0029 (no table access); elsewhere
the same rows are read and the same figures computed here. The backlog reads only the small sets (what is
not closed, what was closed after the period). ``Percentile`` is the ORM aggregate of ``percentile_cont`` for
other queries. Measured at 100,000 tickets in ``make bench`` ("reports engine: ...").
"""

import contextlib
import datetime
import math
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import Aggregate, Case, Count, DateField, F, FloatField, IntegerField, Q, Value, When
from django.db.models.functions import Cast, TruncDay, TruncMonth, TruncWeek
from django.utils import formats
from django.utils.translation import gettext, gettext_lazy as _
from wagtail.models import Site

from . import access, service_levels
from .conf import support_settings
from .models import Category, Team, Ticket, person_label

DIMENSIONS = ("team", "agent", "category", "kind", "channel", "site")
BUCKETS = ("day", "week", "month")

# The ticket column of each dimension.
DIMENSION_FIELDS = {
    "team": "team_id",
    "agent": "assignee_id",
    "category": "category_id",
    "kind": "kind",
    "channel": "channel",
    "site": "site_id",
}
DIMENSION_LABELS = {
    "team": _("Team"),
    "agent": _("Agent"),
    "category": _("Service catalog entry"),
    "kind": _("Type"),
    "channel": _("Channel"),
    "site": _("Site"),
}
# What a row without a value is called.
NONE_LABELS = {
    "team": _("No team"),
    "agent": _("Unassigned"),
    "category": _("No catalog entry"),
    "kind": _("No type"),
    "channel": _("No channel"),
    "site": _("No site"),
}
BUCKET_LABELS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


# The question and the answer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportQuery:
    """A report's period (days in the reports time zone, both inclusive), bucket, breakdown and filters.
    Filters hold ids (teams, agents, catalog entries, sites) or codes (types, channels); empty: all."""

    start: datetime.date
    end: datetime.date
    bucket: str = "day"
    breakdown: str = "team"
    teams: tuple = ()
    agents: tuple = ()
    categories: tuple = ()
    kinds: tuple = ()
    channels: tuple = ()
    sites: tuple = ()

    def __post_init__(self):
        if self.bucket not in BUCKETS:
            raise ValueError(f"Unknown bucket: {self.bucket!r}")
        if self.breakdown not in DIMENSIONS:
            raise ValueError(f"Unknown breakdown: {self.breakdown!r}")
        if self.end < self.start:
            raise ValueError(f"The period ends ({self.end}) before it starts ({self.start}).")
        for name in ("teams", "agents", "categories", "kinds", "channels", "sites"):
            object.__setattr__(self, name, tuple(getattr(self, name) or ()))

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def previous(self):
        """The same number of days just before this period, with the same bucket, breakdown and filters."""
        return replace(self, start=self.start - datetime.timedelta(days=self.days), end=self.start - datetime.timedelta(days=1))


@dataclass
class Figures:
    created: int = 0
    closed: int = 0
    backlog: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None
    first_response_attainment: float | None = None
    first_response_targets: int = 0
    resolution_attainment: float | None = None
    resolution_targets: int = 0
    satisfaction: float | None = None
    good: int = 0
    bad: int = 0
    # The tickets behind the medians (first responses given, closings timed) and the targets met.
    first_responses: int = 0
    first_response_met: int = 0
    resolutions: int = 0
    resolution_met: int = 0

    @property
    def ratings(self):
        return self.good + self.bad


@dataclass
class Bucket:
    start: datetime.date
    label: str
    created: int
    closed: int
    backlog: int
    end: datetime.date | None = None  # the bucket's last day inside the period


@dataclass
class BreakdownRow:
    key: object
    label: str
    figures: Figures


@dataclass
class Report:
    query: ReportQuery
    previous_query: ReportQuery
    figures: Figures
    previous: Figures
    series: list = field(default_factory=list)
    breakdown: list = field(default_factory=list)

    @property
    def time_zone(self):
        return time_zone()


# The public API -------------------------------------------------------------------------------------------


def build(user, query):
    """The report ``query`` asks for, over the tickets ``user`` may work on (``access``)."""
    with _sort_memory():
        return _compute(user, query, detailed=True)


@contextlib.contextmanager
def _sort_memory(using=None):
    """On PostgreSQL, ``WAGTAILSUPPORT_REPORTS_WORK_MEM`` for the report's queries: one transaction, with
    ``work_mem`` set for it only (``set_config(..., true)``). The percentiles sort every duration of the two
    periods; with the server's default 4 MB a year's sorts go to disk. One query more (three inside an
    outer transaction: its savepoint and release); nothing elsewhere."""
    value, using = support_settings.REPORTS_WORK_MEM, using or Ticket.objects.db
    if not value or connections[using].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [str(value)])
        yield


def headline(user, start, end):
    """The figures of ``start``-``end`` (dates, inclusive) and of the period just before, for ``user``: what
    the monthly summary mail says. A period of whole calendar months is compared with as many whole months
    just before (February with January), any other with ``ReportQuery.previous``."""
    query = ReportQuery(start=start, end=end, bucket="month")
    with _sort_memory():
        report = _compute(user, query, detailed=False, previous_query=months_before(query))
    return report.figures, report.previous


def tickets(user, query):
    """The tickets behind the report: created or closed in the period, filtered, and only those ``user`` may
    work on (for exports)."""
    start, end = bounds(query)
    return _base(user, query).filter(
        Q(created_at__gte=start, created_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end)
    )


def months_before(query):
    """The whole calendar months just before ``query`` when it covers whole months (1 March-30 April: 1
    January-28 February), else ``query.previous()``."""
    following = query.end + datetime.timedelta(days=1)
    if query.start.day != 1 or following.day != 1:
        return query.previous()
    months = (query.end.year - query.start.year) * 12 + query.end.month - query.start.month + 1
    start = query.start
    for _month in range(months):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    return replace(query, start=start, end=query.start - datetime.timedelta(days=1))


def time_zone():
    """The zone whose days, weeks and months the reports count in."""
    return ZoneInfo(support_settings.REPORTS_TIME_ZONE or settings.TIME_ZONE or "UTC")


def bounds(query, zone=None):
    """The period of ``query`` as aware datetimes: from its first day's midnight to the midnight after its last
    day (excluded), in the reports time zone."""
    zone = zone or time_zone()
    start = datetime.datetime.combine(query.start, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(query.end + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return start, end


# Percentiles ----------------------------------------------------------------------------------------------


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``: the value at
    ``fraction`` of the ordered values, interpolated linearly; NULLs ignored. ``percentile`` does the same
    in Python for the other databases."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError(f"A percentile's fraction is between 0 and 1, not {fraction!r}")
        super().__init__(expression, fraction=repr(fraction), **extra)


def percentile(values, fraction):
    """``percentile_cont`` in Python: ``None`` for no value."""
    values = sorted(value for value in values if value is not None)
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return float(values[low] + (values[high] - values[low]) * (position - low))


def _native_percentiles(queryset):
    return connections[queryset.db].vendor == "postgresql"


# The computation ------------------------------------------------------------------------------------------


def _scope(user):
    """The tickets ``user`` works on, through ``access`` (the teams read once, as a list: see
    ``access.agent_tickets_q``)."""
    if not access.is_agent(user):
        return Ticket.objects.none()
    if access.can_view_all(user):
        return access.worked_tickets(user)
    team_ids = list(Team.objects.filter(members=user).values_list("pk", flat=True))
    return access.worked_tickets(user, team_ids=team_ids)


def _filters(query):
    q = Q()
    for name, column in (
        ("teams", "team_id"),
        ("agents", "assignee_id"),
        ("categories", "category_id"),
        ("kinds", "kind"),
        ("channels", "channel"),
        ("sites", "site_id"),
    ):
        values = getattr(query, name)
        if values:
            q &= Q(**{f"{column}__in": list(values)})
    return q


def _base(user, query):
    return _scope(user).filter(_filters(query)).order_by()


def _current(column, start):
    """1 for a row of the current period, 0 for one of the previous (the rows read span both)."""
    return Case(When(**{f"{column}__gte": start}, then=Value(1)), default=Value(0), output_field=IntegerField())


def _bucket(column, start, bucket, zone):
    """The bucket of a row of the current period (the first day of its day, week or month in the reports time
    zone); ``None`` for the previous period's, whose buckets nobody reads."""
    trunc = Cast(TRUNC[bucket](column, tzinfo=zone, output_field=DateField()), DateField())
    return Case(When(**{f"{column}__gte": start}, then=trunc), default=None, output_field=DateField())


# The sets of a timed measure (first responses, closings): by breakdown key (current period), in total.
BY_KEY, TOTAL = "key", "total"


def _timed(rows, native):
    """Aggregate the rows of a timed measure: ``rows`` is a ``values()`` queryset of ``cur`` (1: current
    period, 0: previous), ``k`` (breakdown key), ``s`` (seconds), ``m`` (target met, ``None`` without one)
    and ``e`` (created before the period, for the backlog). Returns ``{(set, cur, k): {"n", "met",
    "targets", "early", "p50", "p90"}}`` for the sets ``BY_KEY`` (current period) and ``TOTAL`` (both
    periods, key ``None``). One query: on PostgreSQL, grouped with ``GROUPING SETS`` and ``percentile_cont``
    (every row goes through one sort per set it is in: the buckets are counted by a query of their own,
    cheaper than a third set); elsewhere the rows are read and the same figures computed here."""
    found = {}
    if native:
        try:
            inner, params = rows.query.sql_with_params()
        except EmptyResultSet:  # nothing to read (someone who works on no ticket)
            return found
        sql = (
            "SELECT cur, k, GROUPING(k), COUNT(*), COUNT(*) FILTER (WHERE m), COUNT(m), "
            "COUNT(*) FILTER (WHERE e = 1), "
            # Both fractions from one sort of each group's values.
            "PERCENTILE_CONT(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s) "
            f"FROM ({inner}) AS x GROUP BY GROUPING SETS ((cur, k), (cur))"
        )
        with connections[rows.db].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        sets = {0: BY_KEY, 1: TOTAL}
        for cur, k, grouping, n, met, targets, early, (p50, p90) in fetched:
            name = sets[grouping]
            if name != TOTAL and not cur:
                continue
            group = (name, cur, k if name == BY_KEY else None)
            found[group] = {"n": n, "met": met, "targets": targets, "early": early, "p50": p50, "p90": p90}
        return found
    values = {}
    for row in rows:
        groups = [(TOTAL, row["cur"], None)]
        if row["cur"]:
            groups.append((BY_KEY, 1, row["k"]))
        for group in groups:
            entry = found.setdefault(group, {"n": 0, "met": 0, "targets": 0, "early": 0})
            entry["n"] += 1
            entry["met"] += row["m"] is True
            entry["targets"] += row["m"] is not None
            entry["early"] += row["e"] == 1
            values.setdefault(group, []).append(row["s"])
    for group, entry in found.items():
        entry["p50"] = percentile(values[group], 0.5)
        entry["p90"] = percentile(values[group], 0.9)
    return found


def _timed_rows(base, column, seconds, met, start, end, previous_start, key, early=False):
    """The rows ``_timed`` reads: the tickets whose ``column`` falls in the period or the previous one
    (``early``: mark those created before the period, else 0: a column its index need not hold)."""
    created_before = Case(When(created_at__lt=start, then=Value(1)), default=Value(0), output_field=IntegerField())
    return (
        base.filter(**{f"{column}__gte": previous_start, f"{column}__lt": end})
        .annotate(
            cur=_current(column, start),
            k=key,
            s=F(seconds),
            m=F(met),
            e=created_before if early else Value(0, output_field=IntegerField()),
        )
        .values("cur", "k", "s", "m", "e")
    )


def _apply_timed(figures, entry, prefix):
    if not entry:
        return
    setattr(figures, f"{prefix}_median", entry["p50"])
    setattr(figures, f"{prefix}_p90", entry["p90"])
    setattr(figures, f"{prefix}_targets", entry["targets"])
    setattr(figures, f"{prefix}_attainment", entry["met"] / entry["targets"] if entry["targets"] else None)
    if prefix == "first_response":
        figures.first_responses, figures.first_response_met = entry["n"], entry["met"]
    else:
        figures.resolutions, figures.resolution_met = entry["n"], entry["met"]
        figures.closed = entry["n"]


def _compute(user, query, detailed, previous_query=None):
    """The report; ``previous_query`` (by default ``query.previous()``) must end the day before ``query``.

    Seven queries whatever the data (five without ``detailed``, which leaves out the series, the breakdown and
    its labels), besides the permissions and an agent's teams: the creations, the closings, the closings by
    bucket, the first responses, the ratings, the backlog, the labels. Each reads one index range of the period and the one
    before (on PostgreSQL, migration 0029's covering indexes: no table access)."""
    zone = time_zone()
    start, end = bounds(query, zone)
    previous_query = previous_query or query.previous()
    previous_start, _previous_end = bounds(previous_query, zone)
    base = _base(user, query)
    native = _native_percentiles(base)
    key = F(DIMENSION_FIELDS[query.breakdown]) if detailed else Value(None, output_field=IntegerField())
    bucket = query.bucket if detailed else None

    totals, previous, rows = Figures(), Figures(), {}
    series_created, series_closed = {}, {}

    def row(k):
        if k not in rows:
            rows[k] = Figures()
        return rows[k]

    # Created: by breakdown key and bucket (current period), in total (both).
    created = (
        base.filter(created_at__gte=previous_start, created_at__lt=end)
        .annotate(
            cur=_current("created_at", start),
            k=key,
            b=_bucket("created_at", start, bucket, zone) if bucket else Value(None, output_field=DateField()),
        )
        .values("cur", "k", "b")
        .annotate(n=Count("*"))
    )
    for entry in created:
        if not entry["cur"]:
            previous.created += entry["n"]
            continue
        totals.created += entry["n"]
        if detailed:
            row(entry["k"]).created += entry["n"]
            series_created[entry["b"]] = series_created.get(entry["b"], 0) + entry["n"]

    # Closings (resolution times, attainment, and those created before the period for its backlog) and first
    # responses.
    closed_early = {}
    closings = _timed_rows(
        base, "closed_at", "resolution_seconds", "resolution_met", start, end, previous_start, key, early=True
    )
    for (name, cur, k), entry in _timed(closings, native).items():
        if name == TOTAL:
            _apply_timed(totals if cur else previous, entry, "resolution")
            if cur:
                closed_early[None] = entry["early"]
        elif name == BY_KEY and detailed:
            _apply_timed(row(k), entry, "resolution")
            closed_early[k] = entry["early"]
    if detailed:
        # The closings of each bucket, for the series (a hash count on the same index range).
        by_bucket = (
            base.filter(closed_at__gte=start, closed_at__lt=end)
            .annotate(b=Cast(TRUNC[bucket]("closed_at", tzinfo=zone, output_field=DateField()), DateField()))
            .values("b")
            .annotate(n=Count("*"))
        )
        series_closed = {entry["b"]: entry["n"] for entry in by_bucket}
    answered = _timed_rows(
        base, "first_response_at", "first_response_seconds", "first_response_met", start, end, previous_start, key
    )
    for (name, cur, k), entry in _timed(answered, native).items():
        if name == TOTAL:
            _apply_timed(totals if cur else previous, entry, "first_response")
        elif name == BY_KEY and detailed:
            _apply_timed(row(k), entry, "first_response")

    # Satisfaction: the ratings given in the period.
    rated = (
        base.filter(satisfaction_at__gte=previous_start, satisfaction_at__lt=end)
        .annotate(cur=_current("satisfaction_at", start), k=key)
        .values("cur", "k")
        .annotate(
            # Counted on a column the index holds (COUNT(*) takes no FILTER in Django).
            good=Count("satisfaction", filter=Q(satisfaction=Ticket.Satisfaction.GOOD)),
            bad=Count("satisfaction", filter=Q(satisfaction=Ticket.Satisfaction.BAD)),
        )
    )
    for entry in rated:
        for target in [totals if entry["cur"] else previous] + ([row(entry["k"])] if detailed and entry["cur"] else []):
            target.good += entry["good"]
            target.bad += entry["bad"]

    # The backlog at the end of the period: created before it and not closed then, i.e. not closed now or
    # closed after it. At the end of the previous period (the start of this one), the same, plus the tickets
    # closed during this period that were created before it (counted with the closings). Both sets are small
    # (the partial indexes of the backlog and of closed_at) whatever the history.
    not_closed = ~Q(status=Ticket.Status.CLOSED)
    backlog = (
        base.filter(not_closed | Q(closed_at__gte=end), created_at__lt=end)
        .annotate(k=key)
        .values("k")
        .annotate(cur=Count("*"), prev=Count("created_at", filter=Q(created_at__lt=start)))
    )
    for entry in backlog:
        totals.backlog += entry["cur"]
        previous.backlog += entry["prev"]
        if detailed and entry["cur"]:
            row(entry["k"]).backlog += entry["cur"]
    previous.backlog += closed_early.get(None, 0)

    for figures in [totals, previous, *rows.values()]:
        figures.satisfaction = figures.good / figures.ratings if figures.ratings else None

    report = Report(query=query, previous_query=previous_query, figures=totals, previous=previous)
    if detailed:
        report.series = _series(query, totals.backlog, series_created, series_closed)
        labels = _labels(query.breakdown, list(rows))
        report.breakdown = sorted(
            (BreakdownRow(key=k, label=labels[k], figures=figures) for k, figures in rows.items()),
            key=lambda item: (item.key is None, str(item.label).lower(), str(item.key)),
        )
    return report


def _bucket_starts(query):
    """The buckets of the period: (first day of the bucket, last day inside the period)."""
    first = query.start
    if query.bucket == "week":
        first -= datetime.timedelta(days=first.weekday())
    elif query.bucket == "month":
        first = first.replace(day=1)
    found = []
    while first <= query.end:
        if query.bucket == "day":
            following = first + datetime.timedelta(days=1)
        elif query.bucket == "week":
            following = first + datetime.timedelta(days=7)
        else:
            following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        found.append((first, min(following - datetime.timedelta(days=1), query.end)))
        first = following
    return found


def bucket_label(bucket, day):
    if bucket == "day":
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    if bucket == "week":
        return gettext("Week of %(date)s") % {"date": formats.date_format(day, "SHORT_DATE_FORMAT")}
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def _series(query, backlog_at_end, created, closed):
    """The buckets, with the backlog at each one's end worked back from the backlog at the period's end:
    each later bucket's creations taken off and its closings put back."""
    buckets = _bucket_starts(query)
    found = []
    backlog = backlog_at_end
    for first, last in reversed(buckets):
        found.append(
            Bucket(
                start=first,
                label=bucket_label(query.bucket, first),
                created=created.get(first, 0),
                closed=closed.get(first, 0),
                backlog=backlog,
                end=last,
            )
        )
        backlog = backlog - created.get(first, 0) + closed.get(first, 0)
    found.reverse()
    return found


def _labels(dimension, keys):
    """What each breakdown key is called. One query for the dimensions kept in a table (always one, so the
    number of queries does not depend on the data), none for types and channels."""
    labels = {None: str(NONE_LABELS[dimension])}
    ids = sorted(k for k in keys if k is not None) if dimension not in ("kind", "channel") else []
    lookup = ids or [0]  # an empty list would skip the query
    if dimension == "team":
        labels.update(Team.objects.filter(pk__in=lookup).values_list("pk", "name"))
    elif dimension == "agent":
        users = get_user_model().objects.filter(pk__in=lookup)
        labels.update((user.pk, person_label(user)) for user in users)
    elif dimension == "category":
        labels.update(Category.objects.filter(pk__in=lookup).values_list("pk", "name"))
    elif dimension == "site":
        labels.update((site.pk, site.site_name or site.hostname) for site in Site.objects.filter(pk__in=lookup))
    elif dimension == "kind":
        labels.update((k, str(Ticket.Kind(k).label) if k in Ticket.Kind.values else k) for k in keys if k)
    elif dimension == "channel":
        labels.update((k, str(Ticket.Channel(k).label) if k in Ticket.Channel.values else k) for k in keys if k)
    for k in keys:
        labels.setdefault(k, str(k))
    return labels


# The monthly summary ------------------------------------------------------------------------------------------

# The headline figures of the summary mail: (label, figure, how it is written).
SUMMARY_ROWS = (
    (_("Tickets created"), "created", "count"),
    (_("Tickets closed"), "closed", "count"),
    (_("Open at the end of the period"), "backlog", "count"),
    (_("First response, median"), "first_response_median", "duration"),
    (_("First response, 90th percentile"), "first_response_p90", "duration"),
    (_("Resolution, median"), "resolution_median", "duration"),
    (_("Resolution, 90th percentile"), "resolution_p90", "duration"),
    (_("First responses on time"), "first_response_attainment", "share"),
    (_("Resolutions on time"), "resolution_attainment", "share"),
    (_("Satisfied requesters"), "satisfaction", "share"),
)
# How many tickets each share is of.
SHARE_OF = {
    "first_response_attainment": "first_response_targets",
    "resolution_attainment": "resolution_targets",
    "satisfaction": "ratings",
}


def figures_from(data):
    """``Figures`` from a dict of its fields (``dataclasses.asdict``; unknown keys ignored)."""
    names = set(Figures.__dataclass_fields__)
    return Figures(**{name: value for name, value in (data or {}).items() if name in names})


def written(figures, name, how):
    """One figure as a person reads it, in the active language ("–" when there is none)."""
    value = getattr(figures, name)
    if value is None:
        return "–"
    if how == "count":
        return formats.number_format(value, force_grouping=True)
    if how == "duration":
        return service_levels.duration(round(value / 60))
    share = gettext("%(percent)s%%") % {"percent": formats.number_format(round(value * 100))}
    return gettext("%(share)s of %(count)s") % {"share": share, "count": getattr(figures, SHARE_OF[name])}


def summary_rows(figures, previous):
    """The monthly mail's table: ``(label, this period, the period before)``, written in the active language."""
    return [(str(label), written(figures, name, how), written(previous, name, how)) for label, name, how in SUMMARY_ROWS]
