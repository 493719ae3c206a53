"""Several Wagtail Sites in one install: each site's support settings (Settings › Support) reach its tickets.

Two sites: the default one (``localhost``, the test database's) and "Second" (``second.example.org:8002``),
with its own root page and support page, its own sender, inbound address, default team, reply-time promise
and mail look. A visitor of the second site, a mail to its inbound address, its agents' inbox: each must
speak for that site and for no other, and the access rules still decide who sees what.
"""

import re
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
from anymail.inbound import AnymailInboundMessage
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from wagtail.images.tests.utils import get_test_image_file
from wagtail.images.models import Image
from wagtail.models import Page, Site

from tests import factories
from wagtail_support import access, inbound, site_config
from wagtail_support.groups import SUPERVISORS
from wagtail_support.models import InboundMail, SupportPromiseTranslation, SupportSiteSettings, Ticket
from wagtail_support.pages import SupportPage

pytestmark = pytest.mark.django_db

HOST, PORT = "second.example.org", 8002
SECOND_SENDER = "Second Help <help@second.example.org>"
SECOND_INBOUND = "tickets@second.example.org"
PROMISE_EN = "Second answers within two hours."
PROMISE_FR = "Second répond en deux heures."
LINK = re.compile(r"https?://[^\s\"'<>)]+")


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    settings.WAGTAILADMIN_BASE_URL = "https://admin.example.com"
    # Wagtail keeps the sites' root paths in the cache: each test makes its own sites.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def second_team(db):
    return factories.make_team("Second desk")


@pytest.fixture
def second_agent(second_team):
    return factories.make_agent("second_agent", second_team)


@pytest.fixture
def second_site(db):
    """The second site: its own root page (under the tree's root) and hostname and port."""
    root = Page.get_first_root_node()
    home = root.add_child(instance=Page(title="Second home", slug="second-home"))
    return Site.objects.create(hostname=HOST, port=PORT, root_page=home, site_name="Second", is_default_site=False)


@pytest.fixture
def second_page(second_site):
    page = SupportPage(title="Second support", slug="help", intro="<p>Second site's help.</p>")
    second_site.root_page.add_child(instance=page)
    return SupportPage.objects.get(pk=page.pk)


@pytest.fixture
def second_settings(second_site, second_team):
    found = SupportSiteSettings.objects.create(
        site=second_site,
        sender_name="Second Help",
        sender_email="help@second.example.org",
        inbound_email=SECOND_INBOUND,
        default_team=second_team,
        reply_time_promise=PROMISE_EN,
        mail_colour="#ffdd00",
    )
    SupportPromiseTranslation.objects.create(settings=found, language="fr", text=PROMISE_FR)
    return found


def second_client(**extra):
    return Client(HTTP_HOST=f"{HOST}:{PORT}", SERVER_PORT=str(PORT), **extra)


def to(address):
    return [m for m in mail.outbox if address in m.to]


def links_of(message):
    texts = [message.body] + [html for html, _type in message.alternatives]
    return {link.rstrip(".,;") for text in texts for link in LINK.findall(text)}


# A visitor of the second site -------------------------------------------------------------------------------


def test_a_ticket_opened_on_the_second_site_is_mailed_from_its_sender_with_its_links(
    support_page, second_page, second_settings, second_agent, team, category, on_commit, empty_cache
):
    with on_commit():
        response = second_client().post(second_page.url, factories.ticket_form_data())
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.site_id == second_settings.site_id
    # No catalog entry: the second site's default team, not the global one.
    assert ticket.team == second_settings.default_team
    (confirmation,) = to("ann@example.com")
    assert confirmation.from_email == SECOND_SENDER
    # Replies go to the second site's inbound address, with the ticket's reply token.
    (reply_to,) = confirmation.reply_to
    assert reply_to.startswith("tickets+") and reply_to.endswith("@second.example.org")
    links = links_of(confirmation)
    assert links
    for link in links:
        parts = urlsplit(link)
        assert (parts.hostname, parts.port) == (HOST, PORT), link
    assert any(urlsplit(link).path.startswith(urlsplit(second_page.full_url).path) for link in links)
    # The link opens the ticket on the second site.
    link = next(link for link in links if "?t=" in link)
    parts = urlsplit(link)
    opened = second_client().get(f"{parts.path}?{parts.query}")
    assert opened.status_code == 302
    # Its agent hears of it from the same sender, with the admin's own address.
    (to_agent,) = to(second_agent.email)
    assert to_agent.from_email == SECOND_SENDER
    assert all(link.startswith("https://admin.example.com/") for link in links_of(to_agent))


