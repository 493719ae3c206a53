"""Mail that comes in: replies to our mails and new requests, from Anymail's ``inbound`` signal.

Every ESP that Anymail supports for inbound mail posts to Anymail's webhook, which authenticates the
call (``ANYMAIL["WEBHOOK_SECRET"]`` or the ESP's signature) and sends the ``inbound`` signal with a
normalised message; ``handle_inbound`` below never knows which ESP it came from.

What ``process`` does with one mail, in order:

1. Records it (``InboundMail``) under a key made of its Message-ID, so the same mail delivered twice
   is processed once.
2. Recognises mail that must never be answered: our own mail coming back (a loop), bounces (which
   mark our mail as bounced), auto-replies (``Auto-Submitted``, ``Precedence``, ``X-Autoreply``,
   ``X-Auto-Response-Suppress`` ...) and senders above ``WAGTAILSUPPORT_INBOUND_HOURLY_LIMIT`` mails
   an hour. Those are kept and listed in the admin, and touch no ticket.
3. Finds the ticket: by the signed token in the address it was sent to (our Reply-To), then by its
   ``In-Reply-To``/``References`` against the Message-IDs we recorded, then by the reference in the
   subject.
4. Checks the sender: the ticket's requester, its beneficiary or an agent who works it. Anyone else
   does not touch the ticket: the mail waits in quarantine or opens a ticket of its own
   (``WAGTAILSUPPORT_INBOUND_UNKNOWN_SENDER``).
5. Adds the reply (quoted history and signature stripped, HTML through the sanitiser, attachments
   through the same checks as web uploads) through the workflow, which sets a pending ticket open and
   reopens a closed one within the reopen window; after the window, or when no ticket matches, the
   mail opens a new ticket (channel "email"), routed by the address it was sent to. A mail that opens
   a ticket keeps the mail it forwards, even below a note of the sender's own.
"""

import copy
import hashlib
import logging
import re
from email.encoders import encode_base64
from email.utils import getaddresses

from anymail.inbound import AnymailInboundMessage

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import access, workflow
from ..middleware import is_database_unavailable
from ..adapter import get_adapter
from ..attachments import validate_attachments
from ..conf import support_settings
from ..models import InboundMail, Message, OutboundMail, Team, Ticket
from ..notifications.tracking import mark_bounced, mark_bounced_recipients
from ..sanitize import clean_filename, clean_text
from ..site_config import site_for_inbound
from . import replies, robots
from .authentication import agent_proven, failed_note, missing_proof, read_verdict
from .copies import follower_role, suggest_cc
from .html import html_to_text

logger = logging.getLogger(__name__)

_MSGID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
# The line that starts a forwarded mail, as the reply rules know it.
_FORWARD_LINE = replies.FORWARD_LINE
# Keep at most this much raw MIME text of a mail that did not reach a ticket.
MAX_RAW = 30 * 1024 * 1024


def handle_inbound(sender, event, esp_name, **kwargs):
    """Anymail ``inbound`` signal receiver. Whatever goes wrong with one mail is recorded on an
    ``InboundMail`` row (``FAILED``, with the error and what could be kept of the mail), where supervisors
    see it and can process it again, and the webhook answers 2xx (invariant 9): an ESP retries a 5xx for
    hours. Only a database that cannot be reached is raised, so that the ESP does retry then."""
    esp_name = esp_name or ""
    event_id = getattr(event, "event_id", None)
    message = getattr(event, "message", None)
    try:
        if message is None:
            raise ValueError("the ESP's event carries no message")
        return process(message, esp_name=esp_name, event_id=event_id)
    except Exception as error:  # noqa: BLE001 - a mail must never make the webhook fail
        if is_database_unavailable(error):
            raise
        logger.exception("Could not read inbound mail (%s event %s)", esp_name, event_id)
        return record_unreadable(event, message, esp_name, event_id, error)


