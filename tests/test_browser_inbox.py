"""Browser test: the inbox is built for triage, in real headless Chromium (Playwright) at 1280x800.

An agent opens the inbox on a busy morning (thirty tickets of her team with long subjects, a few where the
requester wrote last, one closed, one of another team). What she notices:

- it opens on "My teams", the tickets that are not closed, newest activity first;
- at least 15 tickets fit in the window at once, each on one line: a long subject ends with an ellipsis and
  shows whole on hover (its ``title``), and the Age column is not cut;
- the tickets where the requester wrote last carry a "3 h" badge under "Waiting", and sorting by it puts the
  one waiting longest first;
- the Support menu item says how many tickets nobody took.

The set-up is tests/browser_support.py's (Debian's Chromium, skipped when absent). With
``SAVE_SCREENSHOTS=1`` the test writes ``docs/screenshots/inbox.png`` (1280x800, the window as she sees it).
"""

import datetime
import re

import pytest
from django.utils import timezone

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, SCREENSHOTS_DIR, browser, open_tab, sign_in  # noqa: F401 - fixtures

pytestmark = BROWSER_TEST_MARKS

WINDOW = {"width": 1280, "height": 800}
SUBJECTS = [
    "The export to Excel of the monthly sales report stops at row 65,536 and the totals are wrong",
    "Cannot sign in since the password reset, the link in the mail says it has expired already",
    "Invoice March",
    "Please add our new accountant as a second administrator of the company account",
    "Images uploaded from an iPhone appear rotated by ninety degrees on the product pages",
    "Newsletter sign-up form accepts addresses without a domain and then the mails bounce",
]
WAITING_SUBJECT = "Our whole office sees error 502 on every page since eight o'clock this morning"


@pytest.fixture
def no_gravatar(settings):
    """Wagtail's default avatar instead of Gravatar's (the machines' network is closed)."""
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None


@pytest.fixture
def busy_morning(team, other_team, agent, category):
    """Thirty tickets of ``team`` (some answered, some waiting, one closed) and one of ``other_team``."""
    from wagtail_support import workflow
    from wagtail_support.models import Ticket

    colleague = factories.make_agent("bob", team, first_name="Bob", last_name="Builder")
    billing = factories.make_category("Billing and invoices", other_team)
    now = timezone.now()
    tickets = []
    for i in range(30):
        ticket = factories.open_ticket(
            requester_name=f"Requester Number {i} With A Long Name",
            requester_email=f"requester{i}@customer-company.example.com",
            subject=SUBJECTS[i % len(SUBJECTS)],
            description="Details of the problem.",
            category=category,
            priority=["low", "normal", "high", "urgent"][i % 4],
        )
        tickets.append(ticket)
    # Most were answered by the team (so they wait for the requester, not for us).
    for ticket in tickets[:24]:
        workflow.reply(ticket, by=colleague, body="We are looking into it.")
    for ticket in tickets[::3]:
        workflow.assign(ticket, to=colleague, by=colleague)
    # The requester answered on these: they wait for us, the first one for three hours.
    waiting = factories.open_ticket(
        requester_name="Nina Night", requester_email="nina.night@example.com", subject=WAITING_SUBJECT,
        description="Every page answers 502.", category=category, priority="urgent",
    )
    Ticket.objects.filter(pk=waiting.pk).update(
        awaiting_agent_since=now - datetime.timedelta(hours=3, minutes=5), created_at=now - datetime.timedelta(days=3)
    )
    closed = tickets[0]
    workflow.abandon(closed, by=colleague)
    factories.open_ticket(
        requester_name="Bill Payer", requester_email="bill@example.com", subject="Refund the duplicate payment",
        description="Charged twice.", category=billing,
    )
    return {"waiting": waiting, "closed": closed, "tickets": tickets}


# What the window shows: the rows entirely inside it, and the height and text fit of each cell.
ROWS_IN_WINDOW = """() => {
    const height = window.innerHeight;
    return Array.from(document.querySelectorAll("#listing-results tbody tr")).filter(row => {
        const box = row.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= height && box.height > 0;
    }).length;
}"""
ROW_HEIGHTS = """() => Array.from(document.querySelectorAll("#listing-results tbody tr"),
    row => row.getBoundingClientRect().height)"""