def test_the_first_site_still_mails_from_the_support_sender(
    support_page, second_page, second_settings, team, category, on_commit, empty_cache, settings
):
    with on_commit():
        Client().post(support_page.url, factories.ticket_form_data(category=category.pk))
    ticket = Ticket.objects.get()
    assert ticket.site.is_default_site
    (confirmation,) = to("ann@example.com")
    assert confirmation.from_email == settings.DEFAULT_FROM_EMAIL
    assert confirmation.reply_to[0].endswith("@reply.example.com")
    assert HOST not in " ".join(links_of(confirmation))


def test_the_confirmation_page_shows_the_sites_promise_in_the_visitors_language(
    second_page, second_settings, empty_cache
):
    second_page.confirmation_text = "<p>Thank you for writing to Second.</p>"
    second_page.save_revision().publish()
    for language, promise, other in (("en", PROMISE_EN, PROMISE_FR), ("fr", PROMISE_FR, PROMISE_EN)):
        client = second_client(HTTP_ACCEPT_LANGUAGE=language)
        response = client.post(second_page.url, factories.ticket_form_data(email=f"{language}@example.com"), follow=True)
        content = response.content.decode()
        assert promise in content and other not in content
        # After the page's own confirmation text.
        assert content.index("Thank you for writing to Second.") < content.index(promise)


def test_a_page_of_a_site_without_a_promise_shows_none(support_page, second_settings, empty_cache):
    content = Client().post(support_page.url, factories.ticket_form_data(), follow=True).content.decode()
    assert "Thank you, we received your request" in content
    assert PROMISE_EN not in content and 'class="ws-promise"' not in content


@pytest.mark.parametrize("language, promise", [("en", PROMISE_EN), ("fr", PROMISE_FR), ("de", PROMISE_EN)])
def test_the_confirmation_mail_carries_the_promise_in_the_tickets_language(
    second_page, second_settings, on_commit, language, promise
):
    with on_commit():
        ticket = factories.open_ticket(
            requester_name="Ann", requester_email="ann@example.com", site=second_settings.site, language=language
        )
    (confirmation,) = to("ann@example.com")
    assert promise in confirmation.body
    assert promise in confirmation.alternatives[0][0]
    other = PROMISE_FR if promise == PROMISE_EN else PROMISE_EN
    assert other not in confirmation.body
    # Only the confirmation: an agent's answer does not repeat it.
    agent = factories.make_agent("answering", second_settings.default_team)
    from wagtail_support import workflow

    with on_commit():
        workflow.reply(ticket, by=agent, body="Here is the answer you waited for.")
    answer = to("ann@example.com")[-1]
    assert promise not in answer.body


def test_the_mail_band_has_the_sites_colour_logo_and_readable_text(second_page, second_settings, on_commit):
    second_settings.mail_logo = Image.objects.create(title="Second logo", file=get_test_image_file())
    second_settings.save()
    with on_commit():
        factories.open_ticket(requester_name="Ann", requester_email="ann@example.com", site=second_settings.site)
    (confirmation,) = to("ann@example.com")
    html = confirmation.alternatives[0][0]
    # Yellow: black text reads better on it than white.
    assert "background-color:#ffdd00;color:#000000" in html
    (logo,) = re.findall(r"<img [^>]*>", html)
    assert 'alt="Second"' in logo
    src = re.search(r'src="([^"]+)"', logo).group(1)
    assert src.startswith(f"http://{HOST}:{PORT}/") and "/images/" in src
    # The band comes after the reply marker: a reply by mail is cut above it.
    assert html.index("Please type your reply above this line") < html.index("ws-site-band")


def test_a_site_without_a_look_sends_mail_without_a_band(second_page, second_site, on_commit):
    SupportSiteSettings.objects.create(site=second_site, sender_name="Second Help")
    with on_commit():
        factories.open_ticket(requester_name="Ann", requester_email="ann@example.com", site=second_site)
    (confirmation,) = to("ann@example.com")
    html = confirmation.alternatives[0][0]
    assert "ws-site-band" not in html and "<img" not in html


@pytest.mark.parametrize("colour, text", [("#ffdd00", "#000000"), ("#1a1a6e", "#ffffff"), ("#595959", "#ffffff"), ("#767676", "#000000"), ("#ffffff", "#000000")])
def test_the_band_text_colour_is_the_one_that_contrasts_more(colour, text):
    assert site_config.text_colour_on(colour) == text


