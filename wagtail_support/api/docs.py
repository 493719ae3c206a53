"""The API's OpenAPI 3 schema (drf-spectacular) and its docs page (Swagger UI from drf-spectacular-sidecar).

drf-spectacular rather than DRF's own generator: DRF deprecated ``rest_framework.schemas.openapi`` and its
output has no security schemes, no documented error bodies and no typed ``SerializerMethodField``.

The schema holds this API only (``only_this_api``), whatever else the site serves with DRF, and its settings
are the package's (``SETTINGS``, applied to this view only): a site's ``SPECTACULAR_SETTINGS`` are left to its
own APIs. The docs page loads Swagger UI from the site's own static files (the sidecar app): nothing from
another host, not even Swagger's online validator.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The personal access token, as the schema's security scheme ("Authorize" on the docs page)."""

    target_class = "wagtail_support.api.authentication.ApiTokenAuthentication"
    name = "supportToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (Account › Support API tokens, or manage.py support_api_token).",
        }


def only_this_api(endpoints, **kwargs):
    """drf-spectacular's preprocessing hook: the endpoints of ``wagtail_support.api`` only."""
    return [
        endpoint for endpoint in endpoints
        if getattr(endpoint[3], "__module__", "") == "wagtail_support.api.views"
    ]  # fmt: skip


SETTINGS = {
    "TITLE": "wagtail-support API",
    "DESCRIPTION": (
        "The support's tickets for agents and scripts, with a personal access token in "
        "`Authorization: Bearer <token>`. A token acts as its user: it sees and does what they can in the "
        "admin. Errors are `{\"detail\": ..., \"errors\": {field: [messages]}}` in the request's language."
    ),
    "VERSION": "1",
    "PREPROCESSING_HOOKS": ["wagtail_support.api.docs.only_this_api"],
    "COMPONENT_SPLIT_REQUEST": True,
}


class SchemaView(SpectacularAPIView):
    """``schema/``: YAML by default, JSON with ``?format=json`` or ``Accept: application/vnd.oai.openapi+json``."""

    authentication_classes = []
    permission_classes = [AllowAny]
    custom_settings = SETTINGS
    serve_public = True


class DocsView(TemplateView):
    """``docs/``: Swagger UI over the schema, every file of it served by the site itself."""

    template_name = "wagtail_support/api/docs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        settings = {
            "url": reverse("wagtail_support_api:schema") + "?format=json",
            "dom_id": "#swagger-ui",
            "deepLinking": True,
            "persistAuthorization": False,
            # Swagger UI checks schemas with an online validator by default: never from here.
            "validatorUrl": None,
        }
        context.update({"title": _("Support API"), "swagger_settings": settings, "schema_url": settings["url"]})
        return context
