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

A database that is there but *busy* ("database is locked" on SQLite, a deadlock or a lock timeout on
PostgreSQL) is not "unavailable": that page says what happened instead, that what was sent was not
saved and should be sent again. On SQLite it should not happen at all: give the database
``"OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20}`` (Django 5.1+), so that writers wait
their turn instead of failing (see the example site's settings).

``OversizedFormMiddleware`` (place it before ``CsrfViewMiddleware``) answers a form post whose text is
larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with the form and an error, instead of Django's bare 400.
"""

import functools
import logging
import mmap
import sys
import tempfile

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from .conf import support_settings

logger = logging.getLogger(__name__)

# Seconds the visitor's browser (or a proxy) is told to wait before trying again.
RETRY_AFTER = 5
TEMPLATE = "wagtail_support/503.html"
_MARK = "_wagtail_support_database_unavailable"


# What a database says when another transaction holds what this one needs: SQLite's busy errors, and
# PostgreSQL's serialization failure, deadlock and lock timeout (SQLSTATE codes).
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database schema is locked")
_BUSY_SQLSTATES = {"40001", "40P01", "55P03"}


def _chain(error):
    seen = set()
    while error is not None and id(error) not in seen:
        yield error
        seen.add(id(error))
        error = error.__cause__ or error.__context__


def is_database_busy(error):
    """Whether ``error`` (or what caused it) is the database busy with other writers, not gone."""
    for link in _chain(error):
        if isinstance(link, OperationalError):
            if any(message in str(link).lower() for message in _BUSY_MESSAGES):
                return True
            cause = link.__cause__
            if getattr(cause, "sqlstate", None) in _BUSY_SQLSTATES or getattr(cause, "pgcode", None) in _BUSY_SQLSTATES:
                return True
    return False


def is_database_unavailable(error):
    """Whether ``error`` (or what caused it) is a lost or refused database connection.

    Django raises ``OperationalError`` when the server cannot be reached, shuts down or drops the
    connection, and ``InterfaceError`` for a connection that is already closed. A busy database
    (``is_database_busy``) is not unavailable.
    """
    if is_database_busy(error):
        return False
    return any(isinstance(link, (OperationalError, InterfaceError)) for link in _chain(error))


def service_unavailable(request=None, busy=False):
    """The 503 response: the page in the active language, never cached, with ``Retry-After``.

    ``busy``: the database was there but busy with other writers (it says so, rather than "unavailable").
    """
    context = {"retry_after": RETRY_AFTER, "busy": busy}
    response = HttpResponse(render_to_string(TEMPLATE, context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


def _remember_database_error(sender, request=None, **kwargs):
    # Django sends this signal while it turns an uncaught exception into a 500, from inside the
    # ``except`` block: the exception is the one being handled.
    error = sys.exc_info()[1]
    if request is not None and (is_database_busy(error) or is_database_unavailable(error)):
        setattr(request, _MARK, "busy" if is_database_busy(error) else "unavailable")


class DatabaseUnavailableMiddleware:
    """Answer 503 (with ``Retry-After``) when a request fails because the database is unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_remember_database_error, dispatch_uid="wagtail_support_database_unavailable")

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            # Raised by a middleware after this one (Django already made it a 500): answer 503 instead.
            return service_unavailable(request, busy=getattr(request, _MARK) == "busy")
        return response

    def process_exception(self, request, exception):
        if is_database_busy(exception):
            logger.warning(
                "Database busy, answering 503 to %s %s: %s (on SQLite, set the database's OPTIONS "
                '{"transaction_mode": "IMMEDIATE", "timeout": 20} so that writers wait their turn)',
                request.method,
                request.path,
                exception,
            )
            return service_unavailable(request, busy=True)
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable, answering 503 to %s %s: %s", request.method, request.path, exception)
        return service_unavailable(request)


# Form posts larger than DATA_UPLOAD_MAX_MEMORY_SIZE ------------------------------------------------------

#: The request attribute that names the fields ``OversizedFormMiddleware`` cut (a set of field names).
CUT_FIELDS = "wagtail_support_cut_fields"
_COPY_CHUNK = 1024 * 1024


def _largest_form_body():
    # The largest post worth reading again: the attachments a message may carry, and room for text. A
    # larger one is left to Django (its 400 when its text is too large).
    return support_settings.MAX_MESSAGE_ATTACHMENTS_SIZE + 8 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def kept_length():
    """How many characters of an oversized field are kept: the description's maximum, so the form says so."""
    return support_settings.DESCRIPTION_MAX_LENGTH or settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 8


