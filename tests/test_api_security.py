"""Attacks on the support API, each asserting it gets nothing: a requester's token, an agent of another
team, a supervisor's reach; the internal notes; guessing numbers, ids and attachment ids; filters used to
reach another team; a changed cursor; tokens revoked, expired, read-only or of a disabled account; the
browser's session (no CSRF question: the API takes no session)."""

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from tests import factories
from tests.api_support import API, api_client, post, token_for
from tests.test_api import factories_png
from wagtail_support import workflow
from wagtail_support.models import Message, Ticket

pytestmark = pytest.mark.django_db

NOTE = "Internal: the requester owes us 3 invoices"

MOVES = [
    ("replies", {"body": "Hello"}),
    ("notes", {"body": "A note"}),
    ("assign", {"assignee": None}),
    ("team", {"team": None}),
    ("pending", {}),
    ("resolve", {"code": "fixed", "solution": "Done"}),
    ("abandon", {}),
    ("reopen", {}),
]


@pytest.fixture(autouse=True)
def _fresh_limits(empty_cache):
    """No request of an earlier test counted against these tokens."""


@pytest.fixture
def noted(ticket, agent):
    """``ticket`` (team Helpdesk) with an internal note and an attachment on a public reply."""
    workflow.reply(ticket, by=agent, body=NOTE, internal=True)
    workflow.reply(ticket, by=agent, body="Public answer", attachments=[factories_png()])
    ticket.refresh_from_db()
    return ticket


def state(ticket):
    """What a refused request must leave as it was."""
    ticket.refresh_from_db()
    return (ticket.version, ticket.status, ticket.assignee_id, ticket.team_id, Message.objects.count(),
            ModelLogEntry.objects.count())


def every_endpoint(ticket):
    number = ticket.number
    yield "get", f"{API}/tickets/", None
    yield "get", f"{API}/tickets/{number}/", None
    yield "get", f"{API}/teams/", None
    yield "get", f"{API}/categories/", None
    yield "get", f"{API}/resolution-codes/", None
    yield "post", f"{API}/tickets/", {"subject": "x", "description": "y", "requester_email": "a@example.com"}
    for move, data in MOVES:
        yield "post", f"{API}/tickets/{number}/{move}/", data


def call(client, method, url, data):
    return post(client, url, data) if method == "post" else client.get(url)


# Roles ---------------------------------------------------------------------------------------------------


def test_a_requesters_token_reaches_no_agent_endpoint(requester, noted, resolution_code):
    client = api_client(requester)  # a read-and-write token of the ticket's own requester
    before = state(noted)
    for method, url, data in every_endpoint(noted):
        response = call(client, method, url, data)
        assert response.status_code == 403, (method, url, response.status_code)
        assert response.json() == {"detail": "Only the support team can use this part of the API.", "errors": {}}
        assert NOTE not in response.content.decode()
    assert state(noted) == before


