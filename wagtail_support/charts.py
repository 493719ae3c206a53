"""Charts drawn on the server as SVG, for the admin's reports: a line chart (series over time) and a horizontal
bar chart (one figure per value of a breakdown). Pure Python; no script and no request to another host.

Why drawn here and not by a chart library in the browser: the numbers are on the server already, the page
works without JavaScript, and an SVG with a ``<title>`` and a ``<desc>`` beside a real ``<table>`` of the
same numbers is what a screen reader and a copy into a spreadsheet need.

How they read:

- each SVG is ``role="img"`` named by its ``<title>`` and described by its ``<desc>`` (a sentence with the
  totals); its ``data_table`` holds every number, for the ``<table>`` the template puts beside it;
- the axis ticks are round values (1, 2, 2.5 or 5 times a power of ten), grouped in thousands as the
  language writes them;
- each series is told apart without colour: a dash pattern and a marker shape of its own, named in the
  legend with the same pattern and marker;
- colours are CSS classes (``wagtail_support/admin/reports.css``) over Wagtail's admin custom properties,
  with ``currentColor`` as the fallback: the light and dark themes both read.

Every text that comes from a person (a team's name, an agent's) goes through ``format_html`` /
``escape``: nothing is put in the markup unescaped. Coordinates are written with ``.`` whatever the language.
"""

import math
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import ngettext

#: How many series a line chart tells apart (dash pattern, marker); more are refused.
STYLES = 4
#: Ticks of the value axis, at most (about five read best).
MAX_TICKS = 6
#: Labels of the time axis, at most (a label every few buckets beyond that).
MAX_TIME_LABELS = 8
#: Beyond this many points a line carries no markers (its dash pattern still tells it apart).
MAX_MARKERS = 45
#: A breakdown label longer than this is cut in the chart (the table beside it holds it whole).
MAX_LABEL = 26


# Numbers ------------------------------------------------------------------------------------------------


def nice_step(span, max_ticks=MAX_TICKS, integer=False):
    """The round step (1, 2, 2.5 or 5 times a power of ten) that divides ``span`` in at most ``max_ticks``
    intervals; at least 1 when ``integer`` (counts have no half ticket)."""
    if span <= 0 or not math.isfinite(span):
        return 1
    rough = span / max(max_ticks - 1, 1)
    power = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * power
        if step >= rough and not (integer and step != int(step)):
            break
    if integer:
        step = max(1, int(math.ceil(step)))
    return step


def nice_ticks(high, max_ticks=MAX_TICKS, integer=False):
    """The ticks of a value axis from 0 to at least ``high``: ``[0, step, 2 step, ...]``, the last one at or
    above ``high``. ``[0, 1]`` for an axis of zeros (nothing to scale)."""
    high = max(high or 0, 0)
    if high == 0:
        return [0, 1]
    step = nice_step(high, max_ticks, integer)
    count = int(math.ceil(high / step - 1e-9))
    # A multiple of 2.5 written as 7.500000001 would read badly: rounded to the step's decimals.
    decimals = max(0, -int(math.floor(math.log10(step))) + 1) if step < 1 else 1
    return [round(i * step, decimals) if not integer else int(i * step) for i in range(count + 1)]


def format_number(value, decimals=0):
    """A number as the language writes it, thousands grouped ("12,345", "12 345"); "—" for none."""
    if value is None:
        return "—"
    if decimals == 0:
        value = int(round(value))
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_percent(ratio, decimals=0):
    """A ratio 0..1 as a percentage: "87 %"; "—" for none."""
    if ratio is None:
        return "—"
    return gettext("%(number)s %%") % {"number": format_number(ratio * 100, decimals)}


