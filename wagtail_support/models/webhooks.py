"""Outgoing webhooks: the addresses supervisors register to hear about tickets, and each delivery made.

``Webhook``: an address (http or https, never with credentials in it), the events it wants, whether it
may receive internal data (internal notes), the teams whose tickets it hears about (none: all), and the
secret that signs what is sent to it (``wagtail_support.webhooks`` documents the signature).

``WebhookDelivery``: one event for one webhook, its JSON payload as it was built when the event happened,
and its attempts. Its ``event_id`` is sent with every attempt (``X-Support-Delivery``), so a receiver
that got an event twice (a retry after a lost answer, a "Send again") can tell. Due retries are read on
the (status, next_attempt_at) index by ``support_tick``.
"""

import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalog import Team
from .tickets import Ticket

SECRET_PREFIX = "whsec_"


def new_secret():
    """A new signing secret: 32 random bytes, in hex, after a prefix that says what it is."""
    return SECRET_PREFIX + secrets.token_hex(32)


def validate_webhook_url(value):
    """An http or https address with a host, and no user name or password in it (they would be sent
    with every delivery and shown on every screen that lists the webhook)."""
    URLValidator(schemes=["http", "https"], message=_("Enter a valid http or https address."))(value)
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            _("Put no user name or password in the address: check the signature of each delivery instead."),
            code="credentials",
        )
    if not parts.hostname:
        raise ValidationError(_("Enter a valid http or https address."), code="invalid")


class Webhook(models.Model):
    class Event(models.TextChoices):
        OPENED = "ticket.opened", _("Ticket opened")
        REPLIED = "ticket.replied", _("Public reply added")
        NOTED = "ticket.noted", _("Internal note added")
        ASSIGNED = "ticket.assigned", _("Ticket assigned")
        STATUS_CHANGED = "ticket.status_changed", _("Status changed")
        RESOLVED = "ticket.resolved", _("Ticket closed")
        RATED = "ticket.rated", _("Ticket rated by its requester")

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("address"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("Where the events are posted, as JSON (http or https)."),
    )
    events = models.JSONField(_("events"), default=list, blank=True, help_text=_("The events sent to this address."))
    include_internal = models.BooleanField(
        _("send internal data"),
        default=False,
        help_text=_(
            "Internal notes are sent only to webhooks with this ticked. Tick it only for your own systems: "
            "the requester must never see what is sent."
        ),
    )
    teams = models.ManyToManyField(
        Team,
        verbose_name=_("teams"),
        blank=True,
        related_name="+",
        help_text=_("Only the tickets of these teams; none ticked: every ticket."),
    )
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        events = self.events if isinstance(self.events, list) else None
        unknown = sorted({str(event) for event in events or []} - set(self.Event.values)) if events is not None else ["?"]
        if unknown:
            raise ValidationError({"events": _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}})

    def wants(self, event):
        return event in (self.events or [])

    def rotate_secret(self):
        """A new secret, saved; deliveries signed from now on use it (retries of older events too)."""
        self.secret = new_secret()
        self.save(update_fields=["secret"])


class WebhookDeliveryQuerySet(models.QuerySet):
    def due(self, now):
        """Deliveries whose next attempt is due: pending or failed, with ``next_attempt_at`` passed, to an
        active webhook (a webhook switched off keeps its deliveries until it is switched on again)."""
        return self.filter(
            webhook__is_active=True,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
            next_attempt_at__isnull=False,
            next_attempt_at__lte=now,
        )


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Gave up")

    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    # The payload holds the ticket's personal data: it goes with the ticket (none for a test event).
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    # The first 1,000 characters the receiver answered: text from outside, only ever shown escaped.
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="ws_webhook_due"),
            models.Index(fields=["webhook", "-created_at"], name="ws_webhook_log"),
        ]

    def __str__(self):
        return f"{self.event} {self.event_id}"
