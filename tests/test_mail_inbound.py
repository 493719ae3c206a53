"""Incoming mail, end to end: from the ESP's POST (or the raw MIME text) to the ticket, and back out.

The mails are real ones, kept as files in ``tests/mail_samples/`` (raw ``.eml`` texts from Gmail, Outlook
on the web, Thunderbird, Apple Mail, Mutt, an Exchange out-of-office and a Postfix bounce; the JSON an ESP
posts). Values that exist only once a test has run (the reply token of a ticket, its number, the Message-ID
of the mail answered) are written ``__TOKEN__``, ``__NUMBER__``, ``__IN_REPLY_TO__``... and filled in by
``sample()``.

Six ways an ESP posts a mail go through Anymail's real webhooks (``/anymail/<esp>/inbound/``): Postmark
(JSON, HTTP basic auth), Mailgun (parsed fields, or the MIME text on its ``inbound_mime`` URL; basic auth
and an HMAC signature), SendGrid ("Send raw": the MIME text in the ``email`` field, basic auth), Mailjet
(JSON, basic auth) and SparkPost (the MIME text in JSON, basic auth). Their tests are written once, in
``tests/inbound_webhook_cases.py``, and each ESP's class here says how it turns a MIME message into its
post. Everything else goes through ``inbound.process`` with an ``AnymailInboundMessage`` parsed from the
raw text, which is what each webhook hands it.

Mail goes out after commit: every step that may send runs inside ``on_commit()``
(``django_capture_on_commit_callbacks(execute=True)``), and what went out is read from
``django.core.mail.outbox`` (Anymail's test backend). The outbox is never emptied: a test looks at the
mails after a mark (``since(mark)``), and after each test every mail sent is checked for the internal
note written on the tickets (invariant 1).
"""

import base64
import datetime
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path

import pytest
from anymail.inbound import AnymailInboundMessage
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.inbound_webhook_cases import (
    NOTES_TXT,
    PNG,
    InboundWebhookCases,
    addressed_to,
    as_email,
    body_part,
    check_email_reply,
    counts,
    crlf,
    envelope,
    files_of,
    header_items,
    mailbox_hash,
    raw_mime,
    since,
)
from wagtail_support import access, inbound, workflow
from wagtail_support.admin.viewsets import url_for
from wagtail_support.models import InboundMail, Message, OutboundMail, Ticket

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "mail_samples"
PLACEHOLDER = re.compile(r"__[A-Z_]+__")

NOTE = "Internal: the requester's account is flagged for fraud, do not tell them."
AGENT_ANSWER = "Please try again with the new password we sent you."
MAILGUN_KEY = b"tests-mailgun-signing-key"  # the example site's test settings: MAILGUN_WEBHOOK_SIGNING_KEY
STRANGER = "mallory@evil.example"


# Fixtures and helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the mails a block asks for, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = "helpdesk"
    settings.WAGTAILSUPPORT_INBOUND_ADDRESS = "support@reply.example.com"
    settings.WAGTAILSUPPORT_INBOUND_UNKNOWN_SENDER = "quarantine"


# The receiving host the tests trust (WAGTAILSUPPORT_INBOUND_AUTHSERV_IDS, with the ``trusted_host`` fixture).
TRUSTED_HOST = "mx.reply.example.com"


@pytest.fixture
def trusted_host(settings):
    settings.WAGTAILSUPPORT_INBOUND_AUTHSERV_IDS = [TRUSTED_HOST]
    return TRUSTED_HOST


def sample(name, **values):
    """The sample ``name`` with its ``__PLACEHOLDERS__`` filled in (every one of them, or the test fails)."""
    text = (SAMPLES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key.upper()}__", str(value))
    left = sorted(set(PLACEHOLDER.findall(text)))
    assert not left, f"{name}: no value given for {left}"
    return text


def parse(raw):
    return AnymailInboundMessage.parse_raw_mime(raw)


def set_header(message, name, value):
    del message[name]
    message[name] = value
    return message


def in_mail(m):
    return "\n".join([m.subject, m.body, *(content for content, _type in getattr(m, "alternatives", []))])


def reply_address(ticket, now=None):
    return f"support+{access.make_reply_token(ticket, now=now)}@reply.example.com"


def token_of(address):
    return address.split("@", 1)[0].split("+", 1)[1]


class Thread:
    """A ticket and the mail of ours its requester answers: values for a sample's placeholders."""

    def __init__(self, ticket, sent):
        self.ticket = ticket
        self.sent = sent
        self.outbound = OutboundMail.objects.get(internet_message_id=sent.extra_headers["Message-ID"])
        (self.reply_to,) = sent.reply_to
        self.values = {
            "token": token_of(self.reply_to),
            "number": ticket.number,
            "in_reply_to": self.outbound.internet_message_id,
        }


