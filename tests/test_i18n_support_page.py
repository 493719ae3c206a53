"""The support page in two languages (Wagtail's i18n): each locale's page says its own texts, the ticket
records the locale and language it was written in, and the requester's mail follows that language.

The pages are served under their language prefix (``example_site.urls_i18n``, the demo's: Wagtail's pages in ``i18n_patterns``).
"""

import pytest
from django.core import mail
from wagtail.models import Locale, Site

from tests.html_helpers import text
from wagtail_support.models import SupportPromiseTranslation, SupportSiteSettings, Ticket
from wagtail_support.pages import SupportPage

pytestmark = pytest.mark.django_db

EN_CONFIRMATION = "We usually answer within one working day."
FR_CONFIRMATION = "Nous répondons en général sous un jour ouvré."


@pytest.fixture
def pages(settings, empty_cache):
    settings.ROOT_URLCONF = "example_site.urls_i18n"
    settings.WAGTAIL_I18N_ENABLED = True
    settings.WAGTAIL_CONTENT_LANGUAGES = settings.LANGUAGES
    fr, _created = Locale.objects.get_or_create(language_code="fr")
    site = Site.objects.get(is_default_site=True)
    page = SupportPage(title="Support", slug="support", confirmation_text=f"<p>{EN_CONFIRMATION}</p>")
    site.root_page.add_child(instance=page)
    page.save_revision().publish()
    page = SupportPage.objects.get(pk=page.pk)
    french = page.copy_for_translation(fr, copy_parents=True)
    french.title = "Assistance"
    french.confirmation_text = f"<p>{FR_CONFIRMATION}</p>"
    french.save_revision().publish()
    french = SupportPage.objects.get(pk=french.pk)
    settings_row = SupportSiteSettings.objects.create(site=site, reply_time_promise="Replies within 8 hours.")
    SupportPromiseTranslation.objects.create(settings=settings_row, language="fr", text="Réponse sous 8 heures.")
    return {"en": page, "fr": french, "fr_locale": fr}


def ticket_data(subject):
    return {
        "name": "Ann Onymous",
        "email": "ann@example.com",
        "subject": subject,
        "description": "Rien ne se passe quand je clique.",
        "kind": Ticket.Kind.BUG,
        "priority": Ticket.Priority.NORMAL,
    }


def test_each_locale_serves_its_own_page(client, pages):
    assert pages["en"].url.startswith("/en/") and pages["fr"].url.startswith("/fr/")
    english = client.get(pages["en"].url)
    french = client.get(pages["fr"].url)
    assert english.status_code == french.status_code == 200
    assert '<html lang="en"' in english.content.decode() or 'lang="en"' in english.content.decode()
    # The form speaks the page's language: French labels on the French page only.
    assert "Objet" in text(french) and "Objet" not in text(english)


def test_the_confirmation_says_the_french_text_on_the_french_page(client, pages, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(pages["fr"].url, ticket_data("Le bouton Exporter ne fait rien"))
    assert response.status_code == 302, response.content.decode()[:1000]
    ticket = Ticket.objects.get()
    assert ticket.language == "fr" and ticket.locale == pages["fr_locale"]
    assert ticket.submitted_from_id == pages["fr"].pk
    confirmation = text(client.get(response["Location"]))
    assert FR_CONFIRMATION in confirmation and "Réponse sous 8 heures." in confirmation
    assert EN_CONFIRMATION not in confirmation and "Replies within 8 hours." not in confirmation
    # The requester's mail is in French too, with the French promise.
    (message,) = [m for m in mail.outbox if "ann@example.com" in m.to]
    assert "Réponse sous 8 heures." in message.body and "Replies within 8 hours." not in message.body


def test_the_confirmation_says_the_english_text_on_the_english_page(client, pages, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(pages["en"].url, ticket_data("The export button does nothing"))
    ticket = Ticket.objects.get()
    assert ticket.language == "en"
    confirmation = text(client.get(response["Location"]))
    assert EN_CONFIRMATION in confirmation and "Replies within 8 hours." in confirmation
    assert FR_CONFIRMATION not in confirmation and "Réponse sous 8 heures." not in confirmation
    (message,) = [m for m in mail.outbox if "ann@example.com" in m.to]
    assert "Replies within 8 hours." in message.body and "Réponse sous 8 heures." not in message.body
