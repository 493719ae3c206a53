"""People in copy of a ticket, from its workspace: add one (or an address proposed from the requester's
mail), remove one, dismiss a proposed address. Each is a POST (with CSRF) from the workspace's aside
(``workspace/followers.html``), made through the workflow (``workflow.add_follower``...), for agents who
may work the ticket (the workspace's 404 otherwise); back to the workspace with a message.
"""

from django import forms
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin import messages
from wagtail.log_actions import LogFormatter

from .. import workflow
from .paths import ticket_url
from .workspace import TicketMixin

LOG_PREFIX = workflow.LOG_PREFIX


class FollowerForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=255, required=False)


class AddressForm(forms.Form):
    email = forms.EmailField(max_length=254)


class FollowersView(TicketMixin, View):
    """``action``: "add", "remove" or "dismiss" (one URL each)."""

    http_method_names = ["post"]
    action = "add"

    def post(self, request, pk):
        ticket = self.ticket
        form = (FollowerForm if self.action == "add" else AddressForm)(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return self.back()
        email, name = form.cleaned_data["email"], form.cleaned_data.get("name", "")
        try:
            if self.action == "add":
                workflow.add_follower(ticket, request.user, email, name)
                done = _("%(address)s is now in copy of ticket %(reference)s.")
            elif self.action == "remove":
                workflow.remove_follower(ticket, request.user, email)
                done = _("%(address)s is no longer in copy of ticket %(reference)s.")
            else:
                workflow.dismiss_cc_suggestion(ticket, request.user, email)
                done = _("%(address)s is no longer proposed for ticket %(reference)s.")
        except workflow.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done % {"address": email.lower(), "reference": ticket.reference})
        return self.back()

    def back(self):
        return redirect(ticket_url(self.ticket) + "#wsw-followers")


def register_follower_log_actions(actions):
    """How the history tells the moves of people in copy."""

    @actions.register_action(f"{LOG_PREFIX}.follower_added")
    class FollowerAdded(LogFormatter):
        label = gettext_lazy("Ticket: person in copy added")

        def format_message(self, log_entry):
            return _("Put %(address)s in copy") % {"address": log_entry.data.get("email", "")}

    @actions.register_action(f"{LOG_PREFIX}.follower_removed")
    class FollowerRemoved(LogFormatter):
        label = gettext_lazy("Ticket: person in copy removed")

        def format_message(self, log_entry):
            return _("Took %(address)s out of copy") % {"address": log_entry.data.get("email", "")}

    @actions.register_action(f"{LOG_PREFIX}.cc_dismissed")
    class CcDismissed(LogFormatter):
        label = gettext_lazy("Ticket: proposed address dismissed")

        def format_message(self, log_entry):
            return _("Dismissed %(address)s, proposed from the requester's mail") % {"address": log_entry.data.get("email", "")}


# Registered here, beside the views (this module is imported with the admin's URLs by ``wagtail_hooks``).
hooks.register("register_log_actions", register_follower_log_actions)
