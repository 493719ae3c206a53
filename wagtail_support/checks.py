"""System checks for a site's configuration of wagtail-support (``manage.py check``; the database ones with
``check --database default`` and before ``migrate``). Each message's ``hint`` says how to fix it."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, router
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django_tasks.exceptions import InvalidTaskError

from .access import agents
from .conf import support_settings
from .groups import AGENTS
from .setup_status import sender_is_placeholder
from .tasks import send_recorded_mail

REQUIRED_APPS = [
    "wagtail",
    "wagtail.users",
    "wagtail.admin",
    "wagtail.sites",
    "wagtail.snippets",
    "wagtail.contrib.routable_page",
    "wagtail_modeladmin",
]


@register(Tags.compatibility)
def check_required_apps(app_configs, **kwargs):
    errors = []
    for name in REQUIRED_APPS:
        if not apps.is_installed(name):
            errors.append(
                Error(
                    f"wagtail_support needs '{name}' in INSTALLED_APPS.",
                    id="wagtail_support.E001",
                )
            )
    return errors


@register(Tags.compatibility)
def check_site_settings_app(app_configs, **kwargs):
    """Each site's support settings (sender, inbound address, default team, promise, mail look) are a Wagtail
    site setting, edited under Settings › Support."""
    if apps.is_installed("wagtail.contrib.settings"):
        return []
    return [
        Error(
            _("wagtail_support needs 'wagtail.contrib.settings' in INSTALLED_APPS: each site's support settings "
              "(sender, inbound address, default team) could not be edited."),
            hint=_('Add "wagtail.contrib.settings" to INSTALLED_APPS.'),
            id="wagtail_support.E008",
        )
    ]


@register()
def check_settings(app_configs, **kwargs):
    messages = []
    if support_settings.REOPEN_WINDOW_DAYS < 0:
        messages.append(Error("WAGTAILSUPPORT_REOPEN_WINDOW_DAYS must be zero or more.", id="wagtail_support.E002"))
    if support_settings.LINK_MAX_AGE <= 0:
        messages.append(Error("WAGTAILSUPPORT_LINK_MAX_AGE must be a number of seconds above zero.", id="wagtail_support.E003"))
    window = support_settings.CONVERSATION_WINDOW
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 0):
        messages.append(
            Error(
                "WAGTAILSUPPORT_CONVERSATION_WINDOW must be a number of messages above zero, or None for all.",
                id="wagtail_support.E004",
            )
        )
    if support_settings.MAX_ATTACHMENT_SIZE > support_settings.MAX_MESSAGE_ATTACHMENTS_SIZE:
        messages.append(
            Warning(
                "WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE is larger than WAGTAILSUPPORT_MAX_MESSAGE_ATTACHMENTS_SIZE.",
                id="wagtail_support.W001",
            )
        )
    return messages


# A site that would lose mail, answer 500 or be open to anyone: each check says how to fix it (``hint``).

#: The accounts ``manage.py support_demo`` creates, with their known passwords (example_site/demo/tickets.py,
#: kept in step by a test). On a site with DEBUG off, any of them still holding its password is an open door.
DEMO_ACCOUNTS = {
    "admin": "admin",
    "anna": "annademo123",
    "pierre": "pierredemo123",
    "sophie": "sophiedemo123",
    "paul": "pauldemo123",
    "marc": "marcdemo123",
}


@register(Tags.compatibility)
def check_task_queue(app_configs, **kwargs):
    """WAGTAILSUPPORT_TASK_QUEUE must be a queue the task backend accepts: the backend refuses the task at
    enqueue time, after the move is committed, so every mail would wait for a retry that fails the same way."""
    queue = support_settings.TASK_QUEUE
    backend = send_recorded_mail.get_backend()
    try:
        send_recorded_mail.using(queue_name=queue)
    except InvalidTaskError as error:
        accepted = ", ".join(sorted(backend.queues)) or "-"
        return [
            Error(
                _("WAGTAILSUPPORT_TASK_QUEUE is %(queue)r, which the task backend %(alias)r refuses (%(error)s): "
                  "no support mail would be sent.") % {"queue": queue, "alias": backend.alias, "error": error},
                hint=_("Set WAGTAILSUPPORT_TASK_QUEUE to a queue of TASKS[%(alias)r][\"QUEUES\"] (%(accepted)s), "
                       "or add %(queue)r to that list.") % {"alias": backend.alias, "accepted": accepted, "queue": queue},
                id="wagtail_support.E005",
            )
        ]
    return []


@register(Tags.urls)
def check_urls_included(app_configs, **kwargs):
    """The visitor URLs (attachment downloads, FAQ suggestions) are reversed by name: without the include,
    the first ticket page with an attachment is a 500 (NoReverseMatch)."""
    try:
        reverse("wagtail_support:attachment_download", args=[1])
    except NoReverseMatch:
        return [
            Error(
                _("The URLs of wagtail_support are not included in the site's urlconf: pages with an attachment "
                  "would fail (NoReverseMatch)."),
                hint=_('Add path("support-files/", include("wagtail_support.urls")) to your urls.py (any prefix '
                       "will do), before Wagtail's own include(wagtail_urls)."),
                id="wagtail_support.E006",
            )
        ]
    return []


@register(Tags.compatibility)
def check_sender(app_configs, **kwargs):
    if not sender_is_placeholder():
        return []
    return [
        Warning(
            _("Support mail would be sent from %(sender)r, an address no mail provider accepts or delivers.")
            % {"sender": support_settings.from_email or ""},
            hint=_('Set DEFAULT_FROM_EMAIL (or WAGTAILSUPPORT_FROM_EMAIL) to an address of your domain that your '
                   'email provider may send from, e.g. "Support <support@example.org>".'),
            id="wagtail_support.W002",
        )
    ]


@register(Tags.database)
def check_sqlite_writers_wait(app_configs, databases=None, **kwargs):
    """SQLite lets one writer in at a time: without immediate transactions, simultaneous replies fail with
    "database is locked" instead of waiting their turn (README, "SQLite: writers wait their turn")."""
    found = []
    for alias in databases or []:
        config = settings.DATABASES.get(alias, {})
        if not config.get("ENGINE", "").endswith("sqlite3"):
            continue
        options = config.get("OPTIONS", {})
        if str(options.get("transaction_mode", "")).upper() != "IMMEDIATE":
            found.append(
                Warning(
                    _("The SQLite database %(alias)r does not use immediate transactions: visitors posting at the "
                      "same moment may be refused with \"database is locked\".") % {"alias": alias},
                    hint=_('Set DATABASES["%(alias)s"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", '
                           '"timeout": 20}, or use PostgreSQL.') % {"alias": alias},
                    id="wagtail_support.W004",
                )
            )
    return found


def _users_database(databases):
    """The alias the accounts are read from, when the check was asked to look at it (``check --database``,
    ``migrate``); None otherwise, as Django's own database checks do."""
    if not databases:
        return None
    alias = router.db_for_read(get_user_model())
    return alias if alias in databases else None


