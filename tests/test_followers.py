"""People in copy of a ticket (followers) and the addresses proposed from a requester's Cc.

Agents add and remove followers from the workspace (POSTs through the workflow, logged); followers get the
public replies, each with their own signed link and reply token, never an internal note; their mail lands
on the ticket as theirs under the requester's trust rules; their link opens the ticket's public page while
they are in copy, and only that ticket. Addresses in Cc of a requester's mail are proposed, never added.
"""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.inbound_webhook_cases import addressed_to, counts, since
from tests.test_mail_inbound import (  # noqa: F401 - the fixtures of the inbound tests
    TRUSTED_HOST,
    _settings,
    answered,
    on_commit,
    receive,
    token_of,
    trusted_host,
)
from wagtail_support import access, workflow
from wagtail_support.models import CcSuggestion, InboundMail, Message, OutboundMail, TicketFollower
from wagtail_support.notifications.recipients import REQUESTER
from wagtail_support.notifications.render import RefusedMail, build_email

pytestmark = pytest.mark.django_db

COLLEAGUE = "bob.colleague@example.org"
NOTE = "Internal: the requester's account was flagged by fraud checks last week."


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def follower_url(ticket, name):
    return reverse(f"wagtail_support_admin:ticket_{name}", args=[ticket.pk])


def link_in(sent):
    """The signed link token of the ticket's address in a mail."""
    found = re.findall(r"\?t=([A-Za-z0-9_:\-.]+)", sent.body)
    assert found, sent.body
    return found[0]


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def followed(ticket, agent, on_commit, support_page):
    """``ticket`` with Bob Colleague in copy (his "you are in copy" mail sent)."""
    with on_commit():
        workflow.add_follower(ticket, agent, COLLEAGUE, "Bob Colleague")
    return ticket


# The moves, through the admin -----------------------------------------------------------------------------


def test_an_agent_adds_a_follower_from_the_workspace_who_is_mailed_their_link(agent_client, ticket, support_page, on_commit):
    with on_commit():
        response = agent_client.post(follower_url(ticket, "follower_add"), {"email": " Bob.Colleague@Example.org ", "name": "Bob"})

    assert response.status_code == 302 and response["Location"].endswith("#wsw-followers")
    follower = TicketFollower.objects.get(ticket=ticket)
    assert (follower.email, follower.name, follower.added_by.username) == (COLLEAGUE, "Bob", "agent")
    (sent,) = addressed_to(mail.outbox, COLLEAGUE)
    assert "You are in copy" in sent.subject and "Hello Bob," in sent.body
    assert access.read_link_token(link_in(sent)) == (ticket.pk, COLLEAGUE)
    assert access.open_reply_token(token_of(sent.reply_to[0])).names(COLLEAGUE)
    page = agent_client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content.decode()
    assert "People in copy" in page and COLLEAGUE in page


def test_removing_and_dismissing_go_through_the_workflow_and_are_logged(agent_client, followed):
    from wagtail.log_actions import registry

    CcSuggestion.objects.create(ticket=followed, email="carol@example.org", name="Carol")
    page = agent_client.get(reverse("wagtail_support_admin:ticket", args=[followed.pk])).content.decode()
    assert "Proposed from the requester" in page and 'value="carol@example.org"' in page and f'value="{COLLEAGUE}"' in page

    agent_client.post(follower_url(followed, "follower_remove"), {"email": COLLEAGUE})
    agent_client.post(follower_url(followed, "cc_dismiss"), {"email": "carol@example.org"})

    assert not TicketFollower.objects.filter(ticket=followed).exists()
    assert CcSuggestion.objects.get(ticket=followed).dismissed_at is not None
    actions = set(registry.get_logs_for_instance(followed).values_list("action", flat=True))
    assert {"wagtail_support.ticket.follower_added", "wagtail_support.ticket.follower_removed",
            "wagtail_support.ticket.cc_dismissed"} <= actions  # fmt: skip
    page = agent_client.get(reverse("wagtail_support_admin:ticket", args=[followed.pk])).content.decode()
    history = agent_client.get(reverse("wagtail_support_admin:ticket_history", args=[followed.pk])).content.decode()
    assert f"Put {COLLEAGUE} in copy" in history and f"Took {COLLEAGUE} out of copy" in history
    assert "Dismissed carol@example.org" in history
    # Neither has a button any more (the success messages name them).
    assert 'value="carol@example.org"' not in page and f'value="{COLLEAGUE}"' not in page


