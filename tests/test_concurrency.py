"""Nothing lost under concurrency (invariant 8): replies posted at the same instant are all stored and mailed.

Ten visitors' browsers post a reply to one ticket at the same moment, each on its own thread with its own
database connection, through the real support page, workflow and Anymail's test backend. On SQLite the
test database is a file (``example_site/settings/test.py``) with the settings the README gives a site:
``transaction_mode`` IMMEDIATE and a busy timeout, so writers wait their turn. On PostgreSQL (``DATABASE_URL``)
the same test runs on the server. And when the database really is busy past the timeout, the visitor is
told so, never that the service is "unavailable".
"""

import sqlite3
import statistics
import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client

from tests.html_helpers import soup, text
from wagtail_support.models import Message, OutboundMail

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WRITERS = 10


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def reply_form_fields(response):
    """The hidden fields of the page's reply form (CSRF and one-time tokens), as a browser would send them."""
    form = soup(response).select_one('form[action*="/reply/"]')
    assert form is not None, "no reply form on the ticket page"
    return {field["name"]: field.get("value", "") for field in form.select('input[type="hidden"][name]')}


@pytest.mark.parametrize("one_time_token", [True, False], ids=["from-the-page", "without-form-token"])
def test_ten_replies_posted_at_once_are_all_stored_and_mailed(support_page, ticket, requester, agent, one_time_token):
    """Without the form's one-time token too (a page rendered before it existed): nothing then starts
    the move's transaction with a write, the case where SQLite's deferred transactions fail at once."""
    ticket_url = route(support_page, "ticket", number=ticket.number)
    reply_url = route(support_page, "reply", number=ticket.number)
    browsers = []
    for _ in range(WRITERS):
        browser = Client()
        browser.force_login(requester)
        fields = reply_form_fields(browser.get(ticket_url))
        browsers.append((browser, fields if one_time_token else {}))
    mail.outbox.clear()
    start_line = threading.Barrier(WRITERS)
    answers, durations = [None] * WRITERS, [None] * WRITERS

    def post(number):
        browser, fields = browsers[number]
        try:
            start_line.wait()
            started = time.perf_counter()
            response = browser.post(reply_url, {**fields, "body": f"Reply number {number} from a busy day"})
            durations[number] = time.perf_counter() - started
            answers[number] = (response.status_code, response.get("Location", ""), text(response)[:300])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(number,)) for number in range(WRITERS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    total = time.perf_counter() - began

    refused = [answer for answer in answers if answer is None or answer[0] != 302]
    assert not refused, refused
    assert all(location.startswith(ticket_url) for _status, location, _text in answers)
    stored = Message.objects.filter(ticket=ticket, body__endswith="from a busy day")
    assert sorted(stored.values_list("body", flat=True)) == sorted(
        f"Reply number {number} from a busy day" for number in range(WRITERS)
    )
    # One mail per reply to the team's agent, recorded and sent.
    records = OutboundMail.objects.filter(ticket=ticket, event="requester_reply")
    assert records.count() == WRITERS
    assert set(records.values_list("status", flat=True)) == {OutboundMail.Status.SENT}
    assert len([sent for sent in mail.outbox if sent.to == [agent.email]]) == WRITERS
    print(
        f"\n{WRITERS} replies at once on {connection.vendor} ({'with' if one_time_token else 'without'} form token): "
        f"all stored and mailed in {total:.2f} s; "
        f"per request median {statistics.median(durations):.2f} s, slowest {max(durations):.2f} s"
    )


@pytest.fixture
def sqlite_file(settings):
    if connection.vendor != "sqlite" or connection.settings_dict["NAME"].startswith(("file:", ":memory:")):
        pytest.skip("needs SQLite in a file")
    return connection.settings_dict["NAME"]


def test_a_database_busy_past_the_timeout_is_said_so_never_unavailable(
    client, support_page, ticket, requester, sqlite_file
):
    """Another writer holds SQLite's write lock longer than the busy timeout: the answer says what happened."""
    client.force_login(requester)
    fields = reply_form_fields(client.get(route(support_page, "ticket", number=ticket.number)))
    options = connection.settings_dict["OPTIONS"]
    saved_timeout = options.get("timeout")
    connection.close()
    options["timeout"] = 0.2
    other_writer = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")
        response = client.post(route(support_page, "reply", number=ticket.number), {**fields, "body": "Held up"})
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
        connection.close()
        options["timeout"] = saved_timeout

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = soup(response)
    assert page.select_one('[data-wagtail-support="database-busy"]') is not None
    assert "Too busy to save what you sent" in text(response)
    assert "unavailable" not in text(response).lower()
    assert not Message.objects.filter(body="Held up").exists()
    # Sent again once the other writer is done: stored.
    fields = reply_form_fields(client.get(route(support_page, "ticket", number=ticket.number)))
    again = client.post(route(support_page, "reply", number=ticket.number), {**fields, "body": "Held up"})
    assert again.status_code == 302
    assert Message.objects.filter(body="Held up").count() == 1


@pytest.mark.postgres
def test_a_row_locked_past_the_lock_timeout_is_said_so_never_unavailable(client, support_page, ticket, requester):
    """PostgreSQL: another transaction holds the ticket's row past ``lock_timeout``: "too busy", not "unavailable"."""
    import psycopg

    client.force_login(requester)
    fields = reply_form_fields(client.get(route(support_page, "ticket", number=ticket.number)))
    params = connection.settings_dict
    options = params["OPTIONS"]
    saved = options.get("options")
    connection.close()
    options["options"] = "-c lock_timeout=200"
    other = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    try:
        other.execute("SELECT id FROM wagtail_support_ticket WHERE id = %s FOR UPDATE", [ticket.pk])
        response = client.post(route(support_page, "reply", number=ticket.number), {**fields, "body": "Held up"})
    finally:
        other.rollback()
        other.close()
        connection.close()
        if saved is None:
            options.pop("options", None)
        else:
            options["options"] = saved

    assert response.status_code == 503
    assert soup(response).select_one('[data-wagtail-support="database-busy"]') is not None
    assert "unavailable" not in text(response).lower()
    assert not Message.objects.filter(body="Held up").exists()


def test_what_counts_as_a_busy_database_and_what_as_a_lost_one():
    from django.db import OperationalError

    from wagtail_support.middleware import is_database_busy, is_database_unavailable

    locked = OperationalError("database is locked")
    assert is_database_busy(locked) and not is_database_unavailable(locked)
    gone = OperationalError("server closed the connection unexpectedly")
    assert is_database_unavailable(gone) and not is_database_busy(gone)

    class Deadlock(Exception):
        sqlstate = "40P01"

    deadlock = OperationalError("deadlock detected")
    deadlock.__cause__ = Deadlock()
    assert is_database_busy(deadlock) and not is_database_unavailable(deadlock)
    try:
        try:
            raise locked
        except OperationalError as error:
            raise RuntimeError("while saving the session") from error
    except RuntimeError as wrapped:
        assert is_database_busy(wrapped) and not is_database_unavailable(wrapped)
