"""Sending a recorded mail: claim it, render it, send it through the Django mail API (and so through
Anymail, whatever the ESP) and record the outcome.

Run by the mail task (``tasks.send_recorded_mail``). It waits for a database that restarts rather than
leave a mail half-sent. A failing send is recorded as failed and can be sent again (``retry``, the admin's
"Send again", ``manage.py support_retry_mail``); it never reaches the request that caused it.
"""

import logging
import time

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from ..middleware import is_database_unavailable
from ..models import OutboundMail
from .outbox import mark_failed, record_mail
from .recipients import LINKS_EVENT, REQUESTER, language_for
from .render import RefusedMail, build_email, tickets_of

logger = logging.getLogger(__name__)


def _claim(mail_id):
    """Mark a queued (or failed) mail as being sent. False when another worker got it first."""
    return bool(
        OutboundMail.objects.filter(pk=mail_id, status__in=[OutboundMail.Status.QUEUED, OutboundMail.Status.FAILED]).update(
            status=OutboundMail.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    )


# How long a mail being sent waits for the database to come back (a restart, a failover) before it gives
# up; outside a transaction only, where a fresh connection can carry on.
DATABASE_WAIT_SECONDS = 60


def _with_database(operation, *args):
    """``operation(*args)``, tried again on a fresh connection while the database is unreachable.

    Sending a mail takes several steps (claim the record, render, send, record the outcome); a database
    restart between two of them must not leave the record saying "sending" for a mail that was sent, or
    that never was. Each step that needs the database waits for it, up to ``DATABASE_WAIT_SECONDS``.
    """

    deadline = time.monotonic() + DATABASE_WAIT_SECONDS
    delay = 0.25
    while True:
        try:
            return operation(*args)
        except Exception as error:
            if not is_database_unavailable(error) or connection.in_atomic_block or time.monotonic() >= deadline:
                raise
            logger.warning("Database unavailable while sending mail (%s); trying again in %.1fs", error, delay)
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail too
                pass
            time.sleep(delay)
            delay = min(delay * 2, 5)


def _load_and_build(mail_id):
    mail = OutboundMail.objects.select_related("ticket", "message").get(pk=mail_id)
    try:
        return mail, build_email(mail), None
    except RefusedMail as refused:
        return mail, None, refused


def deliver(mail_id):
    """Render and send one recorded mail. Returns the number of mails sent (0 or 1)."""
    if not _with_database(_claim, mail_id):
        return 0
    try:
        mail, email, refused = _with_database(_load_and_build, mail_id)
    except Exception as error:  # noqa: BLE001
        if is_database_unavailable(error):
            # Nothing was sent; the record says "sending" until the retry takes it as stale.
            raise
        logger.exception("Could not render mail %s", mail_id)
        _with_database(mark_failed, mail_id, f"{type(error).__name__}: {error}")
        return 0
    if refused is not None:
        logger.error("Refused to send mail %s: %s", mail.pk, refused)
        _with_database(mark_failed, mail.pk, refused)
        return 0
    try:
        sent = email.send()
    except Exception as error:  # noqa: BLE001 - the ESP's failure is recorded, never raised to the caller
        logger.warning("Mail %s (%s to %s) failed: %s", mail.pk, mail.event, mail.recipient, error)
        _with_database(mark_failed, mail.pk, f"{type(error).__name__}: {error}")
        return 0
    # The ESP has the mail: its record must say so, or a retry would send it twice.
    _with_database(_record_sent, mail, email)
    return sent


def _record_sent(mail, email):
    status, esp_id, error = OutboundMail.Status.SENT, "", ""
    anymail_status = getattr(email, "anymail_status", None)
    if anymail_status is not None:
        recipient_status = anymail_status.recipients.get(mail.recipient.lower()) or anymail_status.recipients.get(mail.recipient)
        if recipient_status is not None:
            esp_id = "" if recipient_status.message_id is None else str(recipient_status.message_id)
            if recipient_status.status in {"rejected", "invalid"}:
                status, error = OutboundMail.Status.REJECTED, recipient_status.status
            elif recipient_status.status == "failed":
                status, error = OutboundMail.Status.FAILED, recipient_status.status
        elif isinstance(anymail_status.message_id, str):
            esp_id = anymail_status.message_id
    now = timezone.now()
    fields = {
        # Set by Anymail's post_send signal (remember_esp_name); other backends name no ESP.
        "esp_name": getattr(email, "wagtail_support_esp_name", "")[:50],
        "esp_message_id": esp_id[:255],
        "subject": email.subject[:255],
        "sent_at": now,
        "updated_at": now,
    }
    # The ESP's tracking webhook can be faster than its API's answer: a "delivered" or "bounced" that
    # came in meanwhile is newer than "sent" and stays.
    if not OutboundMail.objects.filter(pk=mail.pk, status=OutboundMail.Status.SENDING).update(
        status=status, error=error, **fields
    ):
        OutboundMail.objects.filter(pk=mail.pk).update(**fields)


def remember_esp_name(sender, message, status, esp_name, **kwargs):
    """Anymail ``post_send`` receiver: note on the message which ESP sent it, for its record."""
    message.wagtail_support_esp_name = esp_name


def deliver_ticket_links(email, support_page_id, language=""):
    """Record and send the "find my tickets" mail. Nothing is sent to an address without tickets."""
    email = (email or "").strip().lower()
    if not email:
        return 0
    tickets = tickets_of(email)
    if not tickets:
        return 0
    mail = record_mail(
        event=LINKS_EVENT,
        audience=REQUESTER,
        recipient=email,
        language=language or language_for(tickets[0], email, REQUESTER),
        params={"support_page_id": support_page_id},
    )
    return deliver(mail.pk)


def retry(mails):
    """Send failed, bounced, rejected or stuck mails again, now. Returns (sent, failed again).

    A mail that was sent and not reported as failed is left alone: it is never sent twice.
    """

    sent = failed = 0
    for mail in mails:
        # Handed back as failed, so that ``deliver`` can claim it once: bounced and rejected mails, and
        # mails a crashed worker or a lost task left queued or "sending" (``retryable``), never a mail a
        # worker may be sending right now.
        OutboundMail.objects.filter(pk=mail.pk).filter(
            Q(status__in=[OutboundMail.Status.BOUNCED, OutboundMail.Status.REJECTED])
            | Q(pk__in=OutboundMail.objects.retryable().values("pk"))
        ).update(status=OutboundMail.Status.FAILED)
        if not OutboundMail.objects.filter(pk=mail.pk, status=OutboundMail.Status.FAILED).exists():
            continue
        if deliver(mail.pk):
            sent += 1
        else:
            failed += 1
    return sent, failed
