"""Accessibility: axe-core on every page of the product, in Wagtail's light and dark themes.

Each admin page an agent or a supervisor reaches (the admin home and its support panel, the inbox, a
ticket's workspace with every kind of message, its history, New ticket, the bulk actions' confirmations,
the configuration screens, the mail logs and the FAQ snippets) is opened in headless Chromium with the
user's admin theme set to light, then to dark (Wagtail's ``UserProfile.theme``; the browser prefers the
same scheme), and axe-core (``tests/axe_support.py``) must find no critical or serious violation. A failure
names the page and the theme, and lists each failing element with its colours and contrast ratio.

The visitor pages (support page, confirmation, ticket page, my tickets, FAQ) are checked in a light
browser and in a dark one on a host page that declares ``<meta name="color-scheme" content="light dark">``
(which turns on the dark palette of ``support.css``); a dark-preferring browser on a light-only host keeps
the light palette, which the light run covers.

The data is built through the workflow and the inbound handler before the browser starts; the user is
logged in through a session cookie (the login form has a test of its own), so each test costs one page.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.axe_support import report, serious_violations
from tests.browser_support import BROWSER_TEST_MARKS, DESKTOP, browser, open_tab, screenshot  # noqa: F401 - fixtures

pytestmark = BROWSER_TEST_MARKS

THEMES = ("light", "dark")


# The data ---------------------------------------------------------------------------------------------------


def png_upload(name="screenshot.png"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def inbound_mail(sender, subject, body):
    from anymail.inbound import AnymailInboundMessage

    from wagtail_support import inbound

    message = AnymailInboundMessage.construct(
        from_email=sender, to="support@example.com", subject=subject, text=body
    )
    message["Message-ID"] = f"<{abs(hash((sender, subject)))}@mail.example.net>"
    return inbound.process(message, esp_name="test")


@pytest.fixture
def helpdesk(team, other_team, agent, colleague, requester, category, resolution_code, settings):
    """A helpdesk in the middle of its day, with every kind of thing the admin pages show.

    Returns a dict of what the pages' addresses need.
    """
    from django.core.cache import cache
    from wagtail.models import Site

    from wagtail_support import workflow
    from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic
    from wagtail_support.models import CannedResponse, OutboundMail
    from wagtail_support.notifications import tracking
    from wagtail_support.pages import SupportPage

    # The machines' network is closed: Wagtail's default avatar rather than a broken Gravatar image.
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    cache.clear()
    supervisor = factories.make_supervisor("sue", team, first_name="Sue", last_name="Supervisor")
    # Service levels: business hours for the team and a policy per priority, so the workspace shows its
    # targets and the inbox its Due column.
    import datetime

    from wagtail_support.models import BusinessCalendar, BusinessHoursInterval, ServiceLevelPolicy

    calendar = BusinessCalendar.objects.create(name="Office", time_zone="Europe/Paris")
    for weekday in range(5):
        BusinessHoursInterval.objects.create(calendar=calendar, weekday=weekday, start=datetime.time(9), end=datetime.time(17))
    team.calendar = calendar
    team.save(update_fields=["calendar"])
    for priority in ("low", "normal", "high", "urgent"):
        policy = ServiceLevelPolicy.objects.create(
            name=f"{priority.title()} tickets", priority=priority, first_response_minutes=60,
            next_response_minutes=120, resolution_minutes=480, remind_after_days=3, close_after_days=10,
        )
    passwords = factories.make_category("Passwords", team, parent=category)
    factories.make_category("Invoices", other_team)
    CannedResponse.objects.create(
        title="Ask for a screenshot", body="Hello {requester_name}, could you send us a screenshot?", team=team
    )
    topic = FAQTopic.objects.create(name="Account", slug="account")
    entry = FAQEntry.objects.create(
        topic=topic, question="How do I reset my password?", answer="<p>Use the <b>forgotten password</b> link.</p>"
    )

    # The worked ticket: a requester's files, a public reply with a file, an internal note, an unverified
    # note, the requester's answer by mail, and mails delivered, bounced and failed.
    worked = factories.open_ticket(
        requester,
        subject="Two-factor codes are always rejected",
        description="Since yesterday every code of my authenticator app is refused.",
        category=passwords,
        kind="technical",
        priority="high",
        attachments=[png_upload("phone.png")],
    )
    workflow.assign(worked, to=agent, by=agent)
    workflow.reply(worked, by=agent, body="Her phone clock is 4 minutes late: known issue.", internal=True)
    workflow.reply(
        worked,
        by=agent,
        body="Could you check that your phone sets its clock automatically?",
        attachments=[png_upload("settings.png")],
        set_pending=True,
    )
    workflow.reply(
        worked, by=colleague, body="Forwarded from Carl's phone: please call her.", internal=True, unverified=True
    )
    inbound_mail(requester.email, f"Re: [{worked.reference}] {worked.subject}", "It was the clock, thank you!")
    mails = list(OutboundMail.objects.filter(ticket=worked).order_by("pk"))
    OutboundMail.objects.filter(pk=mails[0].pk).update(status=OutboundMail.Status.DELIVERED)
    tracking.mark_bounced([mails[-1].internet_message_id], "550 5.1.1 mailbox unavailable")
    if len(mails) > 2:
        OutboundMail.objects.filter(pk=mails[1].pk).update(
            status=OutboundMail.Status.FAILED, error="Connection refused by the ESP"
        )

    resolved = factories.open_ticket(
        requester,
        subject="Add a second administrator to our account",
        description="Our accountant needs access too.",
        category=category,
        priority="low",
    )
    workflow.resolve(resolved, code=resolution_code, solution="Added under Settings, Users.", by=agent)
    urgent = factories.open_ticket(
        requester_name="Nina Night",
        requester_email="nina.night@example.com",
        subject="Site down for our whole office",
        description="Every page answers 502 since 8 o'clock.",
        category=category,
        kind="technical",
        priority="urgent",
    )
    factories.open_ticket(requester, subject="Refund the duplicate payment", description="Charged twice.")
    workflow.add_follower(worked, agent, "carol.colleague@example.com", "Carol Colleague")
    from wagtail_support.models import CcSuggestion

    CcSuggestion.objects.create(ticket=worked, email="dave.boss@example.com", name="Dave Boss")
    # Mail from a stranger: quarantined, with its release and discard buttons.
    stranger = inbound_mail("someone@elsewhere.example", "Partnership offer", "We would like to work with you.")

    site = Site.objects.get(is_default_site=True)
    support = SupportPage(title="Support", slug="support", intro="<p>Tell us what went wrong.</p>")
    site.root_page.add_child(instance=support)
    faq = FAQPage(title="FAQ", slug="faq", intro="<p>Our answers.</p>")
    site.root_page.add_child(instance=faq)
    faq.topics.set([topic])
    faq.save_revision().publish()
    return {
        "supervisor": supervisor,
        "agent": agent,
        "requester": requester,
        "worked": worked,
        "resolved": resolved,
        "urgent": urgent,
        "team": team,
        "category": passwords,
        "code": resolution_code,
        "canned": CannedResponse.objects.get(),
        "outbound": mails[-1],
        "inbound": stranger,
        "topic": topic,
        "entry": entry,
        "calendar": calendar,
        "policy": policy,
        "support": support,
        "site": site,
    }


# The pages --------------------------------------------------------------------------------------------------


def _bulk(action):
    def url(data):
        from django.urls import reverse

        ids = "&".join(f"id={data[name].pk}" for name in ("worked", "urgent"))
        return reverse("wagtail_bulk_action", args=["wagtail_support", "ticket", action]) + "?" + ids

    return url


def _config(model_name, action, key=None):
    def url(data):
        from wagtail_support import models
        from wagtail_support.admin.viewsets import url_for

        model = getattr(models, model_name)
        return url_for(model, action, data[key].pk) if key else url_for(model, action)

    return url


def _snippet(model_name, action, key=None):
    def url(data):
        from django.urls import reverse

        name = f"wagtailsnippets_wagtail_support_{model_name}:{action}"
        return reverse(name, args=[data[key].pk]) if key else reverse(name)

    return url


def _support(name, **kwargs):
    def url(data):
        from wagtail_support.pages import SupportPage

        page = SupportPage.objects.get()
        resolved = {key: value(data) for key, value in kwargs.items()}
        return page.url + page.reverse_subpage(name, kwargs=resolved or None)

    return url


ADMIN_PAGES = {
    "admin home": lambda data: "/admin/",
    "inbox": lambda data: "/admin/support/tickets/",
    "inbox filtered": lambda data: "/admin/support/tickets/?status=open&priority=urgent&priority=high",
    "inbox search": lambda data: "/admin/support/tickets/?q=codes",
    "workspace": lambda data: f"/admin/support/tickets/{data['worked'].pk}/",
    "workspace internal notes": lambda data: f"/admin/support/tickets/{data['worked'].pk}/?show=internal",
    "workspace resolved": lambda data: f"/admin/support/tickets/{data['resolved'].pk}/",
    "workspace urgent": lambda data: f"/admin/support/tickets/{data['urgent'].pk}/",
    "history": lambda data: f"/admin/support/tickets/{data['worked'].pk}/history/",
    "new ticket": lambda data: "/admin/support/tickets/new/",
    "bulk assign": _bulk("assign"),
    "bulk change team": _bulk("change_team"),
    "bulk change priority": _bulk("change_priority"),
    "bulk abandon": _bulk("abandon"),
    "teams": _config("Team", "index"),
    "team edit": _config("Team", "edit", "team"),
    "team create": _config("Team", "create"),
    "catalog": _config("Category", "index"),
    "catalog edit": _config("Category", "edit", "category"),
    "resolution codes": _config("ResolutionCode", "index"),
    "resolution code edit": _config("ResolutionCode", "edit", "code"),
    "saved replies": _config("CannedResponse", "index"),
    "saved reply edit": _config("CannedResponse", "edit", "canned"),
    "outgoing mail": _config("OutboundMail", "index"),
    "outgoing mail inspect": _config("OutboundMail", "inspect", "outbound"),
    "incoming mail": _config("InboundMail", "index"),
    "incoming mail inspect": _config("InboundMail", "inspect", "inbound"),
    "faq questions": _snippet("faqentry", "list"),
    "faq question edit": _snippet("faqentry", "edit", "entry"),
    "faq topics": _snippet("faqtopic", "list"),
    "faq topic edit": _snippet("faqtopic", "edit", "topic"),
    "account": lambda data: "/admin/account/",
    "inbox due next": lambda data: "/admin/support/tickets/?ordering=due",
    "inbox late": lambda data: "/admin/support/tickets/?service_level=late",
    "business hours": _config("BusinessCalendar", "index"),
    "business hours edit": _config("BusinessCalendar", "edit", "calendar"),
    "service levels": _config("ServiceLevelPolicy", "index"),
    "service level edit": _config("ServiceLevelPolicy", "edit", "policy"),
    "merge": lambda data: f"/admin/support/tickets/{data['urgent'].pk}/merge/",
    "support settings": lambda data: f"/admin/settings/wagtail_support/supportsitesettings/{data['site'].pk}/",
    "pages with open tickets": lambda data: "/admin/support/reports/pages/",
    "page editor with tickets": lambda data: f"/admin/pages/{data['support'].pk}/edit/",
}

VISITOR_PAGES = {
    "support page": (None, _support("index")),
    "confirmation": ("requester", _support("confirmation", number=lambda data: data["worked"].number)),
    "ticket page": ("requester", _support("ticket", number=lambda data: data["worked"].number)),
    "ticket page resolved": ("requester", _support("ticket", number=lambda data: data["resolved"].number)),
    "my tickets": ("requester", _support("tickets")),
    "faq": (None, lambda data: "/faq/"),
}


# Helpers ----------------------------------------------------------------------------------------------------


def set_admin_theme(user, theme):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.theme = theme
    profile.save(update_fields=["theme"])


def log_in(tab, user, base_url):
    """The user's session cookie in the tab's context, as if they had signed in."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    tab.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def open_themed_tab(browser, live_server, scheme):
    from tests.browser_support import Tab

    tab = Tab(browser, live_server.url, DESKTOP)
    tab.page.emulate_media(color_scheme=scheme)
    return tab


