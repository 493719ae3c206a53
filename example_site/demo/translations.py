"""The demo in French, seeded by ``manage.py support_demo``: the "fr" locale and the translations of the home,
support and FAQ pages, of the FAQ, the service catalog, the resolution codes and the saved replies.

Every translation is made the way an editor's "Translate" makes it: Wagtail's ``copy_for_translation`` (same
``translation_key``, the "fr" locale), then its texts in French; pages are published through a revision. The
catalog and the resolution codes of the default locale stay the ones tickets point at (a translation only
carries the French name, description or label). Idempotent: a translation that exists is left alone.

The French follows the wording of the product's French source documents ("Support client").
"""

from wagtail.models import Locale

from example_site.demo.faq import FAQ_PAGE_INTRO_FR, FAQ_PAGE_TITLE_FR, seed_faq_translation
from wagtail_support.models import CannedResponse, Category, ResolutionCode

FRENCH = "fr"

HOME_TITLE_FR = "Exemple wagtail-support"
HOME_INTRO_FR = (
    "<p>Ce site d'exemple fait tourner <b>wagtail-support</b>, un support intégré à Wagtail : les visiteurs "
    "créent et suivent leurs tickets depuis le site, les agents les traitent dans l'administration de "
    "Wagtail.</p>"
    "<p>Connectez-vous à l'<a href=\"/admin/\">administration</a> avec l'un des comptes de démonstration pour "
    "traiter les tickets de démonstration.</p>"
)
SUPPORT_TITLE_FR = "Support"
SUPPORT_INTRO_FR = (
    "<p>Besoin d'aide ? Créez un ticket : décrivez votre demande, joignez une capture d'écran si besoin, et "
    "notre équipe support vous répondra par email et sur la page de votre ticket. Vous recevrez une "
    "confirmation et un numéro de ticket.</p>"
)
SUPPORT_CONFIRMATION_FR = "<p>Nous répondons en général sous un jour ouvré.</p>"
NEXT_STEPS_FR = [
    ("Documentation", "Consultez notre documentation complète.", "https://example.com/fr/docs/"),
    ("Premiers pas", "Guide de démarrage.", "https://example.com/fr/docs/premiers-pas/"),
    ("Fonctionnalités", "Découvrez toutes les fonctionnalités.", "https://example.com/fr/fonctionnalites/"),
]

# The service catalog in French, by the English entry's (parent name, name) or name.
CATALOG_FR = {
    "Account": ("Compte", "La connexion, les profils et les personnes d'un compte."),
    ("Account", "Login problems"): (
        "Problèmes de connexion",
        "Connexion impossible, mot de passe à réinitialiser, compte bloqué.",
    ),
    ("Account", "Team members"): ("Membres de l'équipe", "Inviter, retirer et gérer les membres d'une équipe."),
    "Billing": ("Facturation", "Question sur l'abonnement ou la facturation : factures, paiements."),
    ("Billing", "Invoices"): ("Factures", "Créer, retrouver et corriger des factures."),
    ("Billing", "Subscription"): (
        "Abonnement",
        "Formules, changement de formule, moyens de paiement et résiliation.",
    ),
    "Platform": ("Plateforme", "L'application elle-même : erreurs, performances et intégrations."),
    ("Platform", "Bug report"): ("Bug", "Signalement d'un problème ou dysfonctionnement."),
    ("Platform", "Integrations"): ("Intégrations", "L'API, les webhooks et les connexions à d'autres outils."),
}

# The demo's resolution codes in French ("No follow-up" is built in: its label is translated by the package).
RESOLUTION_CODES_FR = {
    "fixed": "Corrigé",
    "answered": "Réponse apportée",
    "workaround": "Solution de contournement proposée",
    "duplicate": "Doublon",
    "not-reproducible": "Impossible à reproduire",
}

