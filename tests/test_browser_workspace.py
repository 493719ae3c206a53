"""Browser tests: the workspace's one form, drafts that survive, presence between two agents (Chromium).

Debian's Chromium through Playwright, on the live server (tests/browser_support.py). The draft is typed
in the composer and must survive a property change sent alone ("Save changes only"), "Assign to me"
clicked before the autosave ran, a reload, and a post refused because someone changed the same field;
each "Submit as" path (open, pending, resolve) brings the new message into view with its confirmation;
two agents in two browser contexts see each other ("... is viewing", then "... is replying").
"""

import re

import pytest

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab, sign_in  # noqa: F401 - fixtures

pytestmark = BROWSER_TEST_MARKS

DRAFT = "Hello Maya, the clock of your phone is late: could you set it to automatic?"
# A poll every ~10 s on each side: what one agent does shows on the other's page within this.
PRESENCE_WAIT_MS = 25_000


@pytest.fixture
def desk(team, agent, category, resolution_code, settings):
    """Maya's ticket, Bob (a colleague of Alice's team); Wagtail's own avatars (no network)."""
    from django.core.cache import cache

    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    cache.clear()
    bob = factories.make_agent("bob", team, first_name="Bob", last_name="Builder")
    ticket = factories.open_ticket(
        requester_name="Maya Requester",
        requester_email="maya@example.com",
        subject="Two-factor codes are always rejected",
        description="Every code of my authenticator app is refused.",
        category=category,
    )
    return {"ticket": ticket, "bob": bob}


def log_in(tab, user):
    return sign_in(tab.page, user)


def workspace(ticket):
    return f"/admin/support/tickets/{ticket.pk}/"


def composer(page):
    return page.get_by_role("textbox", name="Message", exact=True)


def wait_for_draft_saved(page):
    from playwright.sync_api import expect

    expect(page.locator("[data-wsw-draft-status]")).to_have_text(re.compile("Draft saved"))


def test_a_draft_survives_an_assign_a_reload_and_a_conflict(desk, agent, supervisor, open_tab):
    from playwright.sync_api import expect

    from wagtail_support import workflow
    from wagtail_support.models import ReplyDraft

    ticket, bob = desk["ticket"], desk["bob"]
    tab = open_tab()
    page = log_in(tab, agent)
    page.goto(workspace(ticket))

    # Typed as an internal note: the composer says so at once.
    page.get_by_role("radio", name="Internal note").check()
    expect(page.locator("#wsw-ticket-form")).to_have_attribute("data-wsw-mode", "internal")
    expect(page.locator("[data-wsw-mode-banner] .wsw-when-internal")).to_be_visible()
    expect(page.locator("[data-wsw-mode-banner] .wsw-when-public")).to_be_hidden()
    page.get_by_role("radio", name="Public reply").check()
    expect(page.locator("[data-wsw-mode-banner] .wsw-when-public")).to_be_visible()
    composer(page).fill(DRAFT)
    wait_for_draft_saved(page)

    # A property change sent alone: the ticket is Bob's, the text is still there, not sent.
    page.get_by_role("combobox", name="Assignee").select_option(label="Bob Builder")
    page.get_by_role("button", name="Save changes only").click()
    expect(page.get_by_text(f"Properties of ticket {ticket.reference} saved.")).to_be_visible()
    expect(composer(page)).to_have_value(DRAFT)
    ticket.refresh_from_db()
    assert ticket.assignee == bob and ticket.messages.count() == 1

    # "Assign to me" right after typing, before the autosave ran: the draft is saved first.
    composer(page).press("Control+End")
    composer(page).type(" Thanks!")
    page.locator(".wsw-summary").get_by_role("button", name="Assign to me").click()
    expect(page.get_by_text(f"You are now the assignee of ticket {ticket.reference}.")).to_be_visible()
    expect(composer(page)).to_have_value(DRAFT + " Thanks!")

    # A reload, and another device of the same agent: the draft comes back from the server.
    page.reload()
    expect(composer(page)).to_have_value(DRAFT + " Thanks!")
    other_device = open_tab()
    log_in(other_device, agent).goto(workspace(ticket))
    expect(composer(other_device.page)).to_have_value(DRAFT + " Thanks!")

    # Sue raises the priority while Alice writes; Alice picks another priority and sends: refused, the
    # change named, the text kept.
    workflow.change_details(ticket, by=supervisor, priority="high")
    page.get_by_role("combobox", name="Priority").select_option(label="Urgent")
    page.get_by_role("button", name="Submit as Open").click()
    expect(page.get_by_text("Nothing was applied and your draft is kept", exact=False).first).to_be_visible()
    expect(page.get_by_text("Priority: Normal → High (by Sue Supervisor)").first).to_be_visible()
    expect(composer(page)).to_have_value(DRAFT + " Thanks!")
    expect(page.get_by_role("combobox", name="Priority")).to_have_value("high")
    ticket.refresh_from_db()
    assert ticket.priority == "high" and ticket.messages.count() == 1

    # Sent again as it stands: the reply goes out and the draft is gone.
    page.get_by_role("button", name="Submit as Open").click()
    expect(page.get_by_text(f"Reply sent to the requester of ticket {ticket.reference}.").first).to_be_visible()
    assert not ReplyDraft.objects.filter(ticket=ticket).exists()
    page.reload()
    expect(composer(page)).to_have_value("")

    # "Cancel" discards a new draft in place.
    composer(page).fill("Second thoughts")
    wait_for_draft_saved(page)
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("[data-wsw-draft-status]")).to_have_text("Draft discarded.")
    expect(composer(page)).to_have_value("")
    assert not ReplyDraft.objects.filter(ticket=ticket).exists()
    tab.check()


