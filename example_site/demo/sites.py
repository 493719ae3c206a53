"""The demo's second Wagtail site, seeded by ``manage.py support_demo``: "Acme Hardware support", served on the
port after the first site's (PORT + 1, 8001 by default), with its own home and support pages (in English and
French), its own team ("Hardware team") and its own support settings (sender, inbound address, default team,
reply-time promise in English and French). Both sites get their ``SupportSiteSettings``.

Idempotent: what exists is found and left alone; settings that exist only get their empty fields filled.
"""

import os

from django.apps import apps
from wagtail.models import Locale, Page, Site

from wagtail_support.models import SupportSiteSettings
from wagtail_support.models.site_settings import SupportPromiseTranslation
from wagtail_support.pages import SupportPage

SECOND_SITE_KEY = "acme"
SECOND_SITE_HOME_SLUG = "acme"
SECOND_SITE_NAME = "Acme Hardware support"
SECOND_SITE_TEAM = "hardware"

ACME_HOME_INTRO = (
    "<p>Support for Acme Hardware's routers, screens and docking stations. Open a ticket from the support "
    "page: the Hardware team answers.</p>"
)
ACME_HOME_FR = (
    "Support Acme Hardware",
    "<p>Le support des routeurs, écrans et stations d'accueil Acme Hardware. Créez un ticket depuis la page "
    "Support : l'équipe Matériel vous répond.</p>",
)
ACME_SUPPORT_INTRO = (
    "<p>A problem with an Acme device? Open a ticket with its serial number, and a photo if it helps: the "
    "Hardware team answers you by mail and on your ticket's page.</p>"
)
ACME_SUPPORT_CONFIRMATION = "<p>We answer hardware requests within two working days.</p>"
ACME_SUPPORT_FR = (
    "Support",
    "<p>Un problème avec un appareil Acme ? Créez un ticket en indiquant son numéro de série, avec une photo "
    "si besoin : l'équipe Matériel vous répond par email et sur la page de votre ticket.</p>",
    "<p>Nous répondons aux demandes sur le matériel sous deux jours ouvrés.</p>",
)

# Each site's support settings: sender, inbound address, default team (slug), reply-time promise and its
# French translation. "default" is the first site, "acme" the second.
SITE_SETTINGS = {
    "default": {
        "sender_name": "Example Support",
        "sender_email": "support@example.com",
        "inbound_email": "support@reply.example.com",
        "default_team": "helpdesk",
        "reply_time_promise": "We usually answer within one working day.",
        "mail_colour": "#1a5f7a",
        "promise_fr": "Nous répondons en général sous un jour ouvré.",
    },
    SECOND_SITE_KEY: {
        "sender_name": "Acme Hardware",
        "sender_email": "help@acme.example",
        "inbound_email": "help@reply.acme.example",
        "default_team": SECOND_SITE_TEAM,
        "reply_time_promise": "We answer hardware requests within two working days.",
        "mail_colour": "#8a3b12",
        "promise_fr": "Nous répondons aux demandes sur le matériel sous deux jours ouvrés.",
    },
}


def second_site_port():
    """The second site's port: the one after the demo's PORT (8000 unless told otherwise)."""
    return int(os.environ.get("PORT") or 8000) + 1


def seed_second_site(report, first_site, locale=None):
    """The Acme Hardware site: its home and support pages (and their ``locale`` translations) and its Site on
    the first site's hostname, port PORT + 1. Returns the Site, or None when it could not be set up."""
    if not apps.is_installed("example_site.home"):
        return None
    from example_site.demo.translations import translate_page
    from example_site.home.models import HomePage

    root = Page.get_first_root_node()
    default = Locale.get_default()
    home = HomePage.objects.child_of(root).filter(slug=SECOND_SITE_HOME_SLUG, locale=default).first()
    created = home is None
    if created:
        home = HomePage(title=SECOND_SITE_NAME, slug=SECOND_SITE_HOME_SLUG, intro=ACME_HOME_INTRO)
        root.add_child(instance=home)
        home.save_revision().publish()
    report.add("pages", f"/{SECOND_SITE_HOME_SLUG}/ (second site)", created)

    support = SupportPage.objects.child_of(home).filter(slug="support").first()
    created = support is None
    if created:
        support = SupportPage(
            title="Support", slug="support", intro=ACME_SUPPORT_INTRO, confirmation_text=ACME_SUPPORT_CONFIRMATION
        )
        home.add_child(instance=support)
        support.save_revision().publish()
    report.add("pages", f"/{SECOND_SITE_HOME_SLUG}/support/ (second site)", created)

    if locale is not None:
        title, intro = ACME_HOME_FR
        translate_page(report, home, locale, title=title, intro=intro)
        title, intro, confirmation = ACME_SUPPORT_FR
        translate_page(report, support, locale, title=title, intro=intro, confirmation_text=confirmation)

    hostname = first_site.hostname if first_site is not None else "localhost"
    port = second_site_port()
    site = Site.objects.filter(root_page=home).first()
    if site is None:
        clash = Site.objects.filter(hostname=hostname, port=port).first()
        if clash is not None:
            report.warnings.append(
                f"{clash} already uses {hostname}:{port}: the second site ({SECOND_SITE_NAME}) was not created."
            )
            return None
        site = Site.objects.create(hostname=hostname, port=port, root_page=home, site_name=SECOND_SITE_NAME)
        report.add("site", f"{hostname}:{port}", True)
    else:
        report.add("site", f"{site.hostname}:{site.port}", False)
        if site.port != port and not Site.objects.filter(hostname=site.hostname, port=port).exists():
            site.port = port
            site.save(update_fields=["port"])
            report.notes.append(f"the second site now answers as {site.hostname}:{port}")
    return site


def seed_site_settings(report, first_site, second_site, teams):
    """Each site's ``SupportSiteSettings`` and its French reply-time promise. Settings that exist keep what
    they say; only their empty fields are filled."""
    for key, site in (("default", first_site), (SECOND_SITE_KEY, second_site)):
        if site is None:
            continue
        spec = SITE_SETTINGS[key]
        values = {
            "sender_name": spec["sender_name"],
            "sender_email": spec["sender_email"],
            "inbound_email": spec["inbound_email"],
            "default_team": teams.get(spec["default_team"]),
            "reply_time_promise": spec["reply_time_promise"],
            "mail_colour": spec["mail_colour"],
        }
        settings, created = SupportSiteSettings.objects.get_or_create(site=site, defaults=values)
        if not created:
            empty = [name for name, value in values.items() if value and not getattr(settings, name)]
            for name in empty:
                setattr(settings, name, values[name])
            if empty:
                settings.save(update_fields=empty)
                report.notes.append(f"filled in the empty support settings of {site}: {', '.join(empty)}")
        report.add("site settings", site, created)
        _translation, promise_created = SupportPromiseTranslation.objects.get_or_create(
            settings=settings, language="fr", defaults={"text": spec["promise_fr"]}
        )
        if promise_created and not created:
            report.notes.append(f"added the French reply-time promise of {site}")
