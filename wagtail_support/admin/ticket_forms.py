"""The workspace's forms: one per move of the workflow, each carrying the version of the ticket it was
shown for. ``apply()`` makes the move through the workflow and returns the sentence to show the agent."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access, workflow
from ..forms import AttachmentsField, CatalogChoiceField
from ..models import Category, ResolutionCode, Ticket, person_label
from ..widgets import QuickSelect
from .forms import AssigneeField, TeamField


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


class TicketActionForm(forms.Form):
    """A form of the workspace: one move of the workflow, with the version of the ticket it was shown for.

    ``apply()`` makes the move and returns the sentence to show the agent; it lets the workflow's
    ``WorkflowError`` through for the view to report.
    """

    # Forms with text an agent typed: on a refusal the page is shown again with the text, never lost.
    keeps_draft = False

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, ticket, user, **kwargs):
        self.ticket = ticket
        self.user = user
        initial = {"version": ticket.version, **self.get_initial(ticket), **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)

    def get_initial(self, ticket):
        return {}

    @property
    def expected_version(self):
        return self.cleaned_data["version"]

    def apply(self, action):
        raise NotImplementedError


class ComposerForm(TicketActionForm):
    """The composer: the same text becomes a public reply or an internal note, by the button pressed."""

    prefix = "composer"
    keeps_draft = True

    body = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-wsw-composer-body": ""}),
    )
    attachments = AttachmentsField()
    set_pending = forms.BooleanField(
        label=gettext_lazy("Wait for the requester (set pending)"),
        required=False,
        help_text=gettext_lazy("Replies only: the ticket waits for the requester's answer."),
    )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("attachments") and not self.errors:
            self.add_error("body", _("Write a message or attach a file."))
        return cleaned

    def apply(self, action):
        internal = action == "note"
        data = self.cleaned_data
        workflow.reply(
            self.ticket,
            by=self.user,
            body=data["body"],
            internal=internal,
            set_pending=data["set_pending"],
            channel=Ticket.Channel.ADMIN,
            attachments=data["attachments"],
            expected_version=self.expected_version,
        )
        if internal:
            message = _("Internal note added to ticket %(reference)s. The requester does not see it.")
        elif data["set_pending"]:
            message = _("Reply sent to the requester of ticket %(reference)s. The ticket now waits for their answer.")
        else:
            message = _("Reply sent to the requester of ticket %(reference)s.")
        return message % {"reference": self.ticket.reference}


class AssignSelfForm(TicketActionForm):
    prefix = "assign_self"

    def apply(self, action):
        workflow.assign_to_self(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("You are now the assignee of ticket %(reference)s.") % {"reference": self.ticket.reference}


class AssignForm(TicketActionForm):
    prefix = "assign"

    assignee = AssigneeField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = self.ticket
        # The ids first (a handful, found through the membership tables), then the accounts by primary
        # key: an OR with the current assignee in one query made PostgreSQL read every account.
        ids = set(access.assignable_agents(ticket.team).values_list("pk", flat=True))
        if ticket.assignee_id:
            ids.add(ticket.assignee_id)
        user_model = get_user_model()
        # Sorted by name where the user model has one (a custom user model may not).
        names = [name for name in ("first_name", "last_name") if _has_field(user_model, name)]
        candidates = user_model._default_manager.filter(pk__in=sorted(ids)).order_by(*names, user_model.USERNAME_FIELD)
        self.fields["assignee"].set_candidates(self.user, candidates)

    def get_initial(self, ticket):
        return {"assignee": ticket.assignee_id}

    def apply(self, action):
        assignee = self.cleaned_data["assignee"]
        workflow.assign(self.ticket, to=assignee, by=self.user, expected_version=self.expected_version)
        if assignee is None:
            return _("Ticket %(reference)s is now unassigned.") % {"reference": self.ticket.reference}
        return _("Ticket %(reference)s assigned to %(name)s.") % {
            "reference": self.ticket.reference,
            "name": person_label(assignee),
        }


class TeamForm(TicketActionForm):
    prefix = "team"

    team = TeamField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].set_current(self.ticket.team_id)

    def get_initial(self, ticket):
        return {"team": ticket.team_id}

    def apply(self, action):
        team = self.cleaned_data["team"]
        workflow.change_team(self.ticket, team=team, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s moved to team %(team)s.") % {"reference": self.ticket.reference, "team": team}


class DetailsForm(TicketActionForm):
    prefix = "details"

    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Ticket.Kind.choices, widget=QuickSelect)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Ticket.Priority.choices, widget=QuickSelect)
    category = CatalogChoiceField(
        label=gettext_lazy("Service catalog entry"), empty_label=gettext_lazy("None"), widget=QuickSelect
    )

    def __init__(self, *args, catalog_tree=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The catalog in tree order; an entry no longer active stays offered on the ticket it is on.
        tree = catalog_tree if catalog_tree is not None else Category.objects.tree()
        self.fields["category"].set_tree(tree, keep=self.ticket.category_id)

    def get_initial(self, ticket):
        return {
            "subject": ticket.subject,
            "kind": ticket.kind,
            "priority": ticket.priority,
            "category": ticket.category_id,
        }

    def apply(self, action):
        data = self.cleaned_data
        workflow.change_details(
            self.ticket,
            by=self.user,
            expected_version=self.expected_version,
            subject=data["subject"],
            kind=data["kind"],
            priority=data["priority"],
            category=data["category"],
        )
        return _("Details of ticket %(reference)s saved.") % {"reference": self.ticket.reference}


class PeopleForm(TicketActionForm):
    prefix = "people"

    requester_name = forms.CharField(label=gettext_lazy("Requester name"), max_length=255, required=False)
    requester_email = forms.EmailField(
        label=gettext_lazy("Requester email"),
        max_length=254,
        required=False,
        help_text=gettext_lazy("A new address detaches the ticket from the requester's account."),
    )
    beneficiary_name = forms.CharField(label=gettext_lazy("Beneficiary name"), max_length=255, required=False)
    beneficiary_email = forms.EmailField(label=gettext_lazy("Beneficiary email"), max_length=254, required=False)
    clear_beneficiary = forms.BooleanField(
        label=gettext_lazy("No beneficiary (remove the beneficiary)"), required=False
    )

    def get_initial(self, ticket):
        return {
            "requester_name": ticket.requester_name,
            "requester_email": ticket.requester_email,
            "beneficiary_name": ticket.beneficiary_name,
            "beneficiary_email": ticket.beneficiary_email,
        }

    @staticmethod
    def _person_changes(prefix, account, old_name, old_email, name, email):
        """The ``change_people`` arguments for one person, or ``{}`` when nothing changed.

        The account stays linked while the address stays the same (a corrected name); a new address is
        someone else, so the account is no longer theirs.
        """
        name, email = (name or "").strip(), (email or "").strip().lower()
        if name == (old_name or "") and email == (old_email or "").lower():
            return {}
        changes = {f"{prefix}_name": name, f"{prefix}_email": email}
        if account is not None and email == (old_email or "").lower():
            changes[prefix] = account
        return changes

    def changes(self):
        data, ticket = self.cleaned_data, self.ticket
        changes = self._person_changes(
            "requester",
            ticket.requester_user,
            ticket.requester_name,
            ticket.requester_email,
            data["requester_name"],
            data["requester_email"],
        )
        had_beneficiary = bool(ticket.beneficiary_user_id or ticket.beneficiary_display)
        empty = not (data["beneficiary_name"] or "").strip() and not (data["beneficiary_email"] or "").strip()
        if data["clear_beneficiary"] or empty:
            if had_beneficiary:
                changes["clear_beneficiary"] = True
        else:
            changes.update(
                self._person_changes(
                    "beneficiary",
                    ticket.beneficiary_user,
                    ticket.beneficiary_name,
                    ticket.beneficiary_email,
                    data["beneficiary_name"],
                    data["beneficiary_email"],
                )
            )
        return changes

    def apply(self, action):
        changes = self.changes()
        if changes:
            workflow.change_people(self.ticket, by=self.user, expected_version=self.expected_version, **changes)
        return _("Requester and beneficiary of ticket %(reference)s saved.") % {"reference": self.ticket.reference}


class PendingForm(TicketActionForm):
    prefix = "pending"

    def apply(self, action):
        workflow.set_pending(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s now waits for the requester.") % {"reference": self.ticket.reference}


class ResolveForm(TicketActionForm):
    prefix = "resolve"
    keeps_draft = True

    code = forms.ModelChoiceField(
        label=gettext_lazy("Resolution code"),
        queryset=ResolutionCode.objects.none(),
        empty_label=gettext_lazy("Choose a resolution code"),
        widget=QuickSelect,
    )
    solution = forms.CharField(
        label=gettext_lazy("Solution"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The requester receives this text by email."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = ResolutionCode.objects.filter(is_active=True).exclude(
            code=ResolutionCode.NO_FOLLOW_UP
        )

    def clean_solution(self):
        solution = (self.cleaned_data.get("solution") or "").strip()
        if not solution:
            raise ValidationError(_("Describe the solution: the requester will receive it."))
        return solution

    def apply(self, action):
        data = self.cleaned_data
        workflow.resolve(
            self.ticket,
            code=data["code"],
            solution=data["solution"],
            by=self.user,
            expected_version=self.expected_version,
        )
        return _("Ticket %(reference)s resolved. The requester receives the solution by email.") % {
            "reference": self.ticket.reference
        }


class AbandonForm(TicketActionForm):
    """Abandon is confirmed: without ``confirm`` the view asks first and changes nothing."""

    prefix = "abandon"

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    @property
    def confirmed(self):
        return bool(self.cleaned_data.get("confirm"))

    def apply(self, action):
        workflow.abandon(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s closed with no follow-up.") % {"reference": self.ticket.reference}


class ReopenForm(TicketActionForm):
    prefix = "reopen"

    def apply(self, action):
        workflow.reopen(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s reopened.") % {"reference": self.ticket.reference}


# The actions of ``wagtail_support_ticket_action``: action name -> form.
ACTION_FORMS = {
    "reply": ComposerForm,
    "note": ComposerForm,
    "assign_self": AssignSelfForm,
    "assign": AssignForm,
    "team": TeamForm,
    "details": DetailsForm,
    "people": PeopleForm,
    "pending": PendingForm,
    "resolve": ResolveForm,
    "abandon": AbandonForm,
    "reopen": ReopenForm,
}

WORKSPACE_FORMS = {form_class.prefix: form_class for form_class in ACTION_FORMS.values()}
