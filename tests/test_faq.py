"""The FAQ: entries and topics, Wagtail search over them, the FAQ page and the suggestions endpoint.

Entries are indexed by Wagtail's own signal handlers when they are saved (the database search backend of
the example site, on SQLite and on PostgreSQL); nothing here indexes by hand.
"""

import json

import pytest
from django.utils.html import escape
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from example_site.home.models import HomePage
from example_site.demo.faq import DEMO_FAQ, FAQ_PAGE_SLUG, seed_faq
from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic, faq_suggestions, search_entries

pytestmark = pytest.mark.django_db

ODD_QUERIES = [
    '"',
    'invoice"',
    '"unbalanced',
    "l'équipe",
    "'; DROP TABLE faq; --",
    "*",
    "fact*",
    "-password",
    "NOT invoice",
    "invoice AND OR NOT NEAR",
    "NEAR(invoice password)",
    "title: invoice",
    "{question} : invoice",
    "(invoice",
    "invoice)",
    "a & b | !c",
    "password:*",
    "\\",
    "%_%",
    "___",
    "\x00invoice\x01",
    "💥 invoice 🧾",
    "請求書",
    "x" * 5000,
    "invoice " * 500,
]


def suggestions_url():
    """The routed URL of the suggestions view."""
    return reverse("wagtail_support:faq_suggestions")


@pytest.fixture
def billing(db):
    return FAQTopic.objects.create(name="Billing", slug="billing", sort_order=1)


@pytest.fixture
def account(db):
    return FAQTopic.objects.create(name="Account", slug="account", sort_order=2)


@pytest.fixture
def entries(billing, account):
    return {
        "facture": FAQEntry.objects.create(
            topic=billing,
            question="Comment créer une facture ?",
            answer="<p>Dans <b>Facturation</b>, cliquez sur <i>Nouvelle facture</i>.</p>",
            sort_order=1,
        ),
        "download": FAQEntry.objects.create(
            topic=billing,
            question="How do I download an invoice?",
            answer="<p>Open <b>Billing &amp; history</b> and click Download.</p>",
            sort_order=2,
        ),
        "password": FAQEntry.objects.create(
            topic=account,
            question="How do I reset my password?",
            answer="<p>Use the <i>forgotten password</i> link; the mail arrives within minutes.</p>",
        ),
        "draft": FAQEntry.objects.create(
            topic=account,
            question="Secret draft about invoices",
            answer="<p>Not ready yet.</p>",
            live=False,
        ),
    }


def site_root():
    return Site.objects.get(is_default_site=True).root_page


def make_faq_page(parent=None, *, title="FAQ", slug="faq", topics=(), live=True):
    page = FAQPage(title=title, slug=slug, intro="<p>Our <b>answers</b>.</p>")
    (parent or site_root()).add_child(instance=page)
    if topics:
        page.topics.set(topics)
    revision = page.save_revision()
    if live:
        revision.publish()
    else:
        page.unpublish()
    return FAQPage.objects.get(pk=page.pk)


@pytest.fixture
def faq_page(entries):
    return make_faq_page()


def get_json(client, query, **extra):
    response = client.get(suggestions_url(), {"q": query}, **extra)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


# Models --------------------------------------------------------------------------------------------------


def test_slug_is_made_from_the_question_and_unique(billing):
    first = FAQEntry.objects.create(topic=billing, question="Comment créer une facture ?", answer="<p>A</p>")
    second = FAQEntry.objects.create(topic=billing, question="Comment créer une facture ?", answer="<p>B</p>")
    custom = FAQEntry.objects.create(topic=billing, question="Other", slug="my-anchor", answer="<p>C</p>")
    no_letters = FAQEntry.objects.create(topic=billing, question="???", answer="<p>D</p>")

    assert first.slug == "comment-creer-une-facture"
    assert first.anchor == "faq-comment-creer-une-facture"
    assert second.slug == "comment-creer-une-facture-2"
    assert custom.slug == "my-anchor"
    assert no_letters.slug == "question"

    first.question = "Changed"
    first.save()
    first.refresh_from_db()
    assert first.slug == "comment-creer-une-facture", "an anchor never changes once made"


