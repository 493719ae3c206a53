"""``manage.py support_demo``: the demo data is complete, goes through the workflow and is idempotent.

The demo lives in the example site (``example_site.demo``), not in the package, and the command runs only
with DEBUG on (Django's test runner turns it off: the ``debug`` fixture turns it back on).
"""

import importlib.util
import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command, get_commands
from django.utils import translation
from wagtail.models import Locale, Page, PageLogEntry, Revision, Site

from example_site.demo import sites as demo_sites
from example_site.demo.faq import DEMO_FAQ, DEMO_FAQ_FR, FAQ_PAGE_SLUG, seed_faq, seed_faq_translation
from example_site.demo.tickets import TICKETS, demo_tickets
from example_site.home.models import HomePage
from wagtail_support import access
from wagtail_support.groups import AGENTS, SUPERVISORS
from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic
from wagtail_support.models import (
    CannedResponse,
    Category,
    Message,
    ResolutionCode,
    SupportPromiseTranslation,
    SupportSiteSettings,
    Team,
    Ticket,
)
from wagtail_support.pages import SupportPage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("debug")]


@pytest.fixture
def debug(settings):
    """support_demo refuses to run without DEBUG; the test runner sets it off."""
    settings.DEBUG = True


def run(*args):
    out = io.StringIO()
    call_command("support_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Everything the command may create or change, as comparable values."""
    User = get_user_model()
    return {
        "users": sorted(User.objects.values_list("username", "password", "is_superuser", "is_staff")),
        "memberships": sorted(Team.members.through.objects.values_list("team__slug", "user__username")),
        "user_groups": sorted(User.groups.through.objects.values_list("user__username", "group__name")),
        "teams": sorted(Team.objects.values_list("slug", "name", "contact_email")),
        "categories": sorted(Category.objects.values_list("pk", "parent_id", "name", "default_team_id")),
        "codes": sorted(ResolutionCode.objects.values_list("code", "label")),
        "tickets": sorted(Ticket.objects.values_list("pk", "number", "status", "version", "updated_at", "assignee_id")),
        "messages": Message.objects.count(),
        "pages": sorted(Page.objects.values_list("pk", "path", "title", "live")),
        "sites": sorted(Site.objects.values_list("pk", "hostname", "port", "root_page_id", "is_default_site")),
        "groups": sorted((g.name, g.permissions.count()) for g in Group.objects.all()),
        "locales": sorted(Locale.objects.values_list("pk", "language_code")),
        "translatables": sorted(
            (model.__name__, *row)
            for model in (Category, ResolutionCode, CannedResponse, FAQTopic, FAQEntry)
            for row in model.objects.values_list("pk", "locale__language_code", "translation_key")
        ),
        "revisions": Revision.objects.count(),
        "site_settings": sorted(
            SupportSiteSettings.objects.values_list("site_id", "sender_name", "sender_email", "default_team__slug")
        ),
        "promises": sorted(SupportPromiseTranslation.objects.values_list("settings__site_id", "language", "text")),
    }


def printed_logins(output):
    """The (username, password) pairs of the logins table the command prints."""
    table = output.split("Logins", 1)[1].strip().splitlines()[1:]  # skip the header row
    return [tuple(re.split(r"\s{2,}", line.strip())[:2]) for line in table]


def test_seeds_everything_and_second_run_changes_nothing():
    first_output = run()
    first = snapshot()
    second_output = run()
    assert snapshot() == first

    assert f"created {len(TICKETS)}" in first_output and len(TICKETS) == 38
    assert f"found {len(TICKETS)} demo tickets, none created" in second_output
    assert not re.search(r"created [1-9]", second_output)

    tickets = demo_tickets()
    assert tickets.count() == len(TICKETS) == Ticket.objects.count()
    for status in Ticket.Status.values:
        assert tickets.filter(status=status).exists(), status
    # Closed without a reply and merged come from support_tick and a merge, which the demo does not play.
    for reason in set(Ticket.CloseReason.values) - {Ticket.CloseReason.NO_REPLY, Ticket.CloseReason.MERGED}:
        assert tickets.filter(status=Ticket.Status.CLOSED, close_reason=reason).exists(), reason
    for kind in Ticket.Kind.values:
        assert tickets.filter(kind=kind).exists(), kind
    for priority in Ticket.Priority.values:
        assert tickets.filter(priority=priority).exists(), priority

    assert Message.objects.internal().filter(ticket__in=tickets).exists()
    assert Message.objects.public().filter(ticket__in=tickets, author_role=Message.AuthorRole.AGENT).exists()
    assert tickets.filter(requester_user__username="paul").exists()
    assert tickets.filter(requester_user__isnull=True).exists()
    assert tickets.filter(beneficiary_email__gt="").exists()
    assert tickets.filter(assignee__username="anna").exists()
    assert tickets.filter(assignee__username="pierre").exists()
    assert tickets.filter(assignee__isnull=True).exists()
    assert not tickets.filter(team__isnull=True).exists()

    # Workflow fields agree with the status: nothing was set by hand.
    for ticket in tickets:
        if ticket.status == Ticket.Status.CLOSED:
            assert ticket.closed_at is not None
            if ticket.close_reason == Ticket.CloseReason.RESOLVED:
                assert ticket.resolution_code is not None and ticket.solution
            elif ticket.close_reason == Ticket.CloseReason.ABANDONED:
                assert ticket.resolution_code.code == ResolutionCode.NO_FOLLOW_UP
        else:
            assert ticket.closed_at is None and ticket.close_reason == "" and ticket.resolution_code is None
        assert ticket.messages.filter(author_role=Message.AuthorRole.REQUESTER).exists()

    codes = set(ResolutionCode.objects.values_list("code", flat=True))
    assert {"fixed", "answered", "workaround", "duplicate", "not-reproducible", "no-follow-up"} <= codes
    assert set(Team.objects.values_list("slug", flat=True)) >= {"helpdesk", "billing", "technical"}
    assert Category.objects.get(name="Invoices").get_team().slug == "billing"


def test_printed_passwords_work_and_roles_are_right():
    output = run()
    logins = printed_logins(output)
    assert {username for username, _ in logins} == {"admin", "anna", "pierre", "sophie", "paul", "marc"}
    users = {}
    for username, password in logins:
        user = authenticate(None, username=username, password=password)
        assert user is not None, username
        users[username] = user

    assert users["admin"].is_superuser
    assert not access.is_agent(users["paul"])
    assert not users["paul"].has_perm("wagtailadmin.access_admin")
    assert access.is_agent(users["anna"]) and access.is_agent(users["pierre"])
    assert not access.can_view_all(users["anna"])
    assert access.can_view_all(users["sophie"])
    assert set(users["anna"].support_teams.values_list("slug", flat=True)) == {"helpdesk", "technical"}
    assert set(users["pierre"].support_teams.values_list("slug", flat=True)) == {"billing"}
    assert users["pierre"].get_full_name() == "Pierre Durand"
    assert users["sophie"].groups.filter(name=SUPERVISORS).exists()
    assert users["anna"].groups.filter(name=AGENTS).exists()
    assert access.is_agent(users["marc"]) and not access.can_view_all(users["marc"])
    assert set(users["marc"].support_teams.values_list("slug", flat=True)) == {"hardware"}


def test_existing_passwords_are_kept_unless_reset():
    run("--no-tickets")
    anna = get_user_model().objects.get(username="anna")
    anna.set_password("my own secret")
    anna.save()

    output = run("--no-tickets")
    assert authenticate(None, username="anna", password="my own secret") is not None
    assert "--reset-passwords" in dict(printed_logins(output))["anna"]

    run("--no-tickets", "--reset-passwords")
    assert authenticate(None, username="anna", password="annademo123") is not None


def test_no_tickets_option():
    output = run("--no-tickets")
    assert "skipped (--no-tickets)" in output
    assert not Ticket.objects.exists()
    assert get_user_model().objects.filter(username="paul").exists()


def test_home_page_replaces_the_untouched_default_page():
    run("--no-tickets")
    site = Site.objects.get(is_default_site=True)
    # The demo serves on PORT (8000 by default), and links in mails must carry it.
    assert (site.hostname, site.port) == ("localhost", 8000)
    assert isinstance(site.root_page.specific, HomePage)
    assert site.root_page.title == "wagtail-support example"
    assert site.root_page.specific.intro
    assert not Page.objects.filter(title="Welcome to your new Wagtail site!").exists()
    # Under the root: the home page, the second site's, and their French translations.
    english = Locale.get_default()
    assert set(Page.objects.filter(depth=2, locale=english).values_list("slug", flat=True)) == {"home", "acme"}
    assert Page.objects.filter(depth=2).exclude(locale=english).count() == 2


def test_an_edited_default_page_is_left_alone():
    page = Site.objects.get(is_default_site=True).root_page
    page.title = "Our real home page"
    page.save()

    output = run("--no-tickets")
    assert "left as it is" in output
    page.refresh_from_db()
    assert Site.objects.get(is_default_site=True).root_page_id == page.pk
    # Created beside it, under the root (the other default-locale home page is the second site's).
    assert HomePage.objects.filter(locale=Locale.get_default()).exclude(slug=demo_sites.SECOND_SITE_HOME_SLUG).count() == 1
    assert not PageLogEntry.objects.filter(action="wagtail.delete").exists()


def test_keeps_the_callers_mail_outbox():
    sentinel = ["a mail of the caller"]
    mail.outbox = sentinel
    run()
    assert mail.outbox is sentinel and mail.outbox == ["a mail of the caller"]


def test_the_demo_is_not_in_the_package():
    assert importlib.util.find_spec("wagtail_support.demo") is None
    assert importlib.util.find_spec("wagtail_support.demo_faq") is None
    assert importlib.util.find_spec("wagtail_support.management.commands.support_demo") is None
    assert get_commands()["support_demo"] == "example_site.demo"


def test_seeds_the_support_and_faq_pages():
    run("--no-tickets")
    home = Site.objects.get(is_default_site=True).root_page
    assert home.get_children().filter(slug="support", live=True).exists()
    assert home.get_children().filter(slug=FAQ_PAGE_SLUG, live=True).exists()


def test_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    User = get_user_model()
    users_before = User.objects.count()
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"known passwords.*DEBUG = True"):
        call_command("support_demo", stdout=out)
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="admin").exists()
    assert not Ticket.objects.exists() and not Team.objects.exists()
    assert out.getvalue() == ""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_notification_mails_are_kept_off_the_configured_backend():
    # In a real transaction the notifications go out on commit, while the command swaps in its own outbox.
    mail.outbox = []
    output = run()
    generated = int(re.search(r"notification mails:\s+(\d+) generated", output).group(1))
    assert generated > 0
    assert mail.outbox == []


