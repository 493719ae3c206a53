"""The admin side of mail: the records of mail sent and received, and what an agent can do with them.

- "Send again" on a failed mail (from the ticket workspace or the "Outgoing mail" list): any agent who
  may work the mail's ticket; mails without a ticket (the "find my tickets" links) need a supervisor.
- "Outgoing mail" and "Incoming mail" lists under the Support menu, for supervisors: every mail with
  its status, and the incoming mail that reached no ticket (quarantined, ignored or failed), which a
  supervisor opens as a new ticket, processes again or discards.
- The agents' choice of the notifications they get, on their account page.

Registered by ``wagtail_hooks``; every change goes through ``notifications`` or ``inbound``.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.account import BaseSettingsPanel, notifications_tab
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin

from . import access, inbound, notifications, workflow
from .models import InboundMail, NotificationSettings, OutboundMail

PERM_MANAGE_INBOUND = "wagtail_support.change_inboundmail"


def can_resend(user, mail):
    if mail.ticket_id is not None:
        return access.can_work_ticket(user, mail.ticket)
    return access.can_view_all(user)


def _back(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_admin_access
@require_POST
def resend_mail(request, pk):
    """Send a failed mail again, now."""
    mail = OutboundMail.objects.select_related("ticket").filter(pk=pk).first()
    if mail is None or not access.is_agent(request.user) or not can_resend(request.user, mail):
        # The same answer whether the mail exists or not.
        raise Http404
    fallback = (
        reverse("wagtail_support_ticket", args=[mail.ticket_id]) + f"#mail-{mail.pk}"
        if mail.ticket_id
        else reverse(OutboundMailAdmin().url_helper.get_action_url_name("index"))
    )
    if mail.status in {OutboundMail.Status.QUEUED, OutboundMail.Status.SENDING} and not OutboundMail.objects.retryable().filter(pk=mail.pk).exists():
        messages.warning(request, _("This mail is being sent; try again in a few minutes."))
        return _back(request, fallback)
    sent, failed = notifications.retry([mail])
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


@require_admin_access
@require_POST
def inbound_mail_action(request, pk, action):
    """Open a ticket from a quarantined or ignored mail, process a failed one again, or discard it."""
    if not request.user.has_perm(PERM_MANAGE_INBOUND) and not request.user.is_superuser:
        raise PermissionDenied
    record = InboundMail.objects.filter(pk=pk).first()
    if record is None or action not in {"release", "discard"}:
        raise Http404
    list_url = reverse(InboundMailAdmin().url_helper.get_action_url_name("index"))
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
        if access.can_work_ticket(request.user, result.ticket):
            return redirect("wagtail_support_ticket", result.ticket_id)
    else:
        messages.error(
            request,
            _("The mail could not be processed: %(reason)s") % {"reason": result.note or result.get_reason_display()},
        )
    return redirect(list_url)


def admin_urls():
    return [
        path("support/mail/<int:pk>/resend/", resend_mail, name="wagtail_support_mail_resend"),
        path("support/inbound/<int:pk>/<slug:action>/", inbound_mail_action, name="wagtail_support_inbound_action"),
    ]


# The lists --------------------------------------------------------------------------------------------------


class ReadOnlyPermissionHelper(PermissionHelper):
    """Records are written by the mail code only: they can be listed and inspected, never edited."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class MailAdminMixin:
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_per_page = 50

    def ticket_link(self, obj):
        if obj.ticket_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("wagtail_support_ticket", args=[obj.ticket_id]), obj.ticket.reference
        )

    ticket_link.short_description = gettext_lazy("Ticket")


class OutboundMailAdmin(MailAdminMixin, ModelAdmin):
    model = OutboundMail
    menu_label = gettext_lazy("Outgoing mail")
    menu_icon = "mail"
    list_display = ("created_at", "recipient", "event_label", "ticket_link", "status", "attempts", "error")
    list_filter = ("status", "event", "audience")
    search_fields = ("recipient", "internet_message_id", "esp_message_id", "subject")
    inspect_view_fields = (
        "ticket", "message", "event", "audience", "recipient", "language", "subject", "internet_message_id",
        "esp_name", "esp_message_id", "status", "error", "attempts", "created_at", "sent_at", "updated_at",
    )
    inspect_template_name = "wagtail_support/admin/outbound_mail_inspect.html"

    def event_label(self, obj):
        return obj.event_label

    event_label.short_description = gettext_lazy("Event")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket")


class InboundMailAdmin(MailAdminMixin, ModelAdmin):
    model = InboundMail
    menu_label = gettext_lazy("Incoming mail")
    menu_icon = "download"
    list_display = ("received_at", "from_email", "subject", "status", "reason", "ticket_link")
    list_filter = ("status", "reason")
    search_fields = ("from_email", "subject", "internet_message_id", "recipients")
    inspect_view_fields = (
        "received_at", "from_email", "from_name", "recipients", "subject", "internet_message_id", "esp_name",
        "status", "reason", "note", "ticket", "message",
    )
    inspect_template_name = "wagtail_support/admin/inbound_mail_inspect.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket").defer("raw")


# The agent's notification settings -------------------------------------------------------------------------


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
        return access.is_agent(self.user)

    def get_form(self):
        instance = NotificationSettings.objects.filter(user=self.user).first() or NotificationSettings(user=self.user)
        if self.request.method == "POST":
            return self.form_class(self.request.POST, instance=instance, prefix=self.name)
        return self.form_class(instance=instance, prefix=self.name)
