"""Support › Personal data: what the support holds about a person, their export, their erasure
(``wagtail_support.privacy`` does the work; see its docstring for what each one covers).

For supervisors given ``erase_personal_data`` (``access.can_manage_personal_data``; the policy's action
``"personal_data"``); anyone else is refused as everywhere in Wagtail's admin (sent back to the dashboard
with an error, or to the login page; a 403 for a script). The person is searched by address or username (GET: reading
changes nothing). The export is a POST (it writes a log entry on each ticket exported, so it is not a
link a browser may prefetch); the erasure is confirmed on a page of its own by typing the address (or
username) again, and only that POST erases. Each export and erasure is logged on the tickets, naming the
person by a hash only.

URLs (``admin.urls``): ``support/personal-data/`` (``personal_data``), ``.../export/``
(``personal_data_export``), ``.../erase/`` (``personal_data_erase``).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.log_actions import LogFormatter

from .. import privacy
from ..access import can_manage_personal_data, is_agent, ticket_policy
from ..models import Ticket
from ..workflow import LOG_PREFIX
from .paths import admin_url, ticket_url

# At most this many tickets are listed on the page (the counts say how many there are).
LISTED = 100


class PersonForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Email address or username"),
        max_length=254,
        help_text=gettext_lazy("The address the person wrote from, or the username of their account."),
    )

    def clean_q(self):
        value = self.cleaned_data["q"].strip()
        if "@" in value:
            try:
                validate_email(value)
            except ValidationError as error:
                raise ValidationError(_("Enter a valid email address, or a username.")) from error
        return value

    def who(self):
        value = self.cleaned_data["q"]
        return privacy.person(email=value) if "@" in value else privacy.person(user=value)


class ConfirmForm(PersonForm):
    confirm = forms.CharField(
        label=gettext_lazy("Type the address or username again to confirm"),
        max_length=254,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if "q" in cleaned and (cleaned.get("confirm") or "").strip().lower() != cleaned["q"].lower():
            self.add_error("confirm", _("Type exactly the address or username being erased to confirm."))
        return cleaned


class PersonalDataMixin(PermissionCheckedMixin, WagtailAdminTemplateMixin):
    permission_policy = ticket_policy
    permission_required = "personal_data"
    header_icon = "user"
    page_title = gettext_lazy("Personal data")

    def get_breadcrumbs_items(self):
        items = [{"url": reverse("wagtailadmin_home"), "label": _("Home")}]
        items.append({"url": admin_url("personal_data"), "label": _("Personal data")})
        if self.get_page_title() != _("Personal data"):
            items.append({"url": "", "label": self.get_page_title()})
        return items

    def render(self, template, context, status=200):
        context = {**self.get_context_data(), **context}
        return TemplateResponse(self.request, f"wagtail_support/admin/privacy/{template}", context, status=status)

    def held(self, who):
        holdings = privacy.find(who=who)
        tickets = Ticket.objects.filter(pk__in=holdings.ticket_ids()).select_related("team").order_by("-created_at")
        rows = [
            {
                "ticket": ticket,
                "url": ticket_url(ticket),
                "roles": [str(privacy.ROLE_LABELS[role]) for role in sorted(holdings.tickets[ticket.pk])],
            }
            for ticket in tickets[:LISTED]
        ]
        return {
            "holdings": holdings,
            "counts": holdings.counts(),
            "tickets": rows,
            "more": max(len(holdings.tickets) - LISTED, 0),
            "agents": [user for user in who.users if is_agent(user)],
        }


class PersonalDataView(PersonalDataMixin, View):
    """The search, and what is held about the person found."""

    @method_decorator(never_cache)
    def get(self, request):
        form = PersonForm(request.GET or None)
        context = {"form": form, "export_url": admin_url("personal_data_export"), "erase_url": admin_url("personal_data_erase")}
        if form.is_bound and form.is_valid():
            who = form.who()
            context.update(who=who, query=form.cleaned_data["q"], **(self.held(who) if who else {}))
        return self.render("search.html", context, status=400 if form.is_bound and not form.is_valid() else 200)


class PersonalDataExportView(PersonalDataMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = PersonForm(request.POST)
        if not form.is_valid() or not form.who():
            messages.error(request, _("Nobody is known by this address or username."))
            return redirect(admin_url("personal_data"))
        who = form.who()
        archive = privacy.export(who=who, actor=request.user)
        filename = f"personal-data-{privacy.subject_hash(who)}.zip"
        response = FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")
        response["Cache-Control"] = "no-store"
        return response


class PersonalDataEraseView(PersonalDataMixin, View):
    """GET: what would be erased, and the confirmation form; POST with the typed confirmation: the erasure."""

    @method_decorator(never_cache)
    def get(self, request):
        form = PersonForm(request.GET)
        if not form.is_valid() or not form.who():
            return redirect(admin_url("personal_data"))
        return self.confirm(ConfirmForm(initial={"q": form.cleaned_data["q"]}), form.who(), form.cleaned_data["q"])

    def post(self, request):
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            if "q" in form.cleaned_data and form.who():
                return self.confirm(form, form.who(), form.cleaned_data["q"], status=400)
            return redirect(admin_url("personal_data"))
        summary = privacy.erase(who=form.who(), actor=request.user)
        return self.render("erased.html", {"summary": summary, "rows": summary.rows(), "search_url": admin_url("personal_data")})

    def confirm(self, form, who, query, status=200):
        context = {"form": form, "query": query, "who": who, "action_url": admin_url("personal_data_erase"), **self.held(who)}
        context["open_tickets"] = sum(1 for row in context["tickets"] if not row["ticket"].is_closed)
        return self.render("confirm_erase.html", context, status=status)

    def get_page_title(self):
        return _("Erase personal data")


class PersonalDataMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_personal_data(request.user)


def register_privacy_log_actions(actions):
    """How the ticket's history reads an export and an erasure (registered by ``wagtail_hooks``)."""

    @actions.register_action(f"{LOG_PREFIX}.personal_data_erased")
    class ErasedFormatter(LogFormatter):
        label = gettext_lazy("Ticket: personal data erased")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            if data.get("retention"):
                return _("Erased the ticket's people and words: its retention period was over")
            return _("Erased the personal data of a person (%(person)s)") % {"person": data.get("person", "")}

    @actions.register_action(f"{LOG_PREFIX}.personal_data_exported")
    class ExportedFormatter(LogFormatter):
        label = gettext_lazy("Ticket: personal data exported")

        def format_message(self, log_entry):
            return _("Exported the personal data of a person (%(person)s)") % {"person": (log_entry.data or {}).get("person", "")}
