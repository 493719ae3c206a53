"""Who hears about what: the recipients of each event, and the language each one reads.

The default rules, which ``DefaultSupportAdapter.get_mail_recipients`` applies (a site overrides that
method to change them): the requester and the beneficiary hear about the events of ``REQUESTER_EVENTS``,
never about an internal note; agents hear about new tickets of their teams, requesters' replies and what
is assigned to them, each as their notification settings say; nobody is mailed about an event they caused
themselves, the confirmation of a new ticket aside.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from wagtail.users.models import UserProfile

from .. import access
from ..models import NotificationSettings, TicketFollower

REQUESTER = "requester"
AGENT = "agent"

# Events the requester and beneficiary hear about.
REQUESTER_EVENTS = {"opened", "agent_reply", "pending", "resolved", "abandoned", "reopened"}
# Events the ticket's followers (people in copy) hear about: the conversation, not its confirmation.
FOLLOWER_EVENTS = REQUESTER_EVENTS - {"opened"}
# The one exception to "never mail the person who caused the event": whoever opens a ticket gets its
# reference (and, when anonymous, the only signed link back to it) by mail.
CONFIRMATION_EVENTS = {"opened"}
# The automation over time (``support_tick``): the requester's reminders and the closing for want of a
# reply go to the requester's side; the service level warning to the assignee (else the team), the
# breach to the supervisors (``_service_level_recipients``).
AUTOMATION_REQUESTER_EVENTS = {"reminder", "second_reminder", "closed_no_reply"}
SERVICE_LEVEL_EVENTS = {"sla_warning", "sla_breach"}
# The "find my tickets" mail: one mail about several tickets.
LINKS_EVENT = "links"
# A ticket merged into another (``workflow.merge``): recorded on the merged ticket for its requester and
# beneficiary, and on the ticket it went into for that one's people who were not told already.
MERGED_EVENT = "merged"
# The reports' monthly summary (``automation``): one mail to an agent who asked for it, about no ticket.
SUMMARY_EVENT = "monthly_summary"


def _user_language(user):
    if user is None:
        return ""

    try:
        return user.wagtail_userprofile.preferred_language or ""
    except UserProfile.DoesNotExist:
        return ""


def account_language(user):
    """The language of mail to ``user`` (an account): their admin language, else the site's."""
    return fallback_language(None, _user_language(user), AGENT)


def _wants(user, event):
    """Whether an agent kept the mails about ``event`` switched on."""
    field = NotificationSettings.EVENT_FIELDS.get(event)
    if field is None:
        return True
    try:
        return getattr(user.support_notification_settings, field)
    except NotificationSettings.DoesNotExist:
        return True


def _team_members(team, event):
    members = team.members.filter(is_active=True).select_related("support_notification_settings", "wagtail_userprofile")
    return [(u.email, _user_language(u), u.pk) for u in members if _wants(u, event)]


def _agent_recipients(ticket, event):
    """(address, language, user id) of the support team for an agent-side event."""
    recipients = []
    if event == "opened" and ticket.team_id:
        recipients += _team_members(ticket.team, event)
        if ticket.team.contact_email:
            recipients.append((ticket.team.contact_email, "", None))
    elif event == "requester_reply":
        if ticket.assignee_id and ticket.assignee.is_active:
            if _wants(ticket.assignee, event):
                recipients.append((ticket.assignee.email, _user_language(ticket.assignee), ticket.assignee_id))
        elif ticket.team_id:
            recipients += _team_members(ticket.team, event)
    elif event == "assigned" and ticket.assignee_id and _wants(ticket.assignee, event):
        recipients.append((ticket.assignee.email, _user_language(ticket.assignee), ticket.assignee_id))
    elif event in SERVICE_LEVEL_EVENTS:
        recipients += _service_level_recipients(ticket, event)
    return recipients


