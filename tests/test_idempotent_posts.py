"""A post accepted once is stored once (invariant 8) on the visitor's forms: the one-time form token.

The ticket form and the reply form carry a token issued when they are rendered. The same post sent twice
(a double click, the back button, two requests at the same instant) opens one ticket or adds one message,
sends one mail, and the second answer is the first one's (the same confirmation, the same ticket page).
Through the real pages, workflow, database and Anymail's test backend.
"""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.html_helpers import soup, text
from wagtail_support import submissions
from wagtail_support.models import FormSubmission, Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def ticket_data(**overrides):
    data = {
        "name": "Ann Onymous",
        "email": "ann@example.com",
        "subject": "The export button does nothing",
        "description": "I click Export and nothing happens.",
        "kind": Ticket.Kind.BUG,
        "priority": Ticket.Priority.HIGH,
    }
    data.update(overrides)
    return data


def form_token(response, form_selector="form"):
    field = soup(response).select_one(f'{form_selector} input[name="{submissions.TOKEN_FIELD}"]')
    assert field is not None, "the form carries no one-time token"
    return field["value"]


def mails_to(address):
    return [message for message in mail.outbox if address in message.to]


# The ticket form --------------------------------------------------------------------------------------------


def test_each_rendering_of_the_form_gets_its_own_unguessable_token(client, support_page):
    first = form_token(client.get(support_page.url))
    second = form_token(client.get(support_page.url))

    assert first != second
    assert len(first) >= 32
    # Rendering writes nothing: a token is stored only with the post it let through.
    assert FormSubmission.objects.count() == 0


def test_the_same_ticket_form_posted_twice_opens_one_ticket_and_sends_one_mail(
    client, support_page, django_capture_on_commit_callbacks
):
    token = form_token(client.get(support_page.url))
    data = ticket_data(form_token=token)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(support_page.url, data)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(support_page.url, data)

    ticket = Ticket.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == route(support_page, "confirmation", number=ticket.number)
    assert ticket.messages.count() == 1
    assert len(mails_to("ann@example.com")) == 1
    # The second answer shows the first result: the confirmation with its reference.
    confirmation = client.get(second["Location"])
    assert confirmation.status_code == 200
    assert ticket.reference in text(confirmation)


def test_the_back_button_re_post_from_another_tab_of_the_same_visitor_shows_the_first_ticket(
    support_page, django_capture_on_commit_callbacks
):
    """The same form sent again from a browser whose session lost the link still reaches the confirmation."""
    browser = Client()
    token = form_token(browser.get(support_page.url))
    data = ticket_data(form_token=token)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(support_page.url, data)
    browser.cookies.clear()  # another session: what a re-post from a restored tab looks like

    with django_capture_on_commit_callbacks(execute=True):
        again = browser.post(support_page.url, data)

    ticket = Ticket.objects.get()
    assert again.status_code == 302
    assert ticket.reference in text(browser.get(again["Location"]))
    assert len(mails_to("ann@example.com")) == 1


def test_a_used_token_with_other_content_opens_nothing_and_keeps_what_was_typed(
    client, support_page, django_capture_on_commit_callbacks
):
    token = form_token(client.get(support_page.url))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, ticket_data(form_token=token))

    # The visitor went back, changed the description and sent the old form again.
    changed = client.post(support_page.url, ticket_data(form_token=token, description="Also the import fails."))

    assert changed.status_code == 200
    assert Ticket.objects.count() == 1
    assert "This form was sent already" in text(changed)
    assert "Also the import fails." in soup(changed).select_one('textarea[name="description"]').get_text()
    # A fresh token: pressing Send again opens the second ticket.
    new_token = form_token(changed)
    assert new_token != token
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(support_page.url, ticket_data(form_token=new_token, description="Also the import fails."))
    assert sent.status_code == 302
    assert Ticket.objects.count() == 2


def test_someone_else_with_the_same_token_never_reaches_the_first_ticket(
    client, support_page, requester, other_requester, django_capture_on_commit_callbacks
):
    client.force_login(requester)
    token = form_token(client.get(support_page.url))
    data = {key: value for key, value in ticket_data(form_token=token).items() if key not in ("name", "email")}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, data)
    ticket = Ticket.objects.get()

    intruder = Client()
    intruder.force_login(other_requester)
    response = intruder.post(support_page.url, data)

    # The same words from another account are another post: no redirect to the requester's ticket.
    assert response.status_code == 200
    assert ticket.reference not in text(response)
    assert "This form was sent already" in text(response)
    assert Ticket.objects.count() == 1


