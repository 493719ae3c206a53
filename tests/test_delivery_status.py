"""The workspace's delivery status: one icon per message for the worst status of its mails, details on demand.

Every message used to carry one to three rows of delivery records. Now its header holds one icon (a check,
a clock or a warning) whose tooltip and accessible name say what became of each mail; a problem is also
named in words. The rows, with the ESP's answer and "Send again", open on a click, or by themselves when the
address points at one of them (where "Send again" comes back to).
"""

import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tests import factories
from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab  # noqa: F401 - fixtures
from wagtail_support import workflow
from wagtail_support.models import OutboundMail
from wagtail_support.notifications import tracking


@pytest.fixture
def replied(ticket, agent, colleague):
    """The ticket with two replies, each mailed to the requester (recorded, queued: the test's transaction
    never commits, so nothing is sent)."""
    workflow.assign(ticket, to=agent, by=agent)
    reply = workflow.reply(ticket, by=agent, body="Could you try again with a new password?")
    later = workflow.reply(ticket, by=agent, body="The account was unlocked, you can sign in again.")
    return ticket, reply, later


def header_of(page, text):
    entry = page.find(string=re.compile(re.escape(text))).find_parent("li", class_="wsw-message")
    return entry


def test_each_message_shows_one_icon_for_the_worst_status_of_its_mails(client, agent, replied):
    ticket, reply, later = replied
    mails = list(OutboundMail.objects.filter(message=reply))
    assert mails, "the reply was mailed to the requester"
    OutboundMail.objects.filter(message__in=[reply, later]).update(status=OutboundMail.Status.DELIVERED)
    tracking.mark_bounced([mails[0].internet_message_id], "550 5.1.1 mailbox unavailable")
    client.force_login(agent)

    page = BeautifulSoup(client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content, "html.parser")

    entry = header_of(page, "Could you try again")
    summaries = entry.select("details.wsw-delivery > summary")
    assert len(summaries) == 1
    delivery = entry.select_one("details.wsw-delivery")
    assert delivery["data-delivery"] == "bounced"
    assert "open" not in delivery.attrs  # the rows wait for a click
    assert "wsw-delivery--problem" in delivery["class"]
    # The problem is named in words, and the sentence counts every status.
    assert summaries[0].select_one(".wsw-delivery__label").get_text(strip=True) == "Bounced"
    sentence = summaries[0]["title"]
    assert sentence.startswith("Mail delivery: Bounced 1")
    assert sentence == summaries[0].select_one(".w-sr-only").get_text(strip=True)
    # The rows are all there, with the ESP's answer and "Send again" for the bounced mail.
    row = delivery.select_one(f"#mail-{mails[0].pk}")
    assert "550 5.1.1 mailbox unavailable" in row.get_text()
    assert row.select_one("form.wsw-mail__resend")["action"] == reverse(
        "wagtail_support_admin:mail_resend", args=[mails[0].pk]
    )

    # The later reply was delivered: a quiet check, no word, no "Send again".
    done = header_of(page, "The account was unlocked").select_one("details.wsw-delivery")
    assert done["data-delivery"] == "delivered"
    assert "wsw-delivery--done" in done["class"]
    assert done.select_one(".wsw-delivery__label") is None
    assert done.select("form.wsw-mail__resend") == []
    assert done.select_one("summary")["title"].startswith("Mail delivery: Delivered")


def test_a_message_without_mail_has_no_delivery_icon(client, agent, ticket):
    workflow.reply(ticket, by=agent, body="A note for nobody in particular.", internal=True)
    client.force_login(agent)
    page = BeautifulSoup(client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content, "html.parser")
    assert header_of(page, "A note for nobody").select("details.wsw-delivery") == []


@pytest.mark.parametrize("statuses, worst", [
    (["delivered", "sent"], "sent"),
    (["delivered", "deferred", "sent"], "deferred"),
    (["delivered", "failed", "bounced"], "failed"),
    (["delivered"], "delivered"),
])
def test_the_worst_status_wins(statuses, worst):
    from wagtail_support.templatetags.wagtail_support_delivery import delivery_summary

    summary = delivery_summary([OutboundMail(status=status) for status in statuses])
    assert summary["status"] == worst
    assert summary["tone"] == {"failed": "problem", "deferred": "waiting"}.get(worst, "done")


class TestInTheBrowser:
    pytestmark = BROWSER_TEST_MARKS

    def test_details_open_on_demand_and_by_the_address_of_a_mail(self, replied, agent, open_tab, live_server):
        """Closed, the rows are out of sight; a click opens them; ``#mail-<pk>`` opens them by itself."""
        from django.conf import settings
        from django.test import Client
        from playwright.sync_api import expect

        ticket, reply, _later = replied
        mail = OutboundMail.objects.filter(message=reply).first()
        tracking.mark_bounced([mail.internet_message_id], "550 5.1.1 mailbox unavailable")
        client = Client()
        client.force_login(agent)
        tab = open_tab()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        tab.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        page = tab.page
        url = reverse("wagtail_support_admin:ticket", args=[ticket.pk])

        page.goto(url)
        entry = page.locator(f"#message-{reply.pk}")
        icon = entry.locator("summary.wsw-delivery__summary")
        expect(icon).to_have_count(1)
        expect(icon).to_have_accessible_name(re.compile(r"Mail delivery: Bounced 1"))
        resend = entry.get_by_role("button", name="Send again")
        expect(resend).to_be_hidden()
        icon.click()
        expect(resend).to_be_visible()
        expect(entry.get_by_text("550 5.1.1 mailbox unavailable")).to_be_visible()

        # Where "Send again" and the mail logs point: the row is shown.
        page.goto(f"{url}#mail-{mail.pk}")
        expect(page.locator(f"#mail-{mail.pk}")).to_be_visible()
        tab.check()
