"""Anymail's webhook URLs, with inbound views that never answer 5xx because of a mail's content.

Include it instead of ``anymail.urls``, at the same place (the URL names stay Anymail's)::

    path("anymail/", include("wagtail_support.inbound.webhooks")),

Anymail's views authenticate the post (the webhook secret, the ESP's signature), parse the ESP's payload
into a message, and send the ``inbound`` signal that ``inbound.handler`` receives. Some payloads make the
parsing itself fail, before any signal: a bounce whose sender is ``<>`` or ``MAILER-DAEMON`` (Postmark's
``FromFull``), an event without a message. An ESP retries a 5xx for hours or days, so each inbound view
here records such a post on an ``InboundMail`` row (``FAILED``, the error and the payload), where a
supervisor sees it under Incoming mail, and answers 200. A post that fails authentication is still
refused (4xx), and a database that cannot be reached still answers 5xx, so that the ESP tries again.
"""

import hashlib
import json
import logging

from anymail import urls as anymail_urls
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.urls import URLPattern

from ..middleware import is_database_unavailable
from ..models import InboundMail
from .handler import MAX_RAW

logger = logging.getLogger(__name__)

app_name = anymail_urls.app_name


def _payload_text(request):
    """The post as text: its body, or (a form whose body was read as it was parsed) its fields and the
    names and sizes of its files."""
    try:
        return (request.body or b"").decode("utf-8", "replace")
    except RawPostDataException:
        fields = {key: request.POST.getlist(key) for key in request.POST}
        files = {key: [(f.name, f.size) for f in request.FILES.getlist(key)] for key in request.FILES}
        return json.dumps({"fields": fields, "files": files}, ensure_ascii=False, default=str)


def record_failed_post(esp_name, request, error):
    """The ``FAILED`` record of an inbound post the ESP's parser could not read (once per payload)."""
    payload = _payload_text(request)
    key = "post:" + hashlib.sha256(payload.encode("utf-8", "replace")).hexdigest()
    record, _created = InboundMail.objects.get_or_create(
        dedupe_key=key,
        defaults={
            "esp_name": (esp_name or "")[:50],
            "status": InboundMail.Status.FAILED,
            "reason": InboundMail.Reason.ERROR,
            "note": f"The ESP's post could not be read: {type(error).__name__}: {error}"[:2000],
            "raw": payload.replace("\x00", "")[:MAX_RAW],
        },
    )
    return record


class RecordFailuresMixin:
    """An inbound view whose parsing failures are recorded and answered 200 (see the module docstring)."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except SuspiciousOperation:
            raise  # the webhook secret or the ESP's signature did not check out: 400, nothing recorded
        except Exception as error:  # noqa: BLE001 - a mail's content must never make the webhook fail
            if is_database_unavailable(error):
                raise
            logger.exception("Could not read an inbound post from %s", getattr(self, "esp_name", "?"))
            record_failed_post(getattr(self, "esp_name", ""), request, error)
            return HttpResponse(status=200)


class SafePostmarkAddressesMixin:
    """Postmark gives the sender as ``FromFull``; Anymail cannot make an address of a bounce's empty or
    domain-less one (``<>``, ``MAILER-DAEMON``). The message is built without it, so the handler reads
    the mail as one with a null sender, which it is."""

    @classmethod
    def _address(cls, full):
        try:
            return super()._address(full)
        except Exception:  # noqa: BLE001 - an address Python cannot parse is no address
            return ""


def _robust(pattern):
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None or not (pattern.name or "").endswith("_inbound_webhook"):
        return pattern
    mixins = (RecordFailuresMixin,)
    if issubclass(view_class, PostmarkInboundWebhookView):
        mixins += (SafePostmarkAddressesMixin,)
    robust_class = type(view_class.__name__, (*mixins, view_class), {"__module__": __name__})
    view = robust_class.as_view(**(pattern.callback.view_initkwargs or {}))
    return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)


urlpatterns = [_robust(pattern) for pattern in anymail_urls.urlpatterns]
