"""Uninstalling: ``manage.py migrate wagtail_support zero`` on a fresh site and on a used one.

The README's "Uninstall" section, step by step: delete the support and FAQ pages, unapply every migration
of the app, then remove the stale content types (as ``remove_stale_contenttypes`` does once the app has
left ``INSTALLED_APPS``; scripts/check_install.sh runs the whole section on a real site). Each test then migrates forward again, so that the tests
after it find the schema; the database is flushed and reloaded after it (``serialized_rollback``), as in
the other transactional tests. Runs on SQLite and, in CI, on PostgreSQL.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.apps import apps
from django.db import connection, transaction
from wagtail.models import GroupPagePermission, Page, Site

from tests import factories
from wagtail_support import workflow
from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic
from wagtail_support.groups import AGENTS, SUPERVISORS
from wagtail_support.models import InboundMail, OutboundMail, Ticket
from wagtail_support.pages import SupportPage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def support_tables():
    return sorted(name for name in connection.introspection.table_names() if name.startswith("wagtail_support_"))


def uninstall_and_reinstall():
    """The README's steps, then the app migrated back in, so the next tests have their schema."""
    for page in Page.objects.filter(content_type__app_label="wagtail_support").specific().order_by("-depth"):
        page.delete()
    call_command("migrate", "wagtail_support", "zero", verbosity=0, interactive=False)
    after_zero = {
        "tables": support_tables(),
        "groups": sorted(Group.objects.filter(name__in=[AGENTS, SUPERVISORS]).values_list("name", flat=True)),
    }
    # Once the app has left INSTALLED_APPS, `remove_stale_contenttypes` deletes its content types, and with
    # them its permissions. The app cannot leave the registry of this test process (Wagtail's apps do not
    # load twice), so that deletion is made here and rolled back, keeping the content types' ids that the
    # cache and the next tests know; scripts/check_install.sh runs the command itself on a site whose
    # settings no longer name the app.
    with transaction.atomic():
        ContentType.objects.filter(app_label="wagtail_support").delete()
        after_zero["content_types"] = list(ContentType.objects.filter(app_label="wagtail_support"))
        after_zero["permissions"] = Permission.objects.filter(content_type__app_label="wagtail_support").count()
        transaction.set_rollback(True)
    ContentType.objects.clear_cache()
    call_command("migrate", verbosity=0, interactive=False)
    # As tests/conftest.py does after a flush: the cache filled from the database, so that the objects the
    # next transactional test reloads find their content types instead of creating them again.
    ContentType.objects.clear_cache()
    ContentType.objects.get_for_models(*apps.get_models(), for_concrete_models=False)
    return after_zero


def test_a_fresh_site_uninstalls_and_installs_again():
    assert support_tables(), "the test database should have the app's tables"
    assert Group.objects.filter(name__in=[AGENTS, SUPERVISORS]).count() == 2

    after_zero = uninstall_and_reinstall()

    assert after_zero == {"tables": [], "groups": [], "content_types": [], "permissions": 0}
    # Installed again: the tables, the groups and the starter resolution codes are back.
    assert support_tables()
    assert Group.objects.filter(name__in=[AGENTS, SUPERVISORS]).count() == 2
    assert Ticket.objects.count() == 0


def test_a_used_site_uninstalls_leaving_accounts_and_the_page_tree_whole():
    team = factories.make_team("Helpdesk", "helpdesk")
    agent = factories.make_agent("agent", team, first_name="Alice")
    supervisor = factories.make_supervisor("supervisor")
    requester = factories.make_user("requester")
    category = factories.make_category("Accounts", team)
    site = Site.objects.get(is_default_site=True)
    home = site.root_page
    support = SupportPage(title="Support", slug="support", intro="<p>Tell us.</p>")
    home.add_child(instance=support)
    faq = FAQPage(title="FAQ", slug="faq")
    home.add_child(instance=faq)
    topic = FAQTopic.objects.create(name="Accounts", slug="accounts")
    FAQEntry.objects.create(topic=topic, question="How do I reset my password?", slug="reset", answer="<p>Click.</p>")
    # A site owner gave the agents' group a page permission of Wagtail's: it must not block the uninstall.
    GroupPagePermission.objects.create(
        group=Group.objects.get(name=AGENTS), page=home, permission=Permission.objects.get(codename="change_page")
    )

    ticket = factories.open_ticket(requester, category=category)
    workflow.reply(
        ticket,
        by=agent,
        body="Here is the report you asked for.",
        attachments=[SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")],
    )
    workflow.reply(ticket, by=agent, body="Internal: checked the account history twice.", internal=True)
    code = factories.make_code("fixed", "Fixed")
    workflow.resolve(ticket, code=code, solution="The password was reset.", by=agent)
    InboundMail.objects.create(dedupe_key="uninstall-test", from_email="someone@example.org", subject="Hello")
    assert OutboundMail.objects.exists() and ticket.messages.count() >= 3
    pages_before = Page.objects.count()

    after_zero = uninstall_and_reinstall()

    assert after_zero == {"tables": [], "groups": [], "content_types": [], "permissions": 0}
    # The accounts stay (out of the support groups), and so does the rest of the page tree.
    User = agent.__class__
    assert set(User.objects.values_list("username", flat=True)) >= {"agent", "supervisor", "requester"}
    assert not User.objects.get(pk=supervisor.pk).groups.filter(name=SUPERVISORS).exists()
    assert Page.objects.count() == pages_before - 2
    assert Page.objects.get(pk=home.pk).get_children().count() == 0
    assert Page.find_problems() == ([], [], [], [], [])
    # Installed again: empty, with its groups.
    assert Ticket.objects.count() == 0 and OutboundMail.objects.count() == 0
    assert Group.objects.filter(name__in=[AGENTS, SUPERVISORS]).count() == 2
