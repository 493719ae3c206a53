"""The example site's header: the current site's name, its home page, support and FAQ pages in the visitor's
language (Wagtail's i18n: each locale has its own tree), and the other languages of the page shown."""

from django import template
from wagtail.models import Page, Site

from wagtail_support.faq import AbstractFAQPage
from wagtail_support.pages import AbstractSupportPage

register = template.Library()


@register.simple_tag(takes_context=True)
def site_header(context):
    """``{"name", "home", "support", "faq", "translations"}`` for the request's site; pages may be None."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    header = {"name": "wagtail-support example", "home": None, "support": None, "faq": None, "translations": []}
    if site is None:
        return header
    header["name"] = site.site_name or header["name"]
    home = site.root_page.localized  # the home page in the active language, else the site's own
    header["home"] = home
    children = Page.objects.child_of(home).live().public().order_by("path")
    header["support"] = children.type(AbstractSupportPage).first()
    header["faq"] = children.type(AbstractFAQPage).first()
    page = context.get("page")
    if isinstance(page, Page) and page.pk:
        header["translations"] = list(page.get_translations().live().select_related("locale").order_by("locale__language_code"))
    return header
