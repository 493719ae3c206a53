"""The reports page, ``/admin/support/reports/``: what the support did over a period, next to the period before.

Headline figures (created, closed, backlog, first response and resolution times, service level attainment,
satisfaction), each with the previous period's value and the change in words; a line chart of the tickets
created and closed per day, week or month and one of the backlog; a bar chart and a table of the figures per
team, agent, catalog entry, type, channel or site. A GET form chooses the period, the bucket, the breakdown
and filters; a value that is not valid (a date that is no date, a team the user may not see) is named in a
translated error and the report uses the default for it: never a 500.

The numbers come from the engine (``wagtail_support.reports``), which applies the access rules: a supervisor
reads every team, an agent their teams and what is assigned to them. The form offers only the teams and
agents the user may see (``AgentScope``), so a team of someone else is an invalid choice, not a filter the
engine would have to refuse. The charts are SVG drawn on the server (``wagtail_support.charts``) with their
numbers in tables. ``?export=csv|xlsx&table=breakdown|series|tickets`` downloads a table
(``admin.report_export``).
"""

import calendar
import datetime
from functools import cached_property

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from .. import charts
from .. import reports as engine
from ..access import ticket_policy
from ..models import Category, Ticket, person_label
from ..site_config import site_labels
from .paths import admin_url
from .report_export import EXPORT_TABLES, ReportExportMixin
from .scope import AgentScope

PERIOD_LAST_7 = "last_7"
PERIOD_LAST_30 = "last_30"
PERIOD_LAST_90 = "last_90"
PERIOD_THIS_MONTH = "this_month"
PERIOD_LAST_MONTH = "last_month"
PERIOD_THIS_YEAR = "this_year"
PERIOD_CUSTOM = "custom"
PERIOD_CHOICES = [
    (PERIOD_LAST_7, _("Last 7 days")),
    (PERIOD_LAST_30, _("Last 30 days")),
    (PERIOD_LAST_90, _("Last 90 days")),
    (PERIOD_THIS_MONTH, _("This month")),
    (PERIOD_LAST_MONTH, _("Last month")),
    (PERIOD_THIS_YEAR, _("This year")),
    (PERIOD_CUSTOM, _("Custom dates")),
]
DEFAULT_PERIOD = PERIOD_LAST_30

BUCKET_AUTO = ""
BUCKET_CHOICES = [
    (BUCKET_AUTO, _("Automatic")),
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
]
BUCKET_PLURALS = [("day", _("days")), ("week", _("weeks")), ("month", _("months"))]
DIMENSION_CHOICES = [
    ("team", _("Support team")),
    ("agent", _("Assignee")),
    ("category", _("Service catalog entry")),
    ("kind", _("Type")),
    ("channel", _("Channel")),
    ("site", _("Site")),
]
DEFAULT_BREAKDOWN = "team"
# Each breakdown's heading and bar chart title, written whole: a label put in a sentence reads wrong in
# other languages ("Par assigné à").
BREAKDOWN_HEADINGS = {
    "team": _("By support team"),
    "agent": _("By assignee"),
    "category": _("By service catalog entry"),
    "kind": _("By type"),
    "channel": _("By channel"),
    "site": _("By site"),
}
BAR_TITLES = {
    "team": _("%(figure)s by support team"),
    "agent": _("%(figure)s by assignee"),
    "category": _("%(figure)s by service catalog entry"),
    "kind": _("%(figure)s by type"),
    "channel": _("%(figure)s by channel"),
    "site": _("%(figure)s by site"),
}

#: A report covers at most this many buckets (a year and a month of days); a longer one asks for weeks or
#: months: the chart and the engine's series stay readable and bounded.
MAX_BUCKETS = 400
#: Dates a report accepts (a database stores them once converted to UTC).
MIN_YEAR, MAX_YEAR = 2000, 2999

