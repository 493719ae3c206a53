"""The ticket form on any page: ``SupportFormBlock`` in an ordinary page's StreamField and ``{% support_form %}``.

Through the real page (``tests.site_app.ArticlePage``), the app's URL the form posts to, the workflow, the
database and Anymail's test backend. The ticket records the page, the revision that was live, the page's
locale and site; the view refuses pages the visitor may not see and keeps the support page's protections.
"""

import json
import time

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from wagtail.models import Locale, Page, PageViewRestriction, Site

from tests.html_helpers import soup
from tests.site_app.models import ArticlePage
from wagtail_support import page_forms, submissions
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db

POST_URL = "/support-files/forms/ticket/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


def make_article(slug="pricing", variant="short", publish=True, parent=None, **block):
    body = [{"type": "paragraph", "value": "<p>Our prices.</p>"}, {"type": "support_form", "value": {"variant": variant, **block}}]
    page = ArticlePage(title=slug.title(), slug=slug, body=json.dumps(body), live=publish)
    (parent or Site.objects.get(is_default_site=True).root_page).add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
    return ArticlePage.objects.get(pk=page.pk)


@pytest.fixture
def article(support_page):
    return make_article()


def page_form(response, selector="[data-ws-page-form]"):
    return soup(response).select_one(selector)


def posted_fields(response, selector="[data-ws-page-form]", **overrides):
    """What the browser would post from the page's form, with ``overrides`` typed in."""
    form = page_form(response, selector)
    assert form is not None, "no support form on the page"
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    data.update({"name": "Ann Onymous", "email": "ann@example.com", "subject": "The price list is wrong"})
    data["description"] = "The page says 10 EUR, the invoice says 12 EUR."
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_short_form_shows_on_an_ordinary_page_and_posts_to_the_app(client, article):
    response = client.get(article.url)
    assert response.status_code == 200
    form = page_form(response)
    assert form["data-ws-page-form"] == "short"
    assert form["action"].startswith(reverse("wagtail_support:page_ticket_form"))
    names = {field["name"] for field in form.select("input, textarea, select")}
    assert {"name", "email", "subject", "description", "form_token", page_forms.TARGET_FIELD} <= names
    assert not names & {"kind", "priority", "category", "attachments", "came_from"}
    assert soup(response).select_one("#support-form h2").get_text(strip=True) == "Ask our support team"


def test_the_full_form_is_the_support_page_form(client, support_page, category):
    page = make_article(slug="faq-like", variant="full", heading="Still stuck?")
    response = client.get(page.url)
    form = page_form(response)
    assert form["data-ws-page-form"] == "full"
    names = {field["name"] for field in form.select("input, textarea, select")}
    assert {"kind", "priority", "category", "attachments", "subject", "description"} <= names
    assert "came_from" not in names
    assert soup(response).select_one("#support-form h2").get_text(strip=True) == "Still stuck?"


def test_the_template_tag_renders_the_form_too(client, article):
    response = client.get(article.url + "?tag=full")
    tagged = soup(response).select('[data-ws-page-form="full"]')
    assert len(tagged) == 1
    # Two forms on one page: their own ids, the first keeps the ids the scripts know.
    assert soup(response).select_one("#support-form #id_subject") is not None
    assert soup(response).select_one("#support-form-2 #id_sf2_subject") is not None


def test_a_post_opens_a_ticket_tied_to_the_page_and_its_live_revision(client, article, django_capture_on_commit_callbacks):
    seen_revision = article.live_revision
    assert seen_revision is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(POST_URL, posted_fields(client.get(article.url)))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.url}?ticket={ticket.number}#support-form"
    assert ticket.submitted_from_id == article.pk
    assert ticket.source_revision_id == seen_revision.pk
    assert ticket.locale == Locale.get_default()
    assert ticket.site == Site.objects.get(is_default_site=True)
    assert ticket.came_from is None
    assert (ticket.kind, ticket.priority, ticket.requester_email) == (Ticket.Kind.QUESTION, Ticket.Priority.NORMAL, "ann@example.com")
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]

    # The page says the ticket was sent, with its link on the support page.
    confirmation = client.get(response["Location"])
    sent = soup(confirmation).select_one(".ws-page-form__sent")
    assert ticket.reference in sent.get_text()
    link = sent.select_one("a")["href"]
    assert link == article.url.replace("pricing/", "") + f"support/tickets/{ticket.number}/"
    assert client.get(link).status_code == 200
    # Someone else with the same address sees only the form.
    assert soup(Client().get(response["Location"])).select_one(".ws-page-form__sent") is None

    # The page changes: the ticket still points at what the visitor saw.
    article.title = "Pricing 2027"
    article.save_revision().publish()
    article.refresh_from_db()
    assert article.live_revision_id != seen_revision.pk
    ticket.refresh_from_db()
    assert ticket.source_revision_id == seen_revision.pk


