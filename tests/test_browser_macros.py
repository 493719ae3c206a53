"""Browser tests: a saved reply that is also a macro (Chromium).

Inserting it fills the one form's own fields and chooses the "Submit as" button, and says what it will do
under the composer before anything is sent; the agent may change any of it; sending is the ordinary
submit. A reply that resolves fills the resolution fields with its text as the solution.
"""

import pytest

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab, sign_in  # noqa: F401 - fixtures

pytestmark = BROWSER_TEST_MARKS


@pytest.fixture
def desk(team, agent, category, resolution_code, settings):
    from django.core.cache import cache

    from wagtail_support.models import CannedResponse

    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    cache.clear()
    ticket = factories.open_ticket(
        requester_name="Maya Requester",
        requester_email="maya@example.com",
        subject="Two-factor codes are always rejected",
        description="Every code of my authenticator app is refused.",
        category=category,
    )
    waiting = CannedResponse.objects.create(
        title="Ask for the phone model",
        body="Hello {requester_name}, which phone do you use?",
        set_status="pending",
        set_priority="high",
        assign_to_me=True,
    )
    solved = CannedResponse.objects.create(
        title="Clock fixed",
        body="Setting the phone's clock to automatic fixed it, {requester_name}.",
        set_status="resolved",
        set_resolution_code=resolution_code,
    )
    return {"ticket": ticket, "waiting": waiting, "solved": solved}


def workspace(ticket):
    return f"/admin/support/tickets/{ticket.pk}/"


def test_a_macro_is_previewed_then_sent_in_one_submit(desk, agent, open_tab):
    from playwright.sync_api import expect

    from wagtail_support.models import Ticket

    ticket = desk["ticket"]
    page = sign_in(open_tab().page, agent)
    page.goto(workspace(ticket))

    page.get_by_label("Saved reply").select_option(label="Ask for the phone model")
    page.get_by_role("button", name="Insert").click()

    # Before anything is sent: the text, the fields and the status button, and the sentence saying so.
    preview = page.locator("[data-wsw-canned-preview]")
    expect(preview).to_have_text(
        "This saved reply will also: set priority to High, assign to you, submit as Pending."
    )
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_have_value(
        "Hello Maya Requester, which phone do you use?"
    )
    expect(page.get_by_role("combobox", name="Priority")).to_have_value("high")
    expect(page.get_by_role("combobox", name="Assignee")).to_have_value(str(agent.pk))
    pending = page.get_by_role("button", name="Submit as Pending")
    expect(pending).to_have_attribute("aria-describedby", "wsw-canned-preview")
    expect(pending).not_to_have_class("button-secondary")
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"  # nothing sent yet

    pending.click()

    expect(page.locator(".messages .success")).to_contain_text("waits for the requester")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (Ticket.Status.PENDING, "high", agent)
    assert ticket.messages.last().body == "Hello Maya Requester, which phone do you use?"


def test_a_resolving_macro_fills_the_resolution(desk, agent, resolution_code, open_tab):
    from playwright.sync_api import expect

    from wagtail_support.models import Ticket

    ticket = desk["ticket"]
    page = sign_in(open_tab().page, agent)
    page.goto(workspace(ticket))

    page.get_by_label("Saved reply").select_option(label="Clock fixed")
    page.get_by_role("button", name="Insert").click()

    expect(page.locator("#wsw-resolve")).to_be_visible()
    expect(page.get_by_role("combobox", name="Resolution code")).to_have_value(str(resolution_code.pk))
    solution = "Setting the phone's clock to automatic fixed it, Maya Requester."
    expect(page.get_by_role("textbox", name="Solution")).to_have_value(solution)
    expect(page.get_by_role("textbox", name="Message", exact=True)).to_have_value("")
    expect(page.locator("[data-wsw-canned-preview]")).to_contain_text("resolve the ticket as “Fixed”")

    page.get_by_role("button", name="Submit as Resolved").click()

    expect(page.locator(".messages .success")).to_contain_text("resolved")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.solution, ticket.resolution_code) == (Ticket.Status.CLOSED, solution, resolution_code)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_preview_and_marked_fields_pass_axe(desk, agent, open_tab, theme):
    from playwright.sync_api import expect
    from wagtail.users.models import UserProfile

    from tests.axe_support import report, serious_violations

    profile = UserProfile.get_for_user(agent)
    profile.theme = theme
    profile.save()
    page = sign_in(open_tab().page, agent)
    page.goto(workspace(desk["ticket"]))
    page.get_by_label("Saved reply").select_option(label="Ask for the phone model")
    page.get_by_role("button", name="Insert").click()
    expect(page.locator("[data-wsw-canned-preview]")).not_to_be_empty()
    assert f"w-theme-{theme}" in page.evaluate("document.documentElement.className")

    failures = serious_violations(page)

    assert not failures, report(failures)
