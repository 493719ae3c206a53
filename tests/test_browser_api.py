"""The API's pages in a browser: the docs page runs Swagger UI from the site's own files (no request to
another host) and reads the schema; the agent creates a token on its page, sees it once, and revokes it.
With ``SAVE_SCREENSHOTS=1``, pictures of both pages into docs/screenshots/."""

import re
from urllib.parse import urlsplit

import pytest

from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab, screenshot, sign_in  # noqa: F401
from wagtail_support.models import ApiToken

pytestmark = BROWSER_TEST_MARKS


def test_the_docs_page_loads_only_from_the_site(open_tab, live_server, screenshot):  # noqa: F811
    tab = open_tab()
    requested = []
    tab.page.on("request", lambda request: requested.append(request.url))
    tab.page.goto("/api/support/v1/docs/")
    tab.page.get_by_text("/api/support/v1/tickets/", exact=True).first.wait_for()
    assert tab.page.get_by_role("button", name=re.compile("Authorize")).count() == 1
    screenshot(tab.page, "api-docs.png")
    host = urlsplit(live_server.url).netloc
    outside = [url for url in requested if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != host]
    assert outside == [] and any(url.endswith("swagger-ui-bundle.js") for url in requested)
    tab.check()


def test_an_agent_creates_a_token_sees_it_once_and_revokes_it(open_tab, agent, screenshot):  # noqa: F811
    tab = open_tab()
    page = sign_in(tab.page, agent)
    page.goto("/admin/account/")
    page.get_by_role("tab", name="Support API").click()
    page.get_by_role("link", name="Create or revoke tokens").click()
    page.get_by_label("Name").fill("Nightly export")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create the token").click()
    key = page.get_by_label("Token").input_value()
    assert re.fullmatch(r"wst_[A-Za-z0-9_-]{43}", key)
    screenshot(page, "api-token-created.png")
    page.goto("/admin/support/api-tokens/")
    assert key not in page.content()
    page.get_by_role("link", name="Revoke Nightly export").click()
    page.get_by_role("button", name="Yes, revoke it").click()
    page.get_by_text("was revoked").wait_for()
    assert ApiToken.objects.get(user=agent).revoked_at is not None
    tab.check()


def test_the_token_pages_have_no_serious_axe_violation(browser, live_server, agent):  # noqa: F811
    from tests.api_support import token_for
    from tests.test_browser_axe import THEMES, axe_failures, log_in, open_themed_tab, set_admin_theme

    row, _key = token_for(agent, name="Nightly export")
    token_for(agent, name="Old script")[0].revoke()
    pages = {"tokens": "/admin/support/api-tokens/", "revoke": f"/admin/support/api-tokens/{row.pk}/revoke/",
             "account": "/admin/account/#tab-wagtail_support_api"}
    failures = []
    for theme in THEMES:
        set_admin_theme(agent, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, agent, live_server.url)
            for name, url in pages.items():
                failures += axe_failures(tab, url, f"{name}, {theme} theme")
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)
