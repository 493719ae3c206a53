"""The reports page (``/admin/support/reports/``): what a supervisor and an agent read there, what an agent
never reads (another team's tickets, whatever the address says), what a wrong address gets, the downloads,
and a number of queries that does not grow with the tickets.

The figures themselves are the engine's (tests/test_reports.py); here the page shows them, scoped.
"""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from wagtail_support import workflow
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db

URL = "wagtail_support_admin:reports"
OTHER_SUBJECT = "Refund the duplicate payment of Zebulon"


def login(user):
    client = Client()
    client.force_login(user)
    return client


def page(client, **params):
    response = client.get(reverse(URL), params)
    assert response.status_code == 200, response
    return response.content.decode()


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response):
    from openpyxl import load_workbook

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row)) for row in values[1:]]


@pytest.fixture
def billing(other_team):
    # A name no word of the page holds ("Billing" is also a ticket type).
    other_team.name = "Zeta Finance"
    other_team.save(update_fields=["name"])
    return factories.make_category("Invoices", other_team)


@pytest.fixture
def desk(agent, colleague, category, billing, other_team, resolution_code):
    """Four tickets of ``team`` (two answered, one resolved, one rated good) and two of ``other_team``
    (one resolved), all created today."""
    ours = [
        factories.open_ticket(requester_name=f"Req {i}", requester_email=f"r{i}@example.com",
                              subject=f"Helpdesk question {i}", category=category)
        for i in range(4)
    ]
    workflow.reply(ours[0], by=agent, body="Looking.")
    workflow.reply(ours[1], by=colleague, body="Looking too.")
    workflow.resolve(ours[0], by=agent, code=resolution_code, solution="Done.")
    Ticket.objects.filter(pk=ours[0].pk).update(satisfaction="good", satisfaction_at=timezone.now())
    theirs = [
        factories.open_ticket(requester_name="Zeb", requester_email="zeb@example.com", subject=OTHER_SUBJECT,
                              category=billing),
        factories.open_ticket(requester_name="Zeb", requester_email="zeb@example.com",
                              subject="Second Zebulon invoice", category=billing),
    ]
    outsider = factories.make_agent("outsider", other_team, first_name="Oscar", last_name="Outsider")
    workflow.resolve(theirs[0], by=outsider, code=resolution_code, solution="Refunded.")
    return {"ours": ours, "theirs": theirs, "outsider": outsider}


def card_value(html, key):
    marker = f'data-figure="{key}"'
    start = html.index(marker)
    value = html.index("ws-reports-card__value", start)
    return html[html.index(">", value) + 1: html.index("</p>", value)].strip()


def test_a_supervisor_reads_every_team(desk, supervisor, team, other_team):
    html = page(login(supervisor))
    assert "<h1" in html and "Reports" in html
    assert card_value(html, "created") == "6"
    assert card_value(html, "closed") == "2"
    assert card_value(html, "backlog") == "4"
    assert card_value(html, "satisfaction") == "100 %"
    # The breakdown by team names both, in the table and in the bar chart.
    assert "<th scope=\"row\">Helpdesk</th>" in html and "<th scope=\"row\">Zeta Finance</th>" in html
    assert 'role="img"' in html and "ws-chart-flow-title" in html
    # The previous period had nothing: the change says so in words, with an arrow hidden from screen readers.
    assert "Previous period: 0" in html and "up 6" in html
    assert "business hours where a service level applies" in html


def test_an_agent_reads_only_their_teams(desk, agent, other_team):
    html = page(login(agent))
    assert card_value(html, "created") == "4"
    assert card_value(html, "closed") == "1"
    assert "Zeta" not in html and "Oscar" not in html and "Zebulon" not in html
    # The filters offer the agent's team and its members only.
    assert "Helpdesk" in html and "Carl Colleague" in html


