"""The configuration in the "Support" menu: teams, service catalog, resolution codes and canned responses.

They are wagtail-modeladmin listings and forms (``admin.viewsets``). Supervisors ("Support
supervisors") add, change and delete them; agents ("Support agents") may list them and nothing more; an
admin user who is no agent is refused; and a site owner sees and changes all of this in Wagtail's group
editor (``groups.py``, migrations 0002 and 0007).
"""

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu

from tests import factories
from wagtail_support import groups
from wagtail_support.admin.viewsets import url_for
from wagtail_support.models import CannedResponse, Category, ResolutionCode, Team

pytestmark = pytest.mark.django_db

MODELS = {
    "team": Team,
    "category": Category,
    "resolutioncode": ResolutionCode,
    "cannedresponse": CannedResponse,
}


# Fixtures and helpers -------------------------------------------------------------------------------------


def url(model, action, *args):
    """The address of a configuration screen (``admin.viewsets.url_for``), by model name."""
    return url_for(apps.get_model("wagtail_support", model), action, *args)


@pytest.fixture
def admin_only_user(db):
    """Eddie Editor: may use the Wagtail admin (``access_admin``) but is no support agent."""
    group = Group.objects.create(name="Editors of the test")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return factories.make_user("editor", first_name="Eddie", last_name="Editor", groups=[group.name])


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("owner", "owner@example.com", factories.PASSWORD)


@pytest.fixture
def code(db):
    return factories.make_code("fixed", "Fixed")


@pytest.fixture
def canned(team):
    return CannedResponse.objects.create(
        title="Password reset",
        body="Hello {requester_name},\nabout {reference} ({subject}): {agent_name} of {team} reset it. {unknown}",
        team=team,
    )


@pytest.fixture
def instances(team, category, code, canned):
    return {"team": team, "category": category, "resolutioncode": code, "cannedresponse": canned}


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def refused_to_admin_home(response):
    # wagtail-modeladmin raises PermissionDenied; Wagtail answers with its "no permission" redirect.
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def refused_to_login(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("wagtailadmin_login"))


def perm(codename, app_label="wagtail_support"):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def edit_form(response):
    """The model form of a modeladmin create or edit page."""
    assert response.status_code == 200
    (form,) = [
        form
        for form in soup(response).find_all("form")
        if (form.get("method") or "").lower() == "post" and form.find(attrs={"name": "csrfmiddlewaretoken"})
    ]
    return form


def submitted_values(form):
    """What a browser would send for ``form`` (a BeautifulSoup element), without the empty templates."""
    data = {}
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or element.has_attr("disabled") or "__prefix__" in name:
            continue
        if element.name == "input":
            kind = element.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                continue
            if kind in ("checkbox", "radio"):
                if element.has_attr("checked"):
                    data.setdefault(name, []).append(element.get("value", "on"))
                continue
            data.setdefault(name, []).append(element.get("value", ""))
        elif element.name == "select":
            chosen = [o.get("value", o.get_text()) for o in element.find_all("option") if o.has_attr("selected")]
            if not chosen and not element.has_attr("multiple"):
                first = element.find("option")
                chosen = [first.get("value", first.get_text())] if first else []
            data.setdefault(name, []).extend(chosen)
        else:
            data.setdefault(name, []).append(element.get_text())
    return data


# Supervisors: listings, create and edit -------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_supervisor_lists_each_model_with_an_add_button(client, supervisor, instances, model):
    client.force_login(supervisor)

    response = client.get(url(model, "index"))

    assert response.status_code == 200
    assert f'href="{url(model, "create")}"' in response.content.decode()
    assert f'href="{url(model, "edit", instances[model].pk)}"' in response.content.decode()


def test_team_listing_shows_the_contact_address(client, supervisor, team):
    team.contact_email = "helpdesk@example.com"
    team.save()
    client.force_login(supervisor)

    body = client.get(url("team", "index")).content.decode()

    assert "Helpdesk" in body and "helpdesk@example.com" in body