# Languages and sites ---------------------------------------------------------------------------------------


def french():
    return Locale.objects.get(language_code="fr")


def default_site_page(slug):
    home = Site.objects.get(is_default_site=True).root_page
    return home.get_children().get(slug=slug).specific


def test_french_pages_are_live_translations_of_the_english_ones():
    run("--no-tickets")
    fr = french()
    home = Site.objects.get(is_default_site=True).root_page.specific
    support = default_site_page("support")
    faq = default_site_page(FAQ_PAGE_SLUG)
    for page in (home, support, faq):
        assert page.locale == Locale.get_default()
        translation = page.get_translation(fr).specific
        assert translation.live and not translation.has_unpublished_changes, page
        assert translation.translation_key == page.translation_key
        assert type(translation) is type(page)
        assert translation.title != page.title or page is support
    french_support = support.get_translation(fr).specific
    assert french_support.get_parent().pk == home.get_translation(fr).pk
    assert "Nous répondons en général sous un jour ouvré." in french_support.confirmation_text
    assert "We usually answer within one working day." in support.confirmation_text
    assert "Besoin d'aide" in french_support.intro and "Besoin" not in support.intro
    assert [block.value["title"] for block in french_support.next_steps] == [
        "Documentation", "Premiers pas", "Fonctionnalités"
    ]
    assert faq.get_translation(fr).title == "Questions fréquentes"