def test_the_block_defaults_give_the_type_and_the_catalog_entry(client, support_page, category):
    page = make_article(slug="billing-info", kind=Ticket.Kind.BILLING, category=str(category.pk))
    client.post(POST_URL, posted_fields(client.get(page.url)))
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.category, ticket.team) == (Ticket.Kind.BILLING, category, category.default_team)


def test_a_logged_in_visitor_writes_as_themselves(client, article, requester):
    client.force_login(requester)
    response = client.get(article.url)
    assert "name" not in {field["name"] for field in page_form(response).select("input")}
    client.post(POST_URL, posted_fields(response, name=None, email=None))
    assert Ticket.objects.get().requester_user == requester


def test_a_forged_target_opens_nothing(client, article):
    data = posted_fields(client.get(article.url))
    other = make_article(slug="other")
    payload = {"p": other.pk, "v": "short", "k": "", "c": ""}
    forged_targets = [
        "",
        "nonsense",
        json.dumps(payload),
        signing.Signer(salt="another.salt").sign_object(payload),
        signing.Signer(key="not-the-secret-key", salt=page_forms._SALT).sign_object(payload),
        signing.dumps(payload, salt=page_forms._SALT),
        # Signed, but no such page.
        page_forms.sign_target(type("Gone", (), {"pk": other.pk + 1000})(), "short"),
    ]
    for forged in forged_targets:
        assert client.post(POST_URL, {**data, page_forms.TARGET_FIELD: forged}).status_code == 404
    assert not Ticket.objects.exists()


def test_an_unpublished_or_draft_page_is_refused(client, support_page):
    draft = make_article(slug="draft", publish=False)
    assert not draft.live
    target = page_forms.sign_target(draft, "short")
    data = posted_fields(client.get(make_article(slug="public").url), **{page_forms.TARGET_FIELD: target})
    assert client.post(POST_URL, data).status_code == 404
    # A page unpublished after the visitor loaded its form.
    page = make_article(slug="withdrawn")
    data = posted_fields(client.get(page.url))
    page.unpublish()
    assert client.post(POST_URL, data).status_code == 404
    assert not Ticket.objects.exists()


def test_a_page_under_a_view_restriction_is_refused_until_the_visitor_passed_it(client, support_page, requester):
    private = make_article(slug="members")
    section = Page.objects.get(pk=private.pk)
    restriction = PageViewRestriction.objects.create(page=section, restriction_type=PageViewRestriction.PASSWORD, password="s3cret")
    data = {**posted_fields(client.get(make_article(slug="public").url)), page_forms.TARGET_FIELD: page_forms.sign_target(private, "short")}
    assert client.post(POST_URL, data).status_code == 404
    # Under a restricted parent too.
    child = make_article(slug="child", parent=section)
    assert client.post(POST_URL, {**data, page_forms.TARGET_FIELD: page_forms.sign_target(child, "short")}).status_code == 404
    assert not Ticket.objects.exists()
    # Once the password is given (Wagtail's form), the visitor may post.
    password_url = reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, section.pk])
    client.post(password_url, {"password": "s3cret", "return_url": private.url})
    data = posted_fields(client.get(private.url))
    assert client.post(POST_URL, data).status_code == 302
    assert Ticket.objects.get().submitted_from_id == private.pk


def test_a_login_restriction_refuses_an_anonymous_visitor(client, support_page, requester):
    private = make_article(slug="staff")
    PageViewRestriction.objects.create(page=Page.objects.get(pk=private.pk), restriction_type=PageViewRestriction.LOGIN)
    data = {**posted_fields(client.get(make_article(slug="public").url)), page_forms.TARGET_FIELD: page_forms.sign_target(private, "short")}
    assert client.post(POST_URL, data).status_code == 404
    client.force_login(requester)
    assert client.post(POST_URL, posted_fields(client.get(private.url), name=None, email=None)).status_code == 302


def test_errors_come_back_on_the_page_with_what_was_typed(client, article):
    shown = client.get(article.url)
    time.sleep(1.05)  # the form is sent in another second than it was shown: its block is still found
    response = client.post(POST_URL, posted_fields(shown, email="not an address", subject=""))
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == article.title  # the page itself, its own template
    form = page_form(response)
    assert form.select_one("[data-ws-error-summary]") is not None
    assert form.select_one("#id_email")["value"] == "not an address"
    assert "10 EUR" in form.select_one("#id_description").get_text()
    assert form.select_one(".ws-field--subject .ws-errors") is not None
    assert response["Cache-Control"].startswith("private, no-store")
    # Corrected, the same form (same token) opens the ticket.
    sent = client.post(POST_URL, posted_fields(response))
    assert sent.status_code == 302 and Ticket.objects.count() == 1


