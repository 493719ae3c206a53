"""Tickets where editors work: the "Support tickets" side panel of the page editor and the "Pages with open
tickets" report (``wagtail_support.admin.page_tickets``).

What an editor would notice: the panel of a page lists the open tickets that came from that page (its form
or the page read before the support page), nobody else's and no closed one; an agent reads the subjects of
the tickets they work and nothing of the others; an editor who is no agent reads the count and nothing
else. The report counts, per page, the open tickets the agent works, and is refused to anyone else. Both
run a fixed number of queries.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Page, Site

from tests import factories
from wagtail_support import workflow
from wagtail_support.admin.page_tickets import PANEL_SIZE, PageTickets
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db

REPORT = "wagtail_support_reports:pages_with_tickets"
PANEL_MARK = 'data-side-panel="wagtail_support_tickets"'


# Fixtures and helpers -------------------------------------------------------------------------------------


def editors(user):
    """``user`` may also edit pages (Wagtail's "Editors" group: add, change, publish under the root)."""
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def page_editor(db):
    """Eddie Editor: edits pages, works no ticket."""
    return editors(factories.make_user("editor", first_name="Eddie", last_name="Editor"))


@pytest.fixture
def page_agent(agent):
    """Alice Agent (of ``team``), who also edits pages."""
    return editors(agent)


@pytest.fixture
def home():
    """The default site's root page, a plain ``Page``."""
    return Site.objects.get(is_default_site=True).root_page


@pytest.fixture
def other_page(home):
    return home.add_child(instance=Page(title="Pricing", slug="pricing"))


@pytest.fixture
def other_category(other_team):
    return factories.make_category("Invoices", other_team)


def login(user):
    client = Client()
    client.force_login(user)
    return client


def ticket_from(page, category, subject, *, via="submitted_from", **kwargs):
    return factories.opened_before(
        factories.open_ticket(
            requester_name="Ann Onymous", requester_email="ann@example.com", subject=subject,
            category=category, **{via: page}, **kwargs
        )
    )


def edit_page(client, page):
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    return response.content.decode()


def panel_html(html):
    """The side panel's own markup (from its heading to the end of its section)."""
    start = html.index(PANEL_MARK)
    return html[start: html.index("</section>", start)]


def close(ticket, by, code):
    workflow.resolve(ticket, by=by, code=code, solution="Done.")


# The side panel -------------------------------------------------------------------------------------------


def test_panel_lists_the_open_tickets_of_this_page_only(page_agent, home, other_page, category, resolution_code):
    mine = ticket_from(home, category, "Checkout button broken")
    read_before = ticket_from(home, category, "Prices unclear", via="came_from")
    elsewhere = ticket_from(other_page, category, "Elsewhere entirely")
    closed = ticket_from(home, category, "Long solved problem")
    close(closed, page_agent, resolution_code)
    panel = panel_html(edit_page(login(page_agent), home))
    assert "2 open tickets came from this page." in panel
    for ticket in (mine, read_before):
        assert ticket.subject in panel and ticket.reference in panel
        assert reverse("wagtail_support_admin:ticket", args=[ticket.pk]) in panel
    assert elsewhere.subject not in panel and "Long solved problem" not in panel
    # The toggle carries the count; the inbox link names the page's filter.
    assert "from_page=%d" % home.pk in panel


def test_panel_shows_on_a_sites_own_page_type(page_agent, home, category):
    from tests.site_app.models import CompanySupportPage

    page = home.add_child(instance=CompanySupportPage(title="Help", slug="help"))
    ticket = ticket_from(page, category, "Form on the company page")
    assert ticket.subject in panel_html(edit_page(login(page_agent), page))


def test_non_agent_editor_reads_the_count_and_no_subject_nor_reference(page_editor, home, category):
    tickets = [ticket_from(home, category, f"Private matter {n}") for n in range(3)]
    html = edit_page(login(page_editor), home)
    panel = panel_html(html)
    assert "3 open tickets came from this page." in panel
    for ticket in tickets:
        # Nowhere on the page: not in the panel, not in a tooltip, not in a link.
        assert ticket.subject not in html
        assert reverse("wagtail_support_admin:ticket", args=[ticket.pk]) not in html
        assert f">{ticket.reference}<" not in html
    assert "Private matter" not in html
    # The count alone: no row per ticket, no link to the inbox (which would refuse them anyway).
    assert "ws-page-tickets__item" not in panel
    assert "from_page=" not in panel


def test_agent_reads_nothing_of_another_teams_ticket(page_agent, home, category, other_category):
    own = ticket_from(home, category, "Our own problem")
    theirs = ticket_from(home, other_category, "Billing secret of someone")
    panel = panel_html(edit_page(login(page_agent), home))
    assert "2 open tickets came from this page." in panel
    assert own.subject in panel
    assert theirs.subject not in panel and theirs.reference not in panel
    assert reverse("wagtail_support_admin:ticket", args=[theirs.pk]) not in panel
    assert "A ticket of another team" in panel
    # The inbox link counts what the agent works.
    assert "The ticket you work, in the inbox" in panel


def test_supervisor_reads_every_ticket(supervisor, home, category, other_category):
    tickets = [ticket_from(home, category, "Helpdesk side"), ticket_from(home, other_category, "Billing side")]
    panel = panel_html(edit_page(login(editors(supervisor)), home))
    for ticket in tickets:
        assert ticket.subject in panel
    assert "view=open" in panel


def test_panel_lists_the_newest_and_says_how_many_more(page_agent, home, category):
    tickets = [ticket_from(home, category, f"Problem number {n}") for n in range(PANEL_SIZE + 2)]
    read = PageTickets(home, page_agent)
    assert read.total == read.workable == PANEL_SIZE + 2
    assert [t.pk for t in read.rows] == [t.pk for t in reversed(tickets)][:PANEL_SIZE]
    panel = panel_html(edit_page(login(page_agent), home))
    assert "And 2 older tickets." in panel
    assert "Problem number 0<" not in panel and "Problem number 1<" not in panel


def test_a_ticket_from_the_page_twice_counts_once(page_agent, home, category):
    ticket_from(home, category, "Both ways", came_from=home)
    assert PageTickets(home, page_agent).total == 1


def test_page_without_tickets_says_so(page_editor, home):
    panel = panel_html(edit_page(login(page_editor), home))
    assert "0 open tickets came from this page." in panel


@pytest.mark.parametrize("user_fixture", ["page_agent", "page_editor"])
def test_panel_runs_a_fixed_number_of_queries(request, user_fixture, home, category):
    user = request.getfixturevalue(user_fixture)
    client = login(user)
    ticket_from(home, category, "The first one")
    edit_page(client, home)  # warm caches (content types, site root)
    with CaptureQueriesContext(connection) as one:
        edit_page(client, home)
    for n in range(29):
        ticket_from(home, category, f"One more {n}")
    with CaptureQueriesContext(connection) as thirty:
        html = edit_page(client, home)
    assert "30 open tickets came from this page." in html
    assert len(one) == len(thirty), [q["sql"] for q in thirty][len(one):]


def test_inbox_filters_on_the_page(page_agent, home, other_page, category):
    here = ticket_from(home, category, "From here")
    there = ticket_from(other_page, category, "From there")
    read_before = ticket_from(other_page, category, "Read here first", came_from=home)
    response = login(page_agent).get(reverse("wagtail_support_admin:inbox"), {"from_page": home.pk})
    assert response.status_code == 200
    assert {t.pk for t in response.context["object_list"]} == {here.pk, read_before.pk}
    assert there.pk not in {t.pk for t in response.context["object_list"]}
    # Garbage is ignored, as every invalid filter of the inbox is.
    response = login(page_agent).get(reverse("wagtail_support_admin:inbox"), {"from_page": "1.5'; --"})
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 3


# The report -----------------------------------------------------------------------------------------------


def report(client, **params):
    response = client.get(reverse(REPORT), params)
    assert response.status_code == 200
    return response


def rows(response):
    return [(page.pk, page.open_tickets) for page in response.context["object_list"]]


def test_report_counts_open_tickets_per_page_most_first(agent, home, other_page, category, resolution_code):
    for n in range(3):
        ticket_from(other_page, category, f"Pricing {n}")
    ticket_from(home, category, "Home one", via="came_from")
    close(ticket_from(home, category, "Home closed"), agent, resolution_code)
    response = report(login(agent))
    assert rows(response) == [(other_page.pk, 3), (home.pk, 1)]
    html = response.content.decode()
    assert reverse("wagtailadmin_pages:edit", args=[other_page.pk]) in html
    assert f"from_page={other_page.pk}" in html


def test_report_counts_only_the_tickets_the_agent_works(agent, outsider_agent, supervisor, home, other_page,
                                                        category, other_category):
    ticket_from(home, category, "Helpdesk 1")
    ticket_from(home, category, "Helpdesk 2")
    ticket_from(home, other_category, "Billing 1")
    ticket_from(other_page, other_category, "Billing only page")
    assert rows(report(login(agent))) == [(home.pk, 2)]
    assert sorted(rows(report(login(outsider_agent)))) == sorted([(home.pk, 1), (other_page.pk, 1)])
    assert rows(report(login(supervisor))) == [(home.pk, 3), (other_page.pk, 1)]


def test_report_is_refused_to_a_non_agent(page_editor, home, category):
    ticket_from(home, category, "Not for editors")
    response = login(page_editor).get(reverse(REPORT))
    assert response.status_code in (302, 403)
    assert "Not for editors" not in response.content.decode()
    assert login(page_editor).get(reverse("wagtail_support_reports:pages_with_tickets_results")).status_code in (302, 403)



def test_report_is_in_the_reports_menu_of_agents_only(agent, page_editor):
    from wagtail.admin.menu import reports_menu

    def names(user):
        request = login(user).get(reverse("wagtailadmin_home")).wsgi_request
        return [item.name for item in reports_menu.menu_items_for_request(request)]

    assert "wagtail-support-pages-with-tickets" in names(agent)
    assert "wagtail-support-pages-with-tickets" not in names(page_editor)


def test_report_exports_csv(agent, home, category):
    ticket_from(home, category, "Exported")
    response = login(agent).get(reverse(REPORT), {"export": "csv"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "Open tickets" in content and f"{home.pk}," in content


def test_report_runs_a_fixed_number_of_queries(agent, category, home):
    pages = [home.add_child(instance=Page(title=f"Page {n}", slug=f"page-{n}")) for n in range(3)]
    for page in pages:
        ticket_from(page, category, "One")
    client = login(agent)
    report(client)
    with CaptureQueriesContext(connection) as few:
        report(client)
    more = [home.add_child(instance=Page(title=f"More {n}", slug=f"more-{n}")) for n in range(30)]
    for page in more:
        for _ in range(2):
            ticket_from(page, category, "Two")
    with CaptureQueriesContext(connection) as many:
        response = report(client)
    assert len(response.context["object_list"]) == 33
    assert len(few) == len(many), [q["sql"] for q in many][len(few):]
    assert Ticket.objects.count() == 63


def test_panel_counts_stop_at_the_limit(page_agent, page_editor, home, category, monkeypatch):
    """Past ``COUNT_LIMIT`` open tickets from a page, the panel, its toggle and the inbox link say "N+" (the
    support page of a large desk gathers a tenth of its backlog); at the limit, the exact number."""
    from wagtail_support.admin import scope as admin_scope

    for n in range(PANEL_SIZE + 3):
        ticket_from(home, category, f"Busy page {n}")
    monkeypatch.setattr(admin_scope, "COUNT_LIMIT", PANEL_SIZE + 1)
    html = edit_page(login(page_agent), home)
    panel = panel_html(html)
    assert f"{PANEL_SIZE + 1}+ open tickets came from this page." in panel
    assert "And 1+ older tickets." in panel
    assert f"All {PANEL_SIZE + 1}+ tickets you work, in the inbox" in panel
    assert re.search(r"data-side-panel-toggle-counter[^>]*>\s*%d\+\s*<" % (PANEL_SIZE + 1), html)
    assert f"{PANEL_SIZE + 1}+ open tickets came from this page." in panel_html(edit_page(login(page_editor), home))

    monkeypatch.setattr(admin_scope, "COUNT_LIMIT", PANEL_SIZE + 3)
    panel = panel_html(edit_page(login(page_agent), home))
    assert f"{PANEL_SIZE + 3} open tickets came from this page." in panel
    assert "And 3 older tickets." in panel and "+" not in panel.split("ws-page-tickets__total", 1)[1][:200]
