"""Development settings: SQLite in var/, mail printed on the console."""

from .base import *  # noqa: F401,F403

DEBUG = True
EMAIL_BACKEND = "anymail.backends.console.EmailBackend"
ANYMAIL = {**ANYMAIL, "CONSOLE_SEND_DEFAULTS": {}}  # noqa: F405