def format_duration(seconds):
    """A duration as people say it, to the minute: "45 min", "3 h 20 min", "2 d 4 h"; "—" for none.

    A day is 24 hours of the clock the figure counts (business hours where a service level applies)."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return gettext("less than 1 min") if seconds > 0 else gettext("0 min")
    if minutes < 60:
        return gettext("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return gettext("%(hours)s h") % {"hours": hours}
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    if not hours:
        return gettext("%(days)s d") % {"days": format_number(days)}
    return gettext("%(days)s d %(hours)s h") % {"days": format_number(days), "hours": hours}


def _xy(value):
    # A coordinate in the SVG: a dot as decimal separator whatever the language, one decimal.
    return f"{value:.1f}"


def _cut(label, length=MAX_LABEL):
    label = str(label)
    return label if len(label) <= length else label[: length - 1].rstrip() + "…"


# Charts --------------------------------------------------------------------------------------------------


@dataclass
class DataTable:
    """The numbers of a chart as a table: a caption, the column headings, the rows (the first cell of each
    is its heading). Every cell is text ready to show."""

    caption: str
    headings: list
    rows: list


@dataclass
class Chart:
    """A drawn chart: ``svg`` (safe markup; empty when there is nothing to draw), ``empty_message`` (the
    sentence shown instead), ``data_table``, and ``legend`` (``[(name, style number, swatch markup)]``)."""

    uid: str
    title: str
    description: str
    svg: str = ""
    empty_message: str = ""
    data_table: DataTable = None
    legend: list = field(default_factory=list)
    note: str = ""

    @property
    def is_empty(self):
        return not self.svg


def _frame(uid, title, description, width, height, body):
    return format_html(
        '<svg class="ws-chart__svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" preserveAspectRatio="xMidYMid meet" focusable="false">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        width, height, uid, uid, uid, title, uid, description, body,
    )


def _join(parts):
    # Each part was built by format_html (so escaped already); joined, it stays safe.
    return mark_safe("".join(str(part) for part in parts))


def _marker(style, x, y):
    """The marker of a series' point: a circle, a square, a triangle or a diamond (not colour alone)."""
    cls = f"ws-chart__marker ws-chart__marker--{style}"
    if style == 1:
        return format_html('<circle class="{}" cx="{}" cy="{}" r="3.5" fill="currentColor"/>', cls, _xy(x), _xy(y))
    if style == 2:
        return format_html('<rect class="{}" x="{}" y="{}" width="7" height="7" fill="currentColor"/>', cls, _xy(x - 3.5), _xy(y - 3.5))
    if style == 3:
        points = f"{_xy(x)},{_xy(y - 4.5)} {_xy(x + 4.5)},{_xy(y + 3.5)} {_xy(x - 4.5)},{_xy(y + 3.5)}"
    else:
        points = f"{_xy(x)},{_xy(y - 4.5)} {_xy(x + 4.5)},{_xy(y)} {_xy(x)},{_xy(y + 4.5)} {_xy(x - 4.5)},{_xy(y)}"
    return format_html('<polygon class="{}" points="{}" fill="currentColor"/>', cls, points)


def legend_swatch(style):
    """A small SVG of a series' line and marker, for the legend (decorative: the name is beside it)."""
    return format_html(
        '<svg class="ws-chart__swatch" viewBox="0 0 28 12" width="28" height="12" aria-hidden="true" focusable="false">'
        '<line class="ws-chart__line ws-chart__line--{}" x1="1" y1="6" x2="27" y2="6" stroke="currentColor"/>{}</svg>',
        style, _marker(style, 14, 6),
    )


#: The width of a character of the axes' text, about (12px sans-serif), to keep labels apart.
CHAR_WIDTH = 7


def time_label_positions(labels, plot_w):
    """The indexes of the buckets labelled on the time axis: the first, the last, and a regular few between
    (at most ``MAX_TIME_LABELS``), spaced so that no two labels touch."""
    last = len(labels) - 1
    if last <= 0:
        return [0] if labels else []
    width = CHAR_WIDTH * max(len(label) for label in labels) + 8
    spacing = plot_w / last
    every = max(1, math.ceil(len(labels) / MAX_TIME_LABELS), math.ceil(1.5 * width / spacing))
    shown = list(range(0, len(labels), every))
    if shown[-1] != last:
        # The last bucket is labelled; the regular label just before it goes if the two would touch.
        if len(shown) > 1 and (last - shown[-1]) * spacing < 1.5 * width:
            shown.pop()
        shown.append(last)
    if len(shown) == 2 and last * spacing < 2 * width:
        shown = [0]
    return shown


