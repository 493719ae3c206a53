"""Development settings: SQLite in var/, mail printed on the console, links on the port the site is served on."""

import os

import django

from .base import *  # noqa: F401,F403

DEBUG = True

# `make demo` serves on PORT (8000 unless told otherwise): the links of the agents' mails follow it, as the
# default Site's port does (support_demo sets it from PORT too).
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")

# Mail printed on the console. Django 6.1 replaces EMAIL_BACKEND with MAILERS, and refuses both at once.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "anymail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "anymail.backends.console.EmailBackend"
ANYMAIL = {
    **ANYMAIL,  # noqa: F405
    "CONSOLE_SEND_DEFAULTS": {},
    # Mailgun's inbound webhook checks a signature made with this key: the README's local inbound recipe
    # (curl to /anymail/mailgun/inbound_mime/) is signed with it.
    "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", "example-signing-key"),
}

# Wagtail's i18n: pages, FAQ and catalog in English and French. The site's pages answer under /en/ and /fr/
# (example_site.urls_i18n); the admin, the support files and Anymail's webhooks keep their addresses. Editors
# get "Translate" on pages and snippets (wagtail.contrib.simple_translation) and Settings > Locales.
# The test settings keep i18n off: their URLs have no language prefix.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES  # noqa: F405
ROOT_URLCONF = "example_site.urls_i18n"
INSTALLED_APPS = [  # noqa: F405
    *INSTALLED_APPS,  # noqa: F405
    "wagtail.locales",
    "wagtail.contrib.simple_translation",
]
