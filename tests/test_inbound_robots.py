"""Robots recognised in inbound mail (``inbound.robots``): the corpus of ``tests/robot_corpus/`` and the rules.

Each robot of the corpus must be recognised with the kind of its folder, each mail of ``human/`` must not be
taken for a robot; the figures of ``benchmarks.mailbench.robots`` hold (no false positive, recall of at least
98%). Then the rules one by one, on mails built here: the sender of a bounce that Anymail cannot read, the
addresses and our Message-IDs a report names, and the cases where a mark alone must not decide.
"""

import logging
import re
from pathlib import Path

import pytest
from anymail.exceptions import AnymailInvalidAddress
from anymail.inbound import AnymailInboundMessage

from benchmarks.mailbench import robots as bench
from wagtail_support.inbound import robots
from wagtail_support.inbound.robots import recognise, sender_address

CORPUS = Path(__file__).resolve().parent / "robot_corpus"
SAMPLES = Path(__file__).resolve().parent / "mail_samples"
OWN = bench.OWN_ADDRESSES
MAILS = sorted(CORPUS.glob("*/*.eml"))
ROBOTS = [path for path in MAILS if path.parent.name != "human"]
HUMANS = [path for path in MAILS if path.parent.name == "human"]


def load(path):
    return AnymailInboundMessage.parse_raw_mime_bytes(path.read_bytes())


def parse(text):
    return AnymailInboundMessage.parse_raw_mime(text)


def name(path):
    return f"{path.parent.name}/{path.stem}"


# The corpus -------------------------------------------------------------------------------------------------


def test_the_corpus_is_as_large_as_promised():
    kinds = {path.parent.name for path in ROBOTS}
    assert kinds == set(robots.KINDS)
    assert len(ROBOTS) >= 150
    assert len(HUMANS) >= 80
    assert (CORPUS / "README.md").exists()


@pytest.mark.parametrize("path", ROBOTS, ids=name)
def test_each_robot_is_recognised_with_its_kind(path):
    found = recognise(load(path), own_addresses=OWN)
    assert found is not None, "taken for a person"
    assert found.kind == path.parent.name
    assert str(found.reason)


@pytest.mark.parametrize("path", HUMANS, ids=name)
def test_each_human_mail_is_a_human_mail(path):
    found = recognise(load(path), own_addresses=OWN)
    assert found is None, f"taken for {found.kind}: {found.reason}"


@pytest.mark.parametrize("path", MAILS, ids=name)
def test_no_mail_of_the_corpus_makes_an_error(path, caplog):
    message = load(path)
    with caplog.at_level(logging.WARNING, logger="wagtail_support.inbound.robots"):
        recognise(message, own_addresses=OWN)
        address, _name = sender_address(message)
    assert not caplog.records  # recognise logs what it could not read instead of raising
    assert address == "" or re.fullmatch(r"[^@\s]+@[^@\s]+", address)


def test_the_figures_of_the_benchmark_hold():
    lines, figures = bench.report()
    assert figures["false_positives"] == 0, figures["false_positive_mails"]
    assert figures["recall"] >= bench.MIN_RECALL, figures["misses"]
    assert figures["robots"] == len(ROBOTS) and figures["humans"] == len(HUMANS)
    assert any(line.startswith("False positives: 0/") for line in lines)


def test_the_figures_count_a_miss_and_a_false_positive():
    # The figures are computed, not assumed: a robot filed as a person and a person filed as a robot show.
    robot = (CORPUS / "bounce" / "postfix-user-unknown.eml").read_bytes()
    person = (CORPUS / "human" / "new-en-gmail.eml").read_bytes()
    _lines, figures = bench.report([("human", "a-bounce", robot), ("bounce", "a-person", person), ("bounce", "ok", robot)])
    assert figures["false_positives"] == 1
    assert figures["recall"] == 0.5
    assert figures["misses"] == ["bounce/a-person: not recognised"]


# Our Message-IDs and the failed addresses, over the whole corpus
_OUR_ID_LINE = re.compile(r"(?im)^Message-ID: (<[^<>\s]+@mail\.example\.com>)")


