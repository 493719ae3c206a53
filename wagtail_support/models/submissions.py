"""What keeps a visitor's post from being stored twice, and the files kept while a form has errors.

Each visitor form (a new ticket, a reply) carries a one-time token issued when it is rendered. The first
post accepted with a token writes its ``FormSubmission`` in the transaction that stores the ticket or the
message; the token is unique, so a second post with it (a double click, two at once, the back button)
finds the first one's result instead of storing anything. ``PendingUpload`` holds the files a visitor
chose on a form that came back with an error, against the same token, in the private attachment storage.
"""

import os
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..storage import get_attachment_storage
from .tickets import Message, Ticket


class FormSubmission(models.Model):
    """A post accepted once: its form's token and what it stored."""

    class Kind(models.TextChoices):
        TICKET = "ticket", _("new ticket")
        REPLY = "reply", _("reply")

    token = models.CharField(_("token"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # A digest of what was posted: a second post with the same token is the same post only if it says the same.
    digest = models.CharField(_("digest"), max_length=64)
    # Empty only inside the transaction that claims the token, before the ticket is created.
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, null=True, related_name="+")
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return f"{self.kind} {self.token[:6]}…"


def pending_upload_to(instance, filename):
    # Apart from the attachments, in a random folder: never under a public URL, never a guessable name.
    return f"wagtail_support/pending/{timezone.now():%Y/%m/%d}/{uuid.uuid4().hex}/{os.path.basename(filename)}"


class PendingUpload(models.Model):
    """A file chosen on a form that came back with an error, kept until the form is sent or abandoned."""

    token = models.CharField(_("token"), max_length=64, db_index=True)
    file = models.FileField(_("file"), upload_to=pending_upload_to, storage=get_attachment_storage, max_length=500)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=150)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("pending upload")
        verbose_name_plural = _("pending uploads")

    def __str__(self):
        return self.name
