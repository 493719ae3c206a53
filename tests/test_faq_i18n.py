"""The FAQ in several languages (Wagtail's i18n), its drafts and Wagtail's moderation workflow.

A FAQ page of a locale shows that locale's questions, and the default locale's that have no translation
in it (never two versions of one question); its search and the suggestions search only those, with the
language's stemming on PostgreSQL. Visitors read only the live version of a question.
"""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from wagtail.models import (
    GroupApprovalTask,
    Locale,
    Site,
    Workflow,
    WorkflowContentType,
    WorkflowTask,
)

from tests import factories
from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic, search_config, search_entries

pytestmark = pytest.mark.django_db

EN_PASSWORD = "How do I change my password?"
FR_PASSWORD = "Comment changer mon mot de passe ?"
EN_ONLY = "How do I close my account?"


@pytest.fixture
def i18n(settings):
    settings.ROOT_URLCONF = "example_site.urls_i18n"
    settings.WAGTAIL_I18N_ENABLED = True
    settings.WAGTAIL_CONTENT_LANGUAGES = settings.LANGUAGES
    en = Locale.objects.get(language_code="en")
    fr, _created = Locale.objects.get_or_create(language_code="fr")
    return en, fr


def publish(page):
    page.save_revision().publish()
    return page.specific_class.objects.get(pk=page.pk)


@pytest.fixture
def faq(i18n):
    """An English FAQ page and its French translation, an English topic and its French one, a question
    in both languages (one translation_key) and one in English only."""
    en, fr = i18n
    root = Site.objects.get(is_default_site=True).root_page
    page = FAQPage(title="FAQ", slug="faq")
    root.add_child(instance=page)
    page = publish(page)
    fr_page = page.copy_for_translation(fr, copy_parents=True)
    fr_page.title = "Questions fréquentes"
    fr_page = publish(fr_page)

    topic = FAQTopic.objects.create(name="Account", slug="account")
    fr_topic = topic.copy_for_translation(fr)
    fr_topic.name = "Compte"
    fr_topic.save()
    password = FAQEntry.objects.create(topic=topic, question=EN_PASSWORD, answer="<p>Open your profile.</p>")
    fr_password = password.copy_for_translation(fr)
    fr_password.question = FR_PASSWORD
    fr_password.answer = "<p>Ouvrez votre profil.</p>"
    fr_password.save()
    fr_password.save_revision().publish()
    only = FAQEntry.objects.create(topic=topic, question=EN_ONLY, answer="<p>Write to us.</p>")
    return {
        "page": page,
        "fr_page": fr_page,
        "topic": topic,
        "fr_topic": fr_topic,
        "password": password,
        "fr_password": FAQEntry.objects.get(pk=fr_password.pk),
        "only": only,
        "fr": fr,
        "en": en,
    }


def suggestions(client, query, **params):
    headers = {key: params.pop(key) for key in list(params) if key.startswith("HTTP_")}
    response = client.get(reverse("wagtail_support:faq_suggestions"), {"q": query, **params}, **headers)
    assert response.status_code == 200
    return [result["question"] for result in json.loads(response.content)["results"]]


# Locales ---------------------------------------------------------------------------------------------


def test_a_translation_takes_its_topic_in_its_locale_and_a_slug_of_its_own(faq):
    assert faq["fr_password"].topic == faq["fr_topic"]
    assert faq["fr_password"].translation_key == faq["password"].translation_key
    assert faq["fr_password"].slug == "comment-changer-mon-mot-de-passe"
    assert faq["fr_password"].live and faq["fr_password"].live_revision.object_id == str(faq["fr_password"].pk)
    # The same question in two locales may keep one slug: anchors are unique on each page.
    twin = faq["only"].copy_for_translation(faq["fr"])
    twin.save()
    assert twin.slug == faq["only"].slug
    third = FAQEntry.objects.create(topic=faq["topic"], question=EN_ONLY, answer="<p>x</p>")
    assert third.slug == f"{faq['only'].slug}-2"


