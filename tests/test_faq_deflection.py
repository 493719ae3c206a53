"""Deflection: how often the support form suggested each FAQ question, how often a visitor opened it, and
how many of those still sent a ticket; shown in the admin's question listing."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.html_helpers import soup
from wagtail_support.faq import FAQDeflection, FAQEntry, FAQTopic, count_shown, parse_entry_ids
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(db):
    return FAQTopic.objects.create(name="Account", slug="account")


@pytest.fixture
def password(topic):
    return FAQEntry.objects.create(topic=topic, question="How do I reset my password?", answer="<p>Use the link.</p>")


@pytest.fixture
def invoice(topic):
    return FAQEntry.objects.create(topic=topic, question="Where is my invoice?", answer="<p>In Billing.</p>")


def counters(entry):
    row = FAQDeflection.objects.get(entry=entry)
    return row.shown, row.opened, row.tickets_after_opening, row.deflected


def test_each_suggestion_list_counts_as_shown_in_one_update(client, password, invoice):
    url = reverse("wagtail_support:faq_suggestions")
    client.get(url, {"q": "password"})
    client.get(url, {"q": "reset my password"})
    with CaptureQueriesContext(connection) as queries:
        client.get(url, {"q": "invoice"})
    assert counters(password)[0] == 2
    assert counters(invoice)[0] == 1
    updates = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and "faqdeflection" in updates[0]
    # Nothing found, nothing counted.
    client.get(url, {"q": "zzzz"})
    assert counters(password)[0] == 2


def test_counters_missing_for_an_old_entry_are_made(password):
    FAQDeflection.objects.all().delete()
    count_shown([password.pk, 999999])
    assert counters(password)[0] == 1
    assert FAQDeflection.objects.count() == 1


def test_opening_counts_only_a_post_with_the_csrf_token(password):
    from django.test import Client

    url = reverse("wagtail_support:faq_opened")
    browser = Client(enforce_csrf_checks=True)
    # A robot following links or posting without the form's token counts nothing.
    assert browser.get(url, {"entry": password.pk}).status_code == 405
    assert browser.post(url, {"entry": password.pk}).status_code == 403
    assert counters(password)[1] == 0
    # A browser that loaded the form: its cookie and its token.
    browser.get(reverse("wagtail_support:faq_suggestions"), {"q": "password"})
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    token = get_token(request)
    browser.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    assert browser.post(url, {"entry": password.pk, "csrfmiddlewaretoken": token}).status_code == 204
    assert counters(password)[1] == 1
    # Odd ids and drafts count nothing, and never fail.
    draft = FAQEntry.objects.create(topic=password.topic, question="Draft", answer="<p>x</p>", live=False)
    for odd in ["", "abc", "-1", "999999", "1e3", str(draft.pk), "１２"]:
        assert browser.post(url, {"entry": odd, "csrfmiddlewaretoken": token}).status_code == 204
    assert counters(draft)[1] == 0
    assert counters(password)[1] == 1


def test_parse_entry_ids_keeps_a_few_distinct_numbers():
    assert parse_entry_ids("3 1,3  x 2") == [3, 1, 2]
    assert parse_entry_ids("1 2 3", limit=2) == [1, 2]
    assert parse_entry_ids(None) == []
    assert parse_entry_ids("１２ 99999999999999") == []
    assert len(parse_entry_ids(" ".join(str(n) for n in range(1, 500)))) == 20


def test_the_ticket_form_carries_the_questions_opened(client, support_page):
    response = client.get(support_page.url)
    page = soup(response)
    field = page.select_one('form input[type="hidden"][name="faq_opened"]')
    assert field is not None
    box = page.select_one("[data-faq-suggest-url]")
    assert box["data-faq-opened-url"] == reverse("wagtail_support:faq_opened")
    assert box["data-opened-field"] == field["id"]
    assert box["data-locale"] == "en"


def test_a_ticket_sent_after_opening_counts_for_those_questions(client, support_page, password, invoice, empty_cache):
    FAQDeflection.objects.filter(entry=password).update(opened=3)
    data = {
        "name": "Ann Onymous",
        "email": "ann@example.com",
        "subject": "The export button does nothing",
        "description": "I click Export and nothing happens.",
        "kind": Ticket.Kind.BUG,
        "priority": Ticket.Priority.NORMAL,
        "faq_opened": f"{password.pk} {password.pk} junk 999999",
    }
    response = client.post(support_page.url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Ticket.objects.count() == 1
    assert counters(password) == (0, 3, 1, 2)
    assert counters(invoice) == (0, 0, 0, 0)


def test_a_refused_form_counts_nothing(client, support_page, password, empty_cache):
    response = client.post(support_page.url, {"subject": "", "faq_opened": str(password.pk)})
    assert response.status_code == 200
    assert counters(password)[2] == 0


def test_the_listing_shows_the_counters_at_a_fixed_query_cost(admin_client, topic, django_assert_max_num_queries):
    entries = [
        FAQEntry.objects.create(topic=topic, question=f"Question {number}", answer="<p>x</p>") for number in range(3)
    ]
    FAQDeflection.objects.filter(entry=entries[0]).update(shown=120, opened=40, tickets_after_opening=15)
    listing = reverse("wagtailsnippets_wagtail_support_faqentry:list")
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(listing)
    html = response.content.decode()
    for label in ("Suggested", "Opened", "Deflected"):
        assert label in html
    row = soup(response).find("span", string="Question 0").find_parent("tr")
    cells = [cell.get_text(strip=True) for cell in row.find_all("td")]
    assert "120" in cells and "40" in cells and "25" in cells
    for number in range(3, 13):
        FAQEntry.objects.create(topic=topic, question=f"Question {number}", answer="<p>x</p>")
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(listing)


def test_the_suggestions_json_gives_ids_for_the_beacon(client, password):
    data = json.loads(client.get(reverse("wagtail_support:faq_suggestions"), {"q": "password"}).content)
    assert data["results"][0]["id"] == password.pk
