"""The inbox's bulk actions: Wagtail ``BulkAction`` views registered with the ``register_bulk_action`` hook.

The checkboxes of the listing show Wagtail's bulk action footer; each button opens a confirmation page
(``GET`` changes nothing) whose form ``POST``s the change. Each ticket is changed through the workflow,
one at a time, so every change is checked and logged like the same change made from the workspace.
"""

from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.views.bulk_action import BulkAction

from .. import workflow
from ..access import ticket_policy
from ..models import Ticket, person_label
from .forms import BulkAssignForm, BulkPriorityForm, BulkTeamForm
from .paths import inbox_url, ticket_url
from .scope import AgentScope

#: At most this many tickets are changed by one bulk action (a page holds 50).
MAX_BULK_TICKETS = 200


class TicketBulkAction(BulkAction):
    """A change made to each selected ticket through the workflow.

    The selected ids are read again through ``access.worked_tickets(user)``: an id the agent may not
    work (a forged one, another team's ticket) is skipped and only counted, never named. A
    ``WorkflowError`` on one ticket skips that ticket, with the workflow's own explanation, and the
    others go on. ``GET`` shows the confirmation page; only its ``POST`` changes anything.
    """

    models = [Ticket]
    template_name = "wagtail_support/admin/inbox_bulk_confirm.html"
    header_icon = "tasks"
    action_button_class = ""
    page_title = ""
    question = ""
    action_button_text = ""

    def __init__(self, request, model):
        super().__init__(request, model)
        if self.next_url == request.path:
            self.next_url = inbox_url()

    def dispatch(self, request, *args, **kwargs):
        if not ticket_policy.user_has_permission(request.user, "work"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def scope(self):
        return AgentScope.for_request(self.request)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.form_class in (BulkAssignForm, BulkTeamForm):
            kwargs["scope"] = self.scope
        return kwargs

    @cached_property
    def selection(self):
        """``(tickets the user may work, number of selected ids skipped)``."""
        requested, garbage = [], 0
        for value in self.request.GET.getlist("id"):
            try:
                pk = int(value)
            except (TypeError, ValueError):
                garbage += 1
                continue
            if pk > 0 and pk not in requested:
                requested.append(pk)
        too_many = max(0, len(requested) - MAX_BULK_TICKETS)
        requested = requested[:MAX_BULK_TICKETS]
        tickets = list(
            self.scope.tickets().filter(pk__in=requested).select_related("team", "assignee").order_by("number")
        )
        return tickets, len(requested) - len(tickets) + garbage + too_many

    def get_actionable_objects(self):
        tickets, skipped = self.selection
        return tickets, {"items_with_no_access": [], "num_skipped": skipped}

    def object_context(self, obj):
        return {"item": obj, "url": ticket_url(obj)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "page_title": self.page_title,
                "header_icon": self.header_icon,
                "question": self.question,
                "action_button_text": self.action_button_text,
                "no_action_button_text": gettext("No, go back"),
                "action_button_class": self.action_button_class,
            }
        )
        return context

    def get_execution_context(self):
        return {"data": self.cleaned_form.cleaned_data}

    def apply(self, ticket, data):
        """Make the change to one ticket through the workflow."""
        raise NotImplementedError

    def changed_message(self, count, data):
        raise NotImplementedError

    def execute_action(self, objects, data=None, **kwargs):
        # Each workflow move runs in its own savepoint inside BulkAction's transaction, so a refused
        # move leaves nothing behind and the next ticket goes on.
        self.changed, self.unchanged, self.failed = [], [], []
        for ticket in objects:
            version = ticket.version
            try:
                self.apply(ticket, data)
            except workflow.WorkflowError as error:
                self.failed.append((ticket, error))
                continue
            (self.changed if ticket.version != version else self.unchanged).append(ticket)
        return len(self.changed), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return None  # reported by form_valid, with what was skipped

    def form_valid(self, form):
        response = super().form_valid(form)
        if hasattr(self, "changed"):
            self.report(form.cleaned_data)
        return response

    def report(self, data):
        """One message: what changed, what was already so, what was skipped and why."""
        _tickets, not_found = self.selection
        parts = []
        if self.changed:
            parts.append(self.changed_message(len(self.changed), data))
        if self.unchanged:
            parts.append(
                ngettext("%(count)d ticket unchanged", "%(count)d tickets unchanged", len(self.unchanged))
                % {"count": len(self.unchanged)}
            )
        skipped = len(self.failed) + not_found
        if skipped:
            reasons = [
                gettext("%(reference)s: %(error)s") % {"reference": ticket.reference, "error": error}
                for ticket, error in self.failed
            ]
            if not_found:
                reasons.append(
                    ngettext(
                        "%(count)d not found or not one you may work on.",
                        "%(count)d not found or not ones you may work on.",
                        not_found,
                    )
                    % {"count": not_found}
                )
            parts.append(
                ngettext("%(count)d skipped: %(reasons)s", "%(count)d skipped: %(reasons)s", skipped)
                % {"count": skipped, "reasons": " ".join(str(r) for r in reasons)}
            )
        if not parts:
            parts.append(gettext("No ticket was changed."))
        message = "; ".join(str(part) for part in parts)
        if skipped and not self.changed:
            messages.error(self.request, message)
        elif skipped:
            messages.warning(self.request, message)
        else:
            messages.success(self.request, message)