@pytest.fixture
def answered(ticket, agent, on_commit):
    """``ticket`` with an internal note and an agent's answer that set it pending; the answer was mailed."""
    with on_commit():
        workflow.reply(ticket, by=agent, body=NOTE, internal=True)
        workflow.reply(ticket, by=agent, body=AGENT_ANSWER, set_pending=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    (sent,) = addressed_to(mail.outbox, "requester@example.com")
    return Thread(ticket, sent)


@pytest.fixture
def anon_answered(anon_ticket, agent, on_commit):
    """The same for ``anon_ticket`` (Ann Onymous, no account)."""
    with on_commit():
        workflow.reply(anon_ticket, by=agent, body=NOTE, internal=True)
        workflow.reply(anon_ticket, by=agent, body="We are looking into your invoice.", set_pending=True)
    (sent,) = addressed_to(mail.outbox, "ann@example.com")
    return Thread(anon_ticket, sent)


@pytest.fixture
def receive(on_commit):
    """Process one mail (raw text or parsed) as the inbound signal would, its mails sent on commit."""

    def receive(raw_or_message, esp_name="", event_id=None):
        message = parse(raw_or_message) if isinstance(raw_or_message, str) else raw_or_message
        with on_commit():
            record = inbound.process(message, esp_name=esp_name, event_id=event_id)
        record.refresh_from_db()
        return record

    return receive


# Webhooks: every ESP whose inbound webhook Anymail has and the example site can take --------------------------
#
# The tests are those of ``InboundWebhookCases`` (tests/inbound_webhook_cases.py): a reply lands on the
# ticket with its files, the same delivery posted twice is processed once, a post without the secret (or
# with a bad signature) is refused and records nothing, spam is quarantined where the ESP says it is spam.
# Each class below says how its ESP posts a mail; some add a test of a payload the ESP sent (the samples).
#
# Not here, though Anymail 15.2 routes their inbound webhooks under /anymail/ too: Amazon SES, whose view
# needs boto3 (not installed), and Brevo, MailerSend, Mailtrap, Mandrill, Postal and Resend, whose views
# need a setting the example site does not have (BREVO_API_KEY, MAILERSEND_INBOUND_SECRET,
# MAILTRAP_API_TOKEN, MANDRILL_WEBHOOK_KEY, POSTAL_WEBHOOK_KEY, RESEND_API_KEY): every post to them fails
# with a configuration error (500). Brevo, Mailtrap and Resend also fetch the mail or its files from the
# ESP's API.


class TestPostmarkInbound(InboundWebhookCases):
    """Postmark: the parsed mail as JSON, the files in base64; HTTP basic auth only."""

    esp_name = "Postmark"
    url_name = "anymail:postmark_inbound_webhook"
    spam_verdict = True  # SpamAssassin's X-Spam-Status header, "Yes" or "No", in Headers

    # Postmark gives these as fields of their own, not in Headers.
    own_fields = ("From", "To", "Cc", "Bcc", "Subject", "Date", "Reply-To", "Content-Type", "Content-Transfer-Encoding")

    def payload(self, message, *, spam=False):
        message = as_email(message)
        sender, recipient = envelope(message)
        from_name = parseaddr(str(message["From"]))[0]
        headers = [
            {"Name": "Return-Path", "Value": f"<{sender}>"},
            {"Name": "Received", "Value": f"by p-pm-inboundg02a-aws-useast1a.inbound.postmarkapp.com (Postfix) for <{recipient}>"},
            {"Name": "X-Spam-Checker-Version", "Value": "SpamAssassin 3.4.6 (2021-04-09) on p-pm-inboundg02a-aws-useast1a"},
            {"Name": "X-Spam-Status", "Value": "Yes" if spam else "No"},
            {"Name": "X-Spam-Score", "Value": "7.9" if spam else "-0.1"},
            {"Name": "X-Spam-Tests", "Value": "DKIM_SIGNED,DKIM_VALID,SPF_PASS"},
            *({"Name": name, "Value": value} for name, value in header_items(message, skip=self.own_fields)),
        ]
        to = getaddresses([str(value) for value in message.get_all("To", [])])
        return {
            "FromName": from_name,
            "MessageStream": "inbound",
            "From": sender,
            "FromFull": {"Email": sender, "Name": from_name, "MailboxHash": ""},
            "To": ", ".join(str(value) for value in message.get_all("To", [])),
            "ToFull": [{"Email": address, "Name": name, "MailboxHash": mailbox_hash(address)} for name, address in to],
            "Cc": "",
            "CcFull": [],
            "Bcc": "",
            "BccFull": [],
            "OriginalRecipient": recipient,
            "Subject": str(message["Subject"]),
            # Postmark's id of the delivery (not the Message-ID): the same mail, the same id.
            "MessageID": str(uuid.uuid5(uuid.NAMESPACE_URL, str(message["Message-ID"]))),
            "ReplyTo": str(message["Reply-To"] or ""),
            "MailboxHash": mailbox_hash(recipient),
            "Date": str(message["Date"]),
            "TextBody": crlf(body_part(message, "plain")),
            "HtmlBody": body_part(message, "html"),
            "StrippedTextReply": "",  # Postmark's own work (see the sample test below)
            "Tag": "",
            "Headers": headers,
            "Attachments": [
                {
                    "Name": name,
                    "Content": base64.b64encode(content).decode("ascii"),
                    "ContentType": content_type,
                    "ContentLength": len(content),
                    "ContentID": content_id,  # "" for a plain attachment
                }
                for _part, name, content_type, content, content_id in files_of(message)
            ],
        }

    def test_postmark_sample_payload_lands_with_its_stripped_reply_and_both_attachments(self, client, answered, on_commit):
        """The JSON as Postmark posted it (mail_samples/postmark_inbound.json), its StrippedTextReply filled in."""
        payload = json.loads(sample("postmark_inbound.json", **answered.values))
        mark = len(mail.outbox)

        with on_commit():
            response = self.post(client, payload)

        # Postmark's own stripped reply, nothing of the quote.
        self.check_reply_landed(
            response,
            answered,
            mark,
            message_id="<CAFx3kQ8postmark-reply-1@mail.gmail.com>",
            body="The error page is attached.\nIt happens on every browser I tried.",
            files=[("error page.png", "image/png", PNG), ("notes.txt", "text/plain", NOTES_TXT)],
        )


class MailgunInboundCases(InboundWebhookCases):
    """Mailgun's forward() route: a form signed with the webhook signing key (HMAC-SHA256 of the timestamp
    and a token), and HTTP basic auth as well. Two ways to post a mail, one class each below."""

    esp_name = "Mailgun"
    url_name = "anymail:mailgun_inbound_webhook"
    json_payload = False
    spam_verdict = True  # X-Mailgun-Sflag, "Yes" or "No"
    refusals = ("wrong-key", "forged-signature", "no-signature", "no-auth", "wrong-secret")

    @staticmethod
    def sign(form, key=MAILGUN_KEY, token=None):
        """``form`` with Mailgun's signature fields, signed with ``key``."""
        timestamp = str(int(time.time()))
        token = token or secrets.token_hex(25)
        signature = hmac.new(key, f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
        return {**form, "timestamp": timestamp, "token": token, "signature": signature}

    @staticmethod
    def mailgun_headers(sender, spam):
        """The headers Mailgun adds to a mail it receives."""
        return [
            ("X-Mailgun-Incoming", "Yes"),
            ("X-Envelope-From", f"<{sender}>"),
            ("X-Mailgun-Sflag", "Yes" if spam else "No"),
            ("X-Mailgun-Sscore", "9.1" if spam else "0.0"),
        ]

    def refused_post(self, client, message, refusal):
        if refusal == "wrong-key":
            return self.post(client, self.payload(message, key=b"not-the-signing-key"))
        if refusal == "forged-signature":
            return self.post(client, {**self.payload(message), "signature": "0" * 64})
        if refusal == "no-signature":
            return self.post(client, {k: v for k, v in self.payload(message).items() if k != "signature"})
        return super().refused_post(client, message, refusal)


class TestMailgunInbound(MailgunInboundCases):
    """Mailgun, fully parsed: the fields of the mail, its files as uploads."""

    def payload(self, message, *, spam=False, key=MAILGUN_KEY):
        message = as_email(message)
        sender, recipient = envelope(message)
        headers = [*self.mailgun_headers(sender, spam), *header_items(message)]
        form = {
            "recipient": recipient,
            "sender": sender,
            "from": str(message["From"]),
            "subject": str(message["Subject"]),
            "body-plain": crlf(body_part(message, "plain")),
            "body-html": body_part(message, "html"),
            "message-headers": json.dumps(headers),
        }
        # Mailgun also posts the headers as fields of their own.
        for name, value in headers:
            if name.lower() not in {"from", "subject", "content-type", "content-transfer-encoding"}:
                form[name] = value
        files = files_of(message)
        content_ids = {}
        for number, (_part, name, content_type, content, content_id) in enumerate(files, 1):
            form[f"attachment-{number}"] = SimpleUploadedFile(name, content, content_type)
            if content_id:
                content_ids[f"<{content_id}>"] = f"attachment-{number}"
        form["attachment-count"] = str(len(files))
        form["content-id-map"] = json.dumps(content_ids)
        return self.sign(form, key=key)

    def sample_form(self, thread):
        """The form as Mailgun posted it (mail_samples/mailgun_inbound.json), its file and a fresh signature."""
        form = json.loads(sample("mailgun_inbound.json", **thread.values))
        form["attachment-count"] = "1"
        form["attachment-1"] = SimpleUploadedFile("console.png", PNG, "image/png")
        return self.sign(form, token="b1e2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9")

    def test_mailgun_sample_post_lands_with_its_stripped_text_and_file(self, client, answered, on_commit):
        mark = len(mail.outbox)

        with on_commit():
            response = self.post(client, self.sample_form(answered))

        # Mailgun's stripped-text, without the quote and without the "-- " signature.
        self.check_reply_landed(
            response,
            answered,
            mark,
            message_id="<CAFx3kQ9mailgun-reply-1@mail.example.com>",
            body="Yes, please reset it again.\nI will try tonight.",
            files=[("console.png", "image/png", PNG)],
        )


class TestMailgunMimeInbound(MailgunInboundCases):
    """Mailgun to a URL with "mime" in it (/anymail/mailgun/inbound_mime/): the MIME text in ``body-mime``,
    under the headers Mailgun adds (its spam flag among them)."""

    url_args = ("_mime",)

    def payload(self, message, *, spam=False, key=MAILGUN_KEY):
        parsed = as_email(message)
        sender, recipient = envelope(parsed)
        added = "".join(f"{name}: {value}\r\n" for name, value in self.mailgun_headers(sender, spam))
        form = {
            "recipient": recipient,
            "sender": sender,
            "from": str(parsed["From"]),
            "subject": str(parsed["Subject"]),
            "body-mime": added + raw_mime(message),
        }
        return self.sign(form, key=key)


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
class TestSendGridInbound(InboundWebhookCases):
    """SendGrid's Inbound Parse with "Send raw": the MIME text in the ``email`` form field; HTTP basic auth.

    Anymail 15.2 still has the webhook, but warns on every post that it no longer supports SendGrid
    (AnymailNotSupportedWarning, ignored here).
    """

    esp_name = "SendGrid"
    url_name = "anymail:sendgrid_inbound_webhook"
    json_payload = False
    no_spam_verdict = "SendGrid posts a SpamAssassin score and report, no verdict (Anymail's spam_detected is None)"

    def payload(self, message, *, spam=False):
        parsed = as_email(message)
        sender, recipient = envelope(parsed)
        return {
            "email": raw_mime(message),
            "to": str(parsed["To"]),
            "from": str(parsed["From"]),
            "subject": str(parsed["Subject"]),
            "envelope": json.dumps({"to": [recipient], "from": sender}),
            "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
            "spam_score": "0.012",
            "spam_report": "Spam detection software ... 0.0 SPF_PASS",
            "SPF": "pass",
            "dkim": "{@example.com : pass}",
            "sender_ip": "198.51.100.23",
        }

    def test_sendgrid_apple_mail_raw_mime_reply_lands_on_the_ticket(self, client, answered, on_commit):
        mark = len(mail.outbox)

        with on_commit():
            response = self.post(client, self.payload(sample("apple_mail_reply.eml", **answered.values).encode()))

        # Apple Mail: the "Sent from my iPhone" footer and the quote below it are gone.
        self.check_reply_landed(
            response,
            answered,
            mark,
            message_id="<A1B2C3D4-E5F6-4071-8293-A4B5C6D7E8F9@example.com>",
            body="I cleared the app\u2019s cache as you said and now I can log in.\n\nThank you!",
            files=[],
        )


class TestMailjetInbound(InboundWebhookCases):
    """Mailjet's Parse API: the mail as JSON (its headers, each MIME part's headers, the text and HTML, every
    file in base64 under the part's ``ContentRef``); HTTP basic auth only."""

    esp_name = "Mailjet"
    url_name = "anymail:mailjet_inbound_webhook"
    no_spam_verdict = "Mailjet posts a SpamAssassin score, no verdict (Anymail's spam_detected is None)"

    @staticmethod
    def grouped(items):
        """Headers as Mailjet gives them: keyed by name, a list of the values when one is repeated."""
        headers = {}
        for name, value in items:
            value = str(value)
            if name not in headers:
                headers[name] = value
            elif isinstance(headers[name], list):
                headers[name].append(value)
            else:
                headers[name] = [headers[name], value]
        return headers

    def payload(self, message, *, spam=False):
        message = as_email(message)
        sender, recipient = envelope(message)
        payload = {
            "Sender": sender,
            "Recipient": recipient,
            # The sender's Date header, in UTC.
            "Date": parsedate_to_datetime(str(message["Date"])).astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%S"),
            "From": str(message["From"]),
            "Subject": str(message["Subject"]),
            "Headers": self.grouped(message.items()),
            "Parts": [],
            "SpamAssassinScore": "0.4",
            "CustomID": "",
            "Payload": "",
        }
        files = [part for part, *_rest in files_of(message)]
        numbers = {"Attachment": 0, "InlineAttachment": 0}
        for part in message.walk():
            if part is message:
                continue
            entry = {"Headers": self.grouped(part.items())}
            if any(part is file for file in files):
                kind = "InlineAttachment" if part.get_content_disposition() == "inline" else "Attachment"
                numbers[kind] += 1
                entry["ContentRef"] = f"{kind}{numbers[kind]}"
                # Mailjet gives every file in base64.
                payload[entry["ContentRef"]] = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
            elif part.get_content_type() in ("text/plain", "text/html"):
                ref = "Text-part" if part.get_content_subtype() == "plain" else "Html-part"
                if ref not in payload:
                    entry["ContentRef"] = ref
                    payload[ref] = crlf(part.get_content()) if ref == "Text-part" else part.get_content()
            payload["Parts"].append(entry)
        return payload


class TestSparkPostInbound(InboundWebhookCases):
    """SparkPost's inbound relay webhook: a JSON list of ``relay_message`` events, the MIME text in
    ``content.email_rfc822``; HTTP basic auth only."""

    esp_name = "SparkPost"
    url_name = "anymail:sparkpost_inbound_webhook"
    no_spam_verdict = "SparkPost's relay webhook carries no spam verdict"

    def payload(self, message, *, spam=False):
        parsed = as_email(message)
        sender, recipient = envelope(parsed)
        relay_message = {
            "content": {
                "email_rfc822": raw_mime(message),
                "email_rfc822_is_base64": False,
                "headers": [{name: str(value)} for name, value in parsed.items()],
                "html": body_part(parsed, "html"),
                "subject": str(parsed["Subject"]),
                "text": body_part(parsed, "plain"),
                "to": [recipient],
            },
            "customer_id": "1337",
            "friendly_from": sender,
            "msg_from": sender,
            "protocol": "smtp",
            "rcpt_to": recipient,
            "webhook_id": "4839201967643219",
        }
        return [{"msys": {"relay_message": relay_message}}]


# Raw MIME from the mail programs people use -----------------------------------------------------------------


def test_gmail_plain_text_reply_keeps_only_what_was_typed(answered, receive):
    ticket = answered.ticket
    mark = len(mail.outbox)

    record = receive(sample("gmail_reply.eml", **answered.values))

    assert (record.status, record.reason, record.ticket) == (InboundMail.Status.ADDED, "", ticket)
    assert record.internet_message_id == "<CAFx3kQ7n=Zq9+gmail-reply-1@mail.gmail.com>"
    # Quoted mail and "-- " signature are gone; the typographic quotes survived quoted-printable.
    check_email_reply(
        record.message,
        ticket=ticket,
        body=(
            "Thanks, the new password works on the website.\n"
            "The mobile app still says \u201cwrong password\u201d though.\n"
            "\n"
            "Rita"
        ),
        role=Message.AuthorRole.REQUESTER,
        user=ticket.requester_user,
        email="requester@example.com",
    )
    assert record.message.author_name == "Rita Requester"
    assert record.raw == ""  # added to a ticket: nothing kept beside the message
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    (notice,) = since(mark)
    assert notice.to == ["agent@example.com"]
    assert "The mobile app still says \u201cwrong password\u201d though." in notice.body
    assert "ACME Corp" not in notice.body


def test_outlook_web_html_only_reply_is_stored_as_text_without_the_history(anon_answered, receive):
    ticket = anon_answered.ticket

    record = receive(sample("outlook_web_reply.eml", **anon_answered.values))

    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, ticket)
    check_email_reply(
        record.message,
        ticket=ticket,
        body="Hello,\nThe invoice for March is still missing, see my account page.\nAnn",
        role=Message.AuthorRole.REQUESTER,
        user=None,
        email="ann@example.com",
    )
    assert record.message.author_name == "Ann Onymous"
    for trace in ("<", ">", "script", "steal", "alert", "onclick", "onerror", "javascript", "evil.example",
                  "We are looking into your invoice", "divRplyFwdMsg", "From:"):  # fmt: skip
        assert trace not in record.message.body


def test_outlook_web_reply_script_is_never_rendered_on_the_ticket_page(anon_answered, receive, support_page):
    """What a requester's browser gets for the mail: text, escaped; no script, no handler."""
    ticket = anon_answered.ticket
    raw = sample("outlook_web_reply.eml", **anon_answered.values).replace(
        "see my account page</a>.", "see my account page</a>. &lt;b onclick=steal()&gt;bold&lt;/b&gt;"
    )
    record = receive(raw)
    assert "<b onclick=steal()>bold</b>" in record.message.body  # what was written, as text

    link = support_page.ticket_full_url(ticket, access.make_link_token(ticket)).split("localhost", 1)[-1]
    page = Client().get(link, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b onclick=steal()&gt;bold&lt;/b&gt;" in html
    assert "<b onclick" not in html
    assert "steal()</script>" not in html and "document.cookie" not in html


def test_attachments_png_stored_and_downloadable_exe_refused_and_noted(answered, receive, requester, other_requester):
    ticket = answered.ticket

    record = receive(sample("reply_with_attachments.eml", **answered.values))

    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, ticket)
    check_email_reply(
        record.message,
        ticket=ticket,
        body=(
            "Here is a screenshot of the error, and the tool the error page told me\n"
            "to run.\n"
            "\n"
            "Attachments not accepted:\n"
            "- fixer.exe: fixer.exe is not a file type we accept. Send images, PDF, text or office documents."
        ),
        role=Message.AuthorRole.REQUESTER,
        user=requester,
    )
    (png,) = record.message.attachments.all()
    assert (png.filename, png.content_type, png.size) == ("screenshot.png", "image/png", len(PNG))

    url = reverse("wagtail_support:attachment_download", args=[png.pk])
    owner = Client()
    owner.force_login(requester)
    response = owner.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="screenshot.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    stranger = Client()
    stranger.force_login(other_requester)
    assert stranger.get(url).status_code == 404

    # Nothing lost: the refused file is still in the mail kept on the record.
    kept = parse(record.raw)
    assert [part.get_filename() for part in kept.attachments] == ["screenshot.png", "fixer.exe"]
    assert kept.attachments[1].get_content_bytes().startswith(b"MZ\x90\x00")


def test_apple_mail_inline_image_without_content_id_is_stored(answered, receive):
    """Apple Mail sends a pasted image inline, with a file name and no Content-ID: it is a file all the same."""
    record = receive(sample("apple_mail_inline_image.eml", **answered.values))

    assert record.status == InboundMail.Status.ADDED
    assert record.message.body == "This is what the app shows:"
    (image,) = record.message.attachments.all()
    assert (image.filename, image.content_type, image.size) == ("IMG_0042.png", "image/png", len(PNG))
    assert image.file.open("rb").read() == PNG


def test_forwarded_mail_opens_a_ticket_with_the_forwarded_mail_whole(receive, team, on_commit):
    mark = len(mail.outbox)

    record = receive(sample("forward_gmail.eml"))

    assert (record.status, record.reason) == (InboundMail.Status.OPENED, "")
    new = record.ticket
    assert new.channel == Ticket.Channel.EMAIL
    assert (new.requester_name, new.requester_email, new.requester_user) == ("Paula Partner", "paula@partner.example", None)
    assert new.subject == "Fwd: Order 4711 never arrived"
    assert new.team == team  # WAGTAILSUPPORT_DEFAULT_TEAM: nothing else names a team
    assert new.status == Ticket.Status.OPEN
    assert new.follows is None
    expected = (
        "---------- Forwarded message ---------\n"
        "From: Carl Customer <carl@customer.example>\n"
        "Date: Tue, 4 Mar 2025 at 18:47\n"
        "Subject: Order 4711 never arrived\n"
        "To: <paula@partner.example>\n"
        "\n"
        "Hello Paula,\n"
        "\n"
        "I ordered the blue kettle (order 4711) three weeks ago and it never arrived.\n"
        'The tracking page says "label created" since 12 February.\n'
        "\n"
        "Carl"
    )
    assert new.description == expected
    (first,) = new.messages.all()
    assert first == record.message
    check_email_reply(first, ticket=new, body=expected, role=Message.AuthorRole.REQUESTER, email="paula@partner.example")
    # The confirmation answers the mail that opened the ticket, in the same thread.
    (confirmation,) = addressed_to(since(mark), "paula@partner.example")
    assert confirmation.extra_headers["In-Reply-To"] == "<CAHk9pQfw-forward-1@mail.gmail.com>"
    assert confirmation.extra_headers["References"] == "<CAHk9pQfw-forward-1@mail.gmail.com>"
    assert new.reference in confirmation.subject
    (reply_to,) = confirmation.reply_to
    assert access.read_reply_token(token_of(reply_to)) == new.pk


def test_forward_with_a_note_keeps_the_note_and_the_forwarded_mail(receive, team, other_team):
    other_team.inbound_email = "billing@reply.example.com"
    other_team.save()

    record = receive(sample("forward_with_note.eml"))

    new = record.ticket
    assert record.status == InboundMail.Status.OPENED
    assert new.team == other_team  # sent to the Billing team's own address
    assert new.description == (
        "Could you look at this one? Carl is one of our best customers.\n"
        "\n"
        "Paula\n"
        "\n"
        "Begin forwarded message:\n"
        "\n"
        "> From: Carl Customer <carl@customer.example>\n"
        "> Subject: Order 4711 never arrived\n"
        "> Date: 4 March 2025 at 18:47:02 CET\n"
        "> To: paula@partner.example\n"
        ">\n"
        "> Hello Paula,\n"
        ">\n"
        "> I ordered the blue kettle (order 4711) three weeks ago and it never arrived.\n"
        ">\n"
        "> Carl"
    )


def test_forward_with_a_refused_attachment_lists_it_below_the_forwarded_mail(receive, team):
    message = parse(sample("forward_with_note.eml"))
    message.add_attachment(b"MZ\x90\x00" + bytes(60), maintype="application", subtype="octet-stream", filename="label.exe")

    record = receive(message)

    description = record.ticket.description
    assert description.startswith("Could you look at this one? Carl is one of our best customers.\n\nPaula\n\n")
    assert description.endswith(
        "> Carl\n"
        "\n"
        "Attachments not accepted:\n"
        "- label.exe: label.exe is not a file type we accept. Send images, PDF, text or office documents."
    )
    assert record.ticket.messages.get().attachments.count() == 0
    assert "label.exe" in record.raw


def test_out_of_office_to_a_pending_ticket_is_ignored(answered, receive):
    ticket = answered.ticket
    before = counts(ticket)
    mark = len(mail.outbox)

    record = receive(sample("out_of_office.eml", **answered.values))

    assert (record.status, record.reason) == (InboundMail.Status.IGNORED, InboundMail.Reason.AUTO_REPLY)
    assert record.ticket == ticket
    assert record.message is None
    assert "I am out of the office until 17 March" in record.raw
    assert counts(ticket) == before
    assert ticket.status == Ticket.Status.PENDING
    assert since(mark) == []


def test_bounce_marks_the_bounced_mail_only_and_touches_no_ticket(answered, agent, receive, on_commit):
    ticket = answered.ticket
    with on_commit():
        workflow.reply(ticket, by=agent, body="Did the new password work?")
    second = addressed_to(mail.outbox, "requester@example.com")[-1]
    bounced = OutboundMail.objects.get(internet_message_id=second.extra_headers["Message-ID"])
    # Our second mail threads under the first: the bounce quotes both Message-IDs.
    assert second.extra_headers["In-Reply-To"] == answered.outbound.internet_message_id
    before = counts(ticket)
    mark = len(mail.outbox)

    record = receive(
        sample(
            "bounce.eml",
            token=answered.values["token"],
            number=ticket.number,
            bounced_id=bounced.internet_message_id,
            earlier_id=answered.outbound.internet_message_id,
        )
    )

    assert (record.status, record.reason, record.ticket) == (
        InboundMail.Status.IGNORED,
        InboundMail.Reason.BOUNCE,
        ticket,
    )
    bounced.refresh_from_db()
    assert bounced.status == OutboundMail.Status.BOUNCED
    assert bounced.error == "Undelivered Mail Returned to Sender"
    answered.outbound.refresh_from_db()
    assert answered.outbound.status == OutboundMail.Status.SENT  # only referred to, it was delivered
    assert counts(ticket) == before
    assert since(mark) == []


def test_mail_without_message_id_delivered_twice_is_processed_once(answered, receive):
    ticket = answered.ticket
    raw = sample("no_message_id.eml", **answered.values)

    first = receive(raw)
    second = receive(raw)

    assert second.pk == first.pk
    assert InboundMail.objects.count() == 1
    assert first.dedupe_key.startswith("sha:")
    assert first.internet_message_id == ""
    (added,) = ticket.messages.filter(channel=Ticket.Channel.EMAIL)
    check_email_reply(
        added,
        ticket=ticket,
        body="I tried again from the caf\u00e9 next door: same error.",
        role=Message.AuthorRole.REQUESTER,
        user=ticket.requester_user,
    )


def test_reply_found_by_in_reply_to_alone(answered, receive):
    ticket = answered.ticket

    record = receive(sample("in_reply_to_only.eml", in_reply_to=answered.outbound.internet_message_id))

    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, ticket)
    check_email_reply(
        record.message,
        ticket=ticket,
        body="It works again since this morning, you can close the ticket.",
        role=Message.AuthorRole.REQUESTER,
        user=ticket.requester_user,
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_reply_to_a_mail_of_the_requester_found_by_its_message_id(receive):
    """A follow-up to one's own mail that opened a ticket lands on that ticket."""
    opened = receive(sample("forward_gmail.eml")).ticket
    raw = sample("in_reply_to_only.eml", in_reply_to="<CAHk9pQfw-forward-1@mail.gmail.com>").replace(
        "Rita Requester <requester@example.com>", "Paula Partner <paula@partner.example>"
    )

    record = receive(raw)

    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, opened)
    assert record.message.body == "It works again since this morning, you can close the ticket."
    assert opened.messages.count() == 2


