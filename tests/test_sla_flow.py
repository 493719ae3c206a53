"""Service level due times computed by the workflow's moves (``wagtail_support.service_levels``), and shown
to agents: the workspace's "Service levels" block, the inbox's Due column, sort and filter, the home
panel's counts.
"""

from datetime import datetime, time, timedelta, timezone as dt_timezone

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from wagtail_support import service_levels, workflow
from wagtail_support.models import BusinessCalendar, BusinessHoursInterval, ServiceLevelPolicy, Ticket

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc
NORMAL = Ticket.Priority.NORMAL
HIGH = Ticket.Priority.HIGH


def policy(priority=NORMAL, **kwargs):
    values = {"name": f"Policy {priority}", "first_response_minutes": 60, "resolution_minutes": 8 * 60}
    values.update(kwargs)
    return ServiceLevelPolicy.objects.create(priority=priority, **values)


def office(name="Paris office", zone="Europe/Paris"):
    saved = BusinessCalendar.objects.create(name=name, time_zone=zone)
    for weekday in range(5):
        BusinessHoursInterval.objects.create(calendar=saved, weekday=weekday, start=time(9), end=time(17))
    return saved


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def close_to(moment, expected, seconds=5):
    return abs((moment - expected).total_seconds()) <= seconds


# Opening ------------------------------------------------------------------------------------------------------


def test_opening_with_a_policy_sets_the_dues(requester, category):
    policy(next_response_minutes=30)
    ticket = fresh(factories.open_ticket(requester, category=category))
    assert ticket.sla_policy is not None
    assert close_to(ticket.first_response_due, ticket.created_at + timedelta(hours=1))
    assert close_to(ticket.resolution_due, ticket.created_at + timedelta(hours=8))
    assert ticket.next_response_due is None  # no first response yet
    assert ticket.next_due == ticket.first_response_due


def test_without_a_policy_nothing_is_due(requester, category):
    ticket = fresh(factories.open_ticket(requester, category=category))
    assert ticket.sla_policy is None
    assert ticket.first_response_due is ticket.next_response_due is ticket.resolution_due is ticket.next_due is None