@pytest.mark.parametrize("breakdown", ["team", "agent", "category", "kind", "channel"])
def test_an_agent_asking_for_another_team_gets_nothing_of_it(desk, agent, other_team, breakdown):
    """The attack: the other team's id (and its agent's) in the address, every breakdown, and the downloads."""
    client = login(agent)
    params = {"teams": other_team.pk, "agents": desk["outsider"].pk, "breakdown": breakdown, "period": "last_7"}
    html = page(client, **params)
    assert "Select a valid choice" in html  # named, then set aside: the report is the agent's own
    assert card_value(html, "created") == "4"
    for secret in ("Zeta", "Oscar", "Outsider", "Zebulon"):
        assert secret not in html, secret
    for table in ("breakdown", "series", "tickets"):
        content = body(client.get(reverse(URL), {**params, "export": "csv", "table": table})).decode("utf-8-sig")
        for secret in ("Zeta", "Oscar", "Zebulon"):
            assert secret not in content, (table, secret)
    tickets = csv_rows(client.get(reverse(URL), {**params, "export": "csv", "table": "tickets"}))
    assert {row["Subject"] for row in tickets} == {f"Helpdesk question {i}" for i in range(4)}


def test_filters_narrow_the_figures(desk, supervisor, other_team, team):
    client = login(supervisor)
    assert card_value(page(client, teams=other_team.pk), "created") == "2"
    assert card_value(page(client, teams=[other_team.pk, team.pk]), "created") == "6"
    assert card_value(page(client, channels="email"), "created") == "0"
    html = page(client, breakdown="agent", measure="closed")
    assert "Closed by assignee" in html and "Alice Agent" in html


@pytest.mark.parametrize(
    "params, message",
    [
        ({"period": "forever"}, "Select a valid choice. forever is not one of the available choices."),
        ({"period": "custom", "start": "2026-02-31", "end": "2026-03-01"}, "Enter a valid date."),
        ({"period": "custom", "start": "2026-03-05", "end": "2026-03-01"}, "The first day comes after the last day."),
        ({"period": "custom", "start": "2026-03-05"}, "Custom dates need a first and a last day."),
        ({"period": "custom", "start": "0001-01-01", "end": "2026-03-01"}, "Enter a date between the years 2000 and 2999."),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-03-01", "bucket": "day"}, "Too many days for one chart"),
        ({"bucket": "hour"}, "Select a valid choice. hour is not one of the available choices."),
        ({"breakdown": "requester"}, "Select a valid choice."),
        ({"teams": "abc"}, "Select a valid choice."),
        ({"measure": "__class__"}, "Select a valid choice."),
    ],
)
def test_a_wrong_choice_is_named_and_the_report_uses_the_default(desk, supervisor, params, message):
    html = page(login(supervisor), **params)
    assert "Some choices could not be used; the report uses the default for them:" in html
    assert message in html.replace("&quot;", '"')
    # The default report: the last 30 days, every ticket.
    assert card_value(html, "created") == "6"


def test_a_custom_period_and_the_previous_one(desk, supervisor):
    today = timezone.localdate()
    client = login(supervisor)
    html = page(client, period="custom", start=(today - datetime.timedelta(days=9)).isoformat(),
                end=today.isoformat(), bucket="day")
    assert card_value(html, "created") == "6"
    earlier = page(client, period="custom", start="2024-01-01", end="2024-01-31", bucket="week")
    assert card_value(earlier, "created") == "0"
    assert "No tickets in this period." in earlier
    assert "compared with" in earlier


def test_the_downloads_hold_the_report_and_its_tickets(desk, supervisor):
    client = login(supervisor)
    breakdown = csv_rows(client.get(reverse(URL), {"export": "csv", "table": "breakdown"}))
    assert breakdown[0]["Support team"].startswith("All, ")
    assert breakdown[0]["Created"] == "6" and breakdown[0]["Closed"] == "2"
    assert breakdown[1]["Support team"].startswith("All, previous period") and breakdown[1]["Created"] == "0"
    by_team = {row["Support team"]: row for row in breakdown[2:]}
    assert by_team["Helpdesk"]["Created"] == "4" and by_team["Zeta Finance"]["Created"] == "2"
    assert by_team["Helpdesk"]["Satisfaction (% good)"] == "100.0"

    sheet = xlsx_rows(client.get(reverse(URL), {"export": "xlsx", "table": "breakdown"}))
    assert sheet[0]["Created"] == 6  # a number, not text
    assert {row["Support team"] for row in sheet[2:]} == {"Helpdesk", "Zeta Finance"}

    series = csv_rows(client.get(reverse(URL), {"export": "csv", "table": "series", "period": "last_7"}))
    assert len(series) == 7 and sum(int(row["Created"]) for row in series) == 6
    assert series[-1]["First day"] == timezone.localdate().isoformat() or series[-1]["Created"] == "6"

    tickets = xlsx_rows(client.get(reverse(URL), {"export": "xlsx", "table": "tickets"}))
    assert len(tickets) == 6
    resolved = next(row for row in tickets if row["Subject"] == "Helpdesk question 0")
    assert resolved["Support team"] == "Helpdesk" and resolved["Satisfaction"] == "Good"
    assert isinstance(resolved["Created"], datetime.datetime) and resolved["Closed"] is not None
    assert isinstance(resolved["Time to first response (seconds)"], int)
    headings = set(tickets[0])
    assert {"Reference", "Service catalog entry", "Type", "Channel", "Site", "First response on time"} <= headings
    assert "Description" not in headings


