"""The inbox's export: the tickets of the view on screen as CSV or XLSX (Wagtail's spreadsheet export).

What an agent would notice: the "Download CSV" and "Download XLSX" buttons download every ticket of the view
they look at (its filters, search and sort, every page), with readable headings and values; the file holds
the ticket's fields and never a message, so never an internal note; they never get a ticket they may not
see, whatever they put in the address; a visitor's subject never runs as a spreadsheet formula; and a large
desk exports in a fixed number of queries, read in chunks.
"""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from wagtail_support import workflow
from wagtail_support.admin import export
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db

INBOX = "wagtail_support_admin:inbox"
NOTE = "Internal: the customer is on the watch list, do not refund"


def login(user):
    client = Client()
    client.force_login(user)
    return client


def download(client, fmt="csv", url_name=INBOX, **params):
    response = client.get(reverse(url_name), {**params, "export": fmt})
    assert response.status_code == 200, response
    return response


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response, content=None):
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    content = body(response) if content is None else content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(response, content=None):
    from openpyxl import load_workbook

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response["Content-Disposition"]
    content = body(response) if content is None else content
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    headings = values[0]
    return [dict(zip(headings, row)) for row in values[1:]]


def references(rows):
    return {row["Reference"] for row in rows}


@pytest.fixture
def other_category(other_team):
    return factories.make_category("Invoices", other_team)


@pytest.fixture
def desk(agent, colleague, category, other_category):
    """Tickets of ``team`` (open, pending, closed, one with a note) and of ``other_team``."""
    tickets = {
        "open": factories.open_ticket(
            requester_name="Zoe Zed", requester_email="zoe@example.com", subject="Crash on save",
            category=category, kind="bug", priority="urgent",
        ),
        "pending": factories.open_ticket(
            requester_name="Yann Why", requester_email="yann@example.com", subject="How to export",
            category=category,
        ),
        "closed": factories.open_ticket(
            requester_name="Vera Vee", requester_email="vera@example.com", subject="Old problem", category=category,
        ),
        "noted": factories.open_ticket(
            requester_name="Walt Note", requester_email="walt@example.com", subject="Refund please",
            category=category,
        ),
        "other": factories.open_ticket(
            requester_name="Bill Payer", requester_email="bill@example.com", subject="Secret billing matter",
            category=other_category,
        ),
    }
    workflow.assign(tickets["open"], to=agent, by=agent)
    workflow.set_pending(tickets["pending"], by=agent)
    workflow.abandon(tickets["closed"], by=agent)
    workflow.reply(tickets["noted"], by=colleague, body=NOTE, internal=True)
    return tickets


# What the file holds --------------------------------------------------------------------------------------


def test_csv_export_of_the_default_view_holds_the_not_closed_tickets_of_my_teams(agent, desk):
    rows = csv_rows(download(login(agent)))
    assert references(rows) == {desk[k].reference for k in ("open", "pending", "noted")}
    zoe = next(row for row in rows if row["Reference"] == desk["open"].reference)
    assert zoe["Subject"] == "Crash on save"
    assert zoe["Status"] == "Open" and zoe["Priority"] == "Urgent" and zoe["Type"] == "Bug"
    assert zoe["Support team"] == "Helpdesk" and zoe["Service catalog entry"] == "Accounts"
    assert zoe["Assignee"] == "Alice Agent"
    assert (zoe["Requester name"], zoe["Requester email"]) == ("Zoe Zed", "zoe@example.com")
    assert zoe["Created"][:4].isdigit() and "+" not in zoe["Created"]  # a local date, to the second
    assert zoe["Waiting for us since"]  # nobody answered yet


