"""Long conversations are windowed: the first message, then the newest ones, and a bar in between.

``WAGTAILSUPPORT_CONVERSATION_WINDOW`` (50 by default) newest messages are shown after the first one on
the visitor's ticket page and in the agent workspace; ``?latest=<n>`` shows more (never fewer than the
setting) and ``?latest=all`` everything. On the visitor's page only public messages exist: an internal
note is never shown nor counted in the bar (invariant 1). The pages run the same number of queries for
60 messages as for 200, and ``?latest=all`` opens nobody else's ticket.

The conversations are written with ``bulk_create`` (one second apart, after the description) so that a
test of a few hundred messages stays fast; the window only reads them.
"""

import datetime
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.html_helpers import html, soup
from wagtail_support import access
from wagtail_support.conversation import conversation_window
from wagtail_support.models import Message

pytestmark = pytest.mark.django_db

DESCRIPTION = "The login page says my password is wrong."
NOTE_MARK = "CONFIDENTIAL-NOTE"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


# Helpers --------------------------------------------------------------------------------------------------


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def ticket_url(page, ticket, query=""):
    return route(page, "ticket", number=ticket.number) + (f"?{query}" if query else "")


def workspace_url(ticket, query=""):
    return reverse("wagtail_support_admin:ticket", args=[ticket.pk]) + (f"?{query}" if query else "")


def reply_body(n):
    return f"Reply {n:03}"


def note_body(n):
    return f"{NOTE_MARK} {n:03}: checked the server logs"


def add_messages(ticket, kinds, *, agent, requester):
    """Append messages to ``ticket``, one second apart after its newest one: ``kinds`` is a sequence of
    ``"public"`` / ``"internal"``. Public ones alternate between the requester and the agent and read
    "Reply 001", "Reply 002"...; notes read "CONFIDENTIAL-NOTE 001: ..." and are by the agent."""
    last = ticket.messages.order_by("-created_at", "-pk").first()
    start = last.created_at
    replies = notes = 0
    rows = []
    for i, kind in enumerate(kinds, start=1):
        if kind == "internal":
            notes += 1
            body, by, role = note_body(notes), agent, "agent"
        else:
            replies += 1
            by, role = (agent, "agent") if replies % 2 else (requester, "requester")
            body = reply_body(replies)
        rows.append(
            Message(
                ticket=ticket,
                author_user=by,
                author_role=role,
                body=body,
                visibility=kind,
                created_at=start + datetime.timedelta(seconds=i),
            )
        )
    Message.objects.bulk_create(rows)


def interleaved(replies, notes_every=3, trailing_notes=0):
    """``replies`` public messages with a note after every ``notes_every``-th, then ``trailing_notes``
    notes (the newest messages of the ticket are notes)."""
    kinds = []
    for n in range(1, replies + 1):
        kinds.append("public")
        if notes_every and n % notes_every == 0:
            kinds.append("internal")
    return kinds + ["internal"] * trailing_notes


def new_ticket(requester, category):
    return factories.opened_before(
        factories.open_ticket(requester, subject="Cannot log in", description=DESCRIPTION, category=category)
    )


def visitor_bodies(response):
    return [
        " ".join(entry.select_one(".ws-entry__body").get_text(" ").split())
        for entry in soup(response).select("ol.ws-messages-list li.ws-entry")
    ]


def workspace_bodies(response):
    return [
        " ".join(entry.select_one(".wsw-message__body").get_text(" ").split())
        for entry in soup(response).select("ol.wsw-timeline li.wsw-message")
    ]


def bar(response, selector):
    """The bar's sentence and its links (text -> href), and where it stands in the list, or ``None``."""
    page = soup(response)
    found = page.select(selector)
    if not found:
        return None
    assert len(found) == 1
    (element,) = found
    items = element.parent.find_all("li", recursive=False)
    return {
        "text": " ".join(element.get_text(" ").split()),
        "links": {" ".join(a.get_text(" ").split()): a["href"] for a in element.select("a")},
        "position": items.index(element),
    }


def visitor_bar(response):
    return bar(response, "ol.ws-messages-list li.ws-earlier")


def workspace_bar(response):
    return bar(response, "ol.wsw-timeline li.wsw-timeline__earlier")


def follow(client, href):
    """Open a link of the page as a browser does (the fragment stays in the browser)."""
    parts = urlsplit(href)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""))


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


# Fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def requester_client(requester):
    """A browser of its own (``agent_client`` is pytest-django's ``client``): both can be used in one test."""
    client = Client()
    client.force_login(requester)
    return client


@pytest.fixture
def long_ticket(requester, agent, category):
    """The description, 120 replies ("Reply 001".."Reply 120") with a note after every third one (40)
    and 5 notes at the very end: 121 public messages among 166."""
    ticket = new_ticket(requester, category)
    add_messages(ticket, interleaved(120, notes_every=3, trailing_notes=5), agent=agent, requester=requester)
    assert ticket.messages.public().count() == 121
    assert ticket.messages.internal().count() == 45
    return ticket


@pytest.fixture
def busy_ticket(requester, agent, category):
    """The description, then 120 replies and 120 notes alternating (reply first): 241 messages."""
    ticket = new_ticket(requester, category)
    add_messages(ticket, ["public", "internal"] * 120, agent=agent, requester=requester)
    assert ticket.messages.count() == 241
    return ticket


# The function behind ?latest= ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "requested, expected",
    [
        (None, 50),
        ("", 50),
        ("garbage", 50),
        ("-5", 50),
        ("0", 50),
        ("3", 50),
        ("1e3", 50),
        ("50", 50),
        ("51", 51),
        ("100", 100),
        ("all", None),
        ("ALL", None),
        ("999999999999999999999999", 100_000),
    ],
)
def test_latest_parameter_is_read_against_the_setting(requested, expected):
    assert conversation_window(requested) == expected


@pytest.mark.parametrize("window", [None, 0, -1, "50"])
def test_no_window_setting_means_everything(window):
    """A window that is not a number above zero shows every message (and the system check reports it)."""
    with override_settings(WAGTAILSUPPORT_CONVERSATION_WINDOW=window):
        assert conversation_window(None) is None
        assert conversation_window("3") is None
        assert conversation_window("all") is None


def test_window_queryset_is_the_first_and_the_newest_in_one_query(long_ticket):
    public = long_ticket.messages.public()
    with CaptureQueriesContext(connection) as queries:
        bodies = [m.body for m in public.window(3)]
    assert len(queries) == 1
    assert bodies == [DESCRIPTION, reply_body(118), reply_body(119), reply_body(120)]
    assert [m.body for m in public.window(None)] == [m.body for m in public]


# The visitor's ticket page ---------------------------------------------------------------------------------


def test_long_conversation_shows_the_first_and_the_50_newest_public_messages(
    requester_client, support_page, long_ticket
):
    response = requester_client.get(ticket_url(support_page, long_ticket))

    assert response.status_code == 200
    assert visitor_bodies(response) == [DESCRIPTION] + [reply_body(n) for n in range(71, 121)]
    earlier = visitor_bar(response)
    assert earlier is not None
    assert earlier["position"] == 1  # right after the first message
    assert earlier["text"].startswith("70 earlier messages are not shown.")
    assert earlier["links"] == {
        "Show 50 more": ticket_url(support_page, long_ticket, "latest=100") + "#earlier-messages",
        "Show them all": ticket_url(support_page, long_ticket, "latest=all") + "#earlier-messages",
    }
    assert soup(response).select_one("#earlier-messages") is not None
    assert NOTE_MARK not in html(response)


def test_show_more_then_show_them_all(requester_client, support_page, long_ticket):
    first = visitor_bar(requester_client.get(ticket_url(support_page, long_ticket)))

    more = follow(requester_client, first["links"]["Show 50 more"])

    assert visitor_bodies(more) == [DESCRIPTION] + [reply_body(n) for n in range(21, 121)]
    earlier = visitor_bar(more)
    assert earlier["text"].startswith("20 earlier messages are not shown.")
    # Fewer than a step are left: no "Show 20 more", only "Show them all".
    assert earlier["links"] == {
        "Show them all": ticket_url(support_page, long_ticket, "latest=all") + "#earlier-messages"
    }

    everything = follow(requester_client, earlier["links"]["Show them all"])

    assert visitor_bodies(everything) == [DESCRIPTION] + [reply_body(n) for n in range(1, 121)]
    assert visitor_bar(everything) is None
    assert "earlier message" not in html(everything)
    assert NOTE_MARK not in html(everything)


