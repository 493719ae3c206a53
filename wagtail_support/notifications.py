"""Who is told what by mail when a ticket changes, and the record of every mail sent.

The workflow calls ``ticket_event`` inside the transaction of its move. This module decides the
recipients and writes one ``OutboundMail`` record per mail (status "queued") in that transaction, so a
ticket and the records of its mails are written together or not at all. It enqueues one task per record:
in the same transaction when the task backend keeps its tasks in this database (django-tasks-db), else
once the transaction has committed, so no worker ever looks for a record that is not there. The task
(``deliver``) renders the mail in the recipient's language, text and HTML, with the threading headers,
sends it through the Django mail API (and so through Anymail, whatever the ESP) and records the outcome;
it waits for a database that restarts rather than leave a mail half-sent. A failing send is recorded as
failed and can be sent again (``retry``, the admin's "Send again", ``manage.py support_retry_mail``); it
never reaches the request that caused it.

Rules that never bend: an internal note is never mailed outside the support team, and nobody is mailed
about an event they caused themselves (the confirmation of a new ticket aside).
"""

import logging
import time
from contextlib import nullcontext
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import DatabaseError, connection, router, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .conf import support_settings
from .mailtext import REPLY_MARKER_PATTERN  # noqa: F401 - the line our mails start with; inbound cuts there

logger = logging.getLogger(__name__)

REQUESTER = "requester"
AGENT = "agent"

# Events the requester and beneficiary hear about.
REQUESTER_EVENTS = {"opened", "agent_reply", "pending", "resolved", "abandoned", "reopened"}
# The one exception to "never mail the person who caused the event": whoever opens a ticket gets its
# reference (and, when anonymous, the only signed link back to it) by mail.
CONFIRMATION_EVENTS = {"opened"}
# The "find my tickets" mail: one mail about several tickets.
LINKS_EVENT = "links"
# The References header names the first mail of a thread and at most this many of the latest ones.
MAX_REFERENCES = 10


def _user_language(user):
    if user is None:
        return ""
    from wagtail.users.models import UserProfile

    try:
        return user.wagtail_userprofile.preferred_language or ""
    except UserProfile.DoesNotExist:
        return ""


def _wants(user, event):
    """Whether an agent kept the mails about ``event`` switched on."""
    from .models import NotificationSettings

    field = NotificationSettings.EVENT_FIELDS.get(event)
    if field is None:
        return True
    try:
        return getattr(user.support_notification_settings, field)
    except NotificationSettings.DoesNotExist:
        return True


def _team_members(team, event):
    members = team.members.filter(is_active=True).select_related("support_notification_settings", "wagtail_userprofile")
    return [(u.email, _user_language(u), u.pk) for u in members if _wants(u, event)]


def _agent_recipients(ticket, event):
    """(address, language, user id) of the support team for an agent-side event."""
    recipients = []
    if event == "opened" and ticket.team_id:
        recipients += _team_members(ticket.team, event)
        if ticket.team.contact_email:
            recipients.append((ticket.team.contact_email, "", None))
    elif event == "requester_reply":
        if ticket.assignee_id and ticket.assignee.is_active:
            if _wants(ticket.assignee, event):
                recipients.append((ticket.assignee.email, _user_language(ticket.assignee), ticket.assignee_id))
        elif ticket.team_id:
            recipients += _team_members(ticket.team, event)
    elif event == "assigned" and ticket.assignee_id and _wants(ticket.assignee, event):
        recipients.append((ticket.assignee.email, _user_language(ticket.assignee), ticket.assignee_id))
    return recipients


def _requester_recipients(ticket):
    recipients = []
    for user, email in ((ticket.requester_user, ticket.requester_email), (ticket.beneficiary_user, ticket.beneficiary_email)):
        if email:
            recipients.append((email, _user_language(user) if user else "", user.pk if user else None))
    return recipients