class OversizedFormMiddleware:
    """A form post whose text is larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``: the form and an error, not a 400.

    Django refuses such a post with a bare 400 (``RequestDataTooBig``) when something first reads
    ``request.POST`` (the CSRF check), and the visitor loses what they wrote. For a multipart post (the
    ticket and reply forms, which carry files) of at most the attachments' size limit plus some text,
    this middleware reads the body into a temporary file first; when one of its text fields is too large
    for Django, the field is cut to its first ``WAGTAILSUPPORT_DESCRIPTION_MAX_LENGTH`` characters and
    its name is put in ``request.wagtail_support_cut_fields``, where the support page finds it and says
    so next to the field. Files and the other fields are parsed by Django as usual.

    Place it before ``django.middleware.csrf.CsrfViewMiddleware``. Posts within Django's limit are not
    touched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _may_be_oversized(request):
            # Parsed lazily, as Django does, when the CSRF check or the view first reads request.POST.
            request.parse_file_upload = functools.partial(_parse_cutting_fields, request)
        return self.get_response(request)


def _may_be_oversized(request):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or request.method != "POST" or request.content_type != "multipart/form-data":
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit < length <= _largest_form_body()


def _parse_cutting_fields(request, META, data):
    """``HttpRequest.parse_file_upload`` for a post that may hold an oversized text field."""
    parse = functools.partial(type(request).parse_file_upload, request)
    boundary = (request.content_params or {}).get("boundary", "").encode("ascii", "ignore")
    length = int(META.get("CONTENT_LENGTH") or 0)
    with tempfile.TemporaryFile() as body:
        copied = 0
        while copied < length:
            chunk = data.read(min(_COPY_CHUNK, length - copied))
            if not chunk:
                break
            body.write(chunk)
            copied += len(chunk)
        body.flush()
        if not boundary or not copied:
            body.seek(0)
            return parse({**META, "CONTENT_LENGTH": str(copied)}, body)
        with mmap.mmap(body.fileno(), 0, access=mmap.ACCESS_READ) as view:
            oversized = list(_oversized_fields(view, boundary, _cut_size()))
            if not oversized:
                body.seek(0)
                return parse({**META, "CONTENT_LENGTH": str(copied)}, body)
            with tempfile.TemporaryFile() as rewritten:
                position = 0
                for start, end, _name in oversized:
                    _copy(view, rewritten, position, start)
                    kept = view[start : start + _cut_size()].decode("utf-8", "ignore")[: kept_length()]
                    rewritten.write(kept.encode("utf-8"))
                    position = end
                _copy(view, rewritten, position, len(view))
                size = rewritten.tell()
                rewritten.seek(0)
                post, files = parse({**META, "CONTENT_LENGTH": str(size)}, rewritten)
    names = {name for _start, _end, name in oversized}
    setattr(request, CUT_FIELDS, names)
    logger.info("A post to %s had text fields over DATA_UPLOAD_MAX_MEMORY_SIZE, cut: %s", request.path, sorted(names))
    return post, files


def _cut_size():
    # Bytes of a field kept before decoding: enough for the kept characters in UTF-8, far below the limit.
    return min(4 * kept_length() + 4, settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 4)


def _copy(view, out, start, end):
    while start < end:
        step = min(_COPY_CHUNK, end - start)
        out.write(view[start : start + step])
        start += step


def _oversized_fields(view, boundary, cut_size):
    """(content start, content end, field name) of each text part longer than ``cut_size`` bytes."""
    delimiter = b"--" + boundary
    position = view.find(delimiter)
    while position != -1:
        position += len(delimiter)
        if view[position : position + 2] == b"--":
            return  # the closing delimiter
        line_end = view.find(b"\r\n", position)
        headers_end = view.find(b"\r\n\r\n", line_end)
        if line_end == -1 or headers_end == -1:
            return
        headers = bytes(view[line_end + 2 : headers_end]) if headers_end > line_end else b""
        content_start = headers_end + 4
        content_end = view.find(b"\r\n" + delimiter, content_start)
        if content_end == -1:
            return
        lowered = headers.lower()
        is_text = b"filename" not in lowered and b"content-transfer-encoding" not in lowered
        if is_text and content_end - content_start > cut_size:
            yield content_start, content_end, _field_name(headers)
        position = content_end + 2


def _field_name(headers):
    for line in headers.split(b"\r\n"):
        name, _colon, value = line.partition(b":")
        if name.strip().lower() == b"content-disposition":
            for param in value.split(b";"):
                key, _equals, quoted = param.strip().partition(b"=")
                if key.strip().lower() == b"name":
                    return quoted.strip().strip(b'"').decode("utf-8", "replace")
    return ""
