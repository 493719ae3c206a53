"""What the ESP tells us after sending: delivery, bounces, complaints (Anymail's ``tracking`` signal),
and bounces that come back by mail (``mark_bounced``, called by the inbound handler)."""

from django.utils import timezone

from ..models import OutboundMail


# Anymail's normalised tracking events -> our statuses. Opens and clicks are not recorded.
TRACKING_STATUS = {
    "delivered": "delivered",
    "deferred": "deferred",
    "bounced": "bounced",
    "rejected": "rejected",
    "complained": "complained",
    "failed": "failed",
    "unsubscribed": "complained",
}
# A later event never overrides a final one with a weaker one (a "deferred" after a "bounced", say).
FINAL_STATUSES = {"bounced", "rejected", "complained"}
# Events arrive out of order: a delay or a failure reported after the delivery does not undo it (a late
# "failed" would even hand a delivered mail to the retry).
NOT_AFTER_DELIVERY = {"deferred", "failed"}


def record_tracking_event(sender, event, esp_name, **kwargs):
    """Anymail ``tracking`` signal receiver: update the record of the mail the event is about."""
    status = TRACKING_STATUS.get(event.event_type)
    if status is None:
        return
    mails = OutboundMail.objects.none()
    metadata = event.metadata or {}
    if str(metadata.get("support_mail", "")).isdigit():
        mails = OutboundMail.objects.filter(pk=int(metadata["support_mail"]))
        # Another site sending through the same ESP account (a staging copy, say) numbers its mails
        # too, and its events may reach this webhook: the Message-ID tells our mail from theirs.
        if metadata.get("message_id"):
            mails = mails.filter(internet_message_id=str(metadata["message_id"]))
    elif event.message_id:
        mails = OutboundMail.objects.filter(esp_message_id=str(event.message_id))
        if event.recipient:
            mails = mails.filter(recipient__iexact=event.recipient)
    reason = tracking_reason(event)
    for mail in mails:
        if mail.status in FINAL_STATUSES and status not in FINAL_STATUSES:
            continue
        if mail.status == "delivered" and status in NOT_AFTER_DELIVERY:
            continue
        fields = {"status": status, "updated_at": timezone.now()}
        if status != "delivered":
            fields["error"] = str(reason)[:2000]
        OutboundMail.objects.filter(pk=mail.pk).update(**fields)


def tracking_reason(event):
    """Why a mail was not delivered, for a person: what the ESP and the receiving server said.

    Anymail's ``reject_reason`` is only a category ("bounced", "blocked"...) that the status already
    says; it is the fallback when the ESP said nothing else.
    """
    parts = []
    for value in (event.description, event.mta_response):
        value = " ".join(str(value or "").split())
        if value and value not in parts:
            parts.append(value)
    return " - ".join(parts) or str(event.reject_reason or "")


def mark_bounced(message_ids, reason, status="bounced"):
    """A bounce (or a complaint) that came back by mail names our Message-IDs: mark those mails."""
    return OutboundMail.objects.filter(internet_message_id__in=list(message_ids)).update(
        status=status, error=str(reason)[:2000], updated_at=timezone.now()
    )


# A bounce that names no Message-ID of ours but a recipient marks our latest mail to that recipient sent
# within this many days (bounces arrive within minutes, at most a few days for a deferred delivery).
BOUNCED_RECIPIENT_DAYS = 5


def mark_bounced_recipients(addresses, reason, status="bounced"):
    """A bounce that names only its failed recipients: mark our latest mail to each of them, if recent."""
    since = timezone.now() - timezone.timedelta(days=BOUNCED_RECIPIENT_DAYS)
    marked = 0
    for address in list(dict.fromkeys(a.strip().lower() for a in addresses if a))[:50]:
        latest = (
            OutboundMail.objects.filter(recipient__iexact=address, created_at__gte=since)
            .exclude(status__in=[OutboundMail.Status.QUEUED, OutboundMail.Status.SENDING])
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if latest is not None:
            marked += OutboundMail.objects.filter(pk=latest).update(status=status, error=str(reason)[:2000], updated_at=timezone.now())
    return marked
