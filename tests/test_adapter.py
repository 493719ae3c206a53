"""A site overrides the adapter's seams (``tests.site_adapter.SiteAdapter``) instead of forking the package:
who gets which mail, how a mail is rendered, a ticket's public address, the team of a new ticket. What it
returns stays inside the product's rules: an internal note never reaches a requester's address."""

import pytest
from django.core import mail

from tests import factories
from tests.site_adapter import ON_CALL, SiteAdapter
from wagtail_support import workflow
from wagtail_support.adapter import DefaultSupportAdapter, get_adapter
from wagtail_support.models import OutboundMail, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_adapter(settings):
    settings.WAGTAILSUPPORT_ADAPTER = "tests.site_adapter.SiteAdapter"
    adapter = get_adapter()
    yield adapter
    adapter.leak_notes_to = None


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


def test_the_default_adapter_is_used_without_a_setting():
    assert type(get_adapter()) is DefaultSupportAdapter


def test_the_setting_chooses_the_class(site_adapter):
    assert isinstance(site_adapter, SiteAdapter)
    assert get_adapter() is site_adapter  # one instance per class


def test_recipients_an_urgent_ticket_also_goes_to_the_on_call_address(site_adapter, requester, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        urgent = factories.open_ticket(requester, category=category, priority=Ticket.Priority.URGENT)
        factories.open_ticket(requester, category=category, subject="Not urgent")

    [on_call] = sent_to(ON_CALL)
    assert urgent.reference in on_call.subject
    assert OutboundMail.objects.get(recipient=ON_CALL).audience == "agent"
    # The default recipients are still there: the requester's confirmation.
    assert len(sent_to(requester.email)) == 2


@pytest.mark.parametrize("audience", ["requester", "agent"])
def test_recipients_an_adapter_cannot_send_an_internal_note_outside_the_team(
    site_adapter, ticket, agent, colleague, outsider_agent, audience, django_capture_on_commit_callbacks
):
    site_adapter.leak_notes_to = [
        ("partner@example.org", audience),  # an outsider, whatever the adapter calls them
        (outsider_agent.email, audience),  # an agent, but of another team
        (colleague.email, audience),  # an agent of the ticket's team: told only as an agent
    ]
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reply(ticket, by=agent, body="Internal: the customer owes us two invoices.", internal=True)

    assert sent_to("partner@example.org") == [] and sent_to(outsider_agent.email) == []
    assert not OutboundMail.objects.filter(recipient__in=["partner@example.org", outsider_agent.email]).exists()
    # The team's agent is recorded as a recipient only as an agent (the package ships no template for
    # this event: a site that mails notes provides ``mail/agent/internal_note*``).
    assert OutboundMail.objects.filter(recipient=colleague.email).exists() == (audience == "agent")


def test_render_mail_the_site_brands_every_mail(site_adapter, requester, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.open_ticket(requester, category=category)

    [confirmation] = sent_to(requester.email)
    assert confirmation.subject.startswith("[ACME] ")
    assert ticket.reference in confirmation.subject
    assert confirmation.body.rstrip().endswith("ACME support, 24/7")


def test_ticket_url_the_requester_is_sent_to_the_site_address(site_adapter, requester, category, support_page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.open_ticket(requester, category=category)

    [confirmation] = sent_to(requester.email)
    assert f"https://help.acme.example/tickets/{ticket.number}/?t=" in confirmation.body
    # Not the support page's own address: the site chose.
    assert support_page.get_full_url() not in confirmation.body


def test_team_for_new_ticket_the_site_routes_invoices_to_billing(site_adapter, requester, category, team, other_team):
    invoice = factories.open_ticket(requester, category=category, subject="Invoice 2026-11 is wrong")
    other = factories.open_ticket(requester, category=category, subject="Cannot log in")
    given = workflow.open_ticket(
        by=None, subject="Invoice copy", description="d", requester=requester, team=team
    )

    assert invoice.team == other_team
    assert other.team == team  # the catalog entry's team, as by default
    assert given.team == team  # a team given by the caller is never overridden
