"""Do the automation steps due now: reminders to silent requesters, closing after the policy's days
without a reply, service level warnings and breaches, the outgoing webhooks' retries that are due
(``wagtail_support.automation``).

    manage.py support_tick               # do what is due, print the count of each step
    manage.py support_tick --dry-run     # list what would be done, change and send nothing
    manage.py support_tick --batch-size 200

Run it from cron every five minutes::

    */5 * * * * cd /srv/site && ./manage.py support_tick --verbosity 0

Running it twice at once, on one machine or two, does each step once (each step is claimed by a row of
its own). A site with a task worker may enqueue ``wagtail_support.tasks.support_tick_task`` from its
scheduler instead (django-tasks has no scheduler of its own).
"""

from django.core.management.base import BaseCommand, CommandError

from wagtail_support.automation import BATCH_SIZE, RETENTION, STEPS, WEBHOOK_RETRIES, tick
from wagtail_support.conf import support_settings


class Command(BaseCommand):
    help = "Send the support's reminders and service level warnings, and close tickets left without a reply."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change and send nothing.")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"Tickets read per query (default {BATCH_SIZE})."
        )

    def handle(self, *args, dry_run=False, batch_size=BATCH_SIZE, verbosity=1, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        result = tick(batch_size=batch_size, dry_run=dry_run)
        if dry_run and verbosity:
            for reference, step in result.planned:
                self.stdout.write(f"{reference}\t{step}")
        if verbosity or dry_run:
            verb = "would be done" if dry_run else "done"
            # The retention of closed tickets (WAGTAILSUPPORT_RETENTION_DAYS) when the site set one.
            for step in STEPS + ((RETENTION,) if support_settings.RETENTION_DAYS is not None else ()):
                line = f"{step}: {result.done[step]} {verb}"
                if result.skipped[step]:
                    line += f", {result.skipped[step]} done by another run"
                if result.failed[step]:
                    line += f", {result.failed[step]} failed (see the log)"
                self.stdout.write(line)
            self.stdout.write(f"{WEBHOOK_RETRIES}: {result.done[WEBHOOK_RETRIES]} {verb}")