def record_unreadable(event, message, esp_name, event_id, error):
    """The ``FAILED`` record of a mail that could not even be read; the same mail delivered again is
    recorded once. What could be kept of it (its MIME text, else the ESP's payload) is kept."""
    raw = ""
    if message is not None:
        raw = raw_text(message)
    if not raw:
        payload = getattr(event, "esp_event", None)
        try:
            raw = payload.body.decode("utf-8", "replace") if hasattr(payload, "body") else str(payload or "")
        except Exception:  # noqa: BLE001 - nothing more can be kept
            raw = ""
    seed = f"{esp_name}:{event_id}" if event_id else raw or f"{esp_name}:{timezone.now().isoformat()}"
    key = "err:" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()
    subject = ""
    if message is not None:
        try:
            subject = clean_text(message.subject or "")[:255]
        except Exception:  # noqa: BLE001 - an undecodable subject stays empty
            subject = ""
    record, _created = InboundMail.objects.get_or_create(
        dedupe_key=key,
        defaults={
            "esp_name": esp_name[:50],
            "subject": subject,
            "status": InboundMail.Status.FAILED,
            "reason": InboundMail.Reason.ERROR,
            "note": f"{type(error).__name__}: {error}"[:2000],
            "raw": raw.replace("\x00", "")[:MAX_RAW],
        },
    )
    return record


# Reading a mail ---------------------------------------------------------------------------------------------


def _header(message, name):
    value = message.get(name)
    return str(value).strip() if value is not None else ""


def _message_ids(value):
    return _MSGID.findall(value or "")


def sender_of(message):
    """(address, display name) of the sender, the address lower-cased; "" for a null or unusable sender
    (``<>``, ``MAILER-DAEMON``, a header that cannot be parsed). Never raises (``robots.sender_address``)."""
    address, name = robots.sender_address(message)
    return (address or "").strip().lower(), (name or "").strip()


def recipients_of(message):
    """Every address the mail was sent to: To, Cc, the envelope and the delivery headers, lower-cased."""
    found = [addr for _name, addr in getaddresses([str(v) for h in ("To", "Cc") for v in message.get_all(h, []) or []])]
    envelope = getattr(message, "envelope_recipient", None)
    if envelope:
        found.append(envelope)
    for header in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"):
        found += [addr for _name, addr in getaddresses(message.get_all(header, []))]
    seen, result = set(), []
    for address in found:
        address = (address or "").strip().lower()
        if address and address not in seen:
            seen.add(address)
            result.append(address)
    return result


def dedupe_key(message, esp_name="", event_id=None):
    """What makes two deliveries the same mail: its Message-ID, else the ESP's event id, else its content."""
    ids = _message_ids(_header(message, "Message-ID"))
    if ids:
        key = "mid:" + ids[0]
    elif event_id:
        key = f"esp:{esp_name}:{event_id}"
    else:
        digest = hashlib.sha256()
        for part in (_header(message, "From"), _header(message, "To"), _header(message, "Date"), message.subject or ""):
            digest.update(part.encode("utf-8", "replace") + b"\0")
        digest.update((message.text or message.html or "").encode("utf-8", "replace"))
        key = "sha:" + digest.hexdigest()
    if len(key) > 255:
        key = "sha:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def raw_text(message):
    """The mail as MIME text, to keep in the database and parse again later.

    ESPs that post parsed mail (Postmark's JSON, say) give attachments as bytes that Anymail puts back
    without a transfer encoding; they are base64-encoded here, so the text has no NUL byte (PostgreSQL
    refuses one in a text column) and parses back into the same files.
    """
    try:
        message = copy.deepcopy(message)
        for part in message.walk():
            if part.is_multipart() or part.get_content_maintype() == "message":
                continue
            encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
            if encoding in {"base64", "quoted-printable"}:
                continue
            payload = part.get_payload()
            if part.get_content_maintype() != "text" or "\x00" in payload:
                # encode_base64 reads the payload's bytes, surrogate-escaped ones included.
                del part["Content-Transfer-Encoding"]
                encode_base64(part)
        raw = message.as_bytes().decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a mail Python cannot serialise again is kept as its parts
        raw = f"Subject: {message.subject}\n\n{message.text or message.html or ''}"
    return raw.replace("\x00", "")[:MAX_RAW]


# Mail that must not be answered -----------------------------------------------------------------------------


def is_loop(message, sender, own=None):
    """Our own mail came back: sent from one of the support's addresses, or carrying one of our Message-IDs."""
    if access.is_support_address(sender, own):
        return True
    ids = _message_ids(_header(message, "Message-ID"))
    return bool(ids) and OutboundMail.objects.filter(internet_message_id__in=ids).exists()


def over_hourly_limit(sender):
    limit = support_settings.INBOUND_HOURLY_LIMIT
    if not limit or not sender:
        return False
    since = timezone.now() - timezone.timedelta(hours=1)
    return InboundMail.objects.filter(from_email=sender, received_at__gte=since).count() > limit


