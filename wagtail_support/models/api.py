"""Personal access tokens of the REST API (``wagtail_support.api``): one row per token a person created.

The token itself is shown once, when it is made, and never stored: the row keeps its SHA-256 (``key_hash``)
and a short public ``prefix`` that lists show so that a person recognises which token is which. A fast
hash is the right one here, unlike for passwords: a token is 32 random bytes (256 bits), so there is no
dictionary to try and nothing a slow hash would protect better, and every API request looks its token up
by that hash (a unique index answers).

A token acts as its user, never more: the API asks ``access`` and the workflow exactly as the admin does.
``access`` ``"read"`` lets it read only; ``"write"`` lets it make the moves its user may make.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: What every token starts with: a secret scanner (or a person) recognises one in a log or a commit.
TOKEN_PREFIX = "wst_"
#: Characters of the token shown in lists (the prefix above and the first characters of the secret part).
SHOWN_LENGTH = 12
#: ``last_used_at`` is written at most once per this many seconds: no write per request.
LAST_USED_PRECISION = 60


def hash_key(key):
    """The SHA-256 of a whole token, as stored in ``ApiToken.key_hash``."""
    return hashlib.sha256((key or "").encode("utf-8", "surrogateescape")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))

    def issue(self, user, *, name, access="read", expires_at=None):
        """Make a token for ``user``: ``(row, token)``. The token is in no row: show it once, then forget it."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = self.create(
            user=user,
            name=(name or "").strip()[:100],
            prefix=key[:SHOWN_LENGTH],
            key_hash=hash_key(key),
            access=access,
            expires_at=expires_at,
        )
        return row, key


class ApiToken(models.Model):
    class Access(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="support_api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=SHOWN_LENGTH, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    access = models.CharField(_("access"), max_length=5, choices=Access.choices, default=Access.READ)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self):
        return self.access == self.Access.WRITE

    def is_usable(self, now=None):
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def revoke(self, now=None):
        """Revoke the token (once: a revoked token keeps its first date)."""
        if self.revoked_at is None:
            self.revoked_at = now or timezone.now()
            type(self).objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=self.revoked_at)

    def touch(self, now=None):
        """Record a use, at most once per ``LAST_USED_PRECISION`` seconds (an ``UPDATE`` then, else nothing)."""
        now = now or timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() >= LAST_USED_PRECISION:
            self.last_used_at = now
            type(self).objects.filter(pk=self.pk).update(last_used_at=now)