def test_a_subject_never_runs_as_a_formula(supervisor, category):
    factories.open_ticket(requester_name="X", requester_email="x@example.com", subject="=HYPERLINK(\"http://evil\")",
                          category=category)
    rows = csv_rows(login(supervisor).get(reverse(URL), {"export": "csv", "table": "tickets"}))
    assert rows[0]["Subject"].startswith("'=")


def test_only_agents_and_supervisors_open_it(requester, agent):
    response = login(requester).get(reverse(URL))
    assert response.status_code in (302, 403)
    html = page(login(agent))
    assert reverse(URL) in html  # the Support menu's "Reports"


def test_an_attackers_team_name_is_text(supervisor, db):
    team = factories.make_team('</text><script>alert("team")</script>', "evil")
    entry = factories.make_category("Evil entry", team)
    factories.open_ticket(requester_name="X", requester_email="x@example.com", subject="Hello", category=entry)
    html = page(login(supervisor))
    assert "<script>alert(" not in html
    assert "&lt;/text&gt;&lt;script&gt;" in html


def make_tickets(count, category, agent, code):
    for i in range(count):
        ticket = factories.open_ticket(requester_name=f"R{i}", requester_email=f"q{i}@example.com",
                                       subject=f"Ticket {i}", category=category)
        if i % 2:
            workflow.reply(ticket, by=agent, body="Hi")
        if i % 3 == 0:
            workflow.resolve(ticket, by=agent, code=code, solution="Done")


@pytest.mark.parametrize("who", ["supervisor", "agent"])
def test_the_page_runs_the_same_queries_for_5_and_50_tickets(who, supervisor, agent, category, resolution_code,
                                                             django_assert_num_queries):
    user = supervisor if who == "supervisor" else agent
    client = login(user)
    make_tickets(5, category, agent, resolution_code)
    page(client)  # the caches (content types, site root paths) filled
    with CaptureQueriesContext(connection) as five:
        page(client, breakdown="agent")
    make_tickets(45, category, agent, resolution_code)
    with django_assert_num_queries(len(five.captured_queries)):
        html = page(client, breakdown="agent")
    assert card_value(html, "created") == "50"


def test_a_wrong_choice_is_named_in_the_agents_language(desk, agent):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(agent)
    profile.preferred_language = "fr"
    profile.save()
    html = page(login(agent), period="forever", start="2026-02-31", period_custom="x")
    # Django's own messages are in French already; the page's own sentences follow the French catalogue
    # once it is brought up to date (make messages).
    assert "Sélectionnez un choix valide" in html
    assert card_value(html, "created") == "4"


def test_the_bar_chart_keeps_the_highest_of_many(supervisor, resolution_code):
    from wagtail_support.admin import reports

    for i in range(reports.MAX_BARS + 3):
        team = factories.make_team(f"Team {i:02d}", f"team-{i}")
        entry = factories.make_category(f"Entry {i}", team)
        for _ in range(1 + i % 4):
            factories.open_ticket(requester_name="X", requester_email="x@example.com", subject="S", category=entry)
    html = page(login(supervisor))
    chart = html[html.index('data-chart="ws-chart-breakdown"'):html.index("data-ws-breakdown")]
    assert chart.count('class="ws-chart__bar"') == reports.MAX_BARS
    assert f"The {reports.MAX_BARS} highest; the table below holds every one." in chart
    table = html[html.index("data-ws-breakdown"):]
    assert all(f"Team {i:02d}" in table for i in range(reports.MAX_BARS + 3))
    # The teams with four tickets (3, 7, 11...) are all drawn.
    assert all(f">Team {i:02d}<" in chart for i in range(3, reports.MAX_BARS + 3, 4))