def _recipients(event, ticket, message=None, actor_user_id=None, actor_email=""):
    """(address, audience, language) of each person to mail for ``event``, the actor left out.

    ``language`` is the preferred language of the recipient's account, or ""; ``None`` when the
    address belongs to no known account (``language_for`` looks for one).
    """
    actor_email = (actor_email or "").lower()
    found = []
    if event in REQUESTER_EVENTS and not (message is not None and message.is_internal):
        found += [(email, REQUESTER, lang, uid) for email, lang, uid in _requester_recipients(ticket)]
    found += [(email, AGENT, lang, uid) for email, lang, uid in _agent_recipients(ticket, event)]
    seen, result = set(), []
    for email, audience, lang, uid in found:
        key = (email or "").lower()
        if not key or key in seen:
            continue
        is_actor = (actor_user_id is not None and uid == actor_user_id) or (actor_email and key == actor_email)
        if is_actor and not (audience == REQUESTER and event in CONFIRMATION_EVENTS):
            continue
        seen.add(key)
        result.append((email, audience, lang if uid is not None else None))
    return result


def recipients_for(event, ticket, message=None, actor_user_id=None, actor_email=""):
    """The (address, audience) pairs to mail for ``event``, the actor left out."""
    return [(email, audience) for email, audience, _lang in _recipients(event, ticket, message, actor_user_id, actor_email)]


# Recording and enqueuing -----------------------------------------------------------------------------------


def message_id_domain():
    """The domain of our Message-IDs: the setting, else the inbound address's, else the From address's."""
    from email.utils import parseaddr

    if support_settings.MESSAGE_ID_DOMAIN:
        return support_settings.MESSAGE_ID_DOMAIN
    for address in (support_settings.INBOUND_ADDRESS, support_settings.from_email):
        _name, addr = parseaddr(address or "")
        if "@" in addr:
            return addr.rsplit("@", 1)[1].lower()
    return None


def new_message_id(ticket=None):
    """A fresh Message-ID of ours, e.g. ``<176...@example.com>``; it names the ticket for humans."""
    return make_msgid(idstring=f"ws{ticket.number}" if ticket is not None else "ws", domain=message_id_domain())


def record_mail(**fields):
    """Write the "queued" record of a mail about to be enqueued (the fields of ``new_mail``)."""
    mail = new_mail(**fields)
    mail.save()
    return mail


def new_mail(*, event, audience, recipient, ticket=None, message=None, language="", params=None):
    """The unsaved "queued" record of a mail, with a fresh Message-ID."""
    from .models import OutboundMail

    return OutboundMail(
        ticket=ticket,
        message=message,
        event=event,
        audience=audience,
        recipient=recipient,
        language=language,
        internet_message_id=new_message_id(ticket),
        params=params or {},
    )


def enqueue(mail):
    """Hand a recorded mail to the task backend; a broken queue leaves it failed, for a retry.

    Inside a transaction (a backend that keeps its tasks in this database), the task is written in a
    savepoint: a queue that refuses it leaves the transaction usable. A lost database connection there
    is raised, since the whole transaction, ticket included, is lost with it.
    """
    from .middleware import is_database_unavailable
    from .tasks import send_recorded_mail

    in_transaction = connection.in_atomic_block
    try:
        with transaction.atomic() if in_transaction else nullcontext():
            send_recorded_mail.using(queue_name=support_settings.TASK_QUEUE).enqueue(mail_id=mail.pk)
    except Exception as error:  # noqa: BLE001 - a broken queue must never turn a saved ticket into an error
        if in_transaction and is_database_unavailable(error):
            raise
        logger.exception("Could not enqueue mail %s (%s to %s); it waits for a retry", mail.pk, mail.event, mail.recipient)
        try:
            _mark_failed(mail.pk, "The task queue refused the mail.")
        except DatabaseError:
            # The database is gone too: the record stays queued, and the retry takes it once it is stale.
            logger.exception("Could not record that mail %s was refused by the task queue", mail.pk)


