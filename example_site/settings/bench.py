"""Settings for `make bench` (benchmarks/bench): PostgreSQL from DATABASE_URL, production-like otherwise.

Mail is recorded but not sent (the tasks backend keeps the tasks instead of running them), so a page's
server time is what a web process spends, as it is when workers send the mail.
"""

import os
import tempfile

from .base import *  # noqa: F401,F403
from .base import STORAGES

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
# Tasks are enqueued and kept, never run: sending mail is the workers' time, not the page's.
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
WAGTAILSUPPORT_RATE_LIMITS = {}
# The API's limits per token: the scenarios run a token's requests faster than any script would.
WAGTAILSUPPORT_API_RATES = {}
WAGTAILSUPPORT_INBOUND_HOURLY_LIMIT = 0
WAGTAILSUPPORT_INBOUND_ADDRESS = "support@reply.example.com"
ANYMAIL = {"WEBHOOK_SECRET": "bench:webhook-secret"}

_TMP = os.environ.get("BENCH_MEDIA_DIR") or tempfile.mkdtemp(prefix="wagtail-support-bench-")
MEDIA_ROOT = os.path.join(_TMP, "media")
STORAGES = {
    **STORAGES,
    "wagtail_support_attachments": {
        "BACKEND": "wagtail_support.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": os.path.join(_TMP, "attachments"), "base_url": None},
    },
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"handlers": [], "level": "ERROR"}}

# The interleaved measurement (benchmarks/bench/interleaved.py) opens every size's database in one
# process: BENCH_DATABASES = {"1000": "postgres://...", ...}.
if os.environ.get("BENCH_DATABASES"):
    import json

    import dj_database_url

    for _size, _url in json.loads(os.environ["BENCH_DATABASES"]).items():
        DATABASES[f"size_{_size}"] = dj_database_url.parse(_url)  # noqa: F405
