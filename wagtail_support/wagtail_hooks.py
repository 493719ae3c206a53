"""Everything wagtail-support registers with Wagtail, and nothing else: the views live in ``admin``."""

from django.contrib.auth.models import Permission
from django.urls import include, path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .admin import menu, page_tickets, urls, viewsets
from .admin.bulk_actions import BULK_ACTIONS
from .admin.faq import FAQViewSetGroup
from .admin.first_run import FirstRunPanel
from .admin.history import register_ticket_log_actions
from .admin.panels import SupportNotificationsPanel, TicketsForMyTeamsPanel
from .groups import REGISTERED_PERMISSIONS


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

for _bulk_action in BULK_ACTIONS:
    hooks.register("register_bulk_action", _bulk_action)
