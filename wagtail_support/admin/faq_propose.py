""""Propose as FAQ" on a resolved ticket: a draft question made from it (``faq_proposals.propose_from_ticket``).

A POST from the workspace of a ticket the agent may work (the same 404 as the workspace otherwise),
closed with a resolution and a solution (not abandoned). The draft goes through the FAQ's drafts and
moderation like any other question; a second click opens the question already proposed.
"""

from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from wagtail.admin import messages

from .. import faq, faq_proposals
from ..models import Ticket
from .paths import ticket_url
from .workspace import TicketMixin


class ProposeFAQView(TicketMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        ticket = self.ticket
        if not faq_proposals.can_propose_from(ticket):
            messages.error(request, _("Only a ticket resolved with a solution can be proposed as an FAQ question."))
            return redirect(ticket_url(ticket))
        with transaction.atomic():
            # The ticket's row held (read, not changed) so two clicks make one question.
            Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True).first()
            entry, created = faq_proposals.propose_from_ticket(ticket, request.user)
        if created:
            messages.success(request, _("A draft FAQ question was made from ticket %(reference)s.") % {"reference": ticket.reference})
        else:
            messages.info(request, _("This ticket was already proposed as an FAQ question."))
        if faq.FAQEntry.snippet_viewset.permission_policy.user_has_permission(request.user, "change"):
            return redirect(faq.FAQEntry.snippet_viewset.get_url_name("edit"), entry.pk)
        messages.info(request, _("An FAQ editor will review and publish it."))
        return redirect(ticket_url(ticket))
