"""Who a mail speaks for (invariant 7), and mail that must never make the webhook fail (invariant 9).

A mail's ``From:`` proves nothing. A mail from an agent's address is published as that agent's public reply
only with the agent's own reply token and DKIM/DMARC passing for the agent's domain, as the trusted receiving
host recorded them (``WAGTAILSUPPORT_INBOUND_AUTHSERV_IDS``); otherwise it waits in quarantine, or becomes an
internal note marked unverified. A requester's mail that fails DMARC, or both SPF and DKIM, waits in
quarantine; without a verdict, nothing changes. The attacks go through the handler here and through each
ESP's real webhook in ``inbound_webhook_cases.py``.
"""

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, EventType, inbound
from django.core import mail
from django.urls import reverse

from tests.inbound_webhook_cases import addressed_to, counts, since
from tests.test_mail_inbound import (  # noqa: F401 - the fixtures of the inbound tests
    TRUSTED_HOST,
    _settings,
    answered,
    authenticated,
    on_commit,
    receive,
    sample,
    token_of,
    trusted_host,
)
from wagtail_support import access, workflow
from wagtail_support.admin.viewsets import url_for
from wagtail_support.inbound import handler
from wagtail_support.inbound.authentication import parse, read_verdict
from wagtail_support.models import InboundMail, Message, Ticket

pytestmark = pytest.mark.django_db

PHISH = "Please log in at https://evil.example/login to unlock your account."


def agent_mail(thread, token, *, sender="Alice Agent <agent@example.com>", body=PHISH):
    return (
        f"From: {sender}\n"
        f"To: support+{token}@reply.example.com\n"
        f"Subject: RE: [#{thread.ticket.number}] Cannot log in\n"
        f"In-Reply-To: {thread.outbound.internet_message_id}\n"
        f"Message-ID: <agent-{token[:12]}@example.com>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    )


def requester_mail(thread, body="It works now, thank you."):
    return (
        "From: Rita Requester <requester@example.com>\n"
        f"To: {thread.reply_to}\n"
        f"Subject: Re: [#{thread.ticket.number}] Cannot log in\n"
        f"In-Reply-To: {thread.outbound.internet_message_id}\n"
        "Message-ID: <rita-reply@example.com>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    )


def agents_own_token(thread, agent):
    return access.make_reply_token(thread.ticket, recipient=agent.email)


# Reply tokens name their recipient -------------------------------------------------------------------------


def test_our_mails_carry_a_token_naming_their_recipient(answered, agent):
    token = access.open_reply_token(token_of(answered.reply_to))
    assert token.ticket_id == answered.ticket.pk
    assert token.names("requester@example.com") and token.names("Requester@Example.com")
    assert not token.names(agent.email)


def test_a_token_of_the_older_form_still_routes_and_names_nobody(answered, agent):
    value = f"t{access._to36(answered.ticket.pk)}-{access._to36(29_000_000)}"
    old = f"{value}-{access._reply_signature(value)}"
    token = access.open_reply_token(old, now=29_000_000 * 60)
    assert token.ticket_id == answered.ticket.pk and not token.names("requester@example.com")


def test_a_token_with_a_forged_recipient_tag_is_refused(answered, agent):
    good = agents_own_token(answered, agent)
    parts = good.split("-")
    parts[2] = access._recipient_tag("attacker@example.net")
    assert access.open_reply_token("-".join(parts)) is None


# Mail that claims to come from an agent --------------------------------------------------------------------


def test_the_forged_agent_attack_changes_nothing_and_mails_nobody(answered, agent, receive):
    """From: the agent, the ticket's reference in the subject, no token, no verdict (the attack as reported)."""
    ticket = answered.ticket
    raw = (
        "From: Alice Agent <agent@example.com>\nTo: support@reply.example.com\n"
        f"Subject: RE: [#{ticket.number}] Cannot log in\nMessage-ID: <forged@evil.example>\n\n{PHISH}\n"
    )
    before, mark = counts(ticket), len(mail.outbox)

    record = receive(raw)

    assert (record.status, record.reason, record.ticket) == (
        InboundMail.Status.QUARANTINED, InboundMail.Reason.UNVERIFIED_AGENT, ticket,
    )
    assert "without a reply token of ours" in record.note and "gave no verdict" in record.note
    assert counts(ticket) == before and since(mark) == []
    assert not Message.objects.filter(body__contains="evil.example").exists()


@pytest.mark.usefixtures("trusted_host")
def test_an_agent_address_with_the_requesters_token_is_not_the_agents_reply(answered, receive):
    """A mail we sent to the requester, answered with the agent's address (a forward, or a forgery that got
    hold of the requester's token): even with DKIM passing, it is not the agent's own token."""
    before = counts(answered.ticket)
    record = receive(authenticated(agent_mail(answered, answered.values["token"])))

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.UNVERIFIED_AGENT)
    assert "sent to someone else" in record.note
    assert counts(answered.ticket) == before


@pytest.mark.usefixtures("trusted_host")
@pytest.mark.parametrize("verdict", ["fail", "softfail", "none"])
def test_an_agents_own_token_without_dkim_and_dmarc_passing_is_not_enough(answered, agent, receive, verdict):
    before = counts(answered.ticket)
    record = receive(authenticated(agent_mail(answered, agents_own_token(answered, agent)), verdict=verdict))

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.UNVERIFIED_AGENT)
    assert "DKIM/DMARC did not pass for example.com" in record.note
    assert record.authentication["dmarc"] == verdict
    assert counts(answered.ticket) == before


