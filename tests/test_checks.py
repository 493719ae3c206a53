"""The system checks that catch a site that would lose mail, answer 500 or be open to anyone: each one fires
on the real mistake (settings, urlconf, rows in the database) and stays quiet once it is fixed, through
Django's own ``check`` command as a site owner runs it."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from tests import factories
from wagtail_support import checks
from wagtail_support.groups import AGENTS, SUPERVISORS


# A site's urlconf that forgot ``include("wagtail_support.urls")`` (the URL test points ROOT_URLCONF here).
urlpatterns = [path("admin/", include(wagtailadmin_urls)), path("", include(wagtail_urls))]


def run(check, **kwargs):
    return {message.id: message for message in check(app_configs=None, **kwargs)}


def run_command(*args):
    """``manage.py check`` as a site owner runs it: the output, or the SystemCheckError it ends with."""
    out = StringIO()
    try:
        call_command("check", *args, stdout=out, stderr=out)
    except SystemCheckError as error:
        return str(error)
    return out.getvalue()


# The task queue -----------------------------------------------------------------------------------------


@pytest.fixture
def mail_queue_backend(settings):
    """A task backend that accepts only the "mail" queue (django_tasks forgets its backends when TASKS
    changes, and again when the fixture puts it back)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["mail"]}}


def test_a_task_queue_the_backend_refuses_is_an_error(settings, mail_queue_backend):
    settings.WAGTAILSUPPORT_TASK_QUEUE = "default"
    (message,) = run(checks.check_task_queue).values()
    assert isinstance(message, Error) and message.id == "wagtail_support.E005"
    assert "'default'" in message.msg and "no support mail" in message.msg
    assert "mail" in message.hint and "QUEUES" in message.hint
    assert "wagtail_support.E005" in run_command()


def test_a_task_queue_the_backend_accepts_is_quiet(settings, mail_queue_backend):
    settings.WAGTAILSUPPORT_TASK_QUEUE = "mail"
    assert run(checks.check_task_queue) == {}


def test_the_default_queue_of_the_default_backend_is_quiet():
    assert run(checks.check_task_queue) == {}


def test_the_queue_the_check_accepts_is_the_one_mail_is_enqueued_on(settings, mail_queue_backend):
    """The check asks the backend the same question as the enqueue: what it refuses, the outbox cannot send."""
    from django_tasks.exceptions import InvalidTaskError

    from wagtail_support.tasks import send_recorded_mail

    settings.WAGTAILSUPPORT_TASK_QUEUE = "default"
    with pytest.raises(InvalidTaskError):
        send_recorded_mail.using(queue_name="default").enqueue(mail_id=0)


# The URL include ------------------------------------------------------------------------------------------


def test_urls_not_included_is_an_error(settings):
    settings.ROOT_URLCONF = __name__  # this module's urlpatterns: Wagtail without the support URLs
    (message,) = run(checks.check_urls_included).values()
    assert isinstance(message, Error) and message.id == "wagtail_support.E006"
    assert 'include("wagtail_support.urls")' in message.hint
    assert "wagtail_support.E006" in run_command("--tag", "urls")


def test_urls_included_are_quiet():
    assert run(checks.check_urls_included) == {}


# The sender -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["webmaster@localhost", "Support <help@localhost>", "", "nobody"])
def test_a_sender_of_no_real_domain_is_a_warning(settings, sender):
    settings.DEFAULT_FROM_EMAIL = sender
    settings.WAGTAILSUPPORT_FROM_EMAIL = None
    (message,) = run(checks.check_sender).values()
    assert isinstance(message, Warning) and message.id == "wagtail_support.W002"
    assert "DEFAULT_FROM_EMAIL" in message.hint


def test_the_support_sender_setting_counts_before_django_s(settings):
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"
    settings.WAGTAILSUPPORT_FROM_EMAIL = "Support <support@example.org>"
    assert run(checks.check_sender) == {}
    settings.DEFAULT_FROM_EMAIL = "Example <hello@example.org>"
    settings.WAGTAILSUPPORT_FROM_EMAIL = "webmaster@localhost"
    assert "wagtail_support.W002" in run(checks.check_sender)


def test_a_real_sender_is_quiet(settings):
    settings.DEFAULT_FROM_EMAIL = "Support <support@example.org>"
    assert run(checks.check_sender) == {}


# Agents (a database check) ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_group_without_members_is_a_warning():
    assert Group.objects.filter(name=AGENTS).exists()  # made by the migration
    (message,) = run(checks.check_agents, databases=["default"]).values()
    assert isinstance(message, Warning) and message.id == "wagtail_support.W003"
    assert AGENTS in message.msg and "Support > Teams" in message.hint


@pytest.mark.django_db
def test_superusers_and_inactive_agents_are_no_agents():
    get_user_model().objects.create_superuser("root", "root@example.org", "x")
    factories.make_agent("gone").__class__.objects.filter(username="gone").update(is_active=False)
    assert "wagtail_support.W003" in run(checks.check_agents, databases=["default"])


