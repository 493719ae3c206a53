"""``DatabaseUnavailableMiddleware``: a 503 page, never a 500 nor a half-written ticket, when the database goes.

On PostgreSQL the database is lost for real: the connection pointed at a server that is not there, or
the server ending our own connection in the middle of a submission, as a restart does. Elsewhere (and
for the cases that cannot be made on demand) the code raises the error the database driver would.
"""

import os

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.urls import path

from tests.test_support_pages import png_file, ticket_data, txt_file
from wagtail_support import workflow
from wagtail_support.middleware import is_database_unavailable, service_unavailable
from wagtail_support.models import Attachment, Message, OutboundMail, Ticket
from wagtail_support.storage import attachment_storage

MIDDLEWARE_PATH = "wagtail_support.middleware.DatabaseUnavailableMiddleware"
PAGE_MARK = 'data-wagtail-support="database-unavailable"'


def lost_database(request):
    raise OperationalError("server closed the connection unexpectedly")


def closed_connection(request):
    raise InterfaceError("connection already closed")


def other_error(request):
    raise ValueError("a bug, not the database")


def wrapped_error(request):
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError as error:
        raise RuntimeError("rendering failed") from error


urlpatterns = [
    path("lost/", lost_database),
    path("closed/", closed_connection),
    path("bug/", other_error),
    path("wrapped/", wrapped_error),
    path("fine/", lambda request: HttpResponse("fine")),
]


class FailsAfterTheView:
    """A middleware whose response phase loses the database (the session middleware saving, say)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path == "/fine/":
            raise OperationalError("the database system is shutting down")
        return response


@pytest.fixture
def with_middleware(settings):
    settings.MIDDLEWARE = [MIDDLEWARE_PATH, *[m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]]
    return settings


def assert_503_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    content = response.content.decode()
    assert PAGE_MARK in content
    assert "Service temporarily unavailable" in content
    assert "send it again in a moment" in content


# Unit: which errors, where --------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/lost/", "/closed/", "/wrapped/"])
def test_a_view_that_loses_the_database_answers_the_503_page(client, with_middleware, url):
    assert_503_page(client.get(url))


@pytest.mark.urls(__name__)
def test_an_error_of_another_kind_is_left_to_django(client, with_middleware):
    client.raise_request_exception = False
    assert client.get("/bug/").status_code == 500


@pytest.mark.urls(__name__)
def test_the_database_lost_in_a_later_middleware_answers_the_503_page(client, with_middleware):
    with_middleware.MIDDLEWARE = [*with_middleware.MIDDLEWARE, f"{__name__}.FailsAfterTheView"]
    client.raise_request_exception = False
    assert_503_page(client.get("/fine/"))


@pytest.mark.urls(__name__)
def test_without_the_middleware_the_same_error_is_a_500(client, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    client.raise_request_exception = False
    assert client.get("/lost/").status_code == 500


@pytest.mark.django_db
def test_the_page_is_rendered_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = service_unavailable()
    assert_503_page(response)


def test_what_counts_as_a_lost_database():
    assert is_database_unavailable(OperationalError("connection refused"))
    assert is_database_unavailable(InterfaceError("connection already closed"))
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as error:
            raise RuntimeError("while rendering") from error
    except RuntimeError as wrapped:
        assert is_database_unavailable(wrapped)
    assert not is_database_unavailable(ValueError("a bug"))
    assert not is_database_unavailable(None)


# The support page, with the database really gone -----------------------------------------------------------


def _files_in_storage():
    location = attachment_storage().location
    found = set()
    for directory, _dirs, files in os.walk(location):
        found |= {os.path.join(directory, name) for name in files}
    return found


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_submission_while_the_database_is_unreachable_gets_the_503_page_and_the_site_comes_back(
    client, with_middleware, support_page, empty_cache
):
    files_before = _files_in_storage()
    url = support_page.url
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    # The server is not there any more: a connection to it is refused, as while PostgreSQL restarts.
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", "1"
    try:
        response = client.post(url, ticket_data(attachments=[png_file()]))
    finally:
        connection.close()
        settings_dict.clear()
        settings_dict.update(saved)

    assert_503_page(response)
    # The next request, on a fresh connection, works: nothing to restart.
    response = client.post(url, ticket_data(subject="Sent again"))
    assert response.status_code == 302
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Sent again"]
    assert _files_in_storage() == files_before


def test_a_submission_that_loses_the_database_halfway_writes_nothing(
    client, with_middleware, support_page, empty_cache, monkeypatch
):
    """The database goes after the ticket, its message and its files were written: nothing stays."""
    files_before = _files_in_storage()
    store = workflow.store_attachments

    def store_then_lose_the_database(message, attachments, saved_files=None):
        store(message, attachments, saved_files)
        assert len(_files_in_storage() - files_before) == 2  # the files were written
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(workflow, "store_attachments", store_then_lose_the_database)
    response = client.post(support_page.url, ticket_data(attachments=[png_file(), txt_file()]))

    assert_503_page(response)
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert not OutboundMail.objects.exists()
    assert _files_in_storage() == files_before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_ending_the_connection_halfway_through_a_submission(
    client, with_middleware, support_page, empty_cache, monkeypatch
):
    """PostgreSQL ends our connection (as a restart does) after the ticket's rows and files were written."""
    import psycopg

    files_before = _files_in_storage()
    store = workflow.store_attachments
    params = connection.settings_dict

    def store_then_lose_the_connection(message, attachments, saved_files=None):
        stored = store(message, attachments, saved_files)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with psycopg.connect(
            dbname=params["NAME"],
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            autocommit=True,
        ) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                    break
                other.execute("SELECT pg_sleep(0.05)")
        return stored

    monkeypatch.setattr(workflow, "store_attachments", store_then_lose_the_connection)
    response = client.post(support_page.url, ticket_data(attachments=[png_file()]))
    monkeypatch.undo()

    assert_503_page(response)
    # The server rolled the transaction back: no ticket, message, attachment or mail record; no file.
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not OutboundMail.objects.exists()
    assert _files_in_storage() == files_before
    # And the site carries on, on a fresh connection.
    response = client.post(support_page.url, ticket_data(subject="Sent again"))
    assert response.status_code == 302
    assert Ticket.objects.get().subject == "Sent again"
