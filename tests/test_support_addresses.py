"""The support's own addresses are never a requester's (or a beneficiary's): its sender, its inbound address
(with or without a reply token), ``SERVER_EMAIL`` and every team's contact and incoming addresses. A ticket
for one of them would make the product mail itself; a mail from one of them is our own coming back.

Refused with a translated sentence where the address is typed (the visitor's form, "New ticket", the
workspace's requester form) and by the workflow whoever the caller is; what was typed is kept.
"""

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.test_admin_create import form_data
from tests.test_support_pages import ticket_data
from wagtail_support import access, workflow
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def addresses(settings, team):
    settings.WAGTAILSUPPORT_FROM_EMAIL = "Support <help@example.com>"
    settings.WAGTAILSUPPORT_INBOUND_ADDRESS = "support@reply.example.com"
    settings.SERVER_EMAIL = "root@example.com"
    team.contact_email = "helpdesk-team@example.com"
    team.inbound_email = "helpdesk@example.com"
    team.save()


OWN = [
    "help@example.com",
    "HELP@Example.com",
    "support@reply.example.com",
    "support+t1a-2b-3c@reply.example.com",
    "root@example.com",
    "helpdesk-team@example.com",
    "helpdesk@example.com",
]


@pytest.mark.parametrize("address", OWN)
def test_the_support_knows_its_own_addresses(address):
    assert access.is_support_address(address)


@pytest.mark.parametrize("address", ["paul@example.com", "help@example.org", "support@example.com", "", "not-an-address"])
def test_other_addresses_are_not_the_supports(address):
    assert not access.is_support_address(address)


@pytest.mark.parametrize("address", OWN)
def test_the_workflow_opens_no_ticket_for_them(address, agent):
    with pytest.raises(workflow.InvalidInput) as refused:
        workflow.open_ticket(by=agent, subject="s", description="d", requester_name="X", requester_email=address)
    assert refused.value.field == "requester_email" and "address of the support itself" in str(refused.value)
    with pytest.raises(workflow.InvalidInput) as refused:
        workflow.open_ticket(
            by=agent, subject="s", description="d", requester_email="paul@example.com", beneficiary_email=address
        )
    assert refused.value.field == "beneficiary_email"
    assert not Ticket.objects.exists()


def test_the_requester_of_a_ticket_cannot_become_one_of_them(ticket, agent):
    with pytest.raises(workflow.InvalidInput):
        workflow.change_people(ticket, by=agent, requester_email="helpdesk@example.com", requester_name="Desk")
    ticket.refresh_from_db()
    assert ticket.requester_email == "requester@example.com"


def test_the_visitor_form_refuses_them_and_keeps_what_was_typed(client, support_page, empty_cache):
    response = client.post(support_page.url, ticket_data(email="support@reply.example.com", description="My long story."))

    assert response.status_code == 200
    page = response.content.decode()
    assert "is an address of the support itself" in page
    assert "My long story." in page
    assert not Ticket.objects.exists() and mail.outbox == []


def test_new_ticket_refuses_them_in_french(client, agent):
    from wagtail.users.models import UserProfile

    UserProfile.get_for_user(agent)
    agent.wagtail_userprofile.preferred_language = "fr"
    agent.wagtail_userprofile.save()
    client.force_login(agent)

    response = client.post(reverse("wagtail_support_admin:ticket_create"), form_data(requester_email="help@example.com"))

    assert response.status_code == 200
    assert "est une adresse du support lui-même" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_mail_from_a_team_address_is_our_own_coming_back(requester, category, django_capture_on_commit_callbacks):
    from anymail.inbound import AnymailInboundMessage

    from wagtail_support.inbound import process
    from wagtail_support.models import InboundMail

    raw = "From: Helpdesk <helpdesk@example.com>\nTo: support@reply.example.com\nSubject: Hello\nMessage-ID: <x@example.com>\n\nHi\n"
    with django_capture_on_commit_callbacks(execute=True):
        record = process(AnymailInboundMessage.parse_raw_mime(raw))

    assert (record.status, record.reason) == (InboundMail.Status.IGNORED, InboundMail.Reason.LOOP)
    assert not Ticket.objects.filter(requester_email="helpdesk@example.com").exists() and mail.outbox == []