def test_a_friday_evening_ticket_is_due_on_monday(ticket, team):
    team.calendar = office()
    team.save()
    policy(first_response_minutes=60, resolution_minutes=4 * 60)
    # Friday 5 December 2025, 18:30 in Paris (17:30 UTC): the office is closed until Monday 9:00.
    ticket.created_at = datetime(2025, 12, 5, 17, 30, tzinfo=UTC)
    ticket.first_response_at = None
    changed = service_levels.refresh(ticket, ticket.created_at, recompute=True)
    assert {"sla_policy", "first_response_due", "resolution_due", "next_due"} <= changed
    assert ticket.first_response_due == datetime(2025, 12, 8, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris
    assert ticket.resolution_due == datetime(2025, 12, 8, 12, 0, tzinfo=UTC)  # Monday 13:00 in Paris
    assert ticket.next_due == ticket.first_response_due


# Replies ------------------------------------------------------------------------------------------------------


def test_a_first_public_reply_meets_the_first_response(ticket, agent):
    policy(next_response_minutes=30)
    ticket = fresh(ticket)
    # The fixture's ticket was opened before the policy existed: a change of priority looks for it.
    workflow.change_details(ticket, by=agent, priority=HIGH)
    workflow.change_details(ticket, by=agent, priority=NORMAL)
    ticket = fresh(ticket)
    assert ticket.first_response_due is not None
    workflow.reply(ticket, by=agent, body="Try resetting it.")
    ticket = fresh(ticket)
    assert ticket.first_response_at is not None
    assert ticket.first_response_due is None
    assert ticket.next_response_due is None
    assert ticket.next_due == ticket.resolution_due
    [first, resolution] = service_levels.targets(ticket, timezone.now())
    assert (first.name, first.state) == ("first_response", "met")
    assert (resolution.name, resolution.state) == ("resolution", "running")


def test_an_internal_note_changes_no_due(requester, category, agent):
    policy()
    ticket = fresh(factories.open_ticket(requester, category=category))
    workflow.reply(ticket, by=agent, body="Looking", internal=True)
    after = fresh(ticket)
    assert after.first_response_due == ticket.first_response_due and after.next_due == ticket.next_due


def test_the_requester_replying_after_a_first_response_sets_the_next_response_due(requester, category, agent):
    policy(next_response_minutes=30, resolution_minutes=48 * 60)
    ticket = fresh(factories.open_ticket(requester, category=category))
    workflow.reply(ticket, by=agent, body="Which browser?")
    workflow.reply(fresh(ticket), by=requester, body="Firefox")
    ticket = fresh(ticket)
    assert close_to(ticket.next_response_due, ticket.awaiting_agent_since + timedelta(minutes=30))
    assert ticket.next_due == ticket.next_response_due
    # A second message of the requester does not move it; the team's answer clears it.
    due = ticket.next_response_due
    workflow.reply(ticket, by=requester, body="Version 140")
    assert fresh(ticket).next_response_due == due
    workflow.reply(fresh(ticket), by=agent, body="Fixed")
    ticket = fresh(ticket)
    assert ticket.next_response_due is None and ticket.next_due == ticket.resolution_due


# Waiting for the requester --------------------------------------------------------------------------------------


def test_pending_pauses_the_clock_and_resuming_moves_the_dues_on(requester, category, agent):
    policy(pause_while_pending=True)
    ticket = fresh(factories.open_ticket(requester, category=category))
    workflow.reply(ticket, by=agent, body="Send us a screenshot", set_pending=True)
    ticket = fresh(ticket)
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.pending_since is not None and ticket.sla_paused_at is not None
    assert ticket.next_due is None
    assert [t.state for t in service_levels.targets(ticket, timezone.now())] == ["met", "paused"]
    # Two hours later (around the clock: two business hours), the team takes it back.
    resolution_due = ticket.resolution_due
    Ticket.objects.filter(pk=ticket.pk).update(sla_paused_at=ticket.sla_paused_at - timedelta(hours=2))
    ticket = fresh(ticket)
    workflow.submit(ticket, by=agent, expected_version=ticket.version, then="open")  # resume
    ticket = fresh(ticket)
    assert ticket.pending_since is None and ticket.sla_paused_at is None
    assert close_to(ticket.resolution_due, resolution_due + timedelta(hours=2))
    assert ticket.next_due == ticket.resolution_due


def test_pausing_counts_business_hours(ticket, team):
    team.calendar = office()
    team.save()
    policy(pause_while_pending=True)
    ticket.created_at = datetime(2025, 12, 5, 8, 0, tzinfo=UTC)  # Friday 9:00 in Paris
    service_levels.refresh(ticket, ticket.created_at, recompute=True)
    assert ticket.resolution_due == datetime(2025, 12, 5, 16, 0, tzinfo=UTC)
    ticket.status = Ticket.Status.PENDING
    service_levels.refresh(ticket, datetime(2025, 12, 5, 14, 0, tzinfo=UTC))  # Friday 15:00
    assert ticket.next_due is None and ticket.pending_since == ticket.sla_paused_at
    ticket.status = Ticket.Status.OPEN
    service_levels.refresh(ticket, datetime(2025, 12, 8, 9, 0, tzinfo=UTC))  # Monday 10:00: 3 business hours
    assert ticket.resolution_due == datetime(2025, 12, 8, 11, 0, tzinfo=UTC)  # Monday 12:00
    assert ticket.sla_paused_at is None and ticket.pending_since is None


def test_a_policy_that_does_not_pause_keeps_the_clock_running(requester, category, agent):
    policy(pause_while_pending=False)
    ticket = fresh(factories.open_ticket(requester, category=category))
    workflow.set_pending(ticket, by=agent)
    ticket = fresh(ticket)
    assert ticket.pending_since is not None and ticket.sla_paused_at is None
    assert ticket.next_due == ticket.first_response_due


# Policy changes, closing ------------------------------------------------------------------------------------------


def test_a_priority_change_looks_for_the_policy_again(requester, category, agent):
    normal = policy()
    high = policy(HIGH, first_response_minutes=15, resolution_minutes=120)
    ticket = fresh(factories.open_ticket(requester, category=category))
    assert ticket.sla_policy == normal
    workflow.change_details(ticket, by=agent, priority=HIGH)
    ticket = fresh(ticket)
    assert ticket.sla_policy == high
    assert close_to(ticket.first_response_due, ticket.created_at + timedelta(minutes=15))
    assert close_to(ticket.resolution_due, ticket.created_at + timedelta(minutes=120))
    workflow.change_details(ticket, by=agent, priority=Ticket.Priority.LOW)
    ticket = fresh(ticket)
    assert ticket.sla_policy is None and ticket.next_due is None


def test_a_team_change_looks_for_the_policy_again(requester, category, agent, other_team, supervisor):
    policy(team=other_team, first_response_minutes=5)
    ticket = fresh(factories.open_ticket(requester, category=category))
    assert ticket.sla_policy is None
    workflow.change_team(ticket, team=other_team, by=supervisor)
    ticket = fresh(ticket)
    assert close_to(ticket.first_response_due, ticket.created_at + timedelta(minutes=5))


def test_closing_leaves_nothing_due_and_the_resolution_met(requester, category, agent, resolution_code):
    policy()
    ticket = fresh(factories.open_ticket(requester, category=category))
    workflow.resolve(ticket, by=agent, code=resolution_code, solution="Reset")
    ticket = fresh(ticket)
    assert ticket.next_due is None
    states = {t.name: t.state for t in service_levels.targets(ticket, timezone.now())}
    assert states == {"resolution": "met"}
    workflow.reopen(ticket, by=agent)
    assert fresh(ticket).next_due is not None


def test_late_and_due_soon_states(requester, category):
    policy(warn_before_minutes=30)
    ticket = fresh(factories.open_ticket(requester, category=category))
    now = ticket.created_at
    states = [(t.name, t.state) for t in service_levels.targets(ticket, now + timedelta(minutes=40))]
    assert states == [("first_response", "due soon"), ("resolution", "running")]
    [late, _resolution] = service_levels.targets(ticket, now + timedelta(minutes=60 + 135))
    assert late.state == "late" and late.minutes == 135
    assert service_levels.duration(late.minutes) == "2 h 15 min"
    assert service_levels.duration(45) == "45 min" and service_levels.duration(120) == "2 h"


# In the admin: the inbox, the home panel, the workspace ----------------------------------------------------------

INBOX = "wagtail_support_admin:inbox"


def login(user):
    client = Client()
    client.force_login(user)
    return client


def open_for(category, subject, priority=NORMAL):
    return fresh(
        factories.open_ticket(
            requester_name="Pat", requester_email="pat@example.com", category=category, subject=subject,
            priority=priority,
        )
    )


def set_due(ticket, delta):
    Ticket.objects.filter(pk=ticket.pk).update(next_due=timezone.now() + delta)


@pytest.fixture
def due_tickets(category, other_team):
    """Tickets of ``team``: late by 2 h, late by 10 min, due in 20 min, due in 3 h, nothing due, closed (late);
    and a late ticket of ``other_team``."""
    policy()
    other_category = factories.make_category("Invoices", other_team)
    made = {name: open_for(category, name) for name in ("late2h", "late10", "soon20", "later3h", "none", "closed")}
    for name, delta in (("late2h", -120), ("late10", -10), ("soon20", 20), ("later3h", 180), ("closed", -60)):
        set_due(made[name], timedelta(minutes=delta))
    Ticket.objects.filter(pk=made["none"].pk).update(next_due=None)
    Ticket.objects.filter(pk=made["closed"].pk).update(status=Ticket.Status.CLOSED)
    made["theirs"] = open_for(other_category, "theirs")
    set_due(made["theirs"], timedelta(minutes=-300))
    return made


def subjects(response):
    return [ticket.subject for ticket in response.context["object_list"]]


def test_the_inbox_sorts_by_due_next(agent, due_tickets):
    response = login(agent).get(reverse(INBOX), {"ordering": "due"})
    # The tickets with something due, soonest first; none of another team, none closed.
    assert subjects(response) == ["late2h", "late10", "soon20", "later3h"]
    response = login(agent).get(reverse(INBOX), {"ordering": "-due"})
    assert subjects(response) == ["later3h", "soon20", "late10", "late2h"]
    body = response.content.decode()
    assert "Late 2 h" in body and ("in 20 min" in body or "in 19 min" in body)


def test_the_service_level_filter_keeps_to_the_agents_teams(agent, due_tickets, supervisor):
    late = login(agent).get(reverse(INBOX), {"service_level": "late", "ordering": "due"})
    assert subjects(late) == ["late2h", "late10"]
    soon = login(agent).get(reverse(INBOX), {"service_level": "soon"})
    assert subjects(soon) == ["soon20"]
    # A supervisor of every team sees the other team's late ticket too.
    late = login(supervisor).get(reverse(INBOX), {"service_level": "late", "ordering": "due", "view": "open"})
    assert subjects(late) == ["theirs", "late2h", "late10"]


def test_the_home_panel_counts_late_and_due_soon_of_my_teams(agent, outsider_agent, due_tickets):
    from wagtail_support.admin.panels import TicketsForMyTeamsPanel

    def sla_counts(user):
        response = login(user).get(reverse("wagtailadmin_home"))
        (panel,) = [p for p in response.context["panels"] if isinstance(p, TicketsForMyTeamsPanel)]
        html = response.content.decode()
        assert 'data-ws-sla-count="late"' in html
        return {item["name"]: item["count"] for item in panel.get_context_data({})["service_level_counts"]}

    assert sla_counts(agent) == {"late": 2, "soon": 1}
    # The other team's agent: their one late ticket, never the helpdesk's.
    assert sla_counts(outsider_agent) == {"late": 1, "soon": 0}


def test_the_home_panel_counts_cost_no_query(agent, due_tickets):
    client = login(agent)
    client.get(reverse("wagtailadmin_home"))
    # The counts are one aggregate with the panel's other counts: the page's queries do not depend on them.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("wagtailadmin_home"))
    counts = [q["sql"] for q in queries.captured_queries if "next_due" in q["sql"] and "COUNT" in q["sql"].upper()]
    assert len(counts) == 1


def test_the_workspace_says_what_is_late(agent, requester, category):
    policy(first_response_minutes=60, resolution_minutes=600)
    ticket = fresh(factories.open_ticket(requester, category=category))
    # Opened 3 h 15 min ago (around the clock): the first response is 2 h 15 min late.
    created = ticket.created_at - timedelta(hours=3, minutes=15)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created,
        first_response_due=created + timedelta(hours=1),
        resolution_due=created + timedelta(hours=10),
    )
    response = login(agent).get(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Service levels" in html
    assert "Late by 2 h 15 min" in html
    assert "Due in 6 h 45 min" in html or "Due in 6 h 44 min" in html  # the seconds the test took
    assert 'wsw-sla__target--late' in html


def test_the_workspace_shows_no_block_without_a_policy(agent, ticket):
    response = login(agent).get(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))
    assert "wsw-sla" not in response.content.decode()


