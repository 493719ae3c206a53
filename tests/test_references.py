"""Ticket references: "#<number>", handed out once each, in order, even under concurrent submissions."""

import threading

import pytest
from django.db import connection

from tests import factories
from wagtail_support import workflow
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db


def anonymous_ticket(n):
    return factories.open_ticket(requester_name=f"Visitor {n}", requester_email=f"visitor{n}@example.com")


def test_references_start_at_1000_by_default_and_increase(requester):
    first = factories.open_ticket(requester)
    second = factories.open_ticket(requester)
    third = anonymous_ticket(3)

    assert [first.reference, second.reference, third.reference] == ["#1000", "#1001", "#1002"]
    assert Ticket.objects.get(pk=first.pk).number == 1000
    assert str(first) == "#1000 Cannot log in"


def test_references_start_at_the_configured_number(requester, settings):
    settings.WAGTAILSUPPORT_REFERENCE_START = 42000

    assert factories.open_ticket(requester).reference == "#42000"
    assert factories.open_ticket(requester).reference == "#42001"


def test_deleting_the_newest_ticket_does_not_free_its_number(requester):
    factories.open_ticket(requester)
    newest = factories.open_ticket(requester)
    assert newest.number == 1001
    newest.delete()

    assert factories.open_ticket(requester).number == 1002


def test_deleting_every_ticket_does_not_restart_the_numbers(requester):
    for _ in range(3):
        factories.open_ticket(requester)
    Ticket.objects.all().delete()

    assert factories.open_ticket(requester).number == 1003


def test_a_refused_ticket_does_not_use_a_number(requester):
    factories.open_ticket(requester)
    with pytest.raises(workflow.InvalidInput):
        factories.open_ticket(requester, subject="")

    assert factories.open_ticket(requester).number == 1001


THREADS = 8
PER_THREAD = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submissions_get_distinct_numbers():
    barrier = threading.Barrier(THREADS)
    numbers, errors = [], []
    lock = threading.Lock()

    def submit(thread):
        try:
            barrier.wait(timeout=30)
            for i in range(PER_THREAD):
                ticket = anonymous_ticket(f"{thread}-{i}")
                with lock:
                    numbers.append(ticket.number)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(numbers) == THREADS * PER_THREAD
    assert len(set(numbers)) == THREADS * PER_THREAD
    assert Ticket.objects.count() == THREADS * PER_THREAD
    assert sorted(Ticket.objects.values_list("number", flat=True)) == list(range(1000, 1000 + THREADS * PER_THREAD))