def test_catalog_listing_shows_nested_names_and_default_team(client, supervisor, category, other_team):
    factories.make_category("Invoices", other_team, parent=category)
    client.force_login(supervisor)

    body = client.get(url("category", "index")).content.decode()

    assert "Accounts › Invoices" in body
    assert "Billing" in body


def test_supervisor_creates_a_team_with_members_and_contact_address(client, supervisor, agent, outsider_agent):
    client.force_login(supervisor)

    response = client.post(
        url("team", "create"),
        {
            "name": "Technical support",
            "slug": "technical",
            "members": [agent.pk, outsider_agent.pk],
            "contact_email": "tech@example.com",
            "is_active": "on",
        },
    )

    assert response.status_code == 302 and response["Location"] == url("team", "index")
    team = Team.objects.get(slug="technical")
    assert team.name == "Technical support"
    assert team.contact_email == "tech@example.com"
    assert set(team.members.all()) == {agent, outsider_agent}


def test_supervisor_edits_a_team(client, supervisor, team, agent, outsider_agent):
    client.force_login(supervisor)

    form = edit_form(client.get(url("team", "edit", team.pk)))
    data = submitted_values(form)
    assert data["members"] == [str(agent.pk)]
    data.update({"members": [str(outsider_agent.pk)], "contact_email": ["desk@example.com"]})
    response = client.post(url("team", "edit", team.pk), data)

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.contact_email == "desk@example.com"
    assert list(team.members.all()) == [outsider_agent]


def test_team_form_refuses_a_bad_contact_address(client, supervisor):
    client.force_login(supervisor)

    response = client.post(url("team", "create"), {"name": "X", "slug": "x", "contact_email": "nope"})

    assert response.status_code == 200
    assert not Team.objects.filter(slug="x").exists()


