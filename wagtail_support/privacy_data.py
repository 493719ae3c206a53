"""Who a person is in the support's data, what it holds about them, and how their names and addresses
are found in text: the reading half of ``wagtail_support.privacy`` (which erases; see its docstring), shared
with ``privacy_export``. Reads only."""

import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    Attachment,
    CcSuggestion,
    InboundMail,
    Message,
    OutboundMail,
    SatisfactionRating,
    Ticket,
    TicketFollower,
    person_label,
)

HASH_SALT = "wagtail_support.privacy"
# How a ticket relates to the person (``Holdings.tickets``).
REQUESTER, BENEFICIARY, FOLLOWER, AUTHOR, RATER, CC, MENTIONED = (
    "requester", "beneficiary", "follower", "author", "rater", "cc", "mentioned",
)  # fmt: skip
ROLE_LABELS = {
    REQUESTER: gettext_lazy("requester"),
    BENEFICIARY: gettext_lazy("beneficiary"),
    FOLLOWER: gettext_lazy("in copy"),
    AUTHOR: gettext_lazy("wrote on it"),
    RATER: gettext_lazy("rated it"),
    CC: gettext_lazy("proposed in copy"),
    MENTIONED: gettext_lazy("address written in it"),
}
# The tickets the person may read (and so finds in the export), and those whose people are erased.
READER_ROLES = {REQUESTER, BENEFICIARY, FOLLOWER}
PARTY_ROLES = {REQUESTER, BENEFICIARY}
# Names and their parts shorter than this are not looked for in text ("Al" is in too many words).
MIN_NAME_PART = 3
TEAM_ROLES = {Message.AuthorRole.AGENT, Message.AuthorRole.SYSTEM}


# Who ------------------------------------------------------------------------------------------------------


@dataclass
class Person:
    """Someone the support holds data about: their addresses (lower-cased) and accounts."""

    emails: set = field(default_factory=set)
    users: list = field(default_factory=list)

    @property
    def user_ids(self):
        return {user.pk for user in self.users}

    def __bool__(self):
        return bool(self.emails or self.users)


def person(email=None, user=None):
    """The ``Person`` for an address and/or an account (a username, an id or a user): the address brings
    the active or inactive accounts that have it, the account its address."""
    emails = {(email or "").strip().lower()} - {""}
    users = []
    if user is not None and not isinstance(user, get_user_model()):
        User = get_user_model()
        lookup = {"pk": user} if isinstance(user, int) else {User.USERNAME_FIELD: user}
        user = User._default_manager.filter(**lookup).first()
        if user is None:
            return Person()
    if user is not None:
        users.append(user)
        if user.email:
            emails.add(user.email.strip().lower())
    if emails:
        email_field = get_user_model().get_email_field_name()
        query = Q()
        for address in emails:
            query |= Q(**{f"{email_field}__iexact": address})
        users += [found for found in get_user_model()._default_manager.filter(query) if found.pk not in {u.pk for u in users}]
    return Person(emails=emails, users=users)


def subject_hash(who):
    """The person as the log names them: a keyed hash of their address (else of their account), the same
    each time, so a supervisor can tell that an address was erased without the log holding it."""
    key = sorted(who.emails)[0] if who.emails else f"user:{min(who.user_ids)}"
    return salted_hmac(HASH_SALT, key, algorithm="sha256").hexdigest()[:16]


def _by(who, address_field, user_field=None):
    """Q: rows whose ``address_field`` is one of the person's addresses or ``user_field`` one of their accounts."""
    query = Q(**{f"{address_field}__in": sorted(who.emails)}) if who.emails else Q(pk__in=[])
    if user_field and who.users:
        query |= Q(**{f"{user_field}__in": sorted(who.user_ids)})
    return query


# What we hold ---------------------------------------------------------------------------------------------


@dataclass
class Holdings:
    """What ``find`` found: ``tickets`` maps a ticket id to the person's roles on it; the rest are querysets."""

    person: Person
    tickets: dict
    messages: object
    outbound: object
    inbound: object
    ratings: object
    followers: object
    cc: object

    def ticket_ids(self, roles=None):
        return sorted(pk for pk, found in self.tickets.items() if roles is None or found & set(roles))

    def counts(self):
        """(label, number) of each kind of data, for the admin page and the command."""
        by_role = {role: len(self.ticket_ids({role})) for role in (REQUESTER, BENEFICIARY, FOLLOWER, MENTIONED)}
        return [
            (_("Tickets as requester"), by_role[REQUESTER]),
            (_("Tickets as beneficiary"), by_role[BENEFICIARY]),
            (_("Tickets followed (in copy)"), by_role[FOLLOWER]),
            (_("Other tickets where the address is written"), by_role[MENTIONED]),
            (_("Messages written"), self.messages.count()),
            (_("Attachments of their messages"), Attachment.objects.filter(message__in=self.messages).count()),
            (_("Mail sent to them"), self.outbound.count()),
            (_("Mail received from them"), self.inbound.count()),
            (_("Satisfaction ratings"), self.ratings.count()),
            (_("Proposed in copy"), self.cc.count()),
        ]

    @property
    def is_empty(self):
        return not (self.tickets or self.outbound.exists() or self.inbound.exists())


