"""A person's copy of their data (GDPR articles 15 and 20): ``export``, reached as ``privacy.export``.
What it holds, and why the internal notes are not in it: ``wagtail_support.privacy``'s docstring."""

import email
import email.policy
import json
import logging
import shutil
import tempfile
import zipfile

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import Actor
from .models import Message, Ticket
from .privacy_data import AUTHOR, BENEFICIARY, MENTIONED, READER_ROLES, REQUESTER, find, person, subject_hash
from .workflow_base import _log

logger = logging.getLogger("wagtail_support.privacy")

# Export ---------------------------------------------------------------------------------------------------

# Attachments and exports up to this size stay in memory; beyond, the zip is written to a temporary file.
SPOOL_SIZE = 8 * 1024 * 1024


def export(email=None, user=None, actor=None, who=None):
    """A zip of what the person may have of their data (see the module's docstring): a file object at its
    start (in memory, or a temporary file once large), which the caller closes. Each ticket exported logs
    "personal data exported" with the person's hash."""
    who = who or person(email, user)
    holdings = find(who=who)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        data = _export_data(holdings, archive)
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False, default=str))
    out.seek(0)
    if who:
        actor = Actor.coerce(actor)
        person_hash = subject_hash(who)
        with transaction.atomic():
            for row in Ticket.objects.filter(pk__in=holdings.ticket_ids(READER_ROLES)).order_by("pk"):
                _log(row, "personal_data_exported", actor, person=person_hash)
        logger.info("Exported the personal data of %s", person_hash)
    return out


def _when(value):
    return value.isoformat() if value else None


def _export_data(holdings, archive):
    who = holdings.person
    readable = holdings.ticket_ids(READER_ROLES)
    own_messages = set(holdings.messages.values_list("pk", flat=True))
    tickets = []
    # The tickets they may read, and those where they only wrote (their messages only); not those where
    # their address is only written or proposed in copy (someone else's tickets).
    listed = holdings.ticket_ids(READER_ROLES | {AUTHOR})
    for row in Ticket.objects.filter(pk__in=listed).select_related("category").order_by("created_at", "pk"):
        roles = holdings.tickets[row.pk]
        reads_all = row.pk in readable
        entry = {"reference": row.reference, "your_roles": sorted(roles - {MENTIONED})}
        if reads_all:
            entry.update(
                subject=row.subject,
                description=row.description,
                status=str(row.get_status_display()),
                type=str(row.get_kind_display()),
                priority=str(row.get_priority_display()),
                category=row.category.name if row.category_id else None,
                opened=_when(row.created_at),
                closed=_when(row.closed_at),
                reason_for_closing=str(row.get_close_reason_display()) if row.close_reason else None,
                solution=row.solution or None,
            )
            for role in (REQUESTER, BENEFICIARY):
                if role in roles:
                    entry[f"your_name_as_{role}"] = getattr(row, f"{role}_name")
                    entry[f"your_address_as_{role}"] = getattr(row, f"{role}_email")
        messages = Message.objects.public().filter(ticket=row).prefetch_related("attachments").select_related("author_user")
        if not reads_all:
            messages = messages.filter(pk__in=own_messages)
        entry["messages"] = [_export_message(message, row, archive) for message in messages]
        tickets.append(entry)
    return {
        "format": "wagtail-support personal data, version 1",
        "exported": _when(timezone.now()),
        "addresses": sorted(who.emails),
        "accounts": [{"username": u.get_username(), "name": u.get_full_name(), "email": u.email} for u in who.users],
        "not_included": _(
            "The support team's internal notes are not included: they are the team's working notes and are "
            "never shown to requesters. Personal data in them is erased with the rest on request."
        ),
        "tickets": tickets,
        "mail_sent_to_you": [
            {
                "ticket": mail.ticket.reference if mail.ticket_id in readable else None,
                "about": str(mail.event_label),
                "subject": mail.subject,
                "to": mail.recipient,
                "created": _when(mail.created_at),
                "sent": _when(mail.sent_at),
                "status": str(mail.get_status_display()),
            }
            for mail in holdings.outbound.select_related("ticket").order_by("created_at", "pk")
        ],
        "mail_received_from_you": [_export_inbound(mail, readable) for mail in holdings.inbound.select_related("ticket", "message").order_by("received_at", "pk")],
        "ratings": [
            {
                "ticket": rating.ticket.reference,
                "rating": str(rating.get_rating_display()),
                "comment": rating.comment,
                "closing_rated": _when(rating.closed_at),
                "rated": _when(rating.created_at),
                "changed": _when(rating.updated_at),
            }
            for rating in holdings.ratings.filter(ticket_id__in=readable).select_related("ticket")
        ],
    }


def _export_message(message, row, archive):
    files = []
    for attachment in message.attachments.all():
        path = f"attachments/{row.number}/{attachment.pk}-{attachment.filename}"
        try:
            with attachment.file.open("rb") as source, archive.open(path, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target)
        except (OSError, ValueError):
            path = None  # the file is missing from the storage: listed without it
        files.append({"name": attachment.filename, "type": attachment.content_type, "size": attachment.size, "file": path})
    return {
        "written": _when(message.created_at),
        "by": message.author_display,
        "role": str(message.get_author_role_display()),
        "channel": str(message.get_channel_display()),
        "text": message.body,
        "attachments": files,
    }


def _export_inbound(mail, readable):
    text = None
    if mail.raw:
        try:
            parsed = email.message_from_string(mail.raw, policy=email.policy.default)
            body = parsed.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else None
        except Exception:  # noqa: BLE001 - a mail that does not parse is exported without its text
            text = None
    if text is None and mail.message_id and mail.message.visibility == Message.Visibility.PUBLIC:
        # A mail that became a message keeps no raw text: its words are the message's (never a note's).
        text = mail.message.body
    return {
        "ticket": mail.ticket.reference if mail.ticket_id in readable else None,
        "subject": mail.subject,
        "received": _when(mail.received_at),
        "status": str(mail.get_status_display()),
        "text": text,
    }
