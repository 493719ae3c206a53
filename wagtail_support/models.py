"""The ticket core: teams, the service catalog, resolution codes, tickets, messages and attachments.

Models hold data and read-only helpers. Changing a ticket is the job of ``wagtail_support.workflow``;
deciding who may see what is the job of ``wagtail_support.access`` (the querysets below delegate to it).
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .conf import support_settings
from .storage import get_attachment_storage


class Team(models.Model):
    """A support team ("Équipe support"): the agents who work a set of tickets."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        related_name="support_teams",
        blank=True,
    )
    contact_email = models.EmailField(
        _("contact address"),
        blank=True,
        help_text=_("Where the team is told about new tickets, in addition to its members."),
    )
    inbound_email = models.EmailField(
        _("incoming address"),
        blank=True,
        db_index=True,
        help_text=_(
            "Mail sent to this address opens tickets for this team. Point the address at your ESP's inbound "
            "route. Empty: new tickets by mail go to the default team."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("support team")
        verbose_name_plural = _("support teams")

    def __str__(self):
        return self.name


class CategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Category(models.Model):
    """An entry of the service catalog ("Catalogue de services"), nested under a parent entry.

    Each entry may name the team that gets its tickets; an entry without one uses its parent's.
    """

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_team = models.ForeignKey(
        Team,
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
        help_text=_("Tickets of this entry go to this team. Empty: the parent entry's team."),
    )
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("service catalog entry")
        verbose_name_plural = _("service catalog")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="wagtail_support_category_unique_name"),
        ]

    def __str__(self):
        return self.full_name

    def ancestors(self):
        """This entry's parents, the root first. Guards against a cycle saved by hand."""
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self):
        return " › ".join([c.name for c in self.ancestors()] + [self.name])

    def get_team(self):
        """The team of this entry, or of the nearest parent that names one."""
        if self.default_team_id:
            return self.default_team
        for node in reversed(self.ancestors()):
            if node.default_team_id:
                return node.default_team
        return None


class ResolutionCode(models.Model):
    """An editable list of how tickets get resolved. "No follow-up" is built in and used by abandon."""

    NO_FOLLOW_UP = "no-follow-up"

    # Built-in codes keep a translated label whatever the database holds.
    BUILTIN_LABELS = {NO_FOLLOW_UP: _("No follow-up")}

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=150)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "label"]
        verbose_name = _("resolution code")
        verbose_name_plural = _("resolution codes")

    def __str__(self):
        return str(self.BUILTIN_LABELS.get(self.code, self.label))

    @property
    def is_builtin(self):
        return self.code in self.BUILTIN_LABELS

    @classmethod
    def no_follow_up(cls):
        code, _created = cls.objects.get_or_create(
            code=cls.NO_FOLLOW_UP, defaults={"label": "No follow-up", "sort_order": 1000}
        )
        return code


