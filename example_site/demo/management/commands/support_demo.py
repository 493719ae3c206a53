"""``manage.py support_demo``: seed the example site with demo data, idempotently.

Creates what is missing (home page and default site, teams, service catalog, resolution codes, groups,
demo users, the "fr" locale and the French translations of the pages, FAQ, catalog, codes and saved replies,
a second site on PORT + 1 with its own team, and both sites' support settings, demo tickets) and leaves what
exists alone, so running it twice creates nothing the second time. See ``example_site.demo.tickets``,
``example_site.demo.translations`` and ``example_site.demo.sites`` for the data and the rules.

The demo accounts have known passwords (admin/admin...), so the command runs only with ``DEBUG = True``
(``example_site.settings.dev``, which ``make demo`` and ``example_site/manage.py`` use).
"""

import hashlib
import hmac
import os

from django.conf import settings
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from wagtail.models import Locale

from example_site.demo import sites as demo_sites
from example_site.demo import tickets as demo
from wagtail_support.conf import support_settings

REFUSED_WITHOUT_DEBUG = (
    "support_demo creates accounts with known passwords (admin/admin...); it runs only with DEBUG = True "
    "(use example_site.settings.dev, as make demo does)."
)


LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
# The demo's Mailgun signing key (example_site.settings.dev) signs this timestamp and token so: the curl
# command printed below works as printed, as the README's does.
INBOUND_TIMESTAMP, INBOUND_TOKEN = "1700000000", "local-test"


def in_memory_mail():
    """Every mailer of the site kept in memory: MAILERS on Django 6.1 and later, else EMAIL_BACKEND."""
    if hasattr(settings, "MAILERS"):
        return override_settings(MAILERS={alias: {"BACKEND": LOCMEM} for alias in settings.MAILERS})
    return override_settings(EMAIL_BACKEND=LOCMEM)


def mail_backend():
    """The backend of the site's default mailer, as the settings name it."""
    if hasattr(settings, "MAILERS"):
        return settings.MAILERS.get("default", {}).get("BACKEND", "")
    return getattr(settings, "EMAIL_BACKEND", "")


