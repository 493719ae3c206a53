"""A person's data held by the support: what it is (``find``), a copy for them (``export``), its erasure
(``erase``), and the retention of closed tickets (``erase_expired``, run by ``support_tick``). The GDPR's
rights of access (article 15), to erasure (17) and to portability (20), and its storage limitation.

A module of the workflow layer: it changes tickets, so it locks their rows (lower pk first) in one
transaction and writes their log entries as the moves do (``workflow_base._log``); ``access`` decides who
may ask (``can_manage_personal_data``: supervisors given ``erase_personal_data``).

**Who.** A person is an address, an account, or both (``Person``): an address also brings the accounts
that have it, an account its address. We hold something about them on the tickets where they are the
requester or the beneficiary, follow the ticket (people in copy), wrote a message, rated a closing, were
proposed in copy, or where their address is written in the text; and in the records of the mail we sent
them and the mail they sent us.

**The export** (``export``) is a zip: ``data.json`` and the files. It holds what the person may read on
the support pages and in our mail, and nothing more: the tickets where they are the requester, the
beneficiary or in copy, with their public messages; their own public messages elsewhere; the files of
those messages under ``attachments/<ticket number>/``; the records of the mails we sent them (subject,
dates, status: the mails' bodies are not stored); the mails they sent us (subject, date, what became of
it, and the text when the raw mail is still kept); their ratings. **Internal notes are not exported**,
even those that speak of the person: they are the team's working notes, and an internal note never
reaches a requester (invariant 1 of the design), by a page, a mail or an export. The personal data
written in them is erased with the rest (below). Other people's addresses are not exported, and a ticket
that only mentions the person's address is not listed (it is someone else's).

**The erasure** (``erase``), in one transaction:

- on each ticket where the person is the requester or the beneficiary: their name becomes "Erased
  requester" (or beneficiary), their address is emptied (no mail can go to them any more, and a signed
  link made for the address opens nothing), the account is detached (the account itself is the site's: it
  is not deleted); where they are the requester, the subject becomes "Erased ticket #1234" and the
  description "[erased]"; the ticket is marked ``personal_data_erased_at``;
- their messages (found by address, account, or their role on their own tickets): the body becomes
  "[erased]", the author's name and address go, and the files are removed from the storage (after the
  commit) with their rows; the records of the forms they posted (``FormSubmission``) go too;
- what the team wrote on those tickets (replies, internal notes, the solution, drafts), the mail records
  left and the log entries keep their text, with the person's addresses, names and the parts of their
  names replaced by "[erased]" (the ticket's old subject too, where it was the requester's);
- the records of mail sent to them and received from them are deleted, the raw text of any other mail on
  their tickets is emptied; the rows that put them in copy (followers, proposed addresses) are deleted;
- their ratings keep their value (good or bad) and lose the comment and who rated;
- the log entries of those tickets lose the person's name, address and account, and each ticket gets an
  entry "personal data erased" that names the person by a keyed hash only (``subject_hash``).

Numbers, dates, statuses, teams, categories, priorities, durations, service level outcomes and rating
values stay: the reports count the same afterwards. Left as they are: FAQ questions proposed from a ticket
(their text was scrubbed of the people's data when proposed, ``faq_proposals``); files of a form that came
back with an error (``PendingUpload``: tied to a form token, not to a person, and removed by
``support_clean_uploads``); what lives outside the database (the task backend's rows of the "find my
tickets" mail, rate-limit counters keyed by a hash, the ESP's own logs).

**Retention** (``WAGTAILSUPPORT_RETENTION_DAYS``): ``erase_expired`` erases each ticket closed longer ago
than that, on that ticket only: all of its people (requester, beneficiary, people in copy, anyone who wrote
on it from outside the team) as above, and all of its words (every message, note and file, the solution,
every mail record to its people, every incoming mail). In batches, each ticket its own transaction, the
row locked and checked again: two runs at once erase a ticket once.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from . import signals
from .access import Actor
from .conf import support_settings
from .models import (
    Attachment,
    CcSuggestion,
    FormSubmission,
    InboundMail,
    Message,
    OutboundMail,
    ReplyDraft,
    SatisfactionRating,
    Ticket,
    TicketFollower,
    WebhookDelivery,
    person_label,
)
# What we hold and how names are found in text; the export. Reached as ``privacy.<name>`` by the callers.
from .privacy_data import (  # noqa: F401 - find, person, Holdings and the roles are for the callers
    AUTHOR,
    BENEFICIARY,
    CC,
    FOLLOWER,
    MENTIONED,
    PARTY_ROLES,
    RATER,
    READER_ROLES,
    REQUESTER,
    ROLE_LABELS,
    TEAM_ROLES,
    Holdings,
    Person,
    Scrubber,
    find,
    names_of,
    person,
    subject_hash,
)
from .privacy_export import export  # noqa: F401 - for the callers
from .workflow_base import _log

logger = logging.getLogger("wagtail_support.privacy")

# Erasure --------------------------------------------------------------------------------------------------


@dataclass
class Erased:
    """What an erasure did, counted."""

    tickets: int = 0
    messages: int = 0
    attachments: int = 0
    outbound_mails: int = 0
    inbound_mails: int = 0
    ratings: int = 0
    followers: int = 0
    log_entries: int = 0
    webhook_deliveries: int = 0
    person_hash: str = ""
    ticket_ids: list = field(default_factory=list)

    def rows(self):
        return [
            (_("Tickets whose people or words were erased"), self.tickets),
            (_("Messages erased"), self.messages),
            (_("Attachments removed"), self.attachments),
            (_("Mail sent to them, records deleted"), self.outbound_mails),
            (_("Mail received from them, records deleted"), self.inbound_mails),
            (_("Ratings made anonymous"), self.ratings),
            (_("Places in copy removed"), self.followers),
            (_("Webhook deliveries deleted"), self.webhook_deliveries),
            (_("Log entries cleaned"), self.log_entries),
        ]


def _placeholders():
    """The words put in place of the erased data, in the site's language (agents read them in the admin)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "requester": _("Erased requester"),
            "beneficiary": _("Erased beneficiary"),
            "person": _("Erased person"),
            "erased": _("[erased]"),
        }