def test_an_agent_of_another_team_gets_404_on_the_ticket_and_every_move(outsider_agent, noted, resolution_code):
    client = api_client(outsider_agent)
    before = state(noted)
    attachment = noted.messages.get(body="Public answer").attachments.get()
    urls = [f"{API}/tickets/{noted.number}/", f"{API}/tickets/{noted.number}/attachments/{attachment.pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404 and response.json() == {"detail": "Not found.", "errors": {}}
    for move, data in MOVES:
        response = post(client, f"{API}/tickets/{noted.number}/{move}/", data)
        assert response.status_code == 404, move
    assert state(noted) == before


def test_another_teams_tickets_stay_out_of_the_list_whatever_the_filters(outsider_agent, noted, team, agent):
    client = api_client(outsider_agent)
    attempts = [
        {}, {"view": "all"}, {"view": "open"}, {"team": team.pk}, {"team": "none"}, {"assignee": agent.pk},
        {"q": str(noted.number)}, {"q": f"#{noted.number}"}, {"q": "Cannot log in"}, {"q": noted.requester_email},
        {"requester": noted.requester_email}, {"category": noted.category_id}, {"status": "open", "view": "all"},
    ]
    for query in attempts:
        response = client.get(f"{API}/tickets/", query)
        assert response.status_code in (200, 400), query
        text = response.content.decode()
        assert "Cannot log in" not in text and noted.requester_email not in text, query
        if response.status_code == 200:
            assert response.json()["results"] == [], query
    # The team filter does not even offer the other team: the same refusal as a team that does not exist.
    refused = client.get(f"{API}/tickets/", {"team": team.pk}).json()["errors"]["team"]
    absent = client.get(f"{API}/tickets/", {"team": 10**6}).json()["errors"]["team"]
    assert [m.replace(str(team.pk), "N") for m in refused] == [m.replace(str(10**6), "N") for m in absent]


def test_a_supervisor_sees_every_team(supervisor, noted, requester, other_team, resolution_code):
    billing = factories.open_ticket(requester, subject="Refund please", team=other_team)
    client = api_client(supervisor)
    listed = [row["number"] for row in client.get(f"{API}/tickets/", {"view": "all"}).json()["results"]]
    assert set(listed) == {noted.number, billing.number}
    detail = client.get(f"{API}/tickets/{billing.number}/")
    assert detail.status_code == 200
    assert NOTE in client.get(f"{API}/tickets/{noted.number}/").content.decode()
    assert post(client, f"{API}/tickets/{billing.number}/pending/").json()["status"] == "pending"


def test_access_follows_the_ticket_to_its_new_team(agent, outsider_agent, other_team, noted, supervisor):
    workflow.change_team(noted, team=other_team, by=supervisor)
    assert api_client(outsider_agent).get(f"{API}/tickets/{noted.number}/").status_code == 200
    assert api_client(agent).get(f"{API}/tickets/{noted.number}/").status_code == 404


# The internal notes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["requester", "outsider_agent", "other_requester"])
def test_an_internal_note_never_leaks(request, who, noted):
    client = api_client(request.getfixturevalue(who))
    responses = [
        client.get(f"{API}/tickets/", {"view": "all"}),
        client.get(f"{API}/tickets/", {"q": NOTE, "view": "all"}),
        client.get(f"{API}/tickets/", {"q": "invoices"}),
        client.get(f"{API}/tickets/{noted.number}/"),
    ] + [client.get(f"{API}/tickets/{noted.number}/attachments/{a.pk}/") for a in noted.messages.get(
        body="Public answer").attachments.all()]
    for response in responses:
        assert response.status_code in (400, 403, 404) or response.json().get("results") == []
        assert NOTE not in response.content.decode() and "invoices" not in response.content.decode()


# Guessing ------------------------------------------------------------------------------------------------


def test_idor_by_number_pk_and_attachment_id(agent, outsider_agent, noted, requester, other_team):
    billing = factories.open_ticket(requester, subject="Refund please", team=other_team)
    workflow.reply(billing, by=outsider_agent, body="Billing file", attachments=[factories_png()])
    hidden = billing.messages.get(body="Billing file").attachments.get()
    client = api_client(agent)
    # By number, by the row's id as if it were a number, neighbours, zero, a huge number.
    for number in (billing.number, billing.pk, noted.number + 1, 0, 2**63, 10**19 - 1):
        if number == noted.number:
            continue
        response = client.get(f"{API}/tickets/{number}/")
        assert response.status_code == 404, number
        assert "Refund" not in response.content.decode()
    # The other ticket's attachment through the agent's own ticket: the attachment must be of that ticket.
    response = client.get(f"{API}/tickets/{noted.number}/attachments/{hidden.pk}/")
    assert response.status_code == 404
    # And the moves on the other team's ticket.
    before = state(billing)
    for move, data in MOVES:
        assert post(client, f"{API}/tickets/{billing.number}/{move}/", data).status_code == 404
    assert state(billing) == before


def test_a_changed_cursor_is_refused(agent, requester, category):
    for n in range(3):
        factories.open_ticket(requester, subject=f"Ticket {n}", category=category)
    client = api_client(agent)
    following = client.get(f"{API}/tickets/", {"page_size": 1}).json()["next"]
    tampered = following.replace("cursor=", "cursor=x")
    response = client.get(tampered)
    assert response.status_code == 400 and "cursor" in response.json()["errors"]


# Tokens ----------------------------------------------------------------------------------------------------


UNUSABLE = {"detail": "This token is not valid, has expired or was revoked.", "errors": {}}


def test_a_revoked_token_is_refused(agent, ticket):
    row, key = token_for(agent)
    client = api_client(key=key)
    assert client.get(f"{API}/tickets/").status_code == 200
    row.revoke()
    for response in (client.get(f"{API}/tickets/"), post(client, f"{API}/tickets/{ticket.number}/notes/", {"body": "x"})):
        assert response.status_code == 401 and response.json() == UNUSABLE
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert ticket.messages.count() == 1


def test_an_expired_token_and_a_disabled_account_are_refused(agent, colleague, ticket):
    _row, expired = token_for(agent, expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert api_client(key=expired).get(f"{API}/tickets/").json() == UNUSABLE
    _row, key = token_for(colleague)
    colleague.is_active = False
    colleague.save()
    assert api_client(key=key).get(f"{API}/tickets/").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer wst_unknown", "Bearer a b", "Token " + "x" * 500, "Basic YWdlbnQ6cGFzcw==", "Bearer é"],
)
def test_missing_or_forged_tokens_are_401(header, ticket):
    response = Client(headers={"Authorization": header}).get(f"{API}/tickets/{ticket.number}/")
    assert response.status_code == 401
    assert "Cannot log in" not in response.content.decode()


def test_the_token_keyword_works_too(agent, ticket):
    _row, key = token_for(agent)
    assert Client(headers={"Authorization": f"Token {key}"}).get(f"{API}/tickets/").status_code == 200


def test_a_read_only_token_changes_nothing(agent, noted, resolution_code):
    client = api_client(agent, access="read")
    assert client.get(f"{API}/tickets/{noted.number}/").status_code == 200
    before = state(noted)
    for method, url, data in every_endpoint(noted):
        if method == "post":
            response = call(client, method, url, data)
            assert response.status_code == 403, url
            assert "read-only" in response.json()["detail"]
    assert state(noted) == before and Ticket.objects.count() == 1


def test_a_browser_session_opens_nothing(client, agent, ticket):
    """The API takes no session: a page on another site cannot use an agent's cookies (no CSRF question)."""
    client.force_login(agent)
    assert client.get("/admin/support/tickets/").status_code == 200  # the session is good for the admin
    assert client.get(f"{API}/tickets/").status_code == 401
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(agent)
    response = post(csrf_client, f"{API}/tickets/{ticket.number}/notes/", {"body": "Forged from another site"})
    assert response.status_code == 401
    assert not ticket.messages.filter(body="Forged from another site").exists()


def test_a_token_post_needs_no_csrf_token(agent, ticket):
    _row, key = token_for(agent)
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {key}"})
    assert post(client, f"{API}/tickets/{ticket.number}/notes/", {"body": "From a script"}).status_code == 201