def line_chart(uid, *, title, labels, series, value_label, time_label, integer=True, value_format=format_number):
    """A line chart of ``series`` (``[(name, [value per label])]``, at most ``STYLES``) over ``labels`` (the
    buckets' names, in order).

    ``value_label`` and ``time_label`` name the axes; ``value_format`` writes a value (ticks and table).
    With no label, or no value but zeros and ``None``, the chart is a sentence instead of an SVG.
    """
    if len(series) > STYLES:
        raise ValueError(f"at most {STYLES} series")
    labels = [str(label) for label in labels]
    table = DataTable(
        caption=title,
        headings=[time_label] + [name for name, _values in series],
        rows=[[label] + [value_format(values[i]) for _name, values in series] for i, label in enumerate(labels)],
    )
    legend = [(name, style, legend_swatch(style)) for style, (name, _values) in enumerate(series, start=1)]
    values = [value for _name, values in series for value in values if value is not None]
    if not labels or not any(values):
        return Chart(uid, title, "", empty_message=gettext("No tickets in this period."), data_table=table, legend=legend)

    ticks = nice_ticks(max(values), integer=integer)
    top = ticks[-1]
    tick_texts = [value_format(tick) for tick in ticks]
    width, height = 720, 300
    left = 24 + 7.5 * max(len(text) for text in tick_texts)
    right, top_margin, bottom = 16, 14, 52
    plot_w, plot_h = width - left - right, height - top_margin - bottom

    def x_of(i):
        return left + plot_w / 2 if len(labels) == 1 else left + plot_w * i / (len(labels) - 1)

    def y_of(value):
        return top_margin + plot_h * (1 - value / top)

    parts = []
    # The value axis: a grid line and a label per tick, then the axis' name turned upright.
    for tick, text in zip(ticks, tick_texts):
        y = y_of(tick)
        parts.append(format_html(
            '<line class="ws-chart__grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>'
            '<text class="ws-chart__tick ws-chart__tick--value" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
            _xy(left), _xy(y), _xy(left + plot_w), _xy(y), _xy(left - 6), _xy(y), text,
        ))
    parts.append(format_html(
        '<text class="ws-chart__axis-label" transform="translate(12 {}) rotate(-90)" text-anchor="middle">{}</text>',
        _xy(top_margin + plot_h / 2), value_label,
    ))
    # The time axis: a label every few buckets, the first and the last always, never two touching (the first
    # is anchored at its start and the last at its end, so a neighbour needs one and a half widths).
    shown = time_label_positions(labels, plot_w)
    axis_y = top_margin + plot_h
    parts.append(format_html(
        '<line class="ws-chart__axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>',
        _xy(left), _xy(axis_y), _xy(left + plot_w), _xy(axis_y),
    ))
    for i in shown:
        anchor = "middle" if len(labels) == 1 else ("start" if i == 0 else "end" if i == len(labels) - 1 else "middle")
        parts.append(format_html(
            '<line class="ws-chart__axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>'
            '<text class="ws-chart__tick ws-chart__tick--time" x="{}" y="{}" text-anchor="{}">{}</text>',
            _xy(x_of(i)), _xy(axis_y), _xy(x_of(i)), _xy(axis_y + 4), _xy(x_of(i)), _xy(axis_y + 18), anchor, labels[i],
        ))
    parts.append(format_html(
        '<text class="ws-chart__axis-label" x="{}" y="{}" text-anchor="middle">{}</text>',
        _xy(left + plot_w / 2), _xy(height - 8), time_label,
    ))
    # The series: a line through the known values (a gap where a value is missing), and markers.
    for style, (name, series_values) in enumerate(series, start=1):
        runs, run = [], []
        for i, value in enumerate(series_values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x_of(i), y_of(value)))
        if run:
            runs.append(run)
        group = []
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{_xy(x)},{_xy(y)}" for x, y in run)
                group.append(format_html(
                    '<polyline class="ws-chart__line ws-chart__line--{}" points="{}" fill="none" stroke="currentColor"/>',
                    style, points,
                ))
        if len(labels) <= MAX_MARKERS or any(len(run) == 1 for run in runs):
            group += [_marker(style, x, y) for run in runs for x, y in run if len(labels) <= MAX_MARKERS or len(run) == 1]
        parts.append(format_html(
            '<g class="ws-chart__series ws-chart__series--{}" data-series="{}">{}</g>', style, name, _join(group)
        ))

    totals = "; ".join(
        gettext("%(series)s: %(total)s in all, at most %(peak)s") % {
            "series": name,
            "total": value_format(sum(v for v in values_ if v is not None)),
            "peak": value_format(max((v for v in values_ if v is not None), default=0)),
        }
        for name, values_ in series
    )
    description = ngettext(
        "%(count)s point from %(first)s to %(last)s. %(totals)s.",
        "%(count)s points from %(first)s to %(last)s. %(totals)s.",
        len(labels),
    ) % {"count": len(labels), "first": labels[0], "last": labels[-1], "totals": totals}
    svg = _frame(uid, title, description, width, height, _join(parts))
    return Chart(uid, title, description, svg=svg, data_table=table, legend=legend)