# The saved replies in French, by their English title.
CANNED_RESPONSES_FR = {
    "Ask for a screenshot": (
        "Demander une capture d'écran",
        "Bonjour {requester_name},\n\nMerci pour votre message concernant {reference}. Pourriez-vous nous "
        "envoyer une capture d'écran de la page et nous indiquer le navigateur que vous utilisez ? Vous pouvez "
        "répondre à cet email ou joindre le fichier sur la page de votre ticket.\n\n{agent_name}",
    ),
    "Ask for details": (
        "Demande de précisions",
        "Bonjour {requester_name},\n\nMerci pour votre demande {reference}. Pourriez-vous nous donner plus de "
        "détails (étapes, message d'erreur, capture d'écran) ?\n\n{agent_name}, équipe {team}",
    ),
    "Invoice resent": (
        "Facture renvoyée",
        "Bonjour {requester_name},\n\nNous avons renvoyé votre facture à cette adresse. Dites-nous si elle ne "
        "vous parvient pas dans l'heure.\n\n{agent_name}",
    ),
}


def seed_locale(report, language_code=FRENCH):
    """The locale of the translations (Wagtail's initial migration made the default one)."""
    locale, created = Locale.objects.get_or_create(language_code=language_code)
    report.add("locales", language_code, created)
    return locale


def translate_page(report, page, locale, **fields):
    """The live translation of ``page`` into ``locale``: found, or copied with ``copy_for_translation``,
    given ``fields`` and published. Its parent must be translated first (the home page's is the root)."""
    if page is None:
        return None
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        report.add("translations", existing.url_path, False)
        return existing.specific
    translation = page.specific.copy_for_translation(locale)
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save_revision().publish()
    translation.refresh_from_db()
    report.add("translations", f"page {translation.title} ({locale.language_code})", True)
    return translation


def translate_snippet(report, obj, locale, kind, **fields):
    """The translation of ``obj`` (a translatable model) into ``locale``: found, or a ``copy_for_translation``
    with ``fields`` saved."""
    if obj is None:
        return None
    existing = obj.get_translation_or_none(locale)
    if existing is not None:
        report.add("translations", f"{kind} {existing}", False)
        return existing
    translation = obj.copy_for_translation(locale)
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save()
    report.add("translations", f"{kind} {translation} ({locale.language_code})", True)
    return translation


def seed_translations(report, locale, *, pages, categories, codes, responses):
    """The French pages (home, support, FAQ), FAQ, catalog, resolution codes and saved replies."""
    home, support_page, faq_page = pages
    # The home page first: the other pages' translations go under it.
    french_home = translate_page(report, home, locale, title=HOME_TITLE_FR, intro=HOME_INTRO_FR)
    if french_home is not None:
        translate_page(
            report,
            support_page,
            locale,
            title=SUPPORT_TITLE_FR,
            intro=SUPPORT_INTRO_FR,
            confirmation_text=SUPPORT_CONFIRMATION_FR,
            next_steps=[
                ("link", {"title": title, "description": text, "page": None, "url": url})
                for title, text, url in NEXT_STEPS_FR
            ],
        )
        translate_page(report, faq_page, locale, title=FAQ_PAGE_TITLE_FR, intro=FAQ_PAGE_INTRO_FR)

    faq_created = seed_faq_translation(locale)
    if faq_created:
        report.add("translations", f"{faq_created} FAQ topics and questions ({locale.language_code})", True)

    for key, category in categories.items():
        if key in CATALOG_FR and isinstance(category, Category):
            name, description = CATALOG_FR[key]
            translate_snippet(report, category, locale, "catalog entry", name=name, description=description)
    for code, label in RESOLUTION_CODES_FR.items():
        if isinstance(codes.get(code), ResolutionCode):
            translate_snippet(report, codes[code], locale, "resolution code", label=label)
    for title, (french_title, body) in CANNED_RESPONSES_FR.items():
        if isinstance(responses.get(title), CannedResponse):
            translate_snippet(report, responses[title], locale, "saved reply", title=french_title, body=body)