def axe_failures(tab, url, label):
    """Open ``url`` in the tab and run axe: ``[]``, or one message naming the page, the theme and what fails."""
    page = tab.page
    response = page.goto(url)
    assert response.status == 200, f"{label}: {url} answered {response.status}"
    page.wait_for_load_state("networkidle")
    violations = serious_violations(page)
    tab.check()
    return [f"{label} ({url}):\n{report(violations)}"] if violations else []


# Tests ------------------------------------------------------------------------------------------------------
# One test per page, both themes in it (the data and the browser are made once for the two): the message of
# a failure names the page and the theme.


# With SAVE_SCREENSHOTS=1, the pictures of these pages in the dark theme go to docs/screenshots/.
DARK_PICTURES = {"workspace": "workspace-dark.png", "inbox": "inbox-dark.png"}


@pytest.mark.parametrize("name", list(ADMIN_PAGES))
def test_admin_page_has_no_serious_axe_violation(helpdesk, name, browser, live_server, screenshot):
    """Each admin page of the product, in Wagtail's light and dark themes: no critical or serious violation."""
    user = helpdesk["supervisor"]
    url = ADMIN_PAGES[name](helpdesk)
    failures = []
    for theme in THEMES:
        set_admin_theme(user, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, user, live_server.url)
            failures += axe_failures(tab, url, f"{name}, {theme} theme")
            html_class = tab.page.evaluate("document.documentElement.className")
            assert f"w-theme-{theme}" in html_class, f"{name}: the {theme} theme is not on ({html_class})"
            if theme == "dark" and name in DARK_PICTURES:
                screenshot(tab.page, DARK_PICTURES[name])
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)


