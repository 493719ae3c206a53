""""Finish setting up support" on the admin home: a supervisor of a new site sees each thing it still lacks,
with a link that works; an agent never sees it; once the site lacks nothing, it is gone; it costs a fixed
number of queries."""

import os

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from tests import factories
from tests.browser_support import CHROMIUM, DESKTOP, Tab, browser  # noqa: F401 - browser is a fixture
from wagtail_support.admin.first_run import FirstRunPanel
from wagtail_support.models import ResolutionCode

pytestmark = pytest.mark.django_db

HOME = "wagtailadmin_home"
HEADING = "Finish setting up support"
EVERY_ITEM = {"team", "default_team", "resolution_code", "sender", "site", "admin_base_url", "support_page"}


@pytest.fixture
def fresh_site(settings):
    """A site as the README's install leaves it, nothing configured: no team, no default team, Django's
    sender, Wagtail's first site (localhost:80), no admin base URL, no support page, and the starter codes
    switched off (as if a supervisor had disabled them)."""
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = None
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"
    settings.WAGTAILSUPPORT_FROM_EMAIL = None
    del settings.WAGTAILADMIN_BASE_URL
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)
    ResolutionCode.objects.exclude(code=ResolutionCode.NO_FOLLOW_UP).update(is_active=False)


@pytest.fixture
def configured_site(settings, team, agent, resolution_code, support_page):
    """Everything set: a team with an agent that is the default team, a sender, the site's real address,
    the admin base URL, a resolution code and a support page."""
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = team.slug
    settings.DEFAULT_FROM_EMAIL = "Support <support@example.org>"
    settings.WAGTAILADMIN_BASE_URL = "http://testserver"
    Site.objects.filter(is_default_site=True).update(hostname="testserver", port=80)


@pytest.fixture
def superuser(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.org", factories.PASSWORD)


def login(user):
    client = Client()
    client.force_login(user)
    return client


def panel_items(response):
    """The missing things the panel shows: key -> its <li>; None when the panel is not on the page."""
    assert response.status_code == 200
    panel = BeautifulSoup(response.content, "html.parser").find(id="wagtail-support-first-run-section")
    if panel is None:
        return None
    assert HEADING in panel.get_text()
    return {li["data-ws-missing"]: li for li in panel.select("[data-ws-missing]")}


def link_of(item):
    link = item.find("a", href=True)
    return link["href"] if link else None


def test_a_superuser_on_a_fresh_site_sees_every_missing_thing_with_a_working_link(fresh_site, superuser):
    client = login(superuser)
    items = panel_items(client.get(reverse(HOME)))
    assert set(items) == EVERY_ITEM
    # What the site needs from the admin has a link that opens; what it needs from settings names the setting.
    for key in ("team", "resolution_code", "site", "support_page"):
        url = link_of(items[key])
        assert url, key
        assert client.get(url).status_code == 200, (key, url)
    assert "DEFAULT_FROM_EMAIL" in items["sender"].get_text()
    assert "webmaster@localhost" in items["sender"].get_text()
    assert "WAGTAILADMIN_BASE_URL" in items["admin_base_url"].get_text()
    assert '"http://testserver"' in items["admin_base_url"].get_text()
    assert "WAGTAILSUPPORT_DEFAULT_TEAM" in items["default_team"].get_text()
    assert "no agent is told" in items["default_team"].get_text()
    assert "http://localhost/" in items["site"].get_text()
    assert link_of(items["site"]) == reverse("wagtailsites:edit", args=[Site.objects.get(is_default_site=True).pk])


def test_a_supervisor_sees_the_links_their_permissions_open(fresh_site, supervisor):
    client = login(supervisor)
    items = panel_items(client.get(reverse(HOME)))
    assert set(items) == EVERY_ITEM
    for key in ("team", "resolution_code"):
        url = link_of(items[key])
        assert url and client.get(url).status_code == 200, key
    # Sites and pages are not a support supervisor's: no link to a refusal, a sentence instead.
    for key in ("site", "support_page"):
        assert link_of(items[key]) is None, key
        assert "Ask an administrator" in items[key].get_text()


def test_a_team_without_members_is_said_and_its_list_linked(fresh_site, supervisor, team):
    client = login(supervisor)
    items = panel_items(client.get(reverse(HOME)))
    assert "team" not in items
    assert client.get(link_of(items["agent"])).status_code == 200
    # The default team: the setting, with an existing team's slug as the example.
    assert 'WAGTAILSUPPORT_DEFAULT_TEAM = "helpdesk"' in items["default_team"].get_text()


def test_an_inactive_member_is_no_agent(fresh_site, supervisor, team, agent):
    agent.is_active = False
    agent.save()
    assert "agent" in panel_items(login(supervisor).get(reverse(HOME)))


def test_a_default_team_that_does_not_exist_is_named(fresh_site, settings, supervisor, team, agent):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = "no-such-team"
    item = panel_items(login(supervisor).get(reverse(HOME)))["default_team"]
    assert '"no-such-team" is not an active team' in item.get_text()


def test_only_no_follow_up_is_no_code_to_resolve_with(fresh_site, supervisor):
    assert ResolutionCode.objects.filter(code=ResolutionCode.NO_FOLLOW_UP, is_active=True).exists()
    assert "resolution_code" in panel_items(login(supervisor).get(reverse(HOME)))


def test_a_support_page_of_another_site_does_not_count(fresh_site, superuser, support_page):
    assert "support_page" not in panel_items(login(superuser).get(reverse(HOME)))
    support_page.unpublish()
    assert "support_page" in panel_items(login(superuser).get(reverse(HOME)))


def test_the_site_reached_at_its_own_address_is_fine(fresh_site, superuser):
    Site.objects.filter(is_default_site=True).update(hostname="testserver", port=80)
    assert "site" not in panel_items(login(superuser).get(reverse(HOME)))
    # ... and Wagtail's localhost on a site reached at localhost too.
    client = login(superuser)
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)
    assert "site" not in panel_items(client.get(reverse(HOME), HTTP_HOST="localhost"))
    assert "site" in panel_items(client.get(reverse(HOME), HTTP_HOST="localhost:8000"))


