"""Browser test: the reports page in headless Chromium (Playwright), in Wagtail's light and dark themes.

A supervisor opens Support › Reports on a month of a small helpdesk (two teams, tickets spread over thirty
days, some answered and closed, a few rated). What she notices:

- the headline figures, each with the previous period's value and the change in words;
- the charts drawn as SVG, whose lines and text follow the theme (light text on the dark theme), with their
  numbers under "Show the data";
- narrowing to one team in "More filters" changes the figures;
- axe-core finds nothing critical or serious, in either theme.

With ``SAVE_SCREENSHOTS=1`` the test writes ``docs/screenshots/reports.png`` (light) and
``reports-dark.png`` for the README.
"""

import datetime
import random

import pytest
from django.utils import timezone

from tests import factories
from tests.axe_support import report, serious_violations
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab, screenshot  # noqa: F401 - fixtures
from tests.test_browser_axe import THEMES, _luminance, log_in, open_themed_tab, set_admin_theme

pytestmark = BROWSER_TEST_MARKS

URL = "/admin/support/reports/"


@pytest.fixture
def month_of_support(settings, resolution_code):
    """Two teams, three agents and a supervisor; 70 tickets over the last 30 days (and 40 in the 30 before),
    most answered, many closed, a few rated."""
    from wagtail_support import workflow
    from wagtail_support.models import Ticket

    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    helpdesk = factories.make_team("Helpdesk", "helpdesk")
    finance = factories.make_team("Finance", "finance")
    agents = [
        factories.make_agent("alice", helpdesk, first_name="Alice", last_name="Agent"),
        factories.make_agent("bob", helpdesk, first_name="Bob", last_name="Builder"),
        factories.make_agent("fay", finance, first_name="Fay", last_name="Figures"),
    ]
    supervisor = factories.make_supervisor("sue", helpdesk, first_name="Sue", last_name="Supervisor")
    entries = [
        (factories.make_category("Accounts", helpdesk), agents[0]),
        (factories.make_category("Website", helpdesk), agents[1]),
        (factories.make_category("Invoices", finance), agents[2]),
    ]
    rng = random.Random(17)
    now = timezone.now()
    for i in range(110):
        category, agent = entries[i % 3] if i % 5 else entries[0]
        ticket = factories.open_ticket(
            requester_name=f"Requester {i}", requester_email=f"r{i}@example.com", subject=f"Question {i}",
            category=category, kind=rng.choice(["question", "bug", "billing", "technical"]),
        )
        age = datetime.timedelta(days=rng.uniform(0.2, 60 if i >= 70 else 29.5))
        workflow.assign(ticket, to=agent, by=agent)
        if i % 4:
            workflow.reply(ticket, by=agent, body="We are on it.")
        closed = i % 3 != 0 and age > datetime.timedelta(days=1)
        if closed:
            workflow.resolve(ticket, by=agent, code=resolution_code, solution="Done.")
        created = now - age
        response = rng.randint(600, 4 * 3600) if i % 4 else None
        resolution = rng.randint(3600, 3 * 86400) if closed else None
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_response_at=created + datetime.timedelta(seconds=response) if response else None,
            first_response_seconds=response,
            first_response_met=response < 3 * 3600 if response else None,
            closed_at=created + min(datetime.timedelta(seconds=resolution), age - datetime.timedelta(minutes=5)) if closed else None,
            resolution_seconds=resolution,
            resolution_met=resolution < 2 * 86400 if closed else None,
            satisfaction=("good" if i % 7 else "bad") if closed and i % 2 else "",
            satisfaction_at=now - age / 2 if closed and i % 2 else None,
        )
    return {"supervisor": supervisor, "finance": finance}


def card(page, key):
    return page.locator(f'[data-figure="{key}"] .ws-reports-card__value').inner_text().strip()


def test_the_reports_page_reads_and_filters_in_both_themes(month_of_support, browser, live_server, screenshot):  # noqa: F811
    from playwright.sync_api import expect

    user = month_of_support["supervisor"]
    failures = []
    for theme in THEMES:
        set_admin_theme(user, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, user, live_server.url)
            page = tab.page
            assert page.goto(URL).status == 200
            page.wait_for_load_state("networkidle")
            assert f"w-theme-{theme}" in page.evaluate("document.documentElement.className")
            expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
            created = int(card(page, "created"))
            assert created > 0
            expect(page.locator('[data-figure="created"]')).to_contain_text("Previous period:")
            # The charts: SVG images with their names, their lines in the theme's colours.
            flow = page.get_by_role("img", name="Tickets created and closed per day")
            expect(flow).to_be_visible()
            expect(page.get_by_role("img", name="Created by support team")).to_be_visible()
            text_fill = page.locator(".ws-chart__svg text").first.evaluate("e => getComputedStyle(e).fill")
            line_stroke = page.locator(".ws-chart__line--1").first.evaluate("e => getComputedStyle(e).stroke")
            dashes = page.locator(".ws-chart__line--2").first.evaluate("e => getComputedStyle(e).strokeDasharray")
            assert dashes not in ("none", ""), "the second series has no dash pattern"
            if theme == "dark":
                assert _luminance(text_fill) > 0.5 and _luminance(line_stroke) > 0.3, (text_fill, line_stroke)
            else:
                assert _luminance(text_fill) < 0.2, text_fill
            # The numbers behind the chart, one click away.
            page.locator('[data-chart="ws-chart-flow"] summary').click()
            table = page.locator('[data-chart="ws-chart-flow"] table')
            expect(table).to_be_visible()
            assert table.locator("tbody tr").count() == 30
            violations = serious_violations(page)
            if violations:
                failures.append(f"reports page, {theme} theme:\n{report(violations)}")
            if theme == "light":
                page.locator('[data-chart="ws-chart-flow"] summary').click()
                screenshot(page, "reports.png")
            else:
                screenshot(page, "reports-dark.png")

            # One team: fewer tickets created, and only that team in the breakdown.
            page.get_by_text("More filters").click()
            page.get_by_label("Support teams").select_option(label="Finance")
            page.get_by_role("button", name="Show the report").click()
            page.wait_for_load_state("networkidle")
            assert f"teams={month_of_support['finance'].pk}" in page.url
            narrowed = int(card(page, "created"))
            assert 0 < narrowed < created
            rows = page.locator("[data-ws-breakdown] tbody th").all_inner_texts()
            assert rows == ["Finance"]
            tab.check()
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)
