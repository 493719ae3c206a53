"""The page editor's "Support tickets" side panel and the "Pages with open tickets" report in a real browser:
the panel opens from its toggle, and axe-core finds nothing critical or serious in either, in Wagtail's light
and dark admin themes."""

import pytest

from tests import factories
from tests.axe_support import report, serious_violations
from tests.browser_support import BROWSER_TEST_MARKS, browser  # noqa: F401 - fixtures
from tests.test_browser_axe import THEMES, axe_failures, log_in, open_themed_tab, set_admin_theme

pytestmark = BROWSER_TEST_MARKS

PANEL = '[data-side-panel="wagtail_support_tickets"]'
TOGGLE = '[data-side-panel-toggle="wagtail_support_tickets"]'


@pytest.fixture
def editing_agent(db):
    from django.contrib.auth.models import Group
    from wagtail.models import Site

    team = factories.make_team("Helpdesk", "helpdesk")
    billing = factories.make_team("Billing", "billing")
    agent = factories.make_agent("agent", team, first_name="Alice", last_name="Agent")
    agent.groups.add(Group.objects.get(name="Editors"))
    home = Site.objects.get(is_default_site=True).root_page
    for category, subject in (
        (factories.make_category("Accounts", team), "The checkout button does nothing"),
        (factories.make_category("Invoices", billing), "Someone else's invoice"),
    ):
        factories.open_ticket(requester_name="Ann", requester_email="ann@example.com", subject=subject,
                              category=category, submitted_from=home)
    return agent, home


def test_panel_opens_and_has_no_serious_axe_violation_in_both_themes(editing_agent, browser, live_server):  # noqa: F811
    agent, home = editing_agent
    failures = []
    for theme in THEMES:
        set_admin_theme(agent, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, agent, live_server.url)
            page = tab.page
            assert page.goto(f"/admin/pages/{home.pk}/edit/").status == 200
            toggle = page.locator(TOGGLE)
            assert toggle.get_attribute("aria-label") == "Toggle support tickets"
            toggle.click()
            panel = page.locator(PANEL)
            panel.wait_for(state="visible")
            assert panel.get_by_role("heading", name="Open tickets from this page").is_visible()
            assert panel.get_by_role("link", name="The checkout button does nothing").is_visible()
            assert panel.get_by_text("A ticket of another team").is_visible()
            assert "Someone else" not in panel.inner_text()
            violations = serious_violations(page, PANEL)
            if violations:
                failures.append(f"{theme} theme:\n{report(violations)}")
            assert f"w-theme-{theme}" in page.evaluate("document.documentElement.className")
            tab.check()
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)



def test_report_has_no_serious_axe_violation_in_both_themes(editing_agent, browser, live_server):  # noqa: F811
    agent, home = editing_agent
    failures = []
    for theme in THEMES:
        set_admin_theme(agent, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, agent, live_server.url)
            failures += axe_failures(tab, "/admin/support/reports/pages/", f"pages with open tickets, {theme} theme")
            assert tab.page.get_by_role("link", name="1 open ticket, in the inbox").is_visible()
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)
