"""The reports page's downloads, through Wagtail's ``SpreadsheetExportMixin`` as the inbox's (``admin.export``):
``?export=csv|xlsx&table=...`` on any address of the page, with its filters.

- ``breakdown``: the report's table, a row per value of the breakdown, the period's totals and the previous
  period's first; times in hours (business hours where a service level applies), ratios in percent;
- ``series``: a row per day, week or month: created, closed, backlog;
- ``tickets``: the tickets behind the report (``reports.tickets``, scoped like the figures): their own
  fields and the report's measures, never a message. Read in chunks, the CSV streamed, the XLSX written to a
  temporary file (``TicketExportMixin``), so a year of tickets takes the memory of a few.

Numbers stay numbers in the XLSX; a text a person typed (a subject, a team's name) never becomes a formula.
"""

import datetime
from collections import OrderedDict

from functools import cached_property

from django.db.models.query import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import reports as engine
from ..models import Ticket, person_label
from .export import EXPORT_CHUNK, TicketExportMixin, text_cell

EXPORT_TABLES = {
    "breakdown": _("The report's table"),
    "series": _("Tickets per day, week or month"),
    "tickets": _("The tickets behind the report"),
}

HOUR = 3600


def _hours(seconds):
    return None if seconds is None else round(seconds / HOUR, 2)


def _percent(ratio):
    return None if ratio is None else round(ratio * 100, 1)


# (key, heading, value of an ``engine.Figures``): the figures' columns of the breakdown table.
FIGURE_COLUMNS = [
    ("created", _("Created"), lambda f: f.created),
    ("closed", _("Closed"), lambda f: f.closed),
    ("backlog", _("Backlog at the end"), lambda f: f.backlog),
    ("first_response_median", _("First response, median (hours)"), lambda f: _hours(f.first_response_median)),
    ("first_response_p90", _("First response, 90th percentile (hours)"), lambda f: _hours(f.first_response_p90)),
    ("resolution_median", _("Resolution, median (hours)"), lambda f: _hours(f.resolution_median)),
    ("resolution_p90", _("Resolution, 90th percentile (hours)"), lambda f: _hours(f.resolution_p90)),
    ("first_response_attainment", _("First response on time (%)"), lambda f: _percent(f.first_response_attainment)),
    ("first_response_targets", _("Tickets with a first response target"), lambda f: f.first_response_targets),
    ("resolution_attainment", _("Resolved on time (%)"), lambda f: _percent(f.resolution_attainment)),
    ("resolution_targets", _("Tickets with a resolution target"), lambda f: f.resolution_targets),
    # xgettext:no-python-format
    ("satisfaction", _("Satisfaction (% good)"), lambda f: _percent(f.satisfaction)),
    ("good", _("Good ratings"), lambda f: f.good),
    ("bad", _("Bad ratings"), lambda f: f.bad),
]

SERIES_COLUMNS = [
    ("start", _("First day"), lambda b: b.start),
    ("label", _("Period"), lambda b: b.label),
    ("created", _("Created"), lambda b: b.created),
    ("closed", _("Closed"), lambda b: b.closed),
    ("backlog", _("Backlog at the end"), lambda b: b.backlog),
]


def _choice(choices):
    labels = dict(choices.choices)
    return lambda value: str(labels.get(value, value)) if value else ""


_kind, _channel, _satisfaction = _choice(Ticket.Kind), _choice(Ticket.Channel), _choice(Ticket.Satisfaction)


def _local(value, zone):
    return None if value is None else value.astimezone(zone).replace(tzinfo=None, microsecond=0)