# Finding the ticket -----------------------------------------------------------------------------------------


def ticket_from_token(recipients):
    """(ticket, note, token): the ticket named by a valid reply token in one of the addresses."""
    note = ""
    for address in recipients:
        local = address.partition("@")[0]
        if "+" not in local:
            continue
        token = access.open_reply_token(local.split("+", 1)[1])
        if token is None:
            note = _("The reply token in %(address)s is not valid or has expired; it was ignored.") % {"address": address}
            continue
        ticket = Ticket.objects.select_related("team").filter(pk=token.ticket_id).first()
        if ticket is not None:
            return ticket, "", token
    return None, note, None


def ticket_from_headers(message):
    """The ticket of the newest of our mails (or of mails we received) this one answers."""
    ids = _message_ids(_header(message, "In-Reply-To")) + _message_ids(_header(message, "References"))
    if not ids:
        return None
    ids = ids[-50:]
    ours = OutboundMail.objects.filter(internet_message_id__in=ids, ticket__isnull=False).order_by("-created_at").first()
    if ours is not None:
        return Ticket.objects.select_related("team").get(pk=ours.ticket_id)
    theirs = InboundMail.objects.filter(internet_message_id__in=ids, ticket__isnull=False).order_by("-received_at").first()
    if theirs is not None:
        return Ticket.objects.select_related("team").get(pk=theirs.ticket_id)
    return None


def ticket_from_subject(subject):
    """The ticket named in the subject as our mails write it, "[#1234]".

    A bare "#1234" is not taken: in a stranger's new mail it is more often an order or an invoice number,
    and the mail would wait in quarantine instead of opening the stranger's ticket.
    """
    prefix = re.escape(support_settings.REFERENCE_PREFIX)
    for number in re.findall(rf"\[{prefix}(\d{{1,18}})\]", subject or ""):
        ticket = Ticket.objects.select_related("team").filter(number=int(number)).first()
        if ticket is not None:
            return ticket
    return None


# At most this many "merged into" pointers are followed (the workflow keeps them one hop long).
MAX_MERGE_HOPS = 5


def follow_merges(ticket):
    """The ticket that ``ticket`` was merged into (the end of the ``merged_into`` chain), else ``ticket``;
    a loop or a chain longer than ``MAX_MERGE_HOPS`` stops where it is."""
    seen = set()
    while ticket is not None and ticket.merged_into_id is not None and len(seen) < MAX_MERGE_HOPS:
        seen.add(ticket.pk)
        if ticket.merged_into_id in seen:
            break
        following = Ticket.objects.select_related("team").filter(pk=ticket.merged_into_id).first()
        if following is None:
            break
        ticket = following
    return ticket


def find_ticket(message, recipients):
    """(ticket, how, note, token): the ticket a mail is about, which clue found it, and the reply token
    it came back with (``None`` unless the token found it). A mail about a merged ticket is about the
    ticket it was merged into."""
    ticket, note, token = ticket_from_token(recipients)
    if ticket is not None:
        return follow_merges(ticket), "token", note, token
    ticket = ticket_from_headers(message)
    if ticket is not None:
        return follow_merges(ticket), "headers", note, None
    ticket = ticket_from_subject(message.subject)
    if ticket is not None:
        return follow_merges(ticket), "subject", note, None
    return None, "", note, None


def clue_label(how):
    """What found the ticket, in words: for the notes an agent reads."""
    return {
        "token": _("the reply address"),
        "headers": _("the mail it answers"),
        "subject": _("the reference in the subject"),
    }.get(how, how)


# What a mail's sender is on the ticket, as the author role of the message it becomes.
_AUTHOR_ROLES = {
    access.Role.REQUESTER: Message.AuthorRole.REQUESTER,
    access.Role.BENEFICIARY: Message.AuthorRole.BENEFICIARY,
    access.Role.AGENT: Message.AuthorRole.AGENT,
}


def sender_role(ticket, sender):
    """(author role, account) of the sender on the ticket (see ``access.mail_sender_role``)."""
    role, user = access.mail_sender_role(ticket, sender)
    return _AUTHOR_ROLES.get(role), user


