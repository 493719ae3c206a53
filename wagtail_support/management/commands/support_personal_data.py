"""Export or erase what the support holds about a person (``wagtail_support.privacy``), as the admin's
Support › Personal data page does:

    manage.py support_personal_data show --email ann@example.com
    manage.py support_personal_data export --email ann@example.com --output ann.zip
    manage.py support_personal_data erase --user ann --yes

``erase`` asks for confirmation unless ``--yes`` is given. Each export and erasure is logged on the
tickets concerned, naming the person by a hash only (``privacy.subject_hash``).
"""

import shutil

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from wagtail_support import privacy


class Command(BaseCommand):
    help = "Show, export (a zip of JSON and files) or erase a person's data held by the support."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["show", "export", "erase"])
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", help="The person's address.")
        who.add_argument("--user", help="The username of the person's account.")
        parser.add_argument("--output", help="export: the zip file to write (default: personal-data-<hash>.zip).")
        parser.add_argument("--yes", action="store_true", help="erase: do not ask for confirmation.")

    def handle(self, *args, action, email=None, user=None, output=None, yes=False, **options):
        if email:
            try:
                validate_email(email.strip())
            except ValidationError as error:
                raise CommandError(f"Not a valid address: {email}") from error
        who = privacy.person(email=email, user=user)
        if not who:
            raise CommandError(f"No account has the username {user!r}.")
        person_hash = privacy.subject_hash(who)
        holdings = privacy.find(who=who)
        if action == "show":
            for label, number in holdings.counts():
                self.stdout.write(f"{label}: {number}")
            return
        if action == "export":
            output = output or f"personal-data-{person_hash}.zip"
            with privacy.export(who=who) as archive, open(output, "wb") as target:
                shutil.copyfileobj(archive, target)
            self.stdout.write(f"Wrote {output} ({len(holdings.ticket_ids(privacy.READER_ROLES))} tickets).")
            return
        if not yes:
            try:
                answer = input(f"Erase the personal data of {email or user} on {len(holdings.tickets)} tickets? Type 'yes': ")
            except EOFError:
                answer = ""
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was erased (type 'yes', or add --yes).")
        summary = privacy.erase(who=who)
        for label, number in summary.rows():
            self.stdout.write(f"{label}: {number}")
        self.stdout.write(f"Erased the personal data of {person_hash}.")
