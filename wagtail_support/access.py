"""Who may see or act on a ticket, a message or an attachment. The only place these rules live.

- A requester or beneficiary (by account) sees their tickets and the public messages on them.
- An anonymous visitor sees a ticket only through a valid signed link, and then only its public messages.
- An agent (``work_on_tickets`` permission) sees the tickets of the teams they belong to, and those
  assigned to them, with every message.
- A supervisor (``view_all_tickets`` permission, or a superuser) sees every ticket.

Views, the workflow and the API ask this module; none of them filters tickets by hand. The admin asks
through ``ticket_policy``, a Wagtail permission policy built on these rules (the actions ``"work"``,
``"view_all"`` and, on one ticket, ``"work"`` and ``"view"``), so Wagtail's permission-checked views use
the same rule as everything else.
"""

import datetime
import time
from dataclasses import dataclass

from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from wagtail.permission_policies.base import BasePermissionPolicy

from .conf import support_settings
from .models import Attachment, Message, SupportSiteSettings, Team, Ticket, TicketFollower, person_label

PERM_WORK = "wagtail_support.work_on_tickets"
PERM_VIEW_ALL = "wagtail_support.view_all_tickets"
PERM_PERSONAL_DATA = "wagtail_support.erase_personal_data"

LINK_SALT = "wagtail_support.ticket-link"
RATING_SALT = "wagtail_support.rating-link"


class Role:
    """How a user stands to a ticket."""

    SUPERVISOR = "supervisor"
    AGENT = "agent"
    REQUESTER = "requester"
    BENEFICIARY = "beneficiary"
    LINK = "link"  # an anonymous visitor holding a signed link
    FOLLOWER = "follower"  # a signed link sent to someone in copy of the ticket: reads its public messages


STAFF_ROLES = {Role.SUPERVISOR, Role.AGENT}


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_agent(user):
    return _authenticated(user) and (user.is_superuser or user.has_perm(PERM_WORK))


def can_view_all(user):
    return _authenticated(user) and (user.is_superuser or (is_agent(user) and user.has_perm(PERM_VIEW_ALL)))


def can_manage_personal_data(user):
    """May ``user`` see, export and erase what the support holds about a person (``privacy``)? A supervisor
    given ``erase_personal_data`` (the "Support supervisors" group has it), or a superuser."""
    return _authenticated(user) and (user.is_superuser or (can_view_all(user) and user.has_perm(PERM_PERSONAL_DATA)))


# Querysets ------------------------------------------------------------------------------------------------


def agent_tickets_q(user, prefix="", team_ids=None):
    """The Q of the tickets ``user`` works as an agent; ``None`` means all of them.

    ``team_ids``: the user's teams when the caller has read them already (the inbox has). As a list of
    numbers, PostgreSQL combines the team and assignee indexes (a count over 100,000 tickets: 60 ms with
    a subquery, a few ms with the list); without it, a subquery on the membership table (never a join,
    so a ticket is never matched twice).
    """
    if can_view_all(user):
        return None
    if team_ids is None:
        team_ids = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    return Q(**{f"{prefix}team_id__in": team_ids}) | Q(**{f"{prefix}assignee_id": user.pk})