@pytest.mark.parametrize("path", [p for p in ROBOTS if p.parent.name in {"bounce", "complaint"}], ids=name)
def test_a_report_names_the_mail_it_returns(path):
    found = recognise(load(path), own_addresses=OWN)
    # The returned mail's Message-ID lines, read from the file below its own headers.
    body = re.split(r"\r?\n\r?\n", path.read_text(encoding="utf-8"), maxsplit=1)[1]
    returned = _OUR_ID_LINE.findall(body)
    assert set(found.bounced_message_ids) == set(returned)
    assert not set(found.referenced_message_ids) & set(found.bounced_message_ids)
    if found.kind == "bounce" and found.failed:
        assert found.bounced_recipients
    for address in found.bounced_recipients:
        assert "example.com" != address.partition("@")[2] and "reply.example.com" not in address


# The sender ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, expected",
    [
        ("<>", ("", "")),
        ("MAILER-DAEMON <>", ("", "MAILER-DAEMON")),
        ("Mail Delivery Subsystem <MAILER-DAEMON>", ("", "Mail Delivery Subsystem")),
        ("mailer-daemon", ("", "")),
        ('"broken <a@b', ("", "")),
        ("undisclosed-recipients:;", ("", "")),
        ("=?utf-8?q?Mail_Delivery_System?= <MAILER-DAEMON>", ("", "Mail Delivery System")),
    ],
)
def test_sender_address_of_a_sender_anymail_cannot_read(header, expected):
    message = parse(f"From: {header}\nSubject: x\n\nbody\n")
    with pytest.raises(AnymailInvalidAddress):
        message.from_email  # noqa: B018 - what the handler read before, and why this exists
    assert sender_address(message) == expected


@pytest.mark.parametrize(
    "header, expected",
    [
        ("=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <Juergen.Mueller@Example.DE>", ("juergen.mueller@example.de", "Jürgen Müller")),
        ("MAILER-DAEMON@mx.example.org (Mail Delivery System)", ("mailer-daemon@mx.example.org", "Mail Delivery System")),
        ('"Smith, John" <john@example.com>', ("john@example.com", "Smith, John")),
        ("first@example.com, second@example.com", ("first@example.com", "")),
        ("Rita <rita@example.com", ("rita@example.com", "Rita")),
    ],
)
def test_sender_address_of_a_readable_sender(header, expected):
    assert sender_address(parse(f"From: {header}\nSubject: x\n\nbody\n")) == expected


def test_sender_address_without_a_from_header():
    assert sender_address(parse("Subject: x\n\nbody\n")) == ("", "")


# Reports: what they name ---------------------------------------------------------------------------------------

BOUNCED, EARLIER = "<b1.4f2a@mail.example.com>", "<e1.77c0@mail.example.com>"


def sample(name, **values):
    text = (SAMPLES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key.upper()}__", str(value))
    return text


def test_a_dsn_names_the_failed_recipient_and_the_returned_mail():
    found = recognise(parse(sample("bounce.eml", token="abc", number=12, bounced_id=BOUNCED, earlier_id=EARLIER)))
    assert (found.kind, found.failed) == ("bounce", True)
    assert found.bounced_recipients == ("requester@example.com",)
    # The returned headers also name the mail it answered: only as a reference.
    assert found.bounced_message_ids == (BOUNCED,)
    assert found.referenced_message_ids == (EARLIER,)


QMAIL = f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.example.org
To: support@example.com
Subject: failure notice

Hi. This is the qmail-send program at mx.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<gone@example.net>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

From: Support <support@example.com>
To: gone@example.net
Reply-To: support+tok@reply.example.com
Message-ID: {BOUNCED}
In-Reply-To: {EARLIER}
References:
 {EARLIER}