class AssignBulkAction(TicketBulkAction):
    display_name = _("Assign")
    action_type = "assign"
    aria_label = _("Assign the selected tickets")
    action_priority = 10
    form_class = BulkAssignForm
    page_title = _("Assign tickets")
    question = _("Assign these tickets?")
    action_button_text = _("Yes, assign")

    def apply(self, ticket, data):
        workflow.assign(ticket, to=data["assignee"], by=self.request.user)

    def changed_message(self, count, data):
        if data["assignee"] is None:
            return ngettext("%(count)d ticket unassigned", "%(count)d tickets unassigned", count) % {"count": count}
        return ngettext(
            "%(count)d ticket assigned to %(name)s", "%(count)d tickets assigned to %(name)s", count
        ) % {"count": count, "name": person_label(data["assignee"])}


class ChangeTeamBulkAction(TicketBulkAction):
    display_name = _("Change team")
    action_type = "change_team"
    aria_label = _("Move the selected tickets to another team")
    action_priority = 20
    form_class = BulkTeamForm
    page_title = _("Change the team of tickets")
    question = _("Move these tickets to another team? An assignee who is not in that team is removed.")
    action_button_text = _("Yes, move")

    def apply(self, ticket, data):
        workflow.change_team(ticket, team=data["team"], by=self.request.user)

    def changed_message(self, count, data):
        return ngettext(
            "%(count)d ticket moved to team %(team)s", "%(count)d tickets moved to team %(team)s", count
        ) % {"count": count, "team": data["team"].name}


class ChangePriorityBulkAction(TicketBulkAction):
    display_name = _("Change priority")
    action_type = "change_priority"
    aria_label = _("Change the priority of the selected tickets")
    action_priority = 30
    form_class = BulkPriorityForm
    page_title = _("Change the priority of tickets")
    question = _("Change the priority of these tickets?")
    action_button_text = _("Yes, change")

    def apply(self, ticket, data):
        workflow.change_details(ticket, priority=data["priority"], by=self.request.user)

    def changed_message(self, count, data):
        return ngettext(
            "%(count)d ticket set to priority %(priority)s",
            "%(count)d tickets set to priority %(priority)s",
            count,
        ) % {"count": count, "priority": Ticket.Priority(data["priority"]).label}


class AbandonBulkAction(TicketBulkAction):
    display_name = _("Abandon")
    action_type = "abandon"
    aria_label = _("Close the selected tickets with no follow-up")
    action_priority = 40
    classes = {"serious"}
    page_title = _("Abandon tickets")
    question = _(
        "Close these tickets as abandoned (no follow-up)? Their requesters are told that the ticket is "
        "closed. This is not “Cancel”: it cannot be undone except by reopening each ticket."
    )
    action_button_text = _("Yes, abandon")
    action_button_class = "serious"

    def apply(self, ticket, data):
        workflow.abandon(ticket, by=self.request.user)

    def changed_message(self, count, data):
        return ngettext(
            "%(count)d ticket abandoned (closed with no follow-up)",
            "%(count)d tickets abandoned (closed with no follow-up)",
            count,
        ) % {"count": count}


BULK_ACTIONS = [AssignBulkAction, ChangeTeamBulkAction, ChangePriorityBulkAction, AbandonBulkAction]
