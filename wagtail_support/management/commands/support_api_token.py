"""Personal access tokens of the support API for scripts, without the admin.

    manage.py support_api_token alice                        # a read-only token named "script"
    manage.py support_api_token alice --name nightly --write --expires-days 90
    manage.py support_api_token alice --list
    manage.py support_api_token alice --revoke wst_AbCdEfGh

The token is printed once, alone on its line (``| tail -1`` takes it); only its hash is stored. A token acts
as its user: for the agent endpoints the user must be an agent. Read-only unless ``--write`` (the issue's
``--read-only`` is accepted and is the default).
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wagtail_support.access import is_agent
from wagtail_support.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke a user's personal access tokens of the support API."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="script", help="What the token is for (shown in lists).")
        access = parser.add_mutually_exclusive_group()
        access.add_argument("--read-only", action="store_true", help="Read only (the default).")
        access.add_argument("--write", action="store_true", help="Read and write: the moves too.")
        parser.add_argument("--expires-days", type=int, default=None, help="Expires after this many days.")
        parser.add_argument("--revoke", metavar="PREFIX", help="Revoke the user's token(s) with this prefix.")
        parser.add_argument("--list", action="store_true", help="List the user's tokens.")

    def handle(self, *args, **options):
        username, name, write = options["username"], options["name"], options["write"]
        expires_days, revoke = options["expires_days"], options["revoke"]
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        tokens = ApiToken.objects.filter(user=user)
        if options["list"]:
            for token in tokens:
                state = "revoked" if token.revoked_at else ("expired" if not token.is_usable() else "active")
                expires = token.expires_at.isoformat() if token.expires_at else "never"
                used = token.last_used_at.isoformat() if token.last_used_at else "never"
                self.stdout.write(f"{token.prefix}  {token.access:<5}  {state:<7}  expires {expires}  used {used}  {token.name}")
            return
        if revoke:
            found = [token for token in tokens.filter(prefix=revoke.strip()) if token.revoked_at is None]
            if not found:
                raise CommandError(f"No active token {revoke!r} of {username!r}.")
            for token in found:
                token.revoke()
            self.stdout.write(f"{len(found)} token(s) revoked.")
            return
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        if not user.is_active:
            raise CommandError(f"{username!r} is not active.")
        if not is_agent(user):
            self.stderr.write(f"Warning: {username!r} is not a support agent: the agent endpoints will answer 403.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        access = ApiToken.Access.WRITE if write else ApiToken.Access.READ
        _row, key = ApiToken.objects.issue(user, name=name, access=access, expires_at=expires_at)
        self.stderr.write(f"Token {name!r} ({access}) for {username}: shown once, keep it now.")
        self.stdout.write(key)
