"""The admin side of mail: what an agent can do with the records of mail sent and received.

- "Send again" on a failed mail (from the ticket workspace or the "Outgoing mail" list): any agent who
  may work the mail's ticket; mails without a ticket (the "find my tickets" links) need a supervisor.
- On the incoming mail that reached no ticket (quarantined, ignored or failed), a supervisor opens it as
  a new ticket (or processes it again) or discards it.

Both are Wagtail operation views (a POST that makes one change, then back). Every change goes through
``notifications`` or ``inbound``; the lists themselves are ``admin.viewsets``.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from .. import inbound, workflow
from ..access import ticket_policy
from ..models import InboundMail, OutboundMail
from ..notifications.delivery import retry
from .paths import ticket_url
from .viewsets import url_for


def can_resend(user, mail):
    if mail.ticket_id is not None:
        return ticket_policy.user_has_permission_for_instance(user, "work", mail.ticket)
    return ticket_policy.user_has_permission(user, "view_all")


def _back(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


class ResendMailView(BaseOperationView):
    """Send a failed mail again, now."""

    model = OutboundMail
    http_method_names = ["post"]

    def get_object(self):
        mail = OutboundMail.objects.select_related("ticket").filter(pk=int(self.pk)).first()
        user = self.request.user
        if mail is None or not ticket_policy.user_has_permission(user, "work") or not can_resend(user, mail):
            # The same answer whether the mail exists or not.
            raise Http404
        return mail

    def post(self, request, *args, **kwargs):
        mail = self.object
        fallback = ticket_url(mail.ticket_id) + f"#mail-{mail.pk}" if mail.ticket_id else url_for(OutboundMail)
        if mail.status in {OutboundMail.Status.QUEUED, OutboundMail.Status.SENDING} and not OutboundMail.objects.retryable().filter(pk=mail.pk).exists():
            messages.warning(request, _("This mail is being sent; try again in a few minutes."))
            return _back(request, fallback)
        sent, failed = retry([mail])
        mail.refresh_from_db()
        if not sent and not failed:
            messages.warning(request, _("This mail was sent already; it was not sent again."))
        elif sent:
            messages.success(request, _("The mail to %(recipient)s was sent again.") % {"recipient": mail.recipient})
        else:
            messages.error(
                request,
                _("The mail to %(recipient)s failed again: %(reason)s") % {"recipient": mail.recipient, "reason": mail.error},
            )
        return _back(request, fallback)


class InboundMailActionView(PermissionCheckedMixin, BaseOperationView):
    """Open a ticket from a quarantined or ignored mail, process a failed one again, or discard it."""

    model = InboundMail
    permission_required = "change"
    http_method_names = ["post"]
    ACTIONS = {"release", "discard"}

    def get_object(self):
        record = InboundMail.objects.filter(pk=int(self.pk)).first()
        if record is None or self.kwargs.get("action") not in self.ACTIONS:
            raise Http404
        return record

    def setup(self, request, *args, **kwargs):
        # Supervisors only, before anything about the mail is told (the object is read in setup).
        self.request = request
        if not self.user_has_permission(self.permission_required):
            raise PermissionDenied
        super().setup(request, *args, **kwargs)

    def post(self, request, pk, action):
        record = self.object
        list_url = url_for(InboundMail)
        if record.status not in {InboundMail.Status.QUARANTINED, InboundMail.Status.IGNORED, InboundMail.Status.FAILED}:
            messages.warning(request, _("This mail has already been dealt with."))
            return redirect(list_url)
        if action == "discard":
            inbound.discard(record)
            messages.success(request, _("The mail from %(sender)s was discarded.") % {"sender": record.from_email})
            return redirect(list_url)
        try:
            result = inbound.release(record)
        except workflow.WorkflowError as error:
            messages.error(request, str(error))
            return redirect(list_url)
        if result.ticket_id and result.status in {InboundMail.Status.ADDED, InboundMail.Status.OPENED}:
            messages.success(
                request,
                _("The mail from %(sender)s is now on ticket %(reference)s.")
                % {"sender": record.from_email, "reference": result.ticket.reference},
            )
            if ticket_policy.user_has_permission_for_instance(request.user, "work", result.ticket):
                return redirect(ticket_url(result.ticket_id))
        else:
            messages.error(
                request,
                _("The mail could not be processed: %(reason)s") % {"reason": result.note or result.get_reason_display()},
            )
        return redirect(list_url)
