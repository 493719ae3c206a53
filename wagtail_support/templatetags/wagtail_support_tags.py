from django import template

from ..sanitize import render_text

register = template.Library()


@register.filter
def support_text(value):
    """Visitor text as safe HTML: escaped, links clickable, line breaks kept (see ``sanitize``)."""
    return render_text(value)