def queue_joins_transaction():
    """Whether the mail task's backend writes its tasks to this database, in the caller's transaction.

    That is the database backend of django-tasks-db on the database of the mail records: a task enqueued
    inside the transaction that records the mail exists exactly when the record (and the ticket) does.
    Any other backend (the immediate one, a broker) is handed the task once the transaction committed.
    """
    from django.apps import apps

    from .tasks import send_recorded_mail

    if not apps.is_installed("django_tasks_db"):
        return False
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from .models import OutboundMail

    try:
        backend = send_recorded_mail.get_backend()
    except Exception:  # noqa: BLE001 - a misconfigured backend fails at enqueue time, where it is reported
        return False
    return isinstance(backend, DatabaseBackend) and router.db_for_write(DBTaskResult) == router.db_for_write(
        OutboundMail
    )


def _enqueue_all(mails):
    for mail in mails:
        enqueue(mail)


def dispatch(mails):
    """Enqueue recorded mails: now if the tasks join the transaction, else once it has committed."""
    if not mails:
        return
    if connection.in_atomic_block and queue_joins_transaction():
        _enqueue_all(mails)
    else:
        # Outside a transaction, on_commit runs at once.
        transaction.on_commit(partial(_enqueue_all, mails))


def ticket_event(event, ticket_id, message_id=None, actor_user_id=None, actor_email="", *, ticket=None, message=None):
    """Record and enqueue the mails that ``event`` on the ticket calls for.

    Called by the workflow inside the transaction of its move, so the records are written (or rolled
    back) with the ticket. A mail that cannot be recorded for any reason but a lost database is logged
    and leaves the move alone; a lost database is raised, and the move is rolled back with its mails.
    ``ticket`` and ``message``: the workflow's own rows, which spare reading them again.
    """
    from .middleware import is_database_unavailable
    from .models import Message, OutboundMail, Ticket

    try:
        # A savepoint inside the move's transaction: a failure here rolls back the mails only.
        with transaction.atomic():
            if ticket is None or ticket.pk != ticket_id:
                ticket = (
                    Ticket.objects.select_related("team", "assignee", "requester_user", "beneficiary_user")
                    .filter(pk=ticket_id)
                    .first()
                )
            if ticket is None:
                return []
            if message is None or message.pk != message_id:
                message = Message.objects.filter(pk=message_id).first() if message_id else None
            recipients = _recipients(event, ticket, message, actor_user_id, actor_email)
            # One INSERT for all recipients (the records get their ids back on SQLite and PostgreSQL).
            mails = OutboundMail.objects.bulk_create(
                new_mail(
                    event=event,
                    audience=audience,
                    recipient=email,
                    ticket=ticket,
                    message=message,
                    # The account's language is known already; only an address without one is looked up.
                    language=language_for(ticket, email, audience)
                    if lang is None
                    else _fallback_language(ticket, lang, audience),
                )
                for email, audience, lang in recipients
            )
    except Exception as error:  # noqa: BLE001 - the ticket is saved; a mail that cannot be recorded is logged
        if is_database_unavailable(error):
            raise
        logger.exception("Could not record the %s mails of ticket %s", event, ticket_id)
        return []
    dispatch(mails)
    return [(email, audience) for email, audience, _lang in recipients]


