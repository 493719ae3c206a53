"""The agent's draft on a ticket, kept on the server (``ReplyDraft``): saved by the workspace's script
while they type (about a second after they stop, and when the tab is hidden or closed), discarded by
"Cancel". The workspace shows it again on a reload, on another device, after a refused post; sending the
message deletes it in the same transaction (``admin.actions``).

Only the agent who may work the ticket reaches it (the same ``TicketMixin`` as the workspace: any other
ticket is a 404), and only their own draft: there is no id to guess.
"""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from wagtail.admin import messages

from ..models import ReplyDraft
from .workspace import SHOW_CHOICES, TicketMixin

# A draft is text typed by a person; a megabyte is far more than any reply.
MAX_DRAFT_LENGTH = 1_000_000


def save_draft(ticket, user, body, mode):
    """Keep ``body`` as ``user``'s draft on ``ticket`` (an empty one is deleted); returns the draft or None."""
    mode = mode if mode in ReplyDraft.Mode.values else ReplyDraft.Mode.PUBLIC
    if not (body or "").strip():
        discard_draft(ticket, user)
        return None
    draft, _created = ReplyDraft.objects.update_or_create(
        ticket=ticket, user=user, defaults={"body": body[:MAX_DRAFT_LENGTH], "mode": mode}
    )
    return draft


def discard_draft(ticket, user):
    ReplyDraft.objects.filter(ticket=ticket, user=user).delete()


class DraftView(TicketMixin, View):
    """POST ``body`` and ``mode`` to save the draft, or ``discard`` to throw it away ("Cancel").

    The script asks for JSON; a plain form post ("Cancel" without the script) goes back to the ticket.
    """

    http_method_names = ["post"]

    def post(self, request, pk):
        ticket, user = self.ticket, request.user
        if request.POST.get("discard"):
            discard_draft(ticket, user)
            draft = None
        else:
            draft = save_draft(ticket, user, request.POST.get("body", ""), request.POST.get("mode"))
        if request.headers.get("X-Requested-With") == "fetch" or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"saved": draft is not None, "updated": draft.updated.isoformat() if draft else None})
        if request.POST.get("discard"):
            messages.info(request, _("Draft discarded. The ticket was not changed."))
        show = request.POST.get("show")
        return redirect(self.workspace_url(show if show in SHOW_CHOICES else None, "composer"))