def test_adding_a_proposed_address_stops_proposing_it(agent_client, ticket, support_page):
    CcSuggestion.objects.create(ticket=ticket, email="carol@example.org", name="Carol")

    agent_client.post(follower_url(ticket, "follower_add"), {"email": "carol@example.org", "name": "Carol"})

    assert TicketFollower.objects.filter(ticket=ticket, email="carol@example.org").exists()
    assert not CcSuggestion.objects.filter(ticket=ticket).exists()


def test_the_moves_are_posts_with_a_csrf_token(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    assert client.get(follower_url(ticket, "follower_add")).status_code == 405
    assert client.post(follower_url(ticket, "follower_add"), {"email": COLLEAGUE}).status_code == 403
    assert not TicketFollower.objects.exists()


@pytest.mark.parametrize(
    "email, error",
    [
        ("not an address", "Enter a valid email address."),
        ("support@reply.example.com", "is an address of the support itself"),
        ("SUPPORT+anything@reply.example.com", "is an address of the support itself"),
        ("requester@example.com", "the requester's or the beneficiary's address"),
    ],
)
def test_refused_addresses(agent_client, ticket, email, error):
    response = agent_client.post(follower_url(ticket, "follower_add"), {"email": email}, follow=True)

    assert error in response.content.decode().replace("&#x27;", "'")
    assert not TicketFollower.objects.exists()


def test_a_follower_is_added_once(agent, followed):
    with pytest.raises(workflow.InvalidInput, match="already in copy"):
        workflow.add_follower(followed, agent, COLLEAGUE.upper())
    assert TicketFollower.objects.filter(ticket=followed).count() == 1


def test_only_agents_who_work_the_ticket_change_its_followers(client, ticket, requester, outsider_agent):
    client.force_login(outsider_agent)
    assert client.post(follower_url(ticket, "follower_add"), {"email": COLLEAGUE}).status_code == 404
    for person in (requester, outsider_agent):
        with pytest.raises(workflow.NotAllowed):
            workflow.add_follower(ticket, person, COLLEAGUE)
    assert not TicketFollower.objects.exists()


def test_a_removed_or_unknown_follower_cannot_be_removed_again(agent, ticket):
    with pytest.raises(workflow.InvalidInput, match="not in copy"):
        workflow.remove_follower(ticket, agent, COLLEAGUE)
    with pytest.raises(workflow.InvalidInput, match="not proposed"):
        workflow.dismiss_cc_suggestion(ticket, agent, COLLEAGUE)


# Mail to followers ----------------------------------------------------------------------------------------


def test_a_public_reply_reaches_the_follower_with_their_own_link_and_token(followed, agent, on_commit):
    mark = len(mail.outbox)
    with on_commit():
        workflow.reply(followed, by=agent, body="We reset your password.")

    sent = since(mark)
    (to_bob,) = addressed_to(sent, COLLEAGUE)
    (to_rita,) = addressed_to(sent, "requester@example.com")
    assert "We reset your password." in to_bob.body and "Hello Bob Colleague," in to_bob.body
    assert access.read_link_token(link_in(to_bob)) == (followed.pk, COLLEAGUE)
    assert access.read_link_token(link_in(to_rita)) == (followed.pk, "requester@example.com")
    bob_token = access.open_reply_token(token_of(to_bob.reply_to[0]))
    assert bob_token.ticket_id == followed.pk and bob_token.names(COLLEAGUE)
    assert not bob_token.names("requester@example.com")


def test_followers_hear_about_resolution_and_reopening_but_not_the_confirmation(followed, agent, resolution_code, on_commit):
    mark = len(mail.outbox)
    with on_commit():
        workflow.resolve(followed, by=agent, code=resolution_code, solution="Password reset.")
        workflow.reopen(followed, by=agent)

    events = list(OutboundMail.objects.filter(recipient=COLLEAGUE).order_by("pk").values_list("event", flat=True))
    assert events == ["follower_added", "resolved", "reopened"]
    assert len(addressed_to(since(mark), COLLEAGUE)) == 2
    assert OutboundMail.objects.filter(recipient=COLLEAGUE, event="opened").count() == 0


def test_an_internal_note_is_never_mailed_to_a_follower(followed, agent, on_commit):
    mark = len(mail.outbox)
    with on_commit():
        note = workflow.reply(followed, by=agent, body=NOTE, internal=True)

    assert addressed_to(since(mark), COLLEAGUE) == []
    assert not OutboundMail.objects.filter(recipient=COLLEAGUE, message=note).exists()


def test_the_last_guard_refuses_a_note_mailed_to_a_follower_whatever_recorded_it(followed, agent):
    note = workflow.reply(followed, by=agent, body=NOTE, internal=True)
    # The attack: a record made by hand (a buggy adapter, a site's own code) for the follower.
    forged = OutboundMail.objects.create(
        ticket=followed, message=note, event="agent_reply", audience=REQUESTER, recipient=COLLEAGUE,
        internet_message_id="<forged@example.com>",
    )  # fmt: skip

    with pytest.raises(RefusedMail):
        build_email(forged)


def test_an_adapter_that_lists_a_follower_for_a_note_is_overruled(followed, agent, on_commit, settings):
    settings.WAGTAILSUPPORT_ADAPTER = "tests.test_followers.LeakyAdapter"
    mark = len(mail.outbox)
    with on_commit():
        workflow.reply(followed, by=agent, body=NOTE, internal=True)
        public = workflow.reply(followed, by=agent, body="We reset your password.")

    # The adapter is the one at work: for the public reply it listed the follower as the team too.
    assert OutboundMail.objects.filter(recipient=COLLEAGUE, message=public, audience="agent").exists()
    assert [m for m in addressed_to(since(mark), COLLEAGUE) if NOTE in m.body] == []
    assert not OutboundMail.objects.filter(recipient=COLLEAGUE, message__visibility=Message.Visibility.INTERNAL).exists()


from wagtail_support.adapter import DefaultSupportAdapter  # noqa: E402 - the attacking adapter


class LeakyAdapter(DefaultSupportAdapter):
    """Lists every follower for every event, internal notes included, even as the team's audience."""

    def get_mail_recipients(self, event, ticket, **kwargs):
        found = list(super().get_mail_recipients(event, ticket, **kwargs))
        for email in ticket.followers.values_list("email", flat=True):
            found += [(email, "requester"), (email, "agent")]
        return found


# Mail from followers --------------------------------------------------------------------------------------


def follower_mail(ticket, token, sender=f"Bob Colleague <{COLLEAGUE}>", body="Rita is away; the login works for me now."):
    return (
        f"From: {sender}\n"
        f"To: support+{token}@reply.example.com\n"
        f"Subject: Re: [#{ticket.number}] Cannot log in\n"
        "Message-ID: <bob-reply@example.org>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    )


def test_a_followers_mail_lands_as_their_public_message(followed, receive):
    token = access.make_reply_token(followed, COLLEAGUE)

    record = receive(follower_mail(followed, token))

    assert record.status == InboundMail.Status.ADDED
    message = record.message
    assert message.visibility == Message.Visibility.PUBLIC and message.author_role == Message.AuthorRole.REQUESTER
    assert (message.author_email, message.author_name) == (COLLEAGUE, "Bob Colleague")
    assert "the login works for me now" in message.body


def test_a_removed_followers_mail_waits_like_a_strangers(followed, agent, receive):
    token = access.make_reply_token(followed, COLLEAGUE)
    workflow.remove_follower(followed, agent, COLLEAGUE)
    before = counts(followed)

    record = receive(follower_mail(followed, token))

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.UNKNOWN_SENDER)
    assert counts(followed) == before


@pytest.mark.usefixtures("trusted_host")
def test_a_followers_mail_that_fails_authentication_waits(followed, receive):
    token = access.make_reply_token(followed, COLLEAGUE)
    before = counts(followed)
    results = "spf=fail smtp.mailfrom=example.org; dkim=fail header.d=example.org; dmarc=fail header.from=example.org"

    record = receive(f"Authentication-Results: {TRUSTED_HOST}; {results}\n" + follower_mail(followed, token))

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.FAILED_AUTHENTICATION)
    assert counts(followed) == before


