"""The records of mail: every mail sent (``OutboundMail``), every mail received (``InboundMail``), and the
agents' choice of the mails they get (``NotificationSettings``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .catalog import choice_label
from .tickets import Message, Ticket


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

    def get_status_display(self):
        # Shown for every mail of the workspace's timeline (Django's own translates every choice).
        return choice_label(self.Status, self.status)


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
        COMPLAINT = "complaint", _("Abuse complaint")
        LIST = "list", _("Mailing list mail")
        ROBOT = "robot", _("Automatic mail from a service")
        LOOP = "loop", _("Our own mail came back")
        RATE_LIMITED = "rate_limited", _("Too many mails from this sender")
        NO_SENDER = "no_sender", _("No sender address")
        SPAM = "spam", _("Marked as spam by the ESP")
        UNVERIFIED_AGENT = "unverified_agent", _("Claims to come from an agent, not proven")
        FAILED_AUTHENTICATION = "failed_authentication", _("The sender's domain did not authenticate it")
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
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices, blank=True, default="")
    note = models.TextField(_("note"), blank=True)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    message = models.ForeignKey(
        Message, verbose_name=_("message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    raw = models.TextField(_("raw message"), blank=True)
    # What the receiving host said of the sender (SPF, DKIM, DMARC), when it is trusted (inbound.authentication).
    authentication = models.JSONField(_("authentication results"), default=dict, blank=True)

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

    @property
    def authentication_summary(self):
        """What the trusted receiving host said, in one line: "spf=fail dkim=fail dmarc=fail (mx.example.net)"."""
        results = self.authentication or {}
        parts = [f"{name}={results[name]}" for name in ("spf", "dkim", "dmarc") if results.get(name)]
        if results.get("spam"):
            parts.append(gettext("spam"))
        summary = " ".join(parts)
        if summary and results.get("authserv_id"):
            summary += f" ({results['authserv_id']})"
        return summary


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