def test_reply_found_by_the_reference_in_the_subject_alone(answered, receive):
    ticket = answered.ticket

    record = receive(sample("subject_reference.eml", number=ticket.number))

    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, ticket)
    check_email_reply(
        record.message,
        ticket=ticket,
        body="I use Firefox 128 on Windows 11, if that matters.",
        role=Message.AuthorRole.REQUESTER,
        user=ticket.requester_user,
    )


@pytest.mark.parametrize(
    "subject",
    ["Invoice #__NUMBER__ is wrong", "Order __NUMBER__ never arrived", "Re: [#99999999999999999999] Cannot log in"],
)
def test_a_number_that_is_no_ticket_reference_opens_a_new_ticket(answered, receive, team, subject):
    """Only "[#1234]", as our subjects write it, names a ticket: a stranger's order number does not."""
    ticket = answered.ticket
    before = counts(ticket)
    message = from_stranger(sample("subject_reference.eml", number=ticket.number))
    set_header(message, "Subject", subject.replace("__NUMBER__", str(ticket.number)))

    record = receive(message)

    assert (record.status, record.reason) == (InboundMail.Status.OPENED, "")
    assert record.ticket != ticket
    assert record.ticket.requester_email == STRANGER
    assert counts(ticket) == before


# The ticket lifecycle, by mail ------------------------------------------------------------------------------


