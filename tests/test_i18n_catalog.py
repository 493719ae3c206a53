"""Issue 15: the service catalog, the resolution codes and the saved replies translated with Wagtail's i18n.

The entries of the default locale are the catalog: tickets, teams, the tree and every listing point at them;
an entry of another locale with the same ``translation_key`` only carries the texts people of that language
read (the form's choices, the resolution code in mails). The admin lists the originals with their
translations and a "Translate" action (Wagtail's ``copy_for_translation``).
"""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.models import Locale

from tests import factories
from wagtail_support import workflow
from wagtail_support.admin.viewsets import url_for
from wagtail_support.forms import TicketForm
from wagtail_support.models import CannedResponse, Category, ResolutionCode, Ticket

pytestmark = pytest.mark.django_db


def soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def translate(obj, locale, **texts):
    """``obj``'s translation into ``locale`` the Wagtail way, with its translated ``texts``."""
    copy = obj.copy_for_translation(locale)
    for name, value in texts.items():
        setattr(copy, name, value)
    copy.save()
    return copy


@pytest.fixture
def french(settings):
    settings.WAGTAIL_I18N_ENABLED = True
    return Locale.objects.create(language_code="fr")


@pytest.fixture
def catalog(team, other_team, french):
    accounts = factories.make_category("Accounts", team, description="Your account")
    password = factories.make_category("Password", None, parent=accounts)
    billing = factories.make_category("Billing", other_team)
    return {
        "accounts": accounts,
        "password": password,
        "billing": billing,
        "comptes": translate(accounts, french, name="Comptes", description="Votre compte"),
        "mot_de_passe": translate(password, french, name="Mot de passe"),
        # Billing has no French translation: its English name is shown.
    }


def category_options(response):
    return [(o["value"], o.get_text(strip=True)) for o in soup(response).select('select[name="category"] option') if o["value"]]


# The visitor's form ----------------------------------------------------------------------------------------


def test_the_french_form_labels_the_catalog_in_french_with_the_originals_as_values(client, support_page, catalog):
    french_options = category_options(client.get(support_page.url, HTTP_ACCEPT_LANGUAGE="fr"))
    english_options = category_options(client.get(support_page.url, HTTP_ACCEPT_LANGUAGE="en"))

    # Siblings by the name the reader reads: "Billing" before "Comptes" in French.
    assert french_options == [
        (str(catalog["billing"].pk), "Billing"),
        (str(catalog["accounts"].pk), "Comptes"),
        (str(catalog["password"].pk), "Comptes › Mot de passe"),
    ]
    assert english_options == [
        (str(catalog["accounts"].pk), "Accounts"),
        (str(catalog["password"].pk), "Accounts › Password"),
        (str(catalog["billing"].pk), "Billing"),
    ]
    translation_pks = {str(catalog["comptes"].pk), str(catalog["mot_de_passe"].pk)}
    assert not translation_pks & {value for value, _label in french_options + english_options}


def test_without_wagtail_i18n_the_form_keeps_the_original_names(client, support_page, catalog, settings):
    settings.WAGTAIL_I18N_ENABLED = False

    labels = [label for _value, label in category_options(client.get(support_page.url, HTTP_ACCEPT_LANGUAGE="fr"))]

    assert labels == ["Accounts", "Accounts › Password", "Billing"]