@register(Tags.database)
def check_agents(app_configs, databases=None, **kwargs):
    """The "Support agents" group exists (the migration made it) but nobody works tickets: no new ticket
    reaches anyone but superusers."""
    alias = _users_database(databases)
    if alias is None:
        return []
    try:
        group_exists = Group.objects.using(alias).filter(name=AGENTS).exists()
        has_agents = group_exists and agents().using(alias).filter(is_superuser=False).exists()
    except DatabaseError:  # not migrated yet (``migrate`` checks before it migrates): nothing to say
        return []
    if not group_exists or has_agents:
        return []
    return [
        Warning(
            _('The group "%(group)s" has no members: no one but superusers works on support tickets.')
            % {"group": AGENTS},
            hint=_('Add your agents to the group "%(group)s" (Settings > Users) and to a support team '
                   "(Support > Teams).") % {"group": AGENTS},
            id="wagtail_support.W003",
        )
    ]


@register(Tags.database, Tags.security)
def check_demo_passwords(app_configs, databases=None, **kwargs):
    """The demo's accounts with their known passwords, on a site with DEBUG off (a demo database put in
    production, or ``support_demo`` run against it): anyone may sign in as a superuser."""
    alias = _users_database(databases)
    if alias is None or settings.DEBUG:
        return []
    try:
        users = list(get_user_model()._default_manager.db_manager(alias).filter(
            is_active=True, **{f"{get_user_model().USERNAME_FIELD}__in": list(DEMO_ACCOUNTS)}
        ))
    except DatabaseError:  # not migrated yet: no account at all
        return []
    # The hasher's function, not ``user.check_password``: that one saves a rehashed password, and a check
    # writes nothing.
    exposed = sorted(
        user.get_username() for user in users if check_password(DEMO_ACCOUNTS[user.get_username()], user.password)
    )
    if not exposed:
        return []
    return [
        Error(
            _("The demo accounts %(accounts)s still have their known passwords, and DEBUG is off: anyone can "
              "sign in with them.") % {"accounts": ", ".join(exposed)},
            hint=_("Delete these accounts or give them new passwords (manage.py changepassword <username>). "
                   "support_demo is for a local demo only."),
            id="wagtail_support.E007",
        )
    ]
