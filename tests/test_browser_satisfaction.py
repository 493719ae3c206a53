"""The rating link in a real browser: one click rates, the comment follows, and the pages read well.

The link of the resolution mail opens a page whose script sends the link's rating once (a person's one
click); a robot that only fetches the page records nothing (``test_satisfaction``). The rating page, the
refusal page, the ticket page's rating form and the workspace's ratings pass axe in light and dark.
"""

import pytest
from django.urls import reverse

from tests import factories
from tests.axe_support import report, serious_violations
from tests.browser_support import BROWSER_TEST_MARKS, DESKTOP, browser, open_tab, screenshot  # noqa: F401 - fixtures
from tests.test_browser_axe import log_in, open_themed_tab, set_admin_theme
from wagtail_support import access, workflow

pytestmark = BROWSER_TEST_MARKS

THEMES = ("light", "dark")
NOTE = "Internal: refund approved by finance, do not mention the amount."


@pytest.fixture
def resolved(category, agent, resolution_code, support_page, settings):
    settings.WAGTAILSUPPORT_RATING_DAYS = 14
    ticket = factories.open_ticket(
        requester_name="Ann Onymous", requester_email="ann@example.com", subject="Invoice missing", category=category
    )
    workflow.assign(ticket, to=agent, by=agent)
    workflow.reply(ticket, by=agent, body=NOTE, internal=True)
    workflow.resolve(ticket, code=resolution_code, solution="We sent the invoice again.", by=agent)
    ticket.refresh_from_db()
    return ticket


def rate_path(ticket, rating):
    return reverse("wagtail_support:rate", kwargs={"token": access.make_rating_token(ticket), "rating": rating})


def dark_host(page):
    # The host page declares that it supports a dark scheme, as a dark site's base template would.
    page.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => {"
        " const meta = document.createElement('meta'); meta.name = 'color-scheme';"
        " meta.content = 'light dark'; document.head.append(meta); });"
    )


def test_the_link_rates_in_one_click_and_the_comment_follows(resolved, open_tab):
    tab = open_tab()
    page = tab.page
    page.goto(rate_path(resolved, "bad"))
    # The script sent the form: the page came back thanking, with the rating recorded.
    page.wait_for_selector('[data-rating-recorded="bad"]')
    assert "Thank you" in page.inner_text("main")
    resolved.refresh_from_db()
    assert resolved.satisfaction == "bad" and resolved.ratings.get().comment == ""
    assert NOTE not in page.content()
    # Sent once: the thank-you page does not send it again.
    assert page.locator("form[data-ws-autosubmit]").count() == 0
    page.get_by_label("Your comment (optional)").fill("The invoice came a week late.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save my rating").click()
    page.wait_for_selector('[data-rating-recorded="bad"]')
    rating = resolved.ratings.get()
    assert (rating.rating, rating.comment) == ("bad", "The invoice came a week late.")
    # Changing one's mind: "Good", saved from the same page.
    page.get_by_label("Good").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my rating").click()
    page.wait_for_selector('[data-rating-recorded="good"]')
    resolved.refresh_from_db()
    assert resolved.satisfaction == "good" and resolved.ratings.count() == 1
    tab.check()


def test_without_script_one_click_on_the_button_rates(resolved, browser, live_server):
    from tests.browser_support import Tab

    tab = Tab(browser, live_server.url, DESKTOP)
    tab.context.close()
    tab.context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = tab.context.new_page()
    try:
        page.goto(rate_path(resolved, "good"))
        assert not resolved.ratings.exists()
        with page.expect_navigation():
            page.get_by_role("button", name="Send my rating").click()
        assert resolved.ratings.get().rating == "good"
    finally:
        tab.context.close()


def _axe(tab, url, label, dark, wait_for=None):
    page = tab.page
    if dark:
        dark_host(page)
    page.goto(url)
    if wait_for:
        page.wait_for_selector(wait_for)
    page.wait_for_load_state("networkidle")
    violations = serious_violations(page)
    return [f"{label} ({url}):\n{report(violations)}"] if violations else []


def test_the_rating_pages_have_no_serious_axe_violation(resolved, browser, live_server, agent):
    from wagtail_support.links import support_page_for

    failures = []
    ticket_path = support_page_for(resolved).ticket_path(resolved)
    link = access.make_link_token(resolved)
    for theme in THEMES:
        dark = theme == "dark"
        tab = open_themed_tab(browser, live_server, theme)
        try:
            # The rating page after its one click (the form, the thank-you and the comment).
            failures += _axe(tab, rate_path(resolved, "good"), f"rating page, {theme}", dark, '[data-rating-recorded="good"]')
            # A forged link's page.
            failures += _axe(tab, reverse("wagtail_support:rate", kwargs={"token": "forged", "rating": "bad"}),
                             f"refused rating link, {theme}", dark)
            # The ticket's page with its rating form (the signed link kept in the session).
            tab.page.goto(f"{ticket_path}?t={link}")
            failures += _axe(tab, ticket_path, f"ticket page with its rating, {theme}", dark, "form.ws-rating-form")
        finally:
            tab.close()
    # The workspace's ratings, in Wagtail's light and dark themes.
    for theme in THEMES:
        set_admin_theme(agent, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, agent, live_server.url)
            failures += _axe(
                tab, reverse("wagtail_support_admin:ticket", args=[resolved.pk]), f"workspace ratings, {theme}", False,
                "#wsw-satisfaction",
            )
            failures += _axe(
                tab, reverse("wagtail_support_admin:inbox") + "?view=all&status=closed&satisfaction=good",
                f"inbox satisfaction, {theme}", False, '[data-ws-satisfaction="good"]',
            )
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)
