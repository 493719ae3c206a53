"""Browser test: an agent works a ticket in the Wagtail admin, in real headless Chromium (Playwright).

The agent logs in, finds the ticket in the "Tickets assigned to my teams" panel of the admin home, takes
it, writes an internal note and a public reply in the workspace, and resolves it with a resolution code
and a solution. The requester, on their own device (a new browser context, no session), then opens the
ticket page through its signed link and sees the reply and the solution, never the note.

The browser set-up is the one of ``tests/test_browser.py`` (its module docstring explains why):
Debian's Chromium at /usr/bin/chromium (skipped when absent), a browser started anew for each test with
``DJANGO_ALLOW_ASYNC_UNSAFE`` set only while it runs, ``transaction=True`` with ``serialized_rollback``
for ``live_server``, and every page checked for 4xx/5xx answers and script errors. The fixtures are
copied from there rather than imported, so each module stands alone.

With ``SAVE_SCREENSHOTS=1`` the test writes the admin pictures of the README to ``docs/screenshots/``:
``admin-home.png``, ``inbox.png`` and ``workspace.png`` (1280 wide), and the requester's HTML mails
``mail-reply-en.png`` and ``mail-resolved-en.png`` (700 wide); ordinary runs write nothing.
"""

import re

import pytest
from django.core import mail

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab, screenshot  # noqa: F401 - fixtures


REQUESTER_NAME = "Maya Requester"
REQUESTER_EMAIL = "maya.requester@example.com"
SUBJECT = "Two-factor codes are always rejected"
NOTE = "Checked the logs: her phone clock is 4 minutes late, so every code is already expired. Known issue."
REPLY = (
    "Hello Maya, thank you for the details. Could you check that your phone sets its clock automatically?\n"
    "Codes are refused when the clock is more than a minute off."
)
SOLUTION = (
    "Turn on Settings, Date and time, Set automatically on your phone, then sign in with a new code.\n"
    "We also accept codes up to 90 seconds late from now on."
)

pytestmark = BROWSER_TEST_MARKS


# Fixtures (as in tests/test_browser.py) ------------------------------------------------------------------


@pytest.fixture
def no_gravatar(settings):
    """Wagtail's default avatar instead of Gravatar's: the machines' network is closed, and the admin's
    pictures would show broken images."""
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None


@pytest.fixture
def helpdesk(team, other_team, agent, category):
    """The day's tickets: Maya's (anonymous, the one the agent works) and a few others around it.

    Returns Maya's ticket. Built before the browser starts (this fixture comes first in the test's
    arguments), so the admin home and the inbox have something to show.
    """
    from django.core.cache import cache

    from wagtail_support import workflow

    # Rate limits count per client address in the cache, and every test's client is 127.0.0.1.
    cache.clear()
    colleague = factories.make_agent("bob", team, first_name="Bob", last_name="Builder")
    customer = factories.make_user("rita", first_name="Rita", last_name="Requester")
    billing = factories.make_category("Billing and invoices", other_team)

    factories.open_ticket(
        customer,
        subject="Export to CSV misses the dates",
        description="The exported file has no date column since Monday.",
        category=category,
        kind="bug",
    )
    taken = factories.open_ticket(
        requester_name="Paul Partner",
        requester_email="paul.partner@example.com",
        subject="Add a second administrator to our account",
        description="Our accountant needs access too.",
        category=category,
        kind="question",
        priority="low",
    )
    workflow.assign(taken, to=colleague, by=colleague)
    factories.open_ticket(
        requester_name="Nina Night",
        requester_email="nina.night@example.com",
        subject="Site down for our whole office",
        description="Every page answers 502 since 8 o'clock.",
        category=category,
        kind="technical",
        priority="urgent",
    )
    # Another team's ticket: not for Alice.
    factories.open_ticket(
        customer,
        subject="Refund the duplicate payment",
        description="I was charged twice in March.",
        category=billing,
        kind="billing",
    )
    # Maya's ticket, opened last: newest activity, first in the panel.
    return workflow.open_ticket(
        requester_name=REQUESTER_NAME,
        requester_email=REQUESTER_EMAIL,
        subject=SUBJECT,
        description="Since yesterday every code of my authenticator app is refused, I cannot sign in at all.",
        category=category,
        kind="technical",
        priority="high",
    )


# Tests ----------------------------------------------------------------------------------------------------