@pytest.mark.django_db
@pytest.mark.parametrize("group", [AGENTS, SUPERVISORS])
def test_an_agent_or_a_supervisor_makes_it_quiet(group):
    factories.make_user("worker", groups=[group])
    assert run(checks.check_agents, databases=["default"]) == {}


@pytest.mark.django_db
def test_without_the_group_there_is_nothing_to_say():
    Group.objects.filter(name=AGENTS).delete()
    assert run(checks.check_agents, databases=["default"]) == {}


@pytest.mark.django_db
def test_database_checks_read_nothing_unless_asked(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert run(checks.check_agents) == {}
        assert run(checks.check_demo_passwords) == {}
        assert run(checks.check_agents, databases=["other"]) == {}


@pytest.mark.django_db
def test_database_checks_run_with_check_database():
    assert "wagtail_support.W003" in run_command("--database", "default")


# The demo's known passwords (a database check) ------------------------------------------------------------


def make_demo_account(username, password):
    return get_user_model().objects.create_user(username, f"{username}@example.com", password)


@pytest.mark.django_db
def test_demo_accounts_with_their_passwords_and_debug_off_are_an_error(settings):
    settings.DEBUG = False
    make_demo_account("admin", "admin")
    make_demo_account("anna", "annademo123")
    make_demo_account("pierre", "changed-since")
    (message,) = run(checks.check_demo_passwords, databases=["default"]).values()
    assert isinstance(message, Error) and message.id == "wagtail_support.E007"
    assert "admin, anna" in message.msg and "pierre" not in message.msg
    assert "changepassword" in message.hint
    assert "wagtail_support.E007" in run_command("--database", "default")


@pytest.mark.django_db
def test_the_check_writes_nothing(settings):
    """Checking a password may rehash it (``user.check_password`` saves): the check must not."""
    settings.DEBUG = False
    user = make_demo_account("admin", "admin")
    with CaptureQueriesContext(connection) as queries:
        run(checks.check_demo_passwords, databases=["default"])
    assert len(queries) == 1 and queries[0]["sql"].lstrip().upper().startswith("SELECT")
    user.refresh_from_db()


@pytest.mark.django_db
def test_demo_accounts_are_quiet_with_debug_on(settings):
    settings.DEBUG = True
    make_demo_account("admin", "admin")
    assert run(checks.check_demo_passwords, databases=["default"]) == {}


@pytest.mark.django_db
def test_changed_passwords_and_inactive_demo_accounts_are_quiet(settings):
    settings.DEBUG = False
    make_demo_account("admin", "a long and private passphrase")
    make_demo_account("sophie", "sophiedemo123").__class__.objects.filter(username="sophie").update(is_active=False)
    assert run(checks.check_demo_passwords, databases=["default"]) == {}


def test_the_known_passwords_are_the_demo_s():
    """The check's list is the accounts ``support_demo`` really creates (the demo is not in the wheel)."""
    from example_site.demo.tickets import USERS

    assert checks.DEMO_ACCOUNTS == {spec.username: spec.password for spec in USERS}


def test_sqlite_without_immediate_transactions_is_a_warning(settings):
    from wagtail_support.checks import check_sqlite_writers_wait

    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}
    settings.DATABASES = {**settings.DATABASES, "other": sqlite}
    warnings = check_sqlite_writers_wait(None, databases=["other"])
    assert [warning.id for warning in warnings] == ["wagtail_support.W004"]
    assert "transaction_mode" in warnings[0].hint

    settings.DATABASES = {**settings.DATABASES, "other": {**sqlite, "OPTIONS": {"transaction_mode": "IMMEDIATE"}}}
    assert check_sqlite_writers_wait(None, databases=["other"]) == []
    # PostgreSQL needs nothing, and without --database the check reads no setting at all.
    settings.DATABASES = {**settings.DATABASES, "other": {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}}
    assert check_sqlite_writers_wait(None, databases=["other"]) == []
    assert check_sqlite_writers_wait(None, databases=None) == []


# Settings › Support ---------------------------------------------------------------------------------------


def test_without_wagtail_contrib_settings_is_an_error(monkeypatch):
    # Django's app registry as a site without the app answers (changing INSTALLED_APPS reloads the URLs,
    # which a mounted API router refuses).
    is_installed = checks.apps.is_installed
    monkeypatch.setattr(checks.apps, "is_installed", lambda name: name != "wagtail.contrib.settings" and is_installed(name))
    (message,) = run(checks.check_site_settings_app).values()
    assert isinstance(message, Error) and message.id == "wagtail_support.E008"
    assert '"wagtail.contrib.settings"' in message.hint


def test_with_wagtail_contrib_settings_is_quiet():
    assert run(checks.check_site_settings_app) == {}