def test_the_full_form_keeps_its_files_across_an_error(client, support_page, category):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    page = make_article(slug="upload", variant="full")
    data = posted_fields(client.get(page.url), subject="", kind="bug", priority="normal")
    shot = SimpleUploadedFile("shot.png", buffer.getvalue(), content_type="image/png")
    failed = client.post(POST_URL, {**data, "attachments": shot})
    assert [li.get_text(" ", strip=True).split()[0] for li in page_form(failed).select("[data-ws-kept] li")] == ["shot.png"]
    client.post(POST_URL, posted_fields(failed, kind="bug", priority="normal"))
    ticket = Ticket.objects.get()
    assert [a.filename for a in ticket.messages.get().attachments.all()] == ["shot.png"]


def test_the_same_form_posted_twice_opens_one_ticket(client, article, django_capture_on_commit_callbacks):
    data = posted_fields(client.get(article.url))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(POST_URL, data)
        second = client.post(POST_URL, data)
    assert Ticket.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert len(mail.outbox) == 1
    # Changed and sent with the used token: nothing opened, what was typed kept, a new token given.
    changed = client.post(POST_URL, {**data, "description": "Also the VAT is missing."})
    assert Ticket.objects.count() == 1
    assert "sent already" in page_form(changed).get_text()
    assert page_form(changed).select_one('input[name="form_token"]')["value"] != data["form_token"]


def test_the_rate_limit_applies(client, article, settings):
    settings.WAGTAILSUPPORT_RATE_LIMITS = {"submit": (2, 3600), "invalid": (30, 3600)}
    for n in range(2):
        assert client.post(POST_URL, posted_fields(client.get(article.url), subject=f"Problem {n}")).status_code == 302
    refused = client.post(POST_URL, posted_fields(client.get(article.url), subject="Problem 3"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many requests" in page_form(refused).get_text()
    assert page_form(refused).select_one("#id_subject")["value"] == "Problem 3"
    assert Ticket.objects.count() == 2


def test_the_honeypot_turns_robots_away(client, article):
    response = client.post(POST_URL, posted_fields(client.get(article.url), website="http://spam.example"))
    assert response.status_code == 200 and not Ticket.objects.exists()


def test_a_get_to_the_post_url_is_refused(client):
    assert client.get(POST_URL).status_code == 405


def test_the_workspace_links_the_page_and_the_revision_seen(client, article, agent, team):
    seen = article.live_revision
    client.post(POST_URL, posted_fields(Client().get(article.url)))
    ticket = Ticket.objects.get()
    ticket.team = team
    ticket.save(update_fields=["team"])
    client.force_login(agent)
    response = client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(f'a[href="{reverse("wagtailadmin_pages:edit", args=[article.pk])}"]') is not None
    view = page.select_one("[data-ws-source-revision]")
    assert view["href"] == reverse("wagtailadmin_pages:revisions_view", args=[article.pk, seen.pk])
    assert "as it was" in view.get_text()
    compare = page.select_one("[data-ws-source-compare]")
    assert compare["href"] == f"/admin/pages/{article.pk}/revisions/compare/{seen.pk}...live/"


def test_a_ticket_from_the_support_page_shows_no_revision_links(client, agent, ticket):
    client.force_login(agent)
    response = client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))
    assert soup(response).select_one("[data-ws-source-revision]") is None


def test_a_form_token_is_issued_per_rendering(client, article):
    first = page_form(client.get(article.url)).select_one('input[name="form_token"]')["value"]
    second = page_form(client.get(article.url)).select_one('input[name="form_token"]')["value"]
    assert first != second and submissions.TOKEN_PATTERN.fullmatch(first)


def test_a_page_of_another_locale_records_its_locale_and_language(client, support_page, settings):
    french = Locale.objects.create(language_code="fr")
    page = ArticlePage(title="Tarifs", slug="tarifs", locale=french, body=json.dumps(
        [{"type": "support_form", "value": {"variant": "short"}}]
    ))
    Site.objects.get(is_default_site=True).root_page.add_child(instance=page)
    page.save_revision().publish()
    settings.WAGTAIL_I18N_ENABLED = True
    data = posted_fields(client.get(page.url))
    client.post(POST_URL, data)
    ticket = Ticket.objects.get()
    assert (ticket.locale, ticket.language) == (french, "fr")
    # Without Wagtail's i18n, the language is the visitor's (the locale is still the page's).
    settings.WAGTAIL_I18N_ENABLED = False
    client.post(POST_URL, {**posted_fields(client.get(page.url)), "subject": "Another one"})
    second = Ticket.objects.latest("pk")
    assert (second.locale, second.language) == (french, "en")


def test_the_revision_costs_the_workspace_one_query_only_for_tickets_from_a_page(
    client, article, agent, team, ticket
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.post(POST_URL, posted_fields(Client().get(article.url)))
    from_page = Ticket.objects.exclude(pk=ticket.pk).get()
    Ticket.objects.filter(pk=from_page.pk).update(team=ticket.team)
    client.force_login(agent)
    counts = {}
    for name, one in (("support page", ticket), ("page form", from_page)):
        url = reverse("wagtail_support_admin:ticket", args=[one.pk])
        client.get(url)  # warm the caches (content types, site root paths)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[name] = len(queries)
    assert counts["page form"] <= counts["support page"] + 1, counts
