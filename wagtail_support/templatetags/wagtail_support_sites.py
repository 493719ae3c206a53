"""What a Wagtail ``Site`` says of its support, for templates: ``{% load wagtail_support_sites %}``."""

from django import template
from django.utils.translation import get_language
from wagtail.models import Site

from ..site_config import promise_for, settings_for

register = template.Library()


@register.simple_tag(takes_context=True)
def support_promise(context, ticket=None):
    """The reply-time promise (Settings › Support) of the ticket's site, else of the request's, in the
    language of the page; "" when the site promises nothing.

        {% support_promise ticket as promise %}{% if promise %}<p>{{ promise }}</p>{% endif %}
    """
    site = ticket.site if ticket is not None and ticket.site_id else None
    request = context.get("request")
    if site is None and request is not None:
        site = Site.find_for_request(request)
    if settings_for(site, request) is None:
        return ""
    return promise_for(site, get_language())
