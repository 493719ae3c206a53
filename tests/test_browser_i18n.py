"""Browser test: a French visitor on a site in two languages (Wagtail's i18n), in headless Chromium.

On /fr/support/, typing "mot de passe" in the subject suggests the French question only; opening it
leads to the French FAQ page, which shows French questions only (and the English one that has no French
version yet). axe-core finds nothing critical or serious on either page. See ``tests/test_browser.py``
for how the live server and Playwright are run.
"""

import pytest

from tests.axe_support import report, serious_violations
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab  # noqa: F401 - fixtures

pytestmark = BROWSER_TEST_MARKS

EN_PASSWORD = "How do I change my password?"
FR_PASSWORD = "Comment changer mon mot de passe ?"
EN_ONLY = "How do I export my invoices?"


@pytest.fixture
def bilingual_site(settings):
    from django.core.cache import cache
    from wagtail.models import Locale, Site

    from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic
    from wagtail_support.pages import SupportPage

    cache.clear()
    settings.ROOT_URLCONF = "example_site.urls_i18n"
    settings.WAGTAIL_I18N_ENABLED = True
    settings.WAGTAIL_CONTENT_LANGUAGES = settings.LANGUAGES
    fr, _created = Locale.objects.get_or_create(language_code="fr")
    root = Site.objects.get(is_default_site=True).root_page
    pages = {}
    for page, title in ((SupportPage(title="Support", slug="support"), "Assistance"), (FAQPage(title="FAQ", slug="faq"), "Questions fréquentes")):
        root.add_child(instance=page)
        page.save_revision().publish()
        page = type(page).objects.get(pk=page.pk)
        french = page.copy_for_translation(fr, copy_parents=True)
        french.title = title
        french.save_revision().publish()
        pages[page.slug] = page
    topic = FAQTopic.objects.create(name="Account", slug="account")
    fr_topic = topic.copy_for_translation(fr)
    fr_topic.name = "Compte"
    fr_topic.save()
    password = FAQEntry.objects.create(topic=topic, question=EN_PASSWORD, answer="<p>Open your profile.</p>")
    french = password.copy_for_translation(fr)
    french.question = FR_PASSWORD
    french.answer = "<p>Ouvrez votre profil, puis « Mot de passe ».</p>"
    french.save()
    french.save_revision().publish()
    FAQEntry.objects.create(topic=topic, question=EN_ONLY, answer="<p>From the Invoices page.</p>")
    return pages


def test_a_french_visitor_gets_french_suggestions_and_a_french_faq(open_tab, bilingual_site):
    from playwright.sync_api import expect

    visitor = open_tab()
    page = visitor.page
    page.goto("/fr/support/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Objet").fill("mot de passe")
    suggestions = page.locator(".ws-faq-suggest")
    expect(suggestions).to_be_visible()
    expect(suggestions.get_by_role("link", name=FR_PASSWORD)).to_be_visible()
    assert suggestions.get_by_text(EN_PASSWORD).count() == 0
    violations = serious_violations(page)
    assert not violations, report(violations)

    # The suggestion opens the French FAQ (in a new tab, the form keeps what was typed).
    href = suggestions.get_by_role("link", name=FR_PASSWORD).get_attribute("href")
    assert href.split("#")[0].endswith("/fr/faq/"), href
    page.goto(href)
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions fréquentes")
    body = page.locator("main").inner_text()
    assert FR_PASSWORD in body and EN_PASSWORD not in body
    # A question with no French version yet is shown in English rather than left out.
    assert EN_ONLY in body
    violations = serious_violations(page)
    assert not violations, report(violations)

    # The English pages say the English question only.
    page.goto("/en/faq/")
    body = page.locator("main").inner_text()
    assert EN_PASSWORD in body and FR_PASSWORD not in body
    visitor.check()
