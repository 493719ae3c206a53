"""The support API for agents (``wagtail_support.api``): the list with the inbox's filters, search,
orderings and cursor; a ticket with its conversation and attachments; creating a ticket; the moves
through the workflow (log entries, mails, refusals in the request's language); the configuration; the
schema and the docs page; the limits per token; a fixed number of queries for the list."""

import json
import re

import pytest
import yaml
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import ModelLogEntry

from tests import factories
from tests.api_support import API, api_client, post
from wagtail_support import workflow
from wagtail_support.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(empty_cache):
    """Each test starts with no request counted against its tokens."""


@pytest.fixture
def api(agent):
    return api_client(agent)


def numbers(response):
    return [row["number"] for row in response.json()["results"]]


def make_tickets(count, requester, category, **kwargs):
    return [
        factories.opened_before(factories.open_ticket(requester, subject=f"Printer {n} jams", category=category, **kwargs))
        for n in range(count)
    ]


# The list ------------------------------------------------------------------------------------------------


def test_the_list_is_the_inbox_default_view(api, ticket, requester, category, resolution_code, agent):
    closed = factories.open_ticket(requester, subject="Old question", category=category)
    workflow.resolve(closed, code=resolution_code, solution="Done.", by=agent)
    response = api.get(f"{API}/tickets/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    # "My teams", not closed, newest activity first (the inbox's default).
    assert numbers(response) == [ticket.number]
    row = response.json()["results"][0]
    assert row["reference"] == ticket.reference and row["team"]["name"] == "Helpdesk"
    assert row["url"] == f"{API}/tickets/{ticket.number}/"
    assert numbers(api.get(f"{API}/tickets/", {"view": "all"})) == [closed.number, ticket.number]


def test_filters_search_and_orderings(api, agent, requester, category):
    low, high = make_tickets(2, requester, category)
    workflow.change_details(high, priority=Ticket.Priority.URGENT, by=agent)
    workflow.assign(low, to=agent, by=agent)
    assert numbers(api.get(f"{API}/tickets/", {"priority": "urgent"})) == [high.number]
    assert numbers(api.get(f"{API}/tickets/", {"view": "mine"})) == [low.number]
    assert numbers(api.get(f"{API}/tickets/", {"assignee": "nobody"})) == [high.number]
    assert numbers(api.get(f"{API}/tickets/", {"q": f"#{low.number}"})) == [low.number]
    assert numbers(api.get(f"{API}/tickets/", {"ordering": "priority"})) == [high.number, low.number]
    assert numbers(api.get(f"{API}/tickets/", {"ordering": "-reference"})) == [high.number, low.number]
    assert numbers(api.get(f"{API}/tickets/", {"ordering": "number"})) == [low.number, high.number]  # alias
    assert api.get(f"{API}/tickets/", {"ordering": "number"}).json()["ordering"] == "reference"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "lost"}, "status"),
        ({"priority": "9"}, "priority"),
        ({"view": "everything"}, "view"),
        ({"ordering": "password"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
        ({"team": "99999"}, "team"),
        ({"assignee": "'; DROP TABLE"}, "assignee"),
        ({"created_from": "0001-01-01"}, "created"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_an_unknown_filter_value_is_a_400_with_a_translated_message(api, ticket, query, field):
    response = api.get(f"{API}/tickets/", query)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Some filters are not valid."
    assert list(body["errors"]) == [field] and all(body["errors"][field])


@pytest.mark.parametrize("query, field", [({"status": "lost"}, "status"), ({"team": "99999"}, "team"),
                                          ({"created_from": "0001-01-01"}, "created")])
def test_the_filters_messages_are_the_forms_in_the_requests_language(api, ticket, query, field):
    english = api.get(f"{API}/tickets/", query).json()["errors"][field]
    french = api.get(f"{API}/tickets/", query, headers={"Accept-Language": "fr"}).json()["errors"][field]
    assert english != french


@pytest.mark.parametrize("ordering", ["-updated_at", "reference", "subject", "-priority", "status", "assignee", "-assignee", "waiting", "-waiting"])
def test_the_cursor_gives_every_ticket_once_in_order(api, agent, colleague, requester, category, ordering):
    tickets = make_tickets(7, requester, category)
    # Equal sort values (ties broken by the number) and NULLs (unassigned, nothing awaited) in the order.
    workflow.assign(tickets[1], to=agent, by=agent)
    workflow.assign(tickets[2], to=colleague, by=agent)
    workflow.assign(tickets[3], to=agent, by=agent)
    workflow.reply(tickets[4], by=agent, body="We are on it.")
    workflow.change_details(tickets[5], priority=Ticket.Priority.HIGH, subject="printer 1 jams", by=agent)
    whole = numbers(api.get(f"{API}/tickets/", {"ordering": ordering, "page_size": 100}))
    assert sorted(whole) == sorted(t.number for t in tickets)
    pages, url, query = [], f"{API}/tickets/", {"ordering": ordering, "page_size": 2}
    while url:
        response = api.get(url, query)
        assert response.status_code == 200, response.content
        pages.append(numbers(response))
        url, query = response.json()["next"], None
    assert [n for page in pages for n in page] == whole
    assert [len(page) for page in pages] == [2, 2, 2, 1]


def test_a_ticket_changed_between_pages_shows_once(api, agent, requester, category):
    tickets = make_tickets(4, requester, category)
    first = api.get(f"{API}/tickets/", {"page_size": 2})
    seen = numbers(first)
    # A ticket of the first page moves to the top meanwhile: the second page does not repeat the others.
    workflow.reply(Ticket.objects.get(number=seen[1]), by=agent, body="Still looking.")
    second = api.get(first.json()["next"])
    assert not set(numbers(second)) & set(seen)
    assert set(seen) | set(numbers(second)) == {t.number for t in tickets}


def test_a_cursor_of_another_ordering_is_refused(api, requester, category):
    make_tickets(3, requester, category)
    following = api.get(f"{API}/tickets/", {"page_size": 1}).json()["next"]
    cursor = re.search(r"cursor=([^&]+)", following).group(1)
    response = api.get(f"{API}/tickets/", {"cursor": cursor, "ordering": "subject"})
    assert response.status_code == 400 and "cursor" in response.json()["errors"]


def list_queries(client, **query):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}/tickets/", {"page_size": 100, **query}, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return len(response.json()["results"]), len(captured)


#: The list: the token and its account, the permissions (the user's, the groups'), the user's teams, the
#: catalog (the category filter's choices), the page. The same for 5 tickets or 50. The choices of the team
#: and assignee filters are read when the request uses them (one query each).
API_LIST_QUERIES = 6


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_the_list_runs_a_fixed_number_of_queries(request, who, requester, category, colleague, agent):
    user = request.getfixturevalue(who)
    client = api_client(user)
    tickets = make_tickets(5, requester, category)
    workflow.assign(tickets[0], to=colleague, by=agent)
    list_queries(client)  # the first request of a token records its use (at most once a minute)
    assert list_queries(client) == (5, API_LIST_QUERIES)
    more = make_tickets(45, requester, category)
    for ticket in more[::5]:
        workflow.assign(ticket, to=agent, by=agent)
    assert list_queries(client) == (50, API_LIST_QUERIES)
    assert list_queries(client, view="all", ordering="assignee")[1] == API_LIST_QUERIES
    assert list_queries(client, view="all", team="none", assignee="me")[1] == API_LIST_QUERIES + 2


# One ticket -------------------------------------------------------------------------------------------------


def test_the_detail_has_the_conversation_internal_notes_and_attachment_links(api, agent, ticket):
    workflow.reply(ticket, by=agent, body="Team only: the account is locked", internal=True)
    workflow.reply(ticket, by=agent, body="Here is a capture.", attachments=[factories_png()])
    response = api.get(f"{API}/tickets/{ticket.number}/")
    assert response.status_code == 200
    body = response.json()
    assert [m["internal"] for m in body["messages"]] == [False, True, False]
    assert body["messages"][1]["body"] == "Team only: the account is locked"
    attachment = body["messages"][2]["attachments"][0]
    assert attachment["filename"] == "capture.png"
    download = api.get(attachment["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")


def factories_png():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile("capture.png", buffer.getvalue(), content_type="image/png")


def test_an_unknown_number_is_a_json_404(api, ticket):
    for number in (ticket.number + 1, 10**19 - 1):
        response = api.get(f"{API}/tickets/{number}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "errors": {}}


# Creating a ticket ----------------------------------------------------------------------------------------


def test_an_agent_creates_a_ticket_for_a_requester(api, agent, category, django_capture_on_commit_callbacks):
    data = {
        "requester_name": "Paula Phone",
        "requester_email": "Paula@Example.org",
        "category": category.pk,
        "kind": "bug",
        "priority": "high",
        "channel": "phone",
        "subject": "The app crashes",
        "description": "It crashes when I open settings.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, f"{API}/tickets/", data)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.requester_email, ticket.channel, ticket.team.slug) == ("paula@example.org", "phone", "helpdesk")
    assert ModelLogEntry.objects.filter(object_id=str(ticket.pk), action="wagtail_support.ticket.open").exists()
    assert any("paula@example.org" in sent.to for sent in mail.outbox)


def test_creating_without_a_requester_gives_the_forms_messages(api, category):
    response = post(api, f"{API}/tickets/", {"subject": "x", "description": "y", "kind": "bug", "priority": "low",
                                             "channel": "email"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    body = response.json()
    assert "requester_email" in body["errors"]
    assert body["detail"].startswith("Le ticket n")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", ["[1, 2]", '"a ticket"', "{not json", "null"])
def test_a_body_that_is_no_object_is_a_400(api, body, ticket):
    for url in (f"{API}/tickets/", f"{API}/tickets/{ticket.number}/replies/", f"{API}/tickets/{ticket.number}/assign/"):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert "detail" in response.json()


def test_a_reply_with_an_attachment_in_multipart(api, ticket):
    response = api.post(f"{API}/tickets/{ticket.number}/replies/", {"body": "The log", "attachments": [factories_png()]})
    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["filename"] == "capture.png"
    assert api.get(attachment["url"]).status_code == 200
    refused = api.post(f"{API}/tickets/{ticket.number}/replies/",
                       {"body": "A program", "attachments": [SimpleUploadedFile("run.exe", b"MZ\x90\x00" * 20)]})
    assert refused.status_code == 400 and "attachments" in refused.json()["errors"]


# The moves ------------------------------------------------------------------------------------------------


def log_actions(ticket):
    return list(ModelLogEntry.objects.filter(object_id=str(ticket.pk)).order_by("pk").values_list("action", flat=True))


def test_a_reply_is_mailed_to_the_requester_and_logged(api, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, f"{API}/tickets/{ticket.number}/replies/", {"body": "Try resetting it.", "set_pending": True})
    assert response.status_code == 201
    assert response.json()["internal"] is False
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert "wagtail_support.ticket.reply" in log_actions(ticket)
    assert any("requester@example.com" in sent.to and "Try resetting it." in sent.body for sent in mail.outbox)


def test_a_note_stays_with_the_team(api, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, f"{API}/tickets/{ticket.number}/notes/", {"body": "Checked the logs: nothing."})
    assert response.status_code == 201 and response.json()["internal"] is True
    assert Message.objects.get(pk=response.json()["id"]).visibility == Message.Visibility.INTERNAL
    assert not any("requester@example.com" in sent.to for sent in mail.outbox)


def test_assign_team_pending_resolve_reopen_abandon(api, agent, colleague, other_team, ticket, resolution_code,
                                                    django_capture_on_commit_callbacks):
    url = f"{API}/tickets/{ticket.number}"
    response = post(api, f"{url}/assign/", {"assignee": colleague.pk, "version": ticket.version})
    assert response.status_code == 200 and response.json()["assignee"]["id"] == colleague.pk
    assert post(api, f"{url}/pending/").json()["status"] == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, f"{url}/resolve/", {"code": "fixed", "solution": "Cleared the cache."})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert any("Cleared the cache." in sent.body for sent in mail.outbox)
    assert post(api, f"{url}/reopen/").json()["status"] == "open"
    assert post(api, f"{url}/abandon/").json()["status"] == "closed"
    assert post(api, f"{url}/reopen/").status_code == 200
    # The last move: another team (the agent no longer works it, so it is no longer theirs to see).
    response = post(api, f"{url}/team/", {"team": other_team.pk})
    assert response.status_code == 200
    assert api.get(f"{url}/").status_code == 404
    actions = log_actions(ticket)
    for action in ("assign", "resolve", "abandon", "reopen", "team"):
        assert f"wagtail_support.ticket.{action}" in actions


@pytest.mark.parametrize(
    "language, detail",
    [
        ("en", "Only a closed ticket can be reopened (current status: Open)."),
        ("fr", "Seul un ticket clôturé peut être rouvert (statut actuel : Ouvert)."),
    ],
)
def test_an_illegal_move_is_refused_with_the_workflows_message(agent, ticket, language, detail):
    client = api_client(agent, language=language)
    response = post(client, f"{API}/tickets/{ticket.number}/reopen/")
    assert response.status_code == 409
    assert response.json() == {"detail": detail, "errors": {}}
    ticket.refresh_from_db()
    assert ticket.version == 1 and ticket.status == Ticket.Status.OPEN


def test_the_users_admin_language_without_accept_language(agent, ticket):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(agent)
    profile.preferred_language = "fr"
    profile.save()
    response = post(api_client(agent), f"{API}/tickets/{ticket.number}/reopen/")
    assert response.json()["detail"].startswith("Seul un ticket")


def test_a_move_on_a_changed_version_is_refused(api, agent, ticket):
    workflow.assign(ticket, to=agent, by=agent)
    response = post(api, f"{API}/tickets/{ticket.number}/pending/", {"version": 1})
    assert response.status_code == 409
    assert "changed while you were working on it" in response.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


@pytest.mark.parametrize(
    "move, data, field",
    [
        ("resolve", {"code": "nonsense", "solution": "x"}, "code"),
        ("resolve", {"code": "fixed", "solution": "  "}, "solution"),
        ("resolve", {"solution": "x"}, "code"),
        ("assign", {"assignee": 10**9}, "assignee"),
        ("assign", {"assignee": "me"}, "assignee"),
        ("team", {"team": 10**9}, "team"),
        ("replies", {"body": ""}, "body"),
        ("notes", {"body": "x", "version": "abc"}, "version"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, ticket, resolution_code, move, data, field):
    response = post(api, f"{API}/tickets/{ticket.number}/{move}/", data)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    ticket.refresh_from_db()
    assert ticket.version == 1


def test_assigning_a_requester_names_nobody(api, ticket, requester):
    response = post(api, f"{API}/tickets/{ticket.number}/assign/", {"assignee": requester.pk})
    assert response.status_code == 400
    assert "Rita" not in response.content.decode()


# Configuration, schema, docs, limits -----------------------------------------------------------------------


def test_the_configuration_lists(api, team, other_team, category, resolution_code):
    assert [t["slug"] for t in api.get(f"{API}/teams/").json()] == ["billing", "helpdesk"]
    assert api.get(f"{API}/categories/").json()[0]["full_name"] == "Accounts"
    codes = [c["code"] for c in api.get(f"{API}/resolution-codes/").json()]
    assert "fixed" in codes and "no-follow-up" not in codes


def test_the_schema_is_openapi_3_with_every_endpoint(client):
    response = client.get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    expected = {f"{API}/tickets/", f"{API}/tickets/{{number}}/", f"{API}/teams/", f"{API}/categories/",
                f"{API}/resolution-codes/", f"{API}/tickets/{{number}}/attachments/{{id}}/"}
    expected |= {f"{API}/tickets/{{number}}/{move}/" for move in
                 ("replies", "notes", "assign", "team", "pending", "resolve", "abandon", "reopen")}
    assert expected <= paths
    assert f"{API}/schema/" not in paths
    assert schema["components"]["securitySchemes"]["supportToken"]["scheme"] == "bearer"
    as_yaml = yaml.safe_load(client.get(f"{API}/schema/").content)
    assert as_yaml["paths"].keys() == schema["paths"].keys()


def test_the_docs_page_loads_nothing_from_another_host(client):
    response = client.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html and "/schema/" in html
    assert '"validatorUrl": null' in html
    assert not re.findall(r"https?://(?!testserver[/:])", html)
    assert not re.findall(r"(?:src|href)=\"//", html)


def test_a_token_over_its_rate_gets_429(settings, agent, ticket):
    settings.WAGTAILSUPPORT_API_RATES = {"read": "3/min", "write": "1/min"}
    client = api_client(agent)
    assert [client.get(f"{API}/teams/").status_code for _n in range(4)] == [200, 200, 200, 429]
    refused = client.get(f"{API}/tickets/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json() == {"detail": f"Too many requests with this token. Try again in {refused['Retry-After']} seconds.",
                              "errors": {}}
    # Writes are counted apart; another token of the same agent has its own counts.
    assert post(client, f"{API}/tickets/{ticket.number}/notes/", {"body": "one note"}).status_code == 201
    assert post(client, f"{API}/tickets/{ticket.number}/notes/", {"body": "two notes"}).status_code == 429
    assert api_client(agent).get(f"{API}/teams/").status_code == 200


# A post sent twice ------------------------------------------------------------------------------------------


def test_a_create_sent_again_with_its_idempotency_key_is_stored_once(api, category):
    data = {"requester_name": "Paula Phone", "requester_email": "paula@example.org", "category": category.pk,
            "kind": "bug", "priority": "high", "channel": "phone", "subject": "Crash", "description": "It crashes."}
    first = post(api, f"{API}/tickets/", data, headers={"Idempotency-Key": "a1b2"})
    again = post(api, f"{API}/tickets/", data, headers={"Idempotency-Key": "a1b2"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert Ticket.objects.count() == 1
    changed = post(api, f"{API}/tickets/", {**data, "subject": "Another"}, headers={"Idempotency-Key": "a1b2"})
    assert changed.status_code == 409 and Ticket.objects.count() == 1
    assert post(api, f"{API}/tickets/", data, headers={"Idempotency-Key": "c3d4"}).status_code == 201
    assert post(api, f"{API}/tickets/", data).status_code == 201  # without a key, each post is a new ticket
    assert Ticket.objects.count() == 3


def test_a_reply_sent_again_with_its_idempotency_key_is_stored_once(api, agent, ticket, colleague, empty_cache):
    url = f"{API}/tickets/{ticket.number}/replies/"
    first = post(api, url, {"body": "On it."}, headers={"Idempotency-Key": "k1"})
    again = post(api, url, {"body": "On it."}, headers={"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert ticket.messages.filter(body="On it.").count() == 1
    # The same key on a note is another request; another token's "k1" is its own key.
    assert post(api, f"{API}/tickets/{ticket.number}/notes/", {"body": "On it."},
                headers={"Idempotency-Key": "k1"}).status_code == 409
    other = api_client(colleague)
    assert post(other, url, {"body": "On it."}, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert ticket.messages.filter(body="On it.").count() == 2
