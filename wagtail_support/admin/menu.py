"""The Support menu, built with Wagtail's own menu classes: the inbox (with the count of unassigned
tickets), "New ticket" and "Reports" for agents, then the configuration and mail screens (``admin.viewsets``) for
those allowed to list them. Sites add items with the ``register_wagtail_support_menu_item`` hook.

The top-level "Support" item shows the same count, so an agent sees it with the menu folded: "Support (3)".
Both share one count query per request, and none on the inbox and the admin home, which count it anyway.
"""

from functools import partial

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from ..access import ticket_policy
from . import viewsets, webhooks
from .paths import NAMESPACE
from .privacy import PersonalDataMenuItem
from .scope import unassigned_count

MENU_HOOK = "register_wagtail_support_menu_item"


def _with_count(label, number):
    # "Inbox (3)": the number of unassigned tickets this agent works; nothing when there are none.
    # Past the limit, "Inbox (1,000+)" (a ``BoundedCount``).
    return _("%(label)s (%(count)s)") % {"label": label, "count": number} if number else label


class AgentMenuItem(MenuItem):
    """A menu item for agents (the ticket permission policy's "work"), with an optional count."""

    def __init__(self, label, url, count=None, **kwargs):
        self.count = count
        super().__init__(label, url, **kwargs)

    def is_shown(self, request):
        return ticket_policy.user_has_permission(request.user, "work")

    def render_component(self, request):
        component = super().render_component(request)
        if self.count is not None:
            component.label = _with_count(self.label, self.count(request))
        return component


class SupportMenuItem(SubmenuMenuItem):
    """The top-level "Support" item, with the count of unassigned tickets for an agent."""

    def render_component(self, request):
        component = super().render_component(request)
        if ticket_policy.user_has_permission(request.user, "work"):
            component.label = _with_count(self.label, unassigned_count(request))
        return component


def menu_item_factories():
    """One callable per item this app puts in the Support menu (each registered on ``MENU_HOOK``)."""
    return [
        partial(AgentMenuItem, _("Inbox"), reverse_lazy(f"{NAMESPACE}:inbox"), count=unassigned_count, icon_name="tasks", order=1),
        partial(AgentMenuItem, _("New ticket"), reverse_lazy(f"{NAMESPACE}:ticket_create"), icon_name="plus", order=2),
        partial(AgentMenuItem, _("Reports"), reverse_lazy(f"{NAMESPACE}:reports"), icon_name="doc-full", order=3),
        *viewsets.menu_item_factories(first_order=10),
        # A person's data, exported or erased: supervisors with the permission only.
        partial(PersonalDataMenuItem, _("Personal data"), reverse_lazy(f"{NAMESPACE}:personal_data"), icon_name="user", order=90),
        webhooks.menu_item_factory(order=95),
    ]


support_menu = Menu(register_hook_name=MENU_HOOK, construct_hook_name="construct_wagtail_support_menu")


def support_menu_item():
    """The top-level "Support" item of Wagtail's menu (shown when any of its items is)."""
    return SupportMenuItem(_("Support"), support_menu, icon_name="help", name="support", order=150)