# Teams ------------------------------------------------------------------------------------------------------


def test_each_site_has_its_default_team(second_settings, team, settings):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = team.slug
    first = factories.open_ticket(requester_name="A", requester_email="a@example.com", site=Site.objects.get(is_default_site=True))
    second = factories.open_ticket(requester_name="B", requester_email="b@example.com", site=second_settings.site)
    assert first.team == team
    assert second.team == second_settings.default_team


def test_a_catalog_entry_routes_before_the_sites_default_team(second_settings, category, team):
    ticket = factories.open_ticket(requester_name="B", requester_email="b@example.com", site=second_settings.site, category=category)
    assert ticket.team == team


def test_an_inactive_default_team_of_a_site_falls_back_to_the_global_one(second_settings, team, settings):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = team.slug
    second_settings.default_team.is_active = False
    second_settings.default_team.save()
    ticket = factories.open_ticket(requester_name="B", requester_email="b@example.com", site=second_settings.site)
    assert ticket.team == team


# Mail coming in ---------------------------------------------------------------------------------------------


def receive(message, on_commit):
    with on_commit():
        record = inbound.process(message)
    record.refresh_from_db()
    return record


def new_mail(to, **headers):
    return AnymailInboundMessage.construct(
        from_email="Walter <walter@example.net>",
        to=to,
        subject="The printer is on fire",
        text="Please send help, the printer in room 12 is on fire.",
        headers=headers or None,
    )


@pytest.mark.parametrize("header", ["To", "Cc", "Delivered-To"])
def test_a_mail_to_the_second_sites_address_opens_a_ticket_of_that_site(second_page, second_settings, team, settings, on_commit, header):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = team.slug
    if header == "To":
        message = new_mail(SECOND_INBOUND.upper())
    elif header == "Cc":
        message = AnymailInboundMessage.construct(
            from_email="walter@example.net", to="someone@example.net", cc=f"Second <{SECOND_INBOUND}>",
            subject="The printer is on fire", text="Please send help.",
        )
    else:
        message = new_mail("list@example.net", **{"Delivered-To": SECOND_INBOUND})
    record = receive(message, on_commit)
    assert record.status == InboundMail.Status.OPENED
    ticket = record.ticket
    assert ticket.site_id == second_settings.site_id
    assert ticket.team == second_settings.default_team
    (confirmation,) = to("walter@example.net")
    assert confirmation.from_email == SECOND_SENDER
    assert all(urlsplit(link).hostname == HOST for link in links_of(confirmation))


def test_a_mail_to_the_support_address_opens_a_ticket_without_a_site(second_settings, team, settings, on_commit):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = team.slug
    record = receive(new_mail("support@reply.example.com"), on_commit)
    assert record.ticket.site_id is None
    assert record.ticket.team == team


def test_a_teams_inbound_address_routes_before_the_sites_default_team(second_settings, other_team, on_commit):
    other_team.inbound_email = "billing@example.org"
    other_team.save()
    record = receive(
        AnymailInboundMessage.construct(
            from_email="walter@example.net", to=f"{SECOND_INBOUND}, billing@example.org", subject="Invoice", text="Where is it?"
        ),
        on_commit,
    )
    assert record.ticket.site_id == second_settings.site_id
    assert record.ticket.team == other_team


def test_a_reply_by_mail_to_the_second_sites_address_lands_on_its_ticket(second_page, second_settings, on_commit):
    with on_commit():
        ticket = factories.open_ticket(requester_name="Ann", requester_email="ann@example.com", site=second_settings.site)
    (confirmation,) = to("ann@example.com")
    reply = AnymailInboundMessage.construct(
        from_email="ann@example.com", to=confirmation.reply_to[0], subject=f"Re: {confirmation.subject}", text="More details."
    )
    record = receive(reply, on_commit)
    assert record.status == InboundMail.Status.ADDED
    assert record.ticket == ticket


@pytest.mark.parametrize("address", ["help@second.example.org", SECOND_INBOUND, "Tickets+tag@Second.example.org"])
def test_the_sites_addresses_are_the_supports_own(second_settings, address, on_commit):
    assert access.is_support_address(address)
    # Mail from one of them is our own coming back: no ticket, no answer.
    record = receive(
        AnymailInboundMessage.construct(from_email=address, to="support@reply.example.com", subject="Loop", text="Our own."),
        on_commit,
    )
    assert record.status == InboundMail.Status.IGNORED
    assert record.reason == InboundMail.Reason.LOOP
    assert not Ticket.objects.exists()


