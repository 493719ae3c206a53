"""Settings of the example site, shared by development, tests and PostgreSQL.

The database is SQLite beside the project unless DATABASE_URL says otherwise, for example
DATABASE_URL=postgres://postgres@127.0.0.1:5432/wagtail_support
"""

import os
from pathlib import Path

import dj_database_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = Path(os.environ.get("EXAMPLE_SITE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "example-site-not-secret-change-me")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "example_site.home",
    "wagtail_support",
    "example_site.demo",  # manage.py support_demo (DEBUG only); not part of the package
    "wagtail_modeladmin",
    # The support API's docs page: Swagger UI served from the site's static files (wagtail_support.api.docs).
    "drf_spectacular_sidecar",
    "wagtail.contrib.forms",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # First: a 503 page (with Retry-After) instead of a 500 while the database cannot be reached.
    "wagtail_support.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check (the first to read a post): a description too large for Django gets the form
    # back with an error, not a bare 400.
    "wagtail_support.middleware.OversizedFormMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "example_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A kept connection is checked before each request: the site recovers by itself after a restart.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite lets one writer in at a time. Every transaction takes the write lock when it begins
    # (IMMEDIATE, Django 5.1+), and a writer waits up to 20 seconds for its turn: replies posted at the
    # same instant are stored one after the other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_ROOT = VAR_DIR / "static"
STATIC_URL = "/static/"
STATICFILES_DIRS = [PROJECT_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Attachments of tickets: private, never under MEDIA_URL.
    "wagtail_support_attachments": {
        "BACKEND": "wagtail_support.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "support-attachments"), "base_url": None},
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "wagtail-support example"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Mail goes through Anymail; see the README for an ESP. The demo prints mail on the console.
DEFAULT_FROM_EMAIL = "Support <support@example.com>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Anymail's webhooks (inbound mail at /anymail/<esp>/inbound/, delivery events at
# /anymail/<esp>/tracking/) take HTTP basic auth with this "user:password"; set your own in production.
ANYMAIL = {"WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", "example:change-me")}
# Replies come back to support+<ticket token>@reply.example.com through the ESP's inbound route.
WAGTAILSUPPORT_INBOUND_ADDRESS = os.environ.get("WAGTAILSUPPORT_INBOUND_ADDRESS", "support@reply.example.com")

# Background work: run at once by default; point at a worker backend to scale (see the README).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

WAGTAILSUPPORT_DEFAULT_TEAM = "helpdesk"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"wagtail_support": {"handlers": ["console"], "level": "INFO"}},
}
