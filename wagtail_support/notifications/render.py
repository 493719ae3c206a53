"""A recorded mail made into an email: its text and HTML in the recipient's language, its headers
(threading, Reply-To with the reply token) and the Anymail tags and metadata.

The templates are rendered by the site's adapter (``render_mail``), and the requester's link to the ticket
comes from it too (``get_ticket_url``). A ticket's mail speaks for the Wagtail ``Site`` it came from
(``site_config``): its sender, its inbound address in Reply-To, its logo and colour, its reply-time promise.
"""

import datetime
import logging
from email.utils import parseaddr

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import formats, translation
from wagtail.models import Page

from .. import reports
from ..access import is_ratable, make_link_token, make_rating_token, make_reply_token
from ..adapter import get_adapter
from ..conf import support_settings
from ..links import SupportPageLinks, admin_reports_url, admin_ticket_url
from ..models import InboundMail, OutboundMail, Ticket
from ..site_config import inbound_address_for, mail_look, promise_for, sender_for, sender_for_site, ticket_site
from .recipients import AGENT, LINKS_EVENT, RATED_BAD_EVENT, REQUESTER, SUMMARY_EVENT

# The requester's mails that ask "How did we do?" (with the rating links), while the closing may be rated.
RATING_EVENTS = {"resolved"}

logger = logging.getLogger(__name__)

# The References header names the first mail of a thread and at most this many of the latest ones.
MAX_REFERENCES = 10


class RefusedMail(Exception):
    """A mail that must not be sent, whoever asked for it."""

def build_email(mail):
    """The ``EmailMultiAlternatives`` for a recorded mail: bodies, headers, tags and metadata."""
    if mail.event == LINKS_EVENT:
        subject, text, html, sender = _render_links(mail)
    elif mail.event == SUMMARY_EVENT:
        subject, text, html, sender = _render_summary(mail)
    else:
        subject, text, html = _render_ticket_mail(mail)
        sender = sender_for(mail.ticket)
    can_reply = mail.ticket is not None and bool(_inbound_address(mail.ticket))
    email = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:998],
        body=text,
        from_email=sender,
        to=[mail.recipient],
        headers=thread_headers(mail),
        reply_to=[reply_address(mail.ticket, mail.recipient)] if can_reply else None,
    )
    email.attach_alternative(html, "text/html")
    # Anymail: tags and metadata reach the ESP and come back in its tracking events.
    email.tags = ["wagtail-support", f"support-{mail.event}"]
    email.metadata = {
        "support_mail": str(mail.pk),
        "ticket": mail.ticket.reference if mail.ticket is not None else "",
        "message_id": mail.internet_message_id,
        "support_message": str(mail.message.pk) if mail.message is not None else "",
        "event": mail.event,
    }
    return email


def _inbound_address(ticket):
    """Where mail about ``ticket`` comes back: its site's inbound address, else ``INBOUND_ADDRESS``."""
    return inbound_address_for(ticket_site(ticket)) or support_settings.INBOUND_ADDRESS or ""


def reply_address(ticket, recipient=None):
    """The ticket's inbound address (its site's, else ``INBOUND_ADDRESS``) with its reply token (naming
    ``recipient``) after a "+": where a reply by mail goes."""

    _name, address = parseaddr(_inbound_address(ticket))
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}+{make_reply_token(ticket, recipient)}@{domain}"


