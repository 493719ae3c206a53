"""A per-address limit on what visitors may send, kept in Django's cache.

Each action (submitting a ticket, replying, asking for links) has a number of requests allowed per
window of seconds (``WAGTAILSUPPORT_RATE_LIMITS``). The address is the client's IP address; behind a
proxy, ``WAGTAILSUPPORT_CLIENT_IP_HEADER`` names the header that carries it (for example
``HTTP_X_FORWARDED_FOR``; only its first address is used).
"""

import hashlib
import time

from django.core.cache import caches

from .conf import support_settings


def client_address(request):
    header = support_settings.CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(action, address, window):
    bucket = int(time.time() // window)
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"wagtail_support:rl:{action}:{digest}:{bucket}"


def allow(request, action):
    """Count one ``action`` from the request's address; ``False`` when over the limit."""
    limits = support_settings.RATE_LIMITS
    if action not in limits or not limits[action]:
        return True
    count, window = limits[action]
    cache = caches[support_settings.RATE_LIMIT_CACHE]
    key = _key(action, client_address(request), window)
    # add() then incr() is atomic on memcached and Redis, and good enough on the local-memory cache.
    cache.add(key, 0, timeout=window + 5)
    try:
        current = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window + 5)
        current = 1
    return current <= count
