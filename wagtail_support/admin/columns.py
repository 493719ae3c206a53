"""The columns of the ticket listings (the inbox, the admin home panel), rendered in Python.

Each cell is rendered in Python with the markup of Wagtail's own cell templates: a page of 50 tickets has
500 cells, and rendering a template for each one took about 100 ms of the inbox's time.

Rows are one line (``inbox.css``): a text that does not fit ends with an ellipsis and its cell's ``title``
holds it whole.
"""

import datetime
from functools import lru_cache

from django.forms.utils import flatatt
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.html import avoid_wrapping, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.timezone import template_localtime
from django.utils import timezone
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
from ..site_config import site_labels
from .paths import ticket_url


def ticket_age(ticket):
    """How long ago the ticket was opened, in its largest unit ("3 days")."""
    return timesince(ticket.created_at, depth=1)


def short_duration(since, now=None):
    """How long since ``since``, short enough for a badge: "5 min", "3 h", "4 d"."""
    minutes = int(max(0, ((now or timezone.now()) - since).total_seconds()) // 60)
    if minutes < 60:
        return gettext("%(count)s min") % {"count": max(minutes, 1)}
    if minutes < 48 * 60:
        return gettext("%(count)s h") % {"count": minutes // 60}
    return gettext("%(count)s d") % {"count": minutes // (24 * 60)}


def _td(column, inner, extra_class="", title=None):
    classes = " ".join(name for name in (column.classname, extra_class) if name)
    attrs = flatatt({"class": classes or None, "title": title or None})
    return format_html("<td{}>{}</td>", attrs, inner)


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
    """A text on one line; the whole text in the cell's ``title`` (where it may be cut)."""

    def cell_html(self, instance):
        value = self.get_value(instance)
        value = "" if value is None else str(value)
        return _td(self, value, title=value)


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
        # One line: the name, and the address on hover.
        name = ticket.requester_display
        if ticket.requester_email and ticket.requester_email != name:
            return _td(self, name, title=f"{name} <{ticket.requester_email}>")
        return _td(self, name, title=name)


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
        if name:
            return _td(self, name, title=name)
        return _td(self, format_html('<span class="w-help-text">{}</span>', gettext("Unassigned")))


class WaitingColumn(PythonCellMixin, Column):
    """"Waiting 3 h": the requester's side wrote last and waits for us (not on a closed ticket); sorted
    longest waiting first."""

    def __init__(self, **kwargs):
        super().__init__("waiting", label=_("Waiting"), accessor="awaiting_agent_since", sort_key="waiting", **kwargs)

    def cell_html(self, ticket):
        since = ticket.awaiting_agent_since
        if since is None or ticket.status == Ticket.Status.CLOSED:
            return _td(self, "")
        tooltip, iso = _date_and_iso(since)
        duration = short_duration(since)
        # "3 h" under the column's "Waiting" heading; "Waiting 3 h" read aloud.
        badge = format_html(
            '<span class="w-status ws-waiting" data-ws-waiting="{}"><span class="w-sr-only">{} </span>'
            '<time datetime="{}">{}</time></span>',
            iso,
            gettext("Waiting"),
            iso,
            duration,
        )
        title = gettext("The requester wrote last, on %(date)s: waiting for us for %(duration)s.") % {
            "date": tooltip,
            "duration": duration,
        }
        return _td(self, badge, title=title)


class DueColumn(PythonCellMixin, Column):
    """When the earliest service level target is due ("in 3 h", "Late 20 min"), the exact date in a tooltip;
    sorted soonest first ("Due next"). Wall-clock time: the workspace counts business hours."""

    def __init__(self, **kwargs):
        super().__init__("due", label=_("Due"), accessor="next_due", sort_key="due", **kwargs)

    def cell_html(self, ticket):
        due = ticket.next_due
        if due is None or ticket.status == Ticket.Status.CLOSED:
            return _td(self, "")
        now = timezone.now()
        tooltip, iso = _date_and_iso(due)
        if due <= now:
            # Text, not colour only: "Late" is written.
            text = gettext("Late %(duration)s") % {"duration": short_duration(due, now)}
            badge = format_html(
                '<span class="w-status ws-due ws-due--late"><time datetime="{}">{}</time></span>', iso, text
            )
        else:
            text = gettext("in %(duration)s") % {"duration": short_duration(now, due)}
            soon = due - now <= datetime.timedelta(hours=1)
            classname = "ws-due ws-due--soon w-status" if soon else "ws-due"
            badge = format_html('<span class="{}"><time datetime="{}">{}</time></span>', classname, iso, text)
        title = gettext("Due on %(date)s") % {"date": tooltip}
        return _td(self, badge, title=title)


class SatisfactionColumn(PythonCellMixin, Column):
    """The requester's rating of the latest closing, a compact tag ("Good", "Bad") that says it in words,
    with "Rated good on <date>" in its tooltip; empty while the ticket is unrated (or open again)."""

    def __init__(self, **kwargs):
        super().__init__("satisfaction", label=_("Satisfaction"), accessor="get_satisfaction_display", **kwargs)

    def cell_html(self, ticket):
        value = ticket.satisfaction
        if not value:
            return _td(self, "")
        label = label_of(Ticket.Satisfaction, value)
        if ticket.satisfaction_at is not None:
            title = gettext("Rated %(rating)s on %(date)s") % {
                "rating": label.lower(),
                "date": _date_and_iso(ticket.satisfaction_at)[0],
            }
        else:
            title = label
        tag = format_html(
            '<span class="w-status ws-rating ws-rating--{}" data-ws-satisfaction="{}">'
            '<span class="w-sr-only">{} </span>{}</span>',
            value,
            value,
            gettext("Satisfaction:"),
            label,
        )
        return _td(self, tag, title=title)


def short_time_ago(value):
    """"19 h ago", "just now": ``time_ago`` short enough for a one-line row."""
    if timezone.now() - value < datetime.timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(time_period)s ago") % {"time_period": short_duration(value)}


class UpdatedColumn(PythonCellMixin, DateColumn):
    """When the ticket last changed ("19 h ago"), the exact date in a tooltip."""

    def cell_html(self, ticket):
        if not ticket.updated_at:
            return _td(self, "")
        return _td(self, human_readable_date(ticket.updated_at, capfirst(short_time_ago(ticket.updated_at))))


class AgeColumn(PythonCellMixin, Column):
    """How long ago the ticket was opened ("3 d"), the exact date in a tooltip."""

    def __init__(self, **kwargs):
        super().__init__("age", label=_("Age"), accessor=ticket_age, sort_key="created_at", **kwargs)

    def cell_html(self, ticket):
        return _td(self, human_readable_date(ticket.created_at, short_duration(ticket.created_at)))


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


def ticket_columns(*, sortable=True, checkboxes=True, team=True, sites=None):
    """The inbox's columns; without ``team`` for an agent of one team, whose tickets are that team's (the
    width goes to the subject). A "Site" column when there are several Wagtail Sites: ``sites`` is
    ``{site id: name}`` (``site_config.site_labels()`` when not given), read once for every row."""
    # Each column's class sets its width in inbox.css; the subject takes what is left.
    columns = [
        ReferenceColumn(classname="ws-col-reference"),
        TextColumn("subject", label=_("Subject"), sort_key="subject", classname="ws-col-subject"),
        RequesterColumn(classname="ws-col-requester"),
        TextColumn("team", label=_("Team"), accessor=lambda t: t.team.name if t.team_id else "", classname="ws-col-team"),
        PriorityColumn(classname="ws-col-priority"),
        StatusColumn(classname="ws-col-status"),
        AssigneeColumn(classname="ws-col-assignee"),
        WaitingColumn(classname="ws-col-waiting"),
        DueColumn(classname="ws-nowrap ws-col-due"),
        SatisfactionColumn(classname="ws-nowrap ws-col-satisfaction"),
        UpdatedColumn("updated_at", label=_("Updated"), sort_key="updated_at", classname="ws-nowrap ws-col-updated"),
        AgeColumn(classname="ws-nowrap ws-col-age"),
    ]
    sites = site_labels() if sites is None else sites
    if sites:
        site_column = TextColumn(
            "site", label=_("Site"), accessor=lambda t: sites.get(t.site_id, ""), classname="ws-col-site"
        )
        columns.insert(4, site_column)
    if not team:
        columns = [column for column in columns if column.name != "team"]
    if checkboxes:
        columns.insert(0, CheckboxColumn("bulk_actions", obj_type="ticket"))
    if not sortable:
        for column in columns:
            column.sort_key = None
    return columns