def team_for(recipients, site=None):
    """The active team whose incoming address the mail was sent to, else the default team of the site whose
    inbound address it was sent to, else the default team (the adapter's ``get_team_for_new_ticket``)."""
    if recipients:
        by_address = {t.inbound_email.lower(): t for t in Team.objects.filter(is_active=True).exclude(inbound_email="")}
        for address in recipients:
            if address in by_address:
                return by_address[address]
    return get_adapter().get_team_for_new_ticket(channel=Ticket.Channel.EMAIL, site=site)


def language_of(message):
    """The site language the mail is written in, from its Content-Language; else the site's default."""
    available = {code.lower(): code for code, _name in settings.LANGUAGES}
    for value in (_header(message, "Content-Language"), _header(message, "Accept-Language")):
        for tag in re.split(r"[,\s]+", value.lower()):
            tag = tag.split(";")[0]
            if tag in available:
                return available[tag]
            if tag.split("-")[0] in available:
                return available[tag.split("-")[0]]
    return settings.LANGUAGE_CODE


# Body and attachments ---------------------------------------------------------------------------------------


def body_of(message):
    return replies.reply_text(
        stripped_text=getattr(message, "stripped_text", None), text=message.text, html=message.html
    )


def forwarded_part(message):
    """The forwarded mail in a mail (from its "Begin forwarded message:" or "-- Forwarded message --" line
    to the end), or "".

    The reply rules cut a reply at a forward written below some text of the sender's own, as in a reply
    the forward is history. A mail that opens a ticket is not a reply: what it forwards is the request.
    """
    text = message.text if message.text and message.text.strip() else ""
    if not text and message.html:
        text = html_to_text(message.html)
    lines = [line.rstrip() for line in clean_text(text or "").split("\n")]
    for index, line in enumerate(lines):
        if _FORWARD_LINE.fullmatch(line.replace("\xa0", " ").strip()):
            return re.sub(r"\n{3,}", "\n\n", "\n".join(lines[index:])).strip()
    return ""


def new_ticket_body(message, body):
    """The description of a ticket opened by a mail: the reply text, and the mail it forwards, if cut."""
    forwarded = forwarded_part(message)
    if not forwarded or any(_FORWARD_LINE.fullmatch(line.strip()) for line in body.split("\n")):
        return body
    return f"{body}\n\n{forwarded}" if body else forwarded


def attachment_parts(message):
    """Every file of a mail: its attachments and its inline files (images shown in the HTML, pasted files).

    Not Anymail's ``content_id_map``: it keys inline parts by Content-ID, so files without one (Apple Mail)
    or sharing one (Postmark gives every plain attachment ``ContentID: ""``) would be lost. An inline part
    is a file when it has a file name, or a Content-ID and is not text (a text part is a body).
    """
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.is_attachment():
            parts.append(part)
        elif part.is_inline() and (
            part.get_filename() or (part["Content-ID"] is not None and part.get_content_maintype() != "text")
        ):
            parts.append(part)
    return parts


def attachments_of(message):
    """(accepted uploads, refused [(name, reason)]): every file checked as a web upload would be."""
    accepted, refused = [], []
    for part in attachment_parts(message):
        try:
            upload = part.as_uploaded_file()
        except Exception:  # noqa: BLE001 - an undecodable part is refused, not fatal
            refused.append((clean_filename(part.get_filename() or "attachment"), _("The file could not be read.")))
            continue
        upload.name = upload.name or "attachment"
        name = clean_filename(upload.name)
        try:
            validate_attachments([*accepted, upload])
        except ValidationError as error:
            refused.append((name, " ".join(error.messages)))
            continue
        accepted.append(upload)
    return accepted, refused


def _refused_note(refused):
    lines = [_("Attachments not accepted:")]
    lines += [f"- {name}: {reason}" for name, reason in refused]
    return "\n".join(lines)


# Processing -------------------------------------------------------------------------------------------------


