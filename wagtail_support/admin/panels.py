"""Panels the agents' admin adds to Wagtail's pages: "Tickets assigned to my teams" on the admin home, and on
the account's Notifications tab "Support mail" (which ticket mails an agent gets) and "Support: monthly
summary by email" (the reports' monthly mail, ``automation.monthly_summaries``)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.components import Component
from wagtail.admin.views.account import BaseSettingsPanel, notifications_tab

from ..access import ticket_policy
from ..models import NotificationSettings, ReportSubscription, person_label
from .columns import ticket_age
from .paths import inbox_url, ticket_url
from .filters import DUE_SOON, LATE
from .scope import COUNT_DUE_SOON, COUNT_LATE, VIEW_MINE, VIEW_TEAMS, VIEW_UNASSIGNED, AgentScope

#: Rows of the admin home panel.
PANEL_SIZE = 10


class TicketsForMyTeamsPanel(Component):
    """"Tickets assigned to my teams" ("Les demandes affectées à mes équipes") on the admin home.

    Agents only. The not-closed tickets of the agent's teams and those assigned to them, newest activity
    first, ``PANEL_SIZE`` of them, each reference linking to its workspace; above them the counts
    (unassigned, mine, my teams; then late and due within the hour), each linking to that view of the inbox.
    A supervisor sees their own teams' tickets, or every open ticket if they belong to no team (see
    ``AgentScope``). Three queries whatever the number of tickets: the user's teams, the counts, the rows.
    """

    name = "wagtail_support_my_teams"
    template_name = "wagtail_support/admin/home_panel.html"
    order = 100  # before Wagtail's own panels (moderation 210+, recent edits 250, locked pages 300)

    class Media:
        css = {"all": ["wagtail_support/admin/inbox.css"]}

    def __init__(self, request):
        self.request = request

    @staticmethod
    def is_shown_to(user):
        return ticket_policy.user_has_permission(user, "work")

    def get_context_data(self, parent_context=None):
        scope = AgentScope.for_request(self.request)
        tickets = list(scope.panel_tickets()[:PANEL_SIZE])
        counts = scope.counts
        return {
            "request": self.request,
            "rows": [
                {
                    "ticket": ticket,
                    "url": ticket_url(ticket),
                    "assignee": person_label(ticket.assignee),
                    "age": ticket_age(ticket),
                }
                for ticket in tickets
            ],
            "counts": [
                {"count": counts[VIEW_UNASSIGNED], "label": _("Unassigned"), "icon": "warning",
                 "url": inbox_url(view=VIEW_UNASSIGNED)},
                {"count": counts[VIEW_MINE], "label": _("Assigned to me"), "icon": "user",
                 "url": inbox_url(view=VIEW_MINE)},
                {"count": counts[VIEW_TEAMS], "label": _("My teams"), "icon": "group",
                 "url": inbox_url(view=VIEW_TEAMS)},
            ],
            # Service levels, of "My teams" (counted in the same query as the counts above).
            "service_level_counts": [
                {"count": counts[COUNT_LATE], "label": _("Late"), "icon": "warning", "name": "late",
                 "url": inbox_url(view=VIEW_TEAMS, service_level=LATE, ordering="due")},
                {"count": counts[COUNT_DUE_SOON], "label": _("Due within the hour"), "icon": "time", "name": "soon",
                 "url": inbox_url(view=VIEW_TEAMS, service_level=DUE_SOON, ordering="due")},
            ],
            "total": counts[VIEW_TEAMS],
            "inbox_url": inbox_url(view=VIEW_TEAMS),
        }

    def render_html(self, parent_context=None):
        if not ticket_policy.user_has_permission(self.request.user, "work"):
            return ""
        return super().render_html(parent_context)


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["new_ticket", "requester_reply", "assigned"]


class SupportNotificationsPanel(BaseSettingsPanel):
    """"Support mail" on the account's Notifications tab: which ticket mails an agent gets."""

    name = "wagtail_support_notifications"
    title = gettext_lazy("Support mail")
    tab = notifications_tab
    order = 110
    form_class = NotificationSettingsForm
    help_text = gettext_lazy("Mails about the tickets of your teams. You never get mails about your own actions.")

    def is_active(self):
        return ticket_policy.user_has_permission(self.user, "work")

    def get_form(self):
        instance = NotificationSettings.objects.filter(user=self.user).first() or NotificationSettings(user=self.user)
        if self.request.method == "POST":
            return self.form_class(self.request.POST, instance=instance, prefix=self.name)
        return self.form_class(instance=instance, prefix=self.name)


class MonthlySummaryForm(forms.ModelForm):
    class Meta:
        model = ReportSubscription
        fields = ["monthly_summary"]
        labels = {"monthly_summary": _("Send me the monthly summary of the reports")}
        help_texts = {
            "monthly_summary": _(
                "On the first days of each month: the tickets created and closed, the response and resolution "
                "times, the service levels kept and the satisfaction of last month, against the month before, "
                "for the tickets you may see."
            )
        }


class MonthlySummaryPanel(BaseSettingsPanel):
    """"Support: monthly summary by email" on the account's Notifications tab, for agents: the opt-in of
    ``ReportSubscription.monthly_summary``."""

    name = "wagtail_support_monthly_summary"
    title = gettext_lazy("Support: monthly summary by email")
    tab = notifications_tab
    order = 120
    form_class = MonthlySummaryForm

    def is_active(self):
        return ticket_policy.user_has_permission(self.user, "work")

    def get_form(self):
        instance = ReportSubscription.objects.filter(user=self.user).first() or ReportSubscription(user=self.user)
        if self.request.method == "POST":
            return self.form_class(self.request.POST, instance=instance, prefix=self.name)
        return self.form_class(instance=instance, prefix=self.name)