# Cc of a requester's mail ---------------------------------------------------------------------------------


def test_the_cc_of_a_requesters_mail_are_proposed_never_added(answered, agent, receive):
    ticket = answered.ticket
    TicketFollower.objects.create(ticket=ticket, email="already@example.org")
    raw = (
        "From: Rita Requester <requester@example.com>\n"
        f"To: {answered.reply_to}\n"
        "Cc: Carol Colleague <Carol@Example.org>, agent@example.com, support@reply.example.com,"
        " requester@example.com, already@example.org, carol@example.org\n"
        f"Subject: Re: [#{ticket.number}] Cannot log in\n"
        "Message-ID: <rita-cc@example.com>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "My colleague Carol knows more.\n"
    )

    record = receive(raw)

    assert record.status == InboundMail.Status.ADDED
    assert list(CcSuggestion.objects.filter(ticket=ticket).values_list("email", "name", "inbound_mail")) == [
        ("carol@example.org", "Carol Colleague", record.pk)
    ]
    assert list(TicketFollower.objects.filter(ticket=ticket).values_list("email", flat=True)) == ["already@example.org"]


def test_the_cc_of_someone_elses_mail_are_not_proposed(followed, receive):
    token = access.make_reply_token(followed, COLLEAGUE)
    raw = follower_mail(followed, token).replace("Message-ID:", "Cc: mallory@example.net\nMessage-ID:")

    record = receive(raw)

    assert record.status == InboundMail.Status.ADDED
    assert not CcSuggestion.objects.exists()