def status_moves(ticket):
    from wagtail.models import ModelLogEntry

    entries = ModelLogEntry.objects.filter(object_id=str(ticket.pk), action="wagtail_support.ticket.status")
    return [(e.data["old"], e.data["new"], e.data["move"]) for e in entries.order_by("pk")]


def test_requester_reply_by_mail_sets_a_pending_ticket_open_through_the_workflow(answered, receive):
    ticket = answered.ticket
    version = ticket.version

    receive(sample("gmail_reply.eml", **answered.values))

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.version == version + 1
    assert status_moves(ticket) == [("open", "pending", "set_pending"), ("pending", "open", "requester_reply")]


def test_reply_to_a_ticket_closed_within_the_window_reopens_it(answered, agent, resolution_code, receive, on_commit):
    ticket = answered.ticket
    with on_commit():
        workflow.resolve(ticket, code=resolution_code, solution="We reset your password.", by=agent)
    assert ticket.status == Ticket.Status.CLOSED
    mark = len(mail.outbox)

    record = receive(sample("gmail_reply.eml", **answered.values))

    ticket.refresh_from_db()
    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, ticket)
    assert ticket.status == Ticket.Status.OPEN
    assert (ticket.closed_at, ticket.resolution_code, ticket.solution) == (None, None, "")
    assert status_moves(ticket)[-1] == ("closed", "open", "reopen")
    assert record.message.body.startswith("Thanks, the new password works on the website.")
    assert Ticket.objects.count() == 1
    # The team hears of the reply; the requester is not told about what she did herself.
    assert [m.to for m in since(mark)] == [["agent@example.com"]]


