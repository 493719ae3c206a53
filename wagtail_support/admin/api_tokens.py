"""The agent's personal access tokens of the support API (``wagtail_support.api``), in the admin.

- ``SupportApiTokensPanel``: "Support API tokens" on the account page (its own tab): the agent's tokens and
  a link to manage them. The account page is one form, so creating and revoking happen on pages of their own.
- ``ApiTokensView`` (``support/api-tokens/``): the list and the form that creates a token. The new token is
  shown once, in the answer to that POST (never stored, never put in a session or an address), with
  ``Cache-Control: no-store``.
- ``RevokeApiTokenView`` (``support/api-tokens/<id>/revoke/``): a confirmation, then the POST (with CSRF)
  that revokes. Only the agent's own tokens: another's id is a 404.

Agents only (``ticket_policy`` ``"work"``): a token of someone else reaches no agent endpoint anyway.
"""

from datetime import timedelta

from django import forms
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail.admin import messages
from wagtail.admin.views.account import BaseSettingsPanel, SettingsTab
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from ..access import ticket_policy
from ..models import ApiToken
from .paths import admin_url

#: The choices of a new token's life, in days ("" never expires).
EXPIRY_CHOICES = [
    ("30", gettext_lazy("In 30 days")),
    ("90", gettext_lazy("In 90 days")),
    ("365", gettext_lazy("In a year")),
    ("", gettext_lazy("Never")),
]

api_tab = SettingsTab("wagtail_support_api", gettext_lazy("Support API"), order=300)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. “Nightly export”."),
    )
    access = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=ApiToken.Access.choices,
        initial=ApiToken.Access.READ,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Read only: list and read tickets. Read and write: also reply, note and move tickets."),
    )
    expires = forms.ChoiceField(label=gettext_lazy("Expires"), choices=EXPIRY_CHOICES, initial="90", required=False)

    def expires_at(self):
        days = self.cleaned_data.get("expires")
        return timezone.now() + timedelta(days=int(days)) if days else None


def token_rows(user):
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))


class SupportApiTokensPanel(BaseSettingsPanel):
    """The agent's tokens on the account page, read only, with the link to create and revoke them."""

    name = "wagtail_support_api_tokens"
    title = gettext_lazy("Support API tokens")
    tab = api_tab
    order = 100
    template_name = "wagtail_support/admin/api_tokens_panel.html"

    def is_active(self):
        return ticket_policy.user_has_permission(self.user, "work")

    def get_form(self):
        # Nothing of the account page's one form: an unbound empty form is never saved.
        return forms.Form(prefix=self.name)

    def get_context_data(self):
        return {"tokens": token_rows(self.user), "manage_url": admin_url("api_tokens"), "now": timezone.now()}


class ApiTokensMixin(PermissionCheckedMixin, WagtailAdminTemplateMixin):
    permission_policy = ticket_policy
    permission_required = "work"
    header_icon = "key"
    page_title = gettext_lazy("Support API tokens")

    def get_breadcrumbs_items(self):
        # Home › Account › Support API tokens: the tokens belong to the account page's "Support API" tab.
        return list(self.breadcrumbs_items) + [
            {"url": reverse("wagtailadmin_account"), "label": _("Account")},
            {"url": "", "label": self.get_page_title()},
        ]

    def render(self, context, status=200):
        response = TemplateResponse(self.request, self.template_name, {**self.get_context_data(), **context}, status=status)
        response["Cache-Control"] = "no-store"
        return response


class ApiTokensView(ApiTokensMixin, View):
    template_name = "wagtail_support/admin/api_tokens.html"
    http_method_names = ["get", "post"]

    @method_decorator(never_cache)
    def get(self, request):
        return self.show(ApiTokenForm())

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            return self.show(form, status=400)
        row, key = ApiToken.objects.issue(
            request.user, name=form.cleaned_data["name"], access=form.cleaned_data["access"], expires_at=form.expires_at()
        )
        # Shown in this answer only: the database keeps its hash.
        return self.show(ApiTokenForm(), created=row, key=key)

    def show(self, form, status=200, created=None, key=None):
        context = {
            "form": form,
            "tokens": token_rows(self.request.user),
            "created": created,
            "key": key,
            "action_url": admin_url("api_tokens"),
            "now": timezone.now(),
        }
        return self.render(context, status=status)


class RevokeApiTokenView(ApiTokensMixin, View):
    template_name = "wagtail_support/admin/api_token_revoke.html"
    http_method_names = ["get", "post"]

    def token(self, pk):
        token = ApiToken.objects.filter(user=self.request.user, pk=pk, revoked_at__isnull=True).first()
        if token is None:
            raise Http404
        return token

    @method_decorator(never_cache)
    def get(self, request, pk):
        return self.render({"token": self.token(pk), "action_url": admin_url("api_token_revoke", pk),
                            "back_url": admin_url("api_tokens")})

    def post(self, request, pk):
        token = self.token(pk)
        token.revoke()
        messages.success(request, _("The token “%(name)s” was revoked: it no longer opens the API.") % {"name": token.name})
        return redirect(admin_url("api_tokens"))
