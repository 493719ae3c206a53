"""The reports' charts (``wagtail_support.charts``): round ticks, scales, empty and one-point data, large
numbers, and every text a person typed escaped in the SVG."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from wagtail_support import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart):
    """The SVG as XML: it must be well formed (an unescaped ``<`` would break it)."""
    return ET.fromstring(str(chart.svg))


@pytest.mark.parametrize(
    "high, integer, expected",
    [
        (0, True, [0, 1]),
        (1, True, [0, 1]),
        (3, True, [0, 1, 2, 3]),
        (7, True, [0, 2, 4, 6, 8]),
        (10, True, [0, 2, 4, 6, 8, 10]),
        (11, True, [0, 5, 10, 15]),
        (48, True, [0, 10, 20, 30, 40, 50]),
        (101, True, [0, 25, 50, 75, 100, 125]),
        (1234567, True, [0, 250000, 500000, 750000, 1000000, 1250000]),
        (0.9, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (2.2, False, [0, 0.5, 1.0, 1.5, 2.0, 2.5]),
    ],
)
def test_ticks_are_round_and_cover_the_highest_value(high, integer, expected):
    assert charts.nice_ticks(high, integer=integer) == expected


@pytest.mark.parametrize("high", [1, 2, 3, 5, 7, 9, 13, 17, 99, 250, 999, 1001, 48_213, 10**9])
def test_ticks_stay_few_and_whole_for_counts(high):
    ticks = charts.nice_ticks(high, integer=True)
    assert ticks[0] == 0 and ticks[-1] >= high > ticks[-2]
    assert len(ticks) <= charts.MAX_TICKS + 1
    assert all(isinstance(tick, int) for tick in ticks)
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1
    step = steps.pop()
    assert re.fullmatch(r"(1|2|25|5)0*", str(step)), step


def line(labels, series, **kwargs):
    return charts.line_chart(
        "c", title="Tickets", labels=labels, series=series, value_label="Tickets", time_label="Day", **kwargs
    )


def test_a_line_chart_is_an_accessible_svg_with_a_table_of_the_same_numbers():
    chart = line(["1 Mar", "2 Mar", "3 Mar"], [("Created", [3, 0, 12]), ("Closed", [1, 2, 4]), ("Backlog", [5, 3, 11])])
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title c-desc"
    assert root.find(f"{SVG}title").text == "Tickets"
    assert root.find(f"{SVG}title").get("id") == "c-title"
    assert "3 points from 1 Mar to 3 Mar" in root.find(f"{SVG}desc").text
    assert "Created: 15 in all, at most 12" in root.find(f"{SVG}desc").text
    # Three lines, told apart by class (dash pattern) and by marker shape, not colour alone.
    lines = root.findall(f".//{SVG}polyline")
    assert [element.get("class").split()[-1] for element in lines] == ["ws-chart__line--1", "ws-chart__line--2", "ws-chart__line--3"]
    assert len(root.findall(f".//{SVG}circle")) == 3 and len(root.findall(f".//{SVG}rect")) == 3
    assert len(root.findall(f".//{SVG}polygon")) == 3
    # The value axis: round ticks from 0 past the highest point (12).
    ticks = [text.text for text in root.iter(f"{SVG}text") if "ws-chart__tick--value" in text.get("class", "")]
    assert ticks == ["0", "5", "10", "15"]
    assert chart.data_table.headings == ["Day", "Created", "Closed", "Backlog"]
    assert chart.data_table.rows == [["1 Mar", "3", "1", "5"], ["2 Mar", "0", "2", "3"], ["3 Mar", "12", "4", "11"]]
    assert [name for name, _style, _swatch in chart.legend] == ["Created", "Closed", "Backlog"]


def test_an_empty_period_is_a_sentence_not_a_broken_svg():
    for chart in (line([], [("Created", [])]), line(["1 Mar", "2 Mar"], [("Created", [0, 0]), ("Closed", [None, 0])])):
        assert chart.is_empty and chart.svg == ""
        assert chart.empty_message == "No tickets in this period."
    bars = charts.bar_chart("b", title="By team", rows=[], label_heading="Team", value_label="Created")
    assert bars.is_empty and bars.empty_message


def test_one_point_is_a_marker_in_the_middle():
    root = parse(line(["March 2026"], [("Created", [4])]))
    assert root.findall(f".//{SVG}polyline") == []
    (marker,) = root.findall(f".//{SVG}circle")
    assert 300 < float(marker.get("cx")) < 420
    assert [text.text for text in root.iter(f"{SVG}text") if "ws-chart__tick--time" in text.get("class", "")] == ["March 2026"]


def test_a_long_period_labels_a_few_buckets_and_drops_the_markers():
    labels = [f"D{i}" for i in range(90)]
    root = parse(line(labels, [("Created", list(range(90)))]))
    time_labels = [text.text for text in root.iter(f"{SVG}text") if "ws-chart__tick--time" in text.get("class", "")]
    assert time_labels[0] == "D0" and time_labels[-1] == "D89"
    assert len(time_labels) <= charts.MAX_TIME_LABELS + 1
    assert root.findall(f".//{SVG}circle") == []


def test_large_numbers_are_grouped_as_the_language_writes_them():
    chart = line(["a", "b"], [("Created", [1_234_567, 2_000])])
    assert "1,250,000" in str(chart.svg)
    assert chart.data_table.rows[0][1] == "1,234,567"
    with translation.override("fr"):
        chart = line(["a", "b"], [("Created", [1_234_567, 2_000])])
        assert chart.data_table.rows[0][1].replace("\u202f", " ").replace("\xa0", " ") == "1 234 567"
        # Coordinates keep their dot whatever the language.
        assert re.search(r'cx="\d+\.\d"', str(chart.svg))


def test_a_gap_in_a_series_breaks_its_line():
    root = parse(line(["a", "b", "c", "d", "e"], [("Median", [3, 4, None, 5, 6])], integer=False))
    assert len(root.findall(f".//{SVG}polyline")) == 2


def test_an_attackers_team_name_is_text_in_the_svg_and_the_table():
    evil = '</text><script>alert(1)</script><text x="0">"&'
    bars = charts.bar_chart(
        "b", title=f"By team {evil}", rows=[(evil, 5), ("Billing", 2)], label_heading="Team", value_label="Created"
    )
    markup = str(bars.svg)
    assert "<script" not in markup and "</text><script" not in markup
    root = parse(bars)
    assert root.find(f"{SVG}title").text == f"By team {evil}"
    assert evil in root.find(f"{SVG}desc").text
    categories = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "ws-chart__category"]
    assert categories == [evil[: charts.MAX_LABEL - 1].rstrip() + "…", "Billing"]
    lines = line(["a", "b"], [(evil, [1, 2])])
    assert "<script" not in str(lines.svg)
    assert parse(lines).find(f".//{SVG}g").get("data-series") == evil
    # The table holds plain strings; the template escapes them.
    assert bars.data_table.rows[0][0] == evil


def test_a_bar_chart_scales_to_round_ticks_and_marks_missing_values():
    rows = [("Support", 3 * 3600 + 20 * 60), ("Billing", None), ("Sales", 26 * 3600)]
    chart = charts.bar_chart(
        "b", title="Median first response", rows=rows, label_heading="Team", value_label="Hours",
        integer=False, value_format=charts.format_duration, scale=1 / 3600,
    )
    root = parse(chart)
    bars = root.findall(f".//{SVG}rect")
    assert len(bars) == 2
    widths = [float(bar.get("width")) for bar in bars]
    assert widths[1] > widths[0] * 7
    values = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "ws-chart__value"]
    assert values == ["3 h 20 min", "—", "1 d 2 h"]
    ticks = [text.text for text in root.iter(f"{SVG}text") if "ws-chart__tick--value" in text.get("class", "")]
    assert ticks[0] == "0 min" and ticks[-1] == "1 d 6 h"
    assert chart.data_table.rows[1] == ["Billing", "—"]
    assert "The highest: Sales, 1 d 2 h." in chart.description


@pytest.mark.parametrize(
    "seconds, expected",
    [
        (None, "—"), (0, "0 min"), (20, "less than 1 min"), (45 * 60, "45 min"), (3600, "1 h"),
        (3 * 3600 + 20 * 60, "3 h 20 min"), (2 * 86400 + 4 * 3600, "2 d 4 h"), (3 * 86400, "3 d"),
        (1200 * 86400, "1,200 d"),
    ],
)
def test_durations_read_as_people_say_them(seconds, expected):
    assert charts.format_duration(seconds) == expected


def test_durations_and_percentages_are_translated():
    with translation.override("fr"):
        assert charts.format_percent(0.875) == "88 %" or charts.format_percent(0.875).startswith("88")
    assert charts.format_percent(None) == "—"
    assert charts.format_percent(0.5) == "50 %"


@pytest.mark.parametrize("count", [2, 3, 7, 12, 30, 31, 90, 366])
def test_time_labels_never_touch(count):
    labels = [f"11/{i:02d}/2026" for i in range(count)]
    plot_w = 600
    shown = charts.time_label_positions(labels, plot_w)
    assert shown[0] == 0 and len(shown) <= charts.MAX_TIME_LABELS + 1
    width = charts.CHAR_WIDTH * len(labels[0])
    spacing = plot_w / (count - 1)
    gaps = [(b - a) * spacing for a, b in zip(shown, shown[1:])]
    assert all(gap >= 1.5 * width for gap in gaps), (shown, gaps)
    if count <= 12:
        assert shown[-1] == count - 1 or len(shown) == 1