# How a figure reads: a count, a duration (seconds) or a ratio (0..1).
COUNT, DURATION, RATIO = "count", "duration", "ratio"
# Which way is better: up, down, or neither (more tickets created is no one's merit).
UP, DOWN = "up", "down"

#: The figures of ``engine.Figures`` the page shows: (attribute, label, kind, better).
FIGURES = [
    ("created", _("Created"), COUNT, None),
    ("closed", _("Closed"), COUNT, UP),
    ("backlog", _("Backlog at the end"), COUNT, DOWN),
    ("first_response_median", _("First response, median"), DURATION, DOWN),
    ("first_response_p90", _("First response, 90th percentile"), DURATION, DOWN),
    ("resolution_median", _("Resolution, median"), DURATION, DOWN),
    ("resolution_p90", _("Resolution, 90th percentile"), DURATION, DOWN),
    ("first_response_attainment", _("First response on time"), RATIO, UP),
    ("resolution_attainment", _("Resolved on time"), RATIO, UP),
    ("satisfaction", _("Satisfaction"), RATIO, UP),
]
FIGURE_SPECS = {key: (label, kind, better) for key, label, kind, better in FIGURES}
#: The figures the bar chart may show (the breakdown table shows them all).
MEASURE_CHOICES = [(key, label) for key, label, _kind, _better in FIGURES]
DEFAULT_MEASURE = "created"
#: Bars in the breakdown's chart, at most.
MAX_BARS = 20


def month_start(day, months_back=0):
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return datetime.date(year, month + 1, 1)


def period_dates(period, today):
    """The first and last day (inclusive) of a preset period ending ``today``."""
    if period == PERIOD_LAST_7:
        return today - datetime.timedelta(days=6), today
    if period == PERIOD_LAST_90:
        return today - datetime.timedelta(days=89), today
    if period == PERIOD_THIS_MONTH:
        return month_start(today), today
    if period == PERIOD_LAST_MONTH:
        start = month_start(today, 1)
        return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if period == PERIOD_THIS_YEAR:
        return datetime.date(today.year, 1, 1), today
    return today - datetime.timedelta(days=29), today


def bucket_count(start, end, bucket):
    days = (end - start).days + 1
    if bucket == "day":
        return days
    if bucket == "week":
        return days // 7 + 2
    return (end.year - start.year) * 12 + end.month - start.month + 1


def automatic_bucket(start, end):
    """Days up to two months, weeks up to half a year, months beyond."""
    days = (end - start).days + 1
    return "day" if days <= 62 else "week" if days <= 183 else "month"


