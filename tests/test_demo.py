"""``manage.py support_demo``: the demo data is complete, goes through the workflow and is idempotent.

The demo lives in the example site (``example_site.demo``), not in the package, and the command runs only
with DEBUG on (Django's test runner turns it off: the ``debug`` fixture turns it back on).
"""

import importlib.util
import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command, get_commands
from wagtail.models import Page, PageLogEntry, Site

from example_site.demo.faq import FAQ_PAGE_SLUG
from example_site.demo.tickets import TICKETS, demo_tickets
from example_site.home.models import HomePage
from wagtail_support import access
from wagtail_support.groups import AGENTS, SUPERVISORS
from wagtail_support.models import Category, Message, ResolutionCode, Team, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("debug")]


@pytest.fixture
def debug(settings):
    """support_demo refuses to run without DEBUG; the test runner sets it off."""
    settings.DEBUG = True


def run(*args):
    out = io.StringIO()
    call_command("support_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Everything the command may create or change, as comparable values."""
    User = get_user_model()
    return {
        "users": sorted(User.objects.values_list("username", "password", "is_superuser", "is_staff")),
        "memberships": sorted(Team.members.through.objects.values_list("team__slug", "user__username")),
        "user_groups": sorted(User.groups.through.objects.values_list("user__username", "group__name")),
        "teams": sorted(Team.objects.values_list("slug", "name", "contact_email")),
        "categories": sorted(Category.objects.values_list("pk", "parent_id", "name", "default_team_id")),
        "codes": sorted(ResolutionCode.objects.values_list("code", "label")),
        "tickets": sorted(Ticket.objects.values_list("pk", "number", "status", "version", "updated_at", "assignee_id")),
        "messages": Message.objects.count(),
        "pages": sorted(Page.objects.values_list("pk", "path", "title", "live")),
        "sites": sorted(Site.objects.values_list("pk", "hostname", "port", "root_page_id", "is_default_site")),
        "groups": sorted((g.name, g.permissions.count()) for g in Group.objects.all()),
    }


def printed_logins(output):
    """The (username, password) pairs of the logins table the command prints."""
    table = output.split("Logins", 1)[1].strip().splitlines()[1:]  # skip the header row
    return [tuple(re.split(r"\s{2,}", line.strip())[:2]) for line in table]


def test_seeds_everything_and_second_run_changes_nothing():
    first_output = run()
    first = snapshot()
    second_output = run()
    assert snapshot() == first

    assert "created 36" in first_output
    assert "found 36 demo tickets, none created" in second_output
    assert not re.search(r"created [1-9]", second_output)

    tickets = demo_tickets()
    assert tickets.count() == len(TICKETS) == Ticket.objects.count()
    for status in Ticket.Status.values:
        assert tickets.filter(status=status).exists(), status
    for reason in Ticket.CloseReason.values:
        assert tickets.filter(status=Ticket.Status.CLOSED, close_reason=reason).exists(), reason
    for kind in Ticket.Kind.values:
        assert tickets.filter(kind=kind).exists(), kind
    for priority in Ticket.Priority.values:
        assert tickets.filter(priority=priority).exists(), priority

    assert Message.objects.internal().filter(ticket__in=tickets).exists()
    assert Message.objects.public().filter(ticket__in=tickets, author_role=Message.AuthorRole.AGENT).exists()
    assert tickets.filter(requester_user__username="paul").exists()
    assert tickets.filter(requester_user__isnull=True).exists()
    assert tickets.filter(beneficiary_email__gt="").exists()
    assert tickets.filter(assignee__username="anna").exists()
    assert tickets.filter(assignee__username="pierre").exists()
    assert tickets.filter(assignee__isnull=True).exists()
    assert not tickets.filter(team__isnull=True).exists()

    # Workflow fields agree with the status: nothing was set by hand.
    for ticket in tickets:
        if ticket.status == Ticket.Status.CLOSED:
            assert ticket.closed_at is not None
            if ticket.close_reason == Ticket.CloseReason.RESOLVED:
                assert ticket.resolution_code is not None and ticket.solution
            elif ticket.close_reason == Ticket.CloseReason.ABANDONED:
                assert ticket.resolution_code.code == ResolutionCode.NO_FOLLOW_UP
        else:
            assert ticket.closed_at is None and ticket.close_reason == "" and ticket.resolution_code is None
        assert ticket.messages.filter(author_role=Message.AuthorRole.REQUESTER).exists()

    codes = set(ResolutionCode.objects.values_list("code", flat=True))
    assert {"fixed", "answered", "workaround", "duplicate", "not-reproducible", "no-follow-up"} <= codes
    assert set(Team.objects.values_list("slug", flat=True)) >= {"helpdesk", "billing", "technical"}
    assert Category.objects.get(name="Invoices").get_team().slug == "billing"


def test_printed_passwords_work_and_roles_are_right():
    output = run()
    logins = printed_logins(output)
    assert {username for username, _ in logins} == {"admin", "anna", "pierre", "sophie", "paul"}
    users = {}
    for username, password in logins:
        user = authenticate(None, username=username, password=password)
        assert user is not None, username
        users[username] = user

    assert users["admin"].is_superuser
    assert not access.is_agent(users["paul"])
    assert not users["paul"].has_perm("wagtailadmin.access_admin")
    assert access.is_agent(users["anna"]) and access.is_agent(users["pierre"])
    assert not access.can_view_all(users["anna"])
    assert access.can_view_all(users["sophie"])
    assert set(users["anna"].support_teams.values_list("slug", flat=True)) == {"helpdesk", "technical"}
    assert set(users["pierre"].support_teams.values_list("slug", flat=True)) == {"billing"}
    assert users["pierre"].get_full_name() == "Pierre Durand"
    assert users["sophie"].groups.filter(name=SUPERVISORS).exists()
    assert users["anna"].groups.filter(name=AGENTS).exists()


def test_existing_passwords_are_kept_unless_reset():
    run("--no-tickets")
    anna = get_user_model().objects.get(username="anna")
    anna.set_password("my own secret")
    anna.save()

    output = run("--no-tickets")
    assert authenticate(None, username="anna", password="my own secret") is not None
    assert "--reset-passwords" in dict(printed_logins(output))["anna"]

    run("--no-tickets", "--reset-passwords")
    assert authenticate(None, username="anna", password="annademo123") is not None


def test_no_tickets_option():
    output = run("--no-tickets")
    assert "skipped (--no-tickets)" in output
    assert not Ticket.objects.exists()
    assert get_user_model().objects.filter(username="paul").exists()


def test_home_page_replaces_the_untouched_default_page():
    run("--no-tickets")
    site = Site.objects.get(is_default_site=True)
    # The demo serves on PORT (8000 by default), and links in mails must carry it.
    assert (site.hostname, site.port) == ("localhost", 8000)
    assert isinstance(site.root_page.specific, HomePage)
    assert site.root_page.title == "wagtail-support example"
    assert site.root_page.specific.intro
    assert not Page.objects.filter(title="Welcome to your new Wagtail site!").exists()
    assert Page.objects.filter(depth=2).count() == 1


def test_an_edited_default_page_is_left_alone():
    page = Site.objects.get(is_default_site=True).root_page
    page.title = "Our real home page"
    page.save()

    output = run("--no-tickets")
    assert "left as it is" in output
    page.refresh_from_db()
    assert Site.objects.get(is_default_site=True).root_page_id == page.pk
    assert HomePage.objects.count() == 1  # created beside it, under the root
    assert not PageLogEntry.objects.filter(action="wagtail.delete").exists()


def test_keeps_the_callers_mail_outbox():
    sentinel = ["a mail of the caller"]
    mail.outbox = sentinel
    run()
    assert mail.outbox is sentinel and mail.outbox == ["a mail of the caller"]


def test_the_demo_is_not_in_the_package():
    assert importlib.util.find_spec("wagtail_support.demo") is None
    assert importlib.util.find_spec("wagtail_support.demo_faq") is None
    assert importlib.util.find_spec("wagtail_support.management.commands.support_demo") is None
    assert get_commands()["support_demo"] == "example_site.demo"


def test_seeds_the_support_and_faq_pages():
    run("--no-tickets")
    home = Site.objects.get(is_default_site=True).root_page
    assert home.get_children().filter(slug="support", live=True).exists()
    assert home.get_children().filter(slug=FAQ_PAGE_SLUG, live=True).exists()


def test_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    User = get_user_model()
    users_before = User.objects.count()
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"known passwords.*DEBUG = True"):
        call_command("support_demo", stdout=out)
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="admin").exists()
    assert not Ticket.objects.exists() and not Team.objects.exists()
    assert out.getvalue() == ""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_notification_mails_are_kept_off_the_configured_backend():
    # In a real transaction the notifications go out on commit, while the command swaps in its own outbox.
    mail.outbox = []
    output = run()
    generated = int(re.search(r"notification mails:\s+(\d+) generated", output).group(1))
    assert generated > 0
    assert mail.outbox == []
