""""New ticket" in the Wagtail admin: an agent opens a ticket for someone who wrote in (seed 002).

The form (``wagtail_support_ticket_create``) and the requester autocomplete
(``wagtail_support_admin:requester_autocomplete``) of ``wagtail_support.admin.create``: the requester typed as a
name and an address or chosen among the accounts, the beneficiary, the service catalog entry that decides
the team, the attachments, the confirmation mail and the log entry, the errors, and who is refused.
"""

import io
import json

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from wagtail.log_actions import registry

from tests import factories
from wagtail_support import workflow
from wagtail_support.admin import create as admin_create
from wagtail_support.admin.paths import inbox_url, ticket_url
from wagtail_support.models import Attachment, Message, Ticket
from wagtail_support import access

pytestmark = pytest.mark.django_db

CREATE_URL_NAME = "wagtail_support_admin:ticket_create"
AUTOCOMPLETE_URL_NAME = "wagtail_support_admin:requester_autocomplete"


# Fixtures and helpers -------------------------------------------------------------------------------------


@pytest.fixture
def create_url():
    return reverse(CREATE_URL_NAME)


@pytest.fixture
def autocomplete_url():
    return reverse(AUTOCOMPLETE_URL_NAME)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def admin_only_user(db):
    """Eddie Editor: may use the Wagtail admin (``access_admin``) but is no support agent."""
    group = Group.objects.create(name="Editors of the test")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return factories.make_user("editor", first_name="Eddie", last_name="Editor", groups=[group.name])


@pytest.fixture
def catalog(team, other_team):
    """A small service catalog: "Accounts" (team) > "Login" (no team: inherits), "Billing" (other_team),
    a retired entry, and "Accounts" > "Passwords" sorted before "Login" by its order."""
    accounts = factories.make_category("Accounts", team, sort_order=1)
    login = factories.make_category("Login", None, parent=accounts, sort_order=2)
    passwords = factories.make_category("Passwords", None, parent=accounts, sort_order=1)
    billing = factories.make_category("Billing", other_team, sort_order=2)
    retired = factories.make_category("Retired", team, sort_order=3, is_active=False)
    return {"accounts": accounts, "login": login, "passwords": passwords, "billing": billing, "retired": retired}