@pytest.mark.usefixtures("trusted_host")
def test_a_verdict_of_another_host_is_never_read(answered, agent, receive):
    """The sender wrote an Authentication-Results header saying "pass": not the trusted host's."""
    raw = authenticated(agent_mail(answered, agents_own_token(answered, agent)), authserv_id="mx.attacker.example")

    record = receive(raw)

    assert record.reason == InboundMail.Reason.UNVERIFIED_AGENT
    assert record.authentication == {}


def test_without_a_trusted_host_no_verdict_is_read(answered, agent, receive):
    record = receive(authenticated(agent_mail(answered, agents_own_token(answered, agent))))

    assert record.reason == InboundMail.Reason.UNVERIFIED_AGENT and record.authentication == {}


@pytest.mark.usefixtures("trusted_host")
def test_an_agents_proven_mail_is_their_public_reply(answered, agent, receive):
    mark = len(mail.outbox)
    record = receive(authenticated(agent_mail(answered, agents_own_token(answered, agent), body="Fixed on our side.")))

    assert record.status == InboundMail.Status.ADDED
    assert (record.message.author_user, record.message.visibility) == (agent, Message.Visibility.PUBLIC)
    assert [m.to for m in since(mark)] == [["requester@example.com"]]


def test_an_unverified_agent_mail_can_be_kept_as_an_internal_note(answered, agent, resolution_code, receive, settings):
    settings.WAGTAILSUPPORT_INBOUND_UNVERIFIED_AGENT = "internal_note"
    ticket = answered.ticket
    workflow.resolve(ticket, code=resolution_code, solution="Password reset.", by=agent)
    mark = len(mail.outbox)

    record = receive(agent_mail(answered, answered.values["token"]))

    assert (record.status, record.reason) == (InboundMail.Status.ADDED, InboundMail.Reason.UNVERIFIED_AGENT)
    note = record.message
    assert (note.visibility, note.unverified, note.author_user) == (Message.Visibility.INTERNAL, True, None)
    assert note.author_name == "Alice Agent" and PHISH in note.body
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED  # a note reopens nothing
    assert addressed_to(since(mark), "requester@example.com") == []


def test_only_an_internal_note_can_be_marked_unverified(ticket, agent):
    with pytest.raises(workflow.InvalidInput):
        workflow.reply(ticket, by=agent, body="Hi", unverified=True)


# Mail from a requester --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("trusted_host")
@pytest.mark.parametrize(
    "results",
    [
        "spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=fail header.from=example.com",
        "spf=fail smtp.mailfrom=example.com; dkim=fail header.d=example.com",
        "spf=softfail smtp.mailfrom=example.com; dkim=permerror header.d=example.com; dmarc=none header.from=example.com",
    ],
)
def test_a_requester_mail_that_fails_authentication_waits_in_quarantine(answered, receive, results):
    before, mark = counts(answered.ticket), len(mail.outbox)

    record = receive(f"Authentication-Results: {TRUSTED_HOST}; {results}\n" + requester_mail(answered))

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.FAILED_AUTHENTICATION)
    assert "could not authenticate requester@example.com" in record.note
    assert record.raw and counts(answered.ticket) == before and since(mark) == []