def test_more_link_adds_a_step_to_what_is_shown(requester_client, support_page, requester, agent, category):
    ticket = new_ticket(requester, category)
    add_messages(ticket, ["public"] * 200, agent=agent, requester=requester)

    response = requester_client.get(ticket_url(support_page, ticket, "latest=100"))

    assert len(visitor_bodies(response)) == 101
    assert visitor_bar(response)["links"]["Show 50 more"] == (
        ticket_url(support_page, ticket, "latest=150") + "#earlier-messages"
    )
    assert visitor_bar(response)["text"].startswith("100 earlier messages are not shown.")


def test_invalid_or_too_small_latest_shows_the_default_window(requester_client, support_page, long_ticket):
    default = requester_client.get(ticket_url(support_page, long_ticket))
    assert len(visitor_bodies(default)) == 51

    for latest in ("garbage", "-5", "0", "3"):
        response = requester_client.get(ticket_url(support_page, long_ticket, f"latest={latest}"))
        assert response.status_code == 200
        assert visitor_bodies(response) == visitor_bodies(default), latest
        assert visitor_bar(response) == visitor_bar(default), latest


def test_huge_latest_shows_everything_without_an_error(requester_client, support_page, long_ticket):
    response = requester_client.get(ticket_url(support_page, long_ticket, "latest=999999999999999999999999"))

    assert response.status_code == 200
    assert len(visitor_bodies(response)) == 121
    assert visitor_bar(response) is None


def test_internal_notes_are_never_counted_nor_shown_to_the_requester(
    requester_client, support_page, long_ticket, agent, requester
):
    """Invariant 1: the window is taken among public messages; notes, even the newest, change nothing."""
    queries = ["", "latest=100", "latest=all"]
    before = {}
    for query in queries:
        response = requester_client.get(ticket_url(support_page, long_ticket, query))
        before[query] = (visitor_bodies(response), visitor_bar(response))
        assert NOTE_MARK not in html(response)

    # 80 more notes, all newer than every reply: more than a whole window.
    add_messages(long_ticket, ["internal"] * 80, agent=agent, requester=requester)
    assert long_ticket.messages.internal().count() == 125

    for query in queries:
        response = requester_client.get(ticket_url(support_page, long_ticket, query))
        assert (visitor_bodies(response), visitor_bar(response)) == before[query]
        assert NOTE_MARK not in html(response)
    assert before[""][1]["text"].startswith("70 earlier messages")


def test_agent_on_the_visitor_page_sees_what_the_requester_sees(
    requester_client, agent_client, support_page, long_ticket
):
    """The visitor page is the requester's view, whoever opens it: an agent gets no note there either."""
    for query in ("", "latest=all"):
        as_requester = requester_client.get(ticket_url(support_page, long_ticket, query))
        as_agent = agent_client.get(ticket_url(support_page, long_ticket, query))

        assert as_agent.status_code == 200
        assert visitor_bodies(as_agent) == visitor_bodies(as_requester)
        assert visitor_bar(as_agent) == visitor_bar(as_requester)
        assert NOTE_MARK not in html(as_agent)
    assert len(visitor_bodies(as_agent)) == 121


def test_link_holder_sees_the_window_of_public_messages(client, support_page, anon_ticket, agent):
    add_messages(anon_ticket, interleaved(60, notes_every=2, trailing_notes=3), agent=agent, requester=None)
    token = access.make_link_token(anon_ticket)
    assert client.get(ticket_url(support_page, anon_ticket, f"t={token}")).status_code == 302

    response = client.get(ticket_url(support_page, anon_ticket))

    assert visitor_bodies(response) == ["I did not receive my invoice for March."] + [
        reply_body(n) for n in range(11, 61)
    ]
    assert visitor_bar(response)["text"].startswith("10 earlier messages are not shown.")
    assert NOTE_MARK not in html(response)
    everything = client.get(ticket_url(support_page, anon_ticket, "latest=all"))
    assert len(visitor_bodies(everything)) == 61
    assert NOTE_MARK not in html(everything)


# Short conversations ----------------------------------------------------------------------------------------


def test_short_conversation_has_no_bar(requester_client, support_page, ticket, agent, requester):
    add_messages(ticket, ["public", "internal", "public", "public", "internal"], agent=agent, requester=requester)

    response = requester_client.get(ticket_url(support_page, ticket))

    assert visitor_bodies(response) == [DESCRIPTION, reply_body(1), reply_body(2), reply_body(3)]
    assert visitor_bar(response) is None
    assert "earlier message" not in html(response)