def assigned_worked_tickets(user, queryset=None):
    """The tickets assigned to ``user`` that they work: every one of them, as an agent (``worked_tickets``
    gives them whatever their team); none otherwise. Without the rule's "their teams or assigned to them",
    PostgreSQL reads the assignee's index alone."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    if not is_agent(user):
        return queryset.none()
    return queryset.filter(assignee_id=user.pk)


def unassigned_worked_tickets(user, queryset=None, team_ids=None):
    """The unassigned tickets ``user`` works: those of their teams (an unassigned ticket is nobody's), or all
    (supervisors). The rule of ``worked_tickets`` without its "or assigned to them", which no unassigned
    ticket is: PostgreSQL then reads the index of the unassigned backlog by team alone."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    if not is_agent(user):
        return queryset.none()
    queryset = queryset.filter(assignee__isnull=True)
    if can_view_all(user):
        return queryset
    if team_ids is None:
        team_ids = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    return queryset.filter(team_id__in=team_ids)


def requester_tickets_q(user, prefix=""):
    return Q(**{f"{prefix}requester_user": user}) | Q(**{f"{prefix}beneficiary_user": user})


def worked_tickets(user, queryset=None, team_ids=None):
    """Tickets ``user`` works as an agent: their teams' and those assigned to them, or all (supervisors)."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    if not is_agent(user):
        return queryset.none()
    q = agent_tickets_q(user, team_ids=team_ids)
    return queryset if q is None else queryset.filter(q)


def requester_tickets(user, queryset=None):
    """Tickets where ``user`` (an account) is the requester or the beneficiary."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    if not _authenticated(user):
        return queryset.none()
    return queryset.filter(requester_tickets_q(user))


def visible_tickets(user, queryset=None):
    """Tickets ``user`` may see: as requester or beneficiary, as an agent of the team, or all."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    if not _authenticated(user):
        return queryset.none()
    if can_view_all(user):
        return queryset
    q = requester_tickets_q(user)
    if is_agent(user):
        q |= agent_tickets_q(user)
    return queryset.filter(q)


def visible_messages(user, queryset=None):
    """Every message of the tickets ``user`` works as an agent; public messages of their own tickets."""
    queryset = Message.objects.all() if queryset is None else queryset
    if not _authenticated(user):
        return queryset.none()
    if can_view_all(user):
        return queryset
    own = Q(ticket__in=Ticket.objects.filter(requester_tickets_q(user)).values("pk"), visibility=Message.Visibility.PUBLIC)
    if is_agent(user):
        own |= Q(ticket__in=Ticket.objects.filter(agent_tickets_q(user)).values("pk"))
    return queryset.filter(own)


def visible_attachments(user, queryset=None):
    """The attachments of the messages ``user`` may read."""
    queryset = Attachment.objects.all() if queryset is None else queryset
    return queryset.filter(message__in=visible_messages(user).values("pk"))


# One ticket -----------------------------------------------------------------------------------------------


def ticket_role(user, ticket, link_token=None):
    """The strongest role ``user`` (or a holder of ``link_token``) has on ``ticket``, or ``None``."""
    if _authenticated(user):
        if can_view_all(user):
            return Role.SUPERVISOR
        if is_agent(user):
            if ticket.assignee_id == user.pk:
                return Role.AGENT
            if ticket.team_id and ticket.team.members.filter(pk=user.pk).exists():
                return Role.AGENT
        if ticket.requester_user_id == user.pk:
            return Role.REQUESTER
        if ticket.beneficiary_user_id == user.pk:
            return Role.BENEFICIARY
    if link_token:
        opened = read_link_token(link_token)
        if opened and opened[0] == ticket.pk and (
            ticket.is_requester_or_beneficiary_email(opened[1]) or follows_by_merge(ticket, opened[1])
        ):
            return Role.LINK
        if opened and opened[0] == ticket.pk and follower_of(ticket, opened[1]) is not None:
            return Role.FOLLOWER
    return None


def follower_of(ticket, address):
    """The ``TicketFollower`` of ``ticket`` with ``address`` (someone in copy of it), or ``None``.

    A follower's signed link opens the ticket (its public messages only, ``Role.FOLLOWER``) while they are
    in copy: once removed, their link opens nothing. Their mail is trusted like a requester's
    (``inbound.handler``); they cannot close, reopen or reply on the page: that stays the requester's.
    """
    address = (address or "").strip().lower()
    if not address or ticket is None or ticket.pk is None:
        return None
    return ticket.followers.filter(email=address).first()


def follows_by_merge(ticket, email):
    """Whether ``email`` is the requester or beneficiary of a ticket merged into ``ticket`` and still
    follows it (``workflow.merge`` made them a follower; an agent may remove them): their signed links
    and their mail are honoured on ``ticket`` as a requester's, for its public side only."""
    email = (email or "").strip().lower()
    if not email or ticket.pk is None:
        return False
    if not TicketFollower.objects.filter(ticket_id=ticket.pk, email__iexact=email).exists():
        return False
    return Ticket.objects.filter(merged_into_id=ticket.pk).filter(
        Q(requester_email__iexact=email) | Q(beneficiary_email__iexact=email)
    ).exists()


# The support's own addresses ------------------------------------------------------------------------------


def support_addresses():
    """The addresses of the support itself, lower-cased: its sender, its inbound address, ``SERVER_EMAIL``,
    every team's contact and incoming addresses, and every site's sender and inbound addresses (Settings ›
    Support). No ticket is ever opened for one of them (the product
    would mail itself), and a mail from one of them is our own coming back."""
    addresses = set()
    for value in (support_settings.from_email, support_settings.INBOUND_ADDRESS, settings.SERVER_EMAIL):
        address = parseaddr(value or "")[1].strip().lower()
        if "@" in address:
            addresses.add(address)
    for pair in Team.objects.values_list("contact_email", "inbound_email"):
        addresses.update(address.strip().lower() for address in pair if address)
    for pair in SupportSiteSettings.objects.values_list("sender_email", "inbound_email"):
        addresses.update(address.strip().lower() for address in pair if address)
    return addresses


def is_support_address(address, addresses=None):
    """Whether ``address`` (with or without a "+tag") is one of ``support_addresses()``."""
    address = (address or "").strip().lower()
    if "@" not in address:
        return False
    addresses = support_addresses() if addresses is None else addresses
    local, _at, domain = address.rpartition("@")
    return address in addresses or f"{local.split('+', 1)[0]}@{domain}" in addresses


# Who makes a move ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who makes a move.

    ``user`` is an account (agent or requester); ``link_token`` is the signed link of an anonymous
    requester; ``email``/``name`` describe someone known only by address. ``trusted_role`` is for
    code that has already established the role itself (the inbound mail handler, management commands):
    the workflow then takes that role as given.
    """

    user: object = None
    link_token: str = ""
    name: str = ""
    email: str = ""
    trusted_role: str = ""

    @classmethod
    def coerce(cls, by):
        """An ``Actor`` from what a caller passes as ``by``: an account, an ``Actor``, or ``None`` (the system)."""
        if by is None:
            return cls(trusted_role=Message.AuthorRole.SYSTEM)
        if isinstance(by, cls):
            return by
        if isinstance(by, get_user_model()):
            return cls(user=by)
        raise TypeError(f"Cannot act as {by!r}")

    @property
    def log_user(self):
        user = self.user
        return user if user is not None and getattr(user, "is_authenticated", False) else None

    @property
    def address(self):
        """The actor's mail address: given, from the account, or from the signed link they hold."""
        if self.email:
            return self.email.lower()
        if self.log_user is not None and self.user.email:
            return self.user.email.lower()
        if self.link_token:
            opened = read_link_token(self.link_token)
            if opened:
                return opened[1]
        return ""

    def identity_on(self, ticket, role):
        """(name, address) to record as the author of a message on ``ticket``."""
        address = self.address
        name = self.name
        if not name and self.log_user is not None:
            name = person_label(self.user)
        if not name and role == Message.AuthorRole.BENEFICIARY:
            name = ticket.beneficiary_name
        if not name and role == Message.AuthorRole.REQUESTER:
            name = ticket.requester_name
        return name or address, address


def role_of(actor, ticket):
    """The actor's role on the ticket (what the workflow records on a message), as a ``Message.AuthorRole`` value, or ``None``."""
    if actor.trusted_role:
        return actor.trusted_role
    role = ticket_role(actor.log_user, ticket, actor.link_token or None)
    if role in STAFF_ROLES:
        return Message.AuthorRole.AGENT
    if role == Role.BENEFICIARY:
        return Message.AuthorRole.BENEFICIARY
    if role in {Role.REQUESTER, Role.LINK}:
        # Someone holding a link sent to the beneficiary's address answers as the beneficiary.
        if role == Role.LINK and actor.link_token:
            opened = read_link_token(actor.link_token)
            if opened and ticket.beneficiary_email and opened[1] == ticket.beneficiary_email.lower():
                if opened[1] != (ticket.requester_email or "").lower():
                    return Message.AuthorRole.BENEFICIARY
        return Message.AuthorRole.REQUESTER
    return None


def mail_sender_role(ticket, address):
    """(role, account) of whoever writes to ``ticket`` by mail from ``address``; (None, None) for a stranger.

    The requester and the beneficiary by their address on the ticket or their account's; an agent by the
    address of the one active account that has it and may work the ticket (an address shared by two
    accounts proves nothing about which of them wrote). Mail headers can be forged: this decides who a
    mail speaks for, never what they may read (nothing is shown in answer to a mail).
    """
    address = (address or "").strip().lower()
    if not address:
        return None, None
    for role, user in ((Role.REQUESTER, ticket.requester_user), (Role.BENEFICIARY, ticket.beneficiary_user)):
        email = ticket.requester_email if role == Role.REQUESTER else ticket.beneficiary_email
        if address == (email or "").lower() or (user is not None and address == (user.email or "").lower()):
            return role, user
    users = list(get_user_model().objects.filter(email__iexact=address, is_active=True)[:2])
    if len(users) == 1 and can_work_ticket(users[0], ticket):
        return Role.AGENT, users[0]
    if follows_by_merge(ticket, address):
        # The requester of a ticket merged into this one writes as a requester (never as an agent).
        return Role.REQUESTER, None
    return None, None


def address_may_read_internal(ticket, address):
    """Whether mail about an internal note of ``ticket`` may go to ``address``: the ticket team's contact
    address, or the one active account with that address that may work the ticket (``mail_sender_role``)."""
    address = (address or "").strip().lower()
    if not address:
        return False
    if ticket.team_id and address == (ticket.team.contact_email or "").lower():
        return True
    return mail_sender_role(ticket, address)[0] == Role.AGENT


def can_view_ticket(user, ticket, link_token=None):
    return ticket_role(user, ticket, link_token) is not None


def can_work_ticket(user, ticket):
    """May ``user`` act on ``ticket`` as the support team (reply, note, assign, resolve...)?"""
    return ticket_role(user, ticket) in STAFF_ROLES


def can_see_internal(user, ticket):
    return can_work_ticket(user, ticket)


def can_act_as_requester(user, ticket, link_token=None):
    """May ``user`` reply to, close or reopen ``ticket`` as its requester?"""
    return ticket_role(user, ticket, link_token) in {Role.REQUESTER, Role.BENEFICIARY, Role.LINK}


def messages_for(user, ticket, link_token=None):
    """The messages of ``ticket`` that ``user`` may read, oldest first."""
    role = ticket_role(user, ticket, link_token)
    if role is None:
        return ticket.messages.none()
    messages = ticket.messages.all()
    if role not in STAFF_ROLES:
        messages = messages.public()
    return messages


def can_download_attachment(user, attachment, link_token=None):
    message = attachment.message
    role = ticket_role(user, message.ticket, link_token)
    if role is None:
        return False
    return role in STAFF_ROLES or not message.is_internal


def is_team_member(user, team):
    return team is not None and _authenticated(user) and team.members.filter(pk=user.pk).exists()


def _holders(perm, superusers=True):
    """Ids of the accounts that hold ``perm`` ("app_label.codename"): through a group, directly, or (unless
    ``superusers`` is false) as superusers. A UNION of three small lookups: the planner reads the
    membership tables instead of testing every account (Django's ``ModelBackend.with_perm`` tests each
    one, which took 700 ms with 20,000 accounts)."""
    User = get_user_model()
    app_label, codename = perm.split(".", 1)
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    in_groups = User.groups.through.objects.filter(
        group_id__in=Group.objects.filter(permissions__in=permission).values("pk")
    ).values("user_id")
    direct = User.user_permissions.through.objects.filter(permission__in=permission).values("user_id")
    if not superusers:
        return in_groups.union(direct)
    return in_groups.union(direct, User._default_manager.filter(is_superuser=True).values("pk"))


def agents(superusers=True):
    """Active accounts that may work tickets (the agent permission, or superusers), each once.

    ``superusers=False`` leaves out a superuser who is given the permission by no group and not directly:
    they hold every permission without being one of the support's agents (the team form's members)."""
    return get_user_model()._default_manager.filter(is_active=True, pk__in=_holders(PERM_WORK, superusers))


def assignable_agents(team):
    """The accounts a ticket of ``team`` may be assigned to: ``can_be_assigned`` as a queryset."""
    candidates = agents()
    if team is None:
        return candidates
    # Two semi-joins on the membership tables: the planner never tests every account.
    members = team.members.through.objects.filter(team_id=team.pk).values("user_id")
    return candidates.filter(pk__in=members.union(_holders(PERM_VIEW_ALL)))


def can_be_assigned(user, ticket_team):
    """May ``user`` be assigned a ticket of ``ticket_team``?"""
    if not is_agent(user):
        return False
    return ticket_team is None or can_view_all(user) or is_team_member(user, ticket_team)


# Signed links ---------------------------------------------------------------------------------------------


def make_link_token(ticket, email=None):
    """A signed token that opens ``ticket`` for the holder of ``email`` (the requester's by default)."""
    email = (email or ticket.requester_email or "").strip().lower()
    return signing.dumps({"t": ticket.pk, "e": email}, salt=LINK_SALT, compress=True)


def read_link_token(token):
    """``(ticket id, email)`` for a valid, unexpired token; ``None`` for anything else."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=support_settings.LINK_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        return None
    return data["t"], str(data.get("e") or "")


# Rating links ---------------------------------------------------------------------------------------------
#
# The "How did we do?" links of the resolution mail and of the ticket's page. A token of its own (its own
# salt: a ticket link is no rating link, nor the other way round) names the ticket, the closing it rates
# (``closed_at``, to the microsecond) and the address it was made for. It rates that closing only: once the
# ticket is reopened (and maybe closed again), the link rates nothing. It lasts ``WAGTAILSUPPORT_RATING_DAYS``
# from its making, and the closing may be rated for that long after ``closed_at`` (checked on the server
# whatever the token says).

# The closings a requester may rate: the team's resolution, and a closing by the requester themselves (they
# judged the problem solved: how it was handled is theirs to say). Not an abandoned ticket, one closed for
# want of a reply or one merged into another: the requester was not there, or the ticket goes on elsewhere.
RATABLE_CLOSE_REASONS = frozenset({Ticket.CloseReason.RESOLVED, Ticket.CloseReason.CLOSED_BY_REQUESTER})

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class RatingRefusal:
    """Why a rating link rates nothing (``RatingLink.refusal``)."""

    INVALID = "invalid"  # forged, tampered, unknown ticket, not the requester's or beneficiary's address
    EXPIRED = "expired"  # the rating period of the closing has ended
    REOPENED = "reopened"  # the closing it rates is not the ticket's current one any more
    NOT_RATABLE = "not_ratable"  # the ticket closed in a way that is not rated, or rating is switched off


@dataclass(frozen=True)
class RatingLink:
    """What a rating token opened: the ticket (``None`` when refused for being invalid), the closing it
    rates, the address it was made for, and ``refusal`` (a ``RatingRefusal`` value, "" when it may rate)."""

    ticket: object = None
    closed_at: object = None
    email: str = ""
    refusal: str = RatingRefusal.INVALID

    @property
    def ok(self):
        return not self.refusal


def rating_days():
    return int(support_settings.RATING_DAYS or 0)


def rating_deadline(ticket):
    """Until when the ticket's current closing may be rated; ``None`` for no closing or rating off."""
    if ticket.closed_at is None or rating_days() <= 0:
        return None
    return ticket.closed_at + datetime.timedelta(days=rating_days())


def is_ratable(ticket, now=None):
    """Whether the ticket's current closing may be rated (or its rating changed) now."""
    deadline = rating_deadline(ticket)
    return (
        ticket.status == Ticket.Status.CLOSED
        and ticket.close_reason in RATABLE_CLOSE_REASONS
        and deadline is not None
        and (now or timezone.now()) < deadline
    )


def rating_refusal(ticket, closed_at, now=None):
    """Why the closing at ``closed_at`` of ``ticket`` may not be rated now ("" when it may)."""
    if rating_days() <= 0:
        return RatingRefusal.NOT_RATABLE
    if ticket.status != Ticket.Status.CLOSED or ticket.closed_at is None or ticket.closed_at != closed_at:
        return RatingRefusal.REOPENED
    if ticket.close_reason not in RATABLE_CLOSE_REASONS:
        return RatingRefusal.NOT_RATABLE
    if not is_ratable(ticket, now):
        return RatingRefusal.EXPIRED
    return ""


def rating_address(user, ticket, link_token=None):
    """The address a rating by this visitor is made for: the requester's or the beneficiary's (by account or
    through their signed link), else "" (an agent, a follower, a stranger: they do not rate)."""
    role = ticket_role(user, ticket, link_token)
    if role == Role.REQUESTER:
        return (ticket.requester_email or "").lower()
    if role == Role.BENEFICIARY:
        return (ticket.beneficiary_email or "").lower()
    if role == Role.LINK:
        opened = read_link_token(link_token)
        if opened and ticket.is_requester_or_beneficiary_email(opened[1]):
            return opened[1]
    return ""


def _micro(moment):
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


def make_rating_token(ticket, email=None):
    """A signed token that rates the ticket's current closing for the holder of ``email`` (the requester's by
    default); "" when the ticket is not closed."""
    if ticket.closed_at is None:
        return ""
    email = (email or ticket.requester_email or "").strip().lower()
    return signing.dumps({"t": ticket.pk, "c": _micro(ticket.closed_at), "e": email}, salt=RATING_SALT, compress=True)


def open_rating_token(token, now=None):
    """The ``RatingLink`` of ``token``. Refused (``refusal`` set, and no ticket for an invalid one): a token
    that is not ours or was changed, one for a ticket that does not exist or for an address that is no
    longer its requester's or beneficiary's; one older than the rating period; one for an earlier closing;
    a ticket that closed in a way that is not rated."""
    days = rating_days()
    if days <= 0:
        return RatingLink(refusal=RatingRefusal.NOT_RATABLE)
    try:
        data = signing.loads(token, salt=RATING_SALT, max_age=datetime.timedelta(days=days))
    except signing.SignatureExpired:
        return RatingLink(refusal=RatingRefusal.EXPIRED)
    except (signing.BadSignature, TypeError, ValueError):
        return RatingLink()
    if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("c"), int):
        return RatingLink()
    email = str(data.get("e") or "")
    ticket = Ticket.objects.filter(pk=data["t"]).first()
    if ticket is None or not ticket.is_requester_or_beneficiary_email(email):
        return RatingLink()
    try:
        closed_at = _EPOCH + datetime.timedelta(microseconds=data["c"])
    except OverflowError:
        return RatingLink()
    return RatingLink(ticket=ticket, closed_at=closed_at, email=email, refusal=rating_refusal(ticket, closed_at, now))


