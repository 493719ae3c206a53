"""Fields and forms the agents' admin shares: who a ticket goes to (``AssigneeField``), which team
(``TeamField``), and the forms of the inbox's bulk actions built on them. The workspace's forms
(``admin.actions``) use the same fields, so a choice is offered and checked the same way everywhere."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Team, Ticket, person_label
from ..widgets import QuickSelect


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


class TeamField(forms.ModelChoiceField):
    """An active support team (the ticket's current one stays offered even when it is no longer active)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Support team"))
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(queryset=Team.objects.none(), **kwargs)

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