def language_for(ticket, recipient, audience):
    """The recipient's language: their account's, else (for requesters) the ticket's, else the site's."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=recipient, is_active=True).order_by("pk").first()
    return _fallback_language(ticket, _user_language(user) if user else "", audience)


def _fallback_language(ticket, language, audience):
    if not language and audience == REQUESTER and ticket is not None:
        language = ticket.language
    return language or settings.LANGUAGE_CODE or "en"


# Sending ---------------------------------------------------------------------------------------------------


def _claim(mail_id):
    """Mark a queued (or failed) mail as being sent. False when another worker got it first."""
    from .models import OutboundMail

    return bool(
        OutboundMail.objects.filter(pk=mail_id, status__in=[OutboundMail.Status.QUEUED, OutboundMail.Status.FAILED]).update(
            status=OutboundMail.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    )


def _mark_failed(mail_id, reason):
    from .models import OutboundMail

    OutboundMail.objects.filter(pk=mail_id).update(
        status=OutboundMail.Status.FAILED, error=str(reason)[:2000], updated_at=timezone.now()
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
    from .middleware import is_database_unavailable

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
    from .models import OutboundMail

    mail = OutboundMail.objects.select_related("ticket", "message").get(pk=mail_id)
    try:
        return mail, build_email(mail), None
    except RefusedMail as refused:
        return mail, None, refused


def deliver(mail_id):
    """Render and send one recorded mail. Returns the number of mails sent (0 or 1)."""
    from .middleware import is_database_unavailable

    if not _with_database(_claim, mail_id):
        return 0
    try:
        mail, email, refused = _with_database(_load_and_build, mail_id)
    except Exception as error:  # noqa: BLE001
        if is_database_unavailable(error):
            # Nothing was sent; the record says "sending" until the retry takes it as stale.
            raise
        logger.exception("Could not render mail %s", mail_id)
        _with_database(_mark_failed, mail_id, f"{type(error).__name__}: {error}")
        return 0
    if refused is not None:
        logger.error("Refused to send mail %s: %s", mail.pk, refused)
        _with_database(_mark_failed, mail.pk, refused)
        return 0
    try:
        sent = email.send()
    except Exception as error:  # noqa: BLE001 - the ESP's failure is recorded, never raised to the caller
        logger.warning("Mail %s (%s to %s) failed: %s", mail.pk, mail.event, mail.recipient, error)
        _with_database(_mark_failed, mail.pk, f"{type(error).__name__}: {error}")
        return 0
    # The ESP has the mail: its record must say so, or a retry would send it twice.
    _with_database(_record_sent, mail, email)
    return sent


def _record_sent(mail, email):
    from .models import OutboundMail

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


class RefusedMail(Exception):
    """A mail that must not be sent, whoever asked for it."""


def build_email(mail):
    """The ``EmailMultiAlternatives`` for a recorded mail: bodies, headers, tags and metadata."""
    if mail.event == LINKS_EVENT:
        subject, text, html = _render_links(mail)
    else:
        subject, text, html = _render_ticket_mail(mail)
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:998],
        body=text,
        from_email=support_settings.from_email,
        to=[mail.recipient],
        headers=thread_headers(mail),
        reply_to=[reply_address(mail.ticket)] if mail.ticket is not None and support_settings.INBOUND_ADDRESS else None,
    )
    email.attach_alternative(html, "text/html")
    # Anymail: tags and metadata reach the ESP and come back in its tracking events.
    email.tags = ["wagtail-support", f"support-{mail.event}"]
    email.metadata = {
        "support_mail": str(mail.pk),
        "ticket": mail.ticket.reference if mail.ticket is not None else "",
        "message_id": mail.internet_message_id,
        "support_message": str(mail.message.pk) if mail.message is not None else "",
        "event": mail.event,
    }
    return email


def reply_address(ticket):
    """``INBOUND_ADDRESS`` with the ticket's reply token after a "+": where a reply by mail goes."""
    from email.utils import parseaddr

    from .access import make_reply_token

    _name, address = parseaddr(support_settings.INBOUND_ADDRESS or "")
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}+{make_reply_token(ticket)}@{domain}"