# What the workspace shows after a few clicks: every delivery record open, the composer in note mode (its
# amber tint and label), the resolution fields out.
OPEN_UP_WORKSPACE = """() => {
    document.querySelectorAll("details").forEach(details => { details.open = true; });
    const note = document.querySelector('#composer input[type="radio"][value="internal"]');
    if (note) { note.click(); }
    const resolve = document.querySelector('button[aria-controls="wsw-resolve"][aria-expanded="false"]');
    if (resolve) { resolve.click(); }
}"""


def test_workspace_opened_up_has_no_serious_axe_violation(helpdesk, browser, live_server):
    """The workspace with its delivery rows open, the composer writing a note and resolving, in both themes."""
    user = helpdesk["supervisor"]
    url = ADMIN_PAGES["workspace"](helpdesk)
    failures = []
    for theme in THEMES:
        set_admin_theme(user, theme)
        tab = open_themed_tab(browser, live_server, theme)
        try:
            log_in(tab, user, live_server.url)
            page = tab.page
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.evaluate(OPEN_UP_WORKSPACE)
            assert page.locator("#composer [data-wsw-mode='internal']").count() == 1, "the composer is not in note mode"
            assert page.get_by_role("button", name="Send again").first.is_visible()
            violations = serious_violations(page)
            tab.check()
            if violations:
                failures.append(f"workspace opened up, {theme} theme ({url}):\n{report(violations)}")
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)


