"""People in copy and inbound mail: a follower's mail is theirs (trusted like a requester's), and the
addresses in Cc of a requester's mail are proposed to the agents, never added (``inbound.handler`` calls
both)."""

from email.utils import getaddresses

from django.contrib.auth import get_user_model

from .. import access
from ..models import CcSuggestion, InboundMail, Message
from ..sanitize import clean_text


def follower_role(ticket, sender, sender_name):
    """(author role, name) of someone in copy of the ticket (``TicketFollower``) writing from ``sender``;
    (None, sender_name) for anyone else. A follower is trusted like a requester (invariant 7: the same
    authentication verdicts hold their mail); there is no author role of their own, so their message is a
    requester-side one, by their name and address (``author_email``), never the requester's."""
    follower = access.follower_of(ticket, sender)
    if follower is None:
        return None, sender_name
    return Message.AuthorRole.REQUESTER, sender_name or follower.name or sender


# At most this many addresses in copy of one mail are proposed.
MAX_CC_SUGGESTIONS = 10


def suggest_cc(record, message, sender):
    """Propose the addresses in Cc of a requester's (or beneficiary's) mail as people in copy of its ticket
    (``CcSuggestion``), never adding them: an agent decides. Left out: the support's own addresses, the
    requester and beneficiary, the ticket's followers, agents, addresses proposed already."""
    ticket = record.ticket
    if ticket is None or record.status not in (InboundMail.Status.ADDED, InboundMail.Status.OPENED):
        return
    if not ticket.is_requester_or_beneficiary_email(sender):
        return
    cc = [(name, addr.strip().lower()) for name, addr in getaddresses([str(v) for v in message.get_all("Cc", []) or []])]
    cc = [(name, addr) for name, addr in cc if "@" in addr and not ticket.is_requester_or_beneficiary_email(addr)]
    if not cc:
        return
    own = access.support_addresses()
    known = set(ticket.followers.values_list("email", flat=True)) | set(ticket.cc_suggestions.values_list("email", flat=True))
    found = {}
    for name, address in cc:
        if address in known or address in found or access.is_support_address(address, own):
            continue
        if any(access.is_agent(user) for user in get_user_model().objects.filter(email__iexact=address, is_active=True)[:5]):
            continue
        found[address] = clean_text(name or "").strip()[:255]
    CcSuggestion.objects.bulk_create(
        [
            CcSuggestion(ticket=ticket, email=address, name=name, inbound_mail=record if record.pk else None)
            for address, name in list(found.items())[:MAX_CC_SUGGESTIONS]
        ],
        ignore_conflicts=True,
    )
