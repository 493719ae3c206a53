"""A 503 page, instead of a 500, while the database is unreachable.

When PostgreSQL restarts or fails over, the requests in flight lose their connection. Without this
middleware they end in Django's 500 page (and its error mail). With it, the visitor gets a short page
in their language that says the service is unavailable for a moment, with ``Retry-After``; the
transaction of the request was rolled back by the database, so nothing was half written, and the next
request, on a fresh connection (``CONN_HEALTH_CHECKS = True``), works again.

Add it first in ``MIDDLEWARE``, so that it also answers for the errors of the other middleware (the
session saved after the view, for example)::

    MIDDLEWARE = [
        "wagtail_support.middleware.DatabaseUnavailableMiddleware",
        "django.middleware.security.SecurityMiddleware",
        # ...
    ]

The page (``wagtail_support/503.html``) is rendered without the request's context processors and
without the database: no site settings, no user, no page tree. Override the template to brand it; keep
it free of anything that queries the database.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# Seconds the visitor's browser (or a proxy) is told to wait before trying again.
RETRY_AFTER = 5
TEMPLATE = "wagtail_support/503.html"
_MARK = "_wagtail_support_database_unavailable"


def is_database_unavailable(error):
    """Whether ``error`` (or what caused it) is a lost or refused database connection.

    Django raises ``OperationalError`` when the server cannot be reached, shuts down or drops the
    connection, and ``InterfaceError`` for a connection that is already closed.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def service_unavailable(request=None):
    """The 503 response: the page in the active language, never cached, with ``Retry-After``."""
    response = HttpResponse(render_to_string(TEMPLATE, {"retry_after": RETRY_AFTER}), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


def _remember_database_error(sender, request=None, **kwargs):
    # Django sends this signal while it turns an uncaught exception into a 500, from inside the
    # ``except`` block: the exception is the one being handled.
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, _MARK, True)


class DatabaseUnavailableMiddleware:
    """Answer 503 (with ``Retry-After``) when a request fails because the database is unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_remember_database_error, dispatch_uid="wagtail_support_database_unavailable")

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            # Raised by a middleware after this one (Django already made it a 500): answer 503 instead.
            return service_unavailable(request)
        return response

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable, answering 503 to %s %s: %s", request.method, request.path, exception)
        return service_unavailable(request)