class Command(BaseCommand):
    help = (
        "Seed demo data for the example site: home page, teams, service catalog, resolution codes, groups, "
        "demo users, French translations, a second site on PORT + 1 and a few dozen tickets. Idempotent: what "
        "exists is found, not changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-tickets",
            action="store_true",
            help="Set up everything but the demo tickets.",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Put the demo passwords back on demo users that exist already.",
        )

    def handle(self, *args, no_tickets=False, reset_passwords=False, **options):
        if not settings.DEBUG:
            raise CommandError(REFUSED_WITHOUT_DEBUG)
        report = demo.Report()
        try:
            context = demo.seed_configuration(report, reset_passwords=reset_passwords)
        except demo.DemoError as error:
            raise CommandError(str(error)) from error

        mails = None
        if not no_tickets:
            # Mail goes out after each commit; keep it in memory rather than on the console.
            saved_outbox = getattr(mail, "outbox", None)
            mail.outbox = []
            try:
                with in_memory_mail():
                    demo.seed_tickets(report, context)
                mails = len(mail.outbox)
            except demo.DemoError as error:
                raise CommandError(str(error)) from error
            finally:
                if saved_outbox is None:
                    del mail.outbox
                else:
                    mail.outbox = saved_outbox

        self.print_report(report, no_tickets, mails)
        self.print_access(context)

    # Output ---------------------------------------------------------------------------------------------

    def print_report(self, report, no_tickets, mails):
        write, style = self.stdout.write, self.style
        write(style.MIGRATE_HEADING("wagtail-support demo data"))
        kinds = [
            "home page", "site", "pages", "teams", "business hours", "service levels", "service catalog entries",
            "resolution codes", "canned responses", "groups", "users", "locales", "translations", "site settings",
        ]
        for kind in kinds:
            created, found = report.created[kind], report.found[kind]
            if not created and not found:
                continue
            line = f"  {kind + ':':<26} created {created}, found {found}"
            if created:
                line += f"  ({', '.join(report.names[kind])})"
            write(style.SUCCESS(line) if created else line)

        if no_tickets:
            write(f"  {'tickets:':<26} skipped (--no-tickets)")
        elif report.created["tickets"]:
            summary = demo.ticket_summary()
            write(style.SUCCESS(f"  {'tickets:':<26} created {report.created['tickets']}"))
            self.print_ticket_summary(summary)
            write(f"  {'notification mails:':<26} {mails} generated (kept in memory, not sent)")
        else:
            write(f"  {'tickets:':<26} found {report.found['tickets']} demo tickets, none created")
            self.print_ticket_summary(demo.ticket_summary())

        for note in report.notes:
            write(f"  - {note}")
        for warning in report.warnings:
            write(style.WARNING(f"  ! {warning}"))

    def print_ticket_summary(self, summary):
        status, reasons = summary["status"], summary["close_reasons"]
        self.stdout.write(
            f"    open {status.get('open', 0)}, pending {status.get('pending', 0)}, closed {status.get('closed', 0)} "
            f"(resolved {reasons.get('resolved', 0)}, abandoned {reasons.get('abandoned', 0)}, "
            f"closed by requester {reasons.get('closed_by_requester', 0)}); "
            f"{summary['assigned']} assigned; {summary['messages']} messages, "
            f"of which {summary['internal_notes']} internal notes"
        )

    def site_lines(self, context, port):
        """The addresses of both sites' pages, in each language (with Wagtail's i18n on, as in the dev settings,
        each locale's pages have their prefix: /en/, /fr/)."""
        french = Locale.objects.filter(language_code="fr").first()

        def urls(page):
            translation = page.get_translation_or_none(french) if french is not None else None
            found = [page.get_full_url()] + ([translation.get_full_url()] if translation and translation.live else [])
            return "  ".join(url for url in found if url)

        lines = []
        for label, page in (("site", context["home"]), ("support", context["pages"]["support"]), ("faq", context["pages"]["faq"])):
            if page is not None:
                lines.append(f"  {label + ':':<9}{urls(page)}" + ("  (my tickets: tickets/ under it)" if label == "support" else ""))
        lines.append(f"  {'admin:':<9}http://127.0.0.1:{port}/admin/")
        second = context["sites"].get(demo_sites.SECOND_SITE_KEY)
        if second is not None:
            lines.append(f"  second site, {second.site_name} (open it by the name {second.hostname}: 127.0.0.1 gets the first):")
            lines.append(f"  {'':<9}{urls(second.root_page)}")
        return lines

    def print_mail(self, port):
        write = self.stdout.write
        write("")
        write(self.style.MIGRATE_HEADING("Mail"))
        backend = mail_backend()
        write(f"  out:   {backend}" + ("  (printed on this console)" if "console" in backend else ""))
        anymail = getattr(settings, "ANYMAIL", {}) or {}
        secret = anymail.get("WEBHOOK_SECRET") or "(no ANYMAIL WEBHOOK_SECRET set)"
        if isinstance(secret, (list, tuple)):
            secret = secret[0]
        write(f"  in:    your ESP posts inbound mail to http://{secret}@127.0.0.1:{port}/anymail/<esp>/inbound/")
        write("         e.g. /anymail/postmark/inbound/, /anymail/mailgun/inbound_mime/")
        write(f"         delivery events to http://127.0.0.1:{port}/anymail/<esp>/tracking/")
        signing_key = anymail.get("MAILGUN_WEBHOOK_SIGNING_KEY")
        if signing_key:
            signature = hmac.new(
                signing_key.encode(), f"{INBOUND_TIMESTAMP}{INBOUND_TOKEN}".encode(), hashlib.sha256
            ).hexdigest()
            write("         try it: save a whole mail as reply.eml, then")
            write(
                f"         curl -u {secret} -F timestamp={INBOUND_TIMESTAMP} -F token={INBOUND_TOKEN} "
                f"-F signature={signature} -F 'body-mime=<reply.eml' "
                f"http://127.0.0.1:{port}/anymail/mailgun/inbound_mime/"
            )
        if support_settings.INBOUND_ADDRESS:
            write(f"  replies: Reply-To support+<ticket token>@{support_settings.INBOUND_ADDRESS.rsplit('@', 1)[1]}")

    def print_access(self, context):
        users = context["users"]
        write = self.stdout.write
        port = os.environ.get("PORT", "8000")
        write("")
        write(self.style.MIGRATE_HEADING("Run the sites (make demo serves both) and open"))
        for line in self.site_lines(context, port):
            write(line)
        self.print_mail(port)
        write("")
        write(self.style.MIGRATE_HEADING("Logins"))
        rows = [("username", "password", "who")]
        for spec in demo.USERS:
            user = users.get(spec.username)
            password = spec.password
            if user is not None and not user.check_password(spec.password):
                password = "(changed; --reset-passwords)"
            name = f"{spec.first_name} {spec.last_name}".strip()
            rows.append((spec.username, password, f"{name}, {spec.role}"))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for row in rows:
            write(f"  {row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")
