"""Browser test: the short support form on an ordinary page (``SupportFormBlock``), in headless Chromium.

A visitor reads an ordinary page, sends the form with a mistake (what they typed comes back with the
error), corrects it, sees "Ticket ... sent" on the same page and follows the link to the ticket on the
support page. axe-core finds nothing critical or serious in the block. See ``tests/test_browser.py`` for
how the live server and Playwright are run.
"""

import json

import pytest

from tests.axe_support import report, serious_violations
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab  # noqa: F401 - fixtures

pytestmark = BROWSER_TEST_MARKS

VISITOR_EMAIL = "paul.reader@example.com"


@pytest.fixture
def article_with_form(team, category):
    """A support page at /support/ and an ordinary page at /pricing/ whose body ends with the short form."""
    from django.core.cache import cache
    from wagtail.models import Site

    from tests.site_app.models import ArticlePage
    from wagtail_support.pages import SupportPage

    cache.clear()  # rate limits count per client address, and every test's client is 127.0.0.1
    root = Site.objects.get(is_default_site=True).root_page
    root.add_child(instance=SupportPage(title="Support", slug="support"))
    body = [
        {"type": "paragraph", "value": "<p>Our plans start at 10 EUR a month.</p>"},
        {"type": "support_form", "value": {"variant": "short", "heading": "Something wrong on this page?"}},
    ]
    page = ArticlePage(title="Pricing", slug="pricing", body=json.dumps(body))
    root.add_child(instance=page)
    page.save_revision().publish()
    return ArticlePage.objects.get(pk=page.pk)


def test_a_visitor_sends_the_short_form_of_an_ordinary_page(open_tab, article_with_form):
    from playwright.sync_api import expect

    from wagtail_support.models import Ticket

    visitor = open_tab()
    page = visitor.page
    page.goto("/pricing/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pricing")
    form = page.locator("#support-form")
    expect(form.get_by_role("heading", level=2)).to_have_text("Something wrong on this page?")
    assert form.get_by_label("Type").count() == 0, "the short form has no type field"
    violations = serious_violations(page, "#support-form")
    assert not violations, report(violations)

    # A mistake: no subject. The page comes back with the error and what was typed.
    form.get_by_label("Your name").fill("Paul Reader")
    form.get_by_label("Your email address").fill(VISITOR_EMAIL)
    form.get_by_label("Description").fill("The table says 10 EUR, the checkout says 12 EUR.")
    form.locator("[data-action=submit-ticket]").click()
    expect(page.locator("#support-form [data-ws-error-summary]")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pricing")
    form = page.locator("#support-form")
    expect(form.get_by_label("Description")).to_have_value("The table says 10 EUR, the checkout says 12 EUR.")
    violations = serious_violations(page, "#support-form")
    assert not violations, report(violations)

    form.get_by_label("Subject").fill("Two prices for the same plan")
    form.locator("[data-action=submit-ticket]").click()
    sent = page.locator(".ws-page-form__sent")
    expect(sent).to_be_visible()
    ticket = Ticket.objects.get(requester_email=VISITOR_EMAIL)
    expect(sent).to_contain_text(f"Ticket {ticket.reference} sent.")
    assert page.url.endswith(f"/pricing/?ticket={ticket.number}#support-form")
    assert ticket.submitted_from_id == article_with_form.pk
    assert ticket.source_revision_id == article_with_form.live_revision_id
    visitor.check()

    # The link leads to the ticket on the support page.
    sent.get_by_role("link", name="Follow it here").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two prices for the same plan")
    visitor.check()
