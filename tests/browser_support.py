"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

Shared by tests/test_browser.py (the visitor) and tests/test_browser_agent.py (the agent). Playwright never
downloads a browser here; the tests launch the system Chromium with the flags this sandbox needs.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machines' network is closed: without these Chromium keeps trying to reach Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS_DIR = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

# Every browser test: marked, skipped without Chromium, on a real database the live server shares.
BROWSER_TEST_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}: run `bash scripts/install_chromium.sh` to run the browser tests",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TIMEOUT_MS = 15_000


@pytest.fixture
def browser(monkeypatch):
    """Debian's headless Chromium, driven by Playwright's sync API, for one test.

    Function-scoped on purpose: the database fixtures (autouse, so set up first) must do their work
    before Playwright's event loop runs in this thread. Once it runs, Django keeps its connections per
    asyncio context instead of per thread, so the test body gets a connection of its own (to the same
    database) and the one that set the database up, which holds the serialized data of
    ``serialized_rollback``, is used again only after Playwright stopped.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        # Close the connections the test body opened while the loop ran (else PostgreSQL cannot drop the
        # test database at the end), then stop the loop.
        connections.close_all()
        playwright.stop()


class Tab:
    """A browser context (its own cookies: a person on their own device) and its one page.

    It records what went wrong while the pages loaded: a response of 400 or more from the live server
    (a missing stylesheet, say) and any script error; ``check()`` fails the test on either.
    """

    def __init__(self, browser, base_url, viewport):
        self.context = browser.new_context(viewport=viewport, base_url=base_url, locale="en-US")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.problems = []
        self.page.on(
            "response",
            lambda response: response.status >= 400
            and response.url.startswith(base_url)
            and response.request.method == "GET"
            and self.problems.append(f"{response.status} {response.url}"),
        )
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def check(self):
        assert self.problems == [], "the pages had problems: " + "; ".join(self.problems)

    def close(self):
        self.context.close()


@pytest.fixture
def open_tab(browser, live_server):
    """``open_tab(viewport=DESKTOP)``: a new browser context on the live server."""
    tabs = []

    def open_tab(viewport=DESKTOP):
        tab = Tab(browser, live_server.url, viewport)
        tabs.append(tab)
        return tab

    yield open_tab
    for tab in tabs:
        tab.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name.png")``: the whole page into docs/screenshots/, with SAVE_SCREENSHOTS=1 only."""
    enabled = os.environ.get("SAVE_SCREENSHOTS") == "1"

    def take(page, name):
        if not enabled:
            return
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        # Web fonts and the stylesheets are in before the picture is taken.
        page.wait_for_load_state("networkidle")
        # Wagtail's admin scrolls inside <main>, not the document, so ``full_page`` alone stops at the
        # window's bottom: the window is made as tall as the content for the picture, then put back.
        viewport = page.viewport_size
        for _ in range(3):
            height = page.evaluate(ADMIN_CONTENT_HEIGHT)
            if height <= page.viewport_size["height"]:
                break
            page.set_viewport_size({"width": viewport["width"], "height": height})
        try:
            page.screenshot(
                path=str(SCREENSHOTS_DIR / name), full_page=True, animations="disabled", caret="hide"
            )
        finally:
            page.set_viewport_size(viewport)

    return take


# The height of the admin page's content, <main> being the element that scrolls.
ADMIN_CONTENT_HEIGHT = """() => Math.ceil(Math.max(
    document.documentElement.scrollHeight,
    ...Array.from(document.querySelectorAll("main"), main => main.getBoundingClientRect().top + main.scrollHeight)
))"""


def sign_in(page, user, password=None):
    """Sign ``user`` in through the admin's real login form, and wait for the dashboard."""
    import re

    from tests import factories

    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password or factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page
