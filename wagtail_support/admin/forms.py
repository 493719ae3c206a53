"""Fields and forms the agents' admin shares: who a ticket goes to (``AssigneeField``), which team
(``TeamField``), and the forms of the inbox's bulk actions built on them. The workspace's forms
(``admin.actions``) use the same fields, so a choice is offered and checked the same way everywhere.

The configuration's forms are here too (``admin.viewsets`` uses them): a team's members chosen among
the agents (``TeamForm``), a catalog entry's parent chosen in tree order (``CategoryForm``), a business
calendar's schedule checked as a whole (``BusinessCalendarForm``), a service level policy's catalog entry in
tree order (``ServiceLevelPolicyForm``)."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.models import Locale

from ..access import agents, can_be_assigned
from ..forms import CatalogChoiceField
from ..models import CannedResponse, Category, ResolutionCode, Team, Ticket, person_label
from ..models.service_levels import check_schedule
from ..widgets import FilteredCheckboxList, QuickSelect


class AssigneeField(forms.ChoiceField):
    """An agent, "me" or nobody; cleans to the account or ``None``.

    ``set_candidates(user, candidates, offer_me)``: the accounts offered (the workflow still checks that
    the assignee may work the ticket's team); with ``offer_me`` the user comes first as "Me (name)".
    """

    ME = "me"
    NOBODY = "nobody"

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Assignee"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(**kwargs)
        self.user, self.candidates = None, {}

    def set_candidates(self, user, candidates, offer_me=False):
        self.user = user
        self.candidates = {str(agent.pk): agent for agent in candidates}
        choices = [("", gettext("Nobody (unassigned)"))]
        if offer_me:
            choices.append((self.ME, gettext("Me (%(name)s)") % {"name": person_label(user)}))
        choices += [
            (pk, person_label(agent))
            for pk, agent in self.candidates.items()
            if not (offer_me and agent.pk == user.pk)
        ]
        self.choices = choices

    def valid_value(self, value):
        return value == self.NOBODY or super().valid_value(value)

    def clean(self, value):
        value = super().clean(value)
        if value in ("", self.NOBODY, None):
            return None
        if value == self.ME:
            return self.user
        return self.candidates[value]


class ListedModelChoiceIterator(forms.models.ModelChoiceIterator):
    """Django's choices of a model, read with one plain query: Django reads them with ``iterator()``, which
    on PostgreSQL opens a server-side cursor (DECLARE, FETCH, CLOSE: three round trips instead of one) to
    spare the memory of a large table, and the workspace lists a few teams and resolution codes."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class TeamField(forms.ModelChoiceField):
    """An active support team (the ticket's current one stays offered even when it is no longer active)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Support team"))
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(queryset=Team.objects.none(), **kwargs)
        self.iterator = ListedModelChoiceIterator

    def set_current(self, team_id=None):
        teams = Team.objects.filter(is_active=True)
        if team_id:
            teams = Team.objects.filter(pk=team_id) | teams
        self.queryset = teams.order_by("name")


# The bulk actions' forms ---------------------------------------------------------------------------------


class TicketBulkForm(forms.Form):
    """A bulk action's form, for the tickets of ``scope`` (``admin.scope.AgentScope``)."""

    def __init__(self, *args, scope, **kwargs):
        self.scope = scope
        super().__init__(*args, **kwargs)


class BulkAssignForm(TicketBulkForm):
    assignee = AssigneeField(label=_("Assign to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].set_candidates(self.scope.user, self.scope.agents(), offer_me=True)
        self.fields["assignee"].initial = AssigneeField.ME


class BulkTeamForm(TicketBulkForm):
    team = TeamField(label=_("Move to team"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].set_current()


class BulkPriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("New priority"), choices=Ticket.Priority.choices)


# The configuration's forms ------------------------------------------------------------------------------


def agent_label(user):
    """An agent as the members list shows them: "Ann Martin (ann)", else the username alone."""
    ident = user.get_username()
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full_name} ({ident})" if full_name and full_name != ident else ident


def team_member_candidates(team=None):
    """The accounts a team may have as members: the agents (``access.agents``, superusers only when a
    group or the permission makes them agents), and the team's current members, whoever they are, so
    that saving the form never drops one silently."""
    User = get_user_model()
    wanted = Q(pk__in=agents(superusers=False).values("pk"))
    if team is not None and team.pk:
        wanted |= Q(pk__in=Team.members.through.objects.filter(team_id=team.pk).values("user_id"))
    return User._default_manager.filter(wanted).order_by("first_name", "last_name", User.USERNAME_FIELD)


class TeamForm(WagtailAdminModelForm):
    """A support team. Its members are ticked in a list of the agents, by full name, with a filter box:
    a click never unticks the others, and no requester or editor who is no agent is offered (one posted
    by hand is refused)."""

    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=get_user_model()._default_manager.none(),
        required=False,
        widget=FilteredCheckboxList(
            filter_label=_("Find an agent"),
            count_text=_("%(shown)s of %(total)s agents shown"),
            group_label=_("Members"),
        ),
        help_text=_(
            "Agents are the accounts in the groups \"Support agents\" or \"Support supervisors\" (or with "
            "the permission to work on tickets). Members see the team's tickets and hear about new ones."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        field.label_from_instance = agent_label
        field.queryset = team_member_candidates(self.instance)


class CategoryForm(WagtailAdminModelForm):
    """A service catalog entry. Its parent is chosen in tree order ("Parent › Child"); the entry itself
    and the entries under it are not offered, so the catalog never becomes a loop."""

    parent = CatalogChoiceField(label=_("Parent entry"), empty_label=_("None (a top-level entry)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tree = Category.objects.tree()
        excluded = set(tree.descendants(self.instance.pk)) if self.instance.pk else set()
        entries = [entry for entry in tree.entries if entry.pk not in excluded]
        self.fields["parent"].set_tree(tree, entries=entries)


class BusinessCalendarForm(WagtailAdminModelForm):
    """A business calendar with its intervals and holidays (inline formsets): once each row is valid, the
    week is checked as a whole (at least one interval, none overlapping another of its day)."""

    def is_valid(self):
        valid = super().is_valid()
        formset = self.formsets.get("intervals")
        if not valid or formset is None:
            return valid
        kept = [
            form.cleaned_data
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            check_schedule([(int(row["weekday"]), row["start"], row["end"]) for row in kept])
        except ValidationError as error:
            self.add_error(None, error)
            return False
        return True


class ServiceLevelPolicyForm(WagtailAdminModelForm):
    """A service level policy. Its catalog entry is chosen in tree order among the catalog's entries (never a
    translation), the inactive ones included (a policy may outlive an entry's retirement)."""

    category = CatalogChoiceField(
        label=_("Service catalog entry"),
        empty_label=_("Every entry"),
        help_text=_("An entry also covers the entries under it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tree = Category.objects.tree()
        self.fields["category"].set_tree(tree, entries=tree.entries)


def language_choices():
    """The site's languages (``LANGUAGES``), by their names in the reader's language."""
    choices = []
    for code, name in settings.LANGUAGES:
        try:
            name = get_language_info(code)["name_translated"]
        except KeyError:
            pass
        choices.append((code, str(name)))
    return choices


class CannedResponseForm(WagtailAdminModelForm):
    """A saved reply; its language is one of the site's locales (offered first on tickets in that language;
    its translations share its ``translation_key``). Left out of a post, it is the default locale's."""

    language = forms.ModelChoiceField(label=_("Language"), queryset=Locale.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        field.help_text = _("Offered first on tickets in this language.")
        field.queryset = Locale.objects.all()
        field.empty_label = None
        labels = dict(language_choices())
        field.label_from_instance = lambda locale: labels.get(locale.language_code, locale.language_code)
        field.initial = self.instance.locale_id if self.instance.locale_id else Locale.get_default().pk
        self._limit_macro_choices()

    # What sending the reply also sets (a macro): kept the same on every version of the reply.
    MACRO_FIELDS = (
        "set_status", "set_resolution_code", "set_priority", "set_kind", "set_team", "set_assignee", "assign_to_me",
    )  # fmt: skip

    def _limit_macro_choices(self):
        """A reply sets only an active team, an agent, and a resolution code of the default locale that is
        not built-in (the resolve form's); what it names already stays offered, so saving never drops it."""
        instance = self.instance
        if "set_team" in self.fields:
            teams = Team.objects.filter(is_active=True)
            if instance.set_team_id:
                teams = teams | Team.objects.filter(pk=instance.set_team_id)
            self.fields["set_team"].queryset = teams.order_by("name")
            self.fields["set_team"].help_text = _("The ticket goes to this team; an assignee not in it is unassigned.")
        if "set_assignee" in self.fields:
            field = self.fields["set_assignee"]
            wanted = Q(pk__in=agents().values("pk"))
            if instance.set_assignee_id:
                wanted |= Q(pk=instance.set_assignee_id)
            user_model = get_user_model()
            field.queryset = user_model._default_manager.filter(wanted).order_by(
                "first_name", "last_name", user_model.USERNAME_FIELD
            )
            field.label_from_instance = agent_label
            field.help_text = _("An agent who may work the ticket's team (after the move, if the reply moves it).")
        if "set_resolution_code" in self.fields:
            field = self.fields["set_resolution_code"]
            codes = ResolutionCode.objects.originals().filter(is_active=True).exclude(
                code__in=list(ResolutionCode.BUILTIN_LABELS)
            )
            if instance.set_resolution_code_id:
                codes = codes | ResolutionCode.objects.filter(pk=instance.set_resolution_code_id)
            field.queryset = codes.order_by("sort_order", "label")
            field.help_text = _("Needed when the status after sending is Resolved.")

    def clean(self):
        cleaned = super().clean()
        status, code = cleaned.get("set_status"), cleaned.get("set_resolution_code")
        if status == "resolved" and code is None and "set_resolution_code" not in self.errors:
            self.add_error(
                "set_resolution_code",
                ValidationError(_("Choose the resolution code of the tickets this reply resolves."), code="required"),
            )
        elif status != "resolved" and code is not None:
            cleaned["set_resolution_code"] = None  # a code resolves nothing without the Resolved status
        assignee = None if cleaned.get("assign_to_me") else cleaned.get("set_assignee")
        if cleaned.get("assign_to_me"):
            cleaned["set_assignee"] = None  # "the agent who sends it" takes precedence
        team = cleaned.get("set_team") or cleaned.get("team")
        if assignee is not None and team is not None and not can_be_assigned(assignee, team):
            self.add_error(
                "set_assignee",
                ValidationError(
                    _("%(name)s is not an agent of team %(team)s.") % {"name": person_label(assignee), "team": team},
                    code="not_in_team",
                ),
            )
        return cleaned

    def clean_language(self):
        locale = self.cleaned_data.get("language") or Locale.get_default()
        if self.instance.pk and locale.pk != self.instance.locale_id:
            taken = CannedResponse.objects.filter(translation_key=self.instance.translation_key, locale=locale)
            if taken.exclude(pk=self.instance.pk).exists():
                raise ValidationError(
                    _("This reply already has a version in that language: edit that one instead."), code="taken"
                )
        return locale

    def save(self, commit=True):
        self.instance.locale = self.cleaned_data["language"]
        saved = super().save(commit=commit)
        if commit and saved.pk:
            # Its other versions are the same reply: same team, order and state, so a ticket is never offered
            # a translation of a reply that was retired or moved to another team.
            # Its actions too (read from the original anyway: ``admin.macros``).
            CannedResponse.objects.filter(translation_key=saved.translation_key).exclude(pk=saved.pk).update(
                team=saved.team,
                sort_order=saved.sort_order,
                is_active=saved.is_active,
                **{name: getattr(saved, name) for name in self.MACRO_FIELDS},
            )
        return saved
