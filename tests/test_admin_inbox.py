"""The agents' inbox, its bulk actions and the "Tickets assigned to my teams" panel of the admin home.

What an agent would notice: they see their teams' tickets and nobody else's, every filter, view,
search, sort and page does what it says and shrugs off garbage, bulk actions go through the workflow
(one log entry per ticket), skip what the agent may not touch and say why, and nothing changes on a GET,
for an outsider or without a CSRF token. The pages run a fixed number of queries.
"""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import registry as log_registry

from tests import factories
from wagtail_support import workflow
from wagtail_support.admin.inbox import PAGE_SIZE
from wagtail_support.admin.panels import PANEL_SIZE, TicketsForMyTeamsPanel
from wagtail_support.admin.scope import AgentScope
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db

INBOX = "wagtail_support_admin:inbox"
PANEL_TITLE = "Tickets assigned to my teams"


# Fixtures and helpers -------------------------------------------------------------------------------------


@pytest.fixture
def other_category(other_team):
    """"Invoices", routed to ``other_team`` (Billing)."""
    return factories.make_category("Invoices", other_team)


@pytest.fixture
def other_ticket(other_category):
    """An open ticket of the Billing team, which ``agent`` does not belong to."""
    return factories.open_ticket(
        requester_name="Bill Payer",
        requester_email="bill@example.com",
        subject="Secret billing matter",
        category=other_category,
    )


@pytest.fixture
def editor(db):
    """Eddie Editor: may use the Wagtail admin (``wagtailadmin.access_admin``) and nothing else."""
    user = factories.make_user("editor", first_name="Eddie", last_name="Editor")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


def login(user):
    client = Client()
    client.force_login(user)
    return client


def inbox(client, **params):
    response = client.get(reverse(INBOX), params)
    assert response.status_code == 200, response
    return response


def listed(response):
    """The tickets of the listing page, in order."""
    return list(response.context["object_list"])


def numbers(response):
    return [ticket.number for ticket in listed(response)]


def make_tickets(count, category, **kwargs):
    return [
        factories.open_ticket(
            requester_name=f"Person {i}", requester_email=f"person{i}@example.com", category=category,
            subject=kwargs.pop("subject", f"Ticket number {i}"), **kwargs
        )
        for i in range(count)
    ]


def bulk_url(action, *tickets, ids=None, next_url=None):
    params = [("id", t.pk) for t in tickets] + [("id", i) for i in ids or []]
    if next_url:
        params.append(("next", next_url))
    return reverse("wagtail_bulk_action", args=["wagtail_support", "ticket", action]) + "?" + urlencode(params)


def assign_then_leave_team(agent, ticket):
    """Assign ``ticket`` to ``agent`` while they belong to its team, then take them out of the team.

    The agent still works the ticket (it is assigned to them) without being in its team.
    """
    ticket.team.members.add(agent)
    workflow.assign(ticket, to=agent, by=agent)
    ticket.team.members.remove(agent)


def messages_of(response):
    # Wagtail's admin messages end with the (empty) rendering of their buttons.
    return [str(m).strip() for m in get_messages(response.wsgi_request)]


def actions_logged(ticket):
    return [entry.action for entry in log_registry.get_logs_for_instance(ticket)]


def snapshot(*tickets):
    return [
        Ticket.objects.filter(pk=t.pk).values("status", "assignee_id", "team_id", "priority", "version").get()
        for t in tickets
    ]


def is_refused(response):
    """Wagtail's admin answers a refusal with a redirect: to the login page, or home with an error."""
    return response.status_code in (302, 403) and "tickets" not in response.get("Location", "")


# The admin home panel -------------------------------------------------------------------------------------


def test_home_panel_shows_the_agent_their_teams_tickets(agent, ticket, anon_ticket, other_ticket):
    response = login(agent).get(reverse("wagtailadmin_home"))
    content = response.content.decode()
    assert PANEL_TITLE in content
    assert ticket.reference in content and ticket.subject in content
    assert anon_ticket.reference in content and "Ann Onymous" in content
    assert other_ticket.reference not in content
    assert "Secret billing matter" not in content
    assert f"{reverse(INBOX)}?view=teams" in content  # "See all in the inbox"


def test_home_panel_is_not_shown_to_a_non_agent_admin(editor, ticket):
    response = login(editor).get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert PANEL_TITLE not in content
    assert ticket.reference not in content
    assert not any(isinstance(panel, TicketsForMyTeamsPanel) for panel in response.context["panels"])


def test_home_panel_render_is_empty_for_a_non_agent(rf, editor):
    request = rf.get("/")
    request.user = editor
    assert TicketsForMyTeamsPanel(request).render_html({}) == ""


def panel_context(response):
    (panel,) = [p for p in response.context["panels"] if isinstance(p, TicketsForMyTeamsPanel)]
    return panel.get_context_data({})


def test_home_panel_counts_and_rows(agent, colleague, category, other_ticket):
    unassigned = make_tickets(3, category)
    mine = make_tickets(2, category)
    theirs = make_tickets(1, category)
    closed = make_tickets(1, category)
    for t in mine:
        workflow.assign(t, to=agent, by=agent)
    workflow.assign(theirs[0], to=colleague, by=colleague)
    workflow.abandon(closed[0], by=agent)
    # A ticket of another team assigned to the agent is theirs to work too.
    assign_then_leave_team(agent, other_ticket)

    response = login(agent).get(reverse("wagtailadmin_home"))
    context = panel_context(response)
    counts = {item["url"].split("view=")[1]: item["count"] for item in context["counts"]}
    assert counts == {"unassigned": 3, "mine": 3, "teams": 7}
    shown = [row["ticket"].pk for row in context["rows"]]
    assert closed[0].pk not in shown
    assert set(shown) == {t.pk for t in unassigned + mine + theirs} | {other_ticket.pk}
    content = response.content.decode()
    for view in ("unassigned", "mine", "teams"):
        assert f"{reverse(INBOX)}?view={view}" in content


def test_home_panel_newest_activity_first_and_limited(agent, category):
    tickets = make_tickets(PANEL_SIZE + 3, category)
    workflow.change_details(tickets[0], priority="high", by=agent)  # the oldest one moves to the top
    response = login(agent).get(reverse("wagtailadmin_home"))
    rows = panel_context(response)["rows"]
    assert len(rows) == PANEL_SIZE
    assert rows[0]["ticket"].pk == tickets[0].pk
    updated = [row["ticket"].updated_at for row in rows]
    assert updated == sorted(updated, reverse=True)


