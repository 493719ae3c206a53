"""Browser tests: the visitor's pages in real headless Chromium, driven by Playwright.

They use Debian's Chromium at /usr/bin/chromium (``scripts/install_chromium.sh`` installs it; `.ci/run`
always does) and are skipped when it is absent. Playwright never downloads a browser here: it is launched
with ``executable_path``. The pages are served by pytest-django's ``live_server`` (which also serves the
static files, so the stylesheet is really loaded).

With ``SAVE_SCREENSHOTS=1`` (``make screenshots``) the tests also write the pictures of the README to
``docs/screenshots/``; ordinary runs write nothing.

Two things about running Playwright beside Django:

- ``live_server`` runs Django in another thread, so these tests use ``transaction=True`` (the server
  thread must see what the test wrote, and the test what the server wrote). ``serialized_rollback`` puts
  back what the migrations created (the default Site and its root page, the groups) after an earlier
  transactional test flushed the database.
- Playwright's sync API keeps an asyncio loop running in the test's thread, and Django then refuses ORM
  calls from that thread (``SynchronousOnlyOperation``). ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set while a
  browser is running, the documented workaround, and unset afterwards so it never leaks into the other
  test modules (see the ``browser`` fixture for why the browser is started anew for each test).
"""

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab, screenshot  # noqa: F401 - fixtures

PHONE = {"width": 390, "height": 844}
VISITOR_EMAIL = "maya.visitor@example.com"

pytestmark = BROWSER_TEST_MARKS


# Fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture
def live_support_page(team, category):
    """A live support page at /support/, under the default site's root page, with a service catalog."""
    from django.core.cache import cache
    from wagtail.models import Site

    from wagtail_support.pages import SupportPage

    # Do not clear ContentType's cache here: serialized_rollback's reload of the next test relies on it
    # (Wagtail's Task.__init__ asks for its content type while the rows are being reloaded).
    # Rate limits count per client address in the cache, and every test's client is 127.0.0.1.
    cache.clear()
    factories.make_category("Billing and invoices", team)
    site = Site.objects.get(is_default_site=True)
    page = SupportPage(
        title="Support",
        slug="support",
        intro="<p>Tell us what went wrong, or what you need: our team answers within one working day.</p>",
        confirmation_text="<p>Keep the link in the mail we sent you: it opens your ticket on any device.</p>",
        next_steps=[
            (
                "link",
                {
                    "title": "Documentation",
                    "description": "Guides for every feature",
                    "page": None,
                    "url": "https://docs.example.com/",
                },
            ),
            (
                "link",
                {
                    "title": "Getting started",
                    "description": "Your first steps, in ten minutes",
                    "page": None,
                    "url": "https://docs.example.com/start/",
                },
            ),
        ],
    )
    site.root_page.add_child(instance=page)
    return page


# Helpers --------------------------------------------------------------------------------------------------


def make_png(path, colour=(40, 110, 200), size=(320, 200)):
    """A real PNG image (what a visitor's screenshot would be), written to ``path``; returns its bytes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle([10, 10, size[0] - 10, 40], fill=colour)
    draw.text((16, 60), "Error 500 on /checkout", fill=(200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def signed_link_from_mail(address, live_server_url):
    """The signed ticket link of the last mail to ``address``, moved onto the live server."""
    mails = [message for message in mail.outbox if address in message.to]
    assert mails, f"no mail to {address}; the outbox holds mail to {[m.to for m in mail.outbox]}"
    body = mails[-1].body
    found = re.search(r"https?://\S+\?t=\S+", body)
    assert found, f"no signed link in the mail:\n{body}"
    link = urlsplit(found.group(0))
    assert link.hostname == "localhost", link
    return live_server_url + link.path + "?" + link.query


def status_shown(page):
    """The ticket's status as the page shows it, in the facts at the top."""
    return page.locator(".ws-facts .ws-badge").inner_text().strip()


def ticket_of(email):
    from wagtail_support.models import Ticket

    return Ticket.objects.get(requester_email=email)


# Tests ----------------------------------------------------------------------------------------------------


