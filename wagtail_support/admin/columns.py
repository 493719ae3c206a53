"""The columns of the ticket listings (the inbox, the admin home panel), rendered in Python.

Each cell is rendered in Python with the markup of Wagtail's own cell templates: a page of 50 tickets has
500 cells, and rendering a template for each one took about 100 ms of the inbox's time.
"""

from functools import lru_cache

from django.forms.utils import flatatt
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.html import avoid_wrapping, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import (
    BulkActionsCheckboxColumn,
    Column,
    DateColumn,
    StatusTagColumn,
    Table,
    TitleColumn,
)

from ..models import Ticket, person_label
from .paths import ticket_url


def ticket_age(ticket):
    """How long ago the ticket was opened, in its largest unit ("3 days")."""
    return timesince(ticket.created_at, depth=1)


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
        title = format_html('<a href="{}" title="{}">{}</a>', ticket_url(ticket), gettext("Open this ticket"), title)
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
            "assignee", label=_("Assignee"), accessor=lambda t: person_label(t.assignee), sort_key="assignee", **kwargs
        )

    def cell_html(self, ticket):
        name = person_label(ticket.assignee)
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