def test_first_message_and_exactly_the_window_has_no_bar(
    requester_client, support_page, ticket, agent, requester
):
    # The description and 50 replies: the first and the 50 newest are every message.
    add_messages(ticket, interleaved(50, notes_every=5), agent=agent, requester=requester)

    response = requester_client.get(ticket_url(support_page, ticket))

    assert visitor_bodies(response) == [DESCRIPTION] + [reply_body(n) for n in range(1, 51)]
    assert visitor_bar(response) is None


def test_one_message_more_than_the_window_is_one_hidden_message(
    requester_client, support_page, ticket, agent, requester
):
    add_messages(ticket, interleaved(51, notes_every=5, trailing_notes=2), agent=agent, requester=requester)

    response = requester_client.get(ticket_url(support_page, ticket))

    assert visitor_bodies(response) == [DESCRIPTION] + [reply_body(n) for n in range(2, 52)]
    earlier = visitor_bar(response)
    assert earlier["text"].startswith("1 earlier message is not shown.")
    assert list(earlier["links"]) == ["Show them all"]


# The setting ----------------------------------------------------------------------------------------------------


def test_window_follows_the_setting(requester_client, support_page, long_ticket):
    with override_settings(WAGTAILSUPPORT_CONVERSATION_WINDOW=5):
        response = requester_client.get(ticket_url(support_page, long_ticket))
        raised = requester_client.get(ticket_url(support_page, long_ticket, "latest=3"))
        wider = requester_client.get(ticket_url(support_page, long_ticket, "latest=7"))

    assert visitor_bodies(response) == [DESCRIPTION] + [reply_body(n) for n in range(116, 121)]
    earlier = visitor_bar(response)
    assert earlier["text"].startswith("115 earlier messages are not shown.")
    assert earlier["links"]["Show 5 more"] == ticket_url(support_page, long_ticket, "latest=10") + "#earlier-messages"
    assert visitor_bodies(raised) == visitor_bodies(response)
    assert visitor_bodies(wider) == [DESCRIPTION] + [reply_body(n) for n in range(114, 121)]
    assert visitor_bar(wider)["text"].startswith("113 earlier messages are not shown.")


def test_no_window_shows_every_message(requester_client, agent_client, support_page, long_ticket):
    with override_settings(WAGTAILSUPPORT_CONVERSATION_WINDOW=None):
        visitor = requester_client.get(ticket_url(support_page, long_ticket, "latest=3"))
        workspace = agent_client.get(workspace_url(long_ticket))
    with override_settings(WAGTAILSUPPORT_CONVERSATION_WINDOW=0):
        visitor_zero = requester_client.get(ticket_url(support_page, long_ticket))

    assert visitor_bodies(visitor) == [DESCRIPTION] + [reply_body(n) for n in range(1, 121)]
    assert visitor_bar(visitor) is None
    assert NOTE_MARK not in html(visitor)
    assert visitor_bodies(visitor_zero) == visitor_bodies(visitor)
    assert visitor_bar(visitor_zero) is None
    assert len(workspace_bodies(workspace)) == 166
    assert workspace_bar(workspace) is None


# The agent workspace --------------------------------------------------------------------------------------------