def test_home_panel_of_a_supervisor_without_team_shows_every_open_ticket(supervisor, ticket, other_ticket):
    context = panel_context(login(supervisor).get(reverse("wagtailadmin_home")))
    assert {row["ticket"].pk for row in context["rows"]} == {ticket.pk, other_ticket.pk}


def test_home_panel_of_a_supervisor_with_a_team_shows_that_team(other_team, ticket, other_ticket):
    boss = factories.make_supervisor("boss", other_team)
    context = panel_context(login(boss).get(reverse("wagtailadmin_home")))
    assert [row["ticket"].pk for row in context["rows"]] == [other_ticket.pk]


def test_home_panel_links_the_reference_to_the_workspace_when_it_exists(agent, ticket):
    from django.urls import NoReverseMatch

    try:
        url = reverse("wagtail_support_admin:ticket", args=[ticket.pk])
    except NoReverseMatch:
        pytest.skip("the ticket workspace is not installed yet")
    assert f'href="{url}"' in login(agent).get(reverse("wagtailadmin_home")).content.decode()


def test_home_runs_a_fixed_number_of_queries(agent, category):
    client = login(agent)
    make_tickets(3, category)
    client.get(reverse("wagtailadmin_home"))  # warm caches (content types, site root)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("wagtailadmin_home"))
    make_tickets(20, category)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("wagtailadmin_home"))
    assert len(few) == len(many)


