"""The supervisors' webhook screens: Support › Webhooks.

- The list, "Add webhook", edit and delete: Wagtail's ``ModelViewSet`` (``WebhookViewSet``), checked with
  the model's permissions (``add_webhook``... given to "Support supervisors"; an agent gets a 403). The
  edit page shows the signing secret with a copy button, "Rotate the secret", "Send a test event" and the
  way to the delivery log.
- The delivery log of one webhook (``WebhookDeliveriesView``): each event sent, its payload, status,
  attempts and the receiver's answer (escaped), newest first, with "Send again".
- The POSTs (CSRF-checked operation views, ``change_webhook``): rotate the secret, send a test event, send
  a delivery again (a new attempt of the same event id).

The work itself is ``wagtail_support.webhooks``'s; these views only ask it.
"""

import json

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse, reverse_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from .. import webhooks
from ..models import Team, Webhook, WebhookDelivery

VIEWSET_NAME = "wagtail_support_webhooks"
DELIVERIES_PER_PAGE = 50

webhook_policy = ModelPermissionPolicy(Webhook)


def webhook_url(name, *args):
    """The address of a webhook screen: ``"index"``, ``"add"``, ``"edit"``, ``"deliveries"``... ."""
    return reverse(f"{VIEWSET_NAME}:{name}", args=args)


class WebhookForm(WagtailAdminModelForm):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are posted, as JSON (http or https)."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Webhook.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("“Internal note added” is sent only if “send internal data” is ticked."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Only the tickets of these teams; none ticked: every ticket."),
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "include_internal", "teams", "is_active"]

    def clean_events(self):
        # In the order of the choices, whatever the order posted (a list of known names only).
        chosen = set(self.cleaned_data["events"])
        return [value for value, _label in Webhook.Event.choices if value in chosen]

    def clean(self):
        cleaned = super().clean()
        if Webhook.Event.NOTED in (cleaned.get("events") or []) and not cleaned.get("include_internal"):
            self.add_error(
                "include_internal",
                gettext(
                    "Internal notes are sent only to a webhook that sends internal data: tick this, "
                    "or untick “Internal note added”."
                ),
            )
        return cleaned


class WebhookCreateView(generic.CreateView):
    def save_instance(self):
        instance = self.form.save(commit=False)
        instance.created_by = self.request.user
        instance.save()
        self.form.save_m2m()
        return instance

    def get_success_url(self):
        # To the edit page, which shows the new secret.
        return webhook_url("edit", self.object.pk)


class WebhookEditView(generic.EditView):
    template_name = "wagtail_support/admin/webhook_edit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            secret=self.object.secret,
            rotate_url=webhook_url("rotate", self.object.pk),
            ping_url=webhook_url("ping", self.object.pk),
            deliveries_url=webhook_url("deliveries", self.object.pk),
            can_change=webhook_policy.user_has_permission(self.request.user, "change"),
        )
        return context


def events_label(webhook):
    labels = dict(Webhook.Event.choices)
    return ", ".join(str(labels.get(event, event)) for event in webhook.events or []) or gettext("None")


class WebhookViewSet(ModelViewSet):
    model = Webhook
    name = VIEWSET_NAME
    url_prefix = "support/webhooks"
    icon = "link"
    add_to_admin_menu = False
    menu_label = _("Webhooks")
    form_fields = ["name", "url", "events", "include_internal", "teams", "is_active"]
    add_view_class = WebhookCreateView
    edit_view_class = WebhookEditView
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return WebhookForm

    @property
    def list_display(self):
        return [
            "name",
            "url",
            Column("events", label=_("Events"), accessor=events_label),
            BooleanColumn("include_internal", label=_("Internal data")),
            BooleanColumn("is_active", label=_("Active")),
            TitleColumn(
                "deliveries",
                label=_("Delivery log"),
                accessor=lambda webhook: gettext("Deliveries"),
                get_url=lambda webhook: webhook_url("deliveries", webhook.pk),
            ),
        ]

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/deliveries/", WebhookDeliveriesView.as_view(), name="deliveries"),
            path("<int:pk>/rotate/", WebhookOperationView.as_view(operation="rotate"), name="rotate"),
            path("<int:pk>/ping/", WebhookOperationView.as_view(operation="ping"), name="ping"),
            path("deliveries/<int:pk>/send-again/", SendAgainView.as_view(), name="send_again"),
        ]


