"""Who else has a ticket open: "Sophie is viewing", "Sophie is replying".

Kept in Django's cache (the alias of ``WAGTAILSUPPORT_RATE_LIMIT_CACHE``, shared by the web servers like
the rate limits), never in the database: one entry per ticket, a small dict of the agents who polled it
in the last ``PRESENCE_TTL`` seconds. The workspace page records its agent as viewing and signs a token
(ticket and account) after the permission policy let them see the ticket; the poll
(``wagtail_support:ticket_presence``, every ~10 s while the tab is visible) shows that token instead of
asking the database again, so it costs no query of its own.

The poll is served by the app's own URLs (``wagtail_support.urls``), not the admin's: Wagtail wraps every
admin URL in its access check and the user's language, three queries more per poll (five instead of the
session and the account); the signed token is the access check here.
"""

import time

from django.core import signing
from django.core.cache import caches
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import View

from django.urls import reverse

from .conf import support_settings
from .models import person_label

# An agent who has not polled for this long has left.
PRESENCE_TTL = 30
# The page polls this often (milliseconds, for the script).
POLL_INTERVAL_MS = 10_000
# A page's token is good this long (seconds); a reload makes a new one.
TOKEN_MAX_AGE = 8 * 60 * 60
SALT = "wagtail_support.admin.presence"
STATES = ("viewing", "replying")


def _cache():
    return caches[support_settings.RATE_LIMIT_CACHE]


def _key(ticket_pk):
    return f"wagtail_support:presence:{int(ticket_pk)}"


def make_token(ticket, user):
    """The page's proof that ``user`` may see ``ticket`` (checked when the page was made)."""
    return signing.dumps([int(ticket.pk), int(user.pk)], salt=SALT)


def token_is_valid(token, ticket_pk, user):
    try:
        ticket_id, user_id = signing.loads(token or "", salt=SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return False
    return ticket_id == int(ticket_pk) and user_id == user.pk


def record(ticket_pk, user, state):
    """Note that ``user`` has the ticket open (``state``: viewing or replying), or left it (``None``);
    return the others, as ``[{"name", "state", "text"}]``."""
    now = time.time()
    cache, key = _cache(), _key(ticket_pk)
    entries = {
        user_id: entry for user_id, entry in (cache.get(key) or {}).items() if now - entry["at"] < PRESENCE_TTL
    }
    me = str(user.pk)
    if state in STATES:
        entries[me] = {"name": person_label(user), "state": state, "at": now}
    else:
        entries.pop(me, None)
    # Two agents writing at the same moment may drop one entry until its next poll: fine for a hint.
    cache.set(key, entries, PRESENCE_TTL)
    return describe(entries, me)


def describe(entries, me):
    others = sorted((entry for user_id, entry in entries.items() if user_id != me), key=lambda entry: entry["name"])
    return [{"name": entry["name"], "state": entry["state"], "text": _sentence(entry)} for entry in others]


def _sentence(entry):
    if entry["state"] == "replying":
        return _("%(name)s is replying") % {"name": entry["name"]}
    return _("%(name)s is viewing") % {"name": entry["name"]}


def page_context(ticket, user):
    """What the workspace shows and gives its script: the others now, the token, the poll's address."""
    return {
        "others": record(ticket.pk, user, "viewing"),
        "token": make_token(ticket, user),
        "url": reverse("wagtail_support:ticket_presence", args=[ticket.pk]),
        "interval": POLL_INTERVAL_MS,
    }


class PresenceView(View):
    """The poll: records this agent's state, answers with the others (JSON). POST with the CSRF token,
    the page's signed token for this ticket and account; no database query of its own."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not request.user.is_authenticated or not token_is_valid(request.POST.get("token"), pk, request.user):
            return JsonResponse({"error": "forbidden"}, status=403)
        state = request.POST.get("state")
        others = record(pk, request.user, state if state in STATES else None)
        return JsonResponse({"others": others})
