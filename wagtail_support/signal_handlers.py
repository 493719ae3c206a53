"""Signal handlers of wagtail-support, connected in ``WagtailSupportAppConfig.ready``."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete

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


def handle_inbound(sender, event, esp_name, **kwargs):
    from .inbound import handle_inbound

    handle_inbound(sender, event, esp_name, **kwargs)


def record_tracking_event(sender, event, esp_name, **kwargs):
    from .notifications import record_tracking_event

    record_tracking_event(sender, event, esp_name, **kwargs)


def remember_esp_name(sender, message, status, esp_name, **kwargs):
    from .notifications import remember_esp_name

    remember_esp_name(sender, message, status, esp_name, **kwargs)


def register_signal_handlers():
    from .models import Attachment

    post_delete.connect(delete_attachment_file, sender=Attachment, dispatch_uid="wagtail_support_attachment_file")

    # Mail in and delivery events, whatever the ESP: Anymail's webhooks send these signals.
    from anymail.signals import inbound, post_send, tracking

    inbound.connect(handle_inbound, dispatch_uid="wagtail_support_inbound")
    tracking.connect(record_tracking_event, dispatch_uid="wagtail_support_tracking")
    post_send.connect(remember_esp_name, dispatch_uid="wagtail_support_esp_name")
