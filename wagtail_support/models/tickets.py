"""Tickets, their conversation (messages) and the files on it (attachments)."""

import os
import uuid

from django.conf import settings
from django.db import connections, models, router
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ..conf import support_settings
from ..storage import get_attachment_storage
from .catalog import Category, ResolutionCode, Team, choice_label, person_label


class TicketReferenceCounter(models.Model):
    """The last ticket number handed out.

    One row, incremented with an UPDATE inside the transaction that creates the ticket, so two
    tickets created at the same moment never share a number and a number is never handed out twice,
    even after the ticket holding it is deleted.
    """

    name = models.CharField(max_length=50, primary_key=True)
    value = models.PositiveBigIntegerField()

    class Meta:
        verbose_name = _("ticket number counter")
        verbose_name_plural = _("ticket number counters")

    @classmethod
    def next_value(cls, name="ticket"):
        """Take the next number; call inside a transaction."""
        connection = connections[router.db_for_write(cls)]
        if connection.features.can_return_columns_from_insert:
            # PostgreSQL, SQLite 3.35+: increment and read in one statement (UPDATE ... RETURNING).
            table = connection.ops.quote_name(cls._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f'UPDATE {table} SET "value" = "value" + 1 WHERE "name" = %s RETURNING "value"', [name])
                row = cursor.fetchone()
            if row is not None:
                return row[0]
        updated = cls.objects.filter(name=name).update(value=F("value") + 1)
        if not updated:
            # First ticket of the site: create the row, tolerating a concurrent creator.
            cls.objects.get_or_create(name=name, defaults={"value": support_settings.REFERENCE_START - 1})
            cls.objects.filter(name=name).update(value=F("value") + 1)
        return cls.objects.get(name=name).value


#: Between the names of ``Ticket.assignee_sort``: below every character a name holds, so the key sorts as the
#: names compared one after the other did (first name, then last name, then username).
ASSIGNEE_SORT_SEPARATOR = "\x01"


def assignee_sort_key(user):
    """The assignee's sort key (``Ticket.assignee_sort``): first name, last name and username as stored, so the
    inbox's order by assignee is the one it had when it joined the accounts; "" for nobody, which sorts
    before every agent ascending and after every agent descending, as the unassigned tickets always did."""
    if user is None:
        return ""
    names = [getattr(user, "first_name", "") or "", getattr(user, "last_name", "") or ""]
    username = getattr(user, "username", None) or user.get_username() or ""
    return ASSIGNEE_SORT_SEPARATOR.join([*names, username])


def _rank(field, values):
    """A CASE giving each value its place in ``values`` (the inbox's sorts by priority and status)."""
    return models.Case(
        *[models.When(**{field: value}, then=models.Value(rank)) for rank, value in enumerate(values)],
        default=models.Value(len(values)),
        output_field=models.SmallIntegerField(),
    )


class TicketQuerySet(models.QuerySet):
    """Status shortcuts. Who may see which tickets is ``access.visible_tickets`` and its siblings."""

    def open(self):
        return self.filter(status=Ticket.Status.OPEN)

    def pending(self):
        return self.filter(status=Ticket.Status.PENDING)

    def closed(self):
        return self.filter(status=Ticket.Status.CLOSED)

    def not_closed(self):
        return self.exclude(status=Ticket.Status.CLOSED)

    def awaiting_agent(self):
        """Not closed, and the requester's side wrote last: they wait for us."""
        return self.not_closed().filter(awaiting_agent_since__isnull=False)