class WebhookMenuItem(MenuItem):
    """Support › Webhooks, for those who may manage webhooks."""

    def is_shown(self, request):
        return webhook_policy.user_has_any_permission(request.user, ["add", "change", "delete", "view"])


def menu_item_factory(order):
    """Support › Webhooks (made when the menu is first built, once the URLs are loaded)."""
    return lambda: WebhookMenuItem(_("Webhooks"), reverse_lazy(f"{VIEWSET_NAME}:index"), icon_name="link", order=order)


class SupervisorOnlyMixin:
    """Checked in ``setup``, before anything about the object is read: the same 403 whether it exists."""

    permission = "view"

    def setup(self, request, *args, **kwargs):
        if not webhook_policy.user_has_permission(request.user, self.permission):
            raise PermissionDenied
        super().setup(request, *args, **kwargs)


class WebhookDeliveriesView(SupervisorOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """One webhook's deliveries, newest first, with "Send again"."""

    template_name = "wagtail_support/admin/webhook_deliveries.html"
    header_icon = "link"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.webhook = get_object_or_404(Webhook, pk=kwargs["pk"])

    def get_page_title(self):
        return gettext("Delivery log")

    def get_page_subtitle(self):
        return self.webhook.name

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("wagtailadmin_home"), "label": gettext("Home")},
            {"url": webhook_url("index"), "label": gettext("Webhooks")},
            {"url": webhook_url("edit", self.webhook.pk), "label": self.webhook.name},
            {"url": "", "label": gettext("Delivery log")},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deliveries = self.webhook.deliveries.select_related("ticket").order_by("-created_at", "-pk")
        paginator = WagtailPaginator(deliveries, DELIVERIES_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("p"))
        labels = {**dict(Webhook.Event.choices), webhooks.PING: gettext("Test event")}
        context.update(
            webhook=self.webhook,
            page_obj=page,
            paginator=paginator,
            # The payload as sent (JSON, escaped by the template like every text from a ticket).
            rows=[
                (delivery, labels.get(delivery.event, delivery.event), json.dumps(delivery.payload, indent=2, ensure_ascii=False))
                for delivery in page.object_list
            ],
            can_change=webhook_policy.user_has_permission(self.request.user, "change"),
            edit_url=webhook_url("edit", self.webhook.pk),
            ping_url=webhook_url("ping", self.webhook.pk),
        )
        return context


class WebhookOperationView(SupervisorOnlyMixin, generic.base.BaseOperationView):
    """Rotate a webhook's secret, or send it a test event (``ping``)."""

    model = Webhook
    permission = "change"
    operation = None
    http_method_names = ["post"]

    def perform_operation(self):
        if self.operation == "rotate":
            self.object.rotate_secret()
            messages.success(
                self.request,
                gettext("The secret of “%(name)s” was replaced: give the new one to its receiver.")
                % {"name": self.object.name},
            )
            return
        delivery = webhooks.record_ping(self.object)
        delivery.refresh_from_db()
        if delivery.status == WebhookDelivery.Status.DELIVERED:
            messages.success(self.request, gettext("The test event was delivered."))
        elif delivery.status == WebhookDelivery.Status.PENDING:
            messages.success(self.request, gettext("The test event is on its way: see the delivery log."))
        else:
            messages.error(self.request, gettext("The test event failed: %(error)s") % {"error": delivery.error})

    def get_success_url(self):
        if self.operation == "rotate":
            return webhook_url("edit", self.object.pk)
        return webhook_url("deliveries", self.object.pk)


class SendAgainView(SupervisorOnlyMixin, generic.base.BaseOperationView):
    """A new attempt of one delivery, now, with the same event id."""

    model = WebhookDelivery
    permission = "change"
    http_method_names = ["post"]

    def get_object(self):
        delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=int(self.pk)).first()
        if delivery is None:
            raise Http404
        return delivery

    def perform_operation(self):
        status = webhooks.send_again(self.object)
        self.object.refresh_from_db()
        if status is None:
            messages.warning(self.request, gettext("This delivery is being sent; try again in a few minutes."))
        elif status == WebhookDelivery.Status.DELIVERED:
            messages.success(self.request, gettext("The event was delivered again."))
        else:
            messages.error(self.request, gettext("The event failed again: %(error)s") % {"error": self.object.error})

    def get_success_url(self):
        return webhook_url("deliveries", self.object.webhook_id)

    def post(self, request, *args, **kwargs):
        self.perform_operation()
        return redirect(self.get_success_url())