def test_export_follows_the_view_filters_search_and_sort(agent, desk):
    client = login(agent)
    assert references(csv_rows(download(client, view="all"))) == {
        desk[k].reference for k in ("open", "pending", "closed", "noted")
    }
    assert references(csv_rows(download(client, view="mine"))) == {desk["open"].reference}
    assert references(csv_rows(download(client, status="pending"))) == {desk["pending"].reference}
    assert references(csv_rows(download(client, status="closed"))) == {desk["closed"].reference}
    assert references(csv_rows(download(client, q="export"))) == {desk["pending"].reference}
    ordered = [row["Reference"] for row in csv_rows(download(client, view="all", ordering="reference"))]
    assert ordered == sorted(ordered, key=lambda ref: int(ref.lstrip("#")))
    # The results address (the listing refreshed in place) exports the same.
    assert references(csv_rows(download(client, url_name="wagtail_support_admin:inbox_results", view="mine"))) == {
        desk["open"].reference
    }


def test_every_page_is_exported_not_only_the_first(agent, category):
    for i in range(60):
        factories.open_ticket(requester_email=f"p{i}@example.com", subject=f"Ticket {i}", category=category)
    assert len(csv_rows(download(login(agent), p=2))) == 60


def test_xlsx_export_holds_the_same_rows_with_dates(agent, desk):
    client = login(agent)
    rows = xlsx_rows(download(client, "xlsx", view="all"))
    assert references(rows) == references(csv_rows(download(client, view="all")))
    closed = next(row for row in rows if row["Reference"] == desk["closed"].reference)
    assert closed["Status"] == "Closed" and closed["Reason for closing"] == "Abandoned (no follow-up)"
    assert closed["Closed"] is not None and hasattr(closed["Closed"], "year")  # a real date cell
    assert closed["Waiting for us since"] in (None, "")  # a closed ticket waits for nobody


def test_the_export_never_holds_a_message_nor_an_internal_note(agent, desk):
    client = login(agent)
    for fmt in ("csv", "xlsx"):
        content = body(download(client, fmt, view="all"))
        assert NOTE.encode() not in content
        # Nor the description (the requester's first message) or a reply.
        assert b"The login page says my password is wrong." not in content
    rows = csv_rows(download(client, view="all"))
    assert set(rows[0]) == {str(heading) for _key, heading, _value in export.EXPORT_COLUMNS}
    assert not any("note" in heading.lower() or "message" in heading.lower() for heading in rows[0])


def test_a_subject_never_runs_as_a_formula(agent, category):
    factories.open_ticket(
        requester_name="=HYPERLINK(\"http://evil.example\",\"x\")", requester_email="evil@example.com",
        subject="=cmd|' /C calc'!A0", category=category,
    )
    factories.open_ticket(requester_email="plus@example.com", subject="+1 for the new menu", category=category)
    client = login(agent)
    rows = csv_rows(download(client))
    subjects = {row["Subject"] for row in rows}
    assert "'=cmd|' /C calc'!A0" in subjects and "'+1 for the new menu" in subjects
    assert any(row["Requester name"].startswith("'=HYPERLINK") for row in rows)
    # XLSX cells are text (Wagtail's export turns a formula back into a string).
    cells = {row["Subject"] for row in xlsx_rows(download(client, "xlsx"))}
    assert "=cmd|' /C calc'!A0" in cells


def test_export_buttons_carry_the_view_on_screen(agent, desk):
    response = login(agent).get(reverse(INBOX), {"view": "mine", "priority": "urgent", "p": "1"})
    content = response.content.decode()
    assert "Download CSV" in content and "Download XLSX" in content
    assert "export=csv" in content and "export=xlsx" in content
    url = next(u for u in response.context["view"].header_more_buttons if "CSV" in str(u.label)).url
    assert url.startswith(reverse(INBOX) + "?") and "view=mine" in url and "priority=urgent" in url
    assert "p=1" not in url


# Who gets what --------------------------------------------------------------------------------------------