def sent_in_view(page, ticket, text):
    """The page came back at the new message, which is in view with the confirmation beside it."""
    from playwright.sync_api import expect

    message = ticket.messages.order_by("-pk").first()
    assert message.body == text
    expect(page).to_have_url(re.compile(rf"#message-{message.pk}$"))
    item = page.locator(f"#message-{message.pk}")
    expect(item).to_be_in_viewport()
    expect(item.locator("[data-wsw-sent]")).to_be_visible()
    expect(item).to_be_focused()
    return item


def test_each_submit_path(desk, agent, open_tab):
    from playwright.sync_api import expect

    from wagtail_support.models import Ticket

    ticket = desk["ticket"]
    tab = open_tab()
    page = log_in(tab, agent)
    page.goto(workspace(ticket))
    status = page.locator(".wsw-summary .wsw-status")

    # Open: an internal note, the ticket stays open.
    page.get_by_role("radio", name="Internal note").check()
    composer(page).fill("Known issue with phone clocks.")
    page.get_by_role("button", name="Submit as Open").click()
    item = sent_in_view(page, ticket, "Known issue with phone clocks.")
    expect(item.locator("[data-wsw-sent]")).to_contain_text("Internal note added")
    expect(status).to_contain_text("Open")

    # Pending: a public reply that waits for the requester, in one click.
    page.get_by_role("radio", name="Public reply").check()
    composer(page).fill("Could you check the clock of your phone?")
    page.get_by_role("button", name="Submit as Pending").click()
    item = sent_in_view(page, ticket, "Could you check the clock of your phone?")
    expect(item.locator("[data-wsw-sent]")).to_contain_text("now waits for the requester")
    expect(status).to_contain_text("Pending")

    # Resolve: the resolution fields appear only then.
    resolve = page.locator("#wsw-resolve")
    expect(resolve).to_be_hidden()
    page.get_by_role("button", name="Resolve…").click()
    expect(resolve).to_be_visible()
    resolve.get_by_role("combobox", name=re.compile(r"^Resolution code")).select_option(label="Fixed")
    resolve.get_by_role("textbox", name=re.compile(r"^Solution")).fill("Set the clock to automatic.")
    composer(page).fill("Thank you, it works now.")
    resolve.get_by_role("button", name="Submit as Resolved").click()
    sent_in_view(page, ticket, "Thank you, it works now.")
    expect(status).to_contain_text("Closed")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.solution) == (Ticket.Status.CLOSED, "Set the clock to automatic.")
    tab.check()


def test_presence_between_two_agents(desk, agent, open_tab):
    from playwright.sync_api import expect

    ticket, bob = desk["ticket"], desk["bob"]
    alice_tab, bob_tab = open_tab(), open_tab()
    alice = log_in(alice_tab, agent)
    alice.goto(workspace(ticket))
    presence = alice.locator(".wsw-presence")
    expect(presence).to_have_attribute("aria-live", "polite")

    bob_page = log_in(bob_tab, bob)
    bob_page.goto(workspace(ticket))
    # Bob's page already knows Alice has the ticket open.
    expect(bob_page.locator(".wsw-presence")).to_contain_text("Alice Agent is viewing")
    # Alice's page learns it at its next poll.
    expect(presence).to_contain_text("Bob Builder is viewing", timeout=PRESENCE_WAIT_MS)

    composer(bob_page).fill("I take this one")
    expect(presence).to_contain_text("Bob Builder is replying", timeout=PRESENCE_WAIT_MS)
    alice_tab.check()
    bob_tab.check()


def test_a_side_action_brings_the_agent_back_where_they_were(desk, agent, open_tab):
    """"Save requester and beneficiary", far down the page, reloads it: the page comes back at the same
    place with the focus on the button that was used, not at the top (and not on a later visit)."""
    from playwright.sync_api import expect

    ticket = desk["ticket"]
    tab = open_tab()
    page = log_in(tab, agent)
    page.goto(workspace(ticket))
    page.get_by_label("Beneficiary name").fill("Max Beneficiary")
    page.get_by_label("Beneficiary email").fill("max@example.com")
    button = page.get_by_role("button", name="Save requester and beneficiary")
    button.scroll_into_view_if_needed()
    # Wagtail's admin scrolls its <main id="main">, not the window.
    scrolled = "document.getElementById('main').scrollTop"
    before = page.evaluate(scrolled)
    assert before > 300, "the button sits further down than the first screen"
    button.click()
    page.wait_for_load_state("load")
    expect(page.locator(".messages")).to_be_visible()
    used = page.get_by_role("button", name="Save requester and beneficiary")
    expect(used).to_be_focused()
    expect(used).to_be_in_viewport()
    assert page.evaluate(scrolled) > 300, "the page came back further down, not at the top"
    ticket.refresh_from_db()
    assert ticket.beneficiary_email == "max@example.com"
    # An ordinary visit later opens at the top again.
    page.goto(workspace(ticket))
    assert page.evaluate(scrolled) == 0
    tab.check()