def _erased_subject(row):
    with translation.override(settings.LANGUAGE_CODE):
        return _("Erased ticket %(reference)s") % {"reference": row.reference}


def _lock(ticket_ids):
    """The rows, locked, lower pk first (two erasures or a move and an erasure never deadlock)."""
    rows = Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ticket_ids).order_by("pk")
    return {row.pk: row for row in rows}


def erase(email=None, user=None, actor=None, who=None):
    """Erase what the support holds about a person (an address, an account, or ``who``): see the module's
    docstring. ``actor``: who asked (an account; ``None``: the system). Returns ``Erased``; erasing a
    person again finds nothing left and erases nothing."""
    who = who or person(email, user)
    summary = Erased()
    if not who:
        return summary
    summary.person_hash = subject_hash(who)
    actor = Actor.coerce(actor)
    holdings = find(who=who)
    with translation.override(settings.LANGUAGE_CODE):
        scrubber = Scrubber(who.emails, names_of(who))
    files = []
    with transaction.atomic():
        rows = _lock(holdings.ticket_ids())
        # Again under the locks: nothing is added meanwhile to the tickets found (a ticket opened meanwhile
        # is locked too, after the others).
        holdings = find(who=who)
        rows.update(_lock(set(holdings.ticket_ids()) - set(rows)))
        party = {pk: roles & PARTY_ROLES for pk, roles in holdings.tickets.items()}
        message_ids = list(holdings.messages.values_list("pk", flat=True))
        summary.messages, summary.attachments = _erase_messages(Message.objects.filter(pk__in=message_ids), files)
        FormSubmission.objects.filter(Q(ticket_id__in=[pk for pk, r in party.items() if REQUESTER in r]) | Q(message_id__in=message_ids)).delete()
        summary.ratings = _anonymise_ratings(holdings.ratings)
        summary.followers = holdings.followers.delete()[0]
        holdings.cc.delete()
        summary.outbound_mails = holdings.outbound.delete()[0]
        summary.inbound_mails = holdings.inbound.delete()[0]
        for address in sorted(who.emails):
            # Mail of others that had them in copy: the address goes from the record and the raw text.
            for mail in InboundMail.objects.filter(recipients__icontains=address):
                _scrub_inbound(mail, scrubber)
        for pk, row in rows.items():
            _erase_ticket_row(row, party.get(pk, set()), scrubber, retention=False, now=timezone.now())
        # The webhooks' deliveries of these tickets keep the payloads sent (names, addresses, texts): they go,
        # and one not sent yet is not sent afterwards.
        summary.webhook_deliveries = WebhookDelivery.objects.filter(ticket_id__in=list(rows)).delete()[0]
        summary.log_entries = _clean_logs(rows, scrubber, who.user_ids, {pk for pk, r in party.items() if REQUESTER in r})
        for row in rows.values():
            _log(row, "personal_data_erased", actor, person=summary.person_hash, roles=sorted(holdings.tickets[row.pk]))
        summary.tickets = len(rows)
        summary.ticket_ids = sorted(rows)
        _after_commit(files, summary, who.emails, actor)
    logger.info("Erased the personal data of %s (%s tickets)", summary.person_hash, summary.tickets)
    return summary