def test_a_post_without_a_token_still_opens_its_ticket(client, support_page, django_capture_on_commit_callbacks):
    """A form rendered before the tokens existed (a tab left open over an upgrade) is still accepted: without
    a token there is nothing to recognise a second sending by, so each such post opens a ticket."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(support_page.url, ticket_data())

    assert response.status_code == 302
    assert Ticket.objects.count() == 1
    assert FormSubmission.objects.count() == 0


def test_a_form_that_failed_keeps_its_token_and_is_then_accepted_once(
    client, support_page, django_capture_on_commit_callbacks
):
    token = form_token(client.get(support_page.url))
    failed = client.post(support_page.url, ticket_data(form_token=token, subject=""))
    assert failed.status_code == 200
    assert form_token(failed) == token

    data = ticket_data(form_token=token)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, data)
        client.post(support_page.url, data)

    assert Ticket.objects.count() == 1
    assert len(mails_to("ann@example.com")) == 1


def test_a_refused_move_leaves_the_token_free_for_the_corrected_post(
    client, support_page, settings, django_capture_on_commit_callbacks
):
    # The workflow refuses the support's own address: the claim of the token is rolled back with it.
    token = form_token(client.get(support_page.url))
    refused = client.post(support_page.url, ticket_data(form_token=token, email=settings.WAGTAILSUPPORT_INBOUND_ADDRESS))
    assert refused.status_code == 200
    assert FormSubmission.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(support_page.url, ticket_data(form_token=token))
    assert accepted.status_code == 302
    assert Ticket.objects.count() == 1


def test_used_tokens_are_forgotten_after_a_day(client, support_page, django_capture_on_commit_callbacks):
    old = FormSubmission.objects.create(token="o" * 43, kind="ticket", digest="x")
    FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))
    recent = FormSubmission.objects.create(token="r" * 43, kind="ticket", digest="x")

    token = form_token(client.get(support_page.url))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, ticket_data(form_token=token))

    assert set(FormSubmission.objects.values_list("token", flat=True)) == {recent.token, token}


# The reply form ---------------------------------------------------------------------------------------------


def test_a_reply_re_posted_is_stored_once_and_mailed_once(
    client, support_page, requester, agent, ticket, django_capture_on_commit_callbacks
):
    client.force_login(requester)
    page = client.get(route(support_page, "ticket", number=ticket.number))
    token = form_token(page, "form[action$='/reply/#reply']")
    data = {"body": "Here is the log you asked for.", submissions.TOKEN_FIELD: token}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(route(support_page, "reply", number=ticket.number), data)
    mailed = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(route(support_page, "reply", number=ticket.number), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert second["Location"].endswith("#latest")
    assert ticket.messages.filter(body="Here is the log you asked for.").count() == 1
    assert mailed == len(mails_to(agent.email)) == 1, "the reply is announced to the team once"
    assert len(mail.outbox) == mailed
    shown = client.get(second["Location"])
    assert text(shown).count("Here is the log you asked for.") == 1


def test_a_reply_token_used_on_another_ticket_stores_nothing_there(
    client, support_page, requester, ticket, category, django_capture_on_commit_callbacks
):
    from tests import factories

    other = factories.open_ticket(requester, subject="Another question", category=category)
    client.force_login(requester)
    token = form_token(client.get(route(support_page, "ticket", number=ticket.number)), "form[action$='/reply/#reply']")
    data = {"body": "Same words.", submissions.TOKEN_FIELD: token}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(route(support_page, "reply", number=ticket.number), data)

    response = client.post(route(support_page, "reply", number=other.number), data)

    assert response.status_code == 400
    assert "This message was sent already" in text(response)
    assert not other.messages.filter(body="Same words.").exists()
    assert Message.objects.filter(body="Same words.").count() == 1


# At the same instant ----------------------------------------------------------------------------------------

THREADS = 4


def _post_at_once(url, data, cookies=None):
    """``THREADS`` clients post ``data`` to ``url`` at the same instant; their answers."""
    barrier = threading.Barrier(THREADS)
    answers, errors = [], []
    lock = threading.Lock()

    def post():
        browser = Client()
        if cookies:
            browser.cookies.update(cookies)
        try:
            barrier.wait(timeout=30)
            response = browser.post(url, data)
            with lock:
                answers.append((response.status_code, response.get("Location")))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            with lock:
                errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return answers


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_ticket_form_posted_at_the_same_instant_opens_one_ticket(support_page):
    # Runs on SQLite and on PostgreSQL: the loser of the unique token waits for the winner, then reads it.
    token = submissions.new_token()
    mail.outbox.clear()

    answers = _post_at_once(support_page.url, ticket_data(form_token=token))

    ticket = Ticket.objects.get()
    confirmation = route(support_page, "confirmation", number=ticket.number)
    assert answers == [(302, confirmation)] * THREADS
    assert ticket.messages.count() == 1
    assert len(mails_to("ann@example.com")) == 1
    assert FormSubmission.objects.get().ticket == ticket


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_reply_posted_at_the_same_instant_is_stored_once(support_page, requester, agent, ticket):
    login = Client()
    login.force_login(requester)
    url = route(support_page, "reply", number=ticket.number)
    data = {"body": "Four clicks on Send.", submissions.TOKEN_FIELD: submissions.new_token()}
    mail.outbox.clear()

    answers = _post_at_once(url, data, cookies=login.cookies)

    assert answers == [(302, route(support_page, "ticket", number=ticket.number) + "#latest")] * THREADS
    assert ticket.messages.filter(body="Four clicks on Send.").count() == 1
    assert len(mails_to(agent.email)) == 1
