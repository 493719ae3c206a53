"""Saved replies as macros: a reply also sets the status after sending, priority, type, team and assignee.

The configuration (Support › Canned responses, "When sent") refuses what could never be applied; the
workspace carries each offered reply's actions (read from its original, for a translation) in one query
for the composer's script, which fills the one form; the post it makes is the workspace's ordinary submit:
one workflow move, checked by the server like any other, all or nothing.
"""

import json
import re

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.log_actions import registry
from wagtail.models import Locale
from wagtail.users.models import UserProfile

from tests import factories
from wagtail_support.admin.viewsets import url_for
from wagtail_support.models import CannedResponse, Message, ResolutionCode, Ticket

pytestmark = pytest.mark.django_db

PREFIX = "wagtail_support.ticket."


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def workspace_url(ticket):
    return reverse("wagtail_support_admin:ticket", args=[ticket.pk])


def submit_url(ticket):
    return reverse("wagtail_support_admin:ticket_action", args=[ticket.pk, "submit"])


def page_state(client, ticket):
    """The one form's hidden fields, and the macros' data, as the page shows them."""
    page = soup(client.get(workspace_url(ticket)))
    form = page.find("form", id="wsw-ticket-form")
    fields = {name: form.find("input", attrs={"name": name})["value"] for name in ("version", "seen")}
    data = page.find("script", id="wsw-canned-actions")
    return fields, (json.loads(data.string) if data else None), page


def actions_since(ticket, count):
    entries = list(registry.get_logs_for_instance(ticket).order_by("timestamp", "pk"))
    return [entry.action.removeprefix(PREFIX) for entry in entries[count:]]


def log_count(ticket):
    return registry.get_logs_for_instance(ticket).count()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def billing_agent(other_team):
    """Bea Billing: an agent of the Billing team only."""
    return factories.make_agent("bea", other_team, first_name="Bea", last_name="Billing")


@pytest.fixture
def macro(team, other_team, billing_agent):
    """"Send to billing": moves the ticket to Billing, to Bea, at high priority, and waits for the requester."""
    return CannedResponse.objects.create(
        title="Send to billing",
        body="Hello {requester_name}, our billing team takes {reference} over.",
        set_status="pending",
        set_priority="high",
        set_kind="billing",
        set_team=other_team,
        set_assignee=billing_agent,
    )


# The configuration ----------------------------------------------------------------------------------------


def create(client, **fields):
    data = {"title": "A macro", "body": "Some text.", "sort_order": 0, "is_active": "on", **fields}
    return client.post(url_for(CannedResponse, "create"), data)


def errors(response):
    return [item.get_text(" ", strip=True) for item in soup(response).select(".error-message, .help-critical, .w-field__errors")]


def test_the_form_has_a_when_sent_section(client, supervisor):
    client.force_login(supervisor)

    page = client.get(url_for(CannedResponse, "create")).content.decode()

    assert "When sent" in page
    for name in ("set_status", "set_resolution_code", "set_priority", "set_kind", "set_team", "set_assignee", "assign_to_me"):
        assert f'name="{name}"' in page, name


def test_supervisor_saves_a_macro(client, supervisor, other_team, billing_agent):
    client.force_login(supervisor)

    response = create(
        client, set_status="pending", set_priority="urgent", set_kind="bug", set_team=other_team.pk, set_assignee=billing_agent.pk
    )

    assert response.status_code == 302
    saved = CannedResponse.objects.get(title="A macro")
    assert (saved.set_status, saved.set_priority, saved.set_kind, saved.set_team, saved.set_assignee) == (
        "pending", "urgent", "bug", other_team, billing_agent,
    )  # fmt: skip


def test_resolved_needs_a_resolution_code_of_the_resolve_form(client, supervisor, resolution_code):
    client.force_login(supervisor)

    refused = create(client, set_status="resolved")
    builtin = create(client, set_status="resolved", set_resolution_code=ResolutionCode.no_follow_up().pk)
    inactive = factories.make_code("old", "Old", is_active=False)
    retired = create(client, set_status="resolved", set_resolution_code=inactive.pk)

    for response in (refused, builtin, retired):
        assert response.status_code == 200
    assert "Choose the resolution code of the tickets this reply resolves." in refused.content.decode()
    assert not CannedResponse.objects.exists()

    assert create(client, set_status="resolved", set_resolution_code=resolution_code.pk).status_code == 302
    assert CannedResponse.objects.get().set_resolution_code == resolution_code


