"""The inbox's sorts ("inbox sort: ..."): every sort the inbox offers, both ways where the reverse is not the
default, on the agent's default view ("My teams": their teams' tickets that are not closed) and on the
supervisor's ("My teams" of a supervisor of no team: every ticket that is not closed); a deep page of the
agent's default view; and the supervisor's "All tickets" (closed included) by priority.

Each sort is served by an index of ``Ticket.Meta.indexes`` (the sort key and the number that breaks its ties,
on the backlog and on the whole table), so none of these rows should grow with the history. The floor is the
inbox's own floor (``Bench.inbox_floor``: the page, the capped count, the views' counts, the filters'
choices) with the page's ORDER BY written by hand on the same sort keys.
"""

from django.db.models import Q
from django.urls import reverse

from wagtail_support import access
from wagtail_support.admin.inbox import COUNT_LIMIT, PAGE_SIZE

#: ?ordering= -> the ORDER BY of the floor, ascending ("{d}": ASC or DESC).
ORDER_SQL = {
    "priority": "t.priority_rank {d}, t.number {d}",
    "status": "t.status_rank {d}, t.number {d}",
    "subject": "lower(t.subject) {d}, t.number {d}",
    "assignee": "t.assignee_sort {d}, t.number {d}",
    "reference": "t.number {d}",
    "created_at": "t.created_at {d}, t.number {d}",
    "updated_at": "t.updated_at {d}, t.number {d}",
    "waiting": "t.awaiting_agent_since {d} NULLS LAST, t.number {d}",
}
#: The sorts measured on each default view: both ways, but for "-updated_at" (the default: "inbox: default"),
#: "waiting" (``Bench.inbox``: "inbox: sorted by waiting") and "due" ("inbox: due next").
SORTS = ["priority", "-priority", "subject", "-subject", "status", "-status", "assignee", "-assignee", "reference",
         "-reference", "created_at", "-created_at", "updated_at", "-waiting"]
#: The deep page: the twentieth (the last a capped count offers), or the last there is on a small data set.
DEEP_PAGE = 20
BACKLOG = "t.status <> 'closed'"


def order_sql(ordering):
    descending = ordering.startswith("-")
    return ORDER_SQL[ordering.lstrip("-")].format(d="DESC" if descending else "ASC")


def define(bench):
    """Add the sorts' scenarios to ``bench`` (a ``scenarios.Bench``)."""
    url = reverse("wagtail_support_admin:inbox")
    agent = (bench.agent_client, bench.agent, True)
    supervisor = (bench.supervisor_client, bench.supervisor, True)
    for ordering in SORTS:
        bench.scenario(f"inbox sort: {ordering}", "inbox sorts",
                       bench.request(bench.agent_client, "get", url, {"ordering": ordering}),
                       bench.inbox_floor(BACKLOG, {}, order=order_sql(ordering)), auth=agent)
    for ordering in SORTS:
        bench.scenario(f"inbox sort: {ordering}, supervisor", "inbox sorts",
                       bench.request(bench.supervisor_client, "get", url, {"ordering": ordering}),
                       bench.inbox_floor(BACKLOG, {}, order=order_sql(ordering), scoped=False), auth=supervisor)

    # A deep page of the agent's default view, newest activity first (OFFSET over the backlog's index).
    backlog = access.worked_tickets(bench.agent).filter(~Q(status="closed")).count()
    page = max(1, min(DEEP_PAGE, -(-min(backlog, COUNT_LIMIT) // PAGE_SIZE)))
    floor = bench.inbox_floor(BACKLOG, {}, order=order_sql("-updated_at"))
    sql, params = floor[0]
    floor[0] = (f"{sql} OFFSET {(page - 1) * PAGE_SIZE}", params)
    bench.scenario("inbox sort: deep page, -updated_at", "inbox sorts",
                   bench.request(bench.agent_client, "get", url, {"ordering": "-updated_at", "p": page}),
                   floor, auth=agent)

    # "All tickets", closed included, by priority: the whole table's (priority_rank, number) index.
    for ordering in ("priority", "-priority"):
        bench.scenario(f"inbox sort: all tickets, {ordering}, supervisor", "inbox sorts",
                       bench.request(bench.supervisor_client, "get", url, {"view": "all", "ordering": ordering}),
                       bench.inbox_floor("TRUE", {}, order=order_sql(ordering), scoped=False), auth=supervisor)