# Who may open the inbox -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", [INBOX, "wagtail_support_admin:inbox_results"])
def test_anonymous_is_sent_to_the_login_page(client, ticket, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response["Location"]


@pytest.mark.parametrize("url_name", [INBOX, "wagtail_support_admin:inbox_results"])
def test_non_agent_admin_is_refused(editor, ticket, url_name):
    response = login(editor).get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert ticket.subject.encode() not in response.content


def test_non_agent_admin_ajax_gets_403(editor, ticket):
    response = login(editor).get(
        reverse("wagtail_support_admin:inbox_results"), headers={"x-requested-with": "XMLHttpRequest"}
    )
    assert response.status_code == 403
    assert ticket.subject.encode() not in response.content


def test_requester_without_admin_access_is_refused(requester, ticket):
    response = login(requester).get(reverse(INBOX))
    assert response.status_code == 302
    assert ticket.subject.encode() not in response.content


def test_agent_sees_only_their_teams_tickets(agent, ticket, anon_ticket, other_ticket):
    response = inbox(login(agent))
    assert {t.pk for t in listed(response)} == {ticket.pk, anon_ticket.pk}
    assert b"Secret billing matter" not in response.content


def test_outsider_agent_sees_only_their_own_team(outsider_agent, ticket, other_ticket):
    response = inbox(login(outsider_agent))
    assert [t.pk for t in listed(response)] == [other_ticket.pk]
    assert ticket.subject.encode() not in response.content


def test_agent_of_no_team_sees_only_what_is_assigned_to_them(team, ticket, anon_ticket):
    loner = factories.make_agent("loner", first_name="Lone", last_name="Agent")
    assign_then_leave_team(loner, ticket)
    client = login(loner)
    assert pks(inbox(client)) == {ticket.pk}
    for view in ("mine", "teams", "open"):
        assert pks(inbox(client, view=view)) == {ticket.pk}
    assert pks(inbox(client, view="unassigned")) == set()
    assert PANEL_TITLE in client.get(reverse("wagtailadmin_home")).content.decode()


def test_supervisor_sees_every_team(supervisor, ticket, other_ticket):
    assert {t.pk for t in listed(inbox(login(supervisor)))} == {ticket.pk, other_ticket.pk}


def test_inbox_page_shows_wagtail_furniture(agent, ticket):
    response = inbox(login(agent))
    content = response.content.decode()
    assert "Inbox" in content
    assert 'data-bulk-action-footer="TICKET"' in content
    assert "wagtailadmin/js/bulk-actions.js" in content
    assert f'id="ticket_{ticket.pk}_title"' in content
    for view in ("mine", "teams", "unassigned", "waiting", "all"):
        assert f"?view={view}" in content
    assert "?view=open" not in content  # "Every team" is a supervisor's view
    assert reverse("wagtail_bulk_action", args=["wagtail_support", "ticket", "assign"]) in content


def test_results_url_renders_only_the_listing(agent, ticket):
    response = login(agent).get(reverse("wagtail_support_admin:inbox_results"), {"q": ticket.subject})
    assert response.status_code == 200
    content = response.content.decode()
    assert ticket.reference in content
    assert "<html" not in content


# Filters --------------------------------------------------------------------------------------------------


@pytest.fixture
def assorted(agent, colleague, category, team):
    """Tickets of ``team`` that differ in every filtered field."""
    child = factories.make_category("Password", parent=category)
    t = {
        "bug_urgent": factories.open_ticket(
            requester_name="Zoe Zed", requester_email="zoe@example.com", subject="Crash on save",
            kind="bug", priority="urgent", category=category,
        ),
        "question_low": factories.open_ticket(
            requester_name="Yann Why", requester_email="yann@example.com", subject="How to export",
            kind="question", priority="low", category=category,
        ),
        "billing_high": factories.open_ticket(
            requester_name="Xavier Ex", requester_email="xavier@example.com", subject="Double charge",
            kind="billing", priority="high", category=child,
        ),
        "pending": factories.open_ticket(
            requester_name="Walt Double", requester_email="walt@example.com", subject="Waiting reply",
            category=category,
        ),
        "closed": factories.open_ticket(
            requester_name="Vera Vee", requester_email="vera@example.com", subject="Old problem",
            category=category,
        ),
    }
    workflow.assign(t["bug_urgent"], to=agent, by=agent)
    workflow.assign(t["question_low"], to=colleague, by=colleague)
    workflow.set_pending(t["pending"], by=agent)
    workflow.abandon(t["closed"], by=agent)
    t["child_category"] = child
    return t


def pks(response):
    return {t.pk for t in listed(response)}


def test_filter_status(agent, assorted):
    client = login(agent)
    assert pks(inbox(client, status="pending")) == {assorted["pending"].pk}
    assert pks(inbox(client, status="closed")) == {assorted["closed"].pk}
    assert assorted["closed"].pk not in pks(inbox(client, status="open"))


def test_filter_kind_and_priority(agent, assorted):
    client = login(agent)
    assert pks(inbox(client, kind="bug")) == {assorted["bug_urgent"].pk}
    assert pks(inbox(client, priority="low")) == {assorted["question_low"].pk}
    assert pks(inbox(client, priority="urgent", kind="bug")) == {assorted["bug_urgent"].pk}
    assert pks(inbox(client, priority="urgent", kind="question")) == set()


def test_filter_assignee(agent, colleague, assorted):
    client = login(agent)
    assert pks(inbox(client, assignee="me")) == {assorted["bug_urgent"].pk}
    assert pks(inbox(client, assignee=str(colleague.pk))) == {assorted["question_low"].pk}
    nobody = pks(inbox(client, assignee="nobody"))
    assert assorted["bug_urgent"].pk not in nobody and assorted["billing_high"].pk in nobody


def test_filter_team(supervisor, team, assorted, other_ticket, settings):
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = None
    client = login(supervisor)
    assert pks(inbox(client, team=str(team.pk), view="all")) == {
        t.pk for k, t in assorted.items() if k != "child_category"
    }
    assert assorted["closed"].pk not in pks(inbox(client, team=str(team.pk)))  # the default view: not closed
    assert pks(inbox(client, team=str(other_ticket.team_id))) == {other_ticket.pk}
    lost = factories.open_ticket(requester_email="lost@example.com", subject="No team at all")
    assert lost.team_id is None
    assert pks(inbox(client, team="none")) == {lost.pk}


def test_filter_category_includes_the_entries_below(agent, category, assorted):
    client = login(agent)
    assert pks(inbox(client, category=str(assorted["child_category"].pk))) == {assorted["billing_high"].pk}
    assert assorted["billing_high"].pk in pks(inbox(client, category=str(category.pk)))
    assert len(pks(inbox(client, category=str(category.pk), view="all"))) == 5
    assert len(pks(inbox(client, category=str(category.pk)))) == 4  # not closed


def test_filter_created_date_range(agent, category):
    old, new = make_tickets(2, category)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    client = login(agent)
    today = timezone.localdate()
    recent = inbox(client, created_from=(today - datetime.timedelta(days=7)).isoformat())
    assert pks(recent) == {new.pk}
    before = inbox(client, created_to=(today - datetime.timedelta(days=30)).isoformat())
    assert pks(before) == {old.pk}
    both = inbox(
        client,
        created_from=(today - datetime.timedelta(days=50)).isoformat(),
        created_to=today.isoformat(),
    )
    assert pks(both) == {old.pk, new.pk}


def test_filter_requester_email_is_case_insensitive(agent, assorted):
    client = login(agent)
    assert pks(inbox(client, requester="Zoe@Example.COM")) == {assorted["bug_urgent"].pk}
    assert pks(inbox(client, requester=" yann@example.com ")) == {assorted["question_low"].pk}
    assert pks(inbox(client, requester="nobody@example.com")) == set()


def test_requester_filter_finds_a_person_as_requester_and_as_beneficiary(agent, category):
    as_requester = factories.open_ticket(
        requester_name="Paula", requester_email="paula@example.com", category=category, subject="Her own"
    )
    for_her = factories.open_ticket(
        requester_name="Boss",
        requester_email="boss@example.com",
        beneficiary_name="Paula",
        beneficiary_email="Paula@Example.com",
        category=category,
        subject="Opened for her",
    )
    factories.open_ticket(requester_name="Other", requester_email="other@example.com", category=category)

    assert pks(inbox(login(agent), requester="paula@example.com")) == {as_requester.pk, for_her.pk}


def test_requester_filter_does_not_reach_another_team(agent, other_ticket, ticket):
    assert pks(inbox(login(agent), requester="bill@example.com")) == set()


# One-click views ------------------------------------------------------------------------------------------


def test_view_mine(agent, assorted):
    assert pks(inbox(login(agent), view="mine")) == {assorted["bug_urgent"].pk}


def test_view_unassigned_leaves_out_closed_tickets(agent, assorted):
    assert pks(inbox(login(agent), view="unassigned")) == {assorted["billing_high"].pk, assorted["pending"].pk}


def test_view_open_and_teams(agent, assorted, other_ticket):
    not_closed = {t.pk for k, t in assorted.items() if k not in ("closed", "child_category")}
    client = login(agent)
    assert pks(inbox(client, view="open")) == not_closed
    assert pks(inbox(client, view="teams")) == not_closed


def test_view_teams_of_a_supervisor_is_their_teams(other_team, assorted, other_ticket):
    boss = factories.make_supervisor("boss", other_team)
    client = login(boss)
    assert pks(inbox(client, view="teams")) == {other_ticket.pk}
    assert other_ticket.pk in pks(inbox(client, view="open")) and assorted["pending"].pk in pks(
        inbox(client, view="open")
    )


def test_view_links_show_counts_and_the_active_view(agent, assorted):
    response = inbox(login(agent), view="mine")
    links = {link["value"]: link for link in response.context["view_links"]}
    assert links["mine"]["active"] and not links["teams"]["active"]
    assert (links["mine"]["count"], links["unassigned"]["count"], links["teams"]["count"]) == (1, 2, 4)
    assert "open" not in links  # "Every team" is the same as "My teams" for an agent: not offered
    assert not response.context["all_link"]["active"] and response.context["all_link"]["count"] is None


def test_views_combine_with_filters(agent, assorted):
    assert pks(inbox(login(agent), view="unassigned", priority="high")) == {assorted["billing_high"].pk}


# Search ---------------------------------------------------------------------------------------------------


def test_search_by_reference_with_and_without_prefix(agent, assorted):
    client = login(agent)
    target = assorted["pending"]
    assert pks(inbox(client, q=target.reference)) == {target.pk}
    assert pks(inbox(client, q=str(target.number))) == {target.pk}


def test_search_with_prefix_finds_only_the_reference(agent, category):
    ticket = factories.open_ticket(requester_email="a@example.com", subject="Error 1042 on export", category=category)
    other = factories.open_ticket(requester_email="b@example.com", subject="Something", category=category)
    client = login(agent)
    assert pks(inbox(client, q=f"#{other.number}")) == {other.pk}
    # Digits alone also match the subject.
    assert ticket.pk in pks(inbox(client, q="1042"))


def test_search_subject_word_requester_name_and_email(agent, assorted):
    client = login(agent)
    assert pks(inbox(client, q="crash")) == {assorted["bug_urgent"].pk}
    assert pks(inbox(client, q="yann why")) == {assorted["question_low"].pk}
    assert pks(inbox(client, q="Xavier")) == {assorted["billing_high"].pk}
    assert pks(inbox(client, q="walt@example")) == {assorted["pending"].pk}
    assert pks(inbox(client, q="double zoe")) == set()  # every word must match
    assert pks(inbox(client, q="double walt")) == {assorted["pending"].pk}


def test_search_by_a_whole_address_finds_that_persons_tickets_exactly(agent, category):
    """A whole address matches the requester's or beneficiary's address (any case), not a longer one."""
    ann = factories.open_ticket(requester_email="ann@example.com", subject="Printer", category=category)
    joann = factories.open_ticket(requester_email="joann@example.com", subject="Scanner", category=category)
    for_ann = factories.open_ticket(
        requester_email="boss@example.com", beneficiary_email="ann@example.com", subject="Laptop", category=category
    )
    client = login(agent)
    assert pks(inbox(client, q="Ann@Example.com")) == {ann.pk, for_ann.pk}
    assert pks(inbox(client, q="joann@example.com")) == {joann.pk}
    # Part of an address is still a word of the text fields.
    assert pks(inbox(client, q="ann@example")) == {ann.pk, joann.pk}


def test_search_never_reaches_another_team(agent, ticket, other_ticket):
    client = login(agent)
    assert pks(inbox(client, q="secret")) == set()
    assert pks(inbox(client, q=other_ticket.reference)) == set()
    assert pks(inbox(client, q="bill@example.com")) == set()


def test_search_survives_odd_input(agent, ticket):
    client = login(agent)
    # A 200 every time (inbox() checks it); a hundred words still find what they match.
    assert ticket.pk in pks(inbox(client, q="a " * 100))
    for q in ["%", "_", "'; drop table", "#", "#" + "9" * 40, "x" * 5000, "\u00e9\u00e8 \u2603"]:
        # SQL wildcards are searched as text, never as "match anything".
        assert ticket.pk not in pks(inbox(client, q=q)), q
    assert ticket.pk in pks(inbox(client, q=ticket.reference))


# Sorting --------------------------------------------------------------------------------------------------


def test_sort_by_priority_puts_urgent_first(agent, assorted):
    client = login(agent)
    priorities = [t.priority for t in listed(inbox(client, ordering="priority"))]
    assert priorities[0] == "urgent" and priorities[1] == "high" and priorities[-1] == "low"
    priorities = [t.priority for t in listed(inbox(client, ordering="-priority"))]
    assert priorities[0] == "low" and priorities[-1] == "urgent"


def test_sort_by_reference_subject_status_dates_and_assignee(agent, colleague, assorted):
    client = login(agent)
    assert numbers(inbox(client, ordering="reference")) == sorted(numbers(inbox(client)))
    assert numbers(inbox(client, ordering="number")) == sorted(numbers(inbox(client)))
    assert numbers(inbox(client, ordering="-reference")) == sorted(numbers(inbox(client)), reverse=True)
    subjects = [t.subject.lower() for t in listed(inbox(client, ordering="subject"))]
    assert subjects == sorted(subjects)
    statuses = [t.status for t in listed(inbox(client, ordering="status"))]
    assert statuses == sorted(statuses, key=["open", "pending", "closed"].index)
    created = [t.created_at for t in listed(inbox(client, ordering="created_at"))]
    assert created == sorted(created)
    updated = [t.updated_at for t in listed(inbox(client, ordering="-updated_at"))]
    assert updated == sorted(updated, reverse=True)
    assignees = [t.assignee for t in listed(inbox(client, ordering="assignee"))]
    assert assignees[: len(assignees) - 2] == [None] * (len(assignees) - 2)
    assert [a.first_name for a in assignees[-2:]] == ["Alice", "Carl"]
    assignees = [t.assignee for t in listed(inbox(client, ordering="-assignee"))]
    assert [a.first_name for a in assignees[:2]] == ["Carl", "Alice"]


def test_default_order_is_newest_activity_first(agent, category):
    tickets = make_tickets(3, category)
    workflow.change_details(tickets[0], priority="high", by=agent)
    response = inbox(login(agent))
    assert numbers(response)[0] == tickets[0].number
    assert response.context["ordering"] == "-updated_at"


@pytest.mark.parametrize(
    "ordering", ["password", "requester_user__password", "-", "", "?", "assignee__password", "__str__"]
)
def test_unknown_sort_is_ignored(agent, assorted, ordering):
    response = inbox(login(agent), ordering=ordering, view="all")
    assert response.context["ordering"] == "-updated_at"
    assert len(listed(response)) == 5


# Paging ---------------------------------------------------------------------------------------------------


def test_paging_by_fifty(agent, category):
    make_tickets(120, category)
    client = login(agent)
    first = inbox(client)
    assert len(listed(first)) == PAGE_SIZE == 50
    assert first.context["paginator"].count == 120
    third = inbox(client, p=3)
    assert len(listed(third)) == 20
    seen = numbers(first) + numbers(inbox(client, p=2)) + numbers(third)
    assert len(set(seen)) == 120
    assert numbers(inbox(client, p="garbage")) == numbers(first)
    assert numbers(inbox(client, p=999)) == numbers(third)
    assert numbers(inbox(client, p=-4)) == numbers(third) or numbers(inbox(client, p=-4)) == numbers(first)


# Garbage parameters ---------------------------------------------------------------------------------------


GARBAGE = {
    "status": "deleted",
    "kind": "<script>",
    "priority": "9999",
    "team": "abc",
    "assignee": "99999999",
    "category": "-1",
    "created_from": "not a date",
    "created_to": "2024-13-45",
    "view": "everything",
    "ordering": "requester_user__password",
    "p": "NaN",
    "unknown": "1",
    "id": "1",
}


def test_garbage_parameters_are_ignored(agent, ticket, anon_ticket, other_ticket):
    response = inbox(login(agent), **GARBAGE)
    assert pks(response) == {ticket.pk, anon_ticket.pk}
    assert b"Secret billing matter" not in response.content


@pytest.mark.parametrize(
    "params",
    [
        {"q": "nul\x00byte"},
        {"requester": "a\x00@example.com"},
        {"created_from": "0001-01-01"},
        {"created_to": "9999-12-31"},
        {"created_from": "0001-01-01", "created_to": "9999-12-31"},
        {"p": "9" * 30},
        {"status": ["open", "closed", "bogus"]},
    ],
)
def test_extreme_values_never_fail(agent, ticket, other_ticket, params):
    response = inbox(login(agent), **params)
    assert other_ticket.pk not in pks(response)


def test_another_teams_id_in_the_team_filter_is_ignored(agent, ticket, other_ticket):
    response = inbox(login(agent), team=str(other_ticket.team_id))
    assert pks(response) == {ticket.pk}


def test_an_invalid_filter_leaves_the_valid_ones_applied(agent, assorted):
    response = inbox(login(agent), status="pending", priority="bogus")
    assert pks(response) == {assorted["pending"].pk}


@pytest.mark.parametrize("key", list(GARBAGE))
def test_each_garbage_parameter_alone(agent, ticket, other_ticket, key):
    assert pks(inbox(login(agent), **{key: GARBAGE[key]})) == {ticket.pk}


# Queries --------------------------------------------------------------------------------------------------


def test_a_page_of_fifty_tickets_runs_few_queries(agent, colleague, category, django_assert_max_num_queries):
    tickets = make_tickets(60, category)
    for t in tickets[::3]:
        workflow.assign(t, to=colleague, by=colleague)
    client = login(agent)
    inbox(client)
    # Measured: 16 (session, user, 2 permission lookups, user profile; Wagtail's menu: locale, page,
    # collection and site permissions, the last for Settings › Support; the user's teams, the team, assignee
    # and category filter choices; the view counts, which the menu's "Inbox (n)" reuses; the page count and
    # the page of rows).
    with django_assert_max_num_queries(16):
        response = inbox(client)
    assert len(listed(response)) == 50


def test_the_menu_count_of_unassigned_tickets_is_right_with_and_without_the_inbox(agent, colleague, category):
    """The "Inbox (n)" label reuses the inbox's counts on the inbox and counts by itself elsewhere: the
    same number both ways."""
    tickets = make_tickets(5, category)
    workflow.assign(tickets[0], to=colleague, by=colleague)
    client = login(agent)
    label = 'Inbox (4)'
    assert label in inbox(client).content.decode()
    assert label in client.get(reverse("wagtailadmin_account")).content.decode()
    workflow.assign(tickets[1], to=colleague, by=colleague)
    assert 'Inbox (3)' in inbox(client).content.decode()
    assert 'Inbox (3)' in client.get(reverse("wagtailadmin_account")).content.decode()


def count_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        inbox(client, **params)
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"view": "teams", "ordering": "priority"},
        {"q": "ticket", "status": "open", "assignee": "nobody", "ordering": "assignee"},
        {"category": "CATEGORY", "created_from": "2000-01-01", "ordering": "-status"},
    ],
)
def test_queries_do_not_grow_with_the_number_of_tickets(agent, colleague, category, params):
    params = {k: (str(category.pk) if v == "CATEGORY" else v) for k, v in params.items()}
    client = login(agent)
    few = make_tickets(5, category)
    workflow.assign(few[0], to=colleague, by=colleague)
    inbox(client, **params)  # warm caches
    with_5 = count_queries(client, **params)
    more = make_tickets(115, category)
    for t in more[::4]:
        workflow.assign(t, to=colleague if t.pk % 2 else agent, by=agent)
    with_120 = count_queries(client, **params)
    assert with_5 == with_120