def test_slug_is_filled_in_by_clean_so_the_admin_form_shows_it(billing):
    entry = FAQEntry(topic=billing, question="How do I pay?", answer="<p>By card.</p>")
    entry.full_clean()
    assert entry.slug == "how-do-i-pay"


def test_published_leaves_out_unpublished_entries(entries):
    published = set(FAQEntry.objects.published())
    assert entries["draft"] not in published
    assert {entries["facture"], entries["download"], entries["password"]} == published


def test_excerpt_is_plain_text_and_short(billing):
    entry = FAQEntry.objects.create(
        topic=billing,
        question="Long",
        answer="<p>Fish &amp; chips <b>and</b></p><ul><li>one</li><li>two</li></ul>" + "<p>word </p>" * 100,
    )
    excerpt = entry.get_excerpt()
    assert excerpt.startswith("Fish & chips and one two word")
    assert "<" not in excerpt and "&amp;" not in excerpt
    assert len(excerpt) <= 200


# Search --------------------------------------------------------------------------------------------------


def test_search_finds_an_entry_by_a_word_of_its_question(entries):
    assert search_entries("invoice")[0] == entries["download"]
    assert search_entries("facture")[0] == entries["facture"]
    assert search_entries("password")[0] == entries["password"]


def test_search_finds_an_entry_by_a_word_of_its_answer_only(entries):
    assert search_entries("minutes") == [entries["password"]]
    assert search_entries("Facturation") == [entries["facture"]]


def test_search_completes_the_word_being_typed(entries):
    assert search_entries("How do I downl")[0] == entries["download"]
    assert search_entries("Comment créer une fact")[0] == entries["facture"]
    assert search_entries("passw") == [entries["password"]]


def test_search_ignores_common_words_when_any_word_may_match(entries, account):
    other_french = FAQEntry.objects.create(
        topic=account, question="Comment inviter un membre de l'équipe ?", answer="<p>Dans Paramètres.</p>"
    )
    # (SQLite does not stem: "invoices" would not find "invoice" there, PostgreSQL would.)
    assert search_entries("My invoice is wrong") == [entries["download"]]
    assert search_entries("Comment créer une fact") == [entries["facture"]]
    assert search_entries("comment inviter") == [other_french]
    # Typing only common words still completes questions that start with them.
    assert set(search_entries("How do I")) == {entries["download"], entries["password"]}


def test_search_is_case_insensitive(entries):
    assert search_entries("FACTURE")[0] == entries["facture"]


def test_search_never_returns_unpublished_entries(entries):
    assert search_entries("secret draft") == []
    assert entries["draft"] not in search_entries("invoices invoice")


def test_search_of_nothing_finds_nothing(entries):
    for query in ["", " ", "a", "?", "*", "'", "-", None]:
        assert search_entries(query) == [], query


def test_search_never_fails_on_odd_input(entries):
    for query in ODD_QUERIES:
        found = search_entries(query)
        assert isinstance(found, list), query
        assert all(entry.live for entry in found)
    assert entries["download"] in search_entries('invoice"')
    assert entries["download"] in search_entries("💥 invoice 🧾")


def test_search_respects_the_limit(billing):
    for number in range(8):
        FAQEntry.objects.create(topic=billing, question=f"Printer problem number {number}", answer="<p>x</p>")
    assert len(search_entries("printer")) == 5
    assert len(search_entries("printer", limit=3)) == 3
    assert len(search_entries("printer", limit=50)) == 8