def test_reply_after_the_reopen_window_opens_a_follow_up_ticket(answered, agent, requester, resolution_code, receive, on_commit, settings):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 30
    ticket = answered.ticket
    with on_commit():
        workflow.resolve(ticket, code=resolution_code, solution="We reset your password.", by=agent)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timezone.timedelta(days=31))
    before = counts(ticket)
    mark = len(mail.outbox)

    record = receive(sample("gmail_reply.eml", **answered.values))

    new = record.ticket
    assert record.status == InboundMail.Status.OPENED
    assert new.pk != ticket.pk
    assert new.follows == ticket
    assert new.channel == Ticket.Channel.EMAIL
    assert new.status == Ticket.Status.OPEN
    assert (new.requester_email, new.requester_name) == ("requester@example.com", "Rita Requester")
    assert new.requester_user == requester  # still hers: listed under her account's tickets
    assert (new.team, new.category) == (ticket.team, ticket.category)
    assert new.subject == f"Re: [#{ticket.number}] Cannot log in"
    assert new.description == (
        "Thanks, the new password works on the website.\n"
        "The mobile app still says \u201cwrong password\u201d though.\n\nRita"
    )
    assert f"{ticket.reference} was closed too long ago to be reopened." in record.note
    # The old ticket is left as it was.
    assert counts(ticket) == before
    assert ticket.status == Ticket.Status.CLOSED
    # The requester gets the new reference, in the thread of her mail.
    (confirmation,) = addressed_to(since(mark), "requester@example.com")
    assert new.reference in confirmation.subject
    assert confirmation.extra_headers["In-Reply-To"] == "<CAFx3kQ7n=Zq9+gmail-reply-1@mail.gmail.com>"
    assert access.read_reply_token(token_of(confirmation.reply_to[0])) == new.pk


