"""Limits on what visitors may send: how often (counted in Django's cache) and how much.

Rate limits stop robots, not people.

Each action (submitting a ticket, replying, asking for links) has a number of *accepted* posts allowed per
client address and window of seconds (``WAGTAILSUPPORT_RATE_LIMITS``). A post that the page turns down
(a mistake in the form, a refusal of the workflow) gives its count back and counts against the
``"invalid"`` limit instead, which is higher: a visitor who makes three mistakes, or an office behind one
address, is not locked out, while a robot that posts garbage is.

A post is counted before it is processed (``reserve``), so that posts sent at the same instant cannot
all slip under the limit, and ``settle`` gives the count back once the page answered with the form
again. A refused post is answered **429** with ``Retry-After``, on the same page, with what was typed
kept and a sentence that says when to try again.

"Find my tickets" is also limited per *recipient* address (``"find_recipient"``), whatever the client
address, so that many clients cannot flood one mailbox; that limit is silent, as the answer never says
whether an address is known.

The address is the client's IP address; behind a proxy, ``WAGTAILSUPPORT_CLIENT_IP_HEADER`` names the
header that carries it (for example ``HTTP_X_FORWARDED_FOR``; only its first address is used).

Size: a text field too large for Django (``DATA_UPLOAD_MAX_MEMORY_SIZE``) is cut by
``middleware.OversizedFormMiddleware``; ``note_cut_fields`` says so on the form.
"""

import datetime
import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from .conf import support_settings
from .middleware import CUT_FIELDS, kept_length

INVALID = "invalid"
RECIPIENT = "find_recipient"
_RESERVED = "_wagtail_support_limits_reserved"
_ACCEPTED = "_wagtail_support_limits_accepted"
_REFUSAL = "_wagtail_support_limits_refusal"


@dataclass(frozen=True)
class Refusal:
    """A post turned down by a limit: how long to wait, and the sentence that says so."""

    retry_after: int

    @property
    def message(self):
        # Whole minutes, rounded up: "Try again in 1 minute" rather than "in 0 minutes".
        minutes = max(1, math.ceil(self.retry_after / 60))
        now = timezone.now()
        wait = timeuntil(now + datetime.timedelta(minutes=minutes), now, depth=2)
        return _("Too many requests from your address. Try again in %(time)s.") % {"time": wait}


def client_address(request):
    header = support_settings.CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _limit(action):
    limit = (support_settings.RATE_LIMITS or {}).get(action)
    return tuple(limit) if limit else None


def _cache():
    return caches[support_settings.RATE_LIMIT_CACHE]


def _key(action, who, window, now):
    bucket = int(now // window)
    digest = hashlib.sha256(who.encode()).hexdigest()[:32]
    return f"wagtail_support:rl:{action}:{digest}:{bucket}"


def _seconds_left(window, now):
    return max(1, math.ceil(window - now % window))


def _add(action, who, amount=1):
    """Add ``amount`` to the count of ``action`` by ``who`` in the current window; the new count."""
    count, window = _limit(action)
    cache = _cache()
    key = _key(action, who, window, time.time())
    # add() then incr() is atomic on memcached and Redis, and good enough on the local-memory cache.
    cache.add(key, 0, timeout=window + 5)
    try:
        return cache.incr(key, amount)
    except ValueError:
        # The key expired between add() and incr().
        cache.set(key, max(amount, 0), timeout=window + 5)
        return max(amount, 0)


def _count(action, who):
    count, window = _limit(action)
    return _cache().get(_key(action, who, window, time.time()), 0)


def _refusal(action):
    return Refusal(retry_after=_seconds_left(_limit(action)[1], time.time()))


def reserve(request, action):
    """Count one post of ``action`` from the request's address, before it is processed.

    Returns ``None`` when the post may go on, else a ``Refusal`` (and nothing is counted). The count is
    given back by ``settle`` when the page answers with the form again.
    """
    who = client_address(request)
    if _limit(INVALID) and _count(INVALID, who) >= _limit(INVALID)[0]:
        return _refusal(INVALID)
    if not _limit(action):
        return None
    if _add(action, who) > _limit(action)[0]:
        _add(action, who, -1)
        return _refusal(action)
    setattr(request, _RESERVED, [*getattr(request, _RESERVED, []), action])
    return None


def accepted(request):
    """The post was accepted even though the page answers 200 (it keeps what ``reserve`` counted)."""
    setattr(request, _ACCEPTED, True)


def give_back(request):
    """The post was the same form sent again (a double click, the back button): it stored nothing new, so
    what ``reserve`` counted is given back, and it counts as no mistake either."""
    reserved = getattr(request, _RESERVED, [])
    who = client_address(request)
    for action in reserved:
        _add(action, who, -1)
    setattr(request, _RESERVED, [])


def refuse(request, form, refusal):
    """Show ``refusal`` on ``form`` (what was typed stays) and have the page answer 429 (``settle``)."""
    form.add_error(None, refusal.message)
    setattr(request, _REFUSAL, refusal)


def settle(request, response):
    """After the page answered: give back the count of a post it turned down, and answer a refused one 429.

    A post is accepted when the page redirects (the ticket or the reply was stored) or said so with
    ``accepted``; any other answer shows the form again, and counts against the ``"invalid"`` limit.
    """
    reserved = getattr(request, _RESERVED, [])
    if reserved and not getattr(request, _ACCEPTED, False) and not 300 <= response.status_code < 400:
        who = client_address(request)
        for action in reserved:
            _add(action, who, -1)
        if _limit(INVALID):
            _add(INVALID, who)
        setattr(request, _RESERVED, [])
    refusal = getattr(request, _REFUSAL, None)
    if refusal is not None:
        response.status_code = 429
        response["Retry-After"] = str(refusal.retry_after)
    return response


def allow_recipient(email):
    """Whether one more "find my tickets" mail may go to ``email`` in this window (counts it when so)."""
    if not _limit(RECIPIENT):
        return True
    who = (email or "").strip().lower()
    if _add(RECIPIENT, who) > _limit(RECIPIENT)[0]:
        _add(RECIPIENT, who, -1)
        return False
    return True


def note_cut_fields(request, form):
    """An error on each field of ``form`` that ``OversizedFormMiddleware`` cut: what was kept is shown."""
    cut = getattr(request, CUT_FIELDS, ())
    for name in form.fields:
        if form.add_prefix(name) in cut:
            limit = number_format(kept_length(), force_grouping=True)
            form.add_error(
                name,
                _(
                    "This text was too long to be sent: only its first %(limit)s characters are kept below. "
                    "Shorten it, or attach the long parts as a file."
                )
                % {"limit": limit},
            )
