"""Send again the mails that failed (or that a crashed worker left half-sent).

    manage.py support_retry_mail              # every failed mail
    manage.py support_retry_mail --id 12 15   # these mails only
    manage.py support_retry_mail --dry-run    # list them, send nothing

Run it by hand after an ESP outage, or from cron. Each mail is sent through the configured backend
now, in this process; its record says what happened.
"""

from django.core.management.base import BaseCommand, CommandError

from wagtail_support.models import OutboundMail
from wagtail_support.notifications.delivery import retry


class Command(BaseCommand):
    help = "Send again the support mails that failed."

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, nargs="+", dest="ids", help="Only these mail records.")
        parser.add_argument("--limit", type=int, default=1000, help="At most this many mails (default 1000).")
        parser.add_argument("--dry-run", action="store_true", help="List the mails; send nothing.")

    def handle(self, *args, ids=None, limit=1000, dry_run=False, verbosity=1, **options):
        mails = OutboundMail.objects.retryable()
        if ids:
            mails = OutboundMail.objects.filter(pk__in=ids)
            missing = set(ids) - set(mails.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No mail record with id {', '.join(map(str, sorted(missing)))}.")
        mails = list(mails.order_by("created_at", "pk")[:limit])
        if verbosity:
            for mail in mails:
                self.stdout.write(f"{mail.pk}\t{mail.status}\t{mail.event}\t{mail.recipient}\t{mail.error[:80]}")
        if dry_run:
            self.stdout.write(f"{len(mails)} mail(s) would be sent again.")
            return
        sent, failed = retry(mails)
        self.stdout.write(f"{sent} sent, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} mail(s) failed again; see their records for the reason.")