def _erase_messages(messages, files):
    """Empty the messages (body, author) and remove their files: (messages, attachments) counted."""
    words = _placeholders()
    count = 0
    attachments = Attachment.objects.filter(message__in=messages.values("pk"))
    files += [(item.file.storage, item.file.name) for item in attachments if item.file]
    removed = attachments.delete()[0]
    for message in messages.only("pk", "author_role"):
        name = words.get(message.author_role, words["person"]) if message.author_role not in TEAM_ROLES else ""
        Message.objects.filter(pk=message.pk).update(
            body=words["erased"], author_name=name, author_email="", author_user=None
        )
        count += 1
    return count, removed


def _anonymise_ratings(ratings):
    return ratings.update(comment="", rated_by_email="", rated_by_user=None)


def _scrub_inbound(mail, scrubber, raw=None):
    mail.recipients = scrubber.text(mail.recipients)
    mail.subject = scrubber.text(mail.subject)[:255]
    mail.note = scrubber.text(mail.note)
    mail.from_name = scrubber.text(mail.from_name)[:255]
    mail.raw = scrubber.text(mail.raw) if raw is None else raw
    mail.save(update_fields=["recipients", "subject", "note", "from_name", "raw"])


def _erase_ticket_row(row, roles, scrubber, *, retention, now):
    """The ticket's own fields and what hangs on it (the team's texts, mail records, drafts)."""
    words = _placeholders()
    old_subject = row.subject
    fields = {"version"}
    for role in (REQUESTER, BENEFICIARY):
        present = getattr(row, f"{role}_email") or getattr(row, f"{role}_name") or getattr(row, f"{role}_user_id")
        if role in roles and present:
            setattr(row, f"{role}_user", None)
            setattr(row, f"{role}_name", words[role])
            setattr(row, f"{role}_email", "")
            fields |= {f"{role}_user", f"{role}_name", f"{role}_email"}
    content = retention or REQUESTER in roles
    if content:
        row.subject = _erased_subject(row)
        row.description = words["erased"]
        fields |= {"subject", "description"}
    else:
        row.subject, row.description = scrubber.text(row.subject)[:255], scrubber.text(row.description)
        fields |= {"subject", "description"}
    row.solution = words["erased"] if retention and row.solution else scrubber.text(row.solution)
    fields.add("solution")
    if roles or retention:
        row.personal_data_erased_at = now
        fields.add("personal_data_erased_at")
    row.version += 1
    row.save(update_fields=sorted(fields))
    subject_scrubber = _with_subject(scrubber, old_subject if content else "", row.subject)
    for message in Message.objects.filter(ticket=row).exclude(body=words["erased"]).only("pk", "body", "author_name"):
        body, name = subject_scrubber.text(message.body), scrubber.text(message.author_name)
        if (body, name) != (message.body, message.author_name):
            Message.objects.filter(pk=message.pk).update(body=body, author_name=name)
    for draft in ReplyDraft.objects.filter(ticket=row):
        if content:
            draft.delete()
        else:
            ReplyDraft.objects.filter(pk=draft.pk).update(body=scrubber.text(draft.body))
    for mail in OutboundMail.objects.filter(ticket=row):
        OutboundMail.objects.filter(pk=mail.pk).update(
            subject=subject_scrubber.text(mail.subject)[:255],
            error=scrubber.text(mail.error),
            params=scrubber.data(mail.params),
        )
    for mail in InboundMail.objects.filter(ticket=row):
        # The mail was added to the ticket: its raw text is not needed any more, and it quotes the person.
        _scrub_inbound(mail, subject_scrubber, raw="" if content else None)
    row._old_subject = old_subject if content else ""