SUBJECT_CELLS = """() => Array.from(document.querySelectorAll("#listing-results tbody td.ws-col-subject"), cell => ({
    text: cell.textContent.trim(), title: cell.getAttribute("title"), cut: cell.scrollWidth > cell.clientWidth,
    lineHeight: parseFloat(getComputedStyle(cell).lineHeight), height: cell.getBoundingClientRect().height,
    ellipsis: getComputedStyle(cell).textOverflow,
}))"""
AGE_CELLS = """() => Array.from(document.querySelectorAll("#listing-results .ws-col-age"), cell => ({
    cut: cell.scrollWidth > cell.clientWidth, right: cell.getBoundingClientRect().right,
    tableRight: cell.closest("table").getBoundingClientRect().right, windowWidth: document.documentElement.clientWidth,
}))"""


def test_the_inbox_fits_a_working_day_on_one_screen(busy_morning, agent, no_gravatar, open_tab):
    from playwright.sync_api import expect

    tab = open_tab(viewport=WINDOW)
    page = tab.page
    sign_in(page, agent)
    page.goto("/admin/support/tickets/")
    results = page.locator("#listing-results")

    # "My teams", not closed: the 29 open tickets of her team, not the closed one nor the other team's.
    expect(page.locator('[data-ws-view="teams"]')).to_have_attribute("aria-current", "page")
    rows = results.locator("tbody tr")
    expect(rows).to_have_count(30)
    expect(results).not_to_contain_text(busy_morning["closed"].reference + " ")
    expect(results).not_to_contain_text("Refund the duplicate payment")
    expect(page.locator('[data-ws-view="teams"] .ws-inbox-views__count')).to_have_text("30")

    # At least 15 tickets fit in the window, each on one line.
    page.wait_for_load_state("networkidle")
    assert page.evaluate(ROWS_IN_WINDOW) >= 15
    heights = page.evaluate(ROW_HEIGHTS)
    assert max(heights) - min(heights) < 2, heights  # no row is taller: no subject wraps
    for cell in page.evaluate(SUBJECT_CELLS):
        assert cell["height"] < 2 * cell["lineHeight"] + 16, cell  # one line (plus the cell's padding)
        assert cell["title"] == cell["text"], cell  # the whole subject on hover
        assert cell["ellipsis"] == "ellipsis"
    long_subject = next(cell for cell in page.evaluate(SUBJECT_CELLS) if cell["text"] == SUBJECTS[0])
    assert long_subject["cut"], "the longest subject should not fit at 1280 px: it ends with an ellipsis"
    # The Age column is whole and inside the window.
    for cell in page.evaluate(AGE_CELLS):
        assert not cell["cut"] and cell["right"] <= cell["windowWidth"], cell

    # The requester of the 502 ticket wrote last: "3 h" under "Waiting" ("Waiting 3 h" read aloud); sorting
    # by it puts that ticket first.
    waiting_row = rows.filter(has_text=WAITING_SUBJECT)
    expect(waiting_row.locator(".ws-waiting")).to_have_text("Waiting 3 h")
    expect(waiting_row.locator(".ws-waiting time")).to_be_visible()
    expect(waiting_row.locator(".ws-waiting time")).to_have_text("3 h")
    results.get_by_role("link", name="Waiting", exact=True).click()
    expect(page).to_have_url(re.compile(r"ordering=waiting"))
    expect(rows.first).to_contain_text(WAITING_SUBJECT)

    # The Support item of the menu counts the tickets nobody took: 21 of the 30 (Bob has nine of them).
    expect(page.locator('[data-ws-view="unassigned"] .ws-inbox-views__count')).to_have_text("21")
    expect(page.locator("#wagtail-sidebar")).to_contain_text("Support (21)")
    tab.check()

    # The picture of the README: the window as she sees it, sorted by the default order.
    page.goto("/admin/support/tickets/")
    expect(rows).to_have_count(30)
    take_window_screenshot(page, "inbox.png")


def take_window_screenshot(page, name):
    """The window (not the whole page) into docs/screenshots/, with SAVE_SCREENSHOTS=1 only: what fits on
    one screen is the point of this picture."""
    import os

    if os.environ.get("SAVE_SCREENSHOTS") != "1":
        return
    page.wait_for_load_state("networkidle")
    page.mouse.move(0, 0)
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS_DIR / name), animations="disabled", caret="hide")