def thread_headers(mail):
    """Message-ID, In-Reply-To and References chaining every mail of a ticket to one person.

    The chain holds our earlier mails about the ticket to this recipient and the mails they sent us
    about it, oldest first, so their mail client shows one thread, the mail that opened the ticket
    (when it came by mail) at its root.
    """
    headers = {
        "Message-ID": mail.internet_message_id,
        # RFC 3834: robots must not answer us; Exchange's own switch for out-of-office replies.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if mail.ticket_id is None:
        return headers
    ours = OutboundMail.objects.filter(ticket_id=mail.ticket_id, recipient__iexact=mail.recipient, pk__lt=mail.pk)
    # Only their mails that reached the ticket: not an ignored out-of-office, a quarantined or failed
    # mail, nor the record a released mail leaves behind (its processing has a record of its own).
    theirs = InboundMail.objects.filter(
        ticket_id=mail.ticket_id,
        from_email__iexact=mail.recipient,
        status__in=[InboundMail.Status.ADDED, InboundMail.Status.OPENED],
    ).exclude(internet_message_id="")
    chain = sorted(
        [
            *ours.values_list("created_at", "internet_message_id"),
            *theirs.values_list("received_at", "internet_message_id"),
        ]
    )
    # Each Message-ID once, where it first appears.
    ids = list(dict.fromkeys(message_id for _when, message_id in chain))
    if ids:
        references = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(references)
    return headers


def _render_ticket_mail(mail):
    ticket, message, audience = mail.ticket, mail.message, mail.audience
    if ticket is None:
        raise RefusedMail("the ticket of this mail no longer exists")
    if message is not None and message.is_internal and audience != AGENT:
        # The last guard of invariant 1: whatever asked for it, an internal note does not leave the team.
        raise RefusedMail(f"internal message {message.pk} cannot be mailed to {mail.recipient}")
    if audience == REQUESTER and ticket.beneficiary_email and mail.recipient.lower() == ticket.beneficiary_email.lower():
        recipient_name = ticket.beneficiary_display
    elif audience == REQUESTER and ticket.is_requester_or_beneficiary_email(mail.recipient):
        recipient_name = ticket.requester_display
    elif audience == REQUESTER:
        recipient_name = _follower_name(ticket, mail.recipient)
    else:
        recipient_name = ""
    link_token = make_link_token(ticket, mail.recipient) if audience == REQUESTER else ""
    context = {
        "ticket": ticket,
        "ticket_url": get_adapter().get_ticket_url(ticket, link_token) if audience == REQUESTER else admin_ticket_url(ticket),
        "recipient_name": recipient_name,
        "message": message,
        "attachments": list(message.attachments.all()) if message is not None else [],
        "event": mail.event,
        "recipient": mail.recipient,
        "link_token": link_token,
        "can_reply_by_mail": bool(_inbound_address(ticket)),
        "site_look": mail_look(ticket_site(ticket)),
        # The site's reply-time promise, on the requester's confirmation, in the mail's language.
        "promise": promise_for(ticket_site(ticket), mail.language) if (audience, mail.event) == (REQUESTER, "opened") else "",
        "rating_links": _rating_links(ticket, mail) if audience == REQUESTER and mail.event in RATING_EVENTS else [],
        # The rating a bad-rating mail is about: the latest (the ticket may have been reopened since).
        "rating": ticket.ratings.order_by("-updated_at", "-pk").first() if mail.event == RATED_BAD_EVENT else None,
    }
    base = f"wagtail_support/mail/{audience}/{mail.event}"
    return _render(base, context, mail.language)


def _rating_links(ticket, mail):
    """``[(rating value, label, full URL)]``: the one-click rating links of the ticket's current closing for
    the requester or the beneficiary (never for someone in copy: a rating is the requester's side's), while
    it may be rated; ``[]`` otherwise, or when the site gives no address for them."""
    if not ticket.is_requester_or_beneficiary_email(mail.recipient) or not is_ratable(ticket):
        return []
    token = make_rating_token(ticket, mail.recipient)
    links = []
    for value, label in Ticket.Satisfaction.choices:
        url = get_adapter().get_rating_url(ticket, token, value)
        if not url:
            return []
        links.append((value, label, url))
    return links


def _follower_name(ticket, recipient):
    """The name of someone in copy of the ticket (their link and reply token name them: ``make_link_token``
    and ``reply_address`` take the recipient); else their address. A mail about an internal note never
    gets here (the guard above refuses any audience but the team's)."""
    follower = ticket.followers.filter(email=(recipient or "").lower()).first()
    return (follower.name if follower is not None else "") or recipient


def _render(base, context, language):
    return get_adapter().render_mail(base, context, language)


def tickets_of(email):
    return list(
        Ticket.objects.filter(Q(requester_email__iexact=email) | Q(beneficiary_email__iexact=email))
        .order_by("-updated_at")[: support_settings.FIND_TICKETS_LIMIT]
    )


def _render_links(mail):
    tickets = tickets_of(mail.recipient)
    if not tickets:
        raise RefusedMail("the address has no tickets any more")
    page = Page.objects.filter(pk=mail.params.get("support_page_id")).first()
    page = page.specific if page is not None else None
    # The page's site speaks: its sender and look (else the first ticket's).
    site = (page.get_site() if page is not None else None) or ticket_site(tickets[0])
    links = []
    for ticket in tickets:
        token = make_link_token(ticket, mail.recipient)
        if isinstance(page, SupportPageLinks) and page.live:
            url = page.ticket_full_url(ticket, token)
        else:
            url = get_adapter().get_ticket_url(ticket, token)
        links.append((ticket, url))
    context = {"email": mail.recipient, "links": links, "recipient": mail.recipient, "site_look": mail_look(site)}
    return (*_render(f"wagtail_support/mail/{REQUESTER}/{LINKS_EVENT}", context, mail.language), sender_for_site(site))


def _render_summary(mail):
    """The reports' monthly summary: the figures recorded with the mail (``params``, see
    ``automation.monthly_summaries``), written in the recipient's language."""
    params = mail.params or {}
    try:
        start, end, previous_start = (
            datetime.date.fromisoformat(params[name]) for name in ("start", "end", "previous_start")
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RefusedMail(f"a monthly summary without its period: {error}") from error
    figures, previous = reports.figures_from(params.get("figures")), reports.figures_from(params.get("previous"))
    with translation.override(mail.language or None):
        context = {
            "rows": reports.summary_rows(figures, previous),
            "figures": figures,
            "month": formats.date_format(start, "YEAR_MONTH_FORMAT"),
            "previous_month": formats.date_format(previous_start, "YEAR_MONTH_FORMAT"),
            "start": start,
            "end": end,
            "teams": params.get("teams") or [],
            "every_team": bool(params.get("every_team")),
            "recipient": mail.recipient,
            "recipient_name": params.get("name", ""),
            "reports_url": admin_reports_url(start, end),
            "site_look": mail_look(None),
            "can_reply_by_mail": False,
        }
    return (*_render(f"wagtail_support/mail/{AGENT}/{SUMMARY_EVENT}", context, mail.language), sender_for_site(None))
