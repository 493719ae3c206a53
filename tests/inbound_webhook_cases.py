"""Inbound mail through the ESPs' webhooks: the cases written once, run for every ESP.

Built the way django-anymail builds its own webhook tests (``tests/webhook_cases.py`` there): the base class
``InboundWebhookCases`` holds the tests every ESP must pass, and each ESP's test class (in
``tests/test_mail_inbound.py``) inherits them and only says how that ESP posts a mail:

- ``esp_name``: the name Anymail gives the ESP (what ``InboundMail.esp_name`` records);
- ``url_name`` (and ``url_args``): the route of Anymail's inbound webhook, as the example site includes
  ``anymail.urls`` at ``/anymail/``;
- ``payload(message, spam=False)``: the ESP's inbound post for a MIME message (``bytes``, ``str`` or an
  ``email.message.EmailMessage``), in the ESP's own format, signed where the ESP signs; ``spam=True`` is
  the same mail with the ESP's spam verdict set, for the ESPs that give one;
- ``json_payload``: whether the payload is posted as JSON (else as a multipart form);
- ``refusals`` and ``refused_post()``: the posts the webhook must refuse (no HTTP basic auth, the wrong
  secret, and for the ESPs that sign their posts: a bad signature);
- ``spam_verdict``: whether the ESP reports spam as a yes or no (then the spam test runs; otherwise it is
  skipped with ``no_spam_verdict``, the reason).

The mail delivered is ``reply_message()``: Rita Requester's reply, as Gmail sends it (``REPLY_MIME``, the
quote of our mail below her text, two files).

The shared tests use the fixtures of ``tests/test_mail_inbound.py``: ``answered`` (a ticket with an
internal note and an agent's answer mailed to Rita Requester, who now replies: ``.ticket``, ``.reply_to``,
``.values``), ``on_commit`` and pytest-django's ``client``.

The ESPs compute some fields themselves (Postmark's ``StrippedTextReply``, Mailgun's ``stripped-text``):
a payload built from a MIME message leaves them empty or out, as the ESP does when it finds no quote; the
application then cuts the quote itself. The payloads kept in ``tests/mail_samples/`` as the ESPs sent
them test those fields, in the ESP's own test class.
"""

import base64
import email
import email.policy
import json
from email.utils import getaddresses, parseaddr

import pytest
from anymail.inbound import AnymailInboundMessage
from django.core import mail
from django.urls import reverse

from wagtail_support.models import Attachment, InboundMail, Message, Ticket

BASIC_AUTH = "Basic " + base64.b64encode(b"tests:webhook-secret").decode()  # ANYMAIL["WEBHOOK_SECRET"]
WRONG_AUTH = "Basic " + base64.b64encode(b"tests:guessed-secret").decode()
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR4nGM8ISfHAANMDEgANwcANHYBDK9qubUAAAAASUVORK5CYII="
)
NOTES_TXT = b"Browser: Firefox 128\nOS: Windows 11\nAt 10:31\n"

