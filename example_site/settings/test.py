"""Settings for the test suite: SQLite in a temporary file unless DATABASE_URL is set, Anymail's test backend."""

import os
import tempfile

from .base import *  # noqa: F401,F403
from .base import INSTALLED_APPS, STORAGES

# A site's own app with a page type built on AbstractSupportPage, listed before wagtail_support: the
# package must load whatever the order of INSTALLED_APPS.
INSTALLED_APPS = ["tests.site_app", *INSTALLED_APPS]

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
# The webhooks' basic-auth secret and Mailgun's signing key, known to the tests that post to them.
ANYMAIL = {"WEBHOOK_SECRET": "tests:webhook-secret", "MAILGUN_WEBHOOK_SIGNING_KEY": "tests-mailgun-signing-key"}
WAGTAILSUPPORT_INBOUND_ADDRESS = "support@reply.example.com"

_TMP = tempfile.mkdtemp(prefix="wagtail-support-tests-")

if not os.environ.get("DATABASE_URL"):
    # The test database is a file (not ":memory:"), with the example site's OPTIONS: threads and the
    # live server then open connections of their own to it, as requests do on a real site, and writers
    # wait their turn (tests/test_concurrency.py). In memory where the system has a RAM disk, and never
    # synced to disk: as fast as ":memory:", and nothing to keep.
    _DB_DIR = tempfile.mkdtemp(prefix="wagtail-support-tests-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(_DB_DIR, "db.sqlite3"),
            "TEST": {"NAME": os.path.join(_DB_DIR, "test.sqlite3")},
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA synchronous=OFF;"},
        }
    }
MEDIA_ROOT = os.path.join(_TMP, "media")
STORAGES = {
    **STORAGES,
    "wagtail_support_attachments": {
        "BACKEND": "wagtail_support.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": os.path.join(_TMP, "attachments"), "base_url": None},
    },
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