def test_a_code_without_the_resolved_status_is_dropped(client, supervisor, resolution_code):
    client.force_login(supervisor)

    assert create(client, set_status="pending", set_resolution_code=resolution_code.pk).status_code == 302

    assert CannedResponse.objects.get().set_resolution_code is None


def test_assignee_is_an_agent_who_may_work_the_team(client, supervisor, team, other_team, requester, billing_agent):
    client.force_login(supervisor)

    not_an_agent = create(client, set_assignee=requester.pk)
    wrong_team = create(client, team=team.pk, set_assignee=billing_agent.pk)
    moved_elsewhere = create(client, set_team=team.pk, set_assignee=billing_agent.pk)

    assert not_an_agent.status_code == wrong_team.status_code == moved_elsewhere.status_code == 200
    assert "Bea Billing is not an agent of team Helpdesk." in wrong_team.content.decode()
    assert "Bea Billing is not an agent of team Helpdesk." in moved_elsewhere.content.decode()
    assert not CannedResponse.objects.exists()
    # Moved to her team, she may be assigned.
    assert create(client, team=team.pk, set_team=other_team.pk, set_assignee=billing_agent.pk).status_code == 302


def test_only_active_teams_are_offered(client, supervisor, other_team):
    client.force_login(supervisor)
    retired = factories.make_team("Retired", "retired", is_active=False)

    response = create(client, set_team=retired.pk)

    assert response.status_code == 200 and not CannedResponse.objects.exists()
    options = [option.get_text(strip=True) for option in soup(client.get(url_for(CannedResponse, "create"))).select("select[name=set_team] option")]
    assert "Billing" in options and "Retired" not in options


def test_assign_to_me_takes_precedence(client, supervisor, billing_agent):
    client.force_login(supervisor)

    assert create(client, assign_to_me="on", set_assignee=billing_agent.pk).status_code == 302

    saved = CannedResponse.objects.get()
    assert saved.assign_to_me and saved.set_assignee is None


@pytest.fixture
def french(settings):
    settings.WAGTAIL_I18N_ENABLED = True
    return Locale.objects.get_or_create(language_code="fr")[0]


def test_a_translation_keeps_the_originals_actions(client, supervisor, macro, french, team):
    client.force_login(supervisor)
    copy = macro.copy_for_translation(french)
    copy.title, copy.body = "Vers la facturation", "Bonjour {requester_name}."
    copy.save()

    # The translation's form holds its texts only.
    form = soup(client.get(url_for(CannedResponse, "edit", copy.pk)))
    assert form.find(attrs={"name": "set_status"}) is None and form.find(attrs={"name": "body"}) is not None

    # Editing the original's actions changes its translations' too.
    edit = [
        form
        for form in soup(client.get(url_for(CannedResponse, "edit", macro.pk))).find_all("form")
        if (form.get("method") or "").lower() == "post" and form.find(attrs={"name": "csrfmiddlewaretoken"})
    ][0]
    data = {}
    for element in edit.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or element.get("type") in ("submit", "button"):
            continue
        if element.name == "select":
            chosen = element.find("option", selected=True)
            data[name] = chosen["value"] if chosen else ""
        elif element.name == "textarea":
            data[name] = element.string or ""
        elif element.get("type") == "checkbox":
            if element.has_attr("checked"):
                data[name] = "on"
        else:
            data[name] = element.get("value", "")
    data.update(set_priority="urgent", set_status="open")
    assert client.post(url_for(CannedResponse, "edit", macro.pk), data).status_code == 302

    copy.refresh_from_db()
    assert (copy.set_priority, copy.set_status, copy.title) == ("urgent", "open", "Vers la facturation")


# The workspace: each offered reply's actions ----------------------------------------------------------------


def test_the_workspace_carries_the_actions_and_the_preview(agent_client, agent, ticket, macro, other_team, billing_agent):
    plain = CannedResponse.objects.create(title="Plain", body="Just text.")

    _fields, actions, page = page_state(agent_client, ticket)

    assert str(plain.pk) not in actions
    assert actions[str(macro.pk)] == {
        "priority": "high",
        "kind": "billing",
        "team": other_team.pk,
        "assignee": billing_agent.pk,
        "assignee_label": "Bea Billing",
        "then": "pending",
        "preview": "This saved reply will also: set priority to High, set type to Billing, move to Billing, "
        "assign to Bea Billing, submit as Pending.",
    }
    # The preview's place, empty until a reply is inserted, and read out when it is filled.
    preview = page.find(attrs={"data-wsw-canned-preview": True})
    assert preview.get("role") == "status" and preview.get_text(strip=True) == ""


