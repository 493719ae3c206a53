"""The addresses of a ticket: its page for the requester (on any live page of a support page type) and its
workspace in the admin.

``SupportPageLinks`` is the part of a support page that builds a ticket's address; ``AbstractSupportPage``
(``pages``) inherits it, and so does any page type a site builds on it, whatever its name. Mail, the
adapter and the admin find support pages through it without importing the page module.
"""

import logging

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from wagtail.models import Page, Site, get_page_models

logger = logging.getLogger(__name__)


class SupportPageLinks:
    """The addresses of a ticket on a support page (a ``RoutablePageMixin`` page with a ``ticket`` route)."""

    def ticket_path(self, ticket, token=None):
        url = self.url + self.reverse_subpage("ticket", kwargs={"number": ticket.number})
        return f"{url}?t={token}" if token else url

    def ticket_full_url(self, ticket, token=None):
        url = self.get_full_url() + self.reverse_subpage("ticket", kwargs={"number": ticket.number})
        return f"{url}?t={token}" if token else url


def support_page_models():
    """Every concrete page type that is a support page (``SupportPageLinks``), the site's own included."""
    return [model for model in get_page_models() if issubclass(model, SupportPageLinks) and not model._meta.abstract]


def support_page_for(ticket):
    """The live support page to link a ticket to: the one it came from, else the first of its site, else
    the first of any site (in tree order); ``None`` when there is none."""
    if ticket.submitted_from_id:
        page = ticket.submitted_from.specific
        if isinstance(page, SupportPageLinks) and page.live:
            return page
    return first_support_page(ticket.site if ticket.site_id else None)


def first_support_page(site=None):
    """The first live support page of ``site`` (in tree order), else of any site; ``None`` when there is none."""
    models = support_page_models()
    if not models:
        return None
    pages = Page.objects.live().type(*models).order_by("path")
    page = None
    if site is not None:
        page = pages.descendant_of(site.root_page, inclusive=True).first()
    page = page or pages.first()
    return page.specific if page is not None else None


def public_ticket_url(ticket, link_token=""):
    """The full address of the ticket's page for a requester, with their signed link; "" if there is none."""
    page = support_page_for(ticket)
    if page is None:
        return ""
    try:
        return page.ticket_full_url(ticket, link_token or None)
    except Exception:  # noqa: BLE001 - a page without a site has no full URL; the mail goes without it
        logger.warning("No address for ticket %s", ticket.pk, exc_info=True)
        return ""


def admin_ticket_url(ticket):
    """The full address of the ticket's workspace in the admin (``WAGTAILADMIN_BASE_URL``)."""
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return base.rstrip("/") + reverse("wagtail_support_admin:ticket", args=[ticket.pk])


def rating_url(ticket, rating_token, rating):
    """The full address of the rating page (``wagtail_support.urls``, ``rate/<token>/<rating>/``) on the
    site of the ticket's support page (else the ticket's site, else the default one); "" when the package's URLs are not included
    or no site has an address."""
    try:
        path = reverse("wagtail_support:rate", kwargs={"token": rating_token, "rating": rating})
    except NoReverseMatch:
        return ""
    page = support_page_for(ticket)
    site = page.get_site() if page is not None else None
    site = site or (ticket.site if ticket.site_id else None)
    if site is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return ""
    return site.root_url.rstrip("/") + path


def admin_reports_url(start=None, end=None):
    """The full address of the reports page in the admin, on the dates ``start``-``end`` when given."""
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    url = base.rstrip("/") + reverse("wagtail_support_admin:reports")
    if start is not None and end is not None:
        url += f"?period=custom&start={start.isoformat()}&end={end.isoformat()}"
    return url
