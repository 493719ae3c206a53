"""The ticket list's cursor: a keyset over the inbox's orderings (``admin.filters.ORDERINGS``).

``order_tickets`` always ends the order with the ticket number (unique), so the values of the last row of a
page name one place in the order: the next page is the rows after it (``after_q``), read with the same index
as the first page, whatever the page (no ``OFFSET``, nothing skipped or repeated when tickets change meanwhile:
a ticket that moves in the order shows where it now is).

The cursor is signed (``django.core.signing``): a changed cursor is a 400, never a query with odd values. It
names its ordering; used with another one it is refused too.
"""

import datetime

from django.core import signing
from django.db.models import Q

from ..admin.filters import ORDERINGS

SALT = "wagtail_support.api.cursor"

#: Where NULLs of a nullable sort field go (``order_tickets`` says so explicitly for these):
#: ``(key, descending) -> nulls first?``. The other sort fields are never null.
NULLS_FIRST = {("waiting", False): False, ("waiting", True): False}


class BadCursor(ValueError):
    """The cursor was changed, is of another ordering, or is not one of ours."""


def sort_keys(ordering):
    """``[(field, descending, nullable, nulls_first)]`` of ``ordering`` (the number last, as
    ``order_tickets`` does)."""
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    fields = list(ORDERINGS[key][1])
    nullable = (key, descending) in NULLS_FIRST
    nulls_first = NULLS_FIRST.get((key, descending), False)
    keys = [(field, descending, nullable, nulls_first) for field in fields]
    if fields != ["number"]:
        keys.append(("number", descending, False, False))
    return keys


def _value(row, field):
    value = row
    for part in field.split("__"):
        value = getattr(value, part, None) if value is not None else None
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    return value


def _load(value):
    if isinstance(value, dict) and set(value) == {"dt"}:
        try:
            return datetime.datetime.fromisoformat(value["dt"])
        except (TypeError, ValueError):
            raise BadCursor from None
    if value is not None and not isinstance(value, (str, int)):
        raise BadCursor
    return value


def make_cursor(ordering, row):
    """The cursor of the page after ``row`` (the last row of a page) in ``ordering``."""
    values = [_value(row, field) for field, _desc, _nullable, _first in sort_keys(ordering)]
    return signing.dumps({"o": ordering, "v": values}, salt=SALT, compress=True)


def read_cursor(cursor, ordering):
    """The values of a cursor of ``ordering``; ``BadCursor`` for anything else."""
    try:
        data = signing.loads(cursor, salt=SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise BadCursor from None
    keys = sort_keys(ordering)
    if not isinstance(data, dict) or data.get("o") != ordering or not isinstance(data.get("v"), list):
        raise BadCursor
    if len(data["v"]) != len(keys):
        raise BadCursor
    return [_load(value) for value in data["v"]]


def _strictly_after(field, descending, nullable, nulls_first, value):
    if value is None:
        # After a NULL: the non-null values when NULLs come first; nothing when they come last.
        return Q(**{f"{field}__isnull": False}) if nulls_first else Q(pk__in=[])
    after = Q(**{f"{field}__lt" if descending else f"{field}__gt": value})
    return after if not nullable or nulls_first else after | Q(**{f"{field}__isnull": True})


def _equal(field, value):
    return Q(**{f"{field}__isnull": True}) if value is None else Q(**{field: value})


def after_q(ordering, values):
    """The rows after the row whose sort values are ``values``, in ``ordering``."""
    keys = sort_keys(ordering)
    condition = None
    for (field, descending, nullable, nulls_first), value in reversed(list(zip(keys, values))):
        step = _strictly_after(field, descending, nullable, nulls_first, value)
        condition = step if condition is None else step | (_equal(field, value) & condition)
    return condition