# (key, heading, value of a ticket and the export's context): the tickets' columns.
TICKET_COLUMNS = [
    ("reference", _("Reference"), lambda t, c: t.reference),
    ("subject", _("Subject"), lambda t, c: t.subject),
    ("created_at", _("Created"), lambda t, c: _local(t.created_at, c.zone)),
    ("closed_at", _("Closed"), lambda t, c: _local(t.closed_at, c.zone)),
    ("team", _("Support team"), lambda t, c: t.team.name if t.team_id else ""),
    ("assignee", _("Assignee"), lambda t, c: person_label(t.assignee) if t.assignee_id else ""),
    ("category", _("Service catalog entry"), lambda t, c: c.categories.get(t.category_id, "") if t.category_id else ""),
    ("kind", _("Type"), lambda t, c: _kind(t.kind)),
    ("channel", _("Channel"), lambda t, c: _channel(t.channel)),
    ("site", _("Site"), lambda t, c: (t.site.site_name or t.site.hostname) if t.site_id else ""),
    ("first_response_seconds", _("Time to first response (seconds)"), lambda t, c: t.first_response_seconds),
    ("resolution_seconds", _("Time to resolution (seconds)"), lambda t, c: t.resolution_seconds),
    ("first_response_met", _("First response on time"), lambda t, c: c.yes_no(t.first_response_met)),
    ("resolution_met", _("Resolved on time"), lambda t, c: c.yes_no(t.resolution_met)),
    ("satisfaction", _("Satisfaction"), lambda t, c: _satisfaction(t.satisfaction)),
]


class _TicketContext:
    def __init__(self, categories):
        self.zone = timezone.get_current_timezone()
        self.categories = categories
        self.yes, self.no = gettext("yes"), gettext("no")

    def yes_no(self, value):
        return "" if value is None else self.yes if value else self.no


class ReportExportMixin(TicketExportMixin):
    """The downloads of the reports page. The view provides ``query``, ``report``, ``dimension_label`` and
    ``category_names``;
    ``export_response(table, format)`` answers with the file."""

    export_table = "breakdown"
    # The page has its own download links, one pair per table (not Wagtail's header buttons).
    show_export_buttons = False

    @property
    def export_columns(self):
        if self.export_table == "tickets":
            return TICKET_COLUMNS
        if self.export_table == "series":
            return SERIES_COLUMNS
        return [("label", self.breakdown_heading, None)] + FIGURE_COLUMNS

    @property
    def breakdown_heading(self):
        # The view's name of the breakdown ("Support team"...).
        return self.dimension_label

    @property
    def list_export(self):
        return [key for key, _heading, _value in self.export_columns]

    @property
    def export_headings(self):
        return {key: heading for key, heading, _value in self.export_columns}

    def get_filename(self):
        query = self.query
        name = {"breakdown": f"by-{query.breakdown}"}.get(self.export_table, self.export_table)
        return f"support-report-{name}-{query.start.isoformat()}-{query.end.isoformat()}"

    def export_items(self):
        report = self.report if self.export_table != "tickets" else None
        if self.export_table == "series":
            return report.series
        if self.export_table == "breakdown":
            period = gettext("All, %(start)s to %(end)s")
            rows = [
                (period % {"start": report.query.start, "end": report.query.end}, report.figures),
                (gettext("All, previous period (%(start)s to %(end)s)") % {
                    "start": report.previous_query.start, "end": report.previous_query.end}, report.previous),
            ]
            return rows + [(row.label, row.figures) for row in report.breakdown]
        tickets = engine.tickets(self.request.user, self.query)
        if isinstance(tickets, QuerySet):
            tickets = tickets.select_related("team", "assignee", "site").iterator(chunk_size=EXPORT_CHUNK)
        return tickets

    @cached_property
    def ticket_context(self):
        # Looked up once per file, not per row (the zone, the catalog's names, the words yes and no).
        return _TicketContext(self.category_names)

    def to_row_dict(self, item):
        if self.export_table == "tickets":
            context = self.ticket_context
            return OrderedDict((key, value(item, context)) for key, _heading, value in TICKET_COLUMNS)
        if self.export_table == "series":
            return OrderedDict((key, value(item)) for key, _heading, value in SERIES_COLUMNS)
        label, figures = item
        row = OrderedDict(label=str(label))
        row.update((key, value(figures)) for key, _heading, value in FIGURE_COLUMNS)
        return row

    def preprocess_field_value(self, field, value, export_format):
        if value is None:
            return ""
        if export_format == self.FORMAT_CSV:
            if isinstance(value, str):
                return text_cell(value)
            return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else str(value)
        # XLSX: numbers and dates stay what they are; openpyxl's formula guard covers text.
        if isinstance(value, (str, int, float, datetime.date)):
            return value
        return str(value)

    def get_heading(self, queryset, field):
        return str(self.export_headings[field])

    def export_response(self, table, format):
        self.export_table = table
        return self.as_spreadsheet(self.export_items(), format)
