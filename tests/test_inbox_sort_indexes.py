"""The inbox's sorts read stored sort keys that an index serves (``Ticket.priority_rank``, ``status_rank``,
``assignee_sort``, LOWER(subject)): the order is the one the inbox always had, the assignee's key follows the
assignee and the agent's names, and on PostgreSQL the first page of every sort is read from an index in order.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.api_support import API, api_client, post
from wagtail_support import workflow
from wagtail_support.admin.filters import ORDERINGS
from wagtail_support.admin.inbox import PAGE_SIZE
from wagtail_support.models import Ticket, assignee_sort_key

pytestmark = pytest.mark.django_db

INBOX = "wagtail_support_admin:inbox"
PRIORITIES = ["urgent", "high", "normal", "low"]
STATUSES = ["open", "pending", "closed"]


def login(user):
    client = Client()
    client.force_login(user)
    return client


def listing(client, **params):
    response = client.get(reverse(INBOX), {"view": "all", **params})
    assert response.status_code == 200
    return list(response.context["object_list"])


def stored(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def old_order(tickets, ordering):
    """The order the inbox gave before the sort keys were stored: the CASE ranks, LOWER(subject) and the
    assignee's first name, last name and username joined (unassigned first ascending, last descending);
    the number breaks ties in the same direction."""
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")

    def value(ticket):
        if key == "priority":
            return PRIORITIES.index(ticket.priority)
        if key == "status":
            return STATUSES.index(ticket.status)
        if key == "subject":
            return ticket.subject.lower()
        if key == "assignee":
            user = ticket.assignee
            # (False, ...) before (True, ...): nobody first ascending, last descending.
            return (False,) if user is None else (True, user.first_name, user.last_name, user.username)
        return getattr(ticket, {"reference": "number", "created_at": "created_at", "updated_at": "updated_at"}[key])

    return sorted(tickets, key=lambda t: (value(t), t.number), reverse=descending)


@pytest.fixture
def sortable(team, category, agent, colleague, requester, resolution_code):
    """Tickets with every priority and status, subjects differing in case only, ties, and assignees whose
    names tell a tuple comparison from a joined string: "Ann"+"Zed" before "Ann B"+"Aaa" (the first names
    decide), two Ann Zeds that only their usernames tell apart, a lower-case name, and unassigned tickets."""
    ann = factories.make_agent("ann-2", team, first_name="Ann", last_name="Zed")
    ann_too = factories.make_agent("ann-1", team, first_name="Ann", last_name="Zed")
    ann_b = factories.make_agent("annb", team, first_name="Ann B", last_name="Aaa")
    lower = factories.make_agent("zoe", team, first_name="zoe", last_name="")
    people = [ann, ann_too, ann_b, lower, agent, colleague, None, None]
    subjects = ["printer jams", "Printer jams", "a scanner", "Zebra label", "printer jams", "VPN drops", "vpn drops",
                "Mail bounces"]
    tickets = []
    for i, (person, subject) in enumerate(zip(people * 2, subjects * 2)):
        ticket = factories.open_ticket(requester, subject=subject, category=category)
        if person is not None:
            workflow.assign(ticket, to=person, by=agent)
        workflow.change_details(ticket, priority=PRIORITIES[i % 4], by=agent)
        if i % 3 == 1:
            workflow.set_pending(ticket, by=agent)
        elif i % 3 == 2:
            workflow.resolve(ticket, code=resolution_code, solution="Done.", by=agent)
        tickets.append(ticket)
    return tickets


@pytest.mark.parametrize("ordering", [key for name in ORDERINGS if name not in ("waiting", "due")
                                      for key in (name, f"-{name}")])
def test_every_sort_both_ways_keeps_the_inbox_order(supervisor, sortable, ordering):
    client = login(supervisor)
    tickets = Ticket.objects.select_related("assignee").filter(pk__in=[t.pk for t in sortable])
    expected = [t.number for t in old_order(list(tickets), ordering)]
    assert [t.number for t in listing(client, ordering=ordering)] == expected


def test_the_assignee_order_is_by_first_name_then_last_name_then_username(supervisor, sortable):
    listed = [t.assignee for t in listing(login(supervisor), ordering="assignee")]
    names = [None if user is None else user.username for user in listed]
    # Unassigned first; "Ann"+"Zed" (ann-1, then ann-2) before "Ann B"; "zoe" (lower case) after "Carl".
    assert names[:4] == [None] * 4
    order = list(dict.fromkeys(names[4:]))
    assert order == ["agent", "ann-1", "ann-2", "annb", "colleague", "zoe"]
    descending = [None if t.assignee is None else t.assignee.username
                  for t in listing(login(supervisor), ordering="-assignee")]
    assert list(dict.fromkeys(descending)) == ["zoe", "colleague", "annb", "ann-2", "ann-1", "agent", None]


def test_ranks_are_the_databases(sortable):
    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in sortable]):
        assert ticket.priority_rank == PRIORITIES.index(ticket.priority)
        assert ticket.status_rank == STATUSES.index(ticket.status)


def test_the_key_follows_assign_unassign_and_team_changes(agent, colleague, other_team, ticket):
    assert stored(ticket).assignee_sort == ""
    workflow.assign(ticket, to=colleague, by=agent)
    assert stored(ticket).assignee_sort == assignee_sort_key(colleague) == "Carl\x01Colleague\x01colleague"
    workflow.assign(ticket, to=agent, by=agent)
    assert stored(ticket).assignee_sort == "Alice\x01Agent\x01agent"
    workflow.assign(ticket, to=None, by=agent)
    assert stored(ticket).assignee_sort == ""
    workflow.assign(ticket, to=colleague, by=agent)
    # Moved to a team the colleague does not work: unassigned, and the key with it.
    workflow.change_team(ticket, team=other_team, by=agent)
    assert stored(ticket).assignee_id is None and stored(ticket).assignee_sort == ""


def test_the_key_survives_a_merge(agent, colleague, requester, category):
    source = factories.open_ticket(requester, subject="Printer jams", category=category)
    target = factories.open_ticket(requester, subject="Printer still jams", category=category)
    workflow.assign(source, to=colleague, by=agent)
    workflow.assign(target, to=agent, by=agent)
    workflow.merge(source, target, by=agent)
    assert stored(source).status == "closed" and stored(source).assignee_sort == assignee_sort_key(colleague)
    assert stored(target).assignee_sort == assignee_sort_key(agent)


def test_the_key_follows_an_assignment_through_the_api(agent, colleague, ticket, empty_cache):
    api = api_client(agent)
    response = post(api, f"{API}/tickets/{ticket.number}/assign/", {"assignee": colleague.pk})
    assert response.status_code == 200
    assert stored(ticket).assignee_sort == assignee_sort_key(colleague)
    response = post(api, f"{API}/tickets/{ticket.number}/assign/", {"assignee": None})
    assert response.status_code == 200 and stored(ticket).assignee_sort == ""


def test_a_renamed_agent_s_tickets_are_sorted_by_the_new_name(supervisor, agent, colleague, requester, category):
    mine = factories.open_ticket(requester, subject="One", category=category)
    theirs = factories.open_ticket(requester, subject="Two", category=category)
    workflow.assign(mine, to=agent, by=agent)
    workflow.assign(theirs, to=colleague, by=agent)
    client = login(supervisor)
    assert [t.pk for t in listing(client, ordering="assignee")] == [mine.pk, theirs.pk]  # Alice, Carl
    version = stored(mine).version
    agent.first_name = "Zelda"
    agent.save()
    assert stored(mine).assignee_sort == "Zelda\x01Agent\x01agent"
    assert [t.pk for t in listing(client, ordering="assignee")] == [theirs.pk, mine.pk]  # Carl, Zelda
    # The key is no move: no new version, nothing in the ticket's history.
    assert stored(mine).version == version
    # A save that does not touch the names (each sign-in writes last_login) leaves the tickets alone.
    with CaptureQueriesContext(connection) as captured:
        agent.save(update_fields=["last_login"])
    assert not [q for q in captured if "wagtail_support_ticket" in q["sql"]]


def test_a_deleted_agent_s_tickets_sort_as_unassigned(supervisor, agent, colleague, requester, category):
    ticket = factories.open_ticket(requester, category=category)
    workflow.assign(ticket, to=colleague, by=agent)
    colleague.delete()
    assert stored(ticket).assignee_id is None and stored(ticket).assignee_sort == ""


def test_a_ticket_created_with_an_assignee_has_its_key(agent, requester, category):
    # Outside the workflow (an import, a site's own code): the model keeps the key with the assignee.
    ticket = Ticket.objects.create(number=990001, subject="Imported", description="x", assignee=agent,
                                   requester_email="someone@example.com")
    assert stored(ticket).assignee_sort == assignee_sort_key(agent)


def test_the_api_cursor_pages_through_the_assignee_order(agent, colleague, requester, category, empty_cache):
    tickets = [factories.open_ticket(requester, subject=f"Ticket {i}", category=category) for i in range(5)]
    workflow.assign(tickets[0], to=colleague, by=agent)
    workflow.assign(tickets[3], to=agent, by=agent)
    api = api_client(agent)
    seen, url, query = [], f"{API}/tickets/", {"ordering": "-assignee", "page_size": 2}
    while url:
        body = api.get(url, query).json()
        seen += [row["number"] for row in body["results"]]
        url, query = body["next"], None
    # Carl, Alice, then the unassigned by number, descending.
    unassigned = sorted((t.number for t in tickets if t not in (tickets[0], tickets[3])), reverse=True)
    assert seen == [tickets[0].number, tickets[3].number, *unassigned]


# PostgreSQL: the first page of each sort is read from an index in order ---------------------------------

SORTS = [key for name in ORDERINGS for key in (name, f"-{name}")]


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def page_query(client, params):
    """The SQL of the inbox's page of tickets (the query with the ORDER BY and the page's LIMIT)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(INBOX), params)
    assert response.status_code == 200
    pages = [q["sql"] for q in captured if 'FROM "wagtail_support_ticket"' in q["sql"] and "ORDER BY" in q["sql"]
             and f"LIMIT {PAGE_SIZE}" in q["sql"]]
    assert len(pages) == 1, [q["sql"] for q in captured]
    return pages[0]