# The requester's reply that every ESP delivers in the shared tests, as Gmail sends it: text and HTML, each
# with the quote of our mail below the reply, and two files (``reply_mime()`` fills in the thread).
REPLY_MESSAGE_ID = "<CAFx3kQ8webhook-reply-1@mail.gmail.com>"
REPLY_BODY = "The error page is attached.\nIt happens on every browser I tried."
REPLY_FILES = [("error page.png", "image/png", PNG), ("notes.txt", "text/plain", NOTES_TXT)]
REPLY_MIME = """\
Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])
        by mx.reply.example.com with ESMTPS id 7a1b2c3d4e5f for <{reply_to}>;
        Tue, 04 Mar 2025 10:31:06 +0000
MIME-Version: 1.0
From: Rita Requester <requester@example.com>
Date: Tue, 4 Mar 2025 11:31:05 +0100
Message-ID: {message_id}
In-Reply-To: {in_reply_to}
References: {in_reply_to}
Subject: Re: [#{number}] Cannot log in
To: Support <{reply_to}>
Content-Type: multipart/mixed; boundary="000000000000c2d1e0f9a8b7c6d5"

--000000000000c2d1e0f9a8b7c6d5
Content-Type: multipart/alternative; boundary="000000000000c2d1e0f9a8b7c6d3"

--000000000000c2d1e0f9a8b7c6d3
Content-Type: text/plain; charset="UTF-8"

The error page is attached.
It happens on every browser I tried.

On Tue, 4 Mar 2025 at 10:12, Support <support@example.com> wrote:
> ##- Please type your reply above this line -##
>
> Which browser do you use?

--000000000000c2d1e0f9a8b7c6d3
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">The error page is attached.<div>It happens on every browser I tried.</div></div><br>
<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, 4 Mar 2025 at 10:12, Support
&lt;support@example.com&gt; wrote:<br></div><blockquote class="gmail_quote">##- Please type your
reply above this line -##<br><br>Which browser do you use?</blockquote></div>

--000000000000c2d1e0f9a8b7c6d3--
--000000000000c2d1e0f9a8b7c6d5
Content-Type: image/png; name="error page.png"
Content-Disposition: attachment; filename="error page.png"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_m7u1x2a30

{png}
--000000000000c2d1e0f9a8b7c6d5
Content-Type: text/plain; charset="US-ASCII"; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_m7u1x2a41

{notes}
--000000000000c2d1e0f9a8b7c6d5--
"""


def reply_mime(thread):
    """Rita's reply to ``thread`` (our mail to her): the raw MIME bytes, CRLF line ends as over SMTP."""
    text = REPLY_MIME.format(
        reply_to=thread.reply_to,
        message_id=REPLY_MESSAGE_ID,
        in_reply_to=thread.values["in_reply_to"],
        number=thread.ticket.number,
        png=base64.b64encode(PNG).decode("ascii"),
        notes=base64.b64encode(NOTES_TXT).decode("ascii"),
    )
    return text.replace("\n", "\r\n").encode("ascii")


# Helpers shared with tests/test_mail_inbound.py ---------------------------------------------------------------


def since(mark):
    """The mails sent after ``mark`` (a length of the outbox)."""
    return mail.outbox[mark:]


def addressed_to(mails, address):
    return [m for m in mails if address in m.to]


def counts(ticket):
    """What a mail could change on a ticket: its status, its messages, its version."""
    ticket.refresh_from_db()
    return ticket.status, ticket.messages.count(), ticket.version


def check_email_reply(message, *, ticket, body, role, user=None, email=None):
    """A public message added by mail, with exactly this text and author."""
    assert message.ticket_id == ticket.pk
    assert message.body == body
    assert message.author_role == role
    assert message.author_user == user
    if email is not None:
        assert message.author_email == email
    assert message.visibility == Message.Visibility.PUBLIC
    assert message.channel == Ticket.Channel.EMAIL == "email"


# Reading a MIME message -------------------------------------------------------------------------------------


def raw_mime(message):
    """The MIME text of ``message``: bytes or str as they are, an ``EmailMessage`` as it goes over SMTP."""
    if isinstance(message, bytes):
        return message.decode("utf-8")
    if isinstance(message, str):
        return message
    # Serialising gives a multipart message its boundaries, once: the text is the same every time.
    return message.as_bytes(policy=email.policy.SMTP).decode("utf-8")


def as_email(message):
    """``message`` parsed as an ESP parses the mail it receives: an ``EmailMessage`` read from its text."""
    return email.message_from_bytes(raw_mime(message).encode("utf-8"), policy=email.policy.default)


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n") if text else text


def body_part(message, subtype):
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None and part.get_content_subtype() == subtype else ""


def files_of(message):
    """``[(part, filename, content type, bytes, content id)]``: the files of a mail, in order."""
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() not in ("attachment", "inline"):
            continue
        if part.get_filename() is None and part["Content-ID"] is None:
            continue
        content_id = str(part["Content-ID"] or "").strip().strip("<>")
        found.append((part, part.get_filename(), part.get_content_type(), part.get_payload(decode=True), content_id))
    return found