ATTACKS = [
    {},
    {"view": "all"},
    {"view": "open"},
    {"view": "everything"},
    {"team": "OTHER_TEAM"},
    {"team": "OTHER_TEAM", "view": "all"},
    {"team": ["OTHER_TEAM", "TEAM"]},
    {"assignee": "nobody", "view": "unassigned"},
    {"requester": "bill@example.com", "view": "all"},
    {"q": "Secret billing matter", "view": "all"},
    {"q": "OTHER_REFERENCE"},
    {"q": "bill@example.com"},
    {"category": "OTHER_CATEGORY", "view": "all"},
    {"ordering": "team__name"},
    {"id": "OTHER_ID"},
    {"team__in": "OTHER_TEAM", "pk__in": "OTHER_ID", "scope": "all", "sees_all": "1"},
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_agent_of_team_a_never_exports_a_ticket_of_team_b(agent, desk, other_category, fmt):
    """Whatever the address says (views, the other team's id, its reference, its requester, lookups
    smuggled in as parameters), the file holds team A's tickets only."""
    other = desk["other"]
    values = {
        "OTHER_TEAM": str(other.team_id), "TEAM": str(desk["open"].team_id), "OTHER_REFERENCE": other.reference,
        "OTHER_CATEGORY": str(other_category.pk), "OTHER_ID": str(other.pk),
    }

    def fill(value):
        return [values.get(v, v) for v in value] if isinstance(value, list) else values.get(value, value)

    client = login(agent)
    for params in ATTACKS:
        for url_name in (INBOX, "wagtail_support_admin:inbox_results"):
            query = {**{k: fill(v) for k, v in params.items()}, "export": fmt}
            response = client.get(reverse(url_name), query)
            assert response.status_code == 200, query
            content = body(response)
            assert b"Secret billing matter" not in content and b"bill@example.com" not in content, query
            rows = csv_rows(response, content) if fmt == "csv" else xlsx_rows(response, content)
            assert other.reference not in references(rows), query
            assert all(row["Support team"] in ("Helpdesk", "", None) for row in rows), query


def test_an_agent_of_team_b_exports_only_team_b(outsider_agent, desk):
    rows = csv_rows(download(login(outsider_agent), view="all"))
    assert references(rows) == {desk["other"].reference}


def test_a_supervisor_exports_every_team(supervisor, desk):
    rows = csv_rows(download(login(supervisor), view="all"))
    assert desk["other"].reference in references(rows) and desk["closed"].reference in references(rows)


@pytest.fixture
def editor(db):
    user = factories.make_user("editor", first_name="Eddie", last_name="Editor")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_export_without_the_agent_permission(client, editor, requester, desk, fmt):
    for who in (client, login(editor), login(requester)):
        response = who.get(reverse(INBOX), {"export": fmt, "view": "all"})
        assert response.status_code in (302, 403)
        assert b"Crash on save" not in body(response)


# A large desk ---------------------------------------------------------------------------------------------


def count_export_queries(client, fmt):
    with CaptureQueriesContext(connection) as queries:
        content = body(download(client, fmt, view="all"))
    return len(queries), content


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_queries_do_not_grow_with_the_number_of_tickets(agent, colleague, category, monkeypatch, fmt):
    # Chunks of 10 rows, so that 35 tickets are read in several chunks (on PostgreSQL, one cursor).
    monkeypatch.setattr(export, "EXPORT_CHUNK", 10)
    client = login(agent)
    tickets = [factories.open_ticket(requester_email=f"a{i}@example.com", category=category) for i in range(5)]
    workflow.assign(tickets[0], to=colleague, by=colleague)
    count_export_queries(client, fmt)  # warm caches
    few, _content = count_export_queries(client, fmt)
    more = [factories.open_ticket(requester_email=f"b{i}@example.com", category=category) for i in range(30)]
    for ticket in more[::3]:
        workflow.assign(ticket, to=colleague, by=colleague)
    many, content = count_export_queries(client, fmt)
    assert few == many
    if fmt == "csv":
        assert content.count(b"\n") == 36  # the headings and 35 tickets


def test_csv_is_streamed_in_chunks(agent, category, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_CHUNK", 10)
    for i in range(25):
        factories.open_ticket(requester_email=f"c{i}@example.com", category=category)
    response = download(login(agent))
    assert response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) == 4  # the headings, then 10, 10 and 5 tickets
    assert Ticket.objects.count() == 25