def process(message, esp_name="", event_id=None, release=False, again=False):
    """Process one inbound mail (an ``AnymailInboundMessage``); returns its ``InboundMail`` record.

    ``release=True`` is a supervisor's decision from the admin, whatever the checks of robots, unknown
    senders and authentication said: a mail about a ticket its sender takes part in lands on that ticket,
    any other opens a ticket of its own for its sender. ``again=True`` processes a mail whose first
    processing failed, as if it had just arrived.
    """
    sender, sender_name = sender_of(message)
    recipients = recipients_of(message)
    key = dedupe_key(message, esp_name, event_id)
    ids = _message_ids(_header(message, "Message-ID"))
    fields = {
        "internet_message_id": ids[0][:255] if ids else "",
        "esp_name": esp_name[:50],
        "from_email": sender[:254],
        "from_name": clean_text(sender_name)[:255],
        "recipients": ", ".join(recipients),
        "subject": clean_text(message.subject or "")[:255],
    }
    if release or again:
        # A new record: the first one keeps its key, so a late duplicate is still recognised.
        key = "sha:" + hashlib.sha256(f"{key}:{'release' if release else 'again'}:{timezone.now().timestamp()}".encode()).hexdigest()
    try:
        with transaction.atomic():
            record = InboundMail.objects.create(dedupe_key=key, status=InboundMail.Status.FAILED, **fields)
            try:
                with transaction.atomic():
                    _process(record, message, sender, sender_name, recipients, release)
            except Exception as error:  # noqa: BLE001 - the mail is kept for "Process again", never lost
                logger.exception("Could not process inbound mail %s", record.pk)
                record.status = InboundMail.Status.FAILED
                record.reason = InboundMail.Reason.ERROR
                record.note = f"{type(error).__name__}: {error}"[:2000]
                record.raw = raw_text(message)
                record.ticket = record.message = None
            record.save()
    except IntegrityError:
        logger.info("Inbound mail %s was already processed", key)
        return InboundMail.objects.get(dedupe_key=key)
    logger.info(
        "wagtail_support.inbound: %s from %s -> %s %s (ticket %s)",
        record.pk, sender, record.status, record.reason, record.ticket_id,
    )
    return record


def _ignore(record, message, reason, ticket=None, note=""):
    record.status = InboundMail.Status.IGNORED
    record.reason = reason
    record.ticket = ticket
    record.note = note
    record.raw = raw_text(message)


# What each kind of robot's mail is recorded as.
_ROBOT_REASONS = {
    robots.BOUNCE: InboundMail.Reason.BOUNCE,
    robots.COMPLAINT: InboundMail.Reason.COMPLAINT,
    robots.ESP_NOTIFICATION: InboundMail.Reason.ROBOT,
    robots.CHALLENGE: InboundMail.Reason.ROBOT,
    robots.LIST: InboundMail.Reason.LIST,
    robots.AUTO_REPLY: InboundMail.Reason.AUTO_REPLY,
}
# Reports about our own mail: they mark it (bounced, complained) before anything else is looked at.
_REPORTS = {robots.BOUNCE, robots.COMPLAINT, robots.ESP_NOTIFICATION}


def _report(record, message, machine):
    """A bounce or a complaint: mark the mail of ours it names, and keep the report on the ticket's side."""
    ids = list(machine.bounced_message_ids)[:200]
    ours = list(OutboundMail.objects.filter(internet_message_id__in=ids).values_list("internet_message_id", flat=True))
    if not ours:
        referenced = list(machine.referenced_message_ids)[:200]
        ours = list(OutboundMail.objects.filter(internet_message_id__in=referenced).values_list("internet_message_id", flat=True))
    status = "complained" if machine.kind == robots.COMPLAINT else "bounced"
    if machine.failed or machine.kind == robots.COMPLAINT:
        if ours:
            mark_bounced(ours, message.subject or machine.kind, status=status)
        elif machine.bounced_recipients:
            mark_bounced_recipients(machine.bounced_recipients, message.subject or machine.kind, status=status)
    ticket_id = OutboundMail.objects.filter(internet_message_id__in=ours).exclude(ticket=None).values_list("ticket", flat=True).first()
    return _ignore(
        record, message, _ROBOT_REASONS[machine.kind], ticket=Ticket.objects.filter(pk=ticket_id).first(), note=str(machine.reason)
    )