def find(email=None, user=None, who=None):
    """What the support holds about a person (an address, an account, or ``who``): see ``Holdings``.

    The tickets where the address is written in the description or a message are found with a scan of
    those texts (``icontains``): a few seconds on a very large site, for a page that is rarely opened."""
    who = who or person(email, user)
    tickets = {}

    def add(role, ids):
        for pk in ids:
            tickets.setdefault(pk, set()).add(role)

    if not who:
        return Holdings(
            who, {}, Message.objects.none(), OutboundMail.objects.none(), InboundMail.objects.none(),
            SatisfactionRating.objects.none(), TicketFollower.objects.none(), CcSuggestion.objects.none(),
        )  # fmt: skip
    add(REQUESTER, Ticket.objects.filter(_by(who, "requester_email", "requester_user")).values_list("pk", flat=True))
    add(BENEFICIARY, Ticket.objects.filter(_by(who, "beneficiary_email", "beneficiary_user")).values_list("pk", flat=True))
    followers = TicketFollower.objects.filter(_by(who, "email", "user"))
    add(FOLLOWER, followers.values_list("ticket_id", flat=True))
    # What they wrote as a requester, a beneficiary or someone in copy: what an agent wrote as one of the
    # team is the team's work, and stays (an agent may be a requester too).
    messages = Message.objects.filter(_by(who, "author_email", "author_user")).exclude(author_role__in=TEAM_ROLES)
    add(AUTHOR, messages.values_list("ticket_id", flat=True).distinct())
    add(RATER, SatisfactionRating.objects.filter(_by(who, "rated_by_email", "rated_by_user")).values_list("ticket_id", flat=True))
    cc = CcSuggestion.objects.filter(_by(who, "email"))
    add(CC, cc.values_list("ticket_id", flat=True))
    for address in sorted(who.emails):
        add(MENTIONED, Ticket.objects.filter(Q(description__icontains=address) | Q(subject__icontains=address)).values_list("pk", flat=True))
        add(MENTIONED, Message.objects.filter(body__icontains=address).values_list("ticket_id", flat=True).distinct())
    for roles in tickets.values():
        if len(roles) > 1:
            roles.discard(MENTIONED)
    # Their messages on their own tickets, whatever address the message was written with.
    own = Q()
    for role, author_role in ((REQUESTER, Message.AuthorRole.REQUESTER), (BENEFICIARY, Message.AuthorRole.BENEFICIARY)):
        ids = [pk for pk, found in tickets.items() if role in found]
        if ids:
            own |= Q(ticket_id__in=ids, author_role=author_role)
    if own:
        messages = Message.objects.filter(_by(who, "author_email", "author_user") | own).exclude(author_role__in=TEAM_ROLES)
    return Holdings(
        person=who,
        tickets=tickets,
        messages=messages,
        outbound=OutboundMail.objects.filter(_by(who, "recipient")),
        inbound=InboundMail.objects.filter(_by(who, "from_email")),
        # Their own ratings, and those of the closings of their tickets (rated from their signed link).
        ratings=SatisfactionRating.objects.filter(
            _by(who, "rated_by_email", "rated_by_user")
            | Q(ticket_id__in=[pk for pk, found in tickets.items() if found & PARTY_ROLES])
        ),
        followers=followers,
        cc=cc,
    )


def names_of(who):
    """Every name the person goes by in our data: their accounts' and the names written with their
    addresses (on tickets, messages, followers, mail from them)."""
    names = set()
    for user in who.users:
        names.update({person_label(user), user.first_name, user.last_name, user.get_full_name()})
    if who.emails:
        emails = sorted(who.emails)
        names.update(Ticket.objects.filter(requester_email__in=emails).values_list("requester_name", flat=True))
        names.update(Ticket.objects.filter(beneficiary_email__in=emails).values_list("beneficiary_name", flat=True))
        names.update(Message.objects.filter(author_email__in=emails).values_list("author_name", flat=True))
        names.update(TicketFollower.objects.filter(email__in=emails).values_list("name", flat=True))
        names.update(CcSuggestion.objects.filter(email__in=emails).values_list("name", flat=True))
        names.update(InboundMail.objects.filter(from_email__in=emails).values_list("from_name", flat=True))
    if who.users:
        ids = sorted(who.user_ids)
        names.update(Ticket.objects.filter(requester_user__in=ids).values_list("requester_name", flat=True))
        names.update(Ticket.objects.filter(beneficiary_user__in=ids).values_list("beneficiary_name", flat=True))
    return {name.strip() for name in names if name and name.strip()}


# Scrubbing text -------------------------------------------------------------------------------------------


class Scrubber:
    """Replaces the addresses and names of people in text (any case; names as whole words, with each part
    of a name of at least ``MIN_NAME_PART`` letters) with "[erased]"; in JSON values too."""

    def __init__(self, emails, names):
        self.word = _("[erased]")
        terms = {address.casefold() for address in emails if address}
        words = set()
        for name in names:
            for part in [name, *re.split(r"[\s.,'’_()<>-]+", name)]:
                if len(part) >= MIN_NAME_PART and not part.isdigit():
                    words.add(part.casefold())
        alternatives = [re.escape(term) for term in sorted(terms, key=len, reverse=True)]
        # Whole words, where "_" separates words too (a mail header's encoded "Zo=C3=A9_Martin").
        alternatives += [rf"(?<![^\W_]){re.escape(word)}(?![^\W_])" for word in sorted(words, key=len, reverse=True)]
        self.pattern = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def text(self, value):
        if not value or self.pattern is None or not isinstance(value, str):
            return value
        return self.pattern.sub(self.word, value)

    def data(self, value, replace_keys=(), replacement=""):
        """``value`` (JSON) scrubbed; the values under ``replace_keys`` replaced by ``replacement``."""
        if isinstance(value, dict):
            return {
                key: (replacement if key in replace_keys and item else self.data(item, replace_keys, replacement))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.data(item, replace_keys, replacement) for item in value]
        return self.text(value)
