"""``TicketActionView``: the POST that makes one move of the workspace (a Wagtail operation view).

- Done: a success message and back to the workspace.
- Refused (a form error or a ``WorkflowError``): an error message. A form holding text the agent typed
  (the composer, resolve) shows the page again with that text (400); the others go back.
- The ticket changed meanwhile (``TicketChanged``): nothing was applied; the page is shown again as the
  ticket is now, with the agent's input kept and a warning (409).
"""

from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views.generic.base import BaseOperationView

from .. import workflow
from ..access import ticket_policy
from .paths import admin_url, inbox_url
from .ticket_forms import ACTION_FORMS, AbandonForm, ComposerForm
from .workspace import TicketWorkspaceView, ticket_with_related


class TicketActionView(TicketWorkspaceView, BaseOperationView):
    """One move on the ticket (POST only), made through the workflow.

    - Done: a success message and back to the workspace.
    - Refused (a form error or a ``WorkflowError``): an error message. A form holding text the agent
      typed (the composer, resolve) shows the page again with that text (400); the others go back.
    - The ticket changed meanwhile (``TicketChanged``): nothing was applied; the page is shown again as
      the ticket is now, with the agent's input kept and a warning (409).
    """

    http_method_names = ["post"]

    def post(self, request, pk, action):
        # Wagtail's operation views apply one move in ``perform_operation``; a move here is a form (of
        # ``ACTION_FORMS``) whose refusal shows the workspace again, so ``post`` itself does the work.
        form_class = ACTION_FORMS.get(action)
        if form_class is None:
            raise Http404
        ticket = self.ticket
        form = form_class(request.POST, request.FILES, ticket=ticket, user=request.user)
        if not form.is_valid():
            message = _("Ticket %(reference)s was not changed: please correct the form.")
            return self.refused(form, message % {"reference": ticket.reference})
        if isinstance(form, AbandonForm) and not form.confirmed:
            return self.confirm_abandon(form)

        version = ticket.version
        try:
            success = form.apply(action)
        except workflow.TicketChanged as error:
            return self.changed_meanwhile(form, error)
        except workflow.WorkflowError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            return self.refused(form, str(error))

        if ticket.version == version:
            messages.info(request, _("Nothing to change on ticket %(reference)s.") % {"reference": ticket.reference})
        else:
            messages.success(request, success)
        if not ticket_policy.user_has_permission_for_instance(request.user, "work", ticket):
            return self.no_longer_yours()
        return redirect(self.workspace_url(self.show, "conversation-end" if form_class is ComposerForm else ""))

    def no_longer_yours(self):
        # Moved to a team this agent is not in, or unassigned from an agent outside the team.
        messages.info(
            self.request, _("You no longer work on ticket %(reference)s.") % {"reference": self.ticket.reference}
        )
        return redirect(inbox_url())

    def changed_meanwhile(self, form, error):
        self.ticket = ticket_with_related(self.ticket.pk)
        if self.ticket is None:
            raise Http404
        if not ticket_policy.user_has_permission_for_instance(self.request.user, "work", self.ticket):
            messages.warning(self.request, str(error))
            return self.no_longer_yours()
        messages.warning(self.request, str(error))
        return self.render_workspace(posted=self.for_current_version(form), status=409)

    def refused(self, form, message):
        messages.error(self.request, message)
        if form.keeps_draft:
            if self.request.FILES:
                # A browser never fills a file field in again.
                messages.warning(self.request, _("Choose your attachments again before sending."))
            self.ticket.refresh_from_db()
            return self.render_workspace(posted=self.for_current_version(form), status=400)
        for name, errors in form.errors.items():
            if name == "version":
                messages.error(self.request, _("The form was out of date: look at the ticket and try again."))
            elif name in form.fields and errors and str(errors[0]) != message:
                messages.error(
                    self.request,
                    _("%(field)s: %(errors)s") % {"field": form.fields[name].label, "errors": " ".join(errors)},
                )
        return redirect(self.workspace_url(self.show))

    def for_current_version(self, form):
        """``form`` as the agent sent it, carrying the ticket's current version so it can be sent again."""
        data = form.data.copy()
        data[form.add_prefix("version")] = str(self.ticket.version)
        form.data = data
        form.ticket = self.ticket
        return form

    def confirm_abandon(self, form):
        """Abandoning closes the ticket as "No follow-up": ask first, change nothing."""
        context = super(TicketWorkspaceView, self).get_context_data()
        context.update(
            {
                "ticket": self.ticket,
                "form": form,
                "action_url": admin_url("ticket_action", self.ticket.pk, "abandon"),
                "workspace_url": self.workspace_url(self.show),
                "show": self.show,
            }
        )
        return self.response_class(
            request=self.request,
            template=["wagtail_support/admin/workspace/confirm_abandon.html"],
            context=context,
            using=self.template_engine,
        )