def form_data(**overrides):
    data = {
        "requester_name": "Paul Smith",
        "requester_email": "paul.smith@example.org",
        "requester_user": "",
        "beneficiary_name": "",
        "beneficiary_email": "",
        "beneficiary_user": "",
        "category": "",
        "team": "",
        "kind": Ticket.Kind.QUESTION,
        "priority": Ticket.Priority.NORMAL,
        "channel": Ticket.Channel.EMAIL,
        "subject": "Cannot invite a colleague",
        "description": "Paul wrote to the platform: the invitation form refuses his colleague's address.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def png_upload(name="screenshot.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def only_ticket():
    (ticket,) = Ticket.objects.all()
    return ticket


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def field_errors(response, name):
    return response.context["form"].errors.get(name, [])


def open_entries(ticket):
    return list(registry.get_logs_for_instance(ticket).filter(action="wagtail_support.ticket.open"))


def results(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


# The page -------------------------------------------------------------------------------------------------


def test_url_is_the_documented_one(create_url, autocomplete_url):
    assert create_url == "/admin/support/tickets/new/"
    assert autocomplete_url == "/admin/support/requesters/autocomplete/"


def test_agent_gets_the_form_in_wagtail_admin_furniture(agent_client, create_url, catalog):
    response = agent_client.get(create_url)

    assert response.status_code == 200
    assert "wagtailadmin/generic/form.html" in [t.name for t in response.templates]
    page = soup(response)
    form = page.find("form", id="w-editor-form")
    assert form["method"] == "POST" and form["enctype"] == "multipart/form-data"
    assert form.find("input", {"name": "csrfmiddlewaretoken"})
    # The requester first: typed name and address, the account id hidden for the autocomplete.
    names = [field["name"] for field in form.find_all(["input", "select", "textarea"]) if field.get("name")]
    order = [names.index(name) for name in ("requester_name", "beneficiary_name", "category", "subject")]
    assert order == sorted(order)
    assert form.find("input", {"name": "requester_user", "type": "hidden"})
    assert page.find(id="ws-beneficiary-section")["class"] == ["w-panel", "collapsed"]
    assert "Create" in form.find("footer").get_text()
    assert page.find("script", src="/static/wagtail_support/admin/requester-autocomplete.js")
    assert page.find(attrs={"data-support-create": True})["data-autocomplete-url"] == reverse(AUTOCOMPLETE_URL_NAME)


def test_catalog_select_lists_active_entries_in_tree_order_with_full_names(agent_client, create_url, catalog):
    page = soup(agent_client.get(create_url))

    options = [(o["value"], o.get_text()) for o in page.find("select", {"name": "category"}).find_all("option")]
    assert options == [
        ("", "None"),
        (str(catalog["accounts"].pk), "Accounts"),
        (str(catalog["passwords"].pk), "Accounts › Passwords"),
        (str(catalog["login"].pk), "Accounts › Login"),
        (str(catalog["billing"].pk), "Billing"),
    ]


def test_page_carries_the_team_of_each_entry_and_the_default_team(agent_client, create_url, catalog):
    page = soup(agent_client.get(create_url))

    routes = json.loads(page.find("script", id="ws-category-teams").string)
    assert routes == {
        str(catalog["accounts"].pk): "Helpdesk",
        str(catalog["passwords"].pk): "Helpdesk",  # no team of its own: its parent's
        str(catalog["login"].pk): "Helpdesk",
        str(catalog["billing"].pk): "Billing",
    }
    preview = page.find(attrs={"data-team-preview": True})
    assert preview["data-default-team"] == "Helpdesk"  # WAGTAILSUPPORT_DEFAULT_TEAM of the example site
    assert "Helpdesk" in preview.get_text()


def test_defaults_are_email_normal_question(agent_client, create_url):
    page = soup(agent_client.get(create_url))

    def selected(name):
        return page.find("select", {"name": name}).find("option", selected=True)["value"]

    assert selected("channel") == Ticket.Channel.EMAIL
    assert selected("priority") == Ticket.Priority.NORMAL
    assert selected("kind") == Ticket.Kind.QUESTION
    channels = [o["value"] for o in page.find("select", {"name": "channel"}).find_all("option")]
    assert channels == ["email", "phone", "in_person", "admin"]


def test_catalog_preview_team_follows_a_submitted_override(agent_client, create_url, catalog, other_team):
    data = form_data(subject="", category=catalog["accounts"].pk, team=other_team.pk)
    response = agent_client.post(create_url, data)

    preview = soup(response).find(attrs={"data-team-preview": True})
    assert "Billing" in preview.get_text() and "chosen below" in preview.get_text()


# Creating -------------------------------------------------------------------------------------------------


def test_typed_requester_without_account(agent_client, agent, create_url, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(create_url, form_data())

    ticket = only_ticket()
    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket)
    assert ticket.requester_user is None
    assert (ticket.requester_name, ticket.requester_email) == ("Paul Smith", "paul.smith@example.org")
    assert ticket.subject == "Cannot invite a colleague"
    assert ticket.channel == Ticket.Channel.EMAIL
    assert ticket.priority == Ticket.Priority.NORMAL
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.team == team  # no catalog entry: the site's default team
    (message,) = ticket.messages.all()
    assert message.body.startswith("Paul wrote to the platform")
    assert message.visibility == Message.Visibility.PUBLIC
    assert message.channel == Ticket.Channel.EMAIL


def test_success_message_names_the_reference(agent_client, create_url, team):
    response = agent_client.post(create_url, form_data(), follow=False)

    ticket = only_ticket()
    stored = [str(m) for m in response.wsgi_request._messages]
    assert any(ticket.reference in m and "paul.smith@example.org" in m for m in stored)


def test_redirect_goes_to_the_workspace_once_it_exists(agent_client, create_url, team):
    response = agent_client.post(create_url, form_data())

    ticket = only_ticket()
    assert response["Location"] == reverse("wagtail_support_admin:ticket", args=[ticket.pk])


def test_confirmation_mail_goes_to_the_requester(agent_client, create_url, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(create_url, form_data())

    ticket = only_ticket()
    to_requester = [m for m in mail.outbox if "paul.smith@example.org" in m.to]
    assert len(to_requester) == 1
    assert ticket.reference in to_requester[0].subject + to_requester[0].body
    assert "Paul wrote to the platform" in to_requester[0].body


def test_log_entry_open_on_behalf_by_the_agent(agent_client, agent, create_url, team):
    agent_client.post(create_url, form_data(channel=Ticket.Channel.PHONE))

    ticket = only_ticket()
    (entry,) = open_entries(ticket)
    assert entry.user == agent
    assert entry.data["on_behalf"] is True
    assert entry.data["channel"] == "phone"
    assert entry.data["team"] == "Helpdesk"
    assert "on behalf of the requester" in str(entry.message)


def test_existing_account_chosen_by_id(agent_client, create_url, requester, team, django_capture_on_commit_callbacks):
    # What the autocomplete leaves in the form: the account's name and address, and its id.
    data = form_data(
        requester_name="Rita Requester", requester_email="requester@example.com", requester_user=requester.pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(create_url, data)

    assert response.status_code == 302
    ticket = only_ticket()
    assert ticket.requester_user == requester
    assert (ticket.requester_name, ticket.requester_email) == ("Rita Requester", "requester@example.com")
    assert ticket in access.requester_tickets(requester)
    assert [m for m in mail.outbox if "requester@example.com" in m.to]


def test_chosen_account_without_typed_values(agent_client, create_url, requester, team):
    agent_client.post(create_url, form_data(requester_name="", requester_email="", requester_user=requester.pk))

    ticket = only_ticket()
    assert ticket.requester_user == requester
    assert ticket.requester_email == "requester@example.com"


def test_typed_email_of_one_account_links_it(agent_client, create_url, requester, team):
    agent_client.post(create_url, form_data(requester_name="Rita R.", requester_email="REQUESTER@example.com"))

    ticket = only_ticket()
    assert ticket.requester_user == requester
    assert ticket.requester_name == "Rita R."  # what the agent typed
    assert ticket.requester_email == "requester@example.com"


def test_typed_email_shared_by_two_accounts_links_none(agent_client, create_url, team):
    factories.make_user("twin1", email="twins@example.com")
    factories.make_user("twin2", email="Twins@example.com")

    agent_client.post(create_url, form_data(requester_email="twins@example.com"))

    assert only_ticket().requester_user is None


def test_typed_email_of_an_inactive_account_links_none(agent_client, create_url, requester, team):
    requester.is_active = False
    requester.save()

    agent_client.post(create_url, form_data(requester_email="requester@example.com"))

    assert only_ticket().requester_user is None


def test_beneficiary_typed(agent_client, create_url, team, django_capture_on_commit_callbacks):
    data = form_data(beneficiary_name="Jane Colleague", beneficiary_email="jane@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(create_url, data)

    ticket = only_ticket()
    assert (ticket.beneficiary_name, ticket.beneficiary_email, ticket.beneficiary_user) == (
        "Jane Colleague",
        "jane@example.org",
        None,
    )
    assert [m for m in mail.outbox if "jane@example.org" in m.to]


def test_beneficiary_chosen_by_id(agent_client, create_url, other_requester, team):
    data = form_data(
        beneficiary_name="Otto Other",
        beneficiary_email="other_requester@example.com",
        beneficiary_user=other_requester.pk,
    )
    agent_client.post(create_url, data)

    ticket = only_ticket()
    assert ticket.beneficiary_user == other_requester
    assert ticket in access.requester_tickets(other_requester)


def test_beneficiary_name_alone_is_kept(agent_client, create_url, team):
    agent_client.post(create_url, form_data(beneficiary_name="Grandpa Smith"))

    ticket = only_ticket()
    assert (ticket.beneficiary_name, ticket.beneficiary_email) == ("Grandpa Smith", "")


def test_beneficiary_who_is_the_requester_is_dropped(agent_client, create_url, requester, team):
    data = form_data(requester_email="requester@example.com", beneficiary_user=requester.pk, beneficiary_name="Rita")
    agent_client.post(create_url, data)

    ticket = only_ticket()
    assert ticket.requester_user == requester
    assert (ticket.beneficiary_user, ticket.beneficiary_name, ticket.beneficiary_email) == (None, "", "")


def test_catalog_entry_sets_the_team(agent_client, create_url, catalog, other_team):
    agent_client.post(create_url, form_data(category=catalog["billing"].pk))

    ticket = only_ticket()
    assert ticket.category == catalog["billing"]
    assert ticket.team == other_team


def test_catalog_entry_without_team_uses_its_parents(agent_client, create_url, catalog, team):
    agent_client.post(create_url, form_data(category=catalog["login"].pk))

    ticket = only_ticket()
    assert ticket.category == catalog["login"]
    assert ticket.team == team


def test_team_override_beats_the_catalog_entry(client, supervisor, create_url, catalog, other_team):
    client.force_login(supervisor)
    response = client.post(create_url, form_data(category=catalog["accounts"].pk, team=other_team.pk))

    ticket = only_ticket()
    assert ticket.category == catalog["accounts"]
    assert ticket.team == other_team
    assert response["Location"] == ticket_url(ticket)


def test_agent_sending_to_a_team_they_are_not_in_lands_on_the_inbox(agent_client, create_url, catalog, other_team):
    response = agent_client.post(create_url, form_data(category=catalog["billing"].pk))

    ticket = only_ticket()
    assert ticket.team == other_team
    assert response.status_code == 302
    assert response["Location"] == inbox_url()
    stored = [str(m) for m in response.wsgi_request._messages]
    assert any(ticket.reference in m and "Billing" in m for m in stored)


def test_attachments_are_stored_on_the_first_message(agent_client, create_url, team):
    files = [png_upload("screenshot.png"), SimpleUploadedFile("notes.txt", b"Called at 10:12.", "text/plain")]
    response = agent_client.post(create_url, {**form_data(), "attachments": files})

    assert response.status_code == 302
    ticket = only_ticket()
    attachments = Attachment.objects.filter(message__ticket=ticket).order_by("filename")
    assert [(a.filename, a.content_type) for a in attachments] == [
        ("notes.txt", "text/plain"),
        ("screenshot.png", "image/png"),
    ]
    assert {a.message_id for a in attachments} == {ticket.messages.get().pk}


def test_kind_priority_and_channel_are_kept(agent_client, create_url, team):
    agent_client.post(
        create_url,
        form_data(kind=Ticket.Kind.BILLING, priority=Ticket.Priority.URGENT, channel=Ticket.Channel.IN_PERSON),
    )

    ticket = only_ticket()
    assert (ticket.kind, ticket.priority, ticket.channel) == ("billing", "urgent", "in_person")


# Errors ---------------------------------------------------------------------------------------------------


def test_errors_keep_the_typed_values(agent_client, create_url, catalog):
    data = form_data(
        requester_name="Pierre Durand",
        requester_email="not-an-address",
        beneficiary_name="Marie Durand",
        subject="",
        category=catalog["billing"].pk,
        priority=Ticket.Priority.HIGH,
    )
    response = agent_client.post(create_url, data)

    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert field_errors(response, "requester_email")
    assert field_errors(response, "subject")
    page = soup(response)
    assert page.find("input", {"name": "requester_name"})["value"] == "Pierre Durand"
    assert page.find("input", {"name": "requester_email"})["value"] == "not-an-address"
    assert page.find("input", {"name": "beneficiary_name"})["value"] == "Marie Durand"
    assert page.find("textarea", {"name": "description"}).get_text().strip().startswith("Paul wrote")
    chosen_category = page.find("select", {"name": "category"}).find("option", selected=True)
    assert chosen_category["value"] == str(catalog["billing"].pk)
    assert page.find("select", {"name": "priority"}).find("option", selected=True)["value"] == "high"
    # The beneficiary panel stays open when something was typed in it.
    assert "collapsed" not in page.find(id="ws-beneficiary-section")["class"]
    # The errors are next to their fields, in Wagtail's field markup.
    email_wrapper = page.find("input", {"name": "requester_email"}).find_parent(class_="w-field")
    assert "w-field--error" in email_wrapper["class"]
    assert "valid email" in email_wrapper.find(class_="error-message").get_text()


def test_a_requester_is_required(agent_client, create_url, team):
    response = agent_client.post(create_url, form_data(requester_name="", requester_email=""))

    assert response.status_code == 200
    assert "choose an existing account" in " ".join(field_errors(response, "requester_email"))
    assert not Ticket.objects.exists()


def test_a_typed_requester_needs_an_address(agent_client, create_url, team):
    response = agent_client.post(create_url, form_data(requester_email=""))

    assert "email address" in " ".join(field_errors(response, "requester_email"))
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("chosen", ["999999", "abc", "-1", "1" * 30])
def test_unknown_chosen_account_is_an_error(agent_client, create_url, team, chosen):
    response = agent_client.post(create_url, form_data(requester_user=chosen))

    assert response.status_code == 200
    assert "no longer exists" in " ".join(field_errors(response, "requester_name"))
    assert soup(response).find("input", {"name": "requester_user"}).get("value", "") == ""
    assert not Ticket.objects.exists()


def test_inactive_chosen_account_is_an_error(agent_client, create_url, requester, team):
    requester.is_active = False
    requester.save()

    response = agent_client.post(create_url, form_data(requester_user=requester.pk, requester_email=""))

    assert field_errors(response, "requester_name")
    assert not Ticket.objects.exists()


def test_chosen_account_with_another_address_is_an_error(agent_client, create_url, requester, team):
    response = agent_client.post(
        create_url, form_data(requester_user=requester.pk, requester_email="someone.else@example.org")
    )

    assert "requester@example.com" in " ".join(field_errors(response, "requester_email"))
    assert not Ticket.objects.exists()
    # The account is unlinked, the typed values kept: submitting again works, even without the script.
    page = soup(response)
    assert page.find("input", {"name": "requester_user"}).get("value", "") == ""
    assert page.find(attrs={"data-person-account": True}).has_attr("hidden")
    assert page.find("input", {"name": "requester_email"})["value"] == "someone.else@example.org"
    again = agent_client.post(create_url, form_data(requester_email="someone.else@example.org"))
    assert again.status_code == 302
    assert only_ticket().requester_user is None


def test_chosen_account_shown_again_after_another_error(agent_client, create_url, requester, team):
    data = form_data(requester_name="Rita Requester", requester_email="requester@example.com", subject="")
    response = agent_client.post(create_url, {**data, "requester_user": requester.pk})

    assert field_errors(response, "subject")
    page = soup(response)
    assert page.find("input", {"name": "requester_user"})["value"] == str(requester.pk)
    account = page.find(attrs={"data-person-account": True})
    assert not account.has_attr("hidden")
    assert "Rita Requester <requester@example.com>" in account.get_text()


def test_retired_catalog_entry_or_team_is_refused(agent_client, create_url, catalog, other_team):
    other_team.is_active = False
    other_team.save()

    response = agent_client.post(create_url, form_data(category=catalog["retired"].pk, team=other_team.pk))

    assert field_errors(response, "category")
    assert field_errors(response, "team")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field, value", [("channel", "web"), ("kind", "spam"), ("priority", "whenever")])
def test_values_outside_the_choices_are_refused(agent_client, create_url, team, field, value):
    response = agent_client.post(create_url, form_data(**{field: value}))

    assert field_errors(response, field)
    assert not Ticket.objects.exists()


def test_a_refused_file_asks_for_the_files_again(agent_client, create_url, team):
    disguised = SimpleUploadedFile("notes.txt", b"<html><script>alert(1)</script></html>", "text/plain")
    response = agent_client.post(create_url, {**form_data(), "attachments": [png_upload(), disguised]})

    assert response.status_code == 200
    assert field_errors(response, "attachments")
    assert response.context["files_lost"] is True
    assert "select them again" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_workflow_refusal_is_shown_next_to_its_field(agent_client, create_url, team, monkeypatch):
    def refuse(**kwargs):
        raise workflow.InvalidInput("The workflow says no.", field="subject")

    monkeypatch.setattr(workflow, "open_ticket", refuse)
    response = agent_client.post(create_url, form_data())

    assert response.status_code == 200
    assert field_errors(response, "subject") == ["The workflow says no."]
    assert soup(response).find("input", {"name": "subject"})["value"] == "Cannot invite a colleague"


def test_workflow_refusal_without_field_is_a_form_error(agent_client, create_url, team, monkeypatch):
    def refuse(**kwargs):
        raise workflow.NotAllowed("Only the support team can open a ticket for someone else.")

    monkeypatch.setattr(workflow, "open_ticket", refuse)
    response = agent_client.post(create_url, form_data())

    errors = response.context["form"].non_field_errors()
    assert errors == ["Only the support team can open a ticket for someone else."]
    assert "Only the support team" in response.content.decode()


def test_markup_in_typed_values_is_escaped(agent_client, create_url, team):
    response = agent_client.post(
        create_url, form_data(requester_name='<script>alert("x")</script>', requester_email="bad", subject="")
    )

    body = response.content.decode()
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body


def test_form_queries_do_not_grow_with_the_catalog(agent_client, create_url, team, other_team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    factories.make_category("Only", team)
    agent_client.get(create_url)
    with CaptureQueriesContext(connection) as small:
        agent_client.get(create_url)
    for n in range(10):
        root = factories.make_category(f"Root {n}", team if n % 2 else None)
        for m in range(4):
            child = factories.make_category(f"Child {m}", None, parent=root)
            factories.make_category("Leaf", other_team if m % 2 else None, parent=child)
    with CaptureQueriesContext(connection) as large:
        response = agent_client.get(create_url)

    assert len(soup(response).find("select", {"name": "category"}).find_all("option")) == 1 + 1 + 10 * 9
    assert len(large.captured_queries) == len(small.captured_queries)


def test_post_without_csrf_token_is_refused(agent, create_url, team):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    assert client.post(create_url, form_data()).status_code == 403
    assert not Ticket.objects.exists()


# Who may create -------------------------------------------------------------------------------------------


def test_supervisor_may_create(client, supervisor, create_url, team):
    client.force_login(supervisor)

    assert client.get(create_url).status_code == 200
    assert client.post(create_url, form_data()).status_code == 302
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_admin_user_who_is_no_agent_is_refused(client, admin_only_user, create_url, team, method):
    client.force_login(admin_only_user)

    response = getattr(client, method)(create_url, form_data() if method == "post" else None)

    # Wagtail turns the view's PermissionDenied into its "no permission" redirect to the admin home.
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_the_login(client, create_url, team, method):
    response = getattr(client, method)(create_url, form_data() if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_requester_without_admin_access_is_refused(client, requester, create_url, team, method):
    client.force_login(requester)

    response = getattr(client, method)(create_url, form_data() if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
    assert not Ticket.objects.exists()


def test_refused_with_ajax_header_is_403(client, admin_only_user, create_url, team):
    client.force_login(admin_only_user)

    response = client.post(create_url, form_data(), headers={"x-requested-with": "XMLHttpRequest"})

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_inactive_agent_is_refused(client, agent, create_url, team):
    client.force_login(agent)
    agent.is_active = False
    agent.save()

    response = client.post(create_url, form_data())

    assert response.status_code == 302
    assert not Ticket.objects.exists()


# The requester autocomplete -------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    """Accounts to find: Paul Smith, Paula Martin, Pierre Durand (inactive), Sam Paulson."""
    return {
        "paul": factories.make_user("psmith", first_name="Paul", last_name="Smith", email="paul@example.org"),
        "paula": factories.make_user("pmartin", first_name="Paula", last_name="Martin", email="paula.m@example.net"),
        "pierre": factories.make_user("pdurand", first_name="Pierre", last_name="Durand", email="pierre@example.org"),
        "sam": factories.make_user("sam", first_name="Sam", last_name="Paulson", email="sam@example.org"),
    }


def ids(found):
    return [result["id"] for result in found]


def test_autocomplete_answers_id_name_and_email(agent_client, autocomplete_url, people):
    found = results(agent_client.get(autocomplete_url, {"q": "Smi"}))

    assert found == [{"id": people["paul"].pk, "name": "Paul Smith", "email": "paul@example.org"}]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("paul", ["paula", "sam", "paul"]),  # first names and last name; ordered by last name, first name
        ("PAUL", ["paula", "sam", "paul"]),
        ("psm", ["paul"]),  # username
        ("paula.m@", ["paula"]),  # address
        ("pierre@", ["pierre"]),
        ("durand", ["pierre"]),
        ("paul smith", ["paul"]),  # each word starts a field
        ("smith paul", ["paul"]),
        ("  Paul   Smi  ", ["paul"]),
        ("aul", []),  # the start of a field, not the middle
        ("example", []),
    ],
)
def test_autocomplete_matches_the_start_of_the_fields(agent_client, autocomplete_url, people, query, expected):
    found = results(agent_client.get(autocomplete_url, {"q": query}))

    assert ids(found) == [people[key].pk for key in expected]


def test_autocomplete_never_returns_inactive_accounts(agent_client, autocomplete_url, people):
    people["pierre"].is_active = False
    people["pierre"].save()

    for query in ("pierre", "pdurand", "durand", "pierre@example.org"):
        assert results(agent_client.get(autocomplete_url, {"q": query})) == []


@pytest.mark.parametrize("query", ["", "p", " p ", "P"])
def test_autocomplete_needs_two_characters(agent_client, autocomplete_url, people, query):
    assert results(agent_client.get(autocomplete_url, {"q": query})) == []


def test_autocomplete_without_query_is_empty(agent_client, autocomplete_url, people):
    assert results(agent_client.get(autocomplete_url)) == []


@pytest.mark.parametrize("query", ["%%", "__", "%a", "p_", "\\%"])
def test_autocomplete_wildcards_are_plain_characters(agent_client, autocomplete_url, people, query):
    assert results(agent_client.get(autocomplete_url, {"q": query})) == []


def test_autocomplete_returns_ten_at_most_in_order(agent_client, autocomplete_url):
    User = get_user_model()
    User.objects.bulk_create(
        [
            User(username=f"zed{n:02d}", first_name="Zed", last_name=f"Zulu{n:02d}", email=f"zed{n:02d}@example.org")
            for n in range(15)
        ]
    )

    found = results(agent_client.get(autocomplete_url, {"q": "zed"}))

    assert len(found) == admin_create.AUTOCOMPLETE_LIMIT == 10
    assert [r["email"] for r in found] == [f"zed{n:02d}@example.org" for n in range(10)]


def test_autocomplete_long_query_is_cut(agent_client, autocomplete_url, people):
    assert results(agent_client.get(autocomplete_url, {"q": "paul" + "x" * 5000})) == []


def test_autocomplete_is_get_only(agent_client, autocomplete_url, people):
    assert agent_client.post(autocomplete_url, {"q": "paul"}).status_code == 405


def test_supervisor_may_search(client, supervisor, autocomplete_url, people):
    client.force_login(supervisor)

    assert ids(results(client.get(autocomplete_url, {"q": "psm"}))) == [people["paul"].pk]


def test_autocomplete_refuses_an_admin_user_who_is_no_agent(client, admin_only_user, autocomplete_url, people):
    client.force_login(admin_only_user)

    response = client.get(autocomplete_url, {"q": "paul"}, headers={"x-requested-with": "XMLHttpRequest"})

    assert response.status_code == 403
    assert b"paul" not in response.content.lower()
    assert "results" not in response.json()


def test_autocomplete_refuses_an_admin_user_without_the_ajax_header(client, admin_only_user, autocomplete_url, people):
    client.force_login(admin_only_user)

    response = client.get(autocomplete_url, {"q": "paul"})

    assert response.status_code == 403
    assert b"paul" not in response.content.lower()


@pytest.mark.parametrize("who", [None, "requester"])
def test_autocomplete_refuses_anonymous_and_non_admin(client, request, autocomplete_url, people, who):
    if who:
        client.force_login(request.getfixturevalue(who))

    as_ajax = client.get(autocomplete_url, {"q": "paul"}, headers={"x-requested-with": "XMLHttpRequest"})
    plain = client.get(autocomplete_url, {"q": "paul"})

    assert as_ajax.status_code == 403
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("wagtailadmin_login"))
    for response in (as_ajax, plain):
        assert b"paul@example.org" not in response.content


def _bulk_users(count, prefix="user"):
    User = get_user_model()
    User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{n:05d}",
                first_name=f"First{n % 97}",
                last_name=f"Last{n:05d}",
                email=f"{prefix}{n:05d}@example.org",
                is_active=n % 10 != 0,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


def test_autocomplete_query_count_is_fixed_with_five_thousand_users(
    agent_client, autocomplete_url, people, django_assert_num_queries
):
    # The same number of queries on a few accounts and on 5,000: one SELECT, whatever matches.
    agent_client.get(autocomplete_url, {"q": "paul"})  # session and permission caches warmed like any request
    with django_assert_num_queries(AUTOCOMPLETE_QUERIES):
        few = results(agent_client.get(autocomplete_url, {"q": "paul"}))
    assert len(few) == 3

    _bulk_users(5000)

    with django_assert_num_queries(AUTOCOMPLETE_QUERIES):
        many = results(agent_client.get(autocomplete_url, {"q": "user0"}))
    assert len(many) == 10
    assert all(r["email"].startswith("user0") for r in many)
    with django_assert_num_queries(AUTOCOMPLETE_QUERIES):
        by_first_name = results(agent_client.get(autocomplete_url, {"q": "first1 last0"}))
    assert len(by_first_name) == 10
    with django_assert_num_queries(AUTOCOMPLETE_QUERIES):
        assert results(agent_client.get(autocomplete_url, {"q": "nobody"})) == []


# Session, user, the agent's permissions (user and group: 2), the Wagtail user profile (admin language
# and time zone), and the one search.
AUTOCOMPLETE_QUERIES = 6
