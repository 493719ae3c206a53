"""Receivers of other apps' signals, connected in ``WagtailSupportAppConfig.ready``: attachment files
removed with their rows, Anymail's mail events (inbound mail, delivery tracking, the ESP's name), the
assignees' names kept in their tickets' sort key, and the outgoing webhooks' receivers of the workflow's own
signals."""

import logging

from anymail.signals import inbound, post_send, tracking
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete

from .inbound import handle_inbound
from .models import Attachment
from .notifications.delivery import remember_esp_name
from .notifications.tracking import record_tracking_event
from .webhooks import connect as connect_webhooks
from .workflow import assignee_renamed

logger = logging.getLogger(__name__)


def delete_attachment_file(sender, instance, **kwargs):
    # Remove the file only once the deletion is committed, so a rolled-back delete keeps its file.
    name = instance.file.name
    storage = instance.file.storage
    if not name:
        return

    def remove():
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001 - a file left behind is better than a failed request
            logger.warning("Could not delete attachment file %s", name, exc_info=True)

    transaction.on_commit(remove)


#: The account fields the inbox's order by assignee reads (``Ticket.assignee_sort``).
SORTED_NAMES = {"first_name", "last_name", "username"}


def refresh_assignee_sort(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    # A saved account may have new names: its tickets' sort key follows (nothing to do for a new account, a
    # fixture, or a save of other fields, such as the last login of each sign-in).
    if created or raw or (update_fields is not None and not SORTED_NAMES & set(update_fields)):
        return
    assignee_renamed(instance)


def clear_assignee_sort(sender, instance, **kwargs):
    # The deletion makes the account's tickets unassigned (SET_NULL, without saving them): their key too,
    # in the deletion's transaction.
    assignee_renamed(instance, deleted=True)


def register_signal_handlers():
    post_delete.connect(delete_attachment_file, sender=Attachment, dispatch_uid="wagtail_support_attachment_file")
    # The assignees' names in their tickets' sort key (Ticket.assignee_sort): renamed, or deleted.
    user = settings.AUTH_USER_MODEL
    post_save.connect(refresh_assignee_sort, sender=user, dispatch_uid="wagtail_support_assignee_sort")
    pre_delete.connect(clear_assignee_sort, sender=user, dispatch_uid="wagtail_support_assignee_gone")
    # Mail in and delivery events, whatever the ESP: Anymail's webhooks send these signals.
    inbound.connect(handle_inbound, dispatch_uid="wagtail_support_inbound")
    tracking.connect(record_tracking_event, dispatch_uid="wagtail_support_tracking")
    post_send.connect(remember_esp_name, dispatch_uid="wagtail_support_esp_name")
    # Outgoing webhooks: the workflow's signals (after each move's commit) become signed deliveries.
    connect_webhooks()