def envelope(message):
    """(sender, recipient) of the SMTP envelope: the From address, the first To address."""
    sender = parseaddr(str(message["From"]))[1]
    recipients = [address for _name, address in getaddresses([str(v) for v in message.get_all("To", [])])]
    return sender, recipients[0] if recipients else ""


def mailbox_hash(address):
    local = address.split("@", 1)[0]
    return local.split("+", 1)[1] if "+" in local else ""


def header_items(message, skip=()):
    skip = {name.lower() for name in skip}
    return [(name, str(value)) for name, value in message.items() if name.lower() not in skip]


# The shared cases -------------------------------------------------------------------------------------------


class InboundWebhookCases:
    """The inbound webhook tests every ESP must pass. Subclass once per ESP (see the module docstring)."""

    esp_name = None
    url_name = None
    url_args = ()
    json_payload = True
    spam_verdict = False
    no_spam_verdict = "the ESP gives no spam verdict"
    refusals = ("no-auth", "wrong-secret")

    # What a subclass says -----------------------------------------------------------------------------------

    def payload(self, message, *, spam=False):
        """The ESP's inbound post for the MIME ``message``, exactly as the ESP sends it."""
        raise NotImplementedError

    def url(self):
        return reverse(self.url_name, args=self.url_args)

    def post(self, client, payload, *, auth=BASIC_AUTH):
        """POST ``payload`` to the webhook, with ``auth`` as HTTP basic auth (none if ``auth`` is None)."""
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        if self.json_payload:
            return client.post(self.url(), data=json.dumps(payload), content_type="application/json", **headers)
        for value in payload.values():
            if hasattr(value, "seek"):  # a file posted again is read again from its start
                value.seek(0)
        return client.post(self.url(), data=payload, **headers)

    def refused_post(self, client, message, refusal):
        """POST ``message`` in a way the webhook must refuse: ``refusal`` is one of ``refusals``."""
        if refusal == "no-auth":
            return self.post(client, self.payload(message), auth=None)
        if refusal == "wrong-secret":
            return self.post(client, self.payload(message), auth=WRONG_AUTH)
        raise LookupError(f"{type(self).__name__} does not know how to post {refusal!r}")

    def reply_message(self, thread):
        """The mail the shared tests deliver: Rita's reply to ``thread``, as raw MIME (``reply_mime``)."""
        return reply_mime(thread)

    def pytest_generate_tests(self, metafunc):
        # Every refusal of the ESP's class is a test of its own.
        if "refusal" in metafunc.fixturenames:
            metafunc.parametrize("refusal", self.refusals)

    # Checks -------------------------------------------------------------------------------------------------

    def check_reply_landed(self, response, thread, mark, *, message_id, body, files):
        """The post was taken, and the reply is on the ticket with its files; only the team was told."""
        assert response.status_code == 200
        ticket = thread.ticket
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.OPEN
        record = InboundMail.objects.get()
        assert record.esp_name == self.esp_name
        assert record.status == InboundMail.Status.ADDED
        assert record.internet_message_id == message_id
        assert record.from_email == "requester@example.com"
        assert record.from_name == "Rita Requester"
        assert record.ticket == ticket
        check_email_reply(
            record.message,
            ticket=ticket,
            body=body,
            role=Message.AuthorRole.REQUESTER,
            user=ticket.requester_user,
            email="requester@example.com",
        )
        stored = list(record.message.attachments.order_by("pk"))
        assert [(a.filename, a.content_type, a.size) for a in stored] == [(n, t, len(c)) for n, t, c in files]
        for attachment, (_name, _type, content) in zip(stored, files):
            with attachment.file.open("rb") as stored_file:
                assert stored_file.read() == content
        # The team hears of it; the requester is not mailed about her own reply.
        new = since(mark)
        assert addressed_to(new, "requester@example.com") == []
        assert [m.to for m in new] == [["agent@example.com"]]
        assert body.split("\n")[0] in new[0].body
        return record

    # The shared tests ---------------------------------------------------------------------------------------

    def test_reply_lands_on_the_ticket_with_its_attachments(self, client, answered, on_commit):
        payload = self.payload(self.reply_message(answered))
        mark = len(mail.outbox)

        with on_commit():
            response = self.post(client, payload)

        self.check_reply_landed(response, answered, mark, message_id=REPLY_MESSAGE_ID, body=REPLY_BODY, files=REPLY_FILES)

    def test_same_delivery_posted_twice_is_processed_once(self, client, answered, on_commit):
        # payload() takes an EmailMessage as well as the raw bytes the other tests give it.
        payload = self.payload(as_email(self.reply_message(answered)))
        mark = len(mail.outbox)

        with on_commit():
            first = self.post(client, payload)
            second = self.post(client, payload)

        assert (first.status_code, second.status_code) == (200, 200)
        assert InboundMail.objects.count() == 1
        assert answered.ticket.messages.filter(channel=Ticket.Channel.EMAIL).count() == 1
        assert Attachment.objects.filter(message__ticket=answered.ticket).count() == len(REPLY_FILES)
        assert [m.to for m in since(mark)] == [["agent@example.com"]]  # the team is told once

    def test_post_without_the_secret_is_refused_and_records_nothing(self, client, answered, on_commit, refusal):
        message = self.reply_message(answered)
        before = counts(answered.ticket)
        mark = len(mail.outbox)

        with on_commit():
            response = self.refused_post(client, message, refusal)

        # Anymail answers a failed check with 400 (a SuspiciousOperation), whatever the ESP.
        assert response.status_code == 400
        assert counts(answered.ticket) == before
        assert InboundMail.objects.count() == 0
        assert Attachment.objects.filter(message__ticket=answered.ticket).count() == 0
        assert since(mark) == []
        # The same mail, posted as the ESP posts it, is taken: the refusal was the secret's doing.
        with on_commit():
            assert self.post(client, self.payload(message)).status_code == 200
        assert InboundMail.objects.get().status == InboundMail.Status.ADDED

    def test_mail_flagged_as_spam_is_quarantined(self, client, answered, on_commit):
        if not self.spam_verdict:
            pytest.skip(f"{self.esp_name}: {self.no_spam_verdict}")
        message = self.reply_message(answered)
        payload = self.payload(message, spam=True)
        before = counts(answered.ticket)
        mark = len(mail.outbox)

        with on_commit():
            assert self.post(client, payload).status_code == 200

        record = InboundMail.objects.get()
        assert (record.status, record.reason, record.ticket, record.esp_name) == (
            InboundMail.Status.QUARANTINED,
            InboundMail.Reason.SPAM,
            answered.ticket,
            self.esp_name,
        )
        # The whole mail is kept for a supervisor to look at, without NUL bytes (PostgreSQL refuses them),
        # and parses back into the same files.
        assert "\x00" not in record.raw
        kept = AnymailInboundMessage.parse_raw_mime(record.raw)
        assert kept.text.replace("\r\n", "\n").startswith(REPLY_BODY)
        assert [part.get_filename() for part in kept.walk() if part.get_filename()] == [n for n, _t, _c in REPLY_FILES]
        assert {p.get_filename(): p.get_content_bytes() for p in kept.walk() if p.get_filename()} == {
            name: content for name, _type, content in REPLY_FILES
        }
        assert counts(answered.ticket) == before
        assert Attachment.objects.count() == 0
        assert since(mark) == []

    # Mail that must never make the webhook fail (invariant 9) -----------------------------------------------

    NULL_SENDERS = ("<>", "MAILER-DAEMON <>", "Mail Delivery Subsystem <MAILER-DAEMON>", "mailer-daemon")

    @pytest.mark.parametrize("sender", NULL_SENDERS)
    def test_a_bounce_from_a_null_sender_is_recorded_and_answered_2xx(self, client, answered, on_commit, sender):
        raw = null_sender_bounce(answered, sender)
        before, mark = counts(answered.ticket), len(mail.outbox)

        with on_commit():
            response = self.post(client, self.payload(raw))

        assert response.status_code == 200
        record = InboundMail.objects.get()
        # Read as the bounce it is: the mail it names is marked bounced.
        assert (record.status, record.reason) == (InboundMail.Status.IGNORED, InboundMail.Reason.BOUNCE), record.note
        assert record.esp_name == self.esp_name
        answered.outbound.refresh_from_db()
        assert answered.outbound.status == "bounced"
        # No ticket gets a message from a robot, and no robot gets an answer.
        assert counts(answered.ticket) == before
        assert since(mark) == []

    # Who a mail speaks for (invariant 7) ----------------------------------------------------------------------

    def test_a_forged_agent_reply_reaches_nobody_and_changes_nothing(self, client, answered, agent, on_commit):
        """Anyone can write ``From: <an agent>`` with the ticket's reference in the subject, and the ESP
        forwards it with the webhook secret: it must not become the agent's public reply."""
        raw = forged_agent_reply(answered, agent)
        ticket = answered.ticket
        before, status, mark = counts(ticket), ticket.status, len(mail.outbox)

        with on_commit():
            response = self.post(client, self.payload(raw))

        assert response.status_code == 200
        record = InboundMail.objects.get()
        assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.UNVERIFIED_AGENT)
        assert agent.email in record.note and record.raw
        ticket.refresh_from_db()
        assert (counts(ticket), ticket.status) == (before, status)
        assert addressed_to(since(mark), "requester@example.com") == []
        assert not Message.objects.filter(body__contains="evil.example").exists()


