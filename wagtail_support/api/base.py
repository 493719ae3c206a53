"""The API views' common ground: the token, the permissions, the limits, the language and the errors.

**Errors** are JSON: ``{"detail": "<a sentence>", "errors": {"<field>": ["<message>"]}}``, with the messages
the forms and the workflow give (``errors.WorkflowError``), translated:

- 400: input the forms or the workflow refuse (``InvalidInput``, with its field), filters or a cursor;
- 401: no token, or a token not valid, expired or revoked; 403: not an agent, or a read-only token writing;
- 404: a ticket (or attachment) that does not exist or that the token's user may not work: the same answer;
- 409: a move the lifecycle refuses from the ticket's status, or a ticket changed since ``version``;
- 429: too many requests for the token (``Retry-After``).

**Language**: the request's ``Accept-Language`` when it names one of ``LANGUAGES``, else the user's admin
language (their Wagtail profile), else the site's. The response is rendered in that language before it
leaves the view.
"""

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.users.models import UserProfile

from .. import workflow
from .authentication import ApiTokenAuthentication
from .permissions import IsSupportAgent, TokenAccess
from .throttling import ApiTokenThrottle


def error_response(detail, errors=None, status_code=status.HTTP_400_BAD_REQUEST, headers=None):
    return Response({"detail": str(detail), "errors": errors or {}}, status=status_code, headers=headers)


def field_errors(errors):
    """A form's or a serializer's errors as ``{field: [messages]}`` (``non_field_errors`` for the rest)."""
    found = {}
    for field, messages in (errors or {}).items():
        name = "non_field_errors" if field in ("__all__", None) else str(field)
        if isinstance(messages, dict):
            messages = [str(message) for value in messages.values() for message in value]
        found[name] = [str(getattr(message, "message", message)) for message in messages]
    return found


def workflow_error_response(error):
    """A move the workflow refused, in the API's terms."""
    if isinstance(error, workflow.InvalidInput):
        errors = {error.field: [str(error)]} if error.field else {}
        return error_response(str(error), errors, status.HTTP_400_BAD_REQUEST)
    if isinstance(error, (workflow.IllegalTransition, workflow.TicketChanged)):
        return error_response(str(error), {}, status.HTTP_409_CONFLICT)
    if isinstance(error, workflow.NotAllowed):
        return error_response(str(error), {}, status.HTTP_403_FORBIDDEN)
    return error_response(str(error), {}, status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    """DRF's exceptions and the workflow's refusals as the API's JSON errors."""
    if isinstance(exc, workflow.WorkflowError):
        return workflow_error_response(exc)
    if isinstance(exc, Http404):
        return error_response(_("Not found."), status_code=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = "%d" % exc.wait
        if isinstance(exc, exceptions.ValidationError):
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            return error_response(_("Some values are not valid."), field_errors(detail), exc.status_code, headers)
        if isinstance(exc, exceptions.Throttled):
            detail = _("Too many requests with this token. Try again in %(seconds)d seconds.") % {
                "seconds": max(1, int(exc.wait or 1))
            }
            return error_response(detail, status_code=exc.status_code, headers=headers)
        return error_response(str(exc.detail), status_code=exc.status_code, headers=headers)
    return None


def _header_language(request):
    """A language of ``LANGUAGES`` the request's Accept-Language asks for, or ``None``."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if not header:
        return None
    for accepted, _quality in parse_accept_lang_header(header):
        if accepted == "*":
            break
        try:
            return translation.get_supported_language_variant(accepted)
        except LookupError:
            continue
    return None


class SupportAPIView(APIView):
    """An endpoint for agents, with a personal access token."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsSupportAgent, TokenAccess]
    throttle_classes = [ApiTokenThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    # The version is in the address (v1/): none of the site's REST_FRAMEWORK versioning applies here.
    versioning_class = None
    # drf-spectacular's, whatever the site's DEFAULT_SCHEMA_CLASS (``docs``).
    schema = AutoSchema()

    def get_exception_handler(self):
        return exception_handler

    def dispatch(self, request, *args, **kwargs):
        self.header_language = _header_language(request)
        with translation.override(self.header_language or translation.get_language() or settings.LANGUAGE_CODE):
            response = super().dispatch(request, *args, **kwargs)
            # Rendered here, in the request's language (lazy texts would be rendered after it otherwise).
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def perform_authentication(self, request):
        super().perform_authentication(request)
        # Before the permissions: their refusals are in the user's language too.
        if self.header_language is None and request.user.is_authenticated:
            preferred = (
                UserProfile.objects.filter(user_id=request.user.pk).values_list("preferred_language", flat=True).first()
            )
            if preferred:
                try:
                    translation.activate(translation.get_supported_language_variant(preferred))
                except LookupError:
                    pass
