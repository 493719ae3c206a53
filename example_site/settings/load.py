"""Settings for `make load` (benchmarks/load): the example site as it runs in production, on one machine.

Several web processes (two gunicorn instances) share one PostgreSQL database, one cache and one pool
of mail workers:

- PostgreSQL from DATABASE_URL, with persistent connections that are checked before each request, so
  the site comes back by itself after a database restart; while the database is gone, requests get a
  503 page (``wagtail_support.middleware.DatabaseUnavailableMiddleware``), never a half-written ticket.
- Mail is sent by django-tasks-db workers (``manage.py db_worker``) from the ``support-mail`` queue,
  through an Anymail-compatible sink (``benchmarks.load.mailsink``) that writes each mail to a file and
  fails like an ESP while its "down" flag file exists.
- The cache (rate-limit counts, Wagtail's site lookups) is shared by every process; sessions are kept
  in the database, so a visitor may land on either web server.

The orchestrator (``python -m benchmarks.load``) sets the environment: DATABASE_URL and
WAGTAILSUPPORT_LOAD_DIR (the run's directory: attachments, media, cache, the mail sink and its flag).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import INSTALLED_APPS, MIDDLEWARE, STORAGES, VAR_DIR

if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("The load settings need DATABASE_URL=postgres://... (see benchmarks/load/README.md).")

LOAD_DIR = Path(os.environ.get("WAGTAILSUPPORT_LOAD_DIR") or VAR_DIR / "load")
LOAD_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

DATABASES = {
    # Connections live across requests and are checked at the start of each request (a SELECT 1 after an
    # error or on first use): after a PostgreSQL restart, a dead connection is replaced, not used.
    "default": dj_database_url.config(
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "300")),
        conn_health_checks=True,
    )
}

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]

# First, so that it also sees the errors of the other middleware (the base settings have it there already).
if "wagtail_support.middleware.DatabaseUnavailableMiddleware" not in MIDDLEWARE:
    MIDDLEWARE = ["wagtail_support.middleware.DatabaseUnavailableMiddleware", *MIDDLEWARE]

# Mail is sent by the workers: `manage.py db_worker --queue-name support-mail,default`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "support-mail"],
    }
}
WAGTAILSUPPORT_TASK_QUEUE = "support-mail"

EMAIL_BACKEND = "benchmarks.load.mailsink.EmailBackend"
LOAD_MAIL_SINK = str(LOAD_DIR / "mail-sink.jsonl")
LOAD_ESP_DOWN_FLAG = str(LOAD_DIR / "esp-down")

# One cache for every process. In production this is Redis or memcached
# (django.core.cache.backends.redis.RedisCache); on one machine, files do.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(LOAD_DIR / "cache"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Every simulated visitor comes from 127.0.0.1: the limits stay on (they are counted in the shared cache)
# but far above what the load test sends.
WAGTAILSUPPORT_RATE_LIMITS = {"submit": (1_000_000, 3600), "reply": (1_000_000, 3600), "find": (1_000_000, 3600)}

MEDIA_ROOT = str(LOAD_DIR / "media")
STORAGES = {
    **STORAGES,
    "wagtail_support_attachments": {
        "BACKEND": "wagtail_support.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(LOAD_DIR / "attachments"), "base_url": None},
    },
}

WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "wagtail_support": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django_tasks_db": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