# Reply tokens: the "+<token>" of a Reply-To address. Mail systems may change the case of an address's
# local part, so the token uses lower-case letters and digits only:
# "t<ticket id>-<issued>-<recipient tag>-<signature>", ids and minutes in base 36, the recipient tag an HMAC
# of the address the mail was sent to, the signature an HMAC of the rest with the site's secret key. A
# token of the older form "t<ticket id>-<issued>-<signature>" still routes a reply, and names nobody.
REPLY_SALT = "wagtail_support.reply_token"
RECIPIENT_SALT = "wagtail_support.reply_token.recipient"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _to36(number):
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
        if not number:
            return digits


def _reply_signature(value):
    return salted_hmac(REPLY_SALT, value, algorithm="sha256").hexdigest()[:24]


def _recipient_tag(address):
    return salted_hmac(RECIPIENT_SALT, (address or "").strip().lower(), algorithm="sha256").hexdigest()[:10]


@dataclass(frozen=True)
class ReplyToken:
    """A valid reply token: the ticket it routes to, and (newer tokens) a tag of the address it was sent to."""

    ticket_id: int
    recipient_tag: str = ""

    def names(self, address):
        """Whether this token was sent to ``address`` (in a mail of ours to that address only)."""
        return bool(self.recipient_tag and address) and constant_time_compare(self.recipient_tag, _recipient_tag(address))