OUTLOOK_ID = "<AM9PR07MB7186F2A4C1D3E2B5A6C7D8E9F0A1B2C3@AM9PR07MB7186.eurprd07.prod.outlook.com>"
OOO_ID = "<d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6@AM0PR07MB4417.eurprd07.prod.outlook.com>"


def test_our_mails_thread_under_the_mails_that_reached_the_ticket_only(answered, anon_answered, agent, supervisor, receive, on_commit):
    receive(sample("out_of_office.eml", **answered.values))
    with on_commit():
        workflow.reply(answered.ticket, by=agent, body="Any news?")
    latest = addressed_to(mail.outbox, "requester@example.com")[-1]
    released = receive(from_stranger(sample("outlook_web_reply.eml", **anon_answered.values)))
    with on_commit():
        logged_in(supervisor).post(action_url(released, "release"))
    (confirmation,) = addressed_to(mail.outbox, STRANGER)

    assert latest.extra_headers["In-Reply-To"] == answered.outbound.internet_message_id
    assert OOO_ID not in latest.extra_headers["References"]
    assert confirmation.extra_headers["References"] == OUTLOOK_ID


def test_unmatched_mail_to_a_team_address_opens_a_ticket_for_that_team(receive, team, other_team):
    other_team.inbound_email = "Billing@Reply.Example.com"
    other_team.save()
    raw = sample("forward_gmail.eml").replace("support@reply.example.com", "billing@reply.example.com")

    record = receive(raw)

    assert record.status == InboundMail.Status.OPENED
    assert record.ticket.team == other_team
    assert record.ticket.channel == Ticket.Channel.EMAIL
    assert record.ticket.requester_email == "paula@partner.example"


def authenticated(raw, verdict="pass", domain="example.com", authserv_id=TRUSTED_HOST):
    """``raw`` as the receiving host delivers it: its Authentication-Results header on top."""
    header = (
        f"Authentication-Results: {authserv_id}; spf={verdict} smtp.mailfrom={domain}; "
        f"dkim={verdict} header.d={domain}; dmarc={verdict} header.from={domain}\n"
    )
    return header + raw


def test_agent_reply_by_mail_is_a_public_reply_that_the_requester_gets(answered, agent, requester, receive, on_commit, trusted_host):
    ticket = answered.ticket
    with on_commit():
        workflow.reply(ticket, by=requester, body="The app still fails.")
    (notice,) = addressed_to(mail.outbox, "agent@example.com")
    values = {"token": token_of(notice.reply_to[0]), "number": ticket.number, "in_reply_to": notice.extra_headers["Message-ID"]}
    mark = len(mail.outbox)

    # Her own reply token (the one mailed to her), and her domain's DKIM and DMARC passed.
    record = receive(authenticated(sample("agent_reply.eml", **values)))

    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, ticket)
    text = (
        "Hello Rita,\n"
        "\n"
        "The mobile app keeps its own copy of your password: please sign out of the app and sign in again.\n"
        "\n"
        "Best regards,\n"
        "Alice"
    )
    check_email_reply(record.message, ticket=ticket, body=text, role=Message.AuthorRole.AGENT, user=agent)
    assert record.message.author_name == "Alice Agent"
    (answer,) = since(mark)
    assert answer.to == ["requester@example.com"]
    assert text in answer.body
    assert OutboundMail.objects.get(internet_message_id=answer.extra_headers["Message-ID"]).event == "agent_reply"