class _SubjectScrubber(Scrubber):
    """A ``Scrubber`` that also replaces a ticket's old subject (the requester's words) with its new one."""

    def __init__(self, base, old, new):
        self.__dict__.update(base.__dict__)
        self.old, self.new = old, new

    def text(self, value):
        if self.old and isinstance(value, str) and value:
            value = value.replace(self.old, self.new)
        return super().text(value)


def _with_subject(scrubber, old, new):
    return _SubjectScrubber(scrubber, old, new) if old else scrubber


def _clean_logs(rows, scrubber, user_ids, content_ids):
    """The log entries of the tickets: the person's name, address and account out of them; the ticket's
    old subject (where it was the requester's) replaced; the label made again from the erased ticket."""
    if not rows:
        return 0
    content_type = ContentType.objects.get_for_model(Ticket)
    count = 0
    entries = ModelLogEntry.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in rows])
    for entry in entries.iterator():
        row = rows[int(entry.object_id)]
        cleaner = _with_subject(scrubber, getattr(row, "_old_subject", ""), row.subject)
        keys = ("subject",) if row.pk in content_ids else ()
        data = cleaner.data(entry.data or {}, replace_keys=keys, replacement=row.subject)
        changed = {"data": data, "label": str(row)}
        if entry.user_id is not None and entry.user_id in user_ids:
            changed["user_id"] = None
        if data != entry.data or entry.label != str(row) or "user_id" in changed:
            ModelLogEntry.objects.filter(pk=entry.pk).update(**changed)
            count += 1
    return count


def _after_commit(files, summary, emails, actor):
    """Once committed: remove the files, and tell the site (``signals.personal_data_erased``) so that its
    own integrations (a CRM, a mailing list) can erase their copies."""

    def done():
        for storage, name in files:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 - a file left behind is logged, never a failed erasure
                logger.warning("Could not remove the file %s of an erased message", name, exc_info=True)
        for receiver, result in signals.personal_data_erased.send_robust(
            sender=Ticket, ticket_ids=summary.ticket_ids, emails=sorted(emails), person_hash=summary.person_hash,
            actor=actor.log_user,
        ):
            if isinstance(result, Exception):
                logger.error("A receiver of personal_data_erased failed: %r", receiver, exc_info=result)

    transaction.on_commit(done)


# Retention ------------------------------------------------------------------------------------------------


def _parties(row):
    """Everyone on ``row`` who is not the team: (addresses, names, account ids)."""
    emails = {row.requester_email, row.beneficiary_email}
    names = {row.requester_name, row.beneficiary_name}
    users = {row.requester_user_id, row.beneficiary_user_id}
    for model in (TicketFollower, CcSuggestion):
        for address, name in model.objects.filter(ticket=row).values_list("email", "name"):
            emails.add(address)
            names.add(name)
    outside = Message.objects.filter(ticket=row).exclude(author_role__in=TEAM_ROLES)
    for address, name, user_id in outside.values_list("author_email", "author_name", "author_user_id"):
        emails.add(address)
        names.add(name)
        users.add(user_id)
    mails = InboundMail.objects.filter(ticket=row).exclude(message__author_role__in=TEAM_ROLES)
    for address, name in mails.values_list("from_email", "from_name"):
        emails.add(address)
        names.add(name)
    User = get_user_model()
    for user in User._default_manager.filter(pk__in=[pk for pk in users if pk]):
        emails.add(user.email)
        names.update({person_label(user), user.first_name, user.last_name})
    return {e.strip().lower() for e in emails if e and e.strip()}, {n for n in names if n}, {u for u in users if u}