def test_every_faq_question_has_a_french_translation_and_no_english_page_shows_french():
    run("--no-tickets")
    fr, en = french(), Locale.get_default()
    english_entries = FAQEntry.objects.filter(locale=en)
    assert english_entries.count() == sum(len(entries) for _slug, _name, entries in DEMO_FAQ) == len(DEMO_FAQ_FR)
    for entry in english_entries:
        translation = FAQEntry.objects.get(locale=fr, translation_key=entry.translation_key)
        assert translation.live and translation.live_revision_id and entry.live and entry.live_revision_id
        assert translation.topic.locale == fr and translation.topic.translation_key == entry.topic.translation_key
        assert translation.question != entry.question
        # The English questions are English: the quick FAQ's French wording lives in the fr locale.
        assert not any(word in entry.question for word in ("Comment", "Quel", "Où"))
    for question in (
        "Comment créer une facture ?",
        "Comment envoyer une liste de personnel ?",
        "Comment gérer mon abonnement ?",
        "Comment inviter un membre de l'équipe ?",
    ):
        assert FAQEntry.objects.filter(question=question, locale=fr, live=True).exists(), question
    assert FAQEntry.objects.filter(locale=fr, question__icontains="mot de passe").exists()
    assert FAQTopic.objects.filter(locale=fr).count() == FAQTopic.objects.filter(locale=en).count() == len(DEMO_FAQ)
    # Published through a revision: the admin shows a history.
    assert Revision.objects.for_instance(english_entries.first()).exists()