class CannedResponse(models.Model):
    """A saved reply an agent inserts in the composer, with placeholders filled from the ticket.

    Placeholders: ``{requester_name}``, ``{beneficiary_name}``, ``{reference}``, ``{subject}``,
    ``{agent_name}``, ``{team}``. Unknown placeholders are left as typed.
    """

    PLACEHOLDERS = ["requester_name", "beneficiary_name", "reference", "subject", "agent_name", "team"]

    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {requester_name}, {beneficiary_name}, {reference}, {subject}, {agent_name}, {team}."
        ),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("support team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text=_("Empty: offered to every team."),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self):
        return self.title

    def render_for(self, ticket, agent=None):
        """The text with its placeholders filled in for ``ticket`` (plain text; rendered escaped)."""
        values = {
            "requester_name": ticket.requester_display,
            "beneficiary_name": ticket.beneficiary_display or ticket.requester_display,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "agent_name": (agent.get_full_name() or agent.get_username()) if agent is not None else "",
            "team": ticket.team.name if ticket.team_id else "",
        }

        class _Keep(dict):
            def __missing__(self, key):
                return "{" + key + "}"

        try:
            return self.body.format_map(_Keep(values))
        except (ValueError, IndexError, AttributeError):
            # A stray brace or "{0.attr}" in the text: insert it as typed rather than fail.
            text = self.body
            for key, value in values.items():
                text = text.replace("{" + key + "}", value)
            return text


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
        from django.db import connections, router

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


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tickets ``user`` may see: as requester or beneficiary, as an agent of the team, or all."""
        from . import access

        return access.filter_visible_tickets(self, user)

    def worked_by(self, user):
        """Tickets ``user`` may work as an agent (their teams', or all for supervisors)."""
        from . import access

        return access.filter_agent_tickets(self, user)

    def of_requester(self, user):
        """Tickets where ``user`` is the requester or the beneficiary."""
        from . import access

        return access.filter_requester_tickets(self, user)

    def open(self):
        return self.filter(status=Ticket.Status.OPEN)

    def pending(self):
        return self.filter(status=Ticket.Status.PENDING)

    def closed(self):
        return self.filter(status=Ticket.Status.CLOSED)

    def not_closed(self):
        return self.exclude(status=Ticket.Status.CLOSED)


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

    # Sorting of priorities in listings: urgent first.
    PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}

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
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(
        _("language"),
        max_length=12,
        blank=True,
        help_text=_("The language the ticket was opened in; mail to the requester uses it."),
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
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
    version = models.PositiveIntegerField(default=1, editable=False)
    # Tickets opened again after their reopen window point at the ticket they follow.
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followed_by",
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-number"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("work_on_tickets", _("Can work on support tickets (agent)")),
            ("view_all_tickets", _("Can see the tickets of every team")),
        ]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ws_ticket_status_updated"),
            models.Index(fields=["team", "status", "-updated_at"], name="ws_ticket_team_status"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ws_ticket_assignee_status"),
            # The teams of an agent's tickets (the inbox's team filter), read from the index alone.
            models.Index(fields=["assignee", "team"], name="ws_ticket_assignee_team"),
            # The inbox's default sort and the sort by age, with the ticket number that breaks ties.
            models.Index(fields=["-updated_at", "-number"], name="ws_ticket_updated"),
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
            # On PostgreSQL, migration 0011 adds trigram indexes for the inbox search (subject, requester
            # name and address, matched with icontains); they are not declared here because SQLite
            # has no such index.
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

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

    def visible_to(self, user):
        from . import access

        return access.filter_visible_messages(self, user)

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


def conversation_window(requested):
    """How many of the newest messages a page shows: ``?latest=<n>`` or ``?latest=all`` (``None``)."""
    default = support_settings.CONVERSATION_WINDOW
    if not isinstance(default, int) or default <= 0 or str(requested).lower() == "all":
        return None  # a window that is not a number above zero (the system check says so) shows all
    try:
        wanted = int(requested)
    except (TypeError, ValueError):
        return default
    return min(max(wanted, default), 100_000)


def earlier_messages(url, latest, hidden, query=None):
    """The bar between the first message and the newest ones of a ticket page: how many are left out and
    the links that show ``CONVERSATION_WINDOW`` more, or all. ``None`` when nothing is left out."""
    from django.utils.http import urlencode

    if latest is None or hidden <= 0:
        return None
    query = dict(query or {})
    step = support_settings.CONVERSATION_WINDOW
    return {
        "hidden": hidden,
        "more_count": min(step, hidden),
        "more_url": f"{url}?{urlencode({**query, 'latest': latest + step})}#earlier-messages",
        "all_url": f"{url}?{urlencode({**query, 'latest': 'all'})}#earlier-messages",
    }


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

    @property
    def author_display(self):
        if self.author_name:
            return self.author_name
        if self.author_user_id:
            return self.author_user.get_full_name() or self.author_user.get_username()
        return self.author_email or gettext("(unknown)")


def attachment_upload_to(instance, filename):
    # A random folder per file: names never collide and never reveal a ticket number.
    return f"wagtail_support/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{os.path.basename(filename)}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        from . import access

        return access.filter_visible_attachments(self, user)


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

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename


class OutboundMailQuerySet(models.QuerySet):
    def retryable(self):
        """Mails that failed, or that a crashed worker left half-sent for more than 15 minutes."""
        stale = timezone.now() - timezone.timedelta(minutes=15)
        return self.filter(
            models.Q(status=OutboundMail.Status.FAILED)
            | models.Q(status__in=[OutboundMail.Status.QUEUED, OutboundMail.Status.SENDING], updated_at__lt=stale)
        )


class OutboundMail(models.Model):
    """One mail that wagtail-support sent or tried to send: the delivery record.

    Written by ``wagtail_support.notifications`` before the mail is enqueued, updated when it is sent,
    when it fails, and by the ESP's tracking webhook afterwards.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("mail status", "Queued")
        SENDING = "sending", pgettext_lazy("mail status", "Sending")
        SENT = "sent", pgettext_lazy("mail status", "Sent")
        FAILED = "failed", pgettext_lazy("mail status", "Failed")
        DELIVERED = "delivered", pgettext_lazy("mail status", "Delivered")
        DEFERRED = "deferred", pgettext_lazy("mail status", "Deferred")
        BOUNCED = "bounced", pgettext_lazy("mail status", "Bounced")
        REJECTED = "rejected", pgettext_lazy("mail status", "Rejected")
        COMPLAINED = "complained", pgettext_lazy("mail status", "Marked as spam")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    message = models.ForeignKey(
        Message, verbose_name=_("message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="mails"
    )
    event = models.CharField(_("event"), max_length=30)
    audience = models.CharField(_("audience"), max_length=10)
    recipient = models.EmailField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=15, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    internet_message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    esp_name = models.CharField(_("ESP"), max_length=50, blank=True)
    esp_message_id = models.CharField(_("ESP message ID"), max_length=255, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # What a mail without a ticket (the "find my tickets" links) needs to be rendered again.
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = OutboundMailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing mail message")
        verbose_name_plural = _("outgoing mail")
        indexes = [
            models.Index(fields=["ticket", "recipient", "created_at"], name="ws_outmail_ticket_recipient"),
            models.Index(fields=["status", "updated_at"], name="ws_outmail_status"),
        ]

    # What each event is called in the admin; ``event`` keeps the code (templates are named after it).
    EVENT_LABELS = {
        "opened": _("New ticket"),
        "agent_reply": _("Reply from the support team"),
        "requester_reply": _("Reply from the requester"),
        "pending": _("Waiting for the requester"),
        "resolved": _("Resolved"),
        "abandoned": _("Abandoned"),
        "reopened": _("Reopened"),
        "assigned": _("Assigned"),
        "links": _("Links to the tickets of an address"),
    }

    def __str__(self):
        return gettext("%(event)s to %(recipient)s") % {"event": self.event_label, "recipient": self.recipient}

    @property
    def event_label(self):
        return self.EVENT_LABELS.get(self.event, self.event)

    @property
    def is_failed(self):
        return self.status in {self.Status.FAILED, self.Status.BOUNCED, self.Status.REJECTED}


class InboundMail(models.Model):
    """One mail that arrived through Anymail's inbound webhook, and what became of it.

    Kept for every mail, so a mail delivered twice is processed once and an administrator can see why
    a mail did not reach a ticket. Mail that was not added to a ticket keeps its raw MIME text, so it can
    be released from quarantine later.
    """

    class Status(models.TextChoices):
        ADDED = "added", pgettext_lazy("inbound mail status", "Added to a ticket")
        OPENED = "opened", pgettext_lazy("inbound mail status", "Opened a ticket")
        QUARANTINED = "quarantined", pgettext_lazy("inbound mail status", "Quarantined")
        IGNORED = "ignored", pgettext_lazy("inbound mail status", "Ignored")
        RELEASED = "released", pgettext_lazy("inbound mail status", "Released from quarantine")
        DISCARDED = "discarded", pgettext_lazy("inbound mail status", "Discarded")
        FAILED = "failed", pgettext_lazy("inbound mail status", "Failed")

    class Reason(models.TextChoices):
        NONE = "", "-"
        UNKNOWN_SENDER = "unknown_sender", _("The sender takes no part in the ticket")
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        BOUNCE = "bounce", _("Delivery failure report")
        LOOP = "loop", _("Our own mail came back")
        RATE_LIMITED = "rate_limited", _("Too many mails from this sender")
        NO_SENDER = "no_sender", _("No sender address")
        SPAM = "spam", _("Marked as spam by the ESP")
        EMPTY = "empty", _("Nothing to add")
        ERROR = "error", _("Processing error")

    dedupe_key = models.CharField(max_length=255, unique=True)
    internet_message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    esp_name = models.CharField(_("ESP"), max_length=50, blank=True)
    from_email = models.CharField(_("sender"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=255, blank=True)
    recipients = models.TextField(_("recipients"), blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True, default="")
    note = models.TextField(_("note"), blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    message = models.ForeignKey(
        Message, verbose_name=_("message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    raw = models.TextField(_("raw message"), blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("incoming mail message")
        verbose_name_plural = _("incoming mail")
        indexes = [
            models.Index(fields=["from_email", "received_at"], name="ws_inmail_sender_received"),
            models.Index(fields=["status", "received_at"], name="ws_inmail_status"),
        ]

    def __str__(self):
        return self.subject or self.dedupe_key


class NotificationSettings(models.Model):
    """An agent's choice of the support mails they get (all of them until they say otherwise)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="support_notification_settings",
    )
    new_ticket = models.BooleanField(_("New tickets for my teams"), default=True)
    requester_reply = models.BooleanField(_("Replies from requesters on my tickets"), default=True)
    assigned = models.BooleanField(_("Tickets assigned to me"), default=True)

    EVENT_FIELDS = {"opened": "new_ticket", "requester_reply": "requester_reply", "assigned": "assigned"}

    class Meta:
        verbose_name = _("support notification settings")
        verbose_name_plural = _("support notification settings")

    def __str__(self):
        return str(self.user)


# Page types live in their own modules; importing them here lets Django find their models.
from .pages import AbstractSupportPage, SupportPage  # noqa: E402,F401
from .faq import AbstractFAQPage, FAQEntry, FAQPage, FAQTopic  # noqa: E402,F401
