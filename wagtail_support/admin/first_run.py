""""Finish setting up support" on the admin home: what a new site still lacks before a ticket reaches an
agent and its mail reaches the requester, each with a link to fix it.

Shown to those who may edit the support configuration (``CONFIG_PERMISSION``, supervisors and superusers),
and only while something is missing. Three queries on every admin home of such a user, whatever the data:
the teams (how many, how many with a member), the default team (``adapter.get_default_team``, none when
``WAGTAILSUPPORT_DEFAULT_TEAM`` is unset), and the default site with two existence tests (a resolution code
to resolve with, a live support page). A missing support page costs one more (may the user add a page?).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component
from wagtail.models import Page, Site

from ..adapter import get_adapter
from ..conf import support_settings
from ..links import support_page_models
from ..models import ResolutionCode, Team
from ..setup_status import admin_base_url_is_placeholder, sender_is_placeholder, usable_resolution_codes
from .viewsets import url_for

#: Who sees the panel: those who may edit the support configuration (the supervisors' group has it).
CONFIG_PERMISSION = "wagtail_support.change_team"


@dataclass
class MissingItem:
    """One thing the site lacks: what (``title``), why it matters (``consequence``), how to fix it (a
    link, or the ``setting`` to put in the site's settings, with a ``suggestion`` of its value)."""

    key: str
    title: str
    consequence: str
    url: str = ""
    link_label: str = ""
    setting: str = ""
    suggestion: str = ""


class FirstRunPanel(Component):
    """The panel itself; ``missing()`` is the list it shows (empty: the panel renders nothing)."""

    name = "wagtail_support_first_run"
    template_name = "wagtail_support/admin/first_run_panel.html"
    order = 50  # above everything else on the admin home, the support panel (100) included

    class Media:
        css = {"all": ["wagtail_support/admin/first-run.css"]}

    def __init__(self, request):
        self.request = request
        self._missing = None

    @staticmethod
    def is_shown_to(user):
        return user.is_active and user.has_perm(CONFIG_PERMISSION)

    def missing(self):
        if self._missing is None:
            self._missing = self._find_missing()
        return self._missing

    # What is missing --------------------------------------------------------------------------------------

    def _find_missing(self):
        user = self.request.user
        items = []
        teams = Team.objects.filter(is_active=True).aggregate(
            count=Count("pk", distinct=True),
            staffed=Count("pk", distinct=True, filter=Q(members__is_active=True)),
            first_slug=Min("slug"),
        )
        teams_url = url_for(Team, "index") if user.has_perm("wagtail_support.change_team") else ""
        if not teams["count"]:
            items.append(
                MissingItem(
                    "team",
                    _("No support team"),
                    _("Tickets are worked by teams: until there is one, no agent is told about a new ticket."),
                    url=url_for(Team, "create") if user.has_perm("wagtail_support.add_team") else "",
                    link_label=_("Create a team"),
                )
            )
        elif not teams["staffed"]:
            items.append(
                MissingItem(
                    "agent",
                    _("No agent in any team"),
                    _("A new ticket is announced to the members of its team: no team has any."),
                    url=teams_url,
                    link_label=_("Add members to a team"),
                )
            )
        default_team = get_adapter().get_default_team() if teams["count"] else None
        if default_team is None:
            named = support_settings.DEFAULT_TEAM
            items.append(
                MissingItem(
                    "default_team",
                    _("The default team %(slug)s is not an active team") % {"slug": f'"{named}"'}
                    if named
                    else _("No default team"),
                    _(
                        "A ticket whose service catalog entry names no team (and every ticket sent by mail to an "
                        "address of no team) reaches no team: no agent is told about it."
                    ),
                    url=teams_url if teams["count"] else "",
                    link_label=_("See the teams' slugs"),
                    setting="WAGTAILSUPPORT_DEFAULT_TEAM",
                    suggestion=f'"{teams["first_slug"]}"' if teams["first_slug"] else "",
                )
            )
        site = self._default_site()
        if site is None or not site.has_code:
            items.append(
                MissingItem(
                    "resolution_code",
                    _("No resolution code to resolve with"),
                    _("An agent resolves a ticket with a resolution code: with none, no ticket can be resolved."),
                    url=url_for(ResolutionCode, "create")
                    if user.has_perm("wagtail_support.add_resolutioncode")
                    else "",
                    link_label=_("Create a resolution code"),
                )
            )
        if sender_is_placeholder():
            items.append(
                MissingItem(
                    "sender",
                    _("No sender address"),
                    _("Support mail would go from %(sender)s, which mail providers refuse or put in spam.")
                    % {"sender": support_settings.from_email or "-"},
                    setting="DEFAULT_FROM_EMAIL",
                    suggestion=self._sender_example(),
                )
            )
        if site is not None and self._site_is_placeholder(site):
            items.append(
                MissingItem(
                    "site",
                    _("The site's address is still %(address)s") % {"address": self._site_address(site)},
                    _("Links in the mail to requesters point to %(address)s, not to this site.")
                    % {"address": self._site_address(site)},
                    url=reverse("wagtailsites:edit", args=[site.pk]) if user.has_perm("wagtailcore.change_site") else "",
                    link_label=_("Edit the site"),
                )
            )
        if admin_base_url_is_placeholder():
            base_url = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
            items.append(
                MissingItem(
                    "admin_base_url",
                    _("No address for the admin"),
                    _("Links in the mail to agents point to %(address)s.")
                    % {"address": base_url or _("no address at all")},
                    setting="WAGTAILADMIN_BASE_URL",
                    suggestion=f'"{self.request.scheme}://{self.request.get_host()}"',
                )
            )
        if site is None or not site.has_support_page:
            items.append(self._support_page_item(site))
        return items

    def _default_site(self):
        """The default site with two existence tests, in one query."""
        models = support_page_models()
        support_pages = Page.objects.live().type(*models) if models else Page.objects.none()
        return (
            Site.objects.filter(is_default_site=True)
            .annotate(
                has_code=Exists(usable_resolution_codes()),
                has_support_page=Exists(support_pages.filter(path__startswith=OuterRef("root_page__path"))),
            )
            .only("pk", "hostname", "port", "root_page_id")
            .order_by("pk")  # not Site's default ordering (two LOWER()s): there is one default site
            .first()
        )

    def _support_page_item(self, site):
        url = ""
        if site is not None:
            root = Page.objects.filter(pk=site.root_page_id).first()
            if root is not None and root.permissions_for_user(self.request.user).can_add_subpage():
                url = reverse("wagtailadmin_pages:add_subpage", args=[root.pk])
        return MissingItem(
            "support_page",
            _("No support page"),
            _("Visitors open and follow their tickets on a support page: the site has none yet."),
            url=url,
            link_label=_("Add a support page"),
        )

    # The site's address ------------------------------------------------------------------------------------

    def _request_address(self):
        """The host and port the browser used (the Host header, not the server's socket)."""
        hostname, port = split_domain_port(self.request.get_host())
        return hostname, int(port) if port else (443 if self.request.is_secure() else 80)

    def _sender_example(self):
        hostname = self._request_address()[0]
        domain = hostname if "." in hostname and not hostname.replace(".", "").isdigit() else "example.org"
        return f'"Support <support@{domain}>"'

    def _site_is_placeholder(self, site):
        """Wagtail's first site (``localhost``, port 80) on a site reached at another address."""
        if site.hostname != "localhost":
            return False
        return self._request_address() != (site.hostname, site.port)

    @staticmethod
    def _site_address(site):
        return f"http://{site.hostname}/" if site.port == 80 else f"http://{site.hostname}:{site.port}/"

    # Rendering ----------------------------------------------------------------------------------------------

    def get_context_data(self, parent_context=None):
        return {"request": self.request, "items": self.missing()}

    def render_html(self, parent_context=None):
        if not self.is_shown_to(self.request.user) or not self.missing():
            return ""
        return super().render_html(parent_context)
