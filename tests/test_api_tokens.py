"""Personal access tokens: stored hashed and shown once, created and revoked on the agent's account (with
CSRF and a confirmation), their last use recorded at most once a minute, and ``manage.py support_api_token``."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api_support import API, api_client, token_for
from wagtail_support.models import ApiToken

pytestmark = pytest.mark.django_db

TOKENS_URL = "/admin/support/api-tokens/"
TOKEN = re.compile(r"wst_[A-Za-z0-9_-]{43}")


@pytest.fixture(autouse=True)
def _fresh_limits(empty_cache):
    """No request of an earlier test counted against these tokens."""


def every_stored_value():
    """Every value of every column of every token row, as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        return [str(value) for row in cursor.fetchall() for value in row]


def test_a_token_is_stored_hashed(agent):
    row, key = token_for(agent)
    assert TOKEN.fullmatch(key)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.prefix == key[:12]
    assert not any(key in value or key[12:] in value for value in every_stored_value())
    assert token_for(agent)[1] != key


def test_the_last_use_is_written_at_most_once_a_minute(agent, ticket):
    row, key = token_for(agent)
    client = api_client(key=key)
    client.get(f"{API}/teams/")
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as captured:
        client.get(f"{API}/teams/")
    assert not [q for q in captured if q["sql"].startswith("UPDATE")]
    row.refresh_from_db()
    assert row.last_used_at == first
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(f"{API}/teams/")
    row.refresh_from_db()
    assert row.last_used_at > first - timedelta(minutes=1)


# The admin ----------------------------------------------------------------------------------------------


@pytest.fixture
def agent_client(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    return client


def csrf(client, url):
    client.get(url)
    return client.cookies["csrftoken"].value


def test_the_account_page_lists_the_agents_tokens(agent_client, agent, outsider_agent):
    token_for(agent, name="Nightly export")
    token_for(outsider_agent, name="Someone else's")
    html = agent_client.get("/admin/account/").content.decode()
    assert "Support API tokens" in html and "Nightly export" in html
    assert "Someone else" not in html
    assert TOKENS_URL in html


def test_a_requester_has_no_token_pages(client, requester):
    client.force_login(requester)
    assert client.get(TOKENS_URL).status_code in (302, 403)


def test_a_token_created_in_the_admin_is_shown_once_and_works(agent_client, agent, ticket):
    token = csrf(agent_client, TOKENS_URL)
    response = agent_client.post(
        TOKENS_URL, {"name": "Zapier", "access": "write", "expires": "30", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    keys = set(TOKEN.findall(response.content.decode()))
    assert len(keys) == 1
    key = keys.pop()
    row = ApiToken.objects.get(user=agent)
    assert (row.name, row.access) == ("Zapier", "write")
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    assert not any(key in value for value in every_stored_value())
    # Never again: the list shows its prefix only.
    again = agent_client.get(TOKENS_URL).content.decode()
    assert not TOKEN.search(again) and row.prefix in again
    assert api_client(key=key).get(f"{API}/tickets/{ticket.number}/").status_code == 200


def test_creating_needs_csrf_and_a_name(agent_client, agent):
    assert agent_client.post(TOKENS_URL, {"name": "No CSRF", "access": "read"}).status_code == 403
    token = csrf(agent_client, TOKENS_URL)
    response = agent_client.post(TOKENS_URL, {"name": "", "access": "admin", "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_is_confirmed_and_posted_with_csrf(agent_client, agent, ticket):
    row, key = token_for(agent, name="Old script")
    url = f"{TOKENS_URL}{row.pk}/revoke/"
    page = agent_client.get(url)
    assert page.status_code == 200 and "Old script" in page.content.decode()
    row.refresh_from_db()
    assert row.revoked_at is None  # the confirmation page revokes nothing
    assert agent_client.post(url).status_code == 403  # no CSRF token
    token = csrf(agent_client, TOKENS_URL)
    response = agent_client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert api_client(key=key).get(f"{API}/tickets/").status_code == 401
    assert agent_client.get(url).status_code == 404  # revoked once


def test_nobody_revokes_another_agents_token(agent_client, colleague):
    row, key = token_for(colleague)
    token = csrf(agent_client, TOKENS_URL)
    url = f"{TOKENS_URL}{row.pk}/revoke/"
    assert agent_client.get(url).status_code == 404
    assert agent_client.post(url, {"csrfmiddlewaretoken": token}).status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


# The management command ---------------------------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("support_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_a_token_once(agent, ticket):
    out, err = run("agent", "--name", "nightly", "--expires-days", "7")
    key = out.strip()
    assert TOKEN.fullmatch(key)
    row = ApiToken.objects.get(user=agent)
    assert (row.name, row.access) == ("nightly", "read")
    assert row.expires_at - timezone.now() <= timedelta(days=7)
    assert api_client(key=key).get(f"{API}/tickets/").status_code == 200
    assert api_client(key=key).post(f"{API}/tickets/{ticket.number}/pending/").status_code == 403
    run("agent", "--write")
    assert ApiToken.objects.filter(user=agent, access="write").count() == 1
    listed, _err = run("agent", "--list")
    assert "nightly" in listed and row.prefix in listed and key not in listed


def test_the_command_revokes_by_prefix(agent):
    out, _err = run("agent")
    row = ApiToken.objects.get(user=agent)
    revoked, _err = run("agent", "--revoke", row.prefix)
    assert "1 token(s) revoked" in revoked
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert api_client(key=out.strip()).get(f"{API}/tickets/").status_code == 401
    with pytest.raises(CommandError):
        run("agent", "--revoke", row.prefix)


def test_the_command_refuses_an_unknown_user_and_warns_for_a_requester(requester):
    with pytest.raises(CommandError):
        run("nobody")
    _out, err = run("requester")
    assert "not a support agent" in err