def test_nobody_opens_a_ticket_in_the_name_of_a_sites_address(second_settings):
    from wagtail_support import workflow

    with pytest.raises(workflow.WorkflowError):
        factories.open_ticket(requester_name="X", requester_email="help@second.example.org")


# The inbox --------------------------------------------------------------------------------------------------


INBOX = "wagtail_support_admin:inbox"


def inbox(user, **params):
    client = Client()
    client.force_login(user)
    response = client.get(reverse(INBOX), params)
    assert response.status_code == 200
    return response


def listed(response):
    return {ticket.pk for ticket in response.context["object_list"]}


@pytest.fixture
def two_sites_tickets(second_settings, team, category):
    default_site = Site.objects.get(is_default_site=True)
    first = factories.open_ticket(requester_name="A", requester_email="a@example.com", site=default_site, category=category)
    second = factories.open_ticket(requester_name="B", requester_email="b@example.com", site=second_settings.site, category=category)
    return first, second


def test_with_several_sites_the_inbox_has_a_site_column_and_filter(agent, two_sites_tickets):
    first, second = two_sites_tickets
    response = inbox(agent)
    content = response.content.decode()
    assert listed(response) == {first.pk, second.pk}
    assert 'name="site"' in content
    assert re.search(r'<th class="ws-col-site">\s*Site\s*</th>', content)
    assert 'title="Second"' in content
    assert listed(inbox(agent, site=str(second.site_id))) == {second.pk}
    assert listed(inbox(agent, site=str(first.site_id))) == {first.pk}


def test_with_one_site_the_inbox_has_no_site_column_nor_filter(agent, ticket):
    content = inbox(agent).content.decode()
    assert 'name="site"' not in content
    assert "ws-col-site" not in content
    # A site in the address is no filter then: ignored.
    assert listed(inbox(agent, site="1")) == {ticket.pk}


def test_a_site_filter_never_shows_another_teams_tickets(agent, outsider_agent, second_settings, other_team, category):
    """A forged or real site id only narrows what the agent already works."""
    other_category = factories.make_category("Invoices", other_team)
    secret = factories.open_ticket(
        requester_name="B", requester_email="b@example.com", subject="Secret billing matter",
        site=second_settings.site, category=other_category,
    )
    mine = factories.open_ticket(requester_name="A", requester_email="a@example.com", site=second_settings.site, category=category)
    for value in (str(second_settings.site_id), "999999", "-1", "x", str(second_settings.site_id) + " OR 1=1"):
        response = inbox(agent, site=value, view="all")
        assert secret.pk not in listed(response), value
        assert "Secret billing matter" not in response.content.decode()
    assert listed(inbox(agent, site=str(second_settings.site_id))) == {mine.pk}


def test_the_inbox_runs_no_query_per_row_for_the_site(agent, second_settings, category, django_assert_max_num_queries):
    default_site = Site.objects.get(is_default_site=True)
    for i in range(30):
        factories.open_ticket(
            requester_name=f"P{i}", requester_email=f"p{i}@example.com", category=category,
            site=default_site if i % 2 else second_settings.site,
        )
    client = Client()
    client.force_login(agent)
    client.get(reverse(INBOX))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse(INBOX), {"site": str(second_settings.site_id)})
    for i in range(30, 60):
        factories.open_ticket(requester_name=f"P{i}", requester_email=f"p{i}@example.com", category=category, site=second_settings.site)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(INBOX), {"site": str(second_settings.site_id)})
    assert len(few) == len(many)


# Settings › Support -----------------------------------------------------------------------------------------