def test_beneficiary_reply_by_mail_is_recorded_as_the_beneficiary(requester, other_requester, category, receive, on_commit):
    with on_commit():
        ticket = factories.open_ticket(requester, beneficiary=other_requester, category=category)
    (confirmation,) = addressed_to(mail.outbox, "other_requester@example.com")
    values = {"token": token_of(confirmation.reply_to[0]), "number": ticket.number, "in_reply_to": confirmation.extra_headers["Message-ID"]}
    message = set_header(parse(sample("gmail_reply.eml", **values)), "From", "Otto Other <other_requester@example.com>")

    record = receive(message)

    assert (record.status, record.ticket) == (InboundMail.Status.ADDED, ticket)
    check_email_reply(
        record.message,
        ticket=ticket,
        body=(
            "Thanks, the new password works on the website.\n"
            "The mobile app still says \u201cwrong password\u201d though.\n\nRita"
        ),
        role=Message.AuthorRole.BENEFICIARY,
        user=other_requester,
        email="other_requester@example.com",
    )
    assert record.message.author_name == "Otto Other"


# Attacks ----------------------------------------------------------------------------------------------------


def from_stranger(raw):
    return set_header(parse(raw), "From", f"Mallory <{STRANGER}>")


def test_spoofed_sender_with_a_valid_token_is_quarantined(answered, receive):
    ticket = answered.ticket
    before = counts(ticket)
    mark = len(mail.outbox)

    record = receive(from_stranger(sample("gmail_reply.eml", **answered.values)))

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.UNKNOWN_SENDER)
    assert (record.ticket, record.message) == (ticket, None)
    assert record.from_email == STRANGER
    assert record.note == f"{STRANGER} wrote about {ticket.reference} (found by the reply address) but takes no part in it."
    assert "Thanks, the new password works on the website." in record.raw
    assert counts(ticket) == before
    assert Ticket.objects.count() == 1
    assert since(mark) == []


def test_spoofed_sender_opens_a_ticket_of_their_own_when_set_to(answered, receive, team, settings):
    settings.WAGTAILSUPPORT_INBOUND_UNKNOWN_SENDER = "new_ticket"
    ticket = answered.ticket
    before = counts(ticket)
    mark = len(mail.outbox)

    record = receive(from_stranger(sample("gmail_reply.eml", **answered.values)))

    new = record.ticket
    assert record.status == InboundMail.Status.OPENED
    assert new.pk != ticket.pk
    assert new.follows is None
    assert (new.requester_email, new.requester_user, new.team) == (STRANGER, None, team)
    assert counts(ticket) == before
    assert list(ticket.followed_by.all()) == []
    # The stranger hears about their own ticket only: nothing of the other one.
    assert sorted(m.to[0] for m in since(mark)) == ["agent@example.com", STRANGER]
    (confirmation,) = addressed_to(since(mark), STRANGER)
    assert new.reference in confirmation.subject
    assert AGENT_ANSWER not in in_mail(confirmation)
    assert access.read_reply_token(token_of(confirmation.reply_to[0])) == new.pk


@pytest.mark.parametrize("kind", ["forged", "expired"])
def test_bad_reply_token_from_a_stranger_attaches_nothing(answered, receive, settings, kind):
    ticket = answered.ticket
    if kind == "forged":
        token = access.make_reply_token(ticket)
        token = token[: -24] + "0" * 24  # the right ticket and time, a made-up signature
    else:
        settings.WAGTAILSUPPORT_REPLY_TOKEN_MAX_AGE = 7 * 24 * 3600
        token = access.make_reply_token(ticket, now=time.time() - 8 * 24 * 3600)
        assert access.read_reply_token(token, now=time.time() - 7 * 24 * 3600) == ticket.pk  # it was good once
    address = f"support+{token}@reply.example.com"
    message = from_stranger(sample("gmail_reply.eml", **answered.values).replace(answered.reply_to, address))
    del message["In-Reply-To"], message["References"]
    set_header(message, "Subject", "Re: Cannot log in")
    before = counts(ticket)

    record = receive(message)

    assert record.ticket != ticket
    assert record.note.startswith(f"The reply token in {address} is not valid or has expired; it was ignored.")
    assert counts(ticket) == before
    assert not Message.objects.filter(ticket=ticket, author_email=STRANGER).exists()
    # Without a ticket to go to, it is a new request of the stranger's own.
    assert record.status == InboundMail.Status.OPENED
    assert (record.ticket.requester_email, record.ticket.follows) == (STRANGER, None)


def test_expired_token_is_refused_even_from_the_requester(answered, receive, settings):
    settings.WAGTAILSUPPORT_REPLY_TOKEN_MAX_AGE = 3600
    ticket = answered.ticket
    address = reply_address(ticket, now=time.time() - 7200)
    message = parse(sample("subject_reference.eml", number=ticket.number).replace("support@reply.example.com", address))
    set_header(message, "Subject", "I forgot to say")
    before = counts(ticket)

    record = receive(message)

    assert record.status == InboundMail.Status.OPENED
    assert record.ticket != ticket
    assert counts(ticket) == before


def test_agent_of_another_team_replying_is_not_taken_for_an_agent(answered, outsider_agent, receive):
    ticket = answered.ticket
    before = counts(ticket)
    mark = len(mail.outbox)
    message = set_header(parse(sample("agent_reply.eml", **answered.values)), "From", "Oscar Outsider <outsider@example.com>")

    record = receive(message)

    assert (record.status, record.reason) == (InboundMail.Status.QUARANTINED, InboundMail.Reason.UNKNOWN_SENDER)
    assert counts(ticket) == before
    assert not Message.objects.filter(author_user=outsider_agent).exists()
    assert since(mark) == []


def test_supervisor_replying_by_mail_is_taken_for_an_agent(answered, supervisor, receive, trusted_host):
    values = {**answered.values, "token": access.make_reply_token(answered.ticket, recipient=supervisor.email)}
    message = set_header(parse(authenticated(sample("agent_reply.eml", **values))), "From", "Sue Supervisor <supervisor@example.com>")

    record = receive(message)

    assert record.status == InboundMail.Status.ADDED
    assert (record.message.author_role, record.message.author_user) == (Message.AuthorRole.AGENT, supervisor)


def our_mail_back(thread):
    """The very mail we sent, come back to us (a requester's mailbox forwarding everything to us)."""
    return parse(thread.sent.message().as_string())


@pytest.mark.parametrize(
    "variant",
    ["our-mail-as-sent", "our-message-id-other-from", "from-our-address", "from-our-reply-address"],
)
def test_loops_are_ignored(answered, receive, variant):
    ticket = answered.ticket
    if variant == "our-mail-as-sent":
        message = our_mail_back(answered)
        set_header(message, "To", answered.reply_to)
    elif variant == "our-message-id-other-from":
        message = set_header(our_mail_back(answered), "From", "Rita Requester <requester@example.com>")
        set_header(message, "To", answered.reply_to)
        del message["Auto-Submitted"], message["X-Auto-Response-Suppress"]
    elif variant == "from-our-address":
        message = set_header(parse(sample("gmail_reply.eml", **answered.values)), "From", "Support <support@example.com>")
    else:
        message = set_header(parse(sample("forward_gmail.eml")), "From", f"<{answered.reply_to}>")
    tickets = Ticket.objects.count()
    before = counts(ticket)
    mark = len(mail.outbox)

    record = receive(message)

    assert (record.status, record.reason, record.message) == (InboundMail.Status.IGNORED, InboundMail.Reason.LOOP, None)
    assert Ticket.objects.count() == tickets
    assert counts(ticket) == before
    assert since(mark) == []