@pytest.mark.usefixtures("team")
def test_the_cc_of_a_mail_that_opens_a_ticket_are_proposed(receive):
    raw = (
        "From: Nina New <nina@example.com>\n"
        "To: support@reply.example.com\n"
        "Cc: Dan Desk <dan@example.com>\n"
        "Subject: Printer on fire\n"
        "Message-ID: <nina-new@example.com>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "It smokes.\n"
    )

    record = receive(raw)

    assert record.status == InboundMail.Status.OPENED
    assert list(record.ticket.cc_suggestions.values_list("email", flat=True)) == ["dan@example.com"]
    assert not record.ticket.followers.exists()


# The follower's signed link ------------------------------------------------------------------------------


def test_a_followers_link_opens_the_public_conversation_only(client, followed, agent, support_page):
    workflow.reply(followed, by=agent, body=NOTE, internal=True)
    workflow.reply(followed, by=agent, body="We reset your password.")
    token = access.make_link_token(followed, COLLEAGUE)

    response = client.get(route(support_page, "ticket", number=followed.number) + f"?t={token}")
    assert response.status_code == 302
    page = client.get(route(support_page, "ticket", number=followed.number)).content.decode()

    assert "We reset your password." in page and "Cannot log in" in page
    assert NOTE not in page


def test_a_followers_link_opens_no_other_ticket(client, followed, support_page, category):
    other = factories.open_ticket(requester_name="Bob", requester_email=COLLEAGUE, subject="Bob's own", category=category)
    secret = factories.open_ticket(requester_name="Zed", requester_email="zed@example.com", subject="Zed's secret", category=category)
    token = access.make_link_token(followed, COLLEAGUE)

    for target in (other, secret):
        response = client.get(route(support_page, "ticket", number=target.number) + f"?t={token}")
        assert response.status_code == 404
    assert access.ticket_role(None, secret, token) is None
    # A link naming the follower for the other ticket opens that one only because Bob is its requester.
    assert access.ticket_role(None, other, access.make_link_token(other, COLLEAGUE)) == access.Role.LINK


def test_a_removed_followers_link_stops_working(client, followed, agent, support_page):
    token = access.make_link_token(followed, COLLEAGUE)
    client.get(route(support_page, "ticket", number=followed.number) + f"?t={token}")
    assert client.get(route(support_page, "ticket", number=followed.number)).status_code == 200

    workflow.remove_follower(followed, agent, COLLEAGUE)

    # Remembered in the session or followed again: refused either way.
    assert client.get(route(support_page, "ticket", number=followed.number)).status_code in (302, 404)
    assert client.get(route(support_page, "ticket", number=followed.number) + f"?t={token}").status_code == 404
    assert access.ticket_role(None, followed, token) is None


def test_a_follower_cannot_act_as_the_requester(followed):
    actor = workflow.Actor(link_token=access.make_link_token(followed, COLLEAGUE))

    assert not access.can_act_as_requester(None, followed, actor.link_token)
    with pytest.raises(workflow.NotAllowed):
        workflow.close_by_requester(followed, by=actor)
    with pytest.raises(workflow.NotAllowed):
        workflow.reply(followed, by=actor, body="Closing it for Rita.")
