"""Recording and enqueuing: one ``OutboundMail`` record per mail, written in the transaction of the move
that calls for it, and one task per record.

The workflow calls ``ticket_event`` inside the transaction of its move. The recipients come from the
site's adapter (``get_mail_recipients``); one ``OutboundMail`` record per mail (status "queued") is
written in that transaction, so a ticket and the records of its mails are written together or not at all.
One task per record is enqueued: in the same transaction when the task backend keeps its tasks in this
database (django-tasks-db), else once the transaction has committed, so no worker ever looks for a record
that is not there. ``delivery`` sends them.
"""

import logging
from contextlib import nullcontext
from email.utils import parseaddr
from functools import partial

from django.apps import apps
from django.core.mail.message import make_msgid
from django.db import DatabaseError, connection, router, transaction
from django.utils import timezone

from ..access import address_may_read_internal
from ..adapter import get_adapter
from ..conf import support_settings
from ..middleware import is_database_unavailable
from ..models import Message, OutboundMail, Ticket
from ..tasks import send_recorded_mail, send_ticket_links_mail
from .recipients import AGENT, fallback_language, language_for

logger = logging.getLogger(__name__)

def message_id_domain():
    """The domain of our Message-IDs: the setting, else the inbound address's, else the From address's."""
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

    in_transaction = connection.in_atomic_block
    try:
        with transaction.atomic() if in_transaction else nullcontext():
            send_recorded_mail.using(queue_name=support_settings.TASK_QUEUE).enqueue(mail_id=mail.pk)
    except Exception as error:  # noqa: BLE001 - a broken queue must never turn a saved ticket into an error
        if in_transaction and is_database_unavailable(error):
            raise
        logger.exception("Could not enqueue mail %s (%s to %s); it waits for a retry", mail.pk, mail.event, mail.recipient)
        try:
            mark_failed(mail.pk, "The task queue refused the mail.")
        except DatabaseError:
            # The database is gone too: the record stays queued, and the retry takes it once it is stale.
            logger.exception("Could not record that mail %s was refused by the task queue", mail.pk)


def queue_joins_transaction():
    """Whether the mail task's backend writes its tasks to this database, in the caller's transaction.

    That is the database backend of django-tasks-db on the database of the mail records: a task enqueued
    inside the transaction that records the mail exists exactly when the record (and the ticket) does.
    Any other backend (the immediate one, a broker) is handed the task once the transaction committed.
    """
    if not apps.is_installed("django_tasks_db"):
        return False
    from django_tasks_db.backend import DatabaseBackend  # an optional app: imported only when installed
    from django_tasks_db.models import DBTaskResult  # an optional app: imported only when installed

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
                    else fallback_language(ticket, lang, audience),
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


def _recipients(event, ticket, message, actor_user_id, actor_email):
    """The adapter's recipients as ``(address, audience, language or None)``; an address given without a
    language (a pair) is looked up by ``language_for``. Whatever the adapter said, an internal note goes
    only to the ticket's support team: an agent of its team (or a supervisor) or the team's contact address
    (invariant 1; ``render`` refuses a non-agent audience again)."""
    found = []
    internal = message is not None and message.is_internal
    for recipient in get_adapter().get_mail_recipients(
        event, ticket, message=message, actor_user_id=actor_user_id, actor_email=actor_email
    ):
        email, audience, language = (tuple(recipient) + (None,))[:3]
        if not email or (internal and not (audience == AGENT and address_may_read_internal(ticket, email))):
            continue
        found.append((email, audience, language))
    return found


def mark_failed(mail_id, reason):
    OutboundMail.objects.filter(pk=mail_id).update(
        status=OutboundMail.Status.FAILED, error=str(reason)[:2000], updated_at=timezone.now()
    )


def send_ticket_links(email, support_page_id, language=""):
    """Mail the links to every ticket of ``email`` ("find my tickets"). Tells the caller nothing."""
    try:
        send_ticket_links_mail.using(queue_name=support_settings.TASK_QUEUE).enqueue(
            email=email, support_page_id=support_page_id, language=language
        )
    except Exception:  # noqa: BLE001
        logger.exception("Could not enqueue the ticket links mail")