def busy_all(ns):
    """The bodies of ``busy_ticket``'s messages number ``ns`` (1..240 after the description)."""
    return [reply_body((n + 1) // 2) if n % 2 else note_body(n // 2) for n in ns]


def test_workspace_shows_the_first_and_the_50_newest(agent_client, busy_ticket):
    response = agent_client.get(workspace_url(busy_ticket))

    assert response.status_code == 200
    assert workspace_bodies(response) == [DESCRIPTION] + busy_all(range(191, 241))
    earlier = workspace_bar(response)
    assert earlier["position"] == 1
    assert earlier["text"].startswith("190 earlier messages are not shown.")
    assert earlier["links"] == {
        "Show 50 more": workspace_url(busy_ticket, "latest=100") + "#earlier-messages",
        "Show them all": workspace_url(busy_ticket, "latest=all") + "#earlier-messages",
    }

    more = follow(agent_client, earlier["links"]["Show 50 more"])
    assert workspace_bodies(more) == [DESCRIPTION] + busy_all(range(141, 241))
    assert workspace_bar(more)["text"].startswith("140 earlier messages are not shown.")
    assert workspace_bar(more)["links"]["Show 50 more"] == workspace_url(busy_ticket, "latest=150") + "#earlier-messages"

    everything = follow(agent_client, earlier["links"]["Show them all"])
    assert workspace_bodies(everything) == [DESCRIPTION] + busy_all(range(1, 241))
    assert workspace_bar(everything) is None


def test_workspace_invalid_or_too_small_latest_shows_the_default_window(agent_client, busy_ticket):
    for latest in ("garbage", "-5", "3"):
        response = agent_client.get(workspace_url(busy_ticket, f"latest={latest}"))
        assert workspace_bodies(response) == [DESCRIPTION] + busy_all(range(191, 241)), latest
        assert workspace_bar(response)["text"].startswith("190 earlier messages are not shown."), latest


def test_workspace_requesters_journal_counts_public_messages_only(agent_client, busy_ticket):
    response = agent_client.get(workspace_url(busy_ticket, "show=public"))

    assert workspace_bodies(response) == [DESCRIPTION] + [reply_body(n) for n in range(71, 121)]
    earlier = workspace_bar(response)
    assert earlier["text"].startswith("70 earlier messages are not shown.")
    assert earlier["links"] == {
        "Show 50 more": workspace_url(busy_ticket, "show=public&latest=100") + "#earlier-messages",
        "Show them all": workspace_url(busy_ticket, "show=public&latest=all") + "#earlier-messages",
    }

    more = follow(agent_client, earlier["links"]["Show 50 more"])
    assert workspace_bodies(more) == [DESCRIPTION] + [reply_body(n) for n in range(21, 121)]
    assert list(workspace_bar(more)["links"]) == ["Show them all"]
    assert NOTE_MARK not in " ".join(workspace_bodies(more))


def test_workspace_agent_journal_starts_with_the_first_note(agent_client, busy_ticket):
    response = agent_client.get(workspace_url(busy_ticket, "show=internal"))

    assert workspace_bodies(response) == [note_body(1)] + [note_body(n) for n in range(71, 121)]
    earlier = workspace_bar(response)
    assert earlier["position"] == 1
    assert earlier["text"].startswith("69 earlier messages are not shown.")
    assert earlier["links"] == {
        "Show 50 more": workspace_url(busy_ticket, "show=internal&latest=100") + "#earlier-messages",
        "Show them all": workspace_url(busy_ticket, "show=internal&latest=all") + "#earlier-messages",
    }

    # show=internal&latest=all: every note, nothing else, no bar.
    everything = follow(agent_client, earlier["links"]["Show them all"])
    assert workspace_bodies(everything) == [note_body(n) for n in range(1, 121)]
    assert {li["data-visibility"] for li in soup(everything).select("ol.wsw-timeline li.wsw-message")} == {"internal"}
    assert workspace_bar(everything) is None


def test_workspace_short_conversation_has_no_bar(agent_client, ticket, agent, requester):
    add_messages(ticket, ["public", "internal"] * 5, agent=agent, requester=requester)

    response = agent_client.get(workspace_url(ticket))

    assert len(workspace_bodies(response)) == 11
    assert workspace_bar(response) is None
    assert "earlier message" not in html(response)


def test_workspace_window_follows_the_setting(agent_client, busy_ticket):
    with override_settings(WAGTAILSUPPORT_CONVERSATION_WINDOW=5):
        response = agent_client.get(workspace_url(busy_ticket, "show=internal"))
        raised = agent_client.get(workspace_url(busy_ticket, "show=internal&latest=2"))

    assert workspace_bodies(response) == [note_body(1)] + [note_body(n) for n in range(116, 121)]
    earlier = workspace_bar(response)
    assert earlier["text"].startswith("114 earlier messages are not shown.")
    assert earlier["links"]["Show 5 more"] == workspace_url(busy_ticket, "show=internal&latest=10") + "#earlier-messages"
    assert workspace_bodies(raised) == workspace_bodies(response)


# A fixed number of queries ------------------------------------------------------------------------------------


@pytest.fixture
def sixty_and_two_hundred(requester, agent, category):
    """Two tickets of ``requester``, both longer than the window: 60 messages (55 public) and 200 (181 public)."""
    small, large = new_ticket(requester, category), new_ticket(requester, category)
    add_messages(small, interleaved(54, notes_every=10), agent=agent, requester=requester)
    add_messages(large, interleaved(180, notes_every=10, trailing_notes=1), agent=agent, requester=requester)
    assert (small.messages.count(), large.messages.count()) == (60, 200)
    assert (small.messages.public().count(), large.messages.public().count()) == (55, 181)
    return small, large


def test_visitor_page_runs_the_same_number_of_queries_for_60_and_200_messages(
    requester_client, support_page, sixty_and_two_hundred
):
    small, large = sixty_and_two_hundred
    requester_client.get(ticket_url(support_page, small))  # warm caches (site, page, content types) once

    small_count, small_response = count_queries(requester_client, ticket_url(support_page, small))
    large_count, large_response = count_queries(requester_client, ticket_url(support_page, large))

    assert small_count == large_count
    assert len(visitor_bodies(small_response)) == len(visitor_bodies(large_response)) == 51
    assert visitor_bar(small_response)["text"].startswith("4 earlier messages")
    assert visitor_bar(large_response)["text"].startswith("130 earlier messages")
    # Everything shown: still no query per message (authors, attachments).
    small_all, small_response = count_queries(requester_client, ticket_url(support_page, small, "latest=all"))
    large_all, large_response = count_queries(requester_client, ticket_url(support_page, large, "latest=all"))
    assert small_all == large_all
    assert (len(visitor_bodies(small_response)), len(visitor_bodies(large_response))) == (55, 181)
    print(f"\nvisitor page queries: 60 messages -> {small_count}, 200 messages -> {large_count}")


def test_workspace_runs_the_same_number_of_queries_for_60_and_200_messages(agent_client, sixty_and_two_hundred):
    small, large = sixty_and_two_hundred
    agent_client.get(workspace_url(small))  # warm caches once
    # What the large ticket shows: (messages, a bar); the small one has only 5 notes.
    expected = {"": (51, True), "show=public": (51, True), "show=internal&latest=all": (19, False)}

    for query, (shown, has_bar) in expected.items():
        small_count, _ = count_queries(agent_client, workspace_url(small, query))
        large_count, response = count_queries(agent_client, workspace_url(large, query))
        assert small_count == large_count, query
        assert len(workspace_bodies(response)) == shown, query
        assert (workspace_bar(response) is not None) is has_bar, query
        print(f"\nworkspace queries ({query or 'default'}): 60 messages -> {small_count}, 200 -> {large_count}")


# Nobody else gets more with ?latest=all --------------------------------------------------------------------------


def test_another_requester_gets_nothing_from_latest_all(client, support_page, long_ticket, other_requester):
    client.force_login(other_requester)

    response = client.get(ticket_url(support_page, long_ticket, "latest=all"))
    missing = client.get(route(support_page, "ticket", number=long_ticket.number + 500) + "?latest=all")

    assert response.status_code == missing.status_code == 404
    assert html(response) == html(missing)
    for secret in (DESCRIPTION, "Reply 0", NOTE_MARK, "earlier message", "Rita"):
        assert secret not in html(response)


def test_anonymous_visitor_gets_nothing_from_latest_all(client, support_page, long_ticket):
    response = client.get(ticket_url(support_page, long_ticket, "latest=all"))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={route(support_page, 'ticket', number=long_ticket.number)}"
    assert response.content == b""


def test_link_to_another_ticket_gets_nothing_from_latest_all(client, support_page, long_ticket, anon_ticket):
    token = access.make_link_token(anon_ticket)
    assert client.get(ticket_url(support_page, anon_ticket, f"t={token}")).status_code == 302

    response = client.get(ticket_url(support_page, long_ticket, "latest=all"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert response.content == b""


@pytest.mark.parametrize("who", ["anonymous", "requester", "other_requester", "outsider_agent"])
def test_others_get_nothing_from_the_workspace_with_latest_all(client, request, busy_ticket, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    for query in ("latest=all", "show=internal&latest=all"):
        response = client.get(workspace_url(busy_ticket, query))
        assert response.status_code in (302, 404)
        assert NOTE_MARK.encode() not in response.content
        assert b"Reply 0" not in response.content
        if response.status_code == 302:
            assert "/admin/login/" in response.url or response.url == reverse("wagtailadmin_home")


@pytest.mark.parametrize("window, valid", [(50, True), (None, True), (1, True), (-1, False), ("50", False), (True, False)])
def test_system_check_reports_a_window_that_is_not_a_number_of_messages(window, valid):
    from wagtail_support.checks import check_settings

    with override_settings(WAGTAILSUPPORT_CONVERSATION_WINDOW=window):
        ids = [message.id for message in check_settings(None)]
    assert ("wagtail_support.E004" not in ids) == valid