def test_search_sends_the_visible_entries_as_a_subquery_not_a_list_of_ids(billing):
    """A knowledge base of thousands of questions: the database search backends get the entries a locale shows
    as a subquery; a list of every id took 100 ms a keystroke at 10,000 questions to compile and send."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(30):
        FAQEntry.objects.create(topic=billing, question=f"Printer problem number {number}", answer="<p>x</p>")
    with CaptureQueriesContext(connection) as queries:
        found = search_entries("printer problem")
    assert len(found) == 5
    sql = [query["sql"] for query in queries.captured_queries]
    searches = [one for one in sql if "wagtail_support_faqentry" in one]
    assert searches and all("IN (SELECT" in one for one in searches), sql
    ids = [str(entry.pk) for entry in FAQEntry.objects.all()]
    assert not any(all(f"{pk}, " in one or f"{pk})" in one for pk in ids) for one in searches)


def test_search_follows_edits_and_deletions(entries):
    entry = entries["password"]
    entry.question = "How do I change my passphrase?"
    entry.answer = "<p>Go to your profile.</p>"
    entry.save()
    assert search_entries("passphrase") == [entry]
    assert search_entries("minutes") == []

    entry.live = False
    entry.save()
    assert search_entries("passphrase") == []

    entries["download"].delete()
    assert search_entries("download") == []


# The suggestions endpoint --------------------------------------------------------------------------------


def test_suggestions_are_routed():
    assert suggestions_url().endswith("/faq/suggestions/")


def test_suggestions_give_question_link_and_excerpt(client, faq_page, entries):
    data = get_json(client, "facture")
    assert data == {
        "results": [
            {
                "id": entries["facture"].pk,
                "question": "Comment créer une facture ?",
                "url": f"{faq_page.url}#faq-comment-creer-une-facture",
                "excerpt": "Dans Facturation, cliquez sur Nouvelle facture.",
            }
        ]
    }


def test_suggestions_decode_entities_in_excerpts(client, faq_page, entries):
    (result,) = get_json(client, "download")["results"]
    assert result["excerpt"] == "Open Billing & history and click Download."


def test_suggestions_without_an_faq_page_have_no_link(client, entries):
    (result,) = get_json(client, "facture")["results"]
    assert result["url"] is None


def test_suggestions_link_to_a_live_public_page_that_shows_the_topic(client, entries, billing, account):
    make_faq_page(slug="draft-faq", live=False)
    billing_page = make_faq_page(slug="billing-faq", topics=[billing])

    (facture,) = get_json(client, "facture")["results"]
    (password,) = get_json(client, "password")["results"]
    assert facture["url"] == f"{billing_page.url}#faq-comment-creer-une-facture"
    assert password["url"] is None, "no live page shows the account topic"

    every_topic = make_faq_page(slug="all-faq")
    (password,) = get_json(client, "password")["results"]
    assert password["url"] == f"{every_topic.url}#{entries['password'].anchor}"


def test_suggestions_run_a_fixed_number_of_queries(client, billing, django_assert_max_num_queries):
    make_faq_page(slug="one-faq")
    make_faq_page(slug="billing-faq", topics=[billing])
    FAQEntry.objects.create(topic=billing, question="Printer problem", answer="<p>x</p>")
    # 11: the first request also fills Wagtail's cache of the sites' root paths (one query).
    with django_assert_max_num_queries(11) as one:
        assert len(get_json(client, "printer")["results"]) == 1
    for number in range(8):
        FAQEntry.objects.create(topic=billing, question=f"Printer problem number {number}", answer="<p>x</p>")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(get_json(client, "printer")["results"]) == 5


def test_suggestions_are_limited_to_five(client, billing):
    for number in range(8):
        FAQEntry.objects.create(topic=billing, question=f"Printer problem number {number}", answer="<p>x</p>")
    assert len(get_json(client, "printer")["results"]) == 5


def test_suggestions_of_a_blank_or_missing_query_are_empty(client, entries):
    assert get_json(client, "")["results"] == []
    assert get_json(client, "f")["results"] == []
    response = client.get(suggestions_url())
    assert response.status_code == 200
    assert json.loads(response.content) == {"results": []}


def test_suggestions_never_fail_on_odd_input(client, entries):
    for query in ODD_QUERIES:
        data = get_json(client, query)
        assert isinstance(data["results"], list), query
    response = client.get(suggestions_url() + "?q=%FF%FE%00&q=invoice&q=")
    assert response.status_code == 200


def test_suggestions_return_markup_as_text(client, billing, faq_page):
    FAQEntry.objects.create(
        topic=billing,
        question='<script>alert("x")</script> Refund?',
        answer="<p>&lt;img src=x onerror=alert(1)&gt; refunds take a week.</p>",
    )
    (result,) = get_json(client, "refund")["results"]
    assert result["question"] == '<script>alert("x")</script> Refund?'
    assert result["excerpt"] == "<img src=x onerror=alert(1)> refunds take a week."


def test_suggestions_are_public_and_cached_for_a_minute(client, entries):
    response = client.get(suggestions_url(), {"q": "invoice"})
    assert "max-age=60" in response["Cache-Control"]
    assert "private" not in response["Cache-Control"]
    assert not response.cookies


def test_suggestions_only_answer_get_and_head(client, entries):
    assert client.post(suggestions_url(), {"q": "invoice"}).status_code == 405
    assert client.head(suggestions_url(), {"q": "invoice"}).status_code == 200


def test_suggestions_view_works_without_routing(entries):
    # The view itself, whatever the URLconf of the site.
    request = RequestFactory().get("/anywhere/", {"q": "invoice"})
    data = json.loads(faq_suggestions(request).content)
    assert [result["question"] for result in data["results"]] == ["How do I download an invoice?"]


def test_suggestions_container_is_hidden_until_filled():
    html = render_to_string("wagtail_support/includes/faq_suggestions.html", {"url": "/s/?x=1&y=2"})
    assert 'data-faq-suggest-url="/s/?x=1&amp;y=2"' in html
    assert 'aria-live="polite" hidden' in html
    assert "These answers may help" in html
    default = render_to_string("wagtail_support/includes/faq_suggestions.html", {})
    assert f'data-faq-suggest-url="{suggestions_url()}"' in default


# The FAQ page --------------------------------------------------------------------------------------------


def test_faq_page_shows_topics_and_questions_with_anchors(client, faq_page, entries, billing, account):
    response = client.get(faq_page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>FAQ</h1>" in html
    assert "Our <b>answers</b>." in html
    assert '<label class="ws-label" for="ws-faq-q">Search the FAQ</label>' in html
    assert '<input type="search" id="ws-faq-q" name="q"' in html

    for topic in (billing, account):
        assert f'<section class="ws-faq__topic" id="{topic.anchor}" aria-labelledby="{topic.anchor}-title">' in html
        assert f'<h2 id="{topic.anchor}-title">{topic.name}</h2>' in html
    for key in ("facture", "download", "password"):
        entry = entries[key]
        assert f'<details class="ws-faq__entry" id="faq-{entry.slug}">' in html
        assert f'<a href="#faq-{entry.slug}">Link to this question</a>' in html
    assert "<summary>Comment créer une facture ?</summary>" in html
    assert "Dans <b>Facturation</b>" in html
    # Topics in their order, entries in theirs.
    assert html.index("Billing</h2>") < html.index("Account</h2>")
    assert html.index("Comment créer une facture") < html.index("How do I download an invoice?")
    assert "Secret draft" not in html
    assert "Search results" not in html


def test_faq_page_hides_topics_without_published_entries(client, faq_page, entries):
    empty = FAQTopic.objects.create(name="Empty topic", slug="empty")
    FAQEntry.objects.create(topic=empty, question="Hidden", answer="<p>x</p>", live=False)
    html = client.get(faq_page.url).content.decode()
    assert "Empty topic" not in html


def test_faq_page_context(rf, faq_page, entries, billing, account):
    request = rf.get(faq_page.url, {"q": "  invoice  "})
    context = faq_page.get_context(request)
    assert context["topics"] == [
        (billing, [entries["facture"], entries["download"]]),
        (account, [entries["password"]]),
    ]
    assert context["query"] == "invoice"
    assert context["results"][0] == entries["download"]
    assert "query" not in faq_page.get_context(rf.get(faq_page.url))


def test_faq_page_search_lists_matching_questions(client, faq_page, entries):
    html = client.get(faq_page.url, {"q": "facture"}).content.decode()
    assert "Search results for “facture”" in html
    results = html.split('class="ws-faq__results"', 1)[1].split("</section>", 1)[0]
    assert '<a href="#faq-comment-creer-une-facture">Comment créer une facture ?</a>' in results
    assert "How do I reset my password?" not in results
    assert 'value="facture"' in html


def test_faq_page_search_without_match_says_so(client, faq_page, entries):
    html = client.get(faq_page.url, {"q": "zzzz"}).content.decode()
    assert "No question matches “zzzz”." in html
    assert '<ol class="ws-faq__result-list">' not in html


def test_faq_page_escapes_questions_and_queries(client, faq_page, billing):
    FAQEntry.objects.create(topic=billing, question='<script>alert("x")</script> Refund?', answer="<p>Yes.</p>")
    html = client.get(faq_page.url, {"q": "<b>refund</b>"}).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Refund?" in html
    assert "<b>refund</b>" not in html
    assert "&lt;b&gt;refund&lt;/b&gt;" in html
    # The query is searched for its words: the entry is found.
    assert "No question matches" not in html


def test_faq_page_with_chosen_topics_shows_and_searches_only_them(client, entries, billing):
    page = make_faq_page(slug="billing-faq", topics=[billing])
    html = client.get(page.url).content.decode()
    assert "How do I download an invoice?" in html
    assert "How do I reset my password?" not in html
    html = client.get(page.url, {"q": "password"}).content.decode()
    assert "No question matches “password”." in html


def test_faq_page_without_questions(client, db):
    page = make_faq_page()
    response = client.get(page.url)
    assert response.status_code == 200
    assert "There are no questions here yet." in response.content.decode()


def test_faq_page_is_found_by_wagtail_search(faq_page):
    assert faq_page.pk in [page.pk for page in Page.objects.live().search("answers")]


# Admin ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("faqadmin", "faqadmin@example.com", "password")
    client.force_login(user)
    return client


def test_admin_lists_searches_and_edits_questions(admin_client, entries):
    response = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqentry:list"))
    assert response.status_code == 200
    assert "How do I download an invoice?" in response.content.decode()

    for params in (
        {"q": "downl"},
        {"q": "invoice", "ordering": "question"},
        {"q": "x", "ordering": "-updated_at"},
        {"q": 'invoice"'},
        {"q": '"'},
    ):
        response = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqentry:list"), params)
        assert response.status_code == 200, params
    for query in ("downl", '"download'):
        found = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqentry:list"), {"q": query})
        assert "How do I download an invoice?" in found.content.decode()
        assert "How do I reset my password?" not in found.content.decode()
    results = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqentry:list_results"), {"q": 'downl"'})
    assert results.status_code == 200

    filtered = admin_client.get(
        reverse("wagtailsnippets_wagtail_support_faqentry:list"), {"live": "false"}
    ).content.decode()
    assert "Secret draft" in filtered and "How do I reset my password?" not in filtered

    entry = entries["download"]
    response = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqentry:edit", args=[entry.pk]))
    assert response.status_code == 200
    response = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqentry:add"))
    assert response.status_code == 200


def test_admin_creates_a_question_with_a_slug_made_for_it(admin_client, billing):
    response = admin_client.post(
        reverse("wagtailsnippets_wagtail_support_faqentry:add"),
        {
            "topic": billing.pk,
            "question": "Can I pay by bank transfer?",
            "answer": json.dumps(
                {
                    "blocks": [
                        {
                            "key": "a",
                            "type": "unstyled",
                            "text": "Yes, yearly plans.",
                            "depth": 0,
                            "inlineStyleRanges": [],
                            "entityRanges": [],
                        }
                    ],
                    "entityMap": {},
                }
            ),
            "slug": "",
            "sort_order": "0",
            "action-publish": "action-publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = FAQEntry.objects.get(question="Can I pay by bank transfer?")
    assert entry.slug == "can-i-pay-by-bank-transfer"
    assert search_entries("transfer") == [entry]


def test_admin_lists_topics_and_menu_shows_the_faq(admin_client, billing):
    response = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqtopic:list"), {"q": "bill"})
    assert response.status_code == 200
    assert "Billing" in response.content.decode()
    home = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "FAQ" in home


def test_a_topic_with_questions_cannot_be_deleted(admin_client, entries, billing):
    # The questions point at their topic with PROTECT; Wagtail's delete view refuses.
    response = admin_client.post(reverse("wagtailsnippets_wagtail_support_faqtopic:delete", args=[billing.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert FAQTopic.objects.filter(pk=billing.pk).exists()


# Demo content --------------------------------------------------------------------------------------------


def test_seed_faq_is_complete_and_idempotent(client):
    parent = site_root()
    created, page = seed_faq(parent)
    entry_count = sum(len(entries) for _slug, _name, entries in DEMO_FAQ)
    assert created == len(DEMO_FAQ) + entry_count + 1
    assert page.live and page.slug == FAQ_PAGE_SLUG and page.get_parent().pk == parent.pk
    assert len(DEMO_FAQ) == 4 and entry_count >= 12
    # The default locale's FAQ only (its French translation is the demo's translations' job), all live.
    assert FAQEntry.objects.filter(live=True).count() == entry_count
    assert not FAQEntry.objects.exclude(locale=page.locale).exists()

    again, same_page = seed_faq(parent)
    assert again == 0 and same_page.pk == page.pk
    assert FAQEntry.objects.count() == entry_count
    assert FAQPage.objects.count() == 1

    html = client.get(page.url).content.decode()
    first = FAQEntry.objects.order_by("pk").first()
    assert escape(first.question) in html
    assert first in search_entries(first.question)


def test_seed_faq_leaves_another_page_at_its_slug_alone(db):
    parent = site_root()
    other = Page(title="Not an FAQ", slug=FAQ_PAGE_SLUG)
    parent.add_child(instance=other)
    created, page = seed_faq(parent)
    assert page is None
    assert created > 0
    assert not FAQPage.objects.exists()


# Wagtail's own page tests --------------------------------------------------------------------------------


class TestFAQPageType(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        topic = FAQTopic.objects.create(name="Billing", slug="billing")
        FAQEntry.objects.create(topic=topic, question="How do I download an invoice?", answer="<p>Click.</p>")
        root = Site.objects.get(is_default_site=True).root_page
        cls.page = FAQPage(title="FAQ", slug="faq", intro="<p>Hello</p>")
        root.add_child(instance=cls.page)
        cls.page.save_revision().publish()

    def test_can_be_created_under_generic_and_home_pages(self):
        self.assertCanCreateAt(Page, FAQPage)
        self.assertCanCreateAt(HomePage, FAQPage)

    def test_is_routable(self):
        self.assertPageIsRoutable(self.page)

    def test_is_renderable(self):
        self.assertPageIsRenderable(self.page)
        self.assertPageIsRenderable(self.page, query_data={"q": "invoice"})
        self.assertPageIsRenderable(self.page, query_data={"q": '"*'})

    def test_is_editable(self):
        self.assertPageIsEditable(self.page)

    def test_admin_edit_view_answers(self):
        self.client.force_login(self.create_superuser("editor"))
        response = self.client.get(reverse("wagtailadmin_pages:edit", args=[self.page.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="topics"')
        parent_id = self.page.get_parent().pk
        response = self.client.get(reverse("wagtailadmin_pages:add", args=["wagtail_support", "faqpage", parent_id]))
        self.assertEqual(response.status_code, 200)

    def test_is_previewable(self):
        self.assertPageIsPreviewable(self.page)
