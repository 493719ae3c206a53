"""Robots through the whole inbound path (``inbound.process``), as the ESP's webhook hands them over.

Every robot mail of ``tests/robot_corpus/`` is kept under Incoming mail with its reason, touches no ticket,
opens none and gets no answer ("no robot ever gets a confirmation"); every human mail of the corpus is
handled as a person's: a ticket of its own, and the confirmation. A bounce marks the mail of ours it names,
by its Message-ID, or by its failed recipient when it names none of ours.
"""

from pathlib import Path

import pytest
from anymail.inbound import AnymailInboundMessage
from django.core import mail

from tests import factories
from wagtail_support.inbound import process
from wagtail_support.models import InboundMail, OutboundMail, Ticket

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parent / "robot_corpus"
ROBOTS = sorted(path for path in CORPUS.glob("*/*.eml") if path.parent.name != "human")
HUMANS = sorted(CORPUS.glob("human/*.eml"))
REASONS = {
    "bounce": InboundMail.Reason.BOUNCE,
    "complaint": InboundMail.Reason.COMPLAINT,
    "esp_notification": InboundMail.Reason.ROBOT,
    "challenge": InboundMail.Reason.ROBOT,
    "list": InboundMail.Reason.LIST,
    "auto_reply": InboundMail.Reason.AUTO_REPLY,
}


@pytest.fixture(autouse=True)
def _support(settings, team, django_capture_on_commit_callbacks):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = team.slug
    settings.WAGTAILSUPPORT_INBOUND_ADDRESS = "support@reply.example.com"
    settings.WAGTAILSUPPORT_INBOUND_HOURLY_LIMIT = None


def deliver(path, callbacks):
    message = AnymailInboundMessage.parse_raw_mime_bytes(path.read_bytes())
    with callbacks(execute=True):
        record = process(message, esp_name="tests")
    record.refresh_from_db()
    return record


def name(path):
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", ROBOTS, ids=name)
def test_no_robot_opens_a_ticket_or_gets_an_answer(path, django_capture_on_commit_callbacks):
    record = deliver(path, django_capture_on_commit_callbacks)

    assert record.status == InboundMail.Status.IGNORED, record.note
    assert record.reason in {REASONS[path.parent.name], InboundMail.Reason.LOOP}
    assert not Ticket.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("path", HUMANS, ids=name)
def test_a_person_is_answered_as_a_person(path, django_capture_on_commit_callbacks):
    record = deliver(path, django_capture_on_commit_callbacks)

    # A person's mail opens a ticket (or, when it is about a ticket they take no part in, waits for a
    # supervisor): never dropped as a robot's.
    assert record.reason not in set(REASONS.values()) | {InboundMail.Reason.NO_SENDER}, record.note
    if record.status == InboundMail.Status.OPENED:
        assert [m.to[0] for m in mail.outbox] and record.ticket.requester_email == record.from_email


def test_a_bounce_naming_only_its_recipient_marks_our_latest_mail_to_it(requester, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        factories.open_ticket(requester, category=category)
    confirmation = OutboundMail.objects.get(recipient=requester.email)
    bounce = (
        "Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net (Mail Delivery System)\nTo: support@reply.example.com\n"
        "Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMessage-ID: <b1@mx.example.net>\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
        "--b\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be delivered.\n\n"
        f"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {requester.email}\nAction: failed\nStatus: 5.1.1\n\n--b--\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        record = process(AnymailInboundMessage.parse_raw_mime(bounce), esp_name="tests")

    assert (record.status, record.reason) == (InboundMail.Status.IGNORED, InboundMail.Reason.BOUNCE)
    confirmation.refresh_from_db()
    assert confirmation.status == OutboundMail.Status.BOUNCED