def thread_headers(mail):
    """Message-ID, In-Reply-To and References chaining every mail of a ticket to one person.

    The chain holds our earlier mails about the ticket to this recipient and the mails they sent us
    about it, oldest first, so their mail client shows one thread, the mail that opened the ticket
    (when it came by mail) at its root.
    """
    from .models import InboundMail, OutboundMail

    headers = {
        "Message-ID": mail.internet_message_id,
        # RFC 3834: robots must not answer us; Exchange's own switch for out-of-office replies.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if mail.ticket_id is None:
        return headers
    ours = OutboundMail.objects.filter(ticket_id=mail.ticket_id, recipient__iexact=mail.recipient, pk__lt=mail.pk)
    # Only their mails that reached the ticket: not an ignored out-of-office, a quarantined or failed
    # mail, nor the record a released mail leaves behind (its processing has a record of its own).
    theirs = InboundMail.objects.filter(
        ticket_id=mail.ticket_id,
        from_email__iexact=mail.recipient,
        status__in=[InboundMail.Status.ADDED, InboundMail.Status.OPENED],
    ).exclude(internet_message_id="")
    chain = sorted(
        [
            *ours.values_list("created_at", "internet_message_id"),
            *theirs.values_list("received_at", "internet_message_id"),
        ]
    )
    # Each Message-ID once, where it first appears.
    ids = list(dict.fromkeys(message_id for _when, message_id in chain))
    if ids:
        references = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(references)
    return headers


def _render_ticket_mail(mail):
    from .access import make_link_token

    ticket, message, audience = mail.ticket, mail.message, mail.audience
    if ticket is None:
        raise RefusedMail("the ticket of this mail no longer exists")
    if message is not None and message.is_internal and audience != AGENT:
        # The last guard of invariant 1: whatever asked for it, an internal note does not leave the team.
        raise RefusedMail(f"internal message {message.pk} cannot be mailed to {mail.recipient}")
    if audience == REQUESTER and ticket.beneficiary_email and mail.recipient.lower() == ticket.beneficiary_email.lower():
        recipient_name = ticket.beneficiary_display
    elif audience == REQUESTER:
        recipient_name = ticket.requester_display
    else:
        recipient_name = ""
    link_token = make_link_token(ticket, mail.recipient) if audience == REQUESTER else ""
    context = {
        "ticket": ticket,
        "ticket_url": ticket_url(ticket, link_token) if audience == REQUESTER else admin_ticket_url(ticket),
        "recipient_name": recipient_name,
        "message": message,
        "attachments": list(message.attachments.all()) if message is not None else [],
        "event": mail.event,
        "recipient": mail.recipient,
        "link_token": link_token,
        "can_reply_by_mail": bool(support_settings.INBOUND_ADDRESS),
    }
    base = f"wagtail_support/mail/{audience}/{mail.event}"
    return _render(base, context, mail.language)


def _render(base, context, language):
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {**context, "language": translation.get_language()}
        subject = render_to_string(f"{base}_subject.txt", context)
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    return subject, text, html


def ticket_url(ticket, link_token=""):
    """The full address of the ticket's page for a requester, with their signed link; "" if none."""
    from .pages import support_page_for

    page = support_page_for(ticket)
    if page is None:
        return ""
    try:
        return page.ticket_full_url(ticket, link_token or None)
    except Exception:  # noqa: BLE001 - a page without a site has no full URL; the mail goes without it
        logger.warning("No address for ticket %s", ticket.pk, exc_info=True)
        return ""


def admin_ticket_url(ticket):
    """The full address of the ticket's workspace in the admin (``WAGTAILADMIN_BASE_URL``), or ""."""
    from django.urls import NoReverseMatch, reverse

    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    try:
        path = reverse("wagtail_support_ticket", args=[ticket.pk])
    except NoReverseMatch:
        return ""
    return base.rstrip("/") + path


# "Find my tickets" -----------------------------------------------------------------------------------------


def send_ticket_links(email, support_page_id, language=""):
    """Mail the links to every ticket of ``email`` ("find my tickets"). Tells the caller nothing."""
    from .tasks import send_ticket_links_mail

    try:
        send_ticket_links_mail.using(queue_name=support_settings.TASK_QUEUE).enqueue(
            email=email, support_page_id=support_page_id, language=language
        )
    except Exception:  # noqa: BLE001
        logger.exception("Could not enqueue the ticket links mail")


def _tickets_of(email):
    from django.db.models import Q

    from .models import Ticket

    return list(
        Ticket.objects.filter(Q(requester_email__iexact=email) | Q(beneficiary_email__iexact=email))
        .order_by("-updated_at")[: support_settings.FIND_TICKETS_LIMIT]
    )


def deliver_ticket_links(email, support_page_id, language=""):
    """Record and send the "find my tickets" mail. Nothing is sent to an address without tickets."""
    email = (email or "").strip().lower()
    if not email:
        return 0
    tickets = _tickets_of(email)
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


def _render_links(mail):
    from wagtail.models import Page

    from .access import make_link_token
    from .pages import AbstractSupportPage

    tickets = _tickets_of(mail.recipient)
    if not tickets:
        raise RefusedMail("the address has no tickets any more")
    page = Page.objects.filter(pk=mail.params.get("support_page_id")).first()
    page = page.specific if page is not None else None
    links = []
    for ticket in tickets:
        token = make_link_token(ticket, mail.recipient)
        if isinstance(page, AbstractSupportPage) and page.live:
            url = page.ticket_full_url(ticket, token)
        else:
            url = ticket_url(ticket, token)
        links.append((ticket, url))
    context = {"email": mail.recipient, "links": links, "recipient": mail.recipient}
    return _render(f"wagtail_support/mail/{REQUESTER}/{LINKS_EVENT}", context, mail.language)


# Retrying and tracking -------------------------------------------------------------------------------------


def retry(mails):
    """Send failed, bounced, rejected or stuck mails again, now. Returns (sent, failed again).

    A mail that was sent and not reported as failed is left alone: it is never sent twice.
    """
    from .models import OutboundMail

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


# Anymail's normalised tracking events -> our statuses. Opens and clicks are not recorded.
TRACKING_STATUS = {
    "delivered": "delivered",
    "deferred": "deferred",
    "bounced": "bounced",
    "rejected": "rejected",
    "complained": "complained",
    "failed": "failed",
    "unsubscribed": "complained",
}
# A later event never overrides a final one with a weaker one (a "deferred" after a "bounced", say).
FINAL_STATUSES = {"bounced", "rejected", "complained"}
# Events arrive out of order: a delay or a failure reported after the delivery does not undo it (a late
# "failed" would even hand a delivered mail to the retry).
NOT_AFTER_DELIVERY = {"deferred", "failed"}


def record_tracking_event(sender, event, esp_name, **kwargs):
    """Anymail ``tracking`` signal receiver: update the record of the mail the event is about."""
    from .models import OutboundMail

    status = TRACKING_STATUS.get(event.event_type)
    if status is None:
        return
    mails = OutboundMail.objects.none()
    metadata = event.metadata or {}
    if str(metadata.get("support_mail", "")).isdigit():
        mails = OutboundMail.objects.filter(pk=int(metadata["support_mail"]))
        # Another site sending through the same ESP account (a staging copy, say) numbers its mails
        # too, and its events may reach this webhook: the Message-ID tells our mail from theirs.
        if metadata.get("message_id"):
            mails = mails.filter(internet_message_id=str(metadata["message_id"]))
    elif event.message_id:
        mails = OutboundMail.objects.filter(esp_message_id=str(event.message_id))
        if event.recipient:
            mails = mails.filter(recipient__iexact=event.recipient)
    reason = tracking_reason(event)
    for mail in mails:
        if mail.status in FINAL_STATUSES and status not in FINAL_STATUSES:
            continue
        if mail.status == "delivered" and status in NOT_AFTER_DELIVERY:
            continue
        fields = {"status": status, "updated_at": timezone.now()}
        if status != "delivered":
            fields["error"] = str(reason)[:2000]
        OutboundMail.objects.filter(pk=mail.pk).update(**fields)


def tracking_reason(event):
    """Why a mail was not delivered, for a person: what the ESP and the receiving server said.

    Anymail's ``reject_reason`` is only a category ("bounced", "blocked"...) that the status already
    says; it is the fallback when the ESP said nothing else.
    """
    parts = []
    for value in (event.description, event.mta_response):
        value = " ".join(str(value or "").split())
        if value and value not in parts:
            parts.append(value)
    return " - ".join(parts) or str(event.reject_reason or "")


def mark_bounced(message_ids, reason):
    """A bounce that came back by mail names our Message-IDs: mark those mails as bounced."""
    from .models import OutboundMail

    return OutboundMail.objects.filter(internet_message_id__in=list(message_ids)).update(
        status=OutboundMail.Status.BOUNCED, error=str(reason)[:2000], updated_at=timezone.now()
    )
