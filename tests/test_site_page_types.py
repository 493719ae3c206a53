"""A site's own support page type (``tests.site_app.CompanySupportPage``, on ``AbstractSupportPage``).

The test settings list the site's app before ``wagtail_support``, as a site may: the package loads in that
order (the whole suite runs so), and every mail about a ticket links to the site's own support page, for
tickets opened on it, by mail or by an agent alike.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from wagtail.models import Site

from tests import factories
from tests.site_app.models import CompanySupportPage
from wagtail_support import links, workflow
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def company_page(db):
    site = Site.objects.get(is_default_site=True)
    page = CompanySupportPage(title="Help centre", slug="help", hotline="+33 1 23 45 67 89")
    site.root_page.add_child(instance=page)
    return CompanySupportPage.objects.get(pk=page.pk)


def test_the_site_app_is_listed_before_the_package():
    apps = settings.INSTALLED_APPS
    assert apps.index("tests.site_app") < apps.index("wagtail_support")


def test_a_fresh_process_loads_a_site_app_listed_first():
    # Django imports the models of the apps in their order: the site's models import wagtail_support.pages
    # before wagtail_support's own models are loaded (a partially initialised module before the layers).
    code = (
        "import django; django.setup(); "
        "from django.apps import apps; "
        "print(apps.get_model('site_app', 'CompanySupportPage').__mro__[1].__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "example_site.settings.test", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "AbstractSupportPage"


def test_the_site_page_type_is_a_support_page(company_page):
    assert CompanySupportPage in links.support_page_models()
    ticket = factories.open_ticket(subject="Printer", requester_name="Ann", requester_email="ann@example.com")
    assert links.support_page_for(ticket) == company_page


@pytest.mark.parametrize("channel", [Ticket.Channel.EMAIL, Ticket.Channel.PHONE])
def test_mail_about_a_ticket_opened_elsewhere_links_to_the_site_page(company_page, agent, team, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = workflow.open_ticket(
            by=agent,
            subject="Scanner jammed",
            description="Paper stuck.",
            requester_name="Ann",
            requester_email="ann@example.com",
            channel=channel,
            team=team,
        )
    confirmation = next(m for m in mail.outbox if m.to == ["ann@example.com"])
    expected = company_page.get_full_url() + f"tickets/{ticket.number}/?t="
    assert expected in confirmation.body
    assert expected.replace("&", "&amp;") in confirmation.alternatives[0][0]


def test_a_draft_or_unpublished_site_page_is_not_linked(company_page):
    company_page.unpublish()
    ticket = factories.open_ticket(subject="Printer", requester_name="Ann", requester_email="ann@example.com")
    assert links.support_page_for(ticket) is None
    assert links.public_ticket_url(ticket, "token") == ""


def test_the_site_page_serves_the_ticket_form_and_opens_tickets(client, company_page, empty_cache):
    page = client.get(company_page.url)
    assert page.status_code == 200
    assert 'name="subject"' in page.content.decode()

    response = client.post(
        company_page.url,
        {"name": "Ann", "email": "ann@example.com", "subject": "Wifi down", "description": "Since noon.", "kind": "bug", "priority": "high"},
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Wifi down")
    assert ticket.submitted_from_id == company_page.pk
    assert links.support_page_for(ticket) == company_page
