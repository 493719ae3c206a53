"""What requesters thought of how their tickets were handled, and who asked for the monthly summary.

``SatisfactionRating``: one rating (good or bad, with an optional comment) per closing of a ticket. The row
is keyed by the ticket and the moment it was closed (``closed_at``): a ticket reopened and closed again
gets a new row, and the earlier ones stay as its history. The requester may change a rating for
``WAGTAILSUPPORT_RATING_DAYS`` after the closing; the ticket carries the current one (``Ticket.satisfaction``,
``Ticket.satisfaction_at``) for the inbox and the reports.

``ReportSubscription``: a supervisor's or agent's choice to receive the monthly summary mail of the reports.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket


class SatisfactionRating(models.Model):
    Rating = Ticket.Satisfaction

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="ratings")
    # The closing rated: the ticket's ``closed_at`` when the rating link was made.
    closed_at = models.DateTimeField(_("closing rated"))
    rating = models.CharField(_("rating"), max_length=10, choices=Ticket.Satisfaction.choices)
    comment = models.TextField(_("comment"), blank=True)
    rated_by_email = models.EmailField(_("rated by (address)"), max_length=254, blank=True)
    rated_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("rated"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["ticket", "closed_at"]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "closed_at"], name="wagtail_support_one_rating_per_closing"),
        ]
        indexes = [models.Index(fields=["updated_at"], name="ws_rating_updated")]

    def __str__(self):
        return f"{self.ticket_id} {self.rating}"


class ReportSubscription(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="support_report_subscription",
    )
    monthly_summary = models.BooleanField(_("monthly summary by email"), default=False)
    # The first day of the last month whose summary was sent: one mail per month, whatever the ticks.
    last_sent_month = models.DateField(_("last summary sent for"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self):
        return f"{self.user_id} monthly={self.monthly_summary}"
