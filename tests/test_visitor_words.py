"""Words that tell the requester what to do, through the real pages, mails and (for the scripts) Chromium.

- A ticket waiting for its requester says "Awaiting your reply" to them (My tickets, its tab, the ticket
  page, the mails), while the agents' screens keep the workflow's "Pending".
- Dates typed in "My tickets" are used, "Custom" or not: the period switches to "Custom".
- Every no-result state of the FAQ (its search, no question at all, the suggestions as you type) offers
  "Open a ticket", with what was typed as the ticket's subject.
"""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab  # noqa: F401 - fixtures
from tests.html_helpers import soup, text
from wagtail_support import workflow
from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic
from wagtail_support.models import Ticket

AWAITING = "Awaiting your reply"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


@pytest.fixture
def pending_ticket(ticket, agent):
    workflow.set_pending(ticket, by=agent)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    return ticket


# "Awaiting your reply" ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_requester_reads_awaiting_your_reply_where_agents_read_pending(
    client, support_page, pending_ticket, requester, agent
):
    client.force_login(requester)
    page = soup(client.get(route(support_page, "ticket", number=pending_ticket.number)))
    assert page.select_one(".ws-facts .ws-badge").get_text(strip=True) == AWAITING

    listing = client.get(route(support_page, "tickets"))
    (row,) = soup(listing).select("table.ws-table tbody tr")
    assert row.select_one(".ws-badge").get_text(strip=True) == AWAITING
    tabs = [" ".join(tab.get_text(" ").split()) for tab in soup(listing).select("nav.ws-tabs a.ws-tab")]
    assert f"{AWAITING} 1" in tabs
    assert not any(tab.startswith("Pending") for tab in tabs)
    # Its tab lists it.
    assert len(soup(client.get(route(support_page, "tickets"), {"status": "pending"})).select("tbody tr")) == 1

    client.force_login(agent)
    workspace = client.get(reverse("wagtail_support_admin:ticket", args=[pending_ticket.pk]))
    assert workspace.status_code == 200
    assert "Pending" in text(workspace)
    assert AWAITING not in text(workspace)


@pytest.mark.django_db
def test_the_requester_mails_say_awaiting_your_reply(
    client, support_page, ticket, agent, requester, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.set_pending(ticket, by=agent)
    (pending_mail,) = [m for m in mail.outbox if m.to == [requester.email]]
    assert pending_mail.subject == f"[{ticket.reference}] {AWAITING}: {ticket.subject}"

    mail.outbox.clear()
    client.post(route(support_page, "find_tickets"), {"email": requester.email})
    (links_mail,) = mail.outbox
    assert f"{ticket.reference} - {ticket.subject} ({AWAITING})" in links_mail.body
    html_body = links_mail.alternatives[0][0]
    assert f"({AWAITING})" in html_body
    assert "(Pending)" not in links_mail.body + html_body


# Typed dates switch to "Custom" -----------------------------------------------------------------------------


@pytest.fixture
def dated_tickets(requester, category):
    """Rita's tickets opened on 2026-03-02 and on 2026-05-20."""
    tz = timezone.get_current_timezone()
    tickets = {}
    for subject, day in [("March problem", datetime.date(2026, 3, 2)), ("May problem", datetime.date(2026, 5, 20))]:
        made = factories.open_ticket(requester, subject=subject, category=category)
        Ticket.objects.filter(pk=made.pk).update(created_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=tz))
        tickets[subject] = made
    return tickets


def listed(response):
    return [row.select("td")[1].get_text(strip=True) for row in soup(response).select("table.ws-table tbody tr")]


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["", "week", "month"])
def test_dates_typed_without_choosing_custom_are_used(client, support_page, requester, dated_tickets, period):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"period": period, "date_from": "2026-05-01"})

    assert listed(response) == ["May problem"]
    selected = soup(response).select_one('select[name="period"] option[selected]')
    assert selected["value"] == "custom"
    assert soup(response).select_one('input[name="date_from"]')["value"] == "2026-05-01"


@pytest.mark.django_db
def test_only_an_end_date_typed_is_used_too(client, support_page, requester, dated_tickets):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"date_to": "2026-03-31"})

    assert listed(response) == ["March problem"]


@pytest.mark.django_db
def test_a_period_without_dates_stays_what_was_chosen(client, support_page, requester, dated_tickets):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"period": "today", "date_from": "", "date_to": ""})

    assert soup(response).select_one('select[name="period"] option[selected]')["value"] == "today"
    assert listed(response) == []


# "Open a ticket" from the FAQ -------------------------------------------------------------------------------


def make_faq_page(with_entry=True):
    if with_entry:
        topic = FAQTopic.objects.create(name="Billing", slug="billing")
        FAQEntry.objects.create(topic=topic, question="How do I download an invoice?", answer="<p>Click Download.</p>")
    root = Site.objects.get(is_default_site=True).root_page
    page = FAQPage(title="FAQ", slug="faq")
    root.add_child(instance=page)
    page.save_revision().publish()
    return FAQPage.objects.get(pk=page.pk)


TYPED = 'Printer <b>"jams"</b> & café'