# Mails the shared tests above deliver --------------------------------------------------------------------------

NULL_SENDER_BOUNCE = """\
Return-Path: <>
Received: from mx.example.com (mx.example.com [203.0.113.9])
        by mx.reply.example.com with ESMTP id 9a8b7c6d for <support@reply.example.com>;
        Tue, 04 Mar 2025 10:12:36 +0000
From: {sender}
To: support@reply.example.com
Subject: Delivery Status Notification (Failure)
Date: Tue, 4 Mar 2025 10:12:35 +0100
Message-ID: <null-sender-bounce-{slug}@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"

--dsn-boundary
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered to requester@example.com.

--- Below this line is a copy of the message's headers.

Message-ID: {bounced_id}
Subject: [#{number}] Cannot log in

--dsn-boundary
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; requester@example.com
Action: failed
Status: 5.1.1

--dsn-boundary
Content-Type: text/rfc822-headers

Message-ID: {bounced_id}
Subject: [#{number}] Cannot log in

--dsn-boundary--
"""


def null_sender_bounce(thread, sender):
    # The returned headers are in the text too, as qmail and others write them: ESPs that post parsed mail
    # (Postmark, Mailgun's form, Mailjet) hand only the text and the named files on.
    slug = "".join(c for c in sender.lower() if c.isalnum()) or "empty"
    return NULL_SENDER_BOUNCE.format(
        sender=sender, slug=slug, bounced_id=thread.outbound.internet_message_id, number=thread.ticket.number
    ).encode()


FORGED_AGENT_REPLY = """\
Received: from attacker.example.net (attacker.example.net [198.51.100.66])
        by mx.reply.example.com with ESMTP id 5e6f7a8b for <support@reply.example.com>;
        Tue, 04 Mar 2025 11:02:10 +0000
Authentication-Results: mx.forged.example; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com
From: Alice Agent <{agent}>
To: support@reply.example.com
Subject: RE: [#{number}] Cannot log in
Date: Tue, 4 Mar 2025 12:02:09 +0100
Message-ID: <forged-agent-reply@attacker.example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Rita, your account is locked. Please log in at https://evil.example/login to unlock it.

Alice
"""


def forged_agent_reply(thread, agent):
    return FORGED_AGENT_REPLY.format(agent=agent.email, number=thread.ticket.number).encode()
