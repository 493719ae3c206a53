"""``{% support_form %}``: the ticket form on a page, for templates (``blocks.SupportFormBlock`` for StreamFields).

    {% load wagtail_support_forms %}
    {% support_form variant="short" heading="Something wrong on this page?" %}

The form is for the template's ``page`` (or ``page=``): tickets record it and its live revision. Options:
``variant`` ("full", the default, or "short"), ``heading``, ``intro`` (text), ``kind`` (the type of the
tickets, a ``Ticket.Kind`` value), ``category`` (the id of a catalog entry).
"""

from django import template

from ..page_forms import FULL, form_context

register = template.Library()


@register.inclusion_tag("wagtail_support/page_form.html", takes_context=True)
def support_form(context, variant=FULL, heading="", intro="", kind="", category="", page=None):
    return form_context(
        context.get("request"),
        page or context.get("page"),
        variant=variant,
        heading=heading,
        intro=intro,
        kind=kind,
        category=category,
    )
