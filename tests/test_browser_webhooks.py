"""Accessibility of Support › Webhooks: axe-core on the list, the form, a webhook's page (its secret, the
copy button) and its delivery log, in Wagtail's light and dark themes (as ``test_browser_axe`` does for
the other admin pages). The copy button puts the secret on the clipboard."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, browser  # noqa: F401 - fixtures
from tests.test_browser_axe import THEMES, axe_failures, log_in, open_themed_tab, set_admin_theme

pytestmark = BROWSER_TEST_MARKS


@pytest.fixture
def hooks(team, requester, category, settings):
    from wagtail_support.models import Webhook, WebhookDelivery

    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    supervisor = factories.make_supervisor("sue", team, first_name="Sue", last_name="Supervisor")
    ticket = factories.open_ticket(requester, category=category)
    webhook = Webhook.objects.create(
        name="Team chat", url="https://chat.example.com/hooks/support", events=["ticket.opened", "ticket.noted"], include_internal=True
    )
    webhook.teams.add(team)
    now = timezone.now()
    WebhookDelivery.objects.create(
        webhook=webhook, event="ticket.opened", ticket=ticket, payload={}, status="delivered", attempts=1,
        last_attempt_at=now, response_status=200, response_excerpt="ok",
    )  # fmt: skip
    WebhookDelivery.objects.create(
        webhook=webhook, event="ticket.noted", ticket=ticket, payload={}, status="failed", attempts=2,
        last_attempt_at=now, next_attempt_at=now + datetime.timedelta(minutes=5), response_status=500,
        response_excerpt="<script>alert(1)</script> Internal Server Error", error="HTTP 500",
    )  # fmt: skip
    WebhookDelivery.objects.create(
        webhook=webhook, event="ping", payload={}, status="gave_up", attempts=6, last_attempt_at=now,
        error="Refused: hooks.internal resolves to a private, loopback or reserved address (10.0.0.8)",
    )  # fmt: skip
    return {"supervisor": supervisor, "webhook": webhook}


PAGES = {
    "webhooks": lambda data: reverse("wagtail_support_webhooks:index"),
    "webhook add": lambda data: reverse("wagtail_support_webhooks:add"),
    "webhook edit": lambda data: reverse("wagtail_support_webhooks:edit", args=[data["webhook"].pk]),
    "webhook deliveries": lambda data: reverse("wagtail_support_webhooks:deliveries", args=[data["webhook"].pk]),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_webhook_page_has_no_serious_axe_violation(hooks, name, browser, live_server):  # noqa: F811
    user = hooks["supervisor"]
    failures = []
    for theme in THEMES:
        set_admin_theme(user, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, user, live_server.url)
            failures += axe_failures(tab, PAGES[name](hooks), f"{name}, {theme} theme")
            if name == "webhook deliveries":
                # The receiver's answer is shown as text, never run.
                assert tab.page.locator("pre", has_text="<script>alert(1)</script>").count() == 1
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)


def test_the_copy_button_copies_the_secret(hooks, browser, live_server):  # noqa: F811
    user = hooks["supervisor"]
    tab = open_themed_tab(browser, live_server, "light")
    try:
        tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        log_in(tab, user, live_server.url)
        page = tab.page
        page.goto(PAGES["webhook edit"](hooks))
        page.get_by_role("button", name="Copy the secret").click()
        page.get_by_text("Copied to clipboard").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == hooks["webhook"].secret
        tab.check()
    finally:
        tab.close()