def test_the_french_page_shows_french_questions_and_the_untranslated_ones(client, faq):
    assert faq["fr_page"].url == "/fr/faq/"
    response = client.get("/fr/faq/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Comment changer mon mot de passe" in html
    assert "How do I change my password" not in html
    # Not translated yet: the English question, under the French topic.
    assert EN_ONLY in html
    assert "Compte" in html and ">Account<" not in html
    assert [
        (topic.name, [entry.question for entry in entries]) for topic, entries in faq["fr_page"].get_topic_groups()
    ] == [("Compte", [FR_PASSWORD, EN_ONLY])]


def test_the_english_page_shows_only_english_questions(client, faq):
    response = client.get("/en/faq/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "How do I change my password?" in html
    assert EN_ONLY in html
    assert "mot de passe" not in html
    assert "Compte" not in html


def test_a_french_draft_translation_leaves_the_english_question_in_place(client, faq):
    draft = faq["only"].copy_for_translation(faq["fr"])
    draft.question = "Comment fermer mon compte ?"
    draft.live = False
    draft.save()
    html = client.get("/fr/faq/").content.decode()
    assert EN_ONLY in html
    assert "Comment fermer mon compte" not in html


def test_the_page_search_looks_in_its_locale_only(client, faq):
    html = client.get("/fr/faq/", {"q": "password"}).content.decode()
    assert "How do I change my password" not in html
    html = client.get("/fr/faq/", {"q": "mot de passe"}).content.decode()
    assert 'href="#faq-comment-changer-mon-mot-de-passe"' in html
    html = client.get("/en/faq/", {"q": "mot de passe"}).content.decode()
    assert "Comment changer" not in html


def test_french_suggestions_for_mot_de_passe(client, faq):
    assert suggestions(client, "mot de passe", locale="fr") == [FR_PASSWORD]
    assert suggestions(client, "mot de passe", locale="en") == []
    assert suggestions(client, "my password", locale="fr") == []
    assert suggestions(client, "change my password", locale="en") == [EN_PASSWORD]


def test_suggestions_link_to_the_page_of_their_locale(client, faq):
    response = client.get(reverse("wagtail_support:faq_suggestions"), {"q": "mot de passe", "locale": "fr"})
    assert json.loads(response.content)["results"][0]["url"] == "/fr/faq/#faq-comment-changer-mon-mot-de-passe"


def test_suggestions_without_a_locale_follow_the_visitors_language(client, faq):
    assert suggestions(client, "mot de passe", HTTP_ACCEPT_LANGUAGE="fr") == [FR_PASSWORD]
    assert suggestions(client, "mot de passe", HTTP_ACCEPT_LANGUAGE="en") == []
    # An unknown locale falls back to the active language.
    assert suggestions(client, "mot de passe", locale="xx", HTTP_ACCEPT_LANGUAGE="fr") == [FR_PASSWORD]


def test_an_untranslated_question_is_suggested_in_french_too(client, faq):
    assert suggestions(client, "close account", locale="fr") == [EN_ONLY]
    assert suggestions(client, "close account", locale="en") == [EN_ONLY]


def test_the_suggestions_box_asks_for_the_locale_of_its_page(faq, rf):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("fr"):
        html = render_to_string("wagtail_support/includes/faq_suggestions.html", {"page": faq["fr_page"]})
    assert 'data-locale="fr"' in html
    with translation.override("fr"):
        html = render_to_string("wagtail_support/includes/faq_suggestions.html", {"page": faq["page"]})
    assert 'data-locale="en"' in html


def test_search_config_per_language(settings):
    assert search_config("fr") == "french"
    assert search_config("fr-ca") == "french"
    assert search_config("en") == "english"
    assert search_config("xx") == "simple"
    assert search_config("") == "simple"
    settings.WAGTAILSUPPORT_FAQ_SEARCH_CONFIGS = {"xx": "my_config"}
    assert search_config("xx") == "my_config"


@pytest.mark.postgres
def test_french_search_is_stemmed_in_french_on_postgresql(faq):
    assert connection.vendor == "postgresql"
    # "changez" and "changer" meet only through French stemming (English leaves both as they are).
    assert search_entries("changez", locale=faq["fr"]) == [faq["fr_password"]]
    assert search_entries("changez", locale=faq["en"]) == []
    assert search_entries("changing passwords", locale=faq["en"]) == [faq["password"]]


# Drafts and moderation -------------------------------------------------------------------------------


def rich_text(text):
    return json.dumps(
        {
            "blocks": [
                {"key": "a", "type": "unstyled", "text": text, "depth": 0, "inlineStyleRanges": [], "entityRanges": []}
            ],
            "entityMap": {},
        }
    )


def entry_form(entry, **overrides):
    data = {
        "topic": entry.topic_id,
        "question": entry.question,
        "answer": rich_text("Open your profile."),
        "slug": entry.slug,
        "sort_order": "0",
    }
    data.update(overrides)
    return data


def test_a_draft_of_a_live_question_leaves_visitors_the_published_text(admin_client, client, faq):
    entry = faq["password"]
    url = reverse("wagtailsnippets_wagtail_support_faqentry:edit", args=[entry.pk])
    response = admin_client.post(url, entry_form(entry, answer=rich_text("Secret new wording zanzibar.")))
    assert response.status_code == 302
    entry.refresh_from_db()
    # Wagtail kept the row as published and stored the draft as a revision only.
    assert entry.live and entry.has_unpublished_changes
    assert "Open your profile" in entry.answer
    assert "zanzibar" in entry.latest_revision.as_object().answer
    html = client.get("/en/faq/").content.decode()
    assert "Open your profile" in html and "zanzibar" not in html
    assert search_entries("zanzibar", locale=faq["en"]) == []
    assert suggestions(client, "zanzibar", locale="en") == []
    # Published, the new text reaches visitors.
    response = admin_client.post(url, entry_form(entry, answer=rich_text("Secret new wording zanzibar."), **{"action-publish": "1"}))
    assert response.status_code == 302
    assert "zanzibar" in client.get("/en/faq/").content.decode()


def test_the_admin_listing_shows_status_filters_live_and_has_history(admin_client, faq):
    draft = FAQEntry.objects.create(topic=faq["topic"], question="Unfinished question", answer="<p>x</p>", live=False)
    listing = reverse("wagtailsnippets_wagtail_support_faqentry:list")
    html = admin_client.get(listing).content.decode()
    assert "Unfinished question" in html and "draft" in html.lower() and "live" in html.lower()
    html = admin_client.get(listing, {"live": "false"}).content.decode()
    assert "Unfinished question" in html and EN_ONLY not in html
    html = admin_client.get(listing, {"live": "true"}).content.decode()
    assert "Unfinished question" not in html and EN_ONLY in html
    draft.save_revision()
    response = admin_client.get(reverse("wagtailsnippets_wagtail_support_faqentry:history", args=[draft.pk]))
    assert response.status_code == 200


def test_a_question_goes_through_the_moderation_workflow(client, faq):
    content_type = ContentType.objects.get_for_model(FAQEntry)
    admin_access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    editors = Group.objects.create(name="FAQ editors")
    editors.permissions.add(
        admin_access, *Permission.objects.filter(content_type=content_type, codename__in=["add_faqentry", "change_faqentry", "view_faqentry"])
    )
    moderators = Group.objects.create(name="FAQ moderators")
    moderators.permissions.add(
        admin_access, *Permission.objects.filter(content_type=content_type, codename__in=["change_faqentry", "view_faqentry", "publish_faqentry"])
    )
    workflow = Workflow.objects.create(name="FAQ review")
    task = GroupApprovalTask.objects.create(name="Moderators approve")
    task.groups.set([moderators])
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowContentType.objects.create(workflow=workflow, content_type=content_type)
    editor = factories.make_user("editor", groups=[editors])
    moderator = factories.make_user("moderator", groups=[moderators])

    client.force_login(editor)
    response = client.post(
        reverse("wagtailsnippets_wagtail_support_faqentry:add"),
        {
            "topic": faq["topic"].pk,
            "question": "Can I export my data?",
            "answer": rich_text("Yes, from your profile."),
            "slug": "",
            "sort_order": "0",
            "action-submit": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = FAQEntry.objects.get(question="Can I export my data?")
    assert not entry.live
    assert entry.current_workflow_state is not None
    assert entry.current_workflow_task.pk == task.pk
    # The editor cannot publish it: the question is not visible yet.
    client.logout()
    assert "Can I export my data?" not in client.get("/en/faq/").content.decode()
    assert suggestions(client, "export data", locale="en") == []

    client.force_login(moderator)
    task_state = entry.current_workflow_task_state
    response = client.post(
        reverse("wagtailsnippets_wagtail_support_faqentry:workflow_action", args=[entry.pk, "approve", task_state.pk]),
        {"comment": ""},
    )
    assert response.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.live
    assert entry.current_workflow_state is None
    client.logout()
    assert "Can I export my data?" in client.get("/en/faq/").content.decode()
    assert suggestions(client, "export data", locale="en") == ["Can I export my data?"]