def _supervisors():
    """The active supervisors: the agents holding the "view all tickets" permission through a group or
    directly (a superuser who is none of the support's people is not mailed about every breach)."""
    holders = access._holders(access.PERM_VIEW_ALL, superusers=False)  # noqa: SLF001 - access's one way to list them
    return access.agents(superusers=False).filter(pk__in=holders).select_related("wagtail_userprofile").order_by("pk")


def _service_level_recipients(ticket, event):
    """Before a breach, the assignee, else the team (its members and its contact address, as for a new
    ticket); at the breach, the supervisors."""
    if event == "sla_breach":
        return [(u.email, _user_language(u), u.pk) for u in _supervisors() if u.email]
    if ticket.assignee_id and ticket.assignee.is_active:
        return [(ticket.assignee.email, _user_language(ticket.assignee), ticket.assignee_id)]
    recipients = []
    if ticket.team_id:
        recipients += _team_members(ticket.team, event)
        if ticket.team.contact_email:
            recipients.append((ticket.team.contact_email, "", None))
    return recipients


def _requester_recipients(ticket):
    recipients = []
    for user, email in ((ticket.requester_user, ticket.requester_email), (ticket.beneficiary_user, ticket.beneficiary_email)):
        if email:
            recipients.append((email, _user_language(user) if user else "", user.pk if user else None))
    return recipients


def _follower_recipients(ticket, event, message=None):
    """(address, language, user id) of the people in copy of the ticket, for a public event about the
    conversation; never for an internal note (invariant 1). Each gets a mail of their own, with their own
    signed link and reply token (``render``)."""
    if event not in FOLLOWER_EVENTS or (message is not None and message.is_internal):
        return []
    return [(email, "", None) for email in TicketFollower.objects.filter(ticket=ticket).values_list("email", flat=True)]


def _merged_recipients(ticket):
    """The people told about a merge on ``ticket``: all of them on the merged ticket; on the ticket it went
    into, those who are not the merged ticket's own (they had its mail)."""
    recipients = _requester_recipients(ticket)
    if ticket.merged_into_id is None:
        merged = ticket.merged_tickets.order_by("-closed_at", "-pk").first()
        if merged is not None:
            told = {(email or "").lower() for email, _lang, _uid in _requester_recipients(merged)}
            recipients = [r for r in recipients if (r[0] or "").lower() not in told]
    return recipients


def default_recipients(event, ticket, message=None, actor_user_id=None, actor_email=""):
    """(address, audience, language) of each person to mail for ``event``, the actor left out.

    ``language`` is the preferred language of the recipient's account, or ""; ``None`` when the
    address belongs to no known account (``language_for`` looks for one).
    """
    actor_email = (actor_email or "").lower()
    found = []
    if event == MERGED_EVENT:
        found += [(email, REQUESTER, lang, uid) for email, lang, uid in _merged_recipients(ticket)]
    if (event in REQUESTER_EVENTS or event in AUTOMATION_REQUESTER_EVENTS) and not (message is not None and message.is_internal):
        found += [(email, REQUESTER, lang, uid) for email, lang, uid in _requester_recipients(ticket)]
    found += [(email, REQUESTER, lang, uid) for email, lang, uid in _follower_recipients(ticket, event, message)]
    found += [(email, AGENT, lang, uid) for email, lang, uid in _agent_recipients(ticket, event)]
    seen, result = set(), []
    for email, audience, lang, uid in found:
        key = (email or "").lower()
        if not key or key in seen:
            continue
        is_actor = (actor_user_id is not None and uid == actor_user_id) or (actor_email and key == actor_email)
        if is_actor and not (audience == REQUESTER and event in CONFIRMATION_EVENTS):
            continue
        seen.add(key)
        result.append((email, audience, lang if uid is not None else None))
    return result


def language_for(ticket, recipient, audience):
    """The recipient's language: their account's, else (for requesters) the ticket's, else the site's."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=recipient, is_active=True).order_by("pk").first()
    return fallback_language(ticket, _user_language(user) if user else "", audience)


def fallback_language(ticket, language, audience):
    if not language and audience == REQUESTER and ticket is not None:
        language = ticket.language
    return language or settings.LANGUAGE_CODE or "en"
