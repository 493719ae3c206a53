"""``TicketActionView``: the POST that makes one move of the workspace (a Wagtail operation view).

- Done: a success message and back to the workspace; after a message, to that message (``#message-<id>``),
  where the page's script puts the confirmation beside it.
- Refused (a form error or a ``WorkflowError``): an error message. A form holding text the agent typed
  (the one form of the workspace) shows the page again with that text (400); the others go back.
- The ticket changed meanwhile: the one form is applied when its own changes do not touch what changed
  (the agent is told what the others did); otherwise (``ConflictingChanges``) nothing is applied, the
  page says what changed, field by field and by whom, and shows the form again with the agent's text
  (409). The other forms refuse any change meanwhile (``TicketChanged``), as before.

The one form's message and the agent's draft (``ReplyDraft``) go together: sending deletes the draft in
the move's transaction; "Save changes only" keeps the text as the draft; a refused post keeps it too.
"""

import json

from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views.generic.base import BaseOperationView

from .. import workflow
from ..access import ticket_policy
from .drafts import discard_draft, save_draft
from .paths import admin_url, inbox_url
from .ticket_forms import ACTION_FORMS, AbandonForm, SubmitForm
from .workspace import TicketWorkspaceView, ticket_with_related


def describe_change(change):
    """One change made by someone else, as the page tells it."""
    label = CHANGE_LABELS.get(change.field, change.field)
    if change.field == "message":
        text = _("%(who)s wrote a new public message") % {"who": change.by or _("Someone")}
        return text
    values = {"field": label(), "old": change.old, "new": change.new, "who": change.by}
    if change.by:
        return _("%(field)s: %(old)s → %(new)s (by %(who)s)") % values
    return _("%(field)s: %(old)s → %(new)s") % values


CHANGE_LABELS = {
    "team": lambda: _("Support team"),
    "assignee": lambda: _("Assignee"),
    "kind": lambda: _("Type"),
    "priority": lambda: _("Priority"),
    "category": lambda: _("Service catalog entry"),
    "subject": lambda: _("Subject"),
    "status": lambda: _("Status"),
    "message": lambda: _("Conversation"),
}


class TicketActionView(TicketWorkspaceView, BaseOperationView):
    """One move on the ticket (POST only), made through the workflow (see the module's docstring)."""

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
            with transaction.atomic():
                success = form.apply(action)
                if isinstance(form, SubmitForm):
                    self.keep_or_drop_draft(form)
        except workflow.ConflictingChanges as error:
            return self.conflicting(form, error)
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
        submitted = getattr(form, "submitted", None)
        if submitted is not None and submitted.meanwhile:
            messages.info(request, self.meanwhile_sentence(submitted.meanwhile))
        if not ticket_policy.user_has_permission_for_instance(request.user, "work", ticket):
            return self.no_longer_yours()
        anchor = ""
        if submitted is not None:
            anchor = f"message-{submitted.message.pk}" if submitted.message is not None else "composer"
        return redirect(self.workspace_url(self.show, anchor))

    def keep_or_drop_draft(self, form):
        """In the move's transaction: a message sent takes its draft with it; "Save changes only" keeps
        the text as the draft (even when the script had no time to save it)."""
        data = form.cleaned_data
        if data.get("only"):
            save_draft(self.ticket, self.request.user, data.get("body", ""), data.get("mode"))
        elif form.submitted.message is not None:
            discard_draft(self.ticket, self.request.user)

    def meanwhile_sentence(self, changes):
        return _("Applied. Meanwhile on this ticket: %(changes)s.") % {
            "changes": "; ".join(describe_change(change) for change in changes)
        }

    def no_longer_yours(self):
        # Moved to a team this agent is not in, or unassigned from an agent outside the team.
        messages.info(
            self.request, _("You no longer work on ticket %(reference)s.") % {"reference": self.ticket.reference}
        )
        return redirect(inbox_url())

    def keep_text(self, form):
        """A refused post of the one form: its text stays the agent's draft on the server too."""
        if isinstance(form, SubmitForm) and not form.data.get("only"):
            save_draft(self.ticket, self.request.user, form.data.get("body", ""), form.data.get("mode"))

    def conflicting(self, form, error):
        """Someone changed what this post changes: nothing applied; say what, by whom; show the form again
        as the ticket is now, the agent's text kept and their conflicting choices put back."""
        self.ticket = ticket_with_related(self.ticket.pk)
        if self.ticket is None:
            raise Http404
        self.keep_text(form)
        messages.warning(self.request, str(error))
        for change in error.conflicts:
            messages.warning(self.request, describe_change(change))
        others = [change for change in error.changes if change not in error.conflicts]
        if others:
            messages.info(self.request, self.meanwhile_sentence(others).removeprefix(_("Applied.") + " "))
        form = self.for_current_version(form, reset=[change.field for change in error.conflicts])
        return self.render_workspace(posted=form, status=409)

    def changed_meanwhile(self, form, error):
        self.ticket = ticket_with_related(self.ticket.pk)
        if self.ticket is None:
            raise Http404
        if not ticket_policy.user_has_permission_for_instance(self.request.user, "work", self.ticket):
            messages.warning(self.request, str(error))
            return self.no_longer_yours()
        self.keep_text(form)
        messages.warning(self.request, str(error))
        return self.render_workspace(posted=self.for_current_version(form), status=409)

    def refused(self, form, message):
        messages.error(self.request, message)
        if "version" in form.errors:
            messages.error(self.request, _("The form was out of date: look at the ticket and try again."))
        if form.keeps_draft:
            self.keep_text(form)
            if self.request.FILES:
                # A browser never fills a file field in again.
                messages.warning(self.request, _("Choose your attachments again before sending."))
            self.ticket.refresh_from_db()
            return self.render_workspace(posted=self.for_current_version(form), status=400)
        for name, errors in form.errors.items():
            if name != "version" and name in form.fields and errors and str(errors[0]) != message:
                messages.error(
                    self.request,
                    _("%(field)s: %(errors)s") % {"field": form.fields[name].label, "errors": " ".join(errors)},
                )
        return redirect(self.workspace_url(self.show))

    def for_current_version(self, form, reset=()):
        """``form`` as the agent sent it, carrying the ticket's current version (and what the page shows
        of it) so it can be sent again; the fields in ``reset`` show the ticket's value again."""
        data = form.data.copy()
        data[form.add_prefix("version")] = str(self.ticket.version)
        if isinstance(form, SubmitForm):
            seen = workflow.seen_values(self.ticket)
            data["seen"] = json.dumps(seen)
            for name in reset:
                if name in SubmitForm.PROPERTY_FIELDS:
                    data[name] = "" if seen[name] is None else str(seen[name])
                elif name == "status":
                    data.pop("then", None)
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