def _process(record, message, sender, sender_name, recipients, release):
    # Robots first: a delivery report's sender is null ("<>", MAILER-DAEMON) more often than not.
    own = access.support_addresses()
    machine = None if release else robots.recognise(message, own_addresses=own)
    if machine is not None and machine.kind in _REPORTS:
        return _report(record, message, machine)
    if not release and is_loop(message, sender, own):
        # Before the auto-replies: our own mail coming back carries Auto-Submitted.
        return _ignore(record, message, InboundMail.Reason.LOOP)
    if not sender:
        return _ignore(record, message, _ROBOT_REASONS[machine.kind] if machine else InboundMail.Reason.NO_SENDER)
    if not release and over_hourly_limit(sender):
        return _ignore(record, message, InboundMail.Reason.RATE_LIMITED)
    # Released by a supervisor, a mail about a ticket its sender takes part in lands on it (they vouched
    # for the sender); any other opens a ticket of its own.
    ticket, how, note, token = find_ticket(message, recipients)
    verdict = read_verdict(message)
    record.authentication = verdict.as_dict()
    if not release and getattr(message, "spam_detected", None):
        record.status = InboundMail.Status.QUARANTINED
        record.reason = InboundMail.Reason.SPAM
        record.ticket = ticket
        record.raw = raw_text(message)
        return None
    if machine is not None:
        # No robot ever gets an answer: kept under Incoming mail, with what it is.
        return _ignore(record, message, _ROBOT_REASONS[machine.kind], ticket=ticket, note="\n".join(filter(None, [note, str(machine.reason)])))

    written = body_of(message)
    accepted, refused = attachments_of(message)
    refused_note = _refused_note(refused) if refused else ""
    if refused:
        # The refused files stay in the raw mail, so nothing is lost.
        record.raw = raw_text(message)
    body = "\n\n".join(part for part in (written, refused_note) if part)
    notes = [note] if note else []

    if ticket is not None:
        role, user = sender_role(ticket, sender)
        if role is None:
            role, sender_name = follower_role(ticket, sender, sender_name)
        if role == Message.AuthorRole.AGENT and not release and not agent_proven(sender, token, verdict):
            return _unverified_agent(record, message, ticket, user, sender, sender_name, body, accepted, notes, token, verdict)
        if role is not None and not release and verdict.failed:
            return _hold(record, message, InboundMail.Reason.FAILED_AUTHENTICATION, ticket, notes, failed_note(sender, verdict))
        if role is None:
            notes.append(
                _("%(sender)s wrote about %(reference)s (found by %(how)s) but takes no part in it.")
                % {"sender": sender, "reference": ticket.reference, "how": clue_label(how)}
            )
            if support_settings.INBOUND_UNKNOWN_SENDER != "new_ticket" and not release:
                record.status = InboundMail.Status.QUARANTINED
                record.reason = InboundMail.Reason.UNKNOWN_SENDER
                record.ticket = ticket
                record.note = "\n".join(notes)
                record.raw = raw_text(message)
                return None
            ticket = None
        else:
            if not body and not accepted:
                return _ignore(record, message, InboundMail.Reason.EMPTY, ticket=ticket, note="\n".join(notes))
            reply = _add_to_ticket(record, message, ticket, role, user, sender, sender_name, body, accepted, notes)
            suggest_cc(record, message, sender)
            return reply

    if not release and verdict.failed:
        # A new ticket in the name of an address that did not send the mail: its owner would get our
        # confirmation (backscatter), and someone else would speak for them.
        return _hold(record, message, InboundMail.Reason.FAILED_AUTHENTICATION, None, notes, failed_note(sender, verdict))
    # Not a reply: the mail it forwards is part of the request.
    body = "\n\n".join(part for part in (new_ticket_body(message, written), refused_note) if part)
    opened = _open_from_mail(record, message, sender, sender_name, recipients, body, accepted, notes)
    suggest_cc(record, message, sender)
    return opened


# Who a mail speaks for (invariant 7) ---------------------------------------------------------------------


def _hold(record, message, reason, ticket, notes, note):
    record.status = InboundMail.Status.QUARANTINED
    record.reason = reason
    record.ticket = ticket
    record.note = "\n".join([*notes, note])
    record.raw = raw_text(message)
    return None


def _unverified_agent(record, message, ticket, user, sender, sender_name, body, accepted, notes, token, verdict):
    """A mail that claims to come from an agent without proof: never a public reply. It waits in
    quarantine, or becomes an internal note marked unverified (``INBOUND_UNVERIFIED_AGENT``)."""
    why = _("%(sender)s is an agent's address, but the mail is not proven: %(missing)s.") % {
        "sender": sender, "missing": "; ".join(str(m) for m in missing_proof(sender, token, verdict))}
    if support_settings.INBOUND_UNVERIFIED_AGENT != "internal_note" or not (body or accepted):
        return _hold(record, message, InboundMail.Reason.UNVERIFIED_AGENT, ticket, notes, why)
    # Not the agent's account: the note is the mail's, by its claimed name, and changes no status.
    actor = workflow.Actor(name=sender_name or sender, email=sender, trusted_role=Message.AuthorRole.AGENT)
    note = workflow.reply(
        ticket, by=actor, body=body, internal=True, unverified=True, channel=Ticket.Channel.EMAIL, attachments=accepted
    )
    record.status = InboundMail.Status.ADDED
    record.reason = InboundMail.Reason.UNVERIFIED_AGENT
    record.ticket = ticket
    record.message = note
    record.note = "\n".join([*notes, why])
    return note