# Bulk actions ---------------------------------------------------------------------------------------------


def post_bulk(client, action, *tickets, data=None, ids=None):
    return client.post(bulk_url(action, *tickets, ids=ids, next_url=reverse(INBOX)), data or {})


def test_bulk_get_shows_a_confirmation_and_changes_nothing(agent, colleague, ticket, anon_ticket):
    client = login(agent)
    before = snapshot(ticket, anon_ticket)
    for action in ("assign", "change_team", "change_priority", "abandon"):
        response = client.get(bulk_url(action, ticket, anon_ticket, next_url=reverse(INBOX)))
        assert response.status_code == 200
        content = response.content.decode()
        assert ticket.reference in content and anon_ticket.reference in content
        assert 'method="POST"' in content and "csrfmiddlewaretoken" in content
    assert snapshot(ticket, anon_ticket) == before
    assert "wagtail_support.ticket.assign" not in actions_logged(ticket)


def test_bulk_assign_to_a_colleague(agent, colleague, ticket, anon_ticket):
    response = post_bulk(login(agent), "assign", ticket, anon_ticket, data={"assignee": str(colleague.pk)})
    assert response.status_code == 302 and response["Location"] == reverse(INBOX)
    for t in (ticket, anon_ticket):
        t.refresh_from_db()
        assert t.assignee == colleague
        assert actions_logged(t).count("wagtail_support.ticket.assign") == 1
    assert messages_of(response) == ["2 tickets assigned to Carl Colleague"]


