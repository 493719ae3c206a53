"""The addresses of the agents' admin views (the ``wagtail_support_admin`` namespace of ``admin.urls``).

Every one of them exists whenever the app is installed, so none is optional.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import urlencode

NAMESPACE = "wagtail_support_admin"


def admin_url(name, *args, query=None):
    """The address of one of our admin views (``name`` without the namespace), with a query string."""
    url = reverse(f"{NAMESPACE}:{name}", args=args)
    return f"{url}?{urlencode(query)}" if query else url


def inbox_url(**query):
    return admin_url("inbox", query=query)


_PK_PLACEHOLDER = 918273645


@lru_cache(maxsize=16)
def _ticket_url_pattern(script_prefix, urlconf):
    # reverse() through Wagtail's admin URLs costs about 0.2 ms; a listing needs one URL per row.
    return admin_url("ticket", _PK_PLACEHOLDER).replace(str(_PK_PLACEHOLDER), "{pk}")


def ticket_url(ticket):
    """The ticket's workspace (a ticket or its id)."""
    pk = getattr(ticket, "pk", ticket)
    return _ticket_url_pattern(get_script_prefix(), get_urlconf()).format(pk=int(pk))


def other_tickets_url(email):
    """The inbox filtered on the tickets of ``email`` (as requester or beneficiary); ``None`` without one."""
    return inbox_url(requester=email) if email else None


def page_edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk]) if page is not None else None