def test_visitor_opens_a_ticket_and_follows_it_to_the_end(
    open_tab, live_server, live_support_page, tmp_path, screenshot
):
    """Open a ticket with a screenshot, follow the mailed link on another device, reply, close, reopen."""
    from playwright.sync_api import expect

    from wagtail_support.models import Attachment, Ticket

    png = make_png(tmp_path / "checkout-error.png")
    (tmp_path / "browser-console.txt").write_text("TypeError: cart is undefined\n    at checkout.js:42\n")

    # An anonymous visitor fills in the form.
    visitor = open_tab()
    page = visitor.page
    page.goto("/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support")
    page.get_by_label("Your name").fill("Maya Visitor")
    page.get_by_label("Your email address").fill(VISITOR_EMAIL)
    page.get_by_label("Subject").fill("Payment page shows an error")
    page.get_by_label("Description").fill(
        "When I press Pay, the page says \"Error 500\".\nIt happened twice this morning, on Firefox."
    )
    page.get_by_label("Type").select_option(label="Bug")
    page.get_by_role("radio", name=re.compile(r"^High")).check()
    page.get_by_label("Topic").select_option(label="Billing and invoices")
    page.get_by_label("Attachments").set_input_files(str(tmp_path / "checkout-error.png"))
    screenshot(page, "support-form.png")

    # ... sends it and sees the confirmation with the ticket number.
    page.locator("[data-action=submit-ticket]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    ticket = ticket_of(VISITOR_EMAIL)
    expect(page.locator(".support-reference")).to_have_text(ticket.reference)
    expect(page.get_by_text(f"A confirmation with this number is on its way to {VISITOR_EMAIL}")).to_be_visible()
    visitor.check()
    screenshot(page, "confirmation.png")

    # What was recorded is what the visitor typed.
    assert ticket.status == Ticket.Status.OPEN
    assert (ticket.requester_name, ticket.subject) == ("Maya Visitor", "Payment page shows an error")
    assert (ticket.kind, ticket.priority, ticket.category.name) == ("bug", "high", "Billing and invoices")
    assert ticket.submitted_from_id == live_support_page.pk
    assert ticket.messages.count() == 1
    assert Attachment.objects.filter(message__ticket=ticket).count() == 1

    # The confirmation's own link opens the ticket in the same browser (the link is in the session).
    page.locator("a.support-ticket-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment page shows an error")

    # On another device (no session): the signed link of the confirmation mail opens the ticket.
    link = signed_link_from_mail(VISITOR_EMAIL, live_server.url)
    other_device = open_tab()
    page = other_device.page
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment page shows an error")
    assert "t=" not in page.url, "the signed token stays out of the address bar"
    expect(page.locator(".support-reference")).to_have_text(ticket.reference)
    assert status_shown(page) == "Open"
    expect(page.locator(".ws-facts")).to_contain_text("Bug")
    expect(page.locator(".ws-facts")).to_contain_text("High")
    conversation = page.locator(".ws-conversation")
    expect(conversation).to_contain_text("Maya Visitor")
    expect(conversation).to_contain_text("It happened twice this morning, on Firefox.")

    # The attachment is a download link, and what it downloads is the visitor's file.
    attachment_link = conversation.get_by_role("link", name=re.compile(r"checkout-error.*\.png"))
    expect(attachment_link).to_be_visible()
    with page.expect_download() as download:
        attachment_link.click()
    assert Path(download.value.path()).read_bytes() == png

    # A reply with text and a file appears in the conversation.
    page.get_by_label("Your message").fill("It also fails with a second card. Here is the browser console.")
    page.get_by_label("Attach files").set_input_files(str(tmp_path / "browser-console.txt"))
    page.locator("[data-action=send-reply]").click()
    expect(page.get_by_text("Your message was sent.")).to_be_visible()
    latest = page.locator(".ws-entry[data-latest]")
    expect(latest).to_contain_text("It also fails with a second card. Here is the browser console.")
    expect(latest.get_by_role("link", name=re.compile(r"browser-console.*\.txt"))).to_be_visible()
    expect(page.locator(".ws-entry")).to_have_count(2)
    assert ticket.messages.count() == 2
    assert Attachment.objects.filter(message__ticket=ticket).count() == 2
    screenshot(page, "ticket.png")

    # Problem solved: the visitor closes the ticket...
    page.locator("button[name=action][value=close]").click()
    expect(page.get_by_text("Your ticket is closed.")).to_be_visible()
    assert status_shown(page) == "Closed"
    expect(page.get_by_role("heading", name="This ticket is closed")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED

    # ... and thinks again: reopens it.
    page.locator("button[name=action][value=reopen]").click()
    expect(page.get_by_text("Your ticket is open again.")).to_be_visible()
    assert status_shown(page) == "Open"
    expect(page.locator("button[name=action][value=close]")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.messages.public().count() == 2
    visitor.check()
    other_device.check()


def test_logged_in_requester_sees_their_tickets_by_status(
    open_tab, live_support_page, requester, agent, resolution_code, category, screenshot
):
    """"My tickets": a requester logs in and sees their tickets, counted and filtered by status."""
    from playwright.sync_api import expect

    from wagtail_support import workflow

    def open_one(subject, **kwargs):
        return factories.open_ticket(requester, subject=subject, description=f"{subject}.", category=category, **kwargs)

    open_one("Cannot log in since the update", kind="technical", priority="high")
    open_one("Export to CSV misses the dates", kind="bug")
    waiting = open_one("Change the address on my invoices", kind="billing")
    workflow.set_pending(waiting, by=agent)
    solved = open_one("How do I add a colleague?", kind="question", priority="low")
    workflow.resolve(solved, code=resolution_code, solution="Settings, Team, Invite.", by=agent)
    closed = open_one("Dark mode for the dashboard", kind="feature_request")
    workflow.close_by_requester(closed, by=requester)
    factories.open_ticket(factories.make_user("someone_else"), subject="Not Rita's ticket", category=category)

    tab = open_tab()
    page = tab.page
    page.goto("/accounts/login/?next=/support/tickets/")
    page.get_by_label("Username").fill(requester.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My tickets")

    tabs = page.get_by_role("navigation", name="Ticket status")
    counts = [r"All\s+5", r"Open\s+2", r"Awaiting your reply\s+1", r"Closed\s+2"]
    expect(tabs.get_by_role("link")).to_have_text([re.compile(count) for count in counts])
    rows = page.locator(".ws-table tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator(".ws-table")).not_to_contain_text("Not Rita's ticket")
    tab.check()
    screenshot(page, "my-tickets.png")

    tabs.get_by_role("link", name=re.compile("^Awaiting your reply")).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Change the address on my invoices")
    expect(rows.first).to_contain_text("Awaiting your reply")

    # A row opens its ticket.
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the address on my invoices")
    assert status_shown(page) == "Awaiting your reply"
    tab.check()


def test_support_form_on_a_phone(open_tab, live_support_page, screenshot):
    """At 390 px wide the form does not scroll sideways, and the Tab key reaches every control in order."""
    from playwright.sync_api import expect

    tab = open_tab(PHONE)
    page = tab.page
    page.goto("/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support")
    page.wait_for_load_state("networkidle")
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], f"the page scrolls sideways on a phone: {widths}"
    screenshot(page, "support-form-phone.png")

    # Every control a person fills in, in the form's order (hidden inputs and the honeypot aside).
    controls = page.evaluate(
        """() => Array.from(document.querySelectorAll("form[data-ws-ticket-form] :is(input, select, textarea, button)"))
            .filter(el => el.type !== "hidden" && el.tabIndex >= 0 && !el.closest("[aria-hidden=true]"))
            .map(el => el.dataset.action || el.name)
            .filter((name, index, all) => all.indexOf(name) === index)"""
    )
    assert controls[-1] == "submit-ticket", controls

    # Tab from the top of the page, as a keyboard user does, until the Send button has the focus.
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || !el.closest("form[data-ws-ticket-form]")) return null;
                const box = el.getBoundingClientRect();
                return {name: el.dataset.action || el.name, visible: box.width > 0 && box.height > 0,
                        inside: box.left >= 0 && box.right <= document.documentElement.clientWidth};
            }"""
        )
        if focused is None:
            continue
        assert focused["visible"] and focused["inside"], f"{focused['name']} has the focus but is not on screen"
        if not reached or reached[-1] != focused["name"]:
            reached.append(focused["name"])
        if focused["name"] == "submit-ticket":
            break
    assert reached == controls, f"Tab reached {reached}; the form's controls are {controls}"
    assert reached.index("subject") < reached.index("description") < reached.index("submit-ticket")
    tab.check()
