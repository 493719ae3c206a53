"""Run by scripts/check_install.sh inside a fresh `wagtail start` site, through its own manage.py shell.

``INSTALL_CHECK_STEP=install``: after the README's install steps, as a site owner and a visitor would: a support page, a team
with an agent and a service catalog entry, a ticket submitted by a real POST to the page (with the form's
hidden fields, as a browser sends them), the ticket resolved through the workflow; then every mail's
sender and every link in the mails are checked against the README's settings.

``INSTALL_CHECK_STEP=uninstalled``: after the README's uninstall steps: the app's tables, content types and groups are gone,
and the site still serves its home page.

Mail is caught by Django's test environment (the locmem backend, whatever the README's backend is).
"""

import os
import re
import sys

from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()

# What the README's settings and Site step say (scripts/check_install.sh fails if they change without this).
SITE_HOST = "www.example.org"
SENDER = "Support <support@example.org>"
LINK = re.compile(r"https?://[^\s\"'<>)]+")


def fail(message):
    print(f"install check FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def hidden_fields(html):
    """The hidden inputs of the page's forms (CSRF, one-time token, where the visitor came from)."""
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(r"""type=["']?hidden""", tag):
            name = re.search(r"""name=["']([^"']+)""", tag)
            value = re.search(r"""value=["']([^"']*)""", tag)
            if name:
                fields[name.group(1)] = value.group(1) if value else ""
    return fields


def install():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core import mail
    from wagtail.models import Site

    from wagtail_support import workflow
    from wagtail_support.groups import AGENTS
    from wagtail_support.models import Category, ResolutionCode, Team, Ticket
    from wagtail_support.pages import SupportPage

    check(settings.DEFAULT_FROM_EMAIL == SENDER, f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}")
    site = Site.objects.get(is_default_site=True)
    check((site.hostname, site.port) == (SITE_HOST, 443), f"the default Site is {site.hostname}:{site.port}")

    page = SupportPage(title="Support", slug="support", intro="<p>Tell us what went wrong.</p>")
    site.root_page.add_child(instance=page)
    page.save_revision().publish()

    team = Team.objects.create(name="Helpdesk", slug="helpdesk", contact_email="helpdesk@example.org")
    category = Category.objects.create(name="Accounts", default_team=team)
    agent = get_user_model().objects.create_user(
        "alice", "alice@example.org", "a-long-password-1", first_name="Alice", is_active=True
    )
    agent.groups.add(Group.objects.get(name=AGENTS))
    team.members.add(agent)

    client = Client(HTTP_HOST=SITE_HOST, secure=True)
    url = page.get_url(request=None)
    check(url == "/support/", f"the support page's URL is {url!r}")
    shown = client.get(url)
    check(shown.status_code == 200, f"GET {url} answered {shown.status_code}")
    data = hidden_fields(shown.content.decode())
    data.update(
        name="Ann Onymous",
        email="ann@example.net",
        subject="The export button does nothing",
        description="I click Export and nothing happens.",
        kind=Ticket.Kind.BUG,
        priority=Ticket.Priority.NORMAL,
        category=str(category.pk),
    )
    data.pop("website", None)  # the honeypot stays empty
    posted = client.post(url, data)
    check(posted.status_code in (302, 303), f"POST {url} answered {posted.status_code}: {posted.content[:2000]!r}")
    ticket = Ticket.objects.get()
    check(ticket.team_id == team.pk, "the ticket did not go to the team of its service catalog entry")
    print(f"  ticket {ticket.reference} submitted through the page ({posted['Location']})")

    code = ResolutionCode.objects.filter(is_active=True).exclude(code="no-follow-up").order_by("sort_order").first()
    check(code is not None, "no resolution code to resolve with on a fresh install")
    workflow.resolve(ticket, code=code, solution="The export works again after the update.", by=agent)
    ticket.refresh_from_db()
    check(ticket.status == Ticket.Status.CLOSED, f"the ticket is {ticket.status} after resolving")

    sent = list(mail.outbox)
    to_requester = [m for m in sent if "ann@example.net" in m.to]
    to_agent = [m for m in sent if "alice@example.org" in m.to or "helpdesk@example.org" in m.to]
    check(len(to_requester) >= 2, f"the requester got {len(to_requester)} mails (confirmation and resolution expected)")
    check(to_agent, "no agent was told about the new ticket")
    for message in sent:
        check(message.from_email == SENDER, f"a mail to {message.to} is from {message.from_email!r}")
        texts = [message.body] + [content for content, _type in getattr(message, "alternatives", [])]
        links = {link.rstrip(".,;") for text in texts for link in LINK.findall(text)}
        ours = [link for link in links if not link.startswith(("http://www.w3.org", "https://www.w3.org"))]
        check(ours, f"the mail {message.subject!r} has no link")
        for link in ours:
            check(link.startswith(f"https://{SITE_HOST}/"), f"the mail {message.subject!r} links to {link}")
    requester_links = [link for m in to_requester for link in LINK.findall(m.body)]
    check(any(f"/support/tickets/{ticket.number}/" in link for link in requester_links), "no link to the ticket's page")
    agent_links = [link for m in to_agent for link in LINK.findall(m.body)]
    check(any("/admin/" in link for link in agent_links), "no link to the admin in the agent's mail")
    print(f"  {len(sent)} mails, all from {SENDER}, every link on https://{SITE_HOST}/")

    # The REST API, as the README's URLs mount it: nothing without a token, the agent's ticket with one, and
    # the documentation page served from the site's own static files.
    from wagtail_support.models import ApiToken

    api = "/api/support/v1/"
    refused = client.get(f"{api}tickets/")
    check(refused.status_code == 401, f"GET {api}tickets/ without a token answered {refused.status_code}")
    _row, token = ApiToken.objects.issue(agent, name="install check", access="read")
    # The ticket is resolved by now: the "all" view (the default one leaves closed tickets out, as the inbox does).
    listed = Client(HTTP_HOST=SITE_HOST, secure=True, HTTP_AUTHORIZATION=f"Bearer {token}").get(f"{api}tickets/?view=all")
    check(listed.status_code == 200, f"GET {api}tickets/?view=all with a token answered {listed.status_code}")
    numbers = [row["number"] for row in listed.json()["results"]]
    check(numbers == [ticket.number], f"the API listed {numbers}, not the ticket {ticket.number}")
    docs = client.get(f"{api}docs/")
    check(docs.status_code == 200, f"GET {api}docs/ answered {docs.status_code}")
    outside = [url for url in LINK.findall(docs.content.decode()) if SITE_HOST not in url]
    check(not outside, f"the API's documentation page loads from another host: {outside}")
    print(f"  the API lists the ticket for the agent's token and refuses a request without one")


def uninstalled():
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    check(not [t for t in connection.introspection.table_names() if t.startswith("wagtail_support_")], "tables left")
    check(not ContentType.objects.filter(app_label="wagtail_support").exists(), "content types left")
    from django.contrib.auth.models import Group

    check(not Group.objects.filter(name__in=["Support agents", "Support supervisors"]).exists(), "groups left")
    home = Client(HTTP_HOST=SITE_HOST, secure=True).get("/")
    check(home.status_code == 200, f"the home page answers {home.status_code} after the uninstall")
    print("  uninstalled: no table, content type or group of wagtail_support left; the home page is served")


{"install": install, "uninstalled": uninstalled}[os.environ.get("INSTALL_CHECK_STEP", "install")]()
