"""Merging a ticket into another from its workspace ("Merge into…"): pick the ticket that goes on, see
what moves, confirm. A merge cannot be undone, so it is confirmed like Abandon: the first POST only shows
the summary; only the POST of the summary (``confirm``) merges, through ``workflow.merge``.

The target is typed ("#124" or "124") or picked among the requester's other open tickets that the agent
works (one query). A ticket that does not exist and one the agent does not work are refused alike.
"""

import re

from django import forms
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail.admin import messages

from .. import workflow
from ..access import worked_tickets
from ..models import Ticket
from .paths import admin_url, ticket_url
from .workspace import TicketMixin

# At most this many of the requester's other open tickets are offered.
CANDIDATES = 20


class MergeForm(forms.Form):
    target = forms.CharField(
        label=gettext_lazy("Ticket to merge into"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Its reference, e.g. #1024, or its number."),
    )
    choice = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def number(self):
        text = (self.cleaned_data.get("choice") or self.cleaned_data.get("target") or "").strip()
        match = re.fullmatch(r"\D*?(\d{1,18})", text)
        return int(match.group(1)) if match else None


def candidates(ticket, user):
    """The requester's (or beneficiary's) other open tickets that ``user`` works, newest first: one query."""
    emails = {e.lower() for e in (ticket.requester_email, ticket.beneficiary_email) if e}
    if not emails:
        return []
    query = Q(requester_email__in=emails) | Q(beneficiary_email__in=emails)
    return list(
        worked_tickets(user)
        .filter(query, merged_into__isnull=True)
        .exclude(status=Ticket.Status.CLOSED)
        .exclude(pk=ticket.pk)
        .order_by("-created_at")[:CANDIDATES]
    )


class TicketMergeView(TicketMixin, View):
    """GET: choose the target; POST: the summary to confirm; POST with ``confirm``: the merge."""

    http_method_names = ["get", "post"]
    template_name = "wagtail_support/admin/workspace/merge.html"

    @method_decorator(never_cache)
    def get(self, request, pk):
        return self.show(MergeForm(initial={"version": self.ticket.version}))

    def post(self, request, pk):
        form = MergeForm(request.POST)
        if not form.is_valid():
            return self.show(form, status=400)
        number = form.number()
        target = (
            worked_tickets(request.user).select_related("team", "requester_user").filter(number=number).first()
            if number is not None
            else None
        )
        if target is None:
            form.add_error("target", _("Give the reference of a ticket that you work."))
            return self.show(form, status=400)
        if not form.cleaned_data.get("confirm"):
            return self.show(form, target=target)
        try:
            workflow.merge(self.ticket, target, by=request.user, expected_version=form.cleaned_data["version"])
        except workflow.WorkflowError as error:
            messages.error(request, str(error))
            return self.show(form, status=400)
        messages.success(
            request,
            _("Ticket %(source)s was merged into %(target)s.") % {"source": self.ticket.reference, "target": target.reference},
        )
        return redirect(ticket_url(target))

    def show(self, form, target=None, status=200):
        context = self.get_context_data()
        context.update(
            {
                "ticket": self.ticket,
                "form": form,
                "target": target,
                "moving": self.ticket.messages.count() if target is not None else None,
                "candidates": candidates(self.ticket, self.request.user) if target is None else [],
                "action_url": admin_url("ticket_merge", self.ticket.pk),
                "workspace_url": ticket_url(self.ticket),
            }
        )
        return self.render_to_response(context, status=status)

    def get_page_title(self):
        return _("Merge %(reference)s") % {"reference": self.ticket.reference}

    def render_to_response(self, context, status=200):
        return TemplateResponse(self.request, self.template_name, context, status=status)
