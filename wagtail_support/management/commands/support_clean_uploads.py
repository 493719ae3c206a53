"""Remove the files of visitor forms abandoned after an error, and forget the old one-time form tokens.

    manage.py support_clean_uploads

Files a visitor chose on a form that came back with an error are kept in the private attachment storage
for a day (``wagtail_support.submissions.KEEP_FOR``), waiting for the form to be sent again. Each new kept
file already removes the abandoned ones; run this from cron (daily is enough) on a quiet site too.
"""

from django.core.management.base import BaseCommand

from wagtail_support.submissions import purge


class Command(BaseCommand):
    help = "Remove abandoned kept files of visitor forms and forget used form tokens older than a day."

    def handle(self, *args, **options):
        tokens, files = purge()
        self.stdout.write(f"{files} abandoned file(s) removed, {tokens} used form token(s) forgotten.")