@pytest.mark.usefixtures("trusted_host")
@pytest.mark.parametrize(
    "results",
    [
        "spf=fail smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com",
        "spf=pass smtp.mailfrom=example.com; dkim=none",
        "spf=none; dkim=none; dmarc=none header.from=example.com",
    ],
)
def test_a_requester_mail_that_does_not_fail_is_added(answered, receive, results):
    record = receive(f"Authentication-Results: {TRUSTED_HOST}; {results}\n" + requester_mail(answered))

    assert record.status == InboundMail.Status.ADDED and record.message.author_role == Message.AuthorRole.REQUESTER


def test_without_a_verdict_a_requester_mail_is_added_as_before(answered, receive):
    record = receive(requester_mail(answered))

    assert record.status == InboundMail.Status.ADDED


@pytest.mark.usefixtures("trusted_host", "team")
def test_a_new_ticket_in_the_name_of_an_address_that_did_not_send_it_is_held(receive):
    raw = (
        f"Authentication-Results: {TRUSTED_HOST}; spf=fail smtp.mailfrom=victim.example; dmarc=fail header.from=victim.example\n"
        "From: Victor Victim <victor@victim.example>\nTo: support@reply.example.com\nSubject: Delete my account\n"
        "Message-ID: <spoofed@attacker.example>\n\nPlease delete everything.\n"
    )

    record = receive(raw)

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.FAILED_AUTHENTICATION)
    assert not Ticket.objects.filter(requester_email="victor@victim.example").exists()
    assert addressed_to(mail.outbox, "victor@victim.example") == []


def test_the_supervisor_sees_why_a_mail_was_held(answered, supervisor, receive, client, trusted_host):
    record = receive(authenticated(agent_mail(answered, answered.values["token"]), verdict="fail"))
    client.force_login(supervisor)

    page = client.get(url_for(InboundMail, "inspect", record.pk)).content.decode()

    assert "Claims to come from an agent, not proven" in page
    assert "sent to someone else" in page
    assert f"spf=fail dkim=fail dmarc=fail ({TRUSTED_HOST})" in page


# Reading the verdict -----------------------------------------------------------------------------------------