def test_supervisor_creates_a_nested_catalog_entry_with_a_default_team(client, supervisor, category, other_team):
    client.force_login(supervisor)

    response = client.post(
        url("category", "create"),
        {
            "name": "Refunds",
            "parent": category.pk,
            "default_team": other_team.pk,
            "description": "Money back.",
            "sort_order": 3,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    entry = Category.objects.get(name="Refunds")
    assert entry.parent == category
    assert entry.full_name == "Accounts › Refunds"
    assert entry.get_team() == other_team


def test_catalog_entry_without_team_routes_to_its_parents(client, supervisor, category, team):
    client.force_login(supervisor)

    data = {"name": "Login", "parent": category.pk, "sort_order": 0, "is_active": "on"}
    client.post(url("category", "create"), data)

    entry = Category.objects.get(name="Login")
    assert entry.default_team is None
    assert entry.get_team() == team


def test_supervisor_edits_a_catalog_entry(client, supervisor, category, other_team):
    client.force_login(supervisor)
    data = submitted_values(edit_form(client.get(url("category", "edit", category.pk))))
    data.update({"default_team": [str(other_team.pk)], "name": ["Accounts and access"]})

    assert client.post(url("category", "edit", category.pk), data).status_code == 302

    category.refresh_from_db()
    assert (category.name, category.default_team) == ("Accounts and access", other_team)


def test_supervisor_creates_and_edits_a_resolution_code(client, supervisor):
    client.force_login(supervisor)

    data = {"code": "escalated", "label": "Escalated", "sort_order": 2, "is_active": "on"}
    client.post(url("resolutioncode", "create"), data)
    code = ResolutionCode.objects.get(code="escalated")
    data = submitted_values(edit_form(client.get(url("resolutioncode", "edit", code.pk))))
    data.update({"label": ["Escalated to the vendor"], "is_active": []})
    client.post(url("resolutioncode", "edit", code.pk), data)

    code.refresh_from_db()
    assert (code.label, code.is_active) == ("Escalated to the vendor", False)


def test_supervisor_creates_a_canned_response_whose_placeholders_fill_in(client, supervisor, agent, ticket, team):
    client.force_login(supervisor)

    response = client.post(
        url("cannedresponse", "create"),
        {
            "title": "We are on it",
            "body": (
                "Hello {requester_name}, {agent_name} of {team} works on {reference}: {subject}. "
                "{nope} {beneficiary_name}"
            ),
            "team": team.pk,
            "sort_order": 1,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    canned = CannedResponse.objects.get(title="We are on it")
    assert canned.render_for(ticket, agent) == (
        f"Hello Rita Requester, Alice Agent of Helpdesk works on {ticket.reference}: Cannot log in. "
        "{nope} Rita Requester"
    )


def test_supervisor_edits_a_canned_response(client, supervisor, canned, ticket, agent):
    client.force_login(supervisor)
    data = submitted_values(edit_form(client.get(url("cannedresponse", "edit", canned.pk))))
    data.update({"body": ["Dear {requester_name}, see {reference}."], "team": [""]})

    assert client.post(url("cannedresponse", "edit", canned.pk), data).status_code == 302

    canned.refresh_from_db()
    assert canned.team is None
    assert canned.render_for(ticket, agent) == f"Dear Rita Requester, see {ticket.reference}."


def test_canned_response_help_lists_the_placeholders(client, supervisor):
    client.force_login(supervisor)

    body = client.get(url("cannedresponse", "create")).content.decode()

    for name in CannedResponse.PLACEHOLDERS:
        assert "{%s}" % name in body


def test_supervisor_deletes_an_unused_resolution_code(client, supervisor, code):
    client.force_login(supervisor)

    assert client.post(url("resolutioncode", "delete", code.pk)).status_code == 302

    assert not ResolutionCode.objects.filter(pk=code.pk).exists()


# Agents: view only ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_agent_lists_without_add_or_edit(client, agent, instances, model):
    client.force_login(agent)

    response = client.get(url(model, "index"))

    assert response.status_code == 200
    body = response.content.decode()
    assert url(model, "create") not in body
    assert url(model, "edit", instances[model].pk) not in body
    assert url(model, "delete", instances[model].pk) not in body


@pytest.mark.parametrize("model", MODELS)
def test_agent_may_not_create(client, agent, model):
    client.force_login(agent)
    before = MODELS[model].objects.count()

    assert refused_to_admin_home(client.get(url(model, "create")))
    data = {"name": "New", "slug": "new", "code": "new", "label": "New", "title": "New", "body": "x", "sort_order": 0}
    assert refused_to_admin_home(client.post(url(model, "create"), data))

    assert MODELS[model].objects.count() == before


def test_agent_may_not_edit_or_delete(client, agent, instances):
    client.force_login(agent)
    snapshot = {model: MODELS[model].objects.filter(pk=obj.pk).values().get() for model, obj in instances.items()}

    for model, obj in instances.items():
        assert refused_to_admin_home(client.get(url(model, "edit", obj.pk)))
        hacked = {"name": "Hacked", "label": "Hacked", "title": "Hacked", "body": "Hacked"}
        assert refused_to_admin_home(client.post(url(model, "edit", obj.pk), hacked))
        assert refused_to_admin_home(client.post(url(model, "delete", obj.pk)))

    for model, obj in instances.items():
        assert MODELS[model].objects.filter(pk=obj.pk).values().get() == snapshot[model]


def test_agent_may_not_add_themselves_to_another_team(client, agent, other_team):
    client.force_login(agent)

    data = {"name": "Billing", "slug": "billing", "members": [agent.pk], "is_active": "on"}
    client.post(url("team", "edit", other_team.pk), data)

    assert not other_team.members.filter(pk=agent.pk).exists()


# Everybody else: refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_admin_user_who_is_no_agent_is_refused(client, admin_only_user, instances, model):
    client.force_login(admin_only_user)
    obj = instances[model]

    assert refused_to_admin_home(client.get(url(model, "index")))
    assert refused_to_admin_home(client.get(url(model, "create")))
    assert refused_to_admin_home(client.get(url(model, "edit", obj.pk)))
    assert refused_to_admin_home(client.post(url(model, "delete", obj.pk)))
    assert MODELS[model].objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("who", [None, "requester"])
def test_anonymous_and_non_admin_users_are_sent_to_the_login(client, request, instances, model, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    obj = instances[model]

    assert refused_to_login(client.get(url(model, "index")))
    assert refused_to_login(client.get(url(model, "edit", obj.pk)))
    assert refused_to_login(client.post(url(model, "delete", obj.pk)))
    assert MODELS[model].objects.filter(pk=obj.pk).exists()


# The "Support" menu ---------------------------------------------------------------------------------------


def support_menu(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    items = {item.label: item for item in admin_menu.menu_items_for_request(request)}
    support = items.get("Support")
    if support is None:
        return None
    return [str(item.label) for item in support.menu.menu_items_for_request(request)]


def test_support_menu_for_a_supervisor(supervisor):
    labels = support_menu(supervisor)

    assert "New ticket" in labels
    assert labels[-10:] == [
        "Teams", "Service catalog", "Resolution codes", "Canned responses", "Business hours", "Service levels",
        "Outgoing mail", "Incoming mail", "Personal data", "Webhooks",
    ]
    assert labels.index("New ticket") < labels.index("Teams")


def test_support_menu_for_an_agent_lists_the_configuration_too(agent):
    labels = support_menu(agent)

    assert labels[-4:] == ["Teams", "Service catalog", "Resolution codes", "Canned responses"]
    # Service levels are for supervisors.
    assert "Business hours" not in labels and "Service levels" not in labels
    # The mail records are for supervisors: they show mail about every team's tickets.
    assert "Outgoing mail" not in labels and "Incoming mail" not in labels
    # A person's data, exported or erased: supervisors only (``erase_personal_data``).
    assert "Personal data" not in labels
    # Webhooks send ticket data outside: supervisors only.
    assert "Webhooks" not in labels


def test_no_support_menu_for_an_admin_user_who_is_no_agent(admin_only_user):
    assert support_menu(admin_only_user) is None


# Groups and Wagtail's group editor ------------------------------------------------------------------------


CONFIG_CODENAMES = [f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete", "view")]


def test_groups_hold_the_permissions_of_groups_py():
    for name, expected in groups.GROUPS.items():
        group = Group.objects.get(name=name)
        held = set(group.permissions.values_list("content_type__app_label", "codename"))
        assert set(expected) <= held, name


def test_agents_only_view_the_configuration_and_supervisors_manage_it():
    def codenames(name):
        permissions = Group.objects.get(name=name).permissions.filter(content_type__app_label="wagtail_support")
        return set(permissions.values_list("codename", flat=True))

    agents, supervisors = codenames(groups.AGENTS), codenames(groups.SUPERVISORS)

    assert {c for c in CONFIG_CODENAMES if c.startswith("view_")} <= agents
    assert not {c for c in CONFIG_CODENAMES if not c.startswith("view_")} & agents
    assert set(CONFIG_CODENAMES) <= supervisors
    assert {"work_on_tickets"} <= agents and "view_all_tickets" not in agents
    assert {"work_on_tickets", "view_all_tickets"} <= supervisors


@pytest.mark.parametrize("group_name", [groups.AGENTS, groups.SUPERVISORS])
def test_group_editor_shows_the_support_permissions_as_held(client, superuser, group_name):
    client.force_login(superuser)
    group = Group.objects.get(name=group_name)

    response = client.get(reverse("wagtailusers_groups:edit", args=[group.pk]))

    assert response.status_code == 200
    checkboxes = soup(response).find_all("input", attrs={"name": "permissions"})
    boxes = {box["value"]: box.has_attr("checked") for box in checkboxes}
    held = set(group.permissions.values_list("pk", flat=True))
    for codename in CONFIG_CODENAMES + ["work_on_tickets", "view_all_tickets"]:
        permission = perm(codename)
        assert str(permission.pk) in boxes, f"{codename} is not in the group editor"
        assert boxes[str(permission.pk)] == (permission.pk in held), codename


def test_site_owner_lets_agents_edit_canned_responses_in_the_group_editor(client, superuser, agent, canned):
    client.force_login(superuser)
    group = Group.objects.get(name=groups.AGENTS)
    edit_url = reverse("wagtailusers_groups:edit", args=[group.pk])
    form = soup(client.get(edit_url)).find("input", attrs={"name": "name"}).find_parent("form")
    data = submitted_values(form)
    data["permissions"] = data.get("permissions", []) + [str(perm("change_cannedresponse").pk)]

    response = client.post(edit_url, data)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert group.permissions.filter(codename="change_cannedresponse").exists()
    # Nothing else the agents had was lost on the way.
    held = set(group.permissions.values_list("codename", flat=True))
    assert {codename for _app, codename in groups.AGENT_PERMISSIONS} <= held

    client.force_login(agent)
    assert client.get(url("cannedresponse", "edit", canned.pk)).status_code == 200
    assert refused_to_admin_home(client.get(url("team", "edit", agent.support_teams.get().pk)))


# The mail logs: labels, not codes, and a preview of the mail ------------------------------------------------


from wagtail_support import access, workflow  # noqa: E402
from wagtail_support.admin.mail_preview import SIGNED_VALUE  # noqa: E402
from wagtail_support.models import InboundMail, Message, OutboundMail  # noqa: E402
from wagtail_support.notifications.render import build_email  # noqa: E402

HOSTILE = '<script>alert("x")</script><img src="https://tracker.example/pixel.gif" onerror="alert(1)">'


@pytest.fixture
def reply_mail(ticket, agent, support_page):
    """The mail of Alice's reply to Rita, with markup typed in the reply."""
    workflow.reply(ticket, by=agent, body=f"Try again now. {HOSTILE}")
    return OutboundMail.objects.get(event="agent_reply")


def main_text(response):
    return soup(response).select_one("main").get_text(" ", strip=True)


def inspect_fields(response):
    page = soup(response)
    return {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in page.select("main dl dt")}


def test_outgoing_mail_list_speaks_in_labels(client, supervisor, reply_mail):
    client.force_login(supervisor)

    response = client.get(url_for(OutboundMail, "index"))

    text = main_text(response)
    assert "Reply from the support team" in text  # the event, in the list and in its filter
    assert "agent_reply" not in text
    filters = [link.get_text(strip=True) for link in soup(response).select("main a[href*='audience=']")]
    assert filters == ["Requester", "Agent"]
    # Column headings as people write them.
    headings = [th.get_text(" ", strip=True) for th in soup(response).select("main table thead th")]
    assert all(heading[:1].isupper() for heading in headings if heading), headings


def test_outgoing_mail_filter_by_event_label(client, supervisor, reply_mail, ticket, agent):
    workflow.reply(ticket, by=agent, body="A note for the team.", internal=True)
    client.force_login(supervisor)

    response = client.get(url_for(OutboundMail, "index"), {"event": "agent_reply"})

    rows = soup(response).select("main table tbody tr")
    assert len(rows) == OutboundMail.objects.filter(event="agent_reply").count() >= 1
    assert "Internal note" in main_text(client.get(url_for(OutboundMail, "index")))


def test_outgoing_mail_inspect_shows_labels(client, supervisor, reply_mail):
    client.force_login(supervisor)

    fields = inspect_fields(client.get(url_for(OutboundMail, "inspect", reply_mail.pk)))

    assert fields["Event"] == "Reply from the support team"
    assert fields["Audience"] == "Requester"
    assert fields["Recipient"] == "requester@example.com"
    assert fields["Language"] in {"English", ""} or fields["Language"] == "-"
    assert all(label[:1].isupper() for label in fields), list(fields)


def test_outgoing_mail_preview_shows_the_mail_as_sent_in_a_sandbox(client, supervisor, reply_mail):
    client.force_login(supervisor)
    sent = build_email(reply_mail)

    response = client.get(url_for(OutboundMail, "inspect", reply_mail.pk))

    page = soup(response)
    preview = page.select_one(".wsw-mail-preview")
    text = preview.get_text(" ", strip=True)
    assert sent.subject in text and "requester@example.com" in text and sent.from_email in text
    assert "Try again now." in preview.select_one(".wsw-mail-preview__text").get_text()
    (frame,) = preview.select("iframe")
    assert frame.has_attr("sandbox") and not frame["sandbox"]  # empty: no script, no form, no same origin
    assert "Try again now." in frame["srcdoc"]
    # The markup typed in the reply is text in the mail and never markup in the admin page.
    assert not [s for s in page.find_all("script") if "alert" in s.get_text()]
    assert not page.find("img", src="https://tracker.example/pixel.gif")
    assert "<script>alert" not in response.content.decode()


def test_the_preview_hides_the_requesters_signed_link(client, supervisor, reply_mail):
    client.force_login(supervisor)
    sent = build_email(reply_mail)
    tokens = SIGNED_VALUE.findall(sent.body)
    # The real mail carries the requester's link (else this test proves nothing).
    assert tokens and access.read_link_token(tokens[0].replace("%3A", ":")) is not None

    body = client.get(url_for(OutboundMail, "inspect", reply_mail.pk)).content.decode()

    assert not [t for t in SIGNED_VALUE.findall(body) if access.read_link_token(t.replace("%3A", ":"))]
    assert "…" in body


def test_a_mail_record_that_would_leak_a_note_has_no_preview(client, supervisor, ticket, agent, support_page):
    # A record pointing a requester at an internal note (made by hand: the workflow never writes one).
    workflow.reply(ticket, by=agent, body="Secret: the SSO key leaked again.", internal=True)
    note = Message.objects.get(body__startswith="Secret")
    forged = OutboundMail.objects.create(
        ticket=ticket, message=note, event="agent_reply", audience="requester",
        recipient="requester@example.com", internet_message_id="<forged@example.com>",
    )
    client.force_login(supervisor)

    response = client.get(url_for(OutboundMail, "inspect", forged.pk))

    assert response.status_code == 200
    assert "SSO key" not in response.content.decode()
    assert "has no preview" in main_text(response)


RAW_INBOUND = (
    "From: Mallory <mallory@example.net>\r\n"
    "To: support@example.com\r\n"
    "Subject: Invoice overdue\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease pay the attached invoice.\r\n"
    "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    f"<p>Please <b>pay</b> now.</p>{HOSTILE}\r\n"
    "--b1--\r\n"
)


def test_incoming_mail_preview_shows_its_html_as_text_only(client, supervisor):
    record = InboundMail.objects.create(
        dedupe_key="mallory-1", from_email="mallory@example.net", subject="Invoice overdue",
        status=InboundMail.Status.QUARANTINED, reason=InboundMail.Reason.UNKNOWN_SENDER, raw=RAW_INBOUND,
    )
    client.force_login(supervisor)

    response = client.get(url_for(InboundMail, "inspect", record.pk))

    page = soup(response)
    preview = page.select_one(".wsw-mail-preview")
    text = preview.get_text(" ", strip=True)
    assert "Invoice overdue" in text and "mallory@example.net" in text and "support@example.com" in text
    assert "Please pay the attached invoice." in text
    assert "Please pay now." in text  # the HTML part, as text
    assert not preview.find("iframe") and not preview.find("b")
    assert not page.find("img", src="https://tracker.example/pixel.gif")
    assert not [s for s in page.find_all("script") if "alert" in s.get_text()]
    fields = inspect_fields(response)
    assert fields["Reason"] == "The sender takes no part in the ticket" and fields["Status"] == "Quarantined"
    assert "Sender" in fields and "Received" in fields
