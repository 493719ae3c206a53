"""Merging a ticket into another (``workflow.merge``, the workspace's "Merge into…"): the conversation,
its attachments and its mail threads move; the merged ticket closes with a pointer; its links and its
reply address lead to the ticket that goes on; both requesters are told (a setting); history on both; the
source's requester follows the target; internal notes stay internal; refusals change nothing.
"""

import io
import re

import pytest
from anymail.inbound import AnymailInboundMessage
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from wagtail.log_actions import registry

from tests import factories
from wagtail_support import access, inbound, workflow
from wagtail_support.models import Attachment, InboundMail, Message, OutboundMail, Ticket, TicketFollower

pytestmark = pytest.mark.django_db

NOTE = "Internal: this customer's card was declined three times, do not mention it to them."
PREFIX = "wagtail_support.ticket."


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.WAGTAILSUPPORT_INBOUND_ADDRESS = "support@reply.example.com"
    settings.WAGTAILSUPPORT_INBOUND_UNKNOWN_SENDER = "quarantine"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def png(name="screen.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


@pytest.fixture
def target(ticket):
    """Rita's ticket that goes on."""
    return ticket


@pytest.fixture
def duplicate(other_requester, category, agent, on_commit):
    """Otto's ticket about the same problem, with an attachment, an internal note and an agent's answer
    (mailed to Otto)."""
    with on_commit():
        source = factories.open_ticket(other_requester, subject="Login broken", description="Same here.", category=category)
        workflow.reply(source, by=other_requester, body="Here is a screenshot.", attachments=[png()])
        workflow.reply(source, by=agent, body=NOTE, internal=True)
        workflow.reply(source, by=agent, body="We are looking into it.")
    source.refresh_from_db()
    return source


def addressed_to(address, outbox=None):
    return [m for m in (mail.outbox if outbox is None else outbox) if address in m.to]


def actions(ticket):
    return [e.action.removeprefix(PREFIX) for e in registry.get_logs_for_instance(ticket).order_by("timestamp", "pk")]


def test_merge_moves_the_conversation_and_closes_the_source_with_a_pointer(duplicate, target, agent, on_commit):
    moving = set(duplicate.messages.values_list("pk", flat=True))
    dates = dict(duplicate.messages.values_list("pk", "created_at"))
    attachment = Attachment.objects.get(message__ticket=duplicate)
    mails = set(OutboundMail.objects.filter(ticket=duplicate).values_list("pk", flat=True))
    assert mails
    before = target.messages.count()

    with on_commit():
        result = workflow.merge(duplicate, target, by=agent)

    assert result == target
    duplicate.refresh_from_db()
    target.refresh_from_db()
    assert duplicate.status == Ticket.Status.CLOSED
    assert duplicate.close_reason == Ticket.CloseReason.MERGED
    assert duplicate.merged_into == target
    assert duplicate.closed_at is not None
    assert not duplicate.messages.exists()
    assert target.messages.count() == before + len(moving)
    assert set(target.messages.filter(pk__in=moving).values_list("pk", flat=True)) == moving
    # Each message keeps its date: the conversation interleaves by time.
    assert dict(Message.objects.filter(pk__in=moving).values_list("pk", "created_at")) == dates
    attachment.refresh_from_db()
    assert attachment.message.ticket == target
    # The mail threads: the records of the source's mails now belong to the target.
    assert set(OutboundMail.objects.filter(pk__in=mails).values_list("ticket", flat=True)) == {target.pk}
    # Internal notes move but stay internal.
    assert target.messages.internal().filter(body=NOTE).exists()
    assert target.status == Ticket.Status.OPEN


def test_history_on_both_tickets(duplicate, target, agent, client):
    workflow.merge(duplicate, target, by=agent)

    assert actions(duplicate)[-2:] == ["merge", "status"]
    assert actions(target)[-1] == "merged_from"
    (into,) = [e for e in registry.get_logs_for_instance(duplicate) if e.action == PREFIX + "merge"]
    (came,) = [e for e in registry.get_logs_for_instance(target) if e.action == PREFIX + "merged_from"]
    assert str(into.message) == f"Merged into {target.reference}"
    assert str(came.message) == f"{duplicate.reference} merged into this ticket (4 messages moved)"
    client.force_login(agent)
    page = client.get(reverse("wagtail_support_admin:ticket_history", args=[target.pk]))
    assert f"{duplicate.reference} merged into this ticket" in page.content.decode()


def test_both_requesters_are_told(duplicate, target, agent, on_commit):
    mark = len(mail.outbox)
    with on_commit():
        workflow.merge(duplicate, target, by=agent)

    sent = mail.outbox[mark:]
    (to_source,) = addressed_to("other_requester@example.com", sent)
    (to_target,) = addressed_to("requester@example.com", sent)
    assert f"Merged into {target.reference}" in to_source.subject
    assert f"was merged into ticket {target.reference}" in to_source.body
    assert f"Ticket {duplicate.reference}, about the same request, was merged into your ticket {target.reference}" in to_target.body
    # Nobody else, and no agent, hears about it.
    assert len(sent) == 2
    # The source's requester is answered through the source's reply address (which leads to the target).
    assert f"+t{access._to36(duplicate.pk)}-" in to_source.reply_to[0]


def test_nobody_is_told_with_the_setting_off(duplicate, target, agent, on_commit, settings):
    settings.WAGTAILSUPPORT_MERGE_NOTIFY_REQUESTERS = False
    mark = len(mail.outbox)
    with on_commit():
        workflow.merge(duplicate, target, by=agent)
    assert mail.outbox[mark:] == []
    assert not OutboundMail.objects.filter(event="merged").exists()


def test_duplicates_of_one_requester_make_one_mail_and_no_follower(ticket, requester, category, agent, on_commit):
    source = factories.open_ticket(requester, subject="Again: cannot log in", category=category)
    mark = len(mail.outbox)
    with on_commit():
        workflow.merge(source, ticket, by=agent)
    assert len(addressed_to("requester@example.com", mail.outbox[mark:])) == 1
    assert not TicketFollower.objects.filter(ticket=ticket).exists()


def test_the_source_requester_follows_the_target(duplicate, target, agent):
    workflow.merge(duplicate, target, by=agent)

    (follower,) = TicketFollower.objects.filter(ticket=target)
    assert follower.email == "other_requester@example.com"
    assert follower.added_by == agent
    assert access.follows_by_merge(target, "other_requester@example.com")
    # Removed by an agent, the follower no longer reads the target.
    follower.delete()
    assert not access.follows_by_merge(target, "other_requester@example.com")


# By mail ---------------------------------------------------------------------------------------------------


def reply_mail(sender, *, to="support@reply.example.com", in_reply_to=None, body="It still fails this morning."):
    headers = [
        f"From: Otto Other <{sender}>",
        f"To: {to}",
        "Subject: Re: Login broken",
        f"Message-ID: <reply-{abs(hash((sender, to, in_reply_to, body)))}@mail.example.org>",
        "Date: Thu, 03 Dec 2026 09:00:00 +0000",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return AnymailInboundMessage.parse_raw_mime("\n".join(headers) + "\n\n" + body + "\n")


def test_a_reply_to_the_source_mail_lands_on_the_target(duplicate, target, agent, on_commit):
    answered = OutboundMail.objects.filter(ticket=duplicate, recipient="other_requester@example.com").latest("pk")
    workflow.merge(duplicate, target, by=agent)

    with on_commit():
        record = inbound.process(reply_mail("other_requester@example.com", in_reply_to=answered.internet_message_id))

    assert (record.status, record.ticket_id) == (InboundMail.Status.ADDED, target.pk)
    assert record.message.ticket_id == target.pk
    assert record.message.author_role == Message.AuthorRole.REQUESTER
    assert record.message.author_email == "other_requester@example.com"
    assert not record.message.is_internal
    duplicate.refresh_from_db()
    assert duplicate.status == Ticket.Status.CLOSED


def test_a_reply_through_the_source_reply_token_lands_on_the_target(duplicate, target, agent, on_commit):
    workflow.merge(duplicate, target, by=agent)
    token = access.make_reply_token(duplicate, "other_requester@example.com")

    with on_commit():
        record = inbound.process(reply_mail("other_requester@example.com", to=f"support+{token}@reply.example.com"))

    assert (record.status, record.ticket_id) == (InboundMail.Status.ADDED, target.pk)


def test_a_stranger_writing_to_the_source_reply_address_is_still_quarantined(duplicate, target, agent, on_commit):
    workflow.merge(duplicate, target, by=agent)
    token = access.make_reply_token(duplicate, "other_requester@example.com")

    with on_commit():
        record = inbound.process(reply_mail("mallory@evil.example", to=f"support+{token}@reply.example.com"))

    assert record.status == InboundMail.Status.QUARANTINED
    assert record.message is None


def test_a_merge_chain_is_followed_and_loops_stop(ticket, requester, category, agent):
    first = factories.open_ticket(requester, subject="One", category=category)
    second = factories.open_ticket(requester, subject="Two", category=category)
    workflow.merge(first, second, by=agent)
    workflow.merge(second, ticket, by=agent)
    first.refresh_from_db()
    # Flattened: what was merged into the second now points at the ticket that goes on.
    assert first.merged_into_id == ticket.pk
    # A loop written by hand stops the handler instead of spinning.
    Ticket.objects.filter(pk=ticket.pk).update(merged_into=first)
    ticket.refresh_from_db()
    assert inbound.handler.follow_merges(ticket).pk in {ticket.pk, first.pk}


# Visitor pages ---------------------------------------------------------------------------------------------


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def test_the_source_link_leads_to_the_target_without_its_internal_notes(duplicate, target, agent, support_page):
    workflow.merge(duplicate, target, by=agent)
    visitor = Client()
    token = access.make_link_token(duplicate, "other_requester@example.com")

    response = visitor.get(route(support_page, "ticket", number=duplicate.number) + f"?t={token}")
    assert response.status_code == 302
    response = visitor.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == route(support_page, "ticket", number=target.number)
    page = visitor.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "Here is a screenshot." in content
    assert "Cannot log in" in content
    assert NOTE not in content


def test_someone_who_may_not_see_the_target_stays_on_the_source(duplicate, target, agent, support_page):
    workflow.merge(duplicate, target, by=agent)
    # An agent removed the follower: the source's link opens the source only.
    TicketFollower.objects.filter(ticket=target).delete()
    visitor = Client()
    token = access.make_link_token(duplicate, "other_requester@example.com")
    visitor.get(route(support_page, "ticket", number=duplicate.number) + f"?t={token}")

    page = visitor.get(route(support_page, "ticket", number=duplicate.number))
    assert page.status_code == 200
    assert "This ticket was merged into another one." in page.content.decode()
    assert "Cannot log in" not in page.content.decode()
    # And the target stays closed to them.
    direct = visitor.get(route(support_page, "ticket", number=target.number))
    assert direct.status_code in (302, 404)


def test_a_link_token_of_the_target_for_a_stranger_opens_nothing(duplicate, target, agent):
    workflow.merge(duplicate, target, by=agent)
    assert access.ticket_role(None, target, access.make_link_token(target, "mallory@evil.example")) is None
    assert access.ticket_role(None, target, access.make_link_token(target, "other_requester@example.com")) == access.Role.LINK


# Refusals --------------------------------------------------------------------------------------------------


def unchanged(*tickets):
    return [(t.status, t.version, t.merged_into_id, t.messages.count()) for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk")]


def test_a_ticket_is_not_merged_into_itself(target, agent):
    with pytest.raises(workflow.InvalidInput):
        workflow.merge(target, target, by=agent)


def test_a_closed_target_is_refused(duplicate, target, agent, resolution_code):
    workflow.resolve(target, by=agent, code=resolution_code, solution="Reset the password.")
    before = unchanged(duplicate, target)
    with pytest.raises(workflow.IllegalTransition, match="reopen it before merging"):
        workflow.merge(duplicate, target, by=agent)
    assert unchanged(duplicate, target) == before


def test_an_agent_who_does_not_work_both_is_refused(duplicate, target, outsider_agent, requester, other_team, agent):
    before = unchanged(duplicate, target)
    with pytest.raises(workflow.NotAllowed):
        workflow.merge(duplicate, target, by=outsider_agent)
    with pytest.raises(workflow.NotAllowed):
        workflow.merge(duplicate, target, by=requester)
    elsewhere = factories.open_ticket(requester, subject="Billing", team=other_team)
    with pytest.raises(workflow.NotAllowed):
        workflow.merge(duplicate, elsewhere, by=agent)
    assert unchanged(duplicate, target) == before


def test_a_second_merge_of_the_same_source_is_refused(duplicate, target, agent, requester, category):
    workflow.merge(duplicate, target, by=agent)
    third = factories.open_ticket(requester, subject="Third", category=category)
    with pytest.raises(workflow.IllegalTransition, match="already been merged"):
        workflow.merge(duplicate, third, by=agent)
    assert not third.messages.exclude(body=third.description).exists()


def test_internal_note_of_the_source_never_reaches_the_target_requester(duplicate, target, agent, on_commit, support_page, client, requester):
    with on_commit():
        workflow.merge(duplicate, target, by=agent)
        workflow.reply(target, by=agent, body="Both of you: it is fixed now.")
    for sent in addressed_to("requester@example.com") + addressed_to("other_requester@example.com"):
        assert NOTE not in sent.body
    client.force_login(requester)
    page = client.get(route(support_page, "ticket", number=target.number))
    assert page.status_code == 200
    assert NOTE not in page.content.decode()
    assert "Here is a screenshot." in page.content.decode()


# The admin -------------------------------------------------------------------------------------------------


def merge_url(ticket):
    return reverse("wagtail_support_admin:ticket_merge", args=[ticket.pk])


def test_workspace_offers_merge_and_the_page_lists_the_requester_other_tickets(ticket, requester, category, agent, client):
    other = factories.open_ticket(requester, subject="Second request", category=category)
    client.force_login(agent)
    workspace = client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content.decode()
    assert merge_url(ticket) in workspace

    page = client.get(merge_url(ticket))
    assert page.status_code == 200
    content = page.content.decode()
    assert f'value="{other.number}"' in content
    assert "Second request" in content


def test_admin_merge_asks_first_then_merges(duplicate, target, agent, client):
    client.force_login(agent)
    data = {"target": target.reference, "version": duplicate.version}

    summary = client.post(merge_url(duplicate), data)
    assert summary.status_code == 200
    content = re.sub(r"\s+", " ", summary.content.decode())
    assert f"Merge ticket {duplicate.reference} into {target.reference}?" in content
    assert "Login broken" in content and "Cannot log in" in content
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None

    done = client.post(merge_url(duplicate), {"choice": target.number, "version": duplicate.version, "confirm": "on"})
    assert done.status_code == 302
    assert done["Location"] == reverse("wagtail_support_admin:ticket", args=[target.pk])
    duplicate.refresh_from_db()
    assert duplicate.merged_into == target


def test_admin_merge_into_a_ticket_the_agent_does_not_work_is_refused(duplicate, requester, other_team, agent, outsider_agent, client):
    elsewhere = factories.open_ticket(requester, subject="Billing", team=other_team)
    client.force_login(agent)
    for number in (elsewhere.number, 999999):
        response = client.post(merge_url(duplicate), {"target": f"#{number}", "version": duplicate.version, "confirm": "on"})
        assert response.status_code == 400
        assert "Give the reference of a ticket that you work." in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    # An agent who does not work the source does not even see the page.
    client.force_login(outsider_agent)
    assert client.get(merge_url(duplicate)).status_code == 404
    assert client.post(merge_url(duplicate), {"target": str(elsewhere.number), "version": 1, "confirm": "on"}).status_code == 404


def test_the_source_requester_logged_in_is_led_to_the_target(duplicate, target, agent, support_page, other_requester):
    workflow.merge(duplicate, target, by=agent)
    visitor = Client()
    visitor.force_login(other_requester)

    response = visitor.get(route(support_page, "ticket", number=duplicate.number))
    assert response.status_code == 302
    assert response["Location"] == route(support_page, "ticket", number=target.number)
    page = visitor.get(response["Location"])
    assert page.status_code == 200
    assert NOTE not in page.content.decode()
    # Their reply on the target is a requester's public reply, in their own name.
    reply = visitor.post(route(support_page, "reply", number=target.number), {"body": "Thanks, it works now."})
    assert reply.status_code == 302
    message = target.messages.latest("pk")
    assert (message.body, message.author_email, message.is_internal) == (
        "Thanks, it works now.", "other_requester@example.com", False
    )