def bar_chart(uid, *, title, rows, label_heading, value_label, integer=True, value_format=format_number, scale=None):
    """A horizontal bar chart: one bar per ``(label, value)`` of ``rows``, in their order.

    ``value_format`` writes a value beside its bar, on the ticks and in the table; ``scale`` (a number)
    turns a value into the axis' unit before the ticks are chosen (seconds shown on an axis of hours:
    ``scale=1/3600`` and a ``value_format`` of seconds). A value of ``None`` has no bar and reads "—".
    """
    scale = scale or 1
    table = DataTable(
        caption=title, headings=[label_heading, value_label],
        rows=[[str(label), value_format(value)] for label, value in rows],
    )
    values = [value for _label, value in rows if value is not None]
    if not rows or not any(values):
        return Chart(uid, title, "", empty_message=gettext("Nothing to show for this breakdown."), data_table=table)

    ticks = nice_ticks(max(values) * scale, integer=integer)
    top = ticks[-1]
    bar_h, gap = 20, 10
    left, right, top_margin, bottom = 200, 90, 10, 44
    width = 720
    plot_w = width - left - right
    plot_h = len(rows) * (bar_h + gap)
    height = top_margin + plot_h + bottom

    def x_of(value):
        return left + plot_w * (value * scale) / top

    parts = []
    for tick in ticks:
        x = left + plot_w * tick / top
        parts.append(format_html(
            '<line class="ws-chart__grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>'
            '<text class="ws-chart__tick ws-chart__tick--value" x="{}" y="{}" text-anchor="middle">{}</text>',
            _xy(x), _xy(top_margin), _xy(x), _xy(top_margin + plot_h), _xy(x), _xy(top_margin + plot_h + 16),
            value_format(tick / scale),
        ))
    parts.append(format_html(
        '<text class="ws-chart__axis-label" x="{}" y="{}" text-anchor="middle">{}</text>',
        _xy(left + plot_w / 2), _xy(height - 6), value_label,
    ))
    for i, (label, value) in enumerate(rows):
        y = top_margin + i * (bar_h + gap) + gap / 2
        parts.append(format_html(
            '<text class="ws-chart__category" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
            _xy(left - 8), _xy(y + bar_h / 2), _cut(label),
        ))
        if value is not None:
            end = x_of(value)
            parts.append(format_html(
                '<rect class="ws-chart__bar" x="{}" y="{}" width="{}" height="{}" fill="currentColor"/>',
                _xy(left), _xy(y), _xy(max(end - left, 1 if value else 0)), bar_h,
            ))
        else:
            end = left
        parts.append(format_html(
            '<text class="ws-chart__value" x="{}" y="{}" dominant-baseline="middle">{}</text>',
            _xy(end + 6), _xy(y + bar_h / 2), value_format(value),
        ))
    parts.append(format_html(
        '<line class="ws-chart__axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>',
        _xy(left), _xy(top_margin), _xy(left), _xy(top_margin + plot_h),
    ))
    known = [(label, value) for label, value in rows if value is not None]
    highest = max(known, key=lambda row: row[1])
    description = ngettext(
        "%(count)s bar. The highest: %(label)s, %(value)s.",
        "%(count)s bars. The highest: %(label)s, %(value)s.",
        len(rows),
    ) % {"count": len(rows), "label": highest[0], "value": value_format(highest[1])}
    svg = _frame(uid, title, description, width, height, _join(parts))
    return Chart(uid, title, description, svg=svg, data_table=table)