def test_seed_faq_seeds_the_default_locale_then_its_translation_idempotently():
    parent = Site.objects.get(is_default_site=True).root_page
    created, page = seed_faq(parent)
    entry_count = sum(len(entries) for _slug, _name, entries in DEMO_FAQ)
    assert created == len(DEMO_FAQ) + entry_count + 1 and isinstance(page, FAQPage) and page.live
    assert FAQEntry.objects.filter(locale=Locale.get_default(), live=True).count() == entry_count
    fr = Locale.objects.create(language_code="fr")
    assert seed_faq_translation(fr) == len(DEMO_FAQ) + entry_count
    assert seed_faq(parent)[0] == 0 and seed_faq_translation(fr) == 0
    assert FAQEntry.objects.count() == 2 * entry_count


def test_catalog_codes_and_saved_replies_are_translated_and_the_catalog_is_unchanged():
    run("--no-tickets")
    fr, en = french(), Locale.get_default()
    english_catalog = Category.objects.filter(locale=en)
    assert english_catalog.count() == 9
    for category in english_catalog:
        translation = Category.objects.get(locale=fr, translation_key=category.translation_key)
        assert translation.name != category.name or category.name == "Abonnement"
    assert Category.objects.get(locale=fr, translation_key=Category.objects.get(name="Invoices").translation_key).name == "Factures"
    # The default locale's tree is the catalog: its parents and teams are the English entries'.
    assert not english_catalog.filter(parent__locale=fr).exists()
    assert Category.objects.get(name="Invoices", locale=en).get_team().slug == "billing"
    for code in ("fixed", "answered", "workaround", "duplicate", "not-reproducible"):
        english = ResolutionCode.objects.get(code=code, locale=en)
        french_code = ResolutionCode.objects.get(code=code, locale=fr)
        assert french_code.translation_key == english.translation_key and french_code.label != english.label
    assert ResolutionCode.objects.filter(code=ResolutionCode.NO_FOLLOW_UP).count() == 1
    assert ResolutionCode.no_follow_up().locale == en
    reply = CannedResponse.objects.get(title="Demande de précisions")
    assert reply.locale == fr
    assert CannedResponse.objects.get(locale=en, translation_key=reply.translation_key).title == "Ask for details"