def test_parse_reads_the_results_and_ignores_comments():
    authserv_id, results = parse(
        "mx.google.com; dkim=pass (test mode) header.i=@example.com header.s=s1; "
        "spf=pass (google.com: domain of a@example.com designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@example.com; "
        "dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"
    )
    assert authserv_id == "mx.google.com"
    assert [(method, result) for method, result, _props in results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert results[0][2]["header.i"] == "@example.com" and results[2][2]["header.from"] == "example.com"


def test_the_topmost_header_of_the_trusted_host_is_the_one_read():
    message = AnymailInboundMessage.parse_raw_mime(
        f"Authentication-Results: {TRUSTED_HOST}; dmarc=fail header.from=example.com\n"
        f"Authentication-Results: {TRUSTED_HOST}; dmarc=pass header.from=example.com\n"
        "From: a@example.com\n\nHi\n"
    )
    verdict = read_verdict(message, [TRUSTED_HOST])
    assert verdict.dmarc == "fail" and verdict.failed
    assert not read_verdict(message, []).known


def test_dkim_of_a_parent_domain_counts_for_a_subdomain_only():
    message = AnymailInboundMessage.parse_raw_mime(
        f"Authentication-Results: {TRUSTED_HOST}; dkim=pass header.d=example.com\nFrom: a@mail.example.com\n\nHi\n"
    )
    verdict = read_verdict(message, [TRUSTED_HOST])
    assert verdict.passes_for("a@mail.example.com") and verdict.passes_for("b@example.com")
    assert not verdict.passes_for("a@notexample.com") and not verdict.passes_for("a@example.com.evil.example")


# Never a 500 for a mail (invariant 9) -----------------------------------------------------------------------


def test_an_event_without_a_message_is_recorded_once(db):
    event = AnymailInboundEvent(event_type=EventType.INBOUND, event_id="evt-no-email-id", esp_event={"type": "email.received"})

    inbound.send(sender=object, event=event, esp_name="Resend")
    inbound.send(sender=object, event=event, esp_name="Resend")

    record = InboundMail.objects.get()
    assert (record.status, record.reason, record.esp_name) == (InboundMail.Status.FAILED, InboundMail.Reason.ERROR, "Resend")
    assert "no message" in record.note and "email.received" in record.raw


def test_any_error_while_reading_a_mail_is_recorded_with_the_mail(answered, monkeypatch):
    def broken(message):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(handler, "recipients_of", broken)  # a fault injected where the mail is read
    message = AnymailInboundMessage.parse_raw_mime(requester_mail(answered))
    event = AnymailInboundEvent(event_type=EventType.INBOUND, event_id="evt-1", message=message)

    inbound.send(sender=object, event=event, esp_name="Postmark")

    record = InboundMail.objects.get()
    assert record.status == InboundMail.Status.FAILED and "UnicodeDecodeError" in record.note
    assert "It works now, thank you." in record.raw


def test_a_post_anymail_cannot_read_is_recorded_and_answered_200(client):
    """Anymail's Postmark parser fails on an attachment without content: recorded, 200, never a 500."""
    payload = (
        '{"FromFull": {"Email": "a@example.com", "Name": ""}, "ToFull": [], "Headers": [], '
        '"Attachments": [{"Name": "broken@@@.bin", "ContentType": "application/octet-stream"}]}'
    )

    response = client.post(
        reverse("anymail:postmark_inbound_webhook"), data=payload, content_type="application/json",
        HTTP_AUTHORIZATION="Basic dGVzdHM6d2ViaG9vay1zZWNyZXQ=",
    )

    assert response.status_code == 200
    record = InboundMail.objects.get()
    assert record.status == InboundMail.Status.FAILED and "could not be read" in record.note
    assert "@@@" in record.raw


def test_a_supervisor_who_vouches_for_a_held_requester_mail_adds_it_to_the_ticket(answered, supervisor, receive, trusted_host, on_commit):
    held = receive(f"Authentication-Results: {TRUSTED_HOST}; dmarc=fail header.from=example.com\n" + requester_mail(answered))
    assert held.status == InboundMail.Status.QUARANTINED

    with on_commit():
        result = handler.release(held)

    assert (result.status, result.ticket) == (InboundMail.Status.ADDED, answered.ticket)
    assert result.message.body == "It works now, thank you." and result.message.author_role == Message.AuthorRole.REQUESTER
    held.refresh_from_db()
    assert held.status == InboundMail.Status.RELEASED


def test_the_workspace_marks_an_unverified_note(answered, agent, receive, settings, client):
    settings.WAGTAILSUPPORT_INBOUND_UNVERIFIED_AGENT = "internal_note"
    record = receive(agent_mail(answered, answered.values["token"]))
    client.force_login(agent)

    page = client.get(reverse("wagtail_support_admin:ticket", args=[answered.ticket.pk])).content.decode()

    assert page.count("Unverified sender: a mail that claims to come from this agent") == 1
    assert f'id="message-{record.message.pk}"' in page


def test_a_resend_event_without_an_email_id_is_recorded_and_answered_200(client, settings):
    """Resend's inbound webhook gives no message when its event names no email (``data.email_id``): the
    real view, with basic auth, records it instead of failing on ``message=None``."""
    settings.ANYMAIL = {**settings.ANYMAIL, "RESEND_API_KEY": "re_tests_never_used"}
    event = '{"type": "email.received", "created_at": "2026-12-02T10:00:00Z", "data": {"from": "<>"}}'

    response = client.post(
        reverse("anymail:resend_inbound_webhook"), data=event, content_type="application/json",
        HTTP_AUTHORIZATION="Basic dGVzdHM6d2ViaG9vay1zZWNyZXQ=", HTTP_SVIX_ID="msg_no_email_id",
    )

    assert response.status_code == 200
    record = InboundMail.objects.get()
    assert (record.status, record.esp_name) == (InboundMail.Status.FAILED, "Resend")
    assert "no message" in record.note and "email.received" in record.raw