def test_assign_to_me_names_the_agent_who_sends_it(agent_client, agent, ticket):
    mine = CannedResponse.objects.create(title="Mine", body="I take it.", assign_to_me=True, set_status="open")

    actions = page_state(agent_client, ticket)[1][str(mine.pk)]

    assert (actions["assignee"], actions["then"]) == (agent.pk, "open")
    assert actions["preview"] == "This saved reply will also: assign to you, submit as Open."


def test_a_resolving_reply_names_its_code(agent_client, ticket, resolution_code):
    solved = CannedResponse.objects.create(title="Solved", body="Fixed.", set_status="resolved", set_resolution_code=resolution_code)

    actions = page_state(agent_client, ticket)[1][str(solved.pk)]

    assert (actions["then"], actions["code"]) == ("resolve", resolution_code.pk)
    assert "resolve the ticket as “Fixed”, with this reply as the solution" in actions["preview"]


def test_a_translation_offered_carries_its_originals_actions(agent_client, requester, category, macro, french, other_team):
    copy = macro.copy_for_translation(french)
    copy.title = "Vers la facturation"
    copy.save()
    # Even when the translation's own columns went stale: the original's are the reply's.
    CannedResponse.objects.filter(pk=copy.pk).update(set_priority="low", set_team=None, set_status="")
    ticket = factories.open_ticket(requester, category=category, language="fr")

    _fields, actions, page = page_state(agent_client, ticket)

    offered = [option["value"] for option in page.select("#wsw-canned-select option")]
    assert offered == [str(copy.pk)]
    assert (actions[str(copy.pk)]["priority"], actions[str(copy.pk)]["team"], actions[str(copy.pk)]["then"]) == (
        "high", other_team.pk, "pending",
    )  # fmt: skip


def test_the_actions_cost_one_query_whatever_the_number_of_replies(agent_client, ticket, team, other_team, billing_agent, french):
    def make(count):
        for index in range(count):
            original = CannedResponse.objects.create(
                title=f"Macro {index}", body="Text", set_team=other_team, set_assignee=billing_agent, set_priority="high"
            )
            original.copy_for_translation(french).save()

    make(2)
    with CaptureQueriesContext(connection) as few:
        agent_client.get(workspace_url(ticket))
    make(8)
    with CaptureQueriesContext(connection) as many:
        response = agent_client.get(workspace_url(ticket))

    assert len(soup(response).select("#wsw-canned-select option")) == 10
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_closed_ticket_offers_no_pending(agent_client, agent, ticket, macro, resolution_code):
    from wagtail_support import workflow  # noqa: PLC0415 - only to close the ticket first

    workflow.resolve(ticket, by=agent, code=resolution_code, solution="Done.")

    actions = page_state(agent_client, ticket)[1][str(macro.pk)]

    assert "then" not in actions and "submit as Pending" not in actions["preview"]


# Sending: one move ----------------------------------------------------------------------------------------


def test_the_macro_as_the_script_fills_it_is_one_move(
    client, supervisor, ticket, macro, other_team, billing_agent, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    fields, actions, _page = page_state(client, ticket)
    reply = macro.render_for(ticket, supervisor)
    chosen = actions[str(macro.pk)]
    before_log, before_version = log_count(ticket), ticket.version
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            submit_url(ticket),
            {
                **fields,
                "body": reply,
                "mode": "public",
                "priority": chosen["priority"],
                "kind": chosen["kind"],
                "team": chosen["team"],
                "assignee": chosen["assignee"],
                "then": chosen["then"],
            },
        )

    ticket.refresh_from_db()
    message = ticket.messages.last()
    assert response.status_code == 302 and response.url.endswith(f"#message-{message.pk}")
    assert (ticket.status, ticket.priority, ticket.kind, ticket.team, ticket.assignee) == (
        Ticket.Status.PENDING, "high", "billing", other_team, billing_agent,
    )  # fmt: skip
    assert (message.body, message.visibility) == (reply, Message.Visibility.PUBLIC)
    # One move: one log entry per step, as any submit; the mails once the one transaction committed.
    assert actions_since(ticket, before_log) == ["team", "assign", "update", "reply", "status"]
    # (Each saved step gives the row a new version, as in every submit: team, assignee, details, and the
    # reply that sets it pending; all in the one transaction, under one lock.)
    assert ticket.version == before_version + 4
    assert callbacks  # nothing was sent before the commit
    to_requester = [sent for sent in mail.outbox if "requester@example.com" in sent.to]
    assert len(to_requester) == 1 and "our billing team takes" in to_requester[0].body
    assert any("bea@example.com" in sent.to for sent in mail.outbox)  # told of the assignment


