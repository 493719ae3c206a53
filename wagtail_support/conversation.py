"""The conversation window: a ticket page opens on the first message and the newest ones.

A conversation of hundreds of messages would make a page of megabytes; both ticket pages (the visitor's
and the agent's workspace) show the first message and the ``CONVERSATION_WINDOW`` newest, with a bar in
between that shows more, or all (``?latest=<n>``, ``?latest=all``). ``MessageQuerySet.window`` reads
them in one query.
"""

from django.utils.http import urlencode

from .conf import support_settings


def conversation_window(requested):
    """How many of the newest messages a page shows: ``?latest=<n>`` or ``?latest=all`` (``None``)."""
    default = support_settings.CONVERSATION_WINDOW
    if not isinstance(default, int) or default <= 0 or str(requested).lower() == "all":
        return None  # a window that is not a number above zero (the system check says so) shows all
    try:
        wanted = int(requested)
    except (TypeError, ValueError):
        return default
    return min(max(wanted, default), 100_000)


def earlier_messages(url, latest, hidden, query=None):
    """The bar between the first message and the newest ones of a ticket page: how many are left out and
    the links that show ``CONVERSATION_WINDOW`` more, or all. ``None`` when nothing is left out."""
    if latest is None or hidden <= 0:
        return None
    query = dict(query or {})
    step = support_settings.CONVERSATION_WINDOW
    return {
        "hidden": hidden,
        "more_count": min(step, hidden),
        "more_url": f"{url}?{urlencode({**query, 'latest': latest + step})}#earlier-messages",
        "all_url": f"{url}?{urlencode({**query, 'latest': 'all'})}#earlier-messages",
    }
