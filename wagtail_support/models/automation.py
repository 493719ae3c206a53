"""What the automation did to a ticket, and the people who follow it besides its requester.

``AutomationStep``: one row per step done (a reminder, a closing, a service level warning...), unique per
ticket, step and key, so a step is claimed by inserting its row: two ``support_tick`` runs at once, on
one machine or two, cannot both do it (the second insert fails). The key names what the step acted on
(the moment the ticket became pending, the due time it warned about), so a ticket that becomes pending
again, or whose target moves, may be reminded or warned again.

``TicketFollower``: someone in copy of a ticket's public replies (never its internal notes), who may reply
by mail under the same trust rules as its requester. ``CcSuggestion``: an address that was in copy of a
requester's mail, proposed to the agents, never added on its own.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .mail import InboundMail
from .tickets import Ticket


class AutomationStep(models.Model):
    class Step(models.TextChoices):
        REMINDER = "reminder", _("Reminder to the requester")
        SECOND_REMINDER = "second_reminder", _("Second reminder to the requester")
        AUTO_CLOSE = "auto_close", _("Closed without a reply")
        SLA_WARNING = "sla_warning", _("Service level warning")
        SLA_BREACH = "sla_breach", _("Service level breach")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="automation_steps")
    step = models.CharField(_("step"), max_length=30, choices=Step.choices)
    key = models.CharField(_("about"), max_length=64)
    done_at = models.DateTimeField(_("done"), default=timezone.now)

    class Meta:
        verbose_name = _("automation step")
        verbose_name_plural = _("automation steps")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step", "key"], name="wagtail_support_automation_step_once"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.step} {self.key}"


class TicketFollower(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="followers")
    email = models.EmailField(_("email"), max_length=254)
    name = models.CharField(_("name"), max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "email"], name="wagtail_support_follower_once"),
        ]
        indexes = [models.Index(fields=["email"], name="ws_follower_email")]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email


class CcSuggestion(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="cc_suggestions")
    email = models.EmailField(_("email"), max_length=254)
    name = models.CharField(_("name"), max_length=255, blank=True)
    inbound_mail = models.ForeignKey(
        InboundMail, verbose_name=_("mail"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("address in copy")
        verbose_name_plural = _("addresses in copy")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "email"], name="wagtail_support_cc_suggestion_once"),
        ]

    def __str__(self):
        return self.email
