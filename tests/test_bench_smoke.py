"""The benchmark's smoke test: a few hundred generated tickets and every scenario run twice.

The real benchmark (``make bench``) runs the same code on 100,000 tickets; here it must only work:
the generator writes a coherent helpdesk, every scenario answers as a user would expect (a scenario
raises on an unexpected status code), and each page runs the same number of queries every time.
"""

import pytest

from wagtail_support.models import Attachment, Message, OutboundMail, Team, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_data(settings):
    from benchmarks.bench import generate

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.WAGTAILSUPPORT_RATE_LIMITS = {}
    return generate.generate(300, requesters=150, big_messages=120, log=lambda line: None)


def test_generator_writes_the_shape_the_benchmark_promises(bench_data):
    from benchmarks.bench import generate

    assert Ticket.objects.count() == bench_data["tickets"] == 300
    assert Team.objects.filter(name__startswith="Bench team").count() == generate.TEAMS
    # The requester of the visitor list scenario has min(2,000, N/2) tickets.
    assert Ticket.objects.filter(requester_user__username=generate.BENCH_HEAVY).count() == 150
    big = Ticket.objects.get(subject=generate.BIG_TICKET_SUBJECT)
    assert big.messages.count() == 120
    # Every ticket starts with its requester's description; notes, attachments and mail records exist.
    assert Message.objects.filter(author_role="requester", body__in=Ticket.objects.values("description")).values(
        "ticket"
    ).distinct().count() == 300
    assert Message.objects.count() == bench_data["messages"] > 300
    assert Message.objects.filter(visibility="internal").count() == bench_data["internal"] > 0
    assert Attachment.objects.count() == bench_data["attachments"] > 0
    assert OutboundMail.objects.filter(status="sent").count() == bench_data["mails"] > 0
    # The backlog is small next to the history, and closed tickets carry how they were closed.
    closed = Ticket.objects.filter(status="closed")
    assert closed.filter(resolution_code__isnull=True).count() == 0
    assert closed.filter(closed_at__isnull=True).count() == 0
    # What the reports read: the durations of every closing and first response, the ratings with their rows.
    from wagtail_support.models import SatisfactionRating

    assert closed.filter(resolution_seconds__isnull=True).count() == 0
    assert not Ticket.objects.filter(first_response_at__isnull=False, first_response_seconds__isnull=True).exists()
    rated = Ticket.objects.exclude(satisfaction="")
    assert SatisfactionRating.objects.count() == rated.count() == bench_data["ratings"] > 0
    assert not rated.exclude(status="closed").exists()
    assert not rated.filter(satisfaction_at__isnull=True).exists()
    # The counter goes on after the generated numbers: a new ticket never reuses one.
    from wagtail_support.models import TicketReferenceCounter

    assert TicketReferenceCounter.next_value() == Ticket.objects.order_by("-number").first().number + 1


def test_every_scenario_runs_with_a_fixed_number_of_queries(bench_data):
    from benchmarks.bench import scenarios

    results = scenarios.Bench(runs=2, warmup=1, log=lambda line: None).all()
    names = {result["name"] for result in results}
    for expected in (
        "inbox: default", "inbox: assigned to me", "inbox: my teams", "inbox: unassigned", "inbox: waiting for us",
        "inbox: all tickets", "inbox: sorted by waiting", "inbox: every team, supervisor",
        "inbox: due next", "inbox: late filter", "inbox: due next, supervisor",
        "inbox export: CSV, all tickets, supervisor", "inbox export: XLSX, all tickets, supervisor",
        "inbox export: CSV, my teams", "inbox export: XLSX, my teams",
        "inbox: status open + team", "inbox: search requester email", "inbox: search subject word",
        "admin home (my teams panel)", "visitor list: all", "visitor list: closed", "visitor list: this month",
        "ticket page, 120 messages: visitor", "ticket page, 120 messages: agent", "ticket submission",
        "agent reply", "inbound mail (replies)", "workspace: draft autosave", "workspace: presence poll",
        "reports engine: 30 days by team, supervisor", "reports engine: 90 days by week by agent, supervisor",
        "reports engine: 365 days by month by catalog entry, supervisor", "reports engine: 30 days by team, agent",
        "reports engine: 365 days by month by catalog entry, agent", "reports engine: monthly headline, supervisor",
        "reports page: default, supervisor", "reports page: default, agent",
        "reports page: by agent, last 90 days per week, supervisor",
        "API ticket list", "API ticket list, supervisor",
    ):
        assert expected in names
    # Every sort the inbox offers (benchmarks/bench/sort_scenarios.py), on both default views.
    from benchmarks.bench import sort_scenarios

    for ordering in sort_scenarios.SORTS:
        assert {f"inbox sort: {ordering}", f"inbox sort: {ordering}, supervisor"} <= names
    assert {"inbox sort: deep page, -updated_at", "inbox sort: all tickets, priority, supervisor"} <= names
    # The presence poll: the session and the account, nothing else (the cache answers).
    assert [r["queries"] for r in results if r["name"] == "workspace: presence poll"] == [2]
    for result in results:
        if result["group"] == "inbound":
            assert result["mails_per_second"] > 0
            continue
        # One number: the same queries on every run (a list would mean the count moved between runs).
        assert isinstance(result["queries"], int), result
        assert result["median_ms"] > 0
    # The writes did what a user asked: tickets submitted, replies added, mail replies recorded.
    assert Ticket.objects.filter(subject__startswith="Benchmark submission").count() == 2 + 1
    assert Message.objects.filter(body="We are looking into it.").count() == 2 + 1