def distinct_mail(number):
    message = parse(sample("forward_gmail.eml"))
    set_header(message, "Message-ID", f"<fwd-{number}@mail.gmail.com>")
    return set_header(message, "Subject", f"Fwd: Order {4711 + number} never arrived")


def test_the_mail_over_the_hourly_limit_of_a_sender_is_ignored(receive, team, settings):
    settings.WAGTAILSUPPORT_INBOUND_HOURLY_LIMIT = 3
    records = [receive(distinct_mail(n)) for n in range(3)]
    assert [r.status for r in records] == [InboundMail.Status.OPENED] * 3
    mark = len(mail.outbox)

    over = receive(distinct_mail(3))

    assert (over.status, over.reason, over.ticket) == (InboundMail.Status.IGNORED, InboundMail.Reason.RATE_LIMITED, None)
    assert Ticket.objects.count() == 3
    assert since(mark) == []
    # Someone else is not held back by Paula's mails.
    other = receive(set_header(distinct_mail(4), "From", "Carl Customer <carl@customer.example>"))
    assert other.status == InboundMail.Status.OPENED


def test_the_hourly_limit_counts_the_last_hour_only(receive, team, settings):
    settings.WAGTAILSUPPORT_INBOUND_HOURLY_LIMIT = 3
    for n in range(3):
        receive(distinct_mail(n))
    InboundMail.objects.update(received_at=timezone.now() - timezone.timedelta(minutes=61))

    record = receive(distinct_mail(3))

    assert record.status == InboundMail.Status.OPENED
    assert Ticket.objects.count() == 4


# Admin: the incoming mail that reached no ticket ------------------------------------------------------------


def action_url(record, action):
    return reverse("wagtail_support_admin:inbound_action", args=[record.pk, action])


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def quarantined(anon_answered, receive):
    """Mallory's copy of Ann's Outlook reply (with its script), sent with Ann's reply token."""
    record = receive(from_stranger(sample("outlook_web_reply.eml", **anon_answered.values)))
    assert record.status == InboundMail.Status.QUARANTINED
    return record


def test_supervisor_releases_a_quarantined_mail_into_a_new_ticket(supervisor, quarantined, anon_answered, team, on_commit):
    old = anon_answered.ticket
    before = counts(old)
    mark = len(mail.outbox)

    with on_commit():
        response = logged_in(supervisor).post(action_url(quarantined, "release"))

    quarantined.refresh_from_db()
    new = quarantined.ticket
    assert new != old
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtail_support_admin:ticket", args=[new.pk])
    assert (quarantined.status, quarantined.raw) == (InboundMail.Status.RELEASED, "")
    assert (new.requester_email, new.requester_name, new.channel, new.team, new.follows) == (
        STRANGER, "Mallory", Ticket.Channel.EMAIL, team, None,
    )  # fmt: skip
    assert new.description == "Hello,\nThe invoice for March is still missing, see my account page.\nAnn"
    assert quarantined.message == new.messages.get()
    assert counts(old) == before
    (processed,) = InboundMail.objects.exclude(pk=quarantined.pk)
    assert (processed.status, processed.ticket) == (InboundMail.Status.OPENED, new)
    assert sorted(m.to[0] for m in since(mark)) == ["agent@example.com", STRANGER]
    (confirmation,) = addressed_to(since(mark), STRANGER)
    assert new.reference in confirmation.subject
    # Released once: a second click changes nothing.
    assert logged_in(supervisor).post(action_url(quarantined, "release")).status_code == 302
    assert Ticket.objects.count() == 2


def test_supervisor_discards_a_quarantined_mail(supervisor, quarantined, anon_answered):
    before = counts(anon_answered.ticket)
    mark = len(mail.outbox)

    response = logged_in(supervisor).post(action_url(quarantined, "discard"))

    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert (quarantined.status, quarantined.raw) == (InboundMail.Status.DISCARDED, "")
    assert counts(anon_answered.ticket) == before
    assert Ticket.objects.count() == 1
    assert since(mark) == []


@pytest.mark.parametrize("action", ["release", "discard"])
@pytest.mark.parametrize("xhr", [False, True], ids=["page", "xhr"])
def test_agent_without_the_permission_may_not_release_or_discard(agent, quarantined, action, xhr):
    raw = quarantined.raw
    headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"} if xhr else {}

    response = logged_in(agent).post(action_url(quarantined, action), **headers)

    # The view raises PermissionDenied: a 403 to a script, Wagtail's "no permission" redirect to a page.
    if xhr:
        assert response.status_code == 403
    else:
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    quarantined.refresh_from_db()
    assert (quarantined.status, quarantined.raw) == (InboundMail.Status.QUARANTINED, raw)
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("action", ["release", "discard"])
def test_release_and_discard_refuse_get(supervisor, quarantined, action):
    response = logged_in(supervisor).get(action_url(quarantined, action))

    assert response.status_code == 405
    quarantined.refresh_from_db()
    assert quarantined.status == InboundMail.Status.QUARANTINED
    assert quarantined.raw != ""


def test_incoming_mail_list_and_inspect_show_the_quarantined_mail(supervisor, agent, quarantined):
    client = logged_in(supervisor)

    listing = client.get(url_for(InboundMail))
    inspect = client.get(url_for(InboundMail, "inspect", quarantined.pk))

    assert listing.status_code == 200
    assert STRANGER in listing.content.decode()
    assert quarantined.subject in listing.content.decode()
    assert inspect.status_code == 200
    page = inspect.content.decode()
    assert STRANGER in page
    assert "Quarantined" in page
    assert action_url(quarantined, "release") in page and action_url(quarantined, "discard") in page
    # The raw mail is shown as text: its script is escaped, never markup.
    assert "&lt;script&gt;window.location" in page
    assert "<script>window.location" not in page
    # Agents do not see the list.
    refused = logged_in(agent).get(url_for(InboundMail))
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")


def test_a_mail_that_failed_is_kept_and_processed_again_from_the_admin(answered, supervisor, receive, monkeypatch, on_commit):
    ticket = answered.ticket
    before = counts(ticket)
    real_reply = workflow.reply

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(workflow, "reply", broken)
    record = receive(sample("gmail_reply.eml", **answered.values))

    assert (record.status, record.reason) == (InboundMail.Status.FAILED, InboundMail.Reason.ERROR)
    assert record.note == "RuntimeError: database went away"
    assert "Thanks, the new password works on the website." in record.raw
    assert counts(ticket) == before

    monkeypatch.setattr(workflow, "reply", real_reply)
    with on_commit():
        response = logged_in(supervisor).post(action_url(record, "release"))

    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.raw, record.ticket) == (InboundMail.Status.RELEASED, "", ticket)
    assert record.message.body.startswith("Thanks, the new password works on the website.")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.messages.filter(channel=Ticket.Channel.EMAIL).count() == 1