def test_a_priority_change_carries_the_time_spent_paused(requester, category, agent):
    policy(pause_while_pending=True, resolution_minutes=600)
    policy(HIGH, resolution_minutes=120)
    ticket = fresh(factories.open_ticket(requester, category=category))
    workflow.set_pending(ticket, by=agent)
    Ticket.objects.filter(pk=ticket.pk).update(sla_paused_at=fresh(ticket).sla_paused_at - timedelta(hours=2))
    ticket = fresh(ticket)
    workflow.submit(ticket, by=agent, expected_version=ticket.version, then="open")
    ticket = fresh(ticket)
    assert close_to(ticket.resolution_due, ticket.created_at + timedelta(minutes=600 + 120))
    workflow.change_details(ticket, by=agent, priority=HIGH)
    ticket = fresh(ticket)
    # The high priority's two hours, and the two hours the ticket waited for its requester.
    assert close_to(ticket.resolution_due, ticket.created_at + timedelta(minutes=120 + 120))


def test_a_team_change_counts_in_the_new_teams_business_hours(ticket, team, other_team):
    other_team.calendar = office()
    other_team.save()
    policy(resolution_minutes=60, first_response_minutes=None)
    ticket.created_at = datetime(2025, 12, 6, 10, 0, tzinfo=UTC)  # Saturday
    service_levels.refresh(ticket, ticket.created_at, recompute=True)
    assert ticket.resolution_due == datetime(2025, 12, 6, 11, 0, tzinfo=UTC)  # around the clock
    ticket._before_move = {"priority": ticket.priority, "team": ticket.team_id, "category": ticket.category_id}
    ticket.team = other_team
    changed = service_levels.refresh(ticket, ticket.created_at + timedelta(minutes=5))
    assert "resolution_due" in changed
    assert ticket.resolution_due == datetime(2025, 12, 8, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris


def test_a_move_costs_no_query_more_without_business_hours(requester, category, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def reply_queries():
        ticket = fresh(factories.open_ticket(requester, category=category))
        with CaptureQueriesContext(connection) as queries:
            workflow.reply(ticket, by=agent, body="Hello", internal=True)
        return len(queries.captured_queries)

    reply_queries()  # the caches of a first move (content types...)
    without = reply_queries()
    policy()
    assert reply_queries() == without


def test_the_workspace_reads_the_policy_in_one_query(agent, requester, category, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(agent)

    def workspace_queries(ticket):
        client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))
        assert response.status_code == 200
        return len(queries.captured_queries)

    without = workspace_queries(fresh(factories.open_ticket(requester, category=category)))
    policy()
    assert workspace_queries(fresh(factories.open_ticket(requester, category=category))) == without + 1
    # Counted in the team's business hours: its calendar, intervals and holidays too.
    team.calendar = office()
    team.save()
    assert workspace_queries(fresh(factories.open_ticket(requester, category=category))) == without + 4
