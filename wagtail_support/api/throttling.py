"""Requests per token: ``WAGTAILSUPPORT_API_RATES`` ``{"read": "120/min", "write": "30/min"}``, counted in
the rate limits' cache (``WAGTAILSUPPORT_RATE_LIMIT_CACHE``, to share between web servers), per token and
per kind of request (reads and writes apart: a script that reads a lot can still answer). A request over
the limit is answered 429 with ``Retry-After``.
"""

from django.core.cache import caches
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle

from ..conf import support_settings


class ApiTokenThrottle(SimpleRateThrottle):
    cache_format = "wagtail_support:api:%(scope)s:%(ident)s"

    def __init__(self):
        # The rate depends on the request (read or write): set in allow_request, not here.
        self.cache = caches[support_settings.RATE_LIMIT_CACHE]

    def get_rate(self):
        return (support_settings.API_RATES or {}).get(self.scope)

    def get_cache_key(self, request, view):
        token = request.auth
        if token is None or getattr(token, "pk", None) is None:
            return None  # no token: refused before (401), never counted
        return self.cache_format % {"scope": self.scope, "ident": token.pk}

    def allow_request(self, request, view):
        self.scope = "read" if request.method in SAFE_METHODS else "write"
        self.rate = self.get_rate()
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