@pytest.fixture
def desk(team, other_team, agent, colleague):
    """A desk of 6,000 tickets over four teams (the agent's is one), 4,000 of them not closed, with every
    priority, status and subject, the agent's team's tickets mostly assigned, due times and waiting times:
    enough rows that reading a page in index order is cheaper than sorting a view, as it is on a real desk (where
    the views hold tens of thousands). Written with bulk_create, as an import would (the ticket's ``save``
    is not called: the assignee's key is given), then ANALYZE, so the planner knows the rows."""
    teams = [team, other_team] + [factories.make_team(f"Team {n}") for n in range(2)]
    people = [agent, colleague, None]
    words = ["printer", "Mail", "vpn", "Access", "laptop", "screen", "badge", "Wifi"]
    rows = []
    for i in range(6000):
        # Assigned on the agent's team only (whose agents they are), two tickets in three of it.
        person = people[(i // 2) % 3] if (i // 3) % 4 == 0 else None
        rows.append(Ticket(
            number=500000 + i, subject=f"{words[i % 8]} {words[(i // 8) % 8]} {i}", description="x",
            priority=PRIORITIES[(i * 7) % 4], status=STATUSES[i % 3], team=teams[(i // 3) % 4],
            assignee=person, assignee_sort=assignee_sort_key(person),  # bulk_create does not call save()
            requester_email=f"person{i}@example.com",
            # Four in five of the open work with a service level's due time ("Due next").
            next_due=timezone.now() + timedelta(minutes=i) if i % 5 and STATUSES[i % 3] != "closed" else None,
            awaiting_agent_since=timezone.now() - timedelta(minutes=i) if i % 2 else None,
        ))
    Ticket.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE wagtail_support_ticket")
    return rows


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans (SQLite plans its own way)")
@pytest.mark.parametrize("who, params", [("agent", {}), ("supervisor", {}), ("supervisor", {"view": "all"})])
def test_the_first_page_of_every_sort_is_read_from_an_index(request, desk, who, params):
    client = login(request.getfixturevalue(who))
    for ordering in SORTS:
        if params.get("view") == "all" and ordering.lstrip("-") in ("waiting", "due"):
            continue  # "All tickets" by waiting: no index of the whole table (the backlog's serve the views)
        sql = page_query(client, {**params, "ordering": ordering})
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        nodes = list(plan_nodes(plan[0]["Plan"]))
        sorts = [node for node in nodes if node["Node Type"] == "Sort"]
        reads = [node for node in nodes if node.get("Relation Name") == "wagtail_support_ticket"]
        assert not sorts, (ordering, who, params, json.dumps(plan, indent=1))
        assert [node["Node Type"] for node in reads] in (["Index Scan"], ["Index Only Scan"]), (ordering, plan)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans (SQLite plans its own way)")
def test_assigned_to_me_and_the_unassigned_count_read_their_partial_indexes(desk, agent):
    """"Assigned to me" reads the assignee's backlog in the listing's order (``ws_ticket_backlog_mine``), without
    the scope's "their teams or assigned to them"; the menu's "Unassigned" count reads the unassigned backlog by
    team (``ws_ticket_backlog_unassigned``), never the whole backlog."""
    client = login(agent)

    def explained(sql):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return list(plan_nodes(plan[0]["Plan"]))

    nodes = explained(page_query(client, {"view": "mine"}))
    assert not [node for node in nodes if node["Node Type"] == "Sort"], nodes
    # Read in order from a backlog index: the assignee's own (on a large desk), or the whole backlog's by activity
    # when there are few rows (as here); never the scope's OR, never a sort.
    assert {node.get("Index Name") for node in nodes if node.get("Relation Name") == "wagtail_support_ticket"} <= {
        "ws_ticket_backlog_mine", "ws_ticket_backlog_updated"}, nodes
    assert " OR " not in page_query(client, {"view": "mine"}).upper()
    listed = listing(client, view="mine")
    assert listed and {t.assignee_id for t in listed} == {agent.pk} and all(t.status != "closed" for t in listed)

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("wagtailadmin_account"))
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper() and "wagtail_support_ticket" in q["sql"]]
    assert len(counts) == 1
    # The rule narrowed to the unassigned: their teams alone, no "or assigned to them" that would make PostgreSQL
    # combine the whole backlog's bitmap with the teams' (a few hundred rows here: it may scan them in order).
    assert " OR " not in counts[0].upper() and '"assignee_id" IS NULL' in counts[0] and '"team_id" IN' in counts[0]
    assert "Seq Scan" not in str(explained(counts[0]))
    # Which index PostgreSQL takes for a few hundred rows is its choice; the one for a large backlog exists.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ws_ticket_backlog_unassigned'")
        (definition,) = cursor.fetchone()
    assert "(team_id, number)" in definition and "assignee_id IS NULL" in definition


def test_the_page_query_says_each_condition_once(agent, desk):
    """The scope, the view, the "Late" filter and the "Due next" sort each add their conditions; said twice,
    PostgreSQL multiplies their selectivities (at a million tickets it expected 2 late tickets of 41,815 and
    sorted them all instead of reading the due index). The page's query says each once, and finds the same
    tickets as the conditions said once by hand."""
    from wagtail_support.admin.scope import without_repeated_conditions

    late_ones = Ticket.objects.exclude(status="closed").filter(next_due__isnull=False).order_by("pk")[:300]
    Ticket.objects.filter(pk__in=list(late_ones.values_list("pk", flat=True))).update(
        next_due=timezone.now() - timedelta(hours=1))
    client = login(agent)
    sql = page_query(client, {"service_level": "late", "ordering": "due"})
    where = sql[sql.index(" WHERE "):sql.index(" ORDER BY ")]
    assert where.count('"status" = ') == 1 and where.count('"assignee_id" = ') == 1, where
    assert where.count('"next_due" IS NOT NULL') <= 1, where
    late = listing(client, view="teams", service_level="late", ordering="due")
    mine = Ticket.objects.filter(team_id__in=list(agent.support_teams.values_list("pk", flat=True))) | \
        Ticket.objects.filter(assignee=agent)
    expected = mine.exclude(status="closed").filter(next_due__lt=timezone.now()).order_by("next_due", "number")
    assert [t.pk for t in late] == list(expected.values_list("pk", flat=True)[:PAGE_SIZE])
    # Same rows, fewer words: a queryset that says a condition twice.
    twice = Ticket.objects.exclude(status="closed").filter(team_id__in=[1, 2]).exclude(status="closed")
    once = without_repeated_conditions(twice)
    assert str(once.query).count('"status" = ') == 1 and list(once) == list(twice)
