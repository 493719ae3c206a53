"""The delivery of a message's mails in one icon, the worst status first (``{% delivery_summary mails %}``).

Read from the mails the workspace already fetched (``message.mails.all``, prefetched): no query of its own.
"""

from django import template
from django.utils.translation import gettext

from ..models import OutboundMail
from ..models.catalog import choice_label

register = template.Library()

Status = OutboundMail.Status

# From the worst to the best: the summary shows the first one found among a message's mails.
GRAVITY = [
    Status.FAILED,
    Status.BOUNCED,
    Status.REJECTED,
    Status.COMPLAINED,
    Status.DEFERRED,
    Status.QUEUED,
    Status.SENDING,
    Status.SENT,
    Status.DELIVERED,
]
# What the agent makes of each: a problem to act on, mail on its way, or mail gone out.
PROBLEM = {Status.FAILED, Status.BOUNCED, Status.REJECTED, Status.COMPLAINED}
WAITING = {Status.DEFERRED, Status.QUEUED, Status.SENDING}
ICONS = {"problem": "warning", "waiting": "time", "done": "circle-check"}
RANK = {status: position for position, status in enumerate(GRAVITY)}


@register.simple_tag
def delivery_summary(mails):
    """``{"status", "tone", "icon", "label", "description"}`` of the worst status among ``mails``.

    ``tone`` is ``problem``, ``waiting`` or ``done``; ``description`` is the sentence a screen reader and the
    tooltip give ("Mail delivery: Bounced 1, Delivered 2"), the details staying one click away.
    """
    mails = list(mails)
    if not mails:
        return None
    counts = {}
    for mail in mails:
        counts[mail.status] = counts.get(mail.status, 0) + 1
    ordered = sorted(counts, key=lambda status: RANK.get(status, -1))
    worst = ordered[0]
    tone = "problem" if worst in PROBLEM else "waiting" if worst in WAITING else "done"
    # Each label translated once (the workspace shows a summary for each message that was mailed).
    labels = {status: choice_label(Status, status) for status in ordered}
    statuses = ", ".join(f"{labels[status]} {counts[status]}" for status in ordered)
    return {
        "status": worst,
        "tone": tone,
        "icon": ICONS[tone],
        "label": labels[worst],
        "description": gettext("Mail delivery: %(statuses)s") % {"statuses": statuses},
    }
