"""What an agent is writing on a ticket, kept on the server while they type (the workspace autosaves it),
so a reload, another device or a refused post never loses it. Not part of the ticket: the workflow never
reads it, and only its author sees it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReplyDraft(models.Model):
    """One agent's unsent text on one ticket, and whether it is meant as a public reply or a note."""

    class Mode(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    ticket = models.ForeignKey(
        "wagtail_support.Ticket", on_delete=models.CASCADE, related_name="drafts", verbose_name=_("ticket")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("text"), blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.PUBLIC)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reply draft")
        verbose_name_plural = _("reply drafts")
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="wagtail_support_one_draft_per_agent")]

    def __str__(self):
        return f"{self.ticket_id}/{self.user_id}"