def test_bulk_assign_to_me_and_unassign(agent, ticket):
    client = login(agent)
    post_bulk(client, "assign", ticket, data={"assignee": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    response = post_bulk(client, "assign", ticket, data={"assignee": "nobody"})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert actions_logged(ticket).count("wagtail_support.ticket.assign") == 2
    assert messages_of(response)[-1] == "1 ticket unassigned"


def test_bulk_assign_reports_unchanged_tickets(agent, ticket, anon_ticket):
    workflow.assign(ticket, to=agent, by=agent)
    response = post_bulk(login(agent), "assign", ticket, anon_ticket, data={"assignee": "me"})
    assert messages_of(response) == ["1 ticket assigned to Alice Agent; 1 ticket unchanged"]


def test_bulk_assign_to_someone_outside_the_list_is_a_form_error(agent, outsider_agent, ticket):
    response = post_bulk(login(agent), "assign", ticket, data={"assignee": str(outsider_agent.pk)})
    assert response.status_code == 200  # the form again, with its error
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_bulk_change_team(agent, other_team, ticket, anon_ticket):
    workflow.assign(ticket, to=agent, by=agent)
    response = post_bulk(login(agent), "change_team", ticket, anon_ticket, data={"team": str(other_team.pk)})
    for t in (ticket, anon_ticket):
        t.refresh_from_db()
        assert t.team == other_team
        assert "wagtail_support.ticket.team" in actions_logged(t)
    assert ticket.assignee is None  # Alice is not in Billing
    assert messages_of(response) == ["2 tickets moved to team Billing"]


def test_bulk_change_priority(agent, ticket, anon_ticket):
    response = post_bulk(login(agent), "change_priority", ticket, anon_ticket, data={"priority": "urgent"})
    for t in (ticket, anon_ticket):
        t.refresh_from_db()
        assert t.priority == "urgent"
        logs = list(log_registry.get_logs_for_instance(t).filter(action="wagtail_support.ticket.update"))
        assert len(logs) == 1 and logs[0].data["changes"]["priority"] == {"old": "normal", "new": "urgent"}
        assert logs[0].user_id == agent.pk
    assert messages_of(response) == ["2 tickets set to priority Urgent"]


def test_bulk_change_priority_refuses_an_unknown_priority(agent, ticket):
    response = post_bulk(login(agent), "change_priority", ticket, data={"priority": "apocalyptic"})
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_bulk_abandon_asks_for_confirmation_then_closes(agent, ticket, anon_ticket):
    client = login(agent)
    confirm = client.get(bulk_url("abandon", ticket, anon_ticket))
    content = confirm.content.decode()
    assert "Yes, abandon" in content and "no follow-up" in content
    assert Ticket.objects.filter(status="closed").count() == 0
    response = post_bulk(client, "abandon", ticket, anon_ticket)
    for t in (ticket, anon_ticket):
        t.refresh_from_db()
        assert t.status == "closed" and t.close_reason == Ticket.CloseReason.ABANDONED
        assert "wagtail_support.ticket.abandon" in actions_logged(t)
    assert messages_of(response) == ["2 tickets abandoned (closed with no follow-up)"]


def test_bulk_workflow_error_is_reported_and_the_others_go_on(agent, ticket, anon_ticket):
    workflow.abandon(ticket, by=agent)
    response = post_bulk(login(agent), "abandon", ticket, anon_ticket)
    anon_ticket.refresh_from_db()
    assert anon_ticket.status == "closed"
    (message,) = messages_of(response)
    assert message.startswith("1 ticket abandoned (closed with no follow-up); 1 skipped: ")
    assert f"{ticket.reference}: This ticket is already closed; it cannot be abandoned." in message


def test_bulk_assign_refused_by_the_workflow_is_reported(agent, colleague, ticket, other_ticket):
    # Alice works the Billing ticket because it is assigned to her; Carl is not in Billing.
    assign_then_leave_team(agent, other_ticket)
    response = post_bulk(login(agent), "assign", ticket, other_ticket, data={"assignee": str(colleague.pk)})
    ticket.refresh_from_db()
    other_ticket.refresh_from_db()
    assert ticket.assignee == colleague and other_ticket.assignee == agent
    (message,) = messages_of(response)
    assert "1 ticket assigned to Carl Colleague; 1 skipped:" in message
    assert f"{other_ticket.reference}: Carl Colleague is not an agent of team Billing." in message


def test_bulk_ignores_forged_ids_of_another_team(agent, ticket, other_ticket):
    before = snapshot(other_ticket)
    client = login(agent)
    confirm = client.get(bulk_url("abandon", ticket, other_ticket))
    assert other_ticket.reference not in confirm.content.decode()
    assert b"Secret billing matter" not in confirm.content
    response = post_bulk(client, "abandon", ticket, other_ticket, ids=["999999", "abc", "all"])
    assert snapshot(other_ticket) == before
    assert actions_logged(other_ticket) == ["wagtail_support.ticket.open"]
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    (message,) = messages_of(response)
    assert "4 skipped" in message and other_ticket.reference not in message


@pytest.mark.parametrize("action,data", [
    ("assign", {"assignee": "me"}),
    ("change_team", {"team": "TEAM"}),
    ("change_priority", {"priority": "urgent"}),
    ("abandon", {}),
])
def test_outsider_agent_with_guessed_ids_changes_nothing(outsider_agent, team, ticket, anon_ticket, action, data):
    data = {k: (str(team.pk) if v == "TEAM" else v) for k, v in data.items()}
    before = snapshot(ticket, anon_ticket)
    client = login(outsider_agent)
    confirm = client.get(bulk_url(action, ticket, anon_ticket))
    assert ticket.subject.encode() not in confirm.content
    response = post_bulk(client, action, ticket, anon_ticket, data=data)
    assert snapshot(ticket, anon_ticket) == before
    assert actions_logged(ticket) == ["wagtail_support.ticket.open"]
    if response.status_code == 302:
        assert "2 skipped" in messages_of(response)[0]


@pytest.mark.parametrize("action", ["assign", "change_team", "change_priority", "abandon"])
def test_non_agent_admin_and_anonymous_are_refused_bulk_actions(editor, ticket, team, action):
    data = {"assignee": "me", "team": str(team.pk), "priority": "urgent"}
    before = snapshot(ticket)
    for client in (login(editor), Client()):
        assert is_refused(client.get(bulk_url(action, ticket)))
        response = client.post(bulk_url(action, ticket), data)
        assert is_refused(response)
        assert ticket.subject.encode() not in response.content
    assert snapshot(ticket) == before


def test_bulk_post_without_csrf_token_is_refused(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(bulk_url("abandon", ticket), {})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_bulk_with_no_workable_ticket_offers_to_go_back(agent, other_ticket):
    response = login(agent).get(bulk_url("abandon", other_ticket))
    content = response.content.decode()
    assert "None of the selected tickets can be changed by you." in content
    assert "Yes, abandon" not in content


def test_bulk_next_url_must_be_local(agent, ticket):
    response = login(agent).post(
        reverse("wagtail_bulk_action", args=["wagtail_support", "ticket", "change_priority"])
        + "?" + urlencode([("id", ticket.pk), ("next", "https://evil.example.com/")]),
        {"priority": "high"},
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_agents_offered_for_assignment(agent, colleague, outsider_agent, supervisor, editor):
    assert set(AgentScope(agent).agents()) == {agent, colleague}
    assert {agent, colleague, outsider_agent, supervisor} <= set(AgentScope(supervisor).agents())
    assert editor not in set(AgentScope(supervisor).agents())


def test_a_long_listing_counts_only_up_to_the_limit(agent, category, monkeypatch):
    """Past ``COUNT_LIMIT`` tickets the inbox says "More than N" instead of counting the whole history,
    pages up to the limit, and still says the exact count below it."""
    from wagtail_support.admin import inbox as admin_inbox

    for n in range(6):
        factories.open_ticket(requester_email=f"p{n}@example.com", subject=f"Printer jam {n}", category=category)
    monkeypatch.setattr(admin_inbox, "COUNT_LIMIT", 4)
    monkeypatch.setattr(admin_inbox.InboxView, "paginate_by", 2)
    client = login(agent)

    page = inbox(client).content.decode()
    assert "More than 4 tickets" in page
    assert inbox(client, q="Printer").content.decode().count("There are more than 4 matches") == 1
    # The last page reachable is the limit's; the tickets on it are real ones, never an error.
    last = inbox(client, p=2)
    assert last.context["page_obj"].number == 2
    assert len(last.context["page_obj"].object_list) == 2

    monkeypatch.setattr(admin_inbox, "COUNT_LIMIT", 10)
    page = inbox(client).content.decode()
    assert "More than" not in page
    assert "6 tickets" in page
    assert "There are 6 matches" in inbox(client, q="Printer").content.decode()



def test_the_counts_of_views_home_and_menu_stop_at_the_limit(agent, colleague, category, monkeypatch):
    """Past ``COUNT_LIMIT`` open tickets the views' counts, the admin home and the menu say "N+" instead of
    counting a large desk's whole backlog; at or under it they say the exact number."""
    from wagtail_support.admin import scope as admin_scope

    tickets = make_tickets(5, category)
    workflow.assign(tickets[0], to=agent, by=agent)
    client = login(agent)
    monkeypatch.setattr(admin_scope, "COUNT_LIMIT", 3)

    page = inbox(client).content.decode()
    counts = dict(re.findall(r'data-ws-view="(\w+)">\s*[^<]*<span class="ws-inbox-views__count">([^<]*)</span>', page))
    assert counts["teams"] == "3+" and counts["unassigned"] == "3+" and counts["waiting"] == "3+"
    assert counts["mine"] == "1"
    assert "Support (3+)" in sidebar_labels(client.get(reverse("wagtailadmin_account")))
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    numbers_shown = re.findall(r'data-ws-count="\d">\s*<span class="ws-home-panel__number">([^<]*)</span>', home)
    assert numbers_shown == ["3+", "1", "3+"]  # unassigned, assigned to me, my teams
    assert "See all in the inbox (3+ tickets)" in home

    monkeypatch.setattr(admin_scope, "COUNT_LIMIT", 5)
    page = inbox(client).content.decode()
    counts = dict(re.findall(r'data-ws-view="(\w+)">\s*[^<]*<span class="ws-inbox-views__count">([^<]*)</span>', page))
    assert counts["teams"] == "5" and counts["unassigned"] == "4"
    assert "Support (4)" in sidebar_labels(client.get(reverse("wagtailadmin_account")))
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert re.findall(r'data-ws-count="\d">\s*<span class="ws-home-panel__number">([^<]*)</span>', home) == [
        "4", "1", "5"]
    assert "See all in the inbox (5 tickets)" in home and "+" not in "".join(counts.values())


def test_a_bounded_count_reads_no_more_rows_than_the_limit(agent, category):
    """The count query itself stops at the limit: ``bounded_counts`` over a LIMIT, in one statement."""
    from wagtail_support.admin.scope import BoundedCount, bounded_counts

    make_tickets(4, category)
    with CaptureQueriesContext(connection) as queries:
        found = bounded_counts({"all": Ticket.objects.all(), "none": Ticket.objects.none().filter(pk=-1),
                                "open": Ticket.objects.not_closed()}, limit=2)
    assert len(queries) == 1 and "LIMIT 3" in queries[0]["sql"].upper()
    assert found == {"all": 2, "none": 0, "open": 2}
    assert all(isinstance(number, BoundedCount) for number in found.values())
    assert found["all"].capped and not found["none"].capped
    assert found["all"].label() == "2+" and found["none"].label() == "0"
    exact = bounded_counts({"all": Ticket.objects.all()}, limit=4)["all"]
    assert exact == 4 and not exact.capped and str(exact) == "4"

# Built for triage: the default view, "Waiting for us", counts that match, the menu's count, one-line rows ---


def test_the_inbox_opens_on_my_teams_not_closed_newest_activity_first(agent, assorted, other_ticket):
    response = inbox(login(agent))
    not_closed = {t.pk for k, t in assorted.items() if k not in ("closed", "child_category")}
    assert pks(response) == not_closed
    assert response.context["view"].current_view == "teams"
    assert response.context["ordering"] == "-updated_at"
    updated = [t.updated_at for t in listed(response)]
    assert updated == sorted(updated, reverse=True)
    # The default view is no "active filter": no pill, no "There are n matches".
    assert not response.context["is_filtering"]
    content = response.content.decode()
    assert 'data-ws-view="teams"' in content and 'aria-current="page"' in content
    assert "There are" not in content


def test_all_tickets_is_a_view_of_its_own_with_the_closed_ones(agent, assorted):
    client = login(agent)
    response = inbox(client, view="all")
    assert assorted["closed"].pk in pks(response)
    assert response.context["all_link"]["active"]
    # An empty or unknown view is the default one.
    assert assorted["closed"].pk not in pks(inbox(client, view=""))
    assert assorted["closed"].pk not in pks(inbox(client, view="everything"))


def test_a_status_or_a_search_looks_at_every_status_within_the_view(agent, assorted):
    client = login(agent)
    closed = assorted["closed"]
    assert pks(inbox(client, status="closed")) == {closed.pk}
    assert pks(inbox(client, view="teams", status="closed")) == {closed.pk}
    assert pks(inbox(client, q=closed.reference)) == {closed.pk}
    assert pks(inbox(client, q="old problem")) == {closed.pk}
    # "Assigned to me" + "Closed": my closed tickets (none).
    assert pks(inbox(client, view="mine", status="closed")) == set()
    # The workspace's "Other tickets" of a requester: their history too.
    assert pks(inbox(client, requester="vera@example.com")) == {closed.pk}


def test_the_default_view_of_an_agent_of_no_team_is_what_they_may_see(team, ticket, anon_ticket):
    loner = factories.make_agent("loner", first_name="Lone", last_name="Agent")
    assign_then_leave_team(loner, ticket)
    assert pks(inbox(login(loner))) == {ticket.pk}


def test_a_supervisor_opens_on_their_teams_and_may_see_every_team(other_team, assorted, other_ticket, supervisor):
    boss = factories.make_supervisor("boss", other_team)
    client = login(boss)
    assert pks(inbox(client)) == {other_ticket.pk}
    response = inbox(client, view="open")
    assert other_ticket.pk in pks(response) and assorted["pending"].pk in pks(response)
    assert assorted["closed"].pk not in pks(response)
    assert {link["value"] for link in response.context["view_links"]} >= {"teams", "open"}
    # A supervisor of no team: every team's tickets that are not closed.
    assert pks(inbox(login(supervisor))) == {other_ticket.pk} | {
        t.pk for k, t in assorted.items() if k not in ("closed", "child_category")
    }


@pytest.mark.parametrize("who", ["agent", "boss", "supervisor"])
def test_each_view_count_is_the_number_of_tickets_its_listing_shows(
    who, agent, colleague, other_team, category, assorted, other_ticket, supervisor
):
    users = {"agent": agent, "boss": factories.make_supervisor("boss", other_team), "supervisor": supervisor}
    workflow.reply(assorted["billing_high"], by=agent, body="Answered: no longer waits for us.")
    workflow.reply(assorted["pending"], by=colleague, body="Asked something.", set_pending=True)
    client = login(users[who])
    links = inbox(client).context["view_links"]
    assert {link["value"] for link in links} >= {"teams", "mine", "unassigned", "waiting"}
    for link in links:
        response = client.get(link["url"])
        assert response.context["paginator"].count == link["count"], link["value"]
        assert all(t.status != "closed" for t in listed(response))


def test_the_view_names_say_what_they_count(agent, assorted):
    content = inbox(login(agent)).content.decode()
    assert "Open and pending:" in content
    assert "All open" not in content
    assert "All tickets, closed included" in content


# Waiting for us


def waiting_since(ticket):
    return Ticket.objects.values_list("awaiting_agent_since", flat=True).get(pk=ticket.pk)


def test_a_new_ticket_waits_for_us_and_a_public_reply_answers_it(agent, requester, category):
    ticket = factories.open_ticket(requester, category=category)
    opened = waiting_since(ticket)
    assert opened is not None and abs((opened - ticket.created_at).total_seconds()) < 1
    workflow.reply(ticket, by=agent, body="Internal: checking.", internal=True)
    assert waiting_since(ticket) == opened  # a note answers nobody
    workflow.reply(ticket, by=agent, body="Could you send a screenshot?", set_pending=True)
    assert waiting_since(ticket) is None
    workflow.reply(ticket, by=requester, body="Here it is.")
    answered = waiting_since(ticket)
    assert answered is not None and answered > opened
    workflow.reply(ticket, by=requester, body="And another one.")
    assert waiting_since(ticket) == answered  # waiting since the first unanswered message
    workflow.reply(ticket, by=agent, body="Thanks, fixed.")
    assert waiting_since(ticket) is None


def test_the_waiting_marker_view_and_sort(agent, requester, category):
    client = login(agent)
    answered, old_wait, new_wait = (
        factories.open_ticket(requester, subject=s, category=category) for s in ("Answered", "Old wait", "New wait")
    )
    workflow.reply(answered, by=agent, body="Done.")
    now = timezone.now()
    Ticket.objects.filter(pk=old_wait.pk).update(awaiting_agent_since=now - datetime.timedelta(hours=3, minutes=2))
    Ticket.objects.filter(pk=new_wait.pk).update(awaiting_agent_since=now - datetime.timedelta(minutes=20))
    workflow.change_details(old_wait, priority="high", by=agent)  # newest activity, yet waiting longest

    response = inbox(client)
    content = response.content.decode()
    assert content.count('class="w-status ws-waiting"') == 2
    assert '<span class="w-sr-only">Waiting </span>' in content  # "Waiting 3 h" read aloud
    assert ">3 h</time>" in content and ">20 min</time>" in content
    assert pks(inbox(client, view="waiting")) == {old_wait.pk, new_wait.pk}
    assert [t.pk for t in listed(inbox(client, ordering="waiting"))] == [old_wait.pk, new_wait.pk, answered.pk]
    assert [t.pk for t in listed(inbox(client, ordering="-waiting"))] == [new_wait.pk, old_wait.pk, answered.pk]
    # A closed ticket waits for nobody, whatever its field says.
    workflow.abandon(old_wait, by=agent)
    assert pks(inbox(client, view="waiting")) == {new_wait.pk}
    closed_row = inbox(client, view="all", ordering="reference").content.decode()
    assert closed_row.count('class="w-status ws-waiting"') == 1


def test_the_migration_fills_in_who_waits_from_the_stored_conversations(agent, requester, category):
    import importlib

    from django.apps import apps

    fill = importlib.import_module("wagtail_support.migrations.0015_ticket_awaiting_agent_since")
    new = factories.open_ticket(requester, category=category)
    answered = factories.open_ticket(requester, category=category)
    workflow.reply(answered, by=agent, body="Done.")
    again = factories.open_ticket(requester, category=category)
    workflow.reply(again, by=agent, body="Question?")
    workflow.reply(again, by=agent, body="Internal.", internal=True)
    workflow.reply(again, by=requester, body="Answer.")
    expected = {t.pk: waiting_since(t) for t in (new, answered, again)}
    Ticket.objects.update(awaiting_agent_since=None)

    class SchemaEditor:
        connection = connection

    fill.fill_awaiting_agent_since(apps, SchemaEditor())
    filled = {t.pk: waiting_since(t) for t in (new, answered, again)}
    assert filled[answered.pk] is None and expected[answered.pk] is None
    # The workflow takes the time as it opens the ticket, the migration its first message's: the same second.
    for ticket in (new, again):
        assert abs((filled[ticket.pk] - expected[ticket.pk]).total_seconds()) < 1


# The Support menu's count


def sidebar_labels(response):
    """The labels of the Wagtail sidebar's menu, from the props it is rendered from."""
    import json
    import re as regex

    props = regex.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', response.content.decode(), regex.S)
    return regex.findall(r'"label": "([^"]*)"', json.dumps(json.loads(props.group(1))))


def test_the_top_level_support_item_shows_the_unassigned_count(agent, colleague, category, editor):
    tickets = make_tickets(3, category)
    workflow.assign(tickets[0], to=colleague, by=colleague)
    client = login(agent)
    for response in (inbox(client), client.get(reverse("wagtailadmin_account"))):
        labels = sidebar_labels(response)
        assert "Support (2)" in labels and "Inbox (2)" in labels
    for ticket in tickets[1:]:
        workflow.assign(ticket, to=colleague, by=colleague)
    labels = sidebar_labels(client.get(reverse("wagtailadmin_account")))
    assert "Support" in labels and "Inbox" in labels  # no "(0)"


def test_the_menu_counts_with_one_query_and_none_on_the_inbox(agent, category):
    make_tickets(3, category)
    client = login(agent)
    account = reverse("wagtailadmin_account")
    client.get(account)  # warm caches

    def unassigned_counts(url):
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return sum(1 for q in queries if "COUNT(" in q["sql"].upper() and "wagtail_support_ticket" in q["sql"])

    assert unassigned_counts(account) == 1  # one for "Support (3)" and "Inbox (3)"
    # The inbox counts its views in one query and the menu reuses it: the page still runs one COUNT of them,
    # and the paginator's.
    assert unassigned_counts(reverse(INBOX)) == 2


# One line per ticket


def test_rows_hold_their_whole_texts_in_titles(agent, category):
    subject = "A very long subject " * 10
    factories.open_ticket(
        requester_name="Rosa Long-Name", requester_email="rosa@example.com", subject=subject.strip(), category=category
    )
    content = inbox(login(agent)).content.decode()
    assert f'<td class="ws-col-subject" title="{subject.strip()}">' in content
    assert 'title="Rosa Long-Name &lt;rosa@example.com&gt;"' in content
    assert "ws-inbox-email" not in content  # the address no longer takes a second line