@pytest.mark.django_db
def test_a_faq_search_without_result_offers_a_ticket_with_what_was_typed(client, support_page):
    faq = make_faq_page()

    response = client.get(faq.url, {"q": TYPED})

    assert "No question matches" in text(response)
    link = soup(response).select_one('.ws-faq__results a[data-action="open-ticket"]')
    assert link.get_text(strip=True) == "Open a ticket"
    href = urlsplit(link["href"])
    assert href.path == support_page.url
    assert parse_qs(href.query) == {"subject": [TYPED]}
    # It opens the ticket form with that subject, escaped as a value.
    form = client.get(link["href"])
    assert soup(form).select_one('input[name="subject"]')["value"] == TYPED
    assert 'value="Printer &lt;b&gt;&quot;jams&quot;&lt;/b&gt; &amp; café"' in form.content.decode()


@pytest.mark.django_db
def test_a_faq_search_with_results_does_not_send_people_away(client, support_page):
    faq = make_faq_page()

    response = client.get(faq.url, {"q": "download invoice"})

    assert "How do I download an invoice?" in text(response)
    assert soup(response).select_one('.ws-faq__results a[data-action="open-ticket"]') is None


@pytest.mark.django_db
def test_a_faq_without_questions_offers_a_ticket(client, support_page):
    faq = make_faq_page(with_entry=False)

    response = client.get(faq.url)

    assert "There are no questions here yet." in text(response)
    assert soup(response).select_one('a[data-action="open-ticket"]')["href"] == support_page.url


@pytest.mark.django_db
def test_without_a_support_page_the_faq_offers_no_dead_link(client):
    faq = make_faq_page()

    response = client.get(faq.url, {"q": "nothing like this"})

    assert "No question matches" in text(response)
    assert soup(response).select_one('a[data-action="open-ticket"]') is None


@pytest.mark.django_db
def test_the_suggestions_offer_a_ticket_on_the_faq_not_on_the_ticket_form(client, support_page):
    faq = make_faq_page()

    on_faq = soup(client.get(faq.url)).select_one("[data-faq-suggest-url]")
    assert on_faq["data-subject-field"] == "ws-faq-q"
    assert on_faq["data-open-ticket-url"] == support_page.url
    assert not on_faq.has_attr("data-new-tab-label")  # nothing typed to lose there

    on_form = soup(client.get(support_page.url)).select_one("[data-faq-suggest-url]")
    assert not on_form.has_attr("data-open-ticket-url")  # the ticket form is where it would lead
    assert on_form.has_attr("data-new-tab-label")


# In Chromium: the scripts -------------------------------------------------------------------------------------


def assert_accessible(page, what):
    """No critical or serious axe violation, in a light and in a dark colour scheme."""
    from tests.axe_support import report, serious_violations

    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.evaluate(
            "() => { const meta = document.createElement('meta'); meta.name = 'color-scheme';"
            " meta.content = 'light dark'; document.head.append(meta); }"
        )
        violations = serious_violations(page)
        assert not violations, f"{what}, {scheme}: {report(violations)}"
    page.emulate_media(color_scheme="light")


@pytest.mark.browser
@pytest.mark.skipif(*BROWSER_TEST_MARKS[1].args, **BROWSER_TEST_MARKS[1].kwargs)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_the_browser_suggestions_with_none_offer_a_ticket_and_dates_switch_to_custom(
    open_tab, support_page, requester, category
):
    from playwright.sync_api import expect

    faq = make_faq_page()
    factories.open_ticket(requester, subject="Anything", category=category)
    tab = open_tab()
    page = tab.page

    page.goto(faq.url + "?q=printer+jams")
    expect(page.locator('.ws-faq__results a[data-action="open-ticket"]')).to_be_visible()
    assert_accessible(page, "a search without result")

    page.goto(faq.url)
    page.get_by_label("Search the FAQ").fill("download inv")
    suggestions = page.locator(".ws-faq-suggest")
    expect(suggestions.get_by_role("link", name="How do I download an invoice?")).to_be_visible()
    expect(suggestions.get_by_role("link", name="Open a ticket")).to_be_hidden()

    page.get_by_label("Search the FAQ").fill("printer jams on tuesdays")
    open_ticket = suggestions.get_by_role("link", name="Open a ticket")
    expect(open_ticket).to_be_visible()
    expect(suggestions.get_by_text("No answer matches what you typed.")).to_be_visible()
    assert_accessible(page, "the suggestions without an answer")
    open_ticket.click()
    expect(page.get_by_label("Subject")).to_have_value("printer jams on tuesdays")

    page.goto("/accounts/login/?next=" + route(support_page, "tickets"))
    page.get_by_label("Username").fill(requester.username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**" + route(support_page, "tickets"))
    # ticket-filters.js is deferred: type once the page has loaded and the script listens (on a loaded CI
    # machine the date was typed before it did).
    page.wait_for_load_state("load")
    period = page.locator('select[name="period"]')
    expect(period).to_have_value("")
    page.locator('input[name="date_from"]').fill("2026-05-01")
    expect(period).to_have_value("custom")
    period.select_option("month")
    expect(page.locator('input[name="date_from"]')).to_have_value("")
    tab.check()
