"""The workspace's forms: one per move of the workflow, each carrying the version of the ticket it was
shown for. ``apply()`` makes the move through the workflow and returns the sentence to show the agent."""

import json

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access, workflow
from ..forms import AttachmentsField, CatalogChoiceField
from ..models import Category, ReplyDraft, ResolutionCode, Ticket
from ..widgets import QuickRadioSelect, QuickSelect
from .forms import AssigneeField, ListedModelChoiceIterator, TeamField


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


class SubmitForm(TicketActionForm):
    """The workspace's one form ("Submit as"): the composer and the ticket's properties, sent together
    through ``workflow.submit``, with the status after it chosen by the button pressed (``then``).

    A property absent from the post is left as it is (a script may send only a message); ``seen`` is
    what the page showed, so a change made meanwhile by someone else is told apart from the agent's
    own. ``only`` ("Save changes only") applies the properties and keeps the text as a draft.
    """

    prefix = None
    keeps_draft = True

    MODE_PUBLIC, MODE_INTERNAL = ReplyDraft.Mode.PUBLIC, ReplyDraft.Mode.INTERNAL
    PROPERTY_FIELDS = workflow.PROPERTY_FIELDS
    FORM_ID = "wsw-ticket-form"

    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-wsw-composer-body": ""}),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Send as"),
        choices=ReplyDraft.Mode.choices,
        initial=ReplyDraft.Mode.PUBLIC,
        required=False,  # a post without it (a script's) is a public reply
        widget=QuickRadioSelect(attrs={"class": "wsw-mode-switch"}),
    )
    attachments = AttachmentsField()
    team = TeamField(required=False, empty_label=gettext_lazy("No team"))
    assignee = AssigneeField()
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Ticket.Kind.choices, widget=QuickSelect, required=False)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Ticket.Priority.choices, widget=QuickSelect, required=False
    )
    category = CatalogChoiceField(
        label=gettext_lazy("Service catalog entry"), empty_label=gettext_lazy("None"), widget=QuickSelect
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255, required=False)
    then = forms.ChoiceField(
        choices=[("open", "open"), ("pending", "pending"), ("resolve", "resolve")], required=False
    )
    only = forms.BooleanField(required=False)
    code = forms.ModelChoiceField(
        label=gettext_lazy("Resolution code"),
        queryset=ResolutionCode.objects.none(),
        empty_label=gettext_lazy("Choose a resolution code"),
        widget=QuickSelect,
        required=False,
    )
    solution = forms.CharField(
        label=gettext_lazy("Solution"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=gettext_lazy("The requester receives the solution by email, and the ticket is closed."),
    )

    def __init__(self, *args, catalog_tree=None, draft=None, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = self.ticket
        # The properties sit beside the conversation, outside the <form> element: HTML's form attribute.
        for name in self.PROPERTY_FIELDS:
            self.fields[name].widget.attrs["form"] = self.FORM_ID
        self.fields["team"].set_current(ticket.team_id)
        self.fields["assignee"].set_candidates(self.user, _assignable(ticket, self._posted_assignee()))
        tree = catalog_tree if catalog_tree is not None else Category.objects.tree()
        self.fields["category"].set_tree(tree, keep=ticket.category_id)
        # The codes of the default locale: a translation is only another language's label of one of them.
        # (The iterator first: assigning the queryset hands the widget its choices.)
        self.fields["code"].iterator = ListedModelChoiceIterator
        self.fields["code"].queryset = ResolutionCode.objects.originals().filter(is_active=True).exclude(
            code__in=list(ResolutionCode.BUILTIN_LABELS)
        )
        if draft is not None and not self.is_bound:
            self.initial["mode"] = draft.mode

    def _posted_assignee(self):
        """The assignee the post names (a pk), or ``None``."""
        value = self.data.get(self.add_prefix("assignee"), "") if self.is_bound else ""
        return int(value) if str(value).isdigit() and len(str(value)) < 12 else None

    def get_initial(self, ticket):
        seen = workflow.seen_values(ticket)
        return {**seen, "seen": json.dumps(seen)}

    @property
    def resolving(self):
        """The resolution fields are shown: the agent chose to resolve (or the post did)."""
        return self.is_bound and self.data.get("then") == "resolve"

    @property
    def internal(self):
        value = self.data.get("mode") if self.is_bound else self.initial.get("mode")
        return value == self.MODE_INTERNAL

    def clean_seen(self):
        raw = self.cleaned_data.get("seen") or ""
        if not raw:
            return None
        try:
            seen = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(seen, dict):
            return None
        return {name: seen.get(name) for name in (*self.PROPERTY_FIELDS, "status")}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("then") == "resolve" and not cleaned.get("only"):
            if not cleaned.get("code") and "code" not in self.errors:
                self.add_error("code", _("Choose a resolution code."))
            if not (cleaned.get("solution") or "").strip():
                self.add_error("solution", _("Describe the solution: the requester will receive it."))
        return cleaned

    def posted_properties(self):
        """The properties the post carries (a field left out of the post is not changed)."""
        return {
            name: self.cleaned_data.get(name)
            for name in self.PROPERTY_FIELDS
            if self.add_prefix(name) in self.data
        }

    def changes(self):
        """The properties the agent changed, against what the page showed them."""
        seen = self.cleaned_data.get("seen") or workflow.seen_values(self.ticket)
        changed = {}
        for name, value in self.posted_properties().items():
            if name == "subject" and not (value or "").strip():
                continue  # an emptied subject is refused by the workflow; here it means "no change"
            if name in ("kind", "priority") and not value:
                continue
            if getattr(value, "pk", value) != seen.get(name):
                changed[name] = value
        return changed

    def apply(self, action):
        data = self.cleaned_data
        only = data.get("only")
        internal = data.get("mode") == self.MODE_INTERNAL
        self.submitted = workflow.submit(
            self.ticket,
            by=self.user,
            expected_version=self.expected_version,
            seen=data.get("seen"),
            changes=self.changes(),
            body="" if only else data.get("body", ""),
            internal=internal,
            attachments=[] if only else data.get("attachments") or [],
            then=None if only else data.get("then") or None,
            code=data.get("code"),
            solution=data.get("solution", ""),
            channel=Ticket.Channel.ADMIN,
        )
        return self.success_message(self.submitted, internal)

    def success_message(self, submitted, internal):
        reference = {"reference": self.ticket.reference}
        sentences = []
        done = set(submitted.done)
        if submitted.message is not None and internal:
            sentences.append(_("Internal note added to ticket %(reference)s. The requester does not see it.") % reference)
        elif submitted.message is not None:
            sentences.append(_("Reply sent to the requester of ticket %(reference)s.") % reference)
        if done & {"team", "assignee", "details"}:
            sentences.append(_("Properties of ticket %(reference)s saved.") % reference)
        if "status" in done:
            status = self.ticket.status
            if status == Ticket.Status.CLOSED:
                sentences.append(_("Ticket %(reference)s resolved. The requester receives the solution by email.") % reference)
            elif status == Ticket.Status.PENDING:
                sentences.append(_("The ticket now waits for the requester's answer."))
            else:
                sentences.append(_("The ticket is open."))
        return " ".join(sentences)


def _assignable(ticket, posted=None):
    """The agents the ticket may go to: its team's and the supervisors, and its current assignee; and the
    agent ``posted`` (a pk), if an agent: a saved reply may move the ticket to another team and assign it
    there in the same post, and whether they may work the ticket's team then is the workflow's to check."""
    # The ids first (a handful, found through the membership tables), then the accounts by primary
    # key: an OR with the current assignee in one query made PostgreSQL read every account.
    ids = set(access.assignable_agents(ticket.team).values_list("pk", flat=True))
    if ticket.assignee_id:
        ids.add(ticket.assignee_id)
    if posted is not None and posted not in ids and access.agents().filter(pk=posted).exists():
        ids.add(posted)
    user_model = get_user_model()
    # Sorted by name where the user model has one (a custom user model may not).
    names = [name for name in ("first_name", "last_name") if _has_field(user_model, name)]
    return user_model._default_manager.filter(pk__in=sorted(ids)).order_by(*names, user_model.USERNAME_FIELD)


class AssignSelfForm(TicketActionForm):
    prefix = "assign_self"

    def apply(self, action):
        workflow.assign_to_self(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("You are now the assignee of ticket %(reference)s.") % {"reference": self.ticket.reference}


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
    "submit": SubmitForm,
    "assign_self": AssignSelfForm,
    "people": PeopleForm,
    "abandon": AbandonForm,
    "reopen": ReopenForm,
}

# The forms of the page, by the name the templates use (``forms.submit``, ``forms.people``...).
WORKSPACE_FORMS = dict(ACTION_FORMS)
