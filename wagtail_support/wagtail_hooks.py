"""Everything wagtail-support registers with Wagtail, and nothing else: the views live in ``admin``."""

from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.contrib.settings.registry import register_setting
from wagtail.snippets.models import register_snippet

from .admin import menu, page_tickets, urls, viewsets, webhooks
from .admin.api_tokens import SupportApiTokensPanel
from .admin.automation_history import register_automation_log_actions
from .admin.bulk_actions import BULK_ACTIONS
from .admin.faq import FAQViewSetGroup
from .admin.first_run import FirstRunPanel
from .admin.history import register_ticket_log_actions
from .admin.panels import MonthlySummaryPanel, SupportNotificationsPanel, TicketsForMyTeamsPanel
from .admin.privacy import register_privacy_log_actions
from .groups import REGISTERED_PERMISSIONS
from .models import SupportSiteSettings


@hooks.register("register_admin_urls")
def register_support_admin_urls():
    return [
        path("support/", include(urls, namespace=urls.app_name)),
        path("support/reports/", include(page_tickets.report_urls())),
    ]


@hooks.register("register_permissions")
def register_support_permissions():
    # The custom permissions and the configuration models', shown in the group editor of Settings > Groups.
    return Permission.objects.filter(content_type__app_label="wagtail_support", codename__in=REGISTERED_PERMISSIONS)


hooks.register("register_log_actions", register_ticket_log_actions)
hooks.register("register_log_actions", register_automation_log_actions)
hooks.register("register_log_actions", register_privacy_log_actions)

# The Support menu, and the configuration and mail screens in it.
hooks.register("register_admin_menu_item", menu.support_menu_item)
for _factory in menu.menu_item_factories():
    hooks.register(menu.MENU_HOOK, _factory)
viewsets.register()

# The FAQ's questions and topics, as snippets under one "FAQ" menu item.
register_snippet(FAQViewSetGroup)


@hooks.register("register_account_settings_panel")
def register_support_notifications_panel(request, user, profile):
    return SupportNotificationsPanel(request, user, profile)


@hooks.register("register_account_settings_panel")
def register_monthly_summary_panel(request, user, profile):
    return MonthlySummaryPanel(request, user, profile)


@hooks.register("register_account_settings_panel")
def register_support_api_tokens_panel(request, user, profile):
    # The agent's tokens of the support API, on a tab of its own (created and revoked on their own pages).
    return SupportApiTokensPanel(request, user, profile)


@hooks.register("construct_homepage_panels")
def add_tickets_for_my_teams_panel(request, panels):
    if TicketsForMyTeamsPanel.is_shown_to(request.user):
        panels.append(TicketsForMyTeamsPanel(request))


@hooks.register("construct_homepage_panels")
def add_first_run_panel(request, panels):
    # Supervisors only, and it renders nothing once the site lacks nothing.
    if FirstRunPanel.is_shown_to(request.user):
        panels.append(FirstRunPanel(request))


# Tickets where editors work: the "Support tickets" side panel in every page's editor (through the page
# viewset registered for ``Page``, after Wagtail's own) and the "Pages with open tickets" report.
hooks.register("register_admin_viewset", lambda: page_tickets.SupportPageViewSet())
hooks.register("register_reports_menu_item", page_tickets.report_menu_item)

# Support › Webhooks: the supervisors' outgoing webhooks and their delivery logs.
hooks.register("register_admin_viewset", lambda: webhooks.WebhookViewSet())

for _bulk_action in BULK_ACTIONS:
    hooks.register("register_bulk_action", _bulk_action)


# Settings › Support: each Site's sender, inbound address, default team, promise and mail look. Only with
# wagtail.contrib.settings installed (its menu item reverses its URLs); the system check E008 asks for it.
SupportSiteSettings.edit_handler = ObjectList(
    [
        MultiFieldPanel([FieldPanel("sender_name"), FieldPanel("sender_email")], heading=_("Sender")),
        MultiFieldPanel([FieldPanel("inbound_email"), FieldPanel("default_team")], heading=_("Incoming tickets")),
        MultiFieldPanel(
            [FieldPanel("reply_time_promise"), InlinePanel("promise_translations", label=_("Translations"))],
            heading=_("Reply-time promise"),
        ),
        MultiFieldPanel([FieldPanel("mail_logo"), FieldPanel("mail_colour")], heading=_("Mail look")),
    ]
)
if apps.is_installed("wagtail.contrib.settings"):
    register_setting(SupportSiteSettings, icon="help")