class Ticket(models.Model):
    """A support request ("demande", "dossier d'assistance")."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        BUG = "bug", _("Bug")
        FEATURE_REQUEST = "feature_request", _("Feature request")
        BILLING = "billing", _("Billing")
        TECHNICAL = "technical", _("Technical")
        OTHER = "other", _("Other")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("ticket status", "Open")
        PENDING = "pending", pgettext_lazy("ticket status", "Pending")
        CLOSED = "closed", pgettext_lazy("ticket status", "Closed")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        IN_PERSON = "in_person", _("In person")
        ADMIN = "admin", _("Admin")

    class CloseReason(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        ABANDONED = "abandoned", _("Abandoned (no follow-up)")
        CLOSED_BY_REQUESTER = "closed_by_requester", _("Closed by the requester")
        NO_REPLY = "no_reply", _("Closed without a reply from the requester")
        MERGED = "merged", _("Merged into another ticket")

    class Satisfaction(models.TextChoices):
        GOOD = "good", pgettext_lazy("satisfaction rating", "Good")
        BAD = "bad", pgettext_lazy("satisfaction rating", "Bad")

    number = models.PositiveBigIntegerField(_("number"), unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.QUESTION)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    category = models.ForeignKey(
        Category,
        verbose_name=_("service catalog entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("support team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_support_tickets",
    )

    # The requester ("Demandeur") and the beneficiary ("Bénéficiaire") are either accounts or a name
    # and an address for someone without one. Name and email are always filled, so mail and listings
    # never need the account.
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_support_tickets",
    )
    requester_name = models.CharField(_("requester name"), max_length=255, blank=True)
    requester_email = models.EmailField(_("requester email"), max_length=254, blank=True)
    beneficiary_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beneficiary account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="benefiting_support_tickets",
    )
    beneficiary_name = models.CharField(_("beneficiary name"), max_length=255, blank=True)
    beneficiary_email = models.EmailField(_("beneficiary email"), max_length=254, blank=True)

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_from = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("submitted from page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    came_from = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("came from page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The page the visitor was reading before the support page."),
    )
    source_revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("page revision"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The live revision of the page the ticket was sent from, as the visitor saw it."),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    locale = models.ForeignKey(
        "wagtailcore.Locale",
        verbose_name=_("locale"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The locale of the page the ticket was opened from."),
    )
    language = models.CharField(
        _("language"),
        max_length=12,
        blank=True,
        help_text=_("The language the ticket was opened in; mail to the requester uses it."),
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
    # Since when the requester's side waits for us: the time of their first public message after our last
    # public reply (the opening message counts), ``None`` once we answered. Kept by the workflow with each
    # message, so the inbox marks and sorts waiting tickets without reading the messages.
    awaiting_agent_since = models.DateTimeField(
        _("waiting for the support team since"), null=True, blank=True, editable=False
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    close_reason = models.CharField(
        _("reason for closing"), max_length=30, choices=CloseReason.choices, blank=True, editable=False
    )
    resolution_code = models.ForeignKey(
        ResolutionCode,
        verbose_name=_("resolution code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    solution = models.TextField(_("solution"), blank=True)

    # Incremented by every change, so a form can tell that the ticket moved since it was shown.
    # Service levels (wagtail_support.service_levels, kept by the workflow's moves): the policy that applies,
    # each target's due time while it is open, and the earliest of them (the inbox's "due next").
    sla_policy = models.ForeignKey(
        "wagtail_support.ServiceLevelPolicy",
        verbose_name=_("service level policy"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True, editable=False)
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True, editable=False)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True, editable=False)
    next_due = models.DateTimeField(_("due next"), null=True, blank=True, editable=False)
    # The service level step ``support_tick`` has done for the current ``next_due`` ("", "sla_warning" or
    # "sla_breach"; ``service_levels.refresh`` clears it when ``next_due`` moves): its scan reads only the
    # tickets with a step still to do, so the late tickets already reported cost nothing at each run.
    next_due_step = models.CharField(
        _("step done for the due time"), max_length=20, blank=True, default="", db_default="", editable=False
    )
    sla_paused_at = models.DateTimeField(
        _("targets paused since"), null=True, blank=True, editable=False,
        help_text=_("While the ticket waits for the requester, its targets wait too (a policy option)."),
    )
    pending_since = models.DateTimeField(_("pending since"), null=True, blank=True, editable=False)
    # For the reports, written by the workflow when they happen: the time to the first response and to the
    # (last) closing, in business seconds of the ticket's calendar where its service level policy counts in
    # business hours, else in clock seconds; and whether each service level target was met (None: no target).
    first_response_seconds = models.PositiveIntegerField(
        _("time to first response (seconds)"), null=True, blank=True, editable=False
    )
    resolution_seconds = models.PositiveIntegerField(_("time to resolution (seconds)"), null=True, blank=True, editable=False)
    first_response_met = models.BooleanField(_("first response on time"), null=True, blank=True, editable=False)
    resolution_met = models.BooleanField(_("resolved on time"), null=True, blank=True, editable=False)
    # The requester's current rating (of the last closing; cleared on reopening, the ratings keep the history).
    satisfaction = models.CharField(
        _("satisfaction"), max_length=10, choices=Satisfaction.choices, blank=True, editable=False
    )
    satisfaction_at = models.DateTimeField(_("rated"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # When the personal data of the ticket's requester or beneficiary was erased (``privacy.erase``, or the
    # retention of closed tickets run by support_tick): its people and their words are gone, its figures stay.
    personal_data_erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)
    # Tickets opened again after their reopen window point at the ticket they follow.
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
    )

    # The inbox's sort keys (admin.filters.ORDERINGS), stored so that an index serves each sort: the priority's
    # rank (urgent first) and the status's (the lifecycle: open, pending, closed), computed by the database
    # from the column they rank; and the assignee's names (``assignee_sort_key``), kept with the assignee by
    # ``save`` and refreshed by the workflow when an agent's names change (``workflow.assignee_renamed``).
    priority_rank = models.GeneratedField(
        expression=_rank("priority", ["urgent", "high", "normal", "low"]),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    status_rank = models.GeneratedField(
        expression=_rank("status", ["open", "pending", "closed"]),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    assignee_sort = models.CharField(
        _("assignee sort key"), max_length=500, blank=True, default="", db_default="", editable=False
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-number"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("work_on_tickets", _("Can work on support tickets (agent)")),
            ("view_all_tickets", _("Can see the tickets of every team")),
            ("erase_personal_data", _("Can export and erase a requester's personal data")),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ws_ticket_status_updated"),
            models.Index(fields=["team", "status", "-updated_at"], name="ws_ticket_team_status"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ws_ticket_assignee_status"),
            # The teams of an agent's tickets (the inbox's team filter), read from the index alone.
            models.Index(fields=["assignee", "team"], name="ws_ticket_assignee_team"),
            # The inbox's default sort and the sort by age, with the ticket number that breaks ties.
            models.Index(fields=["-updated_at", "-number"], name="ws_ticket_updated"),
            # "Due next": the open targets, earliest first (inbox sort, late counts, support_tick).
            models.Index(
                fields=["next_due", "number"],
                name="ws_ticket_next_due",
                condition=models.Q(next_due__isnull=False) & ~models.Q(status="closed"),
            ),
            models.Index(
                fields=["team", "next_due"],
                name="ws_ticket_team_next_due",
                condition=models.Q(next_due__isnull=False) & ~models.Q(status="closed"),
            ),
            # support_tick's scan: the due times with a step still to do (a breach not reported yet).
            models.Index(
                fields=["next_due", "number"],
                name="ws_ticket_due_to_report",
                condition=models.Q(next_due__isnull=False) & ~models.Q(status="closed") & ~models.Q(next_due_step="sla_breach"),
            ),
            # Pending tickets by how long they have waited (support_tick's reminders and closing).
            models.Index(
                fields=["pending_since"], name="ws_ticket_pending_since", condition=models.Q(status="pending")
            ),
            models.Index(fields=["-created_at", "-number"], name="ws_ticket_created"),
            models.Index(fields=["priority", "status"], name="ws_ticket_priority_status"),
            models.Index(fields=["requester_email"], name="ws_ticket_requester_email"),
            models.Index(fields=["beneficiary_email"], name="ws_ticket_beneficiary_email"),
            models.Index(fields=["requester_user", "-created_at"], name="ws_ticket_requester_user"),
            models.Index(fields=["beneficiary_user", "-created_at"], name="ws_ticket_beneficiary_user"),
            # The backlog (what is not closed) stays small while the history grows: the one-click views
            # of the inbox, their counts and the admin home panel read only these rows.
            models.Index(
                fields=["-updated_at", "-number"],
                name="ws_ticket_backlog_updated",
                condition=~models.Q(status="closed"),
            ),
            # "Waiting for us": the backlog's waiting tickets, longest waiting first (the inbox's sort and
            # its "Waiting for us" view); tickets that wait for nobody come last (NULLs sort last).
            models.Index(
                fields=["awaiting_agent_since", "number"],
                name="ws_ticket_backlog_waiting",
                condition=~models.Q(status="closed"),
            ),
            # The reports: what was closed, and what was rated, in a period.
            models.Index(fields=["closed_at"], name="ws_ticket_closed", condition=models.Q(closed_at__isnull=False)),
            models.Index(
                fields=["satisfaction_at"], name="ws_ticket_rated", condition=models.Q(satisfaction_at__isnull=False)
            ),
            # The retention of closed tickets (support_tick): the closed tickets not erased yet, oldest first;
            # the erased ones leave the index, so the scan never reads past them.
            models.Index(
                fields=["closed_at", "number"],
                name="ws_ticket_retention",
                condition=models.Q(closed_at__isnull=False, personal_data_erased_at__isnull=True),
            ),
            # The inbox's sorts (admin.filters.ORDERINGS), each with the number that breaks its ties, read forwards
            # or backwards (a btree serves both directions): on the backlog for the one-click views, on the
            # whole table for "All tickets". The backlog's (-updated_at, -number) and (awaiting_agent_since,
            # number) are above; the whole table's number, created and updated too. On PostgreSQL, migration
            # 0034 adds the backlog's "waiting" read newest first (DESC NULLS LAST, which SQLite cannot index).
            models.Index(fields=["number"], name="ws_ticket_backlog_number", condition=~models.Q(status="closed")),
            models.Index(
                fields=["created_at", "number"], name="ws_ticket_backlog_created", condition=~models.Q(status="closed")
            ),
            models.Index(
                fields=["priority_rank", "number"],
                name="ws_ticket_backlog_priority",
                condition=~models.Q(status="closed"),
            ),
            models.Index(
                fields=["status_rank", "number"], name="ws_ticket_backlog_status", condition=~models.Q(status="closed")
            ),
            models.Index(
                Lower("subject"), F("number"), name="ws_ticket_backlog_subject", condition=~models.Q(status="closed")
            ),
            models.Index(
                fields=["assignee_sort", "number"],
                name="ws_ticket_backlog_assignee",
                condition=~models.Q(status="closed"),
            ),
            # The unassigned backlog by team: the "Unassigned" count of the inbox, the admin home and the menu
            # (bounded, ``admin.scope``) reads at most 1,001 entries of it, whatever the size of the backlog.
            models.Index(
                fields=["team", "number"], name="ws_ticket_backlog_unassigned",
                condition=~models.Q(status="closed") & models.Q(assignee__isnull=True),
            ),
            # "Assigned to me", newest activity first: the assignee's backlog in the listing's order, read for its
            # first page without the assignee's closed history.
            models.Index(
                fields=["assignee", "-updated_at", "-number"], name="ws_ticket_backlog_mine",
                condition=~models.Q(status="closed"),
            ),
            models.Index(fields=["priority_rank", "number"], name="ws_ticket_priority_rank"),
            models.Index(fields=["status_rank", "number"], name="ws_ticket_status_rank"),
            models.Index(Lower("subject"), F("number"), name="ws_ticket_subject_sort"),
            models.Index(fields=["assignee_sort", "number"], name="ws_ticket_assignee_sort"),
            # On PostgreSQL, migration 0011 adds trigram indexes for the inbox search (subject, requester
            # name and address, matched with icontains); they are not declared here because SQLite
            # has no such index.
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    def save(self, *args, **kwargs):
        # The assignee's sort key follows the assignee on every save that writes it (a move of the workflow,
        # a ticket created with one): the inbox's order by assignee reads the key, never the accounts.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "assignee" in update_fields or "assignee_id" in update_fields:
            self.assignee_sort = assignee_sort_key(self.assignee if self.assignee_id else None)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "assignee_sort"}
        super().save(*args, **kwargs)

    @property
    def reference(self):
        return f"{support_settings.REFERENCE_PREFIX}{self.number}"

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED

    @property
    def requester_display(self):
        return self.requester_name or self.requester_email or gettext("(unknown requester)")

    @property
    def beneficiary_display(self):
        return self.beneficiary_name or self.beneficiary_email

    def is_requester_or_beneficiary_email(self, email):
        email = (email or "").strip().lower()
        return bool(email) and email in {
            (self.requester_email or "").lower(),
            (self.beneficiary_email or "").lower(),
        }


class MessageQuerySet(models.QuerySet):
    def public(self):
        """Messages the requester may read (the requester's journal)."""
        return self.filter(visibility=Message.Visibility.PUBLIC)

    def internal(self):
        return self.filter(visibility=Message.Visibility.INTERNAL)

    def window(self, latest):
        """The first message and the ``latest`` newest ones, in one query (``None``: every message).

        A conversation of hundreds of messages opens on its beginning and its end; the pages link to the
        messages in between (``CONVERSATION_WINDOW``).
        """
        if latest is None:
            return self
        newest = self.order_by("-created_at", "-pk").values("pk")[:latest]
        first = self.order_by("created_at", "pk").values("pk")[:1]
        return self.filter(models.Q(pk__in=newest) | models.Q(pk__in=first))


class Message(models.Model):
    """One entry of a ticket's conversation: a public reply or an internal note."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Reply (visible to the requester)")
        INTERNAL = "internal", _("Internal note")

    class AuthorRole(models.TextChoices):
        REQUESTER = "requester", _("Requester")
        BENEFICIARY = "beneficiary", _("Beneficiary")
        AGENT = "agent", _("Support team")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages")
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_messages",
    )
    author_name = models.CharField(_("author name"), max_length=255, blank=True)
    author_email = models.EmailField(_("author email"), max_length=254, blank=True)
    author_role = models.CharField(_("author role"), max_length=20, choices=AuthorRole.choices)
    body = models.TextField(_("message"))
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Ticket.Channel.choices, default=Ticket.Channel.WEB)
    # An internal note made of a mail that claims to come from an agent without proof (inbound mail).
    unverified = models.BooleanField(
        _("unverified sender"),
        default=False,
        db_default=False,  # rows written with SQL (the benchmark's generator, a site's import) get it too
        help_text=_("Made of a mail whose sender could not be proven; an internal note only."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="ws_message_ticket_created"),
            models.Index(fields=["ticket", "visibility", "created_at"], name="ws_message_ticket_visibility"),
        ]

    def __str__(self):
        return gettext("Message on %(reference)s by %(author)s") % {
            "reference": self.ticket.reference,
            "author": self.author_display,
        }

    @property
    def is_internal(self):
        return self.visibility == self.Visibility.INTERNAL

    # The labels the timeline shows for each message (Django's own get_FOO_display translates every choice).
    def get_visibility_display(self):
        return choice_label(self.Visibility, self.visibility)

    def get_author_role_display(self):
        return choice_label(self.AuthorRole, self.author_role)

    def get_channel_display(self):
        return choice_label(Ticket.Channel, self.channel)

    @property
    def author_display(self):
        if self.author_name:
            return self.author_name
        if self.author_user_id:
            return person_label(self.author_user)
        return self.author_email or gettext("(unknown)")


def attachment_upload_to(instance, filename):
    # A random folder per file: names never collide and never reveal a ticket number.
    return f"wagtail_support/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{os.path.basename(filename)}"


class Attachment(models.Model):
    """A file on a message, kept in the private attachment storage."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, storage=get_attachment_storage, max_length=500)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=150)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename
