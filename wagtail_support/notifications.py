"""Who is told what by mail when a ticket changes.

The workflow calls ``ticket_event`` after its transaction has committed. This module decides the
recipients and enqueues one task per mail; the task renders the mail in the recipient's language and
sends it through the Django mail API (and so through Anymail, whatever the ESP). A failing send never
reaches the request that caused it.

Rules that never bend: an internal note is never mailed outside the support team, and nobody is mailed
about an event they caused themselves.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .conf import support_settings

logger = logging.getLogger(__name__)

REQUESTER = "requester"
AGENT = "agent"

# Events the requester and beneficiary hear about.
REQUESTER_EVENTS = {"opened", "agent_reply", "pending", "resolved", "abandoned", "reopened"}
# The one exception to "never mail the person who caused the event": whoever opens a ticket gets its
# reference (and, when anonymous, the only signed link back to it) by mail.
CONFIRMATION_EVENTS = {"opened"}


def _agent_recipients(ticket, event):
    """(address, language) pairs of the support team for an agent-side event."""
    recipients = []
    if event == "opened" and ticket.team_id:
        recipients += [(u.email, _user_language(u), u.pk) for u in ticket.team.members.filter(is_active=True)]
        if ticket.team.contact_email:
            recipients.append((ticket.team.contact_email, "", None))
    elif event == "requester_reply":
        if ticket.assignee_id and ticket.assignee.is_active:
            recipients.append((ticket.assignee.email, _user_language(ticket.assignee), ticket.assignee_id))
        elif ticket.team_id:
            recipients += [(u.email, _user_language(u), u.pk) for u in ticket.team.members.filter(is_active=True)]
    elif event == "assigned" and ticket.assignee_id:
        recipients.append((ticket.assignee.email, _user_language(ticket.assignee), ticket.assignee_id))
    return recipients


def _requester_recipients(ticket):
    recipients = []
    for user, email in ((ticket.requester_user, ticket.requester_email), (ticket.beneficiary_user, ticket.beneficiary_email)):
        if email:
            recipients.append((email, _user_language(user) if user else "", user.pk if user else None))
    return recipients


def _user_language(user):
    if user is None:
        return ""
    from wagtail.users.models import UserProfile

    try:
        return user.wagtail_userprofile.preferred_language or ""
    except UserProfile.DoesNotExist:
        return ""


def recipients_for(event, ticket, message=None, actor_user_id=None, actor_email=""):
    """The (address, audience) pairs to mail for ``event``, the actor left out."""
    actor_email = (actor_email or "").lower()
    pairs = []
    if event in REQUESTER_EVENTS and not (message is not None and message.is_internal):
        pairs += [(email, REQUESTER, uid) for email, _lang, uid in _requester_recipients(ticket)]
    pairs += [(email, AGENT, uid) for email, _lang, uid in _agent_recipients(ticket, event)]
    seen, result = set(), []
    for email, audience, uid in pairs:
        key = (email or "").lower()
        if not key or key in seen:
            continue
        is_actor = (actor_user_id is not None and uid == actor_user_id) or (actor_email and key == actor_email)
        if is_actor and not (audience == REQUESTER and event in CONFIRMATION_EVENTS):
            continue
        seen.add(key)
        result.append((email, audience))
    return result


def ticket_event(event, ticket_id, message_id=None, actor_user_id=None, actor_email=""):
    """Enqueue the mails that ``event`` on the ticket calls for. Called on transaction commit."""
    from .models import Message, Ticket
    from .tasks import send_ticket_notification

    ticket = Ticket.objects.select_related("team", "assignee", "requester_user", "beneficiary_user").filter(pk=ticket_id).first()
    if ticket is None:
        return []
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    recipients = recipients_for(event, ticket, message, actor_user_id, actor_email)
    for email, audience in recipients:
        try:
            send_ticket_notification.enqueue(
                event=event, ticket_id=ticket_id, recipient=email, audience=audience, message_id=message_id
            )
        except Exception:  # noqa: BLE001 - a broken queue must never turn a saved ticket into an error
            logger.exception("Could not enqueue the %s mail of ticket %s to %s", event, ticket_id, email)
    return recipients


def _language_for(ticket, recipient, audience):
    User = get_user_model()
    user = User.objects.filter(email__iexact=recipient, is_active=True).order_by("pk").first()
    language = _user_language(user) if user else ""
    if not language and audience == REQUESTER:
        language = ticket.language
    return language or translation.get_language() or "en"


def deliver(event, ticket_id, recipient, audience, message_id=None):
    """Render and send one notification. Returns the number of mails sent (0 or 1)."""
    from .access import make_link_token
    from .models import Message, Ticket

    ticket = Ticket.objects.select_related("resolution_code", "team").filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    message = Message.objects.filter(pk=message_id, ticket=ticket).first() if message_id else None
    if audience != AGENT and message is not None and message.is_internal:
        # The last guard of invariant 1: whatever asked for it, an internal note does not leave the team.
        logger.error("Refused to mail internal message %s to %s", message_id, recipient)
        return 0
    if audience == REQUESTER and ticket.beneficiary_email and recipient.lower() == ticket.beneficiary_email.lower():
        recipient_name = ticket.beneficiary_display
    elif audience == REQUESTER:
        recipient_name = ticket.requester_display
    else:
        recipient_name = ""
    link_token = make_link_token(ticket, recipient) if audience == REQUESTER else ""
    context = {
        "ticket": ticket,
        "ticket_url": ticket_url(ticket, link_token) if audience == REQUESTER else admin_ticket_url(ticket),
        "recipient_name": recipient_name,
        "message": message,
        "event": event,
        "recipient": recipient,
        "link_token": link_token,
    }
    with translation.override(_language_for(ticket, recipient, audience)):
        subject = render_to_string(f"wagtail_support/mail/{audience}/{event}_subject.txt", context)
        body = render_to_string(f"wagtail_support/mail/{audience}/{event}.txt", context)
    mail = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        from_email=support_settings.from_email,
        to=[recipient],
    )
    return mail.send()


def ticket_url(ticket, link_token=""):
    """The full address of the ticket's page for a requester, with their signed link; "" if none."""
    from .pages import support_page_for

    page = support_page_for(ticket)
    if page is None:
        return ""
    try:
        return page.ticket_full_url(ticket, link_token or None)
    except Exception:  # noqa: BLE001 - a page without a site has no full URL; the mail goes without it
        logger.warning("No address for ticket %s", ticket.pk, exc_info=True)
        return ""


def admin_ticket_url(ticket):
    """The full address of the ticket's workspace in the admin (``WAGTAILADMIN_BASE_URL``), or ""."""
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    try:
        path = reverse("wagtail_support_ticket", args=[ticket.pk])
    except NoReverseMatch:
        return ""
    return base.rstrip("/") + path


def send_ticket_links(email, support_page_id, language=""):
    """Mail the links to every ticket of ``email`` ("find my tickets"). Tells the caller nothing."""
    from .tasks import send_ticket_links_mail

    try:
        send_ticket_links_mail.enqueue(email=email, support_page_id=support_page_id, language=language)
    except Exception:  # noqa: BLE001
        logger.exception("Could not enqueue the ticket links mail")


def deliver_ticket_links(email, support_page_id, language=""):
    """Render and send the "find my tickets" mail. Nothing is sent to an address without tickets."""
    from django.db.models import Q

    from .access import make_link_token
    from .models import Ticket
    from .pages import AbstractSupportPage

    email = (email or "").strip().lower()
    if not email:
        return 0
    tickets = list(
        Ticket.objects.filter(Q(requester_email__iexact=email) | Q(beneficiary_email__iexact=email))
        .order_by("-updated_at")[: support_settings.FIND_TICKETS_LIMIT]
    )
    if not tickets:
        return 0
    from wagtail.models import Page

    page = Page.objects.filter(pk=support_page_id).first()
    page = page.specific if page is not None else None
    links = []
    for ticket in tickets:
        token = make_link_token(ticket, email)
        if isinstance(page, AbstractSupportPage) and page.live:
            url = page.ticket_full_url(ticket, token)
        else:
            url = ticket_url(ticket, token)
        links.append((ticket, url))
    context = {"email": email, "links": links}
    with translation.override(_language_for(tickets[0], email, REQUESTER) if not language else language):
        subject = render_to_string("wagtail_support/mail/requester/links_subject.txt", context)
        body = render_to_string("wagtail_support/mail/requester/links.txt", context)
    mail = EmailMultiAlternatives(subject=" ".join(subject.split()), body=body, from_email=support_settings.from_email, to=[email])
    return mail.send()