def test_an_example_com_admin_base_url_is_a_placeholder(fresh_site, settings, superuser):
    settings.WAGTAILADMIN_BASE_URL = "http://example.com"
    assert "admin_base_url" in panel_items(login(superuser).get(reverse(HOME)))


def test_an_agent_never_sees_the_panel(fresh_site, agent):
    assert panel_items(login(agent).get(reverse(HOME))) is None


def test_an_agent_given_the_configuration_permission_sees_it(fresh_site, agent):
    agent.user_permissions.add(Permission.objects.get(content_type__app_label="wagtail_support", codename="change_team"))
    assert panel_items(login(agent).get(reverse(HOME))) is not None


def test_once_everything_is_set_the_panel_is_gone(configured_site, supervisor, superuser):
    assert panel_items(login(supervisor).get(reverse(HOME))) is None
    assert panel_items(login(superuser).get(reverse(HOME))) is None


def test_each_fix_removes_its_item(fresh_site, settings, superuser, team, agent, support_page):
    client = login(superuser)
    assert {"default_team", "resolution_code", "sender", "site", "admin_base_url"} == set(
        panel_items(client.get(reverse(HOME)))
    )
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = team.slug
    factories.make_code("fixed", "Fixed")
    settings.DEFAULT_FROM_EMAIL = "support@example.org"
    Site.objects.filter(is_default_site=True).update(hostname="testserver")
    assert set(panel_items(client.get(reverse(HOME)))) == {"admin_base_url"}
    settings.WAGTAILADMIN_BASE_URL = "https://support.example.org"
    assert panel_items(client.get(reverse(HOME))) is None


# What it costs ----------------------------------------------------------------------------------------------

#: The teams (count, with a member, a slug), the default team, the default site with its two tests.
PANEL_QUERIES = 3


def panel_queries(rf, user):
    request = rf.get("/admin/")
    request.user = user
    FirstRunPanel(request).render_html({})  # warm the caches (permissions, content types), as any page does
    panel = FirstRunPanel(request)
    with CaptureQueriesContext(connection) as queries:
        html = panel.render_html({})
    return len(queries), html


def test_the_panel_runs_a_fixed_number_of_queries(rf, configured_site, supervisor):
    count, html = panel_queries(rf, supervisor)
    assert (count, html) == (PANEL_QUERIES, "")
    # Many teams, members, codes and pages: the same count.
    for i in range(10):
        factories.make_agent(f"agent{i}", factories.make_team(f"Team {i}"))
        factories.make_code(f"code-{i}")
    count, _html = panel_queries(rf, supervisor)
    assert count == PANEL_QUERIES


def test_on_a_fresh_site_it_costs_the_same_plus_the_page_permission(rf, fresh_site, supervisor):
    count, html = panel_queries(rf, supervisor)
    assert "No support page" in html
    # No team: the default team is not looked for (one fewer); no support page: may the user add one (more).
    assert count <= PANEL_QUERIES + 2


def test_the_home_page_of_a_supervisor_costs_the_same_whatever_the_data(configured_site, supervisor):
    client = login(supervisor)
    client.get(reverse(HOME))  # warm caches (content types, site root)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(HOME))
    for i in range(10):
        factories.make_agent(f"agent{i}", factories.make_team(f"Team {i}"))
        factories.make_code(f"code-{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(HOME))
    assert len(few) == len(many)


def test_the_sender_example_is_the_site_s_domain(fresh_site, settings, superuser):
    settings.ALLOWED_HOSTS = ["help.example.net", "127.0.0.1"]
    item = panel_items(login(superuser).get(reverse(HOME), HTTP_HOST="help.example.net"))["sender"]
    assert "support@help.example.net" in item.get_text()
    item = panel_items(login(superuser).get(reverse(HOME), HTTP_HOST="127.0.0.1:8000"))["sender"]
    assert "support@example.org" in item.get_text()


# In the browser: readable in Wagtail's light and dark themes -------------------------------------------------

AXE_FAILING_IMPACTS = ("critical", "serious")


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_panel_passes_axe_in_both_themes(fresh_site, superuser, theme, browser, live_server):
    from axe_playwright_python.base import AXE_SCRIPT
    from django.conf import settings
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(superuser)
    profile.theme = theme
    profile.save(update_fields=["theme"])
    tab = Tab(browser, live_server.url, DESKTOP)
    tab.page.emulate_media(color_scheme=theme)
    client = login(superuser)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    tab.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = tab.page
    assert page.goto("/admin/").status == 200
    page.wait_for_load_state("networkidle")
    assert f"w-theme-{theme}" in page.evaluate("() => document.documentElement.className")
    panel = page.locator("#wagtail-support-first-run-section")
    assert panel.is_visible()
    assert panel.locator("[data-ws-missing]").count() == len(EVERY_ITEM)
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate("() => window.axe.run('#wagtail-support-first-run-section', {resultTypes: ['violations']})")
    failing = [
        (violation["id"], [node["html"][:120] for node in violation["nodes"]])
        for violation in results["violations"]
        if violation["impact"] in AXE_FAILING_IMPACTS
    ]
    assert failing == []
    tab.check()