class ReportFilterForm(forms.Form):
    """The report's choices, read from the query string. Every field is optional: what is missing or invalid
    takes its default (``query()``), and the errors name what was set aside."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    bucket = forms.ChoiceField(label=_("Per"), choices=BUCKET_CHOICES, required=False)
    breakdown = forms.ChoiceField(label=_("Break down by"), choices=DIMENSION_CHOICES, required=False)
    measure = forms.ChoiceField(label=_("Bar chart of"), choices=MEASURE_CHOICES, required=False)
    teams = forms.TypedMultipleChoiceField(label=_("Support teams"), coerce=int, required=False)
    agents = forms.TypedMultipleChoiceField(label=_("Assignees"), coerce=int, required=False)
    categories = forms.TypedMultipleChoiceField(label=_("Service catalog entries"), coerce=int, required=False)
    kinds = forms.MultipleChoiceField(label=_("Types"), choices=Ticket.Kind.choices, required=False)
    channels = forms.MultipleChoiceField(label=_("Channels"), choices=Ticket.Channel.choices, required=False)
    sites = forms.TypedMultipleChoiceField(label=_("Sites"), coerce=int, required=False)

    #: The filters (the engine's ``ReportQuery`` fields of the same names), under "More filters".
    FILTERS = ("teams", "agents", "categories", "kinds", "channels", "sites")

    def __init__(self, data, *, scope, catalog, sites, today):
        start, end = period_dates(DEFAULT_PERIOD, today)
        initial = {"period": DEFAULT_PERIOD, "start": start, "end": end, "breakdown": DEFAULT_BREAKDOWN,
                   "measure": DEFAULT_MEASURE}
        super().__init__(data, initial=initial)
        self.today = today
        self.fields["teams"].choices = [(team.pk, team.name) for team in scope.teams().order_by("name")]
        self.fields["agents"].choices = [(agent.pk, person_label(agent)) for agent in scope.agents()]
        self.fields["categories"].choices = catalog.choices(catalog.entries)
        if sites:
            self.fields["sites"].choices = list(sites.items())
        else:
            # One site: nothing to filter on, and no site to break down by.
            del self.fields["sites"]
            self.fields["breakdown"].choices = [c for c in DIMENSION_CHOICES if c[0] != "site"]
        for name in self.FILTERS:
            if name in self.fields:
                size = min(max(len(self.fields[name].choices), 2), 6)
                self.fields[name].widget.attrs["size"] = size

    def clean(self):
        data = super().clean()
        period = data.get("period") or DEFAULT_PERIOD
        if period == PERIOD_CUSTOM:
            if "start" in self.errors or "end" in self.errors:
                return data
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(gettext("Custom dates need a first and a last day."), code="dates")
            for name, day in (("start", start), ("end", end)):
                if not MIN_YEAR <= day.year <= MAX_YEAR:
                    self.add_error(name, gettext("Enter a date between the years %(first)s and %(last)s.") % {
                        "first": MIN_YEAR, "last": MAX_YEAR})
                    return data
            if start > end:
                raise forms.ValidationError(gettext("The first day comes after the last day."), code="order")
        else:
            start, end = period_dates(period, self.today)
        bucket = data.get("bucket") or automatic_bucket(start, end)
        if bucket_count(start, end, bucket) > MAX_BUCKETS:
            self.add_error("bucket", gettext(
                "Too many %(bucket)s for one chart: choose a shorter period or count per week or month."
            ) % {"bucket": dict(BUCKET_PLURALS)[bucket]})
            return data
        data["range"] = (start, end, bucket)
        return data

    def value(self, name, default):
        """The field's clean value, or ``default`` when it is missing or invalid."""
        if name in self.errors or not hasattr(self, "cleaned_data"):
            return default
        return self.cleaned_data.get(name) or default

    def query(self):
        """The ``engine.ReportQuery`` of the valid choices, the defaults taking the place of invalid ones."""
        self.is_valid()
        found = getattr(self, "cleaned_data", {}).get("range")
        if found is None:
            start, end = period_dates(DEFAULT_PERIOD, self.today)
            bucket = automatic_bucket(start, end)
            self.period = DEFAULT_PERIOD
        else:
            start, end, bucket = found
            self.period = self.value("period", DEFAULT_PERIOD)
        filters = {name: tuple(self.value(name, ())) for name in self.FILTERS if name in self.fields}
        return engine.ReportQuery(
            start=start,
            end=end,
            bucket=bucket,
            breakdown=self.value("breakdown", DEFAULT_BREAKDOWN),
            **filters,
        )

    def field_errors(self):
        """``[(label, message)]`` of every error, for the summary above the report."""
        found = [(None, message) for message in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name != forms.forms.NON_FIELD_ERRORS:
                found += [(self.fields[name].label, message) for message in errors]
        return found


# Reading the figures ---------------------------------------------------------------------------------------


def format_figure(kind, value):
    if kind == DURATION:
        return charts.format_duration(value)
    if kind == RATIO:
        return charts.format_percent(value)
    return charts.format_number(value)


def describe_change(kind, better, current, previous):
    """The change from ``previous`` to ``current`` in words: ``{"arrow", "text", "verdict", "class"}``, or
    ``None`` when either is unknown. The words carry the direction; the class only colours them."""
    if current is None or previous is None:
        return None
    difference = current - previous
    if kind == RATIO:
        difference = round(difference * 100)
    elif kind == DURATION:
        difference = round(difference / 60) * 60
    if not difference:
        return {"arrow": "", "text": gettext("no change"), "verdict": "", "class": ""}
    rising = difference > 0
    amount = abs(difference)
    if kind == COUNT:
        text = gettext("up %(amount)s") if rising else gettext("down %(amount)s")
        text = text % {"amount": charts.format_number(amount)}
        if previous:
            text += " (%s)" % charts.format_percent(abs(difference) / previous)
    elif kind == DURATION:
        text = gettext("%(amount)s longer") if rising else gettext("%(amount)s shorter")
        text = text % {"amount": charts.format_duration(amount)}
    else:
        text = gettext("up %(points)s points") if rising else gettext("down %(points)s points")
        text = text % {"points": charts.format_number(amount)}
    verdict, css = "", ""
    if better:
        good = rising == (better == UP)
        verdict = gettext("better") if good else gettext("worse")
        css = "ws-reports-change--better" if good else "ws-reports-change--worse"
    return {"arrow": "▲" if rising else "▼", "text": text, "verdict": verdict, "class": css}


def figure_cards(report):
    """The headline cards: label, value, the previous value and the change, and a note (how many tickets a
    time or a ratio counts)."""
    figures, previous = report.figures, report.previous
    notes = {
        "first_response_attainment": (figures.first_response_targets, previous.first_response_targets),
        "resolution_attainment": (figures.resolution_targets, previous.resolution_targets),
        "satisfaction": (figures.good + figures.bad, previous.good + previous.bad),
    }
    cards = []
    for key, label, kind, better in FIGURES:
        current, before = getattr(figures, key), getattr(previous, key)
        note = ""
        if key in notes:
            count = notes[key][0]
            if key == "satisfaction":
                note = gettext("%(count)s ratings") % {"count": charts.format_number(count)}
            else:
                note = gettext("%(count)s tickets with a target") % {"count": charts.format_number(count)}
        cards.append({
            "key": key,
            "label": label,
            "value": format_figure(kind, current),
            "previous": format_figure(kind, before),
            "change": describe_change(kind, better, current, before),
            "note": note,
        })
    return cards


def breakdown_rows(report):
    """The breakdown table: per value, every figure formatted; the totals first."""
    def cells(figures):
        return [format_figure(kind, getattr(figures, key)) for key, _label, kind, _better in FIGURES]

    return [{"label": row.label, "cells": cells(row.figures)} for row in report.breakdown]


def measure_chart(report, measure, dimension_label):
    label, kind, _better = FIGURE_SPECS[measure]
    rows = [(row.label, getattr(row.figures, measure)) for row in report.breakdown]
    note = ""
    if len(rows) > MAX_BARS:
        # The highest values only (a desk of 200 agents is no chart); the table under it has every one.
        rows = sorted(rows, key=lambda row: (row[1] is None, -(row[1] or 0)))[:MAX_BARS]
        note = gettext("The %(count)s highest; the table below holds every one.") % {"count": MAX_BARS}
    title = str(BAR_TITLES[report.query.breakdown]) % {"figure": label}
    options = {"integer": True, "value_format": charts.format_number}
    if kind == DURATION:
        options = {"integer": False, "value_format": charts.format_duration, "scale": 1 / 3600}
    elif kind == RATIO:
        options = {"integer": True, "value_format": charts.format_percent, "scale": 100}
    chart = charts.bar_chart(
        "ws-chart-breakdown", title=title, rows=rows, label_heading=dimension_label, value_label=label, **options
    )
    chart.note = note
    return chart


def series_charts(report, bucket_label):
    labels = [bucket.label for bucket in report.series]
    flow = charts.line_chart(
        "ws-chart-flow",
        title=gettext("Tickets created and closed per %(bucket)s") % {"bucket": bucket_label},
        labels=labels,
        series=[
            (gettext("Created"), [bucket.created for bucket in report.series]),
            (gettext("Closed"), [bucket.closed for bucket in report.series]),
        ],
        value_label=gettext("Tickets"),
        time_label=str(bucket_label).capitalize(),
    )
    backlog = charts.line_chart(
        "ws-chart-backlog",
        title=gettext("Backlog: tickets not closed at the end of each %(bucket)s") % {"bucket": bucket_label},
        labels=labels,
        series=[(gettext("Backlog"), [bucket.backlog for bucket in report.series])],
        value_label=gettext("Tickets"),
        time_label=str(bucket_label).capitalize(),
    )
    return flow, backlog


class ReportsView(PermissionCheckedMixin, ReportExportMixin, WagtailAdminTemplateMixin, TemplateView):
    """The reports page, for agents (their teams) and supervisors (every team)."""

    permission_policy = ticket_policy
    permission_required = "work"
    template_name = "wagtail_support/admin/reports/index.html"
    page_title = _("Reports")
    header_icon = "doc-full"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    @cached_property
    def scope(self):
        return AgentScope.for_request(self.request)

    @cached_property
    def catalog(self):
        return Category.objects.tree()

    @cached_property
    def category_names(self):
        return {entry.pk: entry.full_name for entry in self.catalog.entries}

    @cached_property
    def form(self):
        data = self.request.GET.copy()
        for key in ("export", "table"):
            data.pop(key, None)
        return ReportFilterForm(
            data or None, scope=self.scope, catalog=self.catalog, sites=site_labels(), today=self.today
        )

    @cached_property
    def today(self):
        # Today in the zone whose days the reports count (the engine's), not the agent's.
        return datetime.datetime.now(engine.time_zone()).date()

    @cached_property
    def query(self):
        return self.form.query()

    @cached_property
    def measure(self):
        return self.form.value("measure", DEFAULT_MEASURE)

    @cached_property
    def dimension_label(self):
        return dict(DIMENSION_CHOICES)[self.query.breakdown]

    @cached_property
    def report(self):
        return engine.build(self.request.user, self.query)

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") in self.FORMATS and request.GET.get("table") in EXPORT_TABLES:
            return self.export_response(request.GET["table"], request.GET["export"])
        return super().get(request, *args, **kwargs)

    def export_links(self):
        params = self.request.GET.copy()
        links = []
        for table, label in EXPORT_TABLES.items():
            urls = []
            for format in (self.FORMAT_CSV, self.FORMAT_XLSX):
                params["export"], params["table"] = format, table
                urls.append((format.upper(), f"{admin_url('reports')}?{params.urlencode()}"))
            links.append({"label": label, "urls": urls})
        return links

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report, query = self.report, self.query
        dimension_label = self.dimension_label
        bucket_label = dict(BUCKET_CHOICES)[query.bucket].lower()
        flow, backlog = series_charts(report, bucket_label)
        form = self.form
        context.update({
            "form": form,
            "filter_fields": [form[name] for name in form.FILTERS if name in form.fields],
            "filters_used": any(getattr(query, name) for name in form.FILTERS),
            "errors": form.field_errors() if form.is_bound else [],
            "report": report,
            "query": query,
            "previous_query": report.previous_query,
            "cards": figure_cards(report),
            "flow_chart": flow,
            "backlog_chart": backlog,
            "breakdown_chart": measure_chart(report, self.measure, dimension_label),
            "dimension_label": dimension_label,
            "breakdown_heading": BREAKDOWN_HEADINGS[query.breakdown],
            "figure_headings": [label for _key, label, _kind, _better in FIGURES],
            "breakdown_rows": breakdown_rows(report),
            "total_cells": [format_figure(kind, getattr(report.figures, key)) for key, _l, kind, _b in FIGURES],
            "export_links": self.export_links(),
            "reset_url": admin_url("reports"),
        })
        return context