def test_tickets_point_at_the_default_locale_entries():
    run()
    en = Locale.get_default()
    tickets = demo_tickets()
    assert tickets.filter(category__isnull=False).exists()
    assert not tickets.exclude(category__isnull=True).exclude(category__locale=en).exists()
    assert not tickets.exclude(resolution_code__isnull=True).exclude(resolution_code__locale=en).exists()


def test_second_site_has_its_own_pages_team_agent_and_settings():
    run()
    first = Site.objects.get(is_default_site=True)
    second = Site.objects.get(site_name=demo_sites.SECOND_SITE_NAME)
    assert (second.hostname, second.port) == (first.hostname, first.port + 1) == ("localhost", 8001)
    assert second.root_page_id != first.root_page_id and not second.is_default_site
    support = SupportPage.objects.child_of(second.root_page).get(slug="support")
    assert support.live and support.get_translation(french()).live
    assert "two working days" in support.confirmation_text

    first_settings = SupportSiteSettings.objects.get(site=first)
    second_settings = SupportSiteSettings.objects.get(site=second)
    assert (first_settings.sender_name, first_settings.sender_email) == ("Example Support", "support@example.com")
    assert (second_settings.sender_name, second_settings.sender_email) == ("Acme Hardware", "help@acme.example")
    assert first_settings.default_team.slug == "helpdesk" and second_settings.default_team.slug == "hardware"
    assert second_settings.inbound_email and second_settings.inbound_email != first_settings.inbound_email
    assert first_settings.reply_time_promise == "We usually answer within one working day."
    assert first_settings.promise_translations.get(language="fr").text == "Nous répondons en général sous un jour ouvré."
    assert second_settings.promise_translations.get(language="fr").text.startswith("Nous répondons")

    hardware = Team.objects.get(slug="hardware")
    assert list(hardware.members.values_list("username", flat=True)) == ["marc"]
    acme_tickets = Ticket.objects.filter(site=second)
    assert acme_tickets.count() == 2
    assert set(acme_tickets.values_list("team__slug", "assignee__username")) == {("hardware", "marc")}
    assert not demo_tickets().filter(site=first, team=hardware).exists()


def test_second_site_follows_the_port(monkeypatch):
    monkeypatch.setenv("PORT", "8100")
    output = run("--no-tickets")
    assert Site.objects.get(is_default_site=True).port == 8100
    assert Site.objects.get(site_name=demo_sites.SECOND_SITE_NAME).port == 8101
    assert "http://localhost:8101/" in output
    monkeypatch.setenv("PORT", "8200")
    run("--no-tickets")
    assert sorted(Site.objects.values_list("port", flat=True)) == [8200, 8201]


def test_filled_settings_are_kept():
    run("--no-tickets")
    settings_row = SupportSiteSettings.objects.get(site__is_default_site=True)
    settings_row.sender_name = "Our own name"
    settings_row.inbound_email = ""
    settings_row.save()
    run("--no-tickets")
    settings_row.refresh_from_db()
    assert settings_row.sender_name == "Our own name"
    assert settings_row.inbound_email == "support@reply.example.com"


