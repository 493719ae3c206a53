"""What a Wagtail ``Site`` says of its support (``SupportSiteSettings``), read for mail, routing and pages.

Every reader asks here: the settings of a site (one query, kept on the ``Site`` instance or the request, none
for no site), the sender of a ticket's mail, the reply-time promise in a language, the site a mail was sent
to. What a site leaves empty falls back to the ``WAGTAILSUPPORT_*`` settings (``conf``). Nothing here creates
a settings row: a site that never saved its settings has none, and reads as empty.
"""

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.db.models import Q
from wagtail.models import Site

from .conf import support_settings
from .models import SupportPromiseTranslation, SupportSiteSettings

#: Where the settings of a site are kept once read (on the ``Site`` instance, or on the request per site).
_CACHE_ATTR = "_wagtail_support_site_settings"


def settings_for(site, request=None):
    """The ``SupportSiteSettings`` of ``site`` (its default team and mail logo with it), or ``None`` when
    the site has none or ``site`` is ``None`` (no query then). Read once per ``Site`` instance, and once
    per request and site when ``request`` is given."""
    if site is None:
        return None
    site_id = getattr(site, "pk", site)
    holder = getattr(request, _CACHE_ATTR, None) if request is not None else None
    if holder is not None and site_id in holder:
        return holder[site_id]
    if hasattr(site, "pk") and hasattr(site, _CACHE_ATTR):
        found = getattr(site, _CACHE_ATTR)
    else:
        found = SupportSiteSettings.objects.select_related("default_team", "mail_logo", "site").filter(site_id=site_id).first()
        if hasattr(site, "pk"):
            setattr(site, _CACHE_ATTR, found)
    if request is not None:
        if holder is None:
            holder = {}
            setattr(request, _CACHE_ATTR, holder)
        holder[site_id] = found
    return found


def ticket_site(ticket):
    """The ticket's ``Site``, or ``None`` (without a query when it has none)."""
    return ticket.site if ticket is not None and ticket.site_id else None


def sender_for_site(site):
    """``"Name <address>"`` of mail sent for ``site``: its sender (the site's name when it names none), else
    ``WAGTAILSUPPORT_FROM_EMAIL`` (``DEFAULT_FROM_EMAIL``)."""
    default = support_settings.from_email
    found = settings_for(site)
    if found is None or not (found.sender_email or found.sender_name):
        return default
    default_name, default_address = parseaddr(default or "")
    address = found.sender_email or default_address
    if not address:
        return default
    name = found.sender_name or (found.site.site_name if found.sender_email else default_name) or default_name
    return formataddr((name, address)) if name else address


def sender_for(ticket):
    """The ``From`` of a mail about ``ticket``: its site's sender, else the support's."""
    return sender_for_site(ticket_site(ticket))


def inbound_address_for(site):
    """The site's inbound address, or "" (replies then go to ``WAGTAILSUPPORT_INBOUND_ADDRESS``)."""
    found = settings_for(site)
    return found.inbound_email if found is not None else ""


def default_team_for(site):
    """The site's active default team, or ``None``."""
    found = settings_for(site)
    team = found.default_team if found is not None else None
    return team if team is not None and team.is_active else None


def promise_for(site, language):
    """The site's reply-time promise in ``language`` (its translation, else the base language's, else the
    text the site wrote); "" when the site promises nothing."""
    found = settings_for(site)
    if found is None:
        return ""
    language = (language or settings.LANGUAGE_CODE or "").lower()
    wanted = [language, language.split("-")[0]]
    translations = {
        code.lower(): text
        for code, text in SupportPromiseTranslation.objects.filter(settings=found, language__in=set(wanted)).values_list(
            "language", "text"
        )
    }
    for code in wanted:
        if translations.get(code):
            return translations[code]
    return found.reply_time_promise or ""


def site_for_inbound(addresses):
    """The ``Site`` whose inbound address is one of ``addresses`` (a "+tag" aside), or ``None``."""
    wanted = set()
    for address in addresses or ():
        address = parseaddr(address or "")[1].strip().lower()
        if "@" in address:
            local, _at, domain = address.rpartition("@")
            wanted.update({address, f"{local.split('+', 1)[0]}@{domain}"})
    if not wanted:
        return None
    condition = Q()
    for address in wanted:
        condition |= Q(inbound_email__iexact=address)
    found = SupportSiteSettings.objects.select_related("site", "default_team").exclude(inbound_email="").filter(condition)
    found = found.order_by("site_id").first()
    if found is None:
        return None
    site = found.site
    setattr(site, _CACHE_ATTR, found)
    return site


def site_labels():
    """``{site id: name}`` of every ``Site`` when there are several (its name, else its host and port), in
    name order; ``{}`` when there is one. One site is known from Wagtail's cached root paths (no query once
    cached); several cost one query for their names."""
    if len({path.site_id for path in Site.get_site_root_paths()}) < 2:
        return {}
    labels = {}
    for pk, name, hostname, port in Site.objects.order_by("site_name", "hostname", "port").values_list(
        "pk", "site_name", "hostname", "port"
    ):
        labels[pk] = name or (hostname if port in (80, 443) else f"{hostname}:{port}")
    return labels


def mail_look(site):
    """How the site's mail look: ``{"colour", "text_colour", "logo_url", "name"}`` (empty values for what the
    site does not set); the logo's address is absolute, from the site's root URL; ``name`` (the site's) is
    the logo's alternative text; ``text_colour`` is black or white, whichever reads better on ``colour``."""
    found = settings_for(site)
    look = {"colour": "", "text_colour": "", "logo_url": "", "name": ""}
    if found is None:
        return look
    look["name"] = found.site.site_name or found.site.hostname
    if found.mail_colour:
        look["colour"] = found.mail_colour
        look["text_colour"] = text_colour_on(found.mail_colour)
    if found.mail_logo_id:
        look["logo_url"] = logo_url(found)
    return look


def logo_url(found):
    """The absolute address of a rendition of the site's mail logo (at most 400 x 120 px, shown at half that
    size for sharp screens), or ""."""
    try:
        rendition = found.mail_logo.get_rendition("max-400x120")
    except Exception:  # noqa: BLE001 - a missing or broken image file: the mail goes without its logo
        return ""
    url = rendition.url
    if url.startswith(("http://", "https://")):
        return url
    return found.site.root_url.rstrip("/") + "/" + url.lstrip("/")


def _channel(value):
    value /= 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour):
    """The relative luminance (WCAG 2) of ``#rrggbb``."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def text_colour_on(colour):
    """Black or white, whichever contrasts more with ``colour`` (WCAG contrast ratio)."""
    lum = luminance(colour)
    on_black = (lum + 0.05) / 0.05
    on_white = 1.05 / (lum + 0.05)
    return "#000000" if on_black >= on_white else "#ffffff"
