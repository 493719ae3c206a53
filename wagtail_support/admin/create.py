""""New ticket" ("Nouveau ticket"): an agent opens a ticket for someone who wrote in, phoned or came by.

The requester is typed directly as a name and an address (what the seed recommends: it is the fast way)
or chosen among the existing accounts through an autocomplete. Without JavaScript the agent still types
the name and address, and an address that belongs to exactly one active account links the ticket to it.
The optional beneficiary works the same way. The service catalog entry decides the team (shown on the
form, decided for real by ``workflow.open_ticket``), which the agent may override.

Its URLs (``admin.urls``):

- ``support/tickets/new/`` (``ticket_create``): the form; agents only.
- ``support/requesters/autocomplete/?q=`` (``requester_autocomplete``): JSON for the autocomplete; agents
  only, active accounts only, at most ``AUTOCOMPLETE_LIMIT`` results, one query.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.generic.edit import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.models import Site

from .. import workflow
from ..access import ticket_policy
from ..adapter import get_adapter
from ..forms import AttachmentsField, CatalogChoiceField
from ..models import Category, Team, Ticket, person_label
from .paths import admin_url, inbox_url, ticket_url

AUTOCOMPLETE_MIN_LENGTH = 2
AUTOCOMPLETE_LIMIT = 10
# Longer queries are cut: nobody types 100 characters to find a person, and the SQL stays small.
AUTOCOMPLETE_MAX_LENGTH = 100
# "Paul Smith", "Smith Paul": each word must start one of the fields. More words than this are ignored.
AUTOCOMPLETE_MAX_WORDS = 3

# The channels an agent records a ticket from ("web" is the visitor's own form).
AGENT_CHANNELS = [
    (Ticket.Channel.EMAIL, Ticket.Channel.EMAIL.label),
    (Ticket.Channel.PHONE, Ticket.Channel.PHONE.label),
    (Ticket.Channel.IN_PERSON, Ticket.Channel.IN_PERSON.label),
    (Ticket.Channel.ADMIN, _("Other (typed in by the support team)")),
]


# The form -------------------------------------------------------------------------------------------------


@dataclass
class Person:
    user: object = None
    name: str = ""
    email: str = ""


def _text_input(**attrs):
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class AgentTicketForm(forms.Form):
    """The agent's "New ticket" form. ``clean()`` turns the typed people into ``Person`` values."""

    requester_name = forms.CharField(
        label=_("Requester name"),
        max_length=255,
        required=False,
        widget=_text_input(),
    )
    requester_email = forms.EmailField(
        label=_("Requester email address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    # Filled by the autocomplete when the agent picks an existing account.
    requester_user = forms.CharField(required=False, widget=forms.HiddenInput)

    beneficiary_name = forms.CharField(
        label=_("Beneficiary name"),
        max_length=255,
        required=False,
        widget=_text_input(),
    )
    beneficiary_email = forms.EmailField(
        label=_("Beneficiary email address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    beneficiary_user = forms.CharField(required=False, widget=forms.HiddenInput)

    category = CatalogChoiceField(
        label=_("Service catalog entry"),
        empty_label=_("None"),
        help_text=_("The entry decides which support team gets the ticket."),
    )
    team = forms.ModelChoiceField(
        label=_("Send to another team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("No, keep the team above"),
        help_text=_("Only when the ticket should not go to the team of its catalog entry."),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=Ticket.Kind.choices, initial=Ticket.Kind.QUESTION)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices, initial=Ticket.Priority.NORMAL)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=AGENT_CHANNELS,
        initial=Ticket.Channel.EMAIL,
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=255,
        widget=_text_input(),
        help_text=_("A summary of the request."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The request in the requester's words: they receive it in the confirmation mail."),
    )
    attachments = AttachmentsField()

    PEOPLE = ("requester", "beneficiary")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tree = Category.objects.tree()
        self.catalog = tree.active()
        self.category_by_id = {entry.pk: entry for entry in self.catalog}
        self.fields["category"].set_tree(tree)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name")
        self.default_team = get_adapter().get_default_team()
        self.people = {}

    # Validation -------------------------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        requester = self._clean_person("requester", required=True)
        beneficiary = self._clean_person("beneficiary", required=False)
        if requester is not None and beneficiary is not None and _same_person(requester, beneficiary):
            beneficiary = None  # "if different from the requester": the same person is no beneficiary
        self.people = {"requester": requester, "beneficiary": beneficiary}
        return cleaned

    def _clean_person(self, role, *, required):
        name_field, email_field, user_field = f"{role}_name", f"{role}_email", f"{role}_user"
        if email_field in self.errors or name_field in self.errors:
            return None
        name = (self.cleaned_data.get(name_field) or "").strip()
        email = (self.cleaned_data.get(email_field) or "").strip()
        chosen = (self.cleaned_data.get(user_field) or "").strip()
        User = get_user_model()

        if chosen:
            user = None
            if chosen.isdigit() and len(chosen) < 19:
                user = User._default_manager.filter(pk=int(chosen), is_active=True).first()
            if user is None:
                self._unlink(user_field)
                self.add_error(
                    name_field,
                    _("This account no longer exists or is disabled. Type the name and email address instead."),
                )
                return None
            account_email = (getattr(user, User.get_email_field_name(), "") or "").strip()
            if email and email.lower() != account_email.lower():
                # Only a page whose script stopped half-way (or a forged form) gets here: the script unlinks
                # the account as soon as the agent types. Unlinked, the form works again without script.
                self._unlink(user_field)
                self.add_error(
                    email_field,
                    _(
                        "This is not the address of the chosen account (%(email)s), so the account was unlinked. "
                        "Create the ticket again to use the address typed here, or choose the account again."
                    )
                    % {"email": account_email or gettext("no address")},
                )
                return None
            # The account's name and address are the reference; the typed copies only showed them.
            return Person(user=user)

        if not name and not email:
            if required:
                self.add_error(
                    email_field,
                    _("Type the requester's name and email address, or choose an existing account."),
                )
            return None
        if not email and required:
            self.add_error(
                email_field,
                _("Type the requester's email address: the confirmation and the replies are sent there."),
            )
            return None
        user = _account_for_email(email) if email else None
        return Person(user=user, name=name, email=email)

    def _unlink(self, user_field):
        """Show the form again without the chosen account (the hidden field is empty)."""
        self.data = self.data.copy()
        self.data[self.add_prefix(user_field)] = ""


def _account_for_email(email):
    """The one active account with this address (any case), or ``None`` when none or several have it."""
    User = get_user_model()
    email_field = User.get_email_field_name()
    matches = list(
        User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True}).order_by("pk")[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _same_person(a, b):
    if a.user is not None and b.user is not None:
        return a.user.pk == b.user.pk
    email_a = a.email or (getattr(a.user, "email", "") if a.user is not None else "")
    email_b = b.email or (getattr(b.user, "email", "") if b.user is not None else "")
    return bool(email_a) and email_a.lower() == email_b.lower()


def open_from_form(form, *, by, site):
    """``workflow.open_ticket`` with a valid ``AgentTicketForm``, by the agent ``by`` (this view and the
    API's ``POST /tickets/``); raises the workflow's errors."""
    requester, beneficiary = form.people["requester"], form.people["beneficiary"]
    data = form.cleaned_data
    return workflow.open_ticket(
        by=by,
        subject=data["subject"],
        description=data["description"],
        requester=requester.user,
        requester_name=requester.name,
        requester_email=requester.email,
        beneficiary=beneficiary.user if beneficiary else None,
        beneficiary_name=beneficiary.name if beneficiary else "",
        beneficiary_email=beneficiary.email if beneficiary else "",
        kind=data["kind"],
        priority=data["priority"],
        category=data["category"],
        team=data["team"],
        channel=data["channel"],
        site=site,
        # The agent answers in the requester's language; the mail uses the requester's own
        # account language first when there is one.
        language=translation.get_language() or "",
        attachments=data["attachments"],
    )


# Views ----------------------------------------------------------------------------------------------------


class TicketCreateView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    permission_policy = ticket_policy
    permission_required = "work"
    form_class = AgentTicketForm
    template_name = "wagtail_support/admin/create.html"
    page_title = _("New ticket")
    header_icon = "plus"
    submit_button_label = _("Create")
    submit_button_active_label = _("Creating…")

    # Fields whose ``InvalidInput.field`` from the workflow maps to this form.
    WORKFLOW_FIELDS = {
        "subject",
        "description",
        "kind",
        "priority",
        "category",
        "team",
        "channel",
        "attachments",
        "requester_email",
        "beneficiary_email",
    }

    def get_breadcrumbs_items(self):
        items = list(self.breadcrumbs_items)
        items.append({"url": inbox_url(), "label": gettext("Support")})
        items.append({"url": "", "label": self.page_title})
        return items

    def form_valid(self, form):
        try:
            ticket = open_from_form(form, by=self.request.user, site=Site.find_for_request(self.request))
        except workflow.InvalidInput as error:
            field = error.field if error.field in self.WORKFLOW_FIELDS else None
            form.add_error(field, str(error))
            return self.form_invalid(form)
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)

        if ticket.requester_email:
            message = _("Ticket %(reference)s created for %(requester)s; the confirmation was sent to %(email)s.") % {
                "reference": ticket.reference,
                "requester": ticket.requester_display,
                "email": ticket.requester_email,
            }
        else:
            message = _("Ticket %(reference)s created for %(requester)s (no email address: no confirmation sent).") % {
                "reference": ticket.reference,
                "requester": ticket.requester_display,
            }
        if ticket_policy.user_has_permission_for_instance(self.request.user, "work", ticket):
            messages.success(self.request, message)
            return redirect(ticket_url(ticket))
        # Sent to a team the agent is not in: its workspace would turn them away.
        messages.success(
            self.request,
            "%s %s"
            % (
                message,
                _("It went to the team %(team)s, which you are not a member of.")
                % {"team": ticket.team.name if ticket.team_id else "-"},
            ),
        )
        return redirect(inbox_url())

    def form_invalid(self, form):
        messages.validation_error(self.request, _("The ticket could not be created. Correct the errors below."), form)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        routes = {str(entry.pk): entry.team.name if entry.team else "" for entry in form.catalog}
        context.update(
            {
                "action_url": admin_url("ticket_create"),
                "submit_button_label": self.submit_button_label,
                "submit_button_active_label": self.submit_button_active_label,
                "autocomplete_url": admin_url("requester_autocomplete"),
                "autocomplete_min_length": AUTOCOMPLETE_MIN_LENGTH,
                "category_teams": routes,
                "default_team_name": form.default_team.name if form.default_team else "",
                "routed_team": self._routed_team(form),
                # Browsers never send files back: after an error, the agent selects them again.
                "files_lost": form.is_bound and bool(self.request.FILES.getlist("attachments")),
                "linked_accounts": {role: self._linked_account(form, role) for role in AgentTicketForm.PEOPLE},
                "beneficiary_open": form.is_bound
                and any(
                    (form.data.get(form.add_prefix(name)) or "").strip()
                    for name in ("beneficiary_name", "beneficiary_email", "beneficiary_user")
                ),
            }
        )
        return context

    def _linked_account(self, form, role):
        """The account chosen for ``role`` in the submitted form (shown again after an error), or ``None``."""
        if not form.is_bound:
            return None
        chosen = (form.data.get(form.add_prefix(f"{role}_user")) or "").strip()
        if not chosen.isdigit() or len(chosen) >= 19:
            return None
        user = get_user_model()._default_manager.filter(pk=int(chosen), is_active=True).first()
        if user is None:
            return None
        return {"id": user.pk, "label": person_label(user, with_email=True)}

    def _routed_team(self, form):
        """(team name, where it comes from) for the team preview, before JavaScript updates it."""
        data = form.data if form.is_bound else {}
        team_id = (data.get("team") or "").strip()
        if team_id.isdigit():
            team = Team.objects.filter(pk=int(team_id), is_active=True).first()
            if team is not None:
                return team.name, "override"
        category_id = (data.get("category") or "").strip()
        entry = form.category_by_id.get(int(category_id)) if category_id.isdigit() else None
        if entry is not None and entry.team is not None:
            return entry.team.name, "category"
        if form.default_team is not None:
            return form.default_team.name, "default"
        return "", "none"


def _user_search_fields():
    """The fields of the user model the autocomplete matches the start of, in this order."""
    User = get_user_model()
    names = [User.USERNAME_FIELD, "first_name", "last_name", User.get_email_field_name()]
    fields = []
    for name in names:
        try:
            field = User._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.get_internal_type() in {"CharField", "EmailField", "TextField"} and name not in fields:
            fields.append(name)
    return fields


def search_requesters(query, limit=AUTOCOMPLETE_LIMIT):
    """Active accounts whose username, first name, last name or address starts with the query.

    Each word of the query must start one of the fields ("paul sm" finds Paul Smith); the whole query
    may also start one field ("Marie Claire" in a first name). One query, ``limit`` rows at most.
    """
    User = get_user_model()
    fields = _user_search_fields()
    words = query.split()[:AUTOCOMPLETE_MAX_WORDS]

    def starts(text):
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__istartswith": text})
        return condition

    # The first word starts a field in both cases (a field that starts with the whole query starts with
    # its first word too), so it leads: on its own it is an OR of prefix lookups an index can serve.
    queryset = User._default_manager.filter(starts(words[0]))
    if len(words) > 1:
        other_words = Q()
        for word in words[1:]:
            other_words &= starts(word)
        queryset = queryset.filter(starts(query) | other_words)
    if "is_active" in {f.name for f in User._meta.get_fields()}:
        queryset = queryset.filter(is_active=True)
    order = [name for name in ("last_name", "first_name") if name in fields] + [User.USERNAME_FIELD, "pk"]
    return list(queryset.order_by(*order).only("pk", *fields)[:limit])


@require_GET
def requester_autocomplete(request):
    """``{"results": [{"id", "name", "email"}]}`` for the requester and beneficiary autocomplete."""
    if not ticket_policy.user_has_permission(request.user, "work"):
        return JsonResponse({"error": gettext("You are not allowed to search the accounts.")}, status=403)
    query = " ".join((request.GET.get("q") or "").split())[:AUTOCOMPLETE_MAX_LENGTH]
    if len(query) < AUTOCOMPLETE_MIN_LENGTH:
        return JsonResponse({"results": []})
    email_field = get_user_model().get_email_field_name()
    results = [
        {
            "id": user.pk,
            "name": person_label(user),
            "email": getattr(user, email_field, "") or "",
        }
        for user in search_requesters(query)
    ]
    return JsonResponse({"results": results})