def test_the_moves_steps_are_all_or_nothing(client, supervisor, ticket, macro, other_team, billing_agent):
    """The same post, refused at its last step (the ticket was closed meanwhile by the same agent's other
    tab is not needed: "pending" from a closed ticket is illegal): nothing of it stays."""
    client.force_login(supervisor)
    fields, actions, _page = page_state(client, ticket)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    seen = json.loads(fields["seen"])
    seen["status"] = "closed"
    before = (log_count(ticket), Message.objects.count())

    response = client.post(
        submit_url(ticket),
        {**fields, "seen": json.dumps(seen), "body": "Text", "priority": "high", "team": other_team.pk,
         "assignee": billing_agent.pk, "then": "pending"},
    )  # fmt: skip

    ticket.refresh_from_db()
    assert response.status_code == 400
    assert (ticket.team.name, ticket.assignee, ticket.priority) == ("Helpdesk", None, "normal")
    assert (log_count(ticket), Message.objects.count()) == before


def test_a_resolving_macro_sends_the_reply_as_the_solution(
    agent_client, agent, ticket, resolution_code, django_capture_on_commit_callbacks
):
    solved = CannedResponse.objects.create(
        title="Solved", body="Your password was reset, {requester_name}.", set_status="resolved", set_resolution_code=resolution_code
    )
    fields, actions, _page = page_state(agent_client, ticket)
    chosen = actions[str(solved.pk)]
    solution = solved.render_for(ticket, agent)
    mail.outbox.clear()

    # Without the solution, the resolve is refused like any other, and nothing changes.
    refused = agent_client.post(submit_url(ticket), {**fields, "then": "resolve", "code": chosen["code"], "solution": ""})
    assert refused.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.OPEN

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(submit_url(ticket), {**fields, "then": "resolve", "code": chosen["code"], "solution": solution})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.resolution_code, ticket.solution) == (Ticket.Status.CLOSED, resolution_code, solution)
    assert ticket.messages.count() == 1  # the solution is the reply: no second copy of it
    to_requester = [sent for sent in mail.outbox if "requester@example.com" in sent.to]
    assert len(to_requester) == 1 and "Your password was reset, Rita Requester." in to_requester[0].body


def test_a_macro_cannot_assign_someone_who_may_not_work_the_team(agent_client, agent, ticket, billing_agent):
    # Bea works for Billing only; the reply leaves the ticket with Helpdesk (set up before she changed teams).
    stale = CannedResponse.objects.create(title="To Bea", body="Bea takes it.", set_assignee=billing_agent, set_priority="high")
    profile = UserProfile.get_for_user(agent)
    profile.preferred_language = "fr"
    profile.save()
    fields, actions, _page = page_state(agent_client, ticket)
    chosen = actions[str(stale.pk)]
    before = (Ticket.objects.get(pk=ticket.pk).version, log_count(ticket), Message.objects.count())

    response = agent_client.post(
        submit_url(ticket),
        {**fields, "body": "MY-TEXT Bea takes it.", "priority": chosen["priority"], "assignee": chosen["assignee"], "then": "open"},
    )

    assert response.status_code == 400
    page = re.sub(r"\s+", " ", response.content.decode())
    # The workflow's refusal, in the agent's language.
    assert "Bea Billing n&#x27;est pas intervenant de l&#x27;équipe Helpdesk." in page or (
        "Bea Billing n'est pas intervenant de l'équipe Helpdesk." in page
    )
    # Nothing applied (not even the priority); the text is kept.
    assert (Ticket.objects.get(pk=ticket.pk).version, log_count(ticket), Message.objects.count()) == before
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"
    assert "MY-TEXT Bea takes it." in page