def test_a_french_ticket_stores_the_original_entry_and_goes_to_its_team(
    client, support_page, catalog, team, empty_cache, django_capture_on_commit_callbacks
):
    data = factories.ticket_form_data(category=catalog["password"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(support_page.url, data, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.language, ticket.category, ticket.team) == ("fr", catalog["password"], team)


def test_a_translation_is_no_choice_of_the_form(catalog):
    with translation.override("fr"):
        form = TicketForm(factories.ticket_form_data(category=catalog["mot_de_passe"].pk))

        assert not form.is_valid()
    assert "category" in form.errors


# The tree --------------------------------------------------------------------------------------------------


def test_the_tree_holds_the_originals_only_in_one_query_with_or_without_a_language(catalog):
    for language in (None, "en", "fr", "fr-ca", "de"):
        with CaptureQueriesContext(connection) as queries:
            tree = Category.objects.tree(language=language)
        assert len(queries) == 1, (language, [q["sql"] for q in queries])
        assert {entry.pk for entry in tree.entries} == {catalog[name].pk for name in ("accounts", "password", "billing")}

    french = Category.objects.tree(language="fr-ca")
    entry = french.by_id[catalog["accounts"].pk]
    assert (entry.name, entry.description, entry.team) == ("Comptes", "Votre compte", catalog["accounts"].default_team)
    assert french.by_id[catalog["password"].pk].team == catalog["accounts"].default_team
    assert Category.objects.tree(language="de").by_id[catalog["accounts"].pk].full_name == "Accounts"


# Resolution codes ------------------------------------------------------------------------------------------


@pytest.fixture
def fixed(french):
    code = factories.make_code("fixed", "Fixed")
    translate(code, french, label="Corrigé")
    return code


def resolution_mail(ticket, code, agent, capture):
    mail.outbox.clear()
    with capture(execute=True):
        workflow.resolve(ticket, code=code, solution="Reset the password.", by=agent)
    (sent,) = [m for m in mail.outbox if ticket.requester_email in m.to]
    return sent.body + sent.alternatives[0][0]


def test_a_french_requester_reads_the_french_label_of_the_resolution_code(
    agent, requester, category, fixed, django_capture_on_commit_callbacks
):
    french_ticket = factories.open_ticket(requester, category=category, language="fr")
    english_ticket = factories.open_ticket(requester, category=category, language="en")

    french_mail = resolution_mail(french_ticket, fixed, agent, django_capture_on_commit_callbacks)
    english_mail = resolution_mail(english_ticket, fixed, agent, django_capture_on_commit_callbacks)

    assert "Corrigé" in french_mail and "Fixed" not in french_mail
    assert "Fixed" in english_mail and "Corrigé" not in english_mail


def test_the_label_of_a_code_falls_back_to_its_own(fixed, french, settings):
    solved = ResolutionCode.objects.get(code="solved")  # a starter code: its label is translated by gettext

    assert fixed.label_in("fr") == "Corrigé"
    assert fixed.label_in("fr-ca") == "Corrigé"
    assert fixed.label_in("en") == "Fixed"
    assert fixed.label_in("de") == "Fixed"
    with translation.override("fr"):
        assert solved.label_in("fr") == str(solved)  # untranslated: the starter label in French (gettext)
    with translation.override("fr"):
        assert fixed.localized_label == "Corrigé"
    settings.WAGTAIL_I18N_ENABLED = False
    assert fixed.label_in("fr") == "Fixed"


def test_the_no_follow_up_code_is_the_default_locales(french):
    code = ResolutionCode.no_follow_up()
    translate(code, french, label="Sans suite")

    assert ResolutionCode.no_follow_up() == code
    assert code.locale.language_code == "en"


# The admin -------------------------------------------------------------------------------------------------


def listing_rows(client, model):
    page = soup(client.get(url_for(model, "index")))
    return [row.get_text(" ", strip=True) for row in page.select("table.listing tbody tr")]


def test_the_admin_never_lists_a_translation_as_an_entry(client, supervisor, catalog, fixed, agent, requester):
    ticket = factories.open_ticket(requester, category=catalog["password"], language="fr")
    client.force_login(supervisor)

    rows = listing_rows(client, Category)
    assert len(rows) == 3
    assert not any("Comptes" in row or "Mot de passe" in row for row in rows)
    assert all("French" in row for row in rows)  # the translations column

    codes = listing_rows(client, ResolutionCode)
    assert [row for row in codes if "Corrigé" in row] == []

    create = soup(client.get(url_for(Category, "create")))
    parents = [o.get_text(strip=True) for o in create.select('select[name="parent"] option') if o["value"]]
    assert parents == ["Accounts", "Accounts › Password", "Billing"]

    client.force_login(agent)
    workspace = soup(client.get(f"/admin/support/tickets/{ticket.pk}/"))
    code_labels = [o.get_text(strip=True) for o in workspace.select('select[name="code"] option') if o.get("value")]
    assert "Corrigé" not in code_labels and "Fixed" in code_labels
    inbox_categories = [o.get_text(strip=True) for o in workspace.select('select[name="category"] option')]
    assert "Comptes" not in inbox_categories


def test_translate_creates_the_copy_and_opens_its_form_of_texts(client, supervisor, catalog, french):
    client.force_login(supervisor)
    billing = catalog["billing"]
    translate_url = url_for(Category, "translate", billing.pk)

    listing = soup(client.get(url_for(Category, "index")))
    assert listing.select_one(f'a[href="{translate_url}?locale={french.pk}"]').get_text(strip=True) == "Translate into French"

    confirm = soup(client.get(f"{translate_url}?locale={french.pk}"))
    assert confirm.select_one('form[method="POST"] input[name="locale"]')["value"] == str(french.pk)
    assert not billing.has_translation(french)  # GET changes nothing

    response = client.post(translate_url, {"locale": french.pk})
    copy = billing.get_translation(french)
    assert response.status_code == 302 and response["Location"] == url_for(Category, "edit", copy.pk)
    assert (copy.name, copy.parent, copy.default_team) == ("Billing", None, billing.default_team)

    form = soup(client.get(response["Location"]))
    fields = {field["name"] for field in form.select("form [name]") if field["name"] not in ("csrfmiddlewaretoken",)}
    assert fields == {"name", "description"}
    assert "Translation into French of “Billing”" in form.get_text(" ", strip=True)

    saved = client.post(response["Location"], {"name": "Facturation", "description": "Vos factures"})
    assert saved.status_code == 302
    copy.refresh_from_db()
    billing.refresh_from_db()
    assert (copy.name, billing.name) == ("Facturation", "Billing")

    # Asked again: the translation is opened, never made twice.
    again = client.post(translate_url, {"locale": french.pk})
    assert again["Location"] == url_for(Category, "edit", copy.pk)
    assert Category.objects.filter(translation_key=billing.translation_key).count() == 2


def test_translate_is_refused_to_agents_and_for_a_translation(client, agent, supervisor, catalog, french):
    client.force_login(agent)
    refused = client.post(url_for(Category, "translate", catalog["billing"].pk), {"locale": french.pk})
    assert refused.status_code in (302, 403)
    assert not catalog["billing"].has_translation(french)

    client.force_login(supervisor)
    assert client.post(url_for(Category, "translate", catalog["comptes"].pk), {"locale": french.pk}).status_code == 404


def test_with_one_locale_or_i18n_off_the_admin_does_not_change(client, supervisor, catalog, french, settings):
    client.force_login(supervisor)
    settings.WAGTAIL_I18N_ENABLED = False

    page = soup(client.get(url_for(Category, "index")))
    assert "Translations" not in page.get_text(" ", strip=True)
    assert client.get(url_for(Category, "translate", catalog["billing"].pk) + f"?locale={french.pk}").status_code == 404

    settings.WAGTAIL_I18N_ENABLED = True
    Category.objects.exclude(locale__language_code="en").delete()
    french.delete()
    assert "Translations" not in soup(client.get(url_for(Category, "index"))).get_text(" ", strip=True)


def test_a_new_entry_is_always_the_default_locales(client, supervisor, team, french):
    client.force_login(supervisor)

    response = client.post(
        url_for(Category, "create") + "?locale=fr", {"name": "Hardware", "sort_order": 0, "is_active": "on"}
    )

    assert response.status_code == 302
    assert Category.objects.get(name="Hardware").locale.language_code == "en"


def test_deleting_an_entry_deletes_its_translations(catalog):
    catalog["billing"].delete()
    catalog["password"].delete()

    assert not Category.objects.filter(name__in=["Billing", "Password", "Mot de passe"]).exists()
    assert Category.objects.filter(name="Comptes").exists()


# Saved replies ---------------------------------------------------------------------------------------------


@pytest.fixture
def replies(team, french):
    hello = CannedResponse.objects.create(title="Hello", body="Hello {requester_name}", sort_order=1)
    translate(hello, french, title="Bonjour", body="Bonjour {requester_name}")
    only_french = CannedResponse.objects.create(title="Seulement", body="…", locale=french, sort_order=2)
    return hello, only_french


@pytest.mark.parametrize(
    "language, expected",
    [("fr", ["Bonjour", "Seulement"]), ("en", ["Hello", "Seulement"]), ("de", ["Hello", "Seulement"])],
)
def test_a_ticket_is_offered_one_version_of_each_reply(requester, category, replies, language, expected):
    ticket = factories.open_ticket(requester, category=category, language=language)

    assert [reply.title for reply in CannedResponse.objects.offered_for(ticket)] == expected


def test_saved_replies_list_one_row_per_reply_with_its_translations(client, supervisor, replies, french):
    client.force_login(supervisor)

    rows = listing_rows(client, CannedResponse)

    assert len(rows) == 2
    assert any(row.startswith("Hello") and "French" in row for row in rows)
    assert not any(row.startswith("Bonjour") for row in rows)


def test_a_reply_cannot_take_the_language_of_one_of_its_translations(client, supervisor, replies, french):
    hello, _only_french = replies
    client.force_login(supervisor)

    response = client.post(
        url_for(CannedResponse, "edit", hello.pk),
        {"title": "Hello", "body": "Hello", "language": french.pk, "sort_order": 1, "is_active": ""},
    )

    assert response.status_code == 200
    hello.refresh_from_db()
    assert hello.locale.language_code == "en"

    # Retiring the reply retires its translations with it.
    response = client.post(
        url_for(CannedResponse, "edit", hello.pk),
        {"title": "Hello", "body": "Hello", "language": hello.locale_id, "sort_order": 1, "is_active": ""},
    )
    assert response.status_code == 302
    assert not CannedResponse.objects.filter(title="Bonjour", is_active=True).exists()


def test_the_edit_form_of_an_entry_links_its_translations(client, supervisor, catalog):
    client.force_login(supervisor)

    form = soup(client.get(url_for(Category, "edit", catalog["accounts"].pk)))

    link = form.find("a", string="French")
    assert link is not None and link["href"] == url_for(Category, "edit", catalog["comptes"].pk)
    assert form.select_one('select[name="parent"]') is not None  # the original's whole form


def test_a_reply_written_in_french_only_may_be_translated_into_english(client, supervisor, replies):
    _hello, only_french = replies
    english = Locale.objects.get(language_code="en")
    client.force_login(supervisor)

    response = client.post(url_for(CannedResponse, "translate", only_french.pk), {"locale": english.pk})

    copy = only_french.get_translation(english)
    assert response["Location"] == url_for(CannedResponse, "edit", copy.pk)
    assert [row.split(" Edit")[0] for row in listing_rows(client, CannedResponse)] == ["Hello", "Seulement"]


def test_the_visitors_ticket_page_shows_the_resolution_code_in_the_pages_language(
    client, support_page, agent, category, fixed, empty_cache
):
    from wagtail_support import access
    from wagtail_support.links import public_ticket_url

    ticket = factories.open_ticket(
        requester_name="Ann", requester_email="ann@example.com", category=category, language="fr"
    )
    workflow.resolve(ticket, code=fixed, solution="Reset the password.", by=agent)
    # The mail's link stores the access in the session and lands on the ticket's clean address.
    landing = client.get(public_ticket_url(ticket, access.make_link_token(ticket, "ann@example.com")))
    assert landing.status_code == 302
    url = landing["Location"]

    french = soup(client.get(url, HTTP_ACCEPT_LANGUAGE="fr")).select_one(".ws-solution__code").get_text(strip=True)
    english = soup(client.get(url, HTTP_ACCEPT_LANGUAGE="en")).select_one(".ws-solution__code").get_text(strip=True)

    assert (french, english) == ("Corrigé", "Fixed")
