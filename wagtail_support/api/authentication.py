"""Who calls the API: the personal access token of ``Authorization: Bearer <token>`` (``Token <token>`` too).

The token is looked up by its SHA-256 (``models.api.hash_key``; the unique index answers), then refused
when revoked, expired or its account is inactive: 401 with a JSON body, the same for each of these (and
for a token that never existed), so the answer says nothing about which tokens exist.

No session authentication: a browser's cookies never act on the API, so a cross-site request cannot use
an agent's session (the CSRF question does not arise, and invariant 6 holds: tokens authenticate
instead). ``request.auth`` is the ``ApiToken``.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from ..models import ApiToken
from ..models.api import hash_key

KEYWORDS = ("bearer", "token")
#: Longer than any token we make: refused before hashing.
MAX_TOKEN_LENGTH = 200


class ApiTokenAuthentication(BaseAuthentication):
    """A personal access token; ``None`` (anonymous) without an ``Authorization`` header of ours."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower().decode("latin-1") not in KEYWORDS:
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed(_("Give one token after the word Bearer."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid, has expired or was revoked.")) from None
        now = timezone.now()
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.is_usable(now) or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This token is not valid, has expired or was revoked."))
        token.touch(now)
        return token.user, token

    def authenticate_header(self, request):
        # A 401 (not a 403) for a request without a usable token, with the scheme to use.
        return 'Bearer realm="support"'
