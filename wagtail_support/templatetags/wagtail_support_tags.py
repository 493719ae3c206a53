from django import template
from django.template.loader import render_to_string
from wagtail.admin.templatetags.wagtailadmin_tags import icon as wagtail_icon

from ..sanitize import render_text

register = template.Library()

# The key of the icons already rendered for a page, in its render context (one page render, then gone).
_ICONS = object()


@register.filter
def support_text(value):
    """Visitor text as safe HTML: escaped, links clickable, line breaks kept (see ``sanitize``)."""
    return render_text(value)


@register.simple_tag(takes_context=True)
def support_icon(context, name=None, classname=None, title=None, wrapped=False):
    """Wagtail's ``{% icon %}`` (same arguments, same markup), its template rendered once per page for each
    icon: the workspace's timeline shows the same few icons on every message, 1,500 of them for 500
    messages at 30 µs each through the template."""
    icons = context.render_context.dicts[0].setdefault(_ICONS, {})
    key = (name, classname, str(title) if title is not None else None, wrapped)
    html = icons.get(key)
    if html is None:
        html = icons[key] = render_to_string("wagtailadmin/shared/icon.html", wagtail_icon(name, classname, title, wrapped))
    return html
