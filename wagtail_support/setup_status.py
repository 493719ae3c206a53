"""What a new site may still lack: the questions that the system checks (``checks``) and the admin home's
first-run panel (``admin.first_run``) both ask, answered in one place."""

from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings

from .conf import support_settings
from .models import ResolutionCode

#: Domains of a sender address that no mail provider sends from.
PLACEHOLDER_MAIL_DOMAINS = {"localhost", "localhost.localdomain"}

#: ``WAGTAILADMIN_BASE_URL`` hosts that are placeholders (Wagtail's project template ships example.com).
PLACEHOLDER_HOSTS = {"example.com", "www.example.com"}


def sender_is_placeholder():
    """True when support mail would go from no address, or from one of no real domain: Django's default
    ``webmaster@localhost`` (``DEFAULT_FROM_EMAIL`` left as it is), or any other ``@localhost`` address."""
    address = parseaddr(support_settings.from_email or "")[1].lower()
    return "@" not in address or address.rpartition("@")[2] in PLACEHOLDER_MAIL_DOMAINS


def admin_base_url_is_placeholder():
    """True when links to the admin in agents' mail would have no address, or example.com's."""
    base_url = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return not base_url or urlsplit(base_url).hostname in PLACEHOLDER_HOSTS


def usable_resolution_codes():
    """The codes an agent may resolve with: active, "No follow-up" aside (it is abandon's)."""
    return ResolutionCode.objects.filter(is_active=True).exclude(code__in=list(ResolutionCode.BUILTIN_LABELS))