def make_reply_token(ticket, recipient=None, now=None):
    """The token that routes a reply by mail to ``ticket``, naming the ``recipient`` it is sent to.

    It proves nothing by itself about who writes back (a mail can be forwarded, a From forged): the inbound
    handler weighs it with the receiving side's verdicts (``inbound.authentication``)."""
    issued = int((now if now is not None else time.time()) // 60)
    value = f"t{_to36(ticket.pk)}-{_to36(issued)}"
    if recipient:
        value += f"-{_recipient_tag(recipient)}"
    return f"{value}-{_reply_signature(value)}"


def open_reply_token(token, now=None):
    """The ``ReplyToken`` of a valid, unexpired token; ``None`` for anything else."""
    parts = (token or "").strip().lower().split("-")
    if len(parts) not in (3, 4) or not parts[0].startswith("t"):
        return None
    value = "-".join(parts[:-1])
    if not constant_time_compare(parts[-1], _reply_signature(value)):
        return None
    try:
        ticket_id, issued = int(parts[0][1:], 36), int(parts[1], 36)
    except ValueError:
        return None
    age = (now if now is not None else time.time()) - issued * 60
    if age > support_settings.REPLY_TOKEN_MAX_AGE or age < -300:
        return None
    return ReplyToken(ticket_id, parts[2] if len(parts) == 4 else "")


def read_reply_token(token, now=None):
    """The ticket id of a valid, unexpired reply token; ``None`` for anything else."""
    opened = open_reply_token(token, now)
    return opened.ticket_id if opened is not None else None


# The permission policy of the admin -----------------------------------------------------------------------


class TicketPermissionPolicy(BasePermissionPolicy):
    """The rules above as a Wagtail permission policy, for the admin's permission-checked views.

    - ``user_has_permission(user, "work")``: an agent (or a superuser); ``"view_all"``: a supervisor.
    - ``user_has_permission_for_instance(user, "work" | "view", ticket)``: may work / see that ticket.
    - ``instances_user_has_permission_for(user, "work")``: the tickets ``user`` works.
    """

    def __init__(self):
        super().__init__(Ticket)

    def user_has_permission(self, user, action):
        if action == "work":
            return is_agent(user)
        if action == "view_all":
            return can_view_all(user)
        if action == "personal_data":
            return can_manage_personal_data(user)
        return False

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "work":
            return can_work_ticket(user, instance)
        if action == "view":
            return can_view_ticket(user, instance)
        return False

    def instances_user_has_permission_for(self, user, action):
        if action == "work":
            return worked_tickets(user)
        if action == "view":
            return visible_tickets(user)
        return Ticket.objects.none()

    def users_with_any_permission(self, actions):
        if "view_all" in actions and "work" not in actions:
            return agents().filter(pk__in=_holders(PERM_VIEW_ALL))
        if "work" in actions or "view_all" in actions:
            return agents()
        return get_user_model()._default_manager.none()


ticket_policy = TicketPermissionPolicy()
