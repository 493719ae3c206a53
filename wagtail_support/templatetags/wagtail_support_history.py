"""The ticket history's rows in templates: ``{% for row in entries|history_rows %}``, one row per action
(``admin.history.history_rows``)."""

from django import template

from ..admin.history import history_rows as _history_rows

register = template.Library()


@register.filter
def history_rows(entries):
    """Log entries (newest first) as one row per action, newest first."""
    return _history_rows(entries or [])