@pytest.fixture
def i18n_urls(settings):
    """The demo's URLs as make demo serves them: Wagtail's i18n on, pages under /en/ and /fr/."""
    settings.WAGTAIL_I18N_ENABLED = True
    settings.WAGTAIL_CONTENT_LANGUAGES = settings.LANGUAGES
    settings.ROOT_URLCONF = "example_site.urls_i18n"
    # A request activates its language in the thread and leaves it there: give the next tests back theirs.
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.mark.usefixtures("i18n_urls")
def test_the_demo_answers_in_english_at_en_and_in_french_at_fr(client):
    run("--no-tickets")
    english = client.get("/en/")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "wagtail-support example" in english.text and 'href="/fr/"' in english.text

    french_home = client.get("/fr/")
    assert french_home.status_code == 200 and '<html lang="fr">' in french_home.text
    assert "Exemple wagtail-support" in french_home.text and 'href="/fr/support/"' in french_home.text

    support = client.get("/fr/support/")
    assert support.status_code == 200 and '<html lang="fr">' in support.text
    assert "Besoin d'aide" in support.text and "Objet" in support.text
    assert client.get("/en/support/").status_code == 200

    faq = client.get("/fr/faq/")
    assert faq.status_code == 200 and "Questions fréquentes" in faq.text
    assert "Comment gérer mon abonnement ?" in faq.text
    english_faq = client.get("/en/faq/")
    assert english_faq.status_code == 200 and "How do I manage my subscription?" in english_faq.text

    # The second site, by its port; the admin and the support files keep their unprefixed addresses.
    acme = client.get("/fr/", HTTP_HOST="localhost:8001", SERVER_PORT="8001")
    assert acme.status_code == 200 and "Support Acme Hardware" in acme.text
    assert client.get("/en/support/", HTTP_HOST="localhost:8001", SERVER_PORT="8001").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr")["Location"] == "/fr/"


@pytest.mark.usefixtures("i18n_urls")
def test_a_ticket_opened_on_the_second_site_in_french_records_that_site(client):
    from tests import factories

    run("--no-tickets")
    second = Site.objects.get(site_name=demo_sites.SECOND_SITE_NAME)
    host = {"HTTP_HOST": f"localhost:{second.port}", "SERVER_PORT": str(second.port)}
    data = factories.ticket_form_data(subject="Écran qui clignote", email="ines@example.org")
    response = client.post("/fr/support/", data, **host)
    assert response.status_code == 302, response.content[:500]
    ticket = Ticket.objects.get(subject="Écran qui clignote")
    assert ticket.site_id == second.pk and ticket.language == "fr"
    assert ticket.submitted_from.specific.get_parent().pk == second.root_page.get_translation(french()).pk


def test_the_demo_has_business_hours_and_a_policy_per_priority_once():
    from wagtail_support.models import BusinessCalendar, ServiceLevelPolicy, Team

    first = run("--no-tickets")
    assert re.search(r"business hours:\s+created 1, found 0", first) and re.search(r"service levels:\s+created 4", first)
    second = run("--no-tickets")
    assert re.search(r"business hours:\s+created 0, found 1", second) and re.search(r"service levels:\s+created 0, found 4", second)
    calendar = BusinessCalendar.objects.get()
    assert calendar.time_zone == "Europe/Paris"
    assert calendar.intervals.count() == 10 and calendar.holidays.filter(date__month=12, date__day=25).count() == 2
    assert set(Team.objects.filter(slug__in=["helpdesk", "billing"]).values_list("calendar_id", flat=True)) == {calendar.pk}
    policies = ServiceLevelPolicy.objects.all()
    assert sorted(policies.values_list("priority", flat=True)) == sorted(Ticket.Priority.values)
    urgent = policies.get(priority=Ticket.Priority.URGENT)
    assert urgent.first_response_minutes == 60 and urgent.close_after_days == 14


def test_some_resolved_demo_tickets_are_rated_through_the_workflow():
    run()
    from wagtail_support.models import SatisfactionRating

    ratings = SatisfactionRating.objects.select_related("ticket")
    assert {r.rating for r in ratings} == {"good", "bad"}
    assert any(r.rating == "bad" and r.comment for r in ratings)
    # Each rated its closing, by the requester; the ticket carries its latest closing's rating.
    for rating in ratings:
        assert rating.rated_by_email or rating.rated_by_user_id
        assert rating.ticket.close_reason == Ticket.CloseReason.RESOLVED
    reopened = Ticket.objects.get(subject="Upgrade to the annual plan")
    assert list(reopened.ratings.order_by("closed_at").values_list("rating", flat=True)) == ["bad", "good"]
    assert reopened.satisfaction == "good" and reopened.ratings.last().closed_at == reopened.closed_at
    # Written as moves: the history has them.
    from wagtail.log_actions import registry as log_registry

    assert log_registry.get_logs_for_instance(reopened).filter(action="wagtail_support.ticket.rate").count() == 2