def _add_to_ticket(record, message, ticket, role, user, sender, sender_name, body, accepted, notes):
    if role == Message.AuthorRole.AGENT:
        actor = workflow.Actor(user=user, email=sender)
        if ticket.is_closed:
            workflow.reopen(ticket, by=actor)
    else:
        actor = workflow.Actor(user=user, name=sender_name, email=sender, trusted_role=role)
    try:
        reply = workflow.reply(ticket, by=actor, body=body, channel=Ticket.Channel.EMAIL, attachments=accepted)
    except workflow.ReopenWindowExpired:
        notes.append(_("%(reference)s was closed too long ago to be reopened.") % {"reference": ticket.reference})
        return _open_from_mail(
            record, message, sender, sender_name, [], body, accepted, notes, follows=ticket, role=role, user=user
        )
    record.status = InboundMail.Status.ADDED
    record.ticket = ticket
    record.message = reply
    record.note = "\n".join(notes)
    return reply


def _open_from_mail(record, message, sender, sender_name, recipients, body, accepted, notes, follows=None, role=None, user=None):
    language = follows.language if follows is not None and follows.language else language_of(message)
    with translation.override(language):
        subject = clean_text(message.subject or "").strip() or _("(no subject)")
        description = body or _("(The mail had no text.)")
    options = {}
    if follows is not None:
        options = {"team": follows.team, "category": follows.category, "kind": follows.kind, "priority": follows.priority}
        options["site"] = follows.site
        if role == Message.AuthorRole.AGENT:
            # An agent writing about an old ticket opens the new one for its requester.
            options.update(
                by=workflow.Actor(user=user, email=sender),
                requester_name=follows.requester_name,
                requester_email=follows.requester_email,
                requester=follows.requester_user,
            )
        elif user is not None:
            # The requester (or beneficiary) of the old ticket, known by their account: the new ticket
            # is theirs too, listed with their other tickets.
            options["requester"] = user
    else:
        # Sent to a site's inbound address (Settings › Support): a ticket of that site.
        options["site"] = site_for_inbound(recipients)
        options["team"] = team_for(recipients, options["site"])
    if "requester_email" not in options:
        options.update(requester_name=sender_name, requester_email=sender)
    ticket = workflow.open_ticket(
        subject=subject,
        description=description,
        channel=Ticket.Channel.EMAIL,
        language=language,
        attachments=accepted,
        follows=follows,
        **options,
    )
    record.status = InboundMail.Status.OPENED
    record.ticket = ticket
    record.message = ticket.messages.order_by("pk").first()
    record.note = "\n".join(notes)
    return ticket


def release(record):
    """Open a ticket from a quarantined or ignored mail (an agent's decision in the admin)."""

    if record.status not in {InboundMail.Status.QUARANTINED, InboundMail.Status.IGNORED, InboundMail.Status.FAILED}:
        raise workflow.IllegalTransition(_("This mail has already been processed."))
    if not record.raw:
        raise workflow.InvalidInput(_("This mail was not kept; it cannot be processed again."))
    message = AnymailInboundMessage.parse_raw_mime(record.raw)
    if record.status == InboundMail.Status.FAILED:
        result = process(message, esp_name=record.esp_name, again=True)
    else:
        result = process(message, esp_name=record.esp_name, release=True)
    if result.status != InboundMail.Status.FAILED:
        InboundMail.objects.filter(pk=record.pk).update(
            status=InboundMail.Status.RELEASED, raw="", ticket=result.ticket, message=result.message
        )
    return result


def discard(record):
    """Drop a quarantined or ignored mail: it stays listed, without its content."""
    InboundMail.objects.filter(pk=record.pk).update(status=InboundMail.Status.DISCARDED, raw="")