def erase_ticket(ticket_id, actor=None, now=None):
    """Erase one ticket's people and words (the retention of closed tickets): ``True`` when done, ``False``
    when it was erased already (by another run) or does not exist."""
    now = now or timezone.now()
    actor = Actor.coerce(actor)
    files = []
    with transaction.atomic():
        rows = _lock([ticket_id])
        row = rows.get(ticket_id)
        if row is None or row.personal_data_erased_at is not None:
            return False
        emails, names, user_ids = _parties(row)
        with translation.override(settings.LANGUAGE_CODE):
            scrubber = Scrubber(emails, names)
        summary = Erased(person_hash="", ticket_ids=[row.pk])
        _erase_messages(Message.objects.filter(ticket=row), files)
        FormSubmission.objects.filter(ticket=row).delete()
        _anonymise_ratings(SatisfactionRating.objects.filter(ticket=row))
        TicketFollower.objects.filter(ticket=row).delete()
        CcSuggestion.objects.filter(ticket=row).delete()
        OutboundMail.objects.filter(ticket=row).exclude(audience="agent").delete()
        InboundMail.objects.filter(ticket=row).delete()
        WebhookDelivery.objects.filter(ticket=row).delete()
        _erase_ticket_row(row, {REQUESTER, BENEFICIARY}, scrubber, retention=True, now=now)
        _clean_logs(rows, scrubber, user_ids, {row.pk})
        _log(row, "personal_data_erased", actor, retention=True)
        _after_commit(files, summary, set(), actor)
    return True


def expired_tickets(now=None):
    """The closed tickets past ``WAGTAILSUPPORT_RETENTION_DAYS`` and not erased yet (none without the
    setting), oldest closing first: the ``ws_ticket_retention`` index, which erased tickets leave."""
    days = support_settings.RETENTION_DAYS
    if days is None:
        return Ticket.objects.none()
    cutoff = (now or timezone.now()) - timezone.timedelta(days=int(days))
    return Ticket.objects.filter(
        status=Ticket.Status.CLOSED, closed_at__isnull=False, closed_at__lt=cutoff, personal_data_erased_at__isnull=True
    ).order_by("closed_at", "number")


@dataclass
class RetentionResult:
    erased: int = 0
    skipped: int = 0
    failed: int = 0
    planned: list = field(default_factory=list)


def erase_expired(now=None, batch_size=500, dry_run=False, limit=None):
    """Erase the tickets ``expired_tickets`` gives, ``batch_size`` at a time (each batch one query: the
    erased leave the query, so the next batch is again its first rows), at most ``limit`` of them (the
    rest waits for the next run: a first run on a site with years of history does not hold up the other
    steps of ``support_tick`` for hours). ``dry_run``: list them only."""
    result = RetentionResult()
    tickets = expired_tickets(now)
    if dry_run:
        numbers = tickets.values_list("number", flat=True)
        result.planned = [f"{support_settings.REFERENCE_PREFIX}{n}" for n in (numbers[:limit] if limit else numbers)]
        return result
    failed = set()
    while limit is None or result.erased < limit:
        size = batch_size if limit is None else min(batch_size, limit - result.erased)
        batch = list(tickets.exclude(pk__in=failed).values_list("pk", "number")[:size])
        for pk, number in batch:
            try:
                done = erase_ticket(pk, now=now)
            except Exception:  # noqa: BLE001 - one ticket's failure must not stop the others; retried next run
                logger.exception("support_tick: could not erase ticket %s%s", support_settings.REFERENCE_PREFIX, number)
                failed.add(pk)
                result.failed += 1
                continue
            if done:
                result.erased += 1
            else:
                result.skipped += 1
                failed.add(pk)
        if len(batch) < size:
            return result
    return result