def test_agent_works_a_ticket_from_the_admin_home_to_its_resolution(
    helpdesk, agent, resolution_code, support_page, no_gravatar, open_tab, live_server, screenshot
):
    """Log in, open the ticket from the home panel, take it, note, reply, resolve; the requester sees the rest."""
    from playwright.sync_api import expect

    from wagtail_support import access
    from wagtail_support.models import Ticket

    ticket = helpdesk
    reference = ticket.reference

    # Alice logs in to the Wagtail admin.
    tab = open_tab()
    page = tab.page
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # The admin home shows her teams' tickets, Maya's first, and not the other team's.
    panel = page.locator("#wagtail-support-my-teams-section")
    expect(panel.get_by_role("heading", name="Tickets assigned to my teams")).to_be_visible()
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text(SUBJECT)
    expect(rows.first).to_contain_text(REQUESTER_NAME)
    expect(rows.first).to_contain_text("Unassigned")
    expect(panel).to_contain_text("Bob Builder")
    expect(panel).not_to_contain_text("Refund the duplicate payment")
    counts = panel.locator(".w-summary__list").first  # the views; the service level counts follow
    expect(counts).to_contain_text(re.compile(r"3\s+Unassigned"))
    expect(counts).to_contain_text(re.compile(r"0\s+Assigned to me"))
    expect(counts).to_contain_text(re.compile(r"4\s+My teams"))
    tab.check()
    screenshot(page, "admin-home.png")

    # The reference opens the ticket's workspace.
    panel.get_by_role("link", name=reference, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/support/tickets/{ticket.pk}/$"))
    summary = page.locator(".wsw-summary")
    expect(summary.locator(".wsw-summary__subject")).to_have_text(SUBJECT)
    expect(summary.locator(".wsw-status")).to_contain_text("Open")
    assignee = summary.locator("[data-wsw-assignee]")
    expect(assignee).to_have_text("Nobody")

    # She takes it (the button at the top of the page; the Assignment panel has the same one).
    summary.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_text(f"You are now the assignee of ticket {reference}.")).to_be_visible()
    expect(assignee).to_have_text("Alice Agent")
    expect(summary).to_contain_text("Assigned to you")
    expect(summary.get_by_role("button", name="Assign to me")).to_have_count(0)

    # An internal note, for her colleagues only.
    timeline = page.locator("[data-wsw-timeline] > li")
    expect(timeline).to_have_count(1)
    page.get_by_role("radio", name="Internal note").check()
    page.get_by_label("Message", exact=True).fill(NOTE)
    page.get_by_role("button", name="Submit as Open").click()
    # The confirmation is at the top and beside the new message, brought into view.
    expect(
        page.get_by_text(f"Internal note added to ticket {reference}. The requester does not see it.").first
    ).to_be_visible()
    expect(timeline).to_have_count(2)
    note = timeline.filter(has_text=NOTE)
    expect(note).to_have_attribute("data-visibility", "internal")
    expect(note.locator(".wsw-message__kind")).to_contain_text("Internal note")
    expect(note.locator(".wsw-message__kind")).to_contain_text("(not visible to the requester)")
    expect(note.locator(".wsw-message__author")).to_have_text("Alice Agent")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")

    # A public reply to Maya.
    page.get_by_role("radio", name="Public reply").check()
    page.get_by_label("Message", exact=True).fill(REPLY)
    page.get_by_role("button", name="Submit as Open").click()
    expect(page.get_by_text(f"Reply sent to the requester of ticket {reference}.").first).to_be_visible()
    expect(timeline).to_have_count(3)
    reply = timeline.filter(has_text="Could you check that your phone sets its clock automatically?")
    expect(reply).to_have_attribute("data-visibility", "public")
    expect(reply.locator(".wsw-message__kind")).not_to_contain_text("Internal note")
    switch = page.get_by_role("navigation", name="Show in the conversation")
    expect(switch.get_by_role("link")).to_have_text(
        [re.compile(r"Everything\s+3"), re.compile(r"Public replies\s+2"), re.compile(r"Internal notes\s+1")]
    )
    tab.check()
    screenshot(page, "workspace.png")

    # The inbox, through the breadcrumb (Wagtail keeps it folded behind its toggle): the ticket is now Alice's.
    page.get_by_role("button", name="Toggle breadcrumbs").click()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Support inbox").click()
    expect(page).to_have_url(re.compile(r"/admin/support/tickets/$"))
    inbox_row = page.locator("#listing-results tbody tr").filter(has_text=reference)
    expect(inbox_row).to_contain_text(SUBJECT)
    expect(inbox_row).to_contain_text("Alice Agent")
    expect(page.locator("#listing-results")).to_contain_text("Site down for our whole office")
    expect(page.locator("#listing-results")).not_to_contain_text("Refund the duplicate payment")
    tab.check()
    screenshot(page, "inbox.png")

    # Back to the ticket from its row, to resolve it with a code and the solution.
    inbox_row.get_by_role("link", name=re.compile(re.escape(reference))).first.click()
    expect(page).to_have_url(re.compile(rf"/admin/support/tickets/{ticket.pk}/$"))
    # "Resolve…" shows the resolution code and the solution, sent with "Submit as Resolved".
    page.get_by_role("button", name="Resolve…").click()
    resolve = page.locator("#wsw-resolve")
    resolve.get_by_role("combobox", name=re.compile(r"^Resolution code\*?$")).select_option(label="Fixed")
    resolve.get_by_role("textbox", name=re.compile(r"^Solution\*?$")).fill(SOLUTION)
    resolve.get_by_role("button", name="Submit as Resolved").click()
    expect(
        page.get_by_text(f"Ticket {reference} resolved. The requester receives the solution by email.").first
    ).to_be_visible()
    expect(summary.locator(".wsw-status")).to_contain_text("Closed")
    facts = page.locator(".wsw-facts")
    expect(facts).to_contain_text(re.compile(r"Reason for closing\s+Resolved"))
    expect(facts).to_contain_text(re.compile(r"Resolution code\s+Fixed"))
    expect(facts.locator(".wsw-solution")).to_contain_text("Set automatically on your phone")
    # Closed: the composer offers to add to the closed ticket or to reopen it, not to keep it open.
    expect(page.get_by_role("button", name="Submit and reopen")).to_be_visible()
    expect(page.get_by_role("button", name="Submit as Open")).to_have_count(0)
    tab.check()

    # What the database holds.
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.close_reason == Ticket.CloseReason.RESOLVED
    assert ticket.resolution_code == resolution_code
    assert ticket.solution == SOLUTION
    assert ticket.messages.internal().count() == 1
    assert ticket.messages.internal().get().body == NOTE
    assert [message.body for message in ticket.messages.public().order_by("created_at", "pk")][1:] == [REPLY]
    assert ticket.messages.public().count() == 2
    to_maya = [message for message in mail.outbox if REQUESTER_EMAIL in message.to]
    assert any("Set automatically on your phone" in message.body for message in to_maya), [
        message.subject for message in to_maya
    ]
    assert not any("phone clock is 4 minutes late" in message.body for message in mail.outbox)

    # Maya, on her own device (no session), opens the ticket through its signed link.
    link = f"{live_server.url}{support_page.url}tickets/{ticket.number}/?t={access.make_link_token(ticket)}"
    maya = open_tab()
    page = maya.page
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    assert "t=" not in page.url, "the signed token stays out of the address bar"
    expect(page.locator(".support-reference")).to_have_text(reference)
    expect(page.locator(".ws-facts .ws-badge")).to_have_text("Closed")
    solution = page.get_by_role("region", name="Solution")
    expect(solution).to_contain_text("Fixed")
    expect(solution).to_contain_text("Set automatically on your phone")
    expect(solution).to_contain_text("We also accept codes up to 90 seconds late from now on.")
    conversation = page.locator(".ws-conversation")
    expect(conversation.locator(".ws-entry")).to_have_count(2)
    expect(conversation).to_contain_text("Could you check that your phone sets its clock automatically?")
    expect(conversation).to_contain_text("Alice Agent")
    expect(page.locator("body")).not_to_contain_text("phone clock is 4 minutes late")
    expect(page.locator("body")).not_to_contain_text("Internal note")
    maya.check()

    # The HTML mails Maya got, as a mail client shows them: the reply and the resolution, with the
    # button back to her ticket, and never the note.
    pictures = (("mail-reply-en.png", f"[{reference}] New reply:"), ("mail-resolved-en.png", f"[{reference}] Resolved:"))
    for picture, subject_start in pictures:
        (sent,) = [message for message in to_maya if message.subject.startswith(subject_start)]
        html = {mimetype: content for content, mimetype in sent.alternatives}["text/html"]
        reader = open_tab(viewport={"width": 700, "height": 600})
        reader.page.set_content(html)
        expect(reader.page.get_by_role("link", name="View your ticket")).to_be_visible()
        expect(reader.page.locator("body")).to_contain_text(reference)
        expect(reader.page.locator("body")).not_to_contain_text("phone clock is 4 minutes late")
        screenshot(reader.page, picture)