def test_a_supervisor_edits_the_sites_support_settings(second_site, second_team):
    supervisor = factories.make_supervisor("boss")
    client = Client()
    client.force_login(supervisor)
    url = reverse("wagtailsettings:edit", args=["wagtail_support", "supportsitesettings", second_site.pk])
    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    for field in ("sender_name", "sender_email", "inbound_email", "default_team", "reply_time_promise", "mail_logo", "mail_colour"):
        assert f'name="{field}"' in content, field
    assert "promise_translations-TOTAL_FORMS" in content
    data = {
        "sender_name": "Second Help",
        "sender_email": "help@second.example.org",
        "inbound_email": SECOND_INBOUND,
        "default_team": str(second_team.pk),
        "reply_time_promise": PROMISE_EN,
        "mail_logo": "",
        "mail_colour": "#1a5f7a",
        "promise_translations-TOTAL_FORMS": "1",
        "promise_translations-INITIAL_FORMS": "0",
        "promise_translations-MIN_NUM_FORMS": "0",
        "promise_translations-MAX_NUM_FORMS": "1000",
        "promise_translations-0-language": "fr",
        "promise_translations-0-text": PROMISE_FR,
        "promise_translations-0-ORDER": "1",
        "promise_translations-0-id": "",
        "promise_translations-0-DELETE": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = SupportSiteSettings.objects.get(site=second_site)
    assert saved.sender_email == "help@second.example.org"
    assert site_config.promise_for(second_site, "fr") == PROMISE_FR
    assert site_config.sender_for_site(Site.objects.get(pk=second_site.pk)) == SECOND_SENDER


def test_a_bad_colour_is_refused(second_site):
    supervisor = factories.make_supervisor("boss")
    client = Client()
    client.force_login(supervisor)
    url = reverse("wagtailsettings:edit", args=["wagtail_support", "supportsitesettings", second_site.pk])
    response = client.post(url, {"mail_colour": "red", "promise_translations-TOTAL_FORMS": "0",
                                 "promise_translations-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert not SupportSiteSettings.objects.filter(site=second_site, mail_colour="red").exists()


def test_an_agent_may_not_edit_the_settings(agent, second_site):
    client = Client()
    client.force_login(agent)
    url = reverse("wagtailsettings:edit", args=["wagtail_support", "supportsitesettings", second_site.pk])
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert "sender_email" not in response.content.decode()


def test_the_supervisors_group_has_the_permission_after_the_migrations():
    group = Group.objects.get(name=SUPERVISORS)
    assert group.permissions.filter(content_type__app_label="wagtail_support", codename="change_supportsitesettings").exists()
    agents = Group.objects.get(name="Support agents")
    assert not agents.permissions.filter(codename="change_supportsitesettings").exists()
    # And support_groups puts it back when a site took it away.
    group.permissions.remove(*group.permissions.filter(codename="change_supportsitesettings"))
    call_command("support_groups", verbosity=0)
    assert group.permissions.filter(codename="change_supportsitesettings").exists()


# What site_config reads ------------------------------------------------------------------------------------


def test_settings_for_no_site_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert site_config.settings_for(None) is None
        assert site_config.sender_for(None) == site_config.sender_for_site(None)
        assert site_config.promise_for(None, "fr") == ""


def test_settings_for_a_site_is_read_once(second_settings, django_assert_num_queries):
    site = Site.objects.get(pk=second_settings.site_id)
    with django_assert_num_queries(1):
        site_config.settings_for(site)
        site_config.settings_for(site)
        assert site_config.sender_for_site(site) == SECOND_SENDER
        assert site_config.default_team_for(site) == second_settings.default_team


def test_a_site_naming_only_its_sender_name_keeps_the_support_address(second_site, settings):
    SupportSiteSettings.objects.create(site=second_site, sender_name="Second Help")
    site = Site.objects.get(pk=second_site.pk)
    assert site_config.sender_for_site(site) == "Second Help <support@example.com>"


def test_a_site_naming_only_its_address_is_named_after_the_site(second_site):
    SupportSiteSettings.objects.create(site=second_site, sender_email="help@second.example.org")
    site = Site.objects.get(pk=second_site.pk)
    assert parseaddr(site_config.sender_for_site(site)) == ("Second", "help@second.example.org")


def test_the_promise_falls_back_to_the_main_text_then_nothing(second_settings, second_site):
    assert site_config.promise_for(second_site, "fr-ca") == PROMISE_FR
    assert site_config.promise_for(second_site, "de") == PROMISE_EN
    second_settings.reply_time_promise = ""
    second_settings.save()
    assert site_config.promise_for(Site.objects.get(pk=second_site.pk), "de") == ""


def test_a_band_without_a_logo_names_the_site_in_the_readable_colour(second_page, second_settings, on_commit):
    second_settings.mail_colour = "#1a1a6e"
    second_settings.save()
    with on_commit():
        factories.open_ticket(requester_name="Ann", requester_email="ann@example.com", site=second_settings.site)
    html = to("ann@example.com")[0].alternatives[0][0]
    band = re.search(r'<td class="ws-pad ws-site-band"[^>]*>(.*?)</td>', html, re.S)
    assert "background-color:#1a1a6e;color:#ffffff" in band.group(0)
    assert band.group(1).strip() == "Second"
