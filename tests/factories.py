"""Small helpers to build the people and tickets of a test.

They go through the real models and the real workflow (``workflow.open_ticket``), never around them.
The fixtures of ``conftest.py`` are built with these; a test that needs one more agent, requester or
ticket calls them directly.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from wagtail_support import workflow
from wagtail_support.groups import AGENTS, SUPERVISORS
from wagtail_support.models import Category, ResolutionCode, Team

PASSWORD = "correct horse battery staple"


def make_user(username, *, first_name="", last_name="", email=None, groups=(), teams=()):
    """An active account ``<username>@example.com`` with ``PASSWORD``, in ``groups`` and ``teams``."""
    user = get_user_model().objects.create_user(
        username=username,
        email=email if email is not None else f"{username}@example.com",
        password=PASSWORD,
        first_name=first_name,
        last_name=last_name,
    )
    for name in groups:
        # The groups come from migration 0002: a missing group is a failure, not something to create.
        user.groups.add(Group.objects.get(name=name))
    for team in teams:
        team.members.add(user)
    return user


def make_agent(username, *teams, **kwargs):
    """A user of the "Support agents" group, member of ``teams``."""
    return make_user(username, groups=[AGENTS], teams=teams, **kwargs)


def make_supervisor(username, *teams, **kwargs):
    """A user of the "Support supervisors" group (sees every team), member of ``teams``."""
    return make_user(username, groups=[SUPERVISORS], teams=teams, **kwargs)


def make_team(name, slug=None, **kwargs):
    return Team.objects.create(name=name, slug=slug or name.lower().replace(" ", "-"), **kwargs)


def make_category(name, team=None, parent=None, **kwargs):
    return Category.objects.create(name=name, default_team=team, parent=parent, **kwargs)


def make_code(code, label=None, **kwargs):
    return ResolutionCode.objects.create(code=code, label=label or code.replace("-", " ").capitalize(), **kwargs)


def open_ticket(requester=None, *, subject="Cannot log in", description="The login page says my password is wrong.", **kwargs):
    """Open a ticket through the workflow, as ``requester`` (an account) unless ``by`` says otherwise."""
    return workflow.open_ticket(subject=subject, description=description, requester=requester, **kwargs)


def opened_before(ticket):
    """``ticket`` as if it had been opened before the test: without the records of its opening mails.

    The workflow records a new ticket's mails with it; inside a test's transaction they are never sent.
    A fixture's ticket stands for one that exists already, whose mails are not what the test looks at
    (the mails of an opening have tests of their own).
    """
    ticket.mails.all().delete()
    return ticket


def ticket_form_data(**overrides):
    """What a visitor posts on the support page's ticket form; a ``None`` override leaves a field out."""
    from wagtail_support.models import Ticket

    data = {
        "name": "Ann Onymous",
        "email": "ann@example.com",
        "subject": "The export button does nothing",
        "description": "I click Export and nothing happens.",
        "kind": Ticket.Kind.BUG,
        "priority": Ticket.Priority.NORMAL,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
