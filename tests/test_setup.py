"""What a site owner gets from installing and migrating: groups, permissions, built-in data, history."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from wagtail_support import access
from wagtail_support.models import ResolutionCode

pytestmark = pytest.mark.django_db


def test_migrations_create_the_two_groups_with_their_permissions():
    agents = Group.objects.get(name="Support agents")
    supervisors = Group.objects.get(name="Support supervisors")
    agent_perms = {f"{p.content_type.app_label}.{p.codename}" for p in agents.permissions.all()}
    supervisor_perms = {f"{p.content_type.app_label}.{p.codename}" for p in supervisors.permissions.all()}
    assert {"wagtailadmin.access_admin", access.PERM_WORK} <= agent_perms
    assert access.PERM_VIEW_ALL not in agent_perms
    assert {access.PERM_WORK, access.PERM_VIEW_ALL, "wagtail_support.change_category"} <= supervisor_perms


def test_group_membership_makes_agents_and_supervisors(django_user_model):
    anna = django_user_model.objects.create_user("anna", "anna@example.com", "x")
    sophie = django_user_model.objects.create_user("sophie", "sophie@example.com", "x")
    paul = django_user_model.objects.create_user("paul", "paul@example.com", "x")
    anna.groups.add(Group.objects.get(name="Support agents"))
    sophie.groups.add(Group.objects.get(name="Support supervisors"))
    anna, sophie, paul = (django_user_model.objects.get(pk=u.pk) for u in (anna, sophie, paul))
    assert access.is_agent(anna) and not access.can_view_all(anna)
    assert access.is_agent(sophie) and access.can_view_all(sophie)
    assert not access.is_agent(paul) and not access.can_view_all(paul)


def test_support_groups_command_restores_removed_permissions(capsys):
    agents = Group.objects.get(name="Support agents")
    agents.permissions.clear()
    call_command("support_groups")
    assert agents.permissions.filter(codename="work_on_tickets").exists()
    assert "Support agents" in capsys.readouterr().out


def test_no_follow_up_code_is_built_in_and_translated():
    code = ResolutionCode.objects.get(code=ResolutionCode.NO_FOLLOW_UP)
    assert code.is_builtin
    from django.utils import translation

    with translation.override("fr"):
        assert str(code) == "Sans suite"
    with translation.override("en"):
        assert str(code) == "No follow-up"


def test_custom_permissions_appear_in_wagtail_group_editor(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)
    group = Group.objects.get(name="Support agents")
    response = client.get(reverse("wagtailusers_groups:edit", args=[group.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Can work on support tickets (agent)" in html
    assert "Can see the tickets of every team" in html


STARTERS = {
    "solved": ("Solved", "Résolu"),
    "workaround": ("Workaround given", "Contournement fourni"),
    "duplicate": ("Duplicate of another ticket", "Doublon d'un autre ticket"),
    "not-reproducible": ("Could not be reproduced", "Non reproductible"),
}


def test_a_new_site_can_resolve_on_day_one(ticket, agent, client):
    """No supervisor created a code yet: the resolve form offers the starter codes, in the agent's language."""
    from django.utils import translation

    client.force_login(agent)
    page = client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content.decode()
    resolve = page[page.index('name="code"') :]
    resolve = resolve[: resolve.index("</select>")]
    for code, (english, _french) in STARTERS.items():
        assert english in resolve, code
    assert "No follow-up" not in resolve

    from wagtail_support import workflow

    workflow.resolve(ticket, code=ResolutionCode.objects.get(code="solved"), solution="Reset the password.", by=agent)
    ticket.refresh_from_db()
    assert ticket.is_closed and str(ticket.resolution_code) == "Solved"
    with translation.override("fr"):
        assert {code: str(ResolutionCode.objects.get(code=code)) for code in STARTERS} == {
            code: french for code, (_english, french) in STARTERS.items()
        }


def test_a_starter_code_renamed_by_a_supervisor_shows_its_new_name():
    from django.utils import translation

    ResolutionCode.objects.filter(code="solved").update(label="Fixed for good")
    with translation.override("fr"):
        assert str(ResolutionCode.objects.get(code="solved")) == "Fixed for good"