def test_workspace_follows_a_dark_system_theme(helpdesk, browser, live_server):
    """Wagtail's "System default" theme in a dark-preferring browser (a media query, not a class) reads too."""
    user = helpdesk["supervisor"]
    set_admin_theme(user, "system")
    tab = open_themed_tab(browser, live_server, "dark")
    try:
        log_in(tab, user, live_server.url)
        failures = axe_failures(tab, ADMIN_PAGES["workspace"](helpdesk), "workspace, system theme in a dark browser")
        assert not failures, failures[0]
        note = tab.page.locator(".wsw-message--internal").first
        background = note.evaluate("element => getComputedStyle(element).backgroundColor")
        text = note.evaluate("element => getComputedStyle(element).color")
        # Light text on a dark note: the note's tint follows the theme.
        assert _luminance(text) > 0.5 > _luminance(background), (text, background)
    finally:
        tab.close()


@pytest.mark.parametrize("name", list(VISITOR_PAGES))
def test_visitor_page_has_no_serious_axe_violation(helpdesk, name, browser, live_server):
    """Each visitor page, light and dark (the dark palette of support.css on a host that allows it)."""
    who, url = VISITOR_PAGES[name]
    failures = []
    for theme in THEMES:
        tab = open_themed_tab(browser, live_server, theme)
        try:
            if who:
                log_in(tab, helpdesk[who], live_server.url)
            page = tab.page
            if theme == "dark":
                # The host page declares that it supports a dark scheme, as a dark site's base template would.
                page.add_init_script(
                    "document.addEventListener('DOMContentLoaded', () => {"
                    " const meta = document.createElement('meta'); meta.name = 'color-scheme';"
                    " meta.content = 'light dark'; document.head.append(meta); });"
                )
            failures += axe_failures(tab, url(helpdesk), f"visitor {name}, {theme}")
            if theme == "dark":
                background = page.evaluate("getComputedStyle(document.querySelector('.ws')).backgroundColor")
                assert _luminance(background) < 0.1, f"{name}: the dark palette is not on (.ws background {background})"
        finally:
            tab.close()
    assert not failures, "\n\n".join(failures)


def _luminance(css_colour):
    """The relative luminance (WCAG) of an ``rgb()``/``rgba()``/``color(srgb ...)`` value of getComputedStyle."""
    import re

    numbers = [float(n) for n in re.findall(r"[\d.]+", css_colour)[:3]]
    if css_colour.startswith("color("):
        numbers = [n * 255 for n in numbers]

    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(n) for n in numbers)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue

