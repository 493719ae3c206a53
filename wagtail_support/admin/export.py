"""The inbox's export: the tickets of the view on screen (its filters, search and sort applied) as a CSV or
XLSX file, through Wagtail's ``SpreadsheetExportMixin``.

Every ticket of the view, not one page: the rows are read in chunks (``QuerySet.iterator``), the CSV is
streamed as it is written and the XLSX is written to a temporary file, so 100,000 tickets take the same
memory as 100. The file holds the ticket's own fields only (reference, subject, people, team, dates,
status...): never a message, so never an internal note, and not the description or the solution.
"""

import csv
import datetime
import tempfile
from collections import OrderedDict
from functools import cached_property

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.mixins import Echo, SpreadsheetExportMixin

from ..models import Ticket, person_label

#: Rows read from the database at a time (and written to the CSV stream at a time).
EXPORT_CHUNK = 2_000

# Characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list): a subject or a
# name typed by a visitor must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Context:
    """What every row needs, looked up once per file: the agent's time zone, the choices' labels in their
    language, the catalog's full names (per cell, these lookups took a third of the export's time)."""

    def __init__(self, category_names):
        self.zone = timezone.get_current_timezone()
        self.categories = category_names
        self.labels = {choices: {value: str(label) for value, label in choices.choices} for choices in CHOICES}

    def local(self, value):
        """A date as the agent reads it: their time zone, to the second, without the zone (spreadsheets
        store no zone)."""
        if value is None:
            return None
        return value.astimezone(self.zone).replace(tzinfo=None, microsecond=0)


CHOICES = (Ticket.Status, Ticket.Priority, Ticket.Kind, Ticket.Channel, Ticket.CloseReason)


def _choice(choices, field):
    return lambda ticket, c: c.labels[choices].get(getattr(ticket, field), "") if getattr(ticket, field) else ""


def _date(field):
    return lambda ticket, c: c.local(getattr(ticket, field))


def _waiting_since(ticket, c):
    return None if ticket.status == Ticket.Status.CLOSED else c.local(ticket.awaiting_agent_since)


# (key, heading, value of a ticket): the columns of the file, in order.
EXPORT_COLUMNS = [
    ("reference", _("Reference"), lambda t, c: t.reference),
    ("subject", _("Subject"), lambda t, c: t.subject),
    ("status", _("Status"), _choice(Ticket.Status, "status")),
    ("priority", _("Priority"), _choice(Ticket.Priority, "priority")),
    ("kind", _("Type"), _choice(Ticket.Kind, "kind")),
    ("team", _("Support team"), lambda t, c: t.team.name if t.team_id else ""),
    ("category", _("Service catalog entry"), lambda t, c: c.categories.get(t.category_id, "") if t.category_id else ""),
    ("assignee", _("Assignee"), lambda t, c: person_label(t.assignee) if t.assignee_id else ""),
    ("requester_name", _("Requester name"), lambda t, c: t.requester_name),
    ("requester_email", _("Requester email"), lambda t, c: t.requester_email),
    ("beneficiary_name", _("Beneficiary name"), lambda t, c: t.beneficiary_name),
    ("beneficiary_email", _("Beneficiary email"), lambda t, c: t.beneficiary_email),
    ("channel", _("Channel"), _choice(Ticket.Channel, "channel")),
    ("created_at", _("Created"), _date("created_at")),
    ("updated_at", _("Updated"), _date("updated_at")),
    ("awaiting_agent_since", _("Waiting for us since"), _waiting_since),
    ("first_response_at", _("First response"), _date("first_response_at")),
    ("closed_at", _("Closed"), _date("closed_at")),
    ("close_reason", _("Reason for closing"), _choice(Ticket.CloseReason, "close_reason")),
    ("resolution_code", _("Resolution code"), lambda t, c: t.resolution_code.label if t.resolution_code_id else ""),
]


def text_cell(value):
    """A CSV cell a spreadsheet shows as the text it is, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class TicketExportMixin(SpreadsheetExportMixin):
    """Wagtail's spreadsheet export for the inbox: ``?export=csv`` or ``?export=xlsx`` on any inbox address.

    The view provides ``get_queryset()`` (the tickets this agent works, with the view's filters, search and
    sort) and ``category_names`` (``{pk: "Parent › Child"}``).
    """

    list_export = [key for key, _heading, _value in EXPORT_COLUMNS]
    export_headings = {key: heading for key, heading, _value in EXPORT_COLUMNS}
    # The values are made ready by ``to_row_dict`` (dates in the agent's time zone, see ``_Context.local``):
    # ``preprocess_field_value`` adds only the CSV's formula guard.
    custom_value_preprocess = {}

    def get_filename(self):
        return "tickets-{}".format(timezone.localdate().isoformat())

    def get_export_url(self, format):
        # The view on screen, whichever address rendered it (the results refreshed in place have another one),
        # without its page: every ticket of the view.
        params = self.request.GET.copy()
        for key in ("export", "p", "_w_filter_fragment"):
            params.pop(key, None)
        params["export"] = format
        return f"{self.index_url}?{params.urlencode()}"

    def export_queryset(self):
        return (
            self.get_queryset()
            .select_related("team", "assignee", "resolution_code")
            .iterator(chunk_size=EXPORT_CHUNK)
        )

    @cached_property
    def export_context(self):
        return _Context(self.category_names)

    def to_row_dict(self, ticket):
        context = self.export_context
        return OrderedDict((key, value(ticket, context)) for key, _heading, value in EXPORT_COLUMNS)

    def preprocess_field_value(self, field, value, export_format):
        if value is None:
            return ""
        if export_format == self.FORMAT_CSV:
            return text_cell(value) if isinstance(value, str) else str(value)
        return str(value) if not isinstance(value, (str, datetime.datetime)) else value

    def stream_csv(self, queryset):
        """The CSV, a chunk of rows at a time; a byte order mark first, so that Excel reads it as UTF-8."""
        writer = csv.DictWriter(Echo(), fieldnames=self.list_export)
        yield "\ufeff".encode() + writer.writerow({key: str(self.export_headings[key]) for key in self.list_export})
        chunk = []
        for ticket in queryset:
            chunk.append(self.write_csv_row(writer, self.to_row_dict(ticket)))
            if len(chunk) >= EXPORT_CHUNK:
                yield b"".join(chunk)
                chunk = []
        if chunk:
            yield b"".join(chunk)

    def write_csv_response(self, queryset):
        response = StreamingHttpResponse(self.stream_csv(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.get_filename()}.csv"'
        return response

    def write_xlsx_response(self, queryset):
        # openpyxl's write-only workbook keeps its rows in a temporary file; the finished workbook goes to
        # another one, sent in blocks: no copy of the file in memory.
        output = tempfile.TemporaryFile()
        self.write_xlsx(queryset, output)
        output.seek(0)
        return FileResponse(
            output,
            as_attachment=True,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"{self.get_filename()}.xlsx",
        )

    def export_response(self):
        return self.as_spreadsheet(self.export_queryset(), self.request.GET.get("export"))