Hello
"""


def test_a_bounce_without_a_report_part_names_what_its_text_names():
    found = recognise(parse(QMAIL))
    assert (found.kind, found.failed) == ("bounce", True)
    assert found.bounced_recipients == ("gone@example.net",)
    assert found.bounced_message_ids == (BOUNCED,)
    assert found.referenced_message_ids == (EARLIER,)


def test_without_a_message_id_line_the_thread_ids_are_the_only_clue():
    found = recognise(parse(QMAIL.replace(f"Message-ID: {BOUNCED}\n", "")))
    assert found.bounced_message_ids == ()
    assert found.referenced_message_ids == (EARLIER,)


def test_x_failed_recipients_names_the_recipients():
    text = QMAIL.replace("Subject: failure notice\n", "Subject: failure notice\nX-Failed-Recipients: a@example.net,\n b@example.net\n")
    assert recognise(parse(text)).bounced_recipients == ("a@example.net", "b@example.net")


def test_a_dsn_an_esp_posted_as_parsed_parts():
    # Postmark's JSON, Mailgun's form, Mailjet: the report parts come back as attachments, which Anymail
    # parses into a multipart/mixed; a message/delivery-status attachment becomes one mail of its blocks.
    status = b"Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; gone@example.net\nAction: failed\nStatus: 5.1.1\n"
    returned = f"From: Support <support@example.com>\nMessage-ID: {BOUNCED}\nIn-Reply-To: {EARLIER}\n\nHello\n".encode()
    message = AnymailInboundMessage.construct(
        from_email="Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        to="support@example.com",
        subject="Undelivered Mail Returned to Sender",
        text="I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n",
        attachments=[
            AnymailInboundMessage.construct_attachment("message/delivery-status", status, filename="details.txt"),
            AnymailInboundMessage.construct_attachment("message/rfc822", returned, filename="original.eml"),
        ],
    )
    found = recognise(message)
    assert (found.kind, found.failed, found.bounced_recipients) == ("bounce", True, ("gone@example.net",))
    assert (found.bounced_message_ids, found.referenced_message_ids) == ((BOUNCED,), (EARLIER,))


def test_returned_headers_an_esp_posted_as_a_text_attachment():
    returned = f"From: Support <support@example.com>\nTo: gone@example.net\nMessage-ID: {BOUNCED}\nIn-Reply-To: {EARLIER}\n".encode()
    message = AnymailInboundMessage.construct(
        from_email="MAILER-DAEMON@mx.example.com",
        to="support@example.com",
        subject="Undelivered Mail Returned to Sender",
        text="I'm sorry to have to inform you that your message could not\nbe delivered.\n\n<gone@example.net>: 550 5.1.1 User unknown\n",
        attachments=[AnymailInboundMessage.construct_attachment("text/plain", returned, filename="Undelivered Message Headers.txt")],
    )
    found = recognise(message)
    assert (found.kind, found.bounced_recipients) == ("bounce", ("gone@example.net",))
    assert (found.bounced_message_ids, found.referenced_message_ids) == ((BOUNCED,), (EARLIER,))


def test_a_delay_warning_fails_nothing():
    found = recognise(parse((CORPUS / "bounce" / "postfix-delayed.eml").read_text()))
    assert (found.kind, found.failed, found.bounced_recipients) == ("bounce", False, ())
    found = recognise(parse((CORPUS / "bounce" / "exim-delay-warning.eml").read_text()))
    assert (found.kind, found.failed) == ("bounce", False)


def test_an_ses_notification_names_what_it_reports():
    found = recognise(parse((CORPUS / "esp_notification" / "ses-sns-bounce.eml").read_text()))
    assert (found.kind, found.failed, found.bounced_recipients) == ("esp_notification", True, ("gone@example.net",))
    assert len(found.bounced_message_ids) == 1 and found.bounced_message_ids[0].endswith("@mail.example.com>")
    transient = recognise(parse((CORPUS / "esp_notification" / "ses-sns-transient.eml").read_text()))
    assert transient.failed is False


# The rules at their edges ----------------------------------------------------------------------------------------


def mail(headers="", subject="Question", body="Hello, how do I change my password?\n", sender="Pat <pat@example.net>"):
    return parse(f"From: {sender}\nTo: support@example.com\nSubject: {subject}\n{headers}\n{body}")


def kind_of(message, own=OWN):
    found = recognise(message, own_addresses=own)
    return found.kind if found else None


def test_a_person_at_postmaster_is_a_person_but_a_bounce_from_there_is_a_bounce():
    assert kind_of(mail(sender="Ellen <postmaster@example.org>")) is None
    assert kind_of(mail(sender="postmaster@example.org", subject="Undeliverable: Question", body="Delivery has failed to these recipients or groups:\n\nx@example.org\n")) == "bounce"


def test_a_bounce_subject_needs_a_second_mark():
    assert kind_of(mail(subject="Delivery failed", body="The courier could not deliver my parcel.\n")) is None
    assert kind_of(mail(subject="Delivery failed", headers="Return-Path: <>\n", body="The courier could not deliver my parcel.\n")) is not None
    assert kind_of(mail(subject="Delivery failed", headers="Auto-Submitted: auto-replied\n")) == "bounce"


def test_x_auto_response_suppress_alone_is_not_an_auto_reply():
    assert kind_of(mail(headers="X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: pat@example.net\n")) is None
    assert kind_of(mail(headers="X-Auto-Response-Suppress: All\nAuto-Submitted: auto-replied\n")) == "auto_reply"
    assert kind_of(mail(headers="Auto-Submitted: no\n")) is None


@pytest.mark.parametrize(
    "subject, robot",
    [
        ("Automatic reply: [#12] Question", True),
        ("Réponse automatique : [#12] Question", True),
        ("自动回复: [#12] Question", True),
        ("Re: Automatic reply: [#12] Question", False),  # a person answering the auto-reply
        ("AW: Automatische Antwort: [#12] Frage", False),
        ("Automatic replies are sent twice", False),
        ("Out of office not working", False),
        ("Out of Office", False),  # a person may write it: needs a clue
        ("Absence", False),
        ("Fuera de la oficina: ¿cómo configurarlo?", False),
        ("Fuera de la oficina: RE: [#12] Question", True),  # it answers one of our mails
        ("[AUTO GENERATED] Case 123 received", True),
        ("Re: [AUTO GENERATED] Case 123 received", False),
    ],
)
def test_subjects(subject, robot):
    assert (kind_of(mail(subject=subject)) == "auto_reply") is robot


def test_a_subject_a_person_may_write_counts_with_a_reply_header():
    assert kind_of(mail(subject="Out of Office", headers="In-Reply-To: <x@mail.example.com>\n")) == "auto_reply"
    assert kind_of(mail(subject="Abwesend", headers="X-Auto-Response-Suppress: All\n")) == "auto_reply"


def test_a_list_that_is_ours_is_no_evidence():
    headers = "List-Id: <support.example.com>\nList-Post: <mailto:support@example.com>\nPrecedence: list\n"
    assert kind_of(mail(headers=headers)) is None
    assert kind_of(mail(headers=headers), own=()) == "list"
    assert kind_of(mail(headers="List-Id: Developers <devel.lists.example.org>\n")) == "list"


def test_list_unsubscribe_alone_is_not_a_list():
    assert kind_of(mail(headers="List-Unsubscribe: <https://vendor.example/u>\n")) is None
    assert kind_of(mail(headers="List-Unsubscribe: <https://vendor.example/u>\nPrecedence: bulk\n")) == "list"


def test_a_report_forwarded_by_a_person_is_the_persons_mail():
    forwarded = (CORPUS / "human" / "forward-bounce-as-attachment-outlook.eml").read_text()
    assert kind_of(parse(forwarded)) is None
    assert kind_of(parse("Return-Path: <>\n" + forwarded)) == "bounce"


def test_a_no_reply_sender_alone_is_not_a_robot():
    assert kind_of(mail(sender="Website <noreply@shop.example>")) is None
    assert kind_of(mail(sender="Shop <noreply@shop.example>", body="Your order shipped.\nPlease do not reply to this email.\n")) == "auto_reply"


def test_a_null_return_path_alone_is_a_robot():
    assert kind_of(mail(headers="Return-Path: <>\n")) == "auto_reply"
    assert kind_of(mail(headers="Return-Path: <pat@example.net>\n")) is None


def test_a_broken_mail_is_no_robot_and_no_error(caplog):
    message = parse("From: a@example.net\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\ngarbage\n")
    assert kind_of(message) == "bounce"
    assert recognise(parse("\x00\x01 not a mail")) is None
    assert not [record for record in caplog.records if record.name == "wagtail_support.inbound.robots"]
