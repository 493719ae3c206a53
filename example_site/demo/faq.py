"""Demo content of the FAQ, seeded by ``manage.py support_demo`` through ``seed_faq``.

``DEMO_FAQ`` is the default locale's FAQ, in English; ``DEMO_FAQ_FR`` its French translation, seeded by
``seed_faq_translation`` as Wagtail translations (same ``translation_key``) in the "fr" locale. The four
questions of the quick FAQ of the source documents ("FAQ rapide") are kept word for word in French.
Seeding is idempotent: topics and entries are found by slug (and locale) and only created when missing,
and existing ones are never changed. Questions are published through a revision, so the admin shows their
history.
"""

from django.db import transaction

from wagtail.models import Locale

from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic

FAQ_PAGE_TITLE = "Frequently asked questions"
FAQ_PAGE_SLUG = "faq"
FAQ_PAGE_INTRO = (
    "<p>Answers to the questions we are asked most. Cannot find yours? "
    "Open a ticket from the support page and our team will answer.</p>"
)

# Each topic: slug, name, entries (slug, question, answer as rich text).
DEMO_FAQ = [
    (
        "support",
        "Using support",
        [
            (
                "open-a-ticket",
                "How do I open a support ticket?",
                "<p>Go to the <b>Support</b> page and fill in the form:</p>"
                "<ul><li><b>Subject</b>: a summary of your request;</li>"
                "<li><b>Description</b>: the details of the problem or of your request.</li></ul>"
                "<p>Check the information, add attachments if needed and click <b>Send</b>. "
                "You receive a confirmation email with your ticket number.</p>",
            ),
            (
                "choose-a-priority",
                "Which priority should I choose?",
                "<ul><li><b>Low</b>: not urgent, it can wait.</li>"
                "<li><b>Normal</b>: handled within the usual time.</li>"
                "<li><b>High</b>: important, needs particular attention.</li>"
                "<li><b>Urgent</b>: critical, needs immediate action.</li></ul>",
            ),
            (
                "attach-a-file",
                "Can I attach a screenshot or a document?",
                "<p>Yes. Open the ticket, click <b>Attach a file</b> and choose the file "
                "(a screenshot, a PDF, a spreadsheet...). The file is attached to your message and only "
                "you and our support team can download it.</p>",
            ),
            (
                "follow-replies",
                "How do I know that support replied?",
                "<p>You receive an email each time our team replies. You can also read the whole "
                "conversation on the page of your ticket, and answer there or by replying to the email.</p>",
            ),
            (
                "reopen-a-ticket",
                "My ticket is closed but the problem came back. What should I do?",
                "<p>Reply to the ticket, or click <b>Reopen</b> on its page: it opens again and goes back to "
                "the team that handled it. After a few weeks, open a new ticket instead.</p>",
            ),
        ],
    ),
    (
        "account",
        "Account and team",
        [
            (
                "invite-a-team-member",
                "How do I invite a team member?",
                "<p>In <b>Settings › Team</b>, click <b>Invite</b>, enter the person's email address and choose "
                "their role. They receive a link, valid for seven days, to create their account.</p>",
            ),
            (
                "reset-password",
                "I forgot my password. How do I reset it?",
                "<p>On the sign-in page, click <b>Forgot password?</b> and enter the email address of your "
                "account. You receive a link to choose a new password; it is valid for one hour.</p>",
            ),
            (
                "change-email",
                "How do I change the email address of my account?",
                "<p>Open <b>My account</b>, change the address and confirm with your password. We send a "
                "confirmation link to the new address; the change applies once you click it.</p>",
            ),
        ],
    ),
    (
        "billing",
        "Billing and subscription",
        [
            (
                "create-an-invoice",
                "How do I create an invoice?",
                "<p>In <b>Billing › Invoices</b>, click <b>New invoice</b>, choose the customer, add the lines "
                "and click <b>Save</b>. The invoice stays a draft until you <b>send</b> it; it gets its number "
                "then.</p>",
            ),
            (
                "manage-my-subscription",
                "How do I manage my subscription?",
                "<p>In <b>Settings › Subscription</b>, you can change plan, change the payment method or cancel. "
                "A change of plan applies at once; a cancellation at the end of the current period.</p>",
            ),
            (
                "download-invoices",
                "Where can I download my past invoices?",
                "<p>In <b>Billing › History</b>, each invoice has a <b>Download</b> link (PDF). "
                "Invoices are kept for ten years.</p>",
            ),
            (
                "payment-methods",
                "Which payment methods do you accept?",
                "<p>Credit and debit cards (Visa, Mastercard, American Express) and SEPA direct debit. "
                "Annual plans can also be paid by bank transfer.</p>",
            ),
        ],
    ),
    (
        "data",
        "Staff and data",
        [
            (
                "send-a-staff-list",
                "How do I send a staff list?",
                "<p>In <b>Staff › Import</b>, upload a CSV or Excel file with one line per person (last name, "
                "first name, email address, department). Check the preview, then click <b>Import</b>. You can "
                "also attach the file to a ticket: our team will import it for you.</p>",
            ),
            (
                "import-file-format",
                "Which file format does the staff import accept?",
                "<p>CSV (UTF-8, comma or semicolon separated) and Excel (.xlsx) files up to 10 MB, with one "
                "header row. Download the template from the import page to get the columns right.</p>",
            ),
            (
                "export-my-data",
                "How do I export my data?",
                "<p>In <b>Settings › Data</b>, click <b>Export</b>. We prepare an archive of your records "
                "and email you a download link when it is ready.</p>",
            ),
        ],
    ),
]


# The French FAQ: each topic's French slug and name, and each question's French slug, question and answer,
# by the English slug they translate.
DEMO_FAQ_FR_TOPICS = {
    "support": ("utiliser-le-support", "Utiliser le support"),
    "account": ("compte-et-equipe", "Compte et équipe"),
    "billing": ("facturation-et-abonnement", "Facturation et abonnement"),
    "data": ("personnel-et-donnees", "Personnel et données"),
}
DEMO_FAQ_FR = {
    "open-a-ticket": (
        "creer-un-ticket",
        "Comment créer un ticket de support ?",
        "<p>Accédez à la section <b>Support</b> et remplissez les informations :</p>"
        "<ul><li><b>Objet</b> : résumé de la demande ;</li>"
        "<li><b>Description</b> : détails du problème ou de la demande.</li></ul>"
        "<p>Vérifiez toutes les informations, ajoutez des pièces jointes si nécessaire et cliquez sur "
        "<b>Envoyer</b>. Vous recevrez une confirmation et un numéro de ticket.</p>",
    ),
    "choose-a-priority": (
        "choisir-une-priorite",
        "Quelle priorité choisir ?",
        "<ul><li><b>Basse</b> : demande non urgente qui peut attendre.</li>"
        "<li><b>Normale</b> : demande standard traitée dans les délais habituels.</li>"
        "<li><b>Haute</b> : demande importante nécessitant une attention particulière.</li>"
        "<li><b>Urgente</b> : demande critique nécessitant une intervention immédiate.</li></ul>",
    ),
    "attach-a-file": (
        "joindre-un-fichier",
        "Puis-je joindre une capture d'écran ou un document ?",
        "<p>Oui. Ouvrez le ticket, cliquez sur <b>Joindre un fichier</b> et sélectionnez le fichier (capture "
        "d'écran, PDF, tableur...). Le fichier est joint au message : seuls vous et notre équipe support "
        "pouvez le télécharger.</p>",
    ),
    "follow-replies": (
        "suivre-les-reponses",
        "Comment savoir si le support a répondu ?",
        "<p>Vous recevez une notification par email à chaque nouvelle réponse de notre équipe. Vous pouvez "
        "aussi consulter toute la conversation sur la page de votre ticket, et répondre depuis cette page ou "
        "en répondant à l'email.</p>",
    ),
    "reopen-a-ticket": (
        "rouvrir-un-ticket",
        "Mon ticket est clôturé mais le problème est revenu. Que faire ?",
        "<p>Répondez au ticket, ou cliquez sur <b>Rouvrir</b> sur sa page : il est rouvert et revient à "
        "l'équipe qui l'a traité. Après quelques semaines, créez plutôt un nouveau ticket.</p>",
    ),
    "invite-a-team-member": (
        "inviter-un-membre",
        "Comment inviter un membre de l'équipe ?",
        "<p>Dans <b>Paramètres › Équipe</b>, cliquez sur <b>Inviter</b>, saisissez l'adresse "
        "électronique de la personne et choisissez son rôle. Elle reçoit un lien valable sept jours "
        "pour créer son compte.</p>",
    ),
    "reset-password": (
        "mot-de-passe-oublie",
        "J'ai oublié mon mot de passe. Comment le réinitialiser ?",
        "<p>Sur la page de connexion, cliquez sur <b>Mot de passe oublié ?</b> et saisissez l'adresse "
        "électronique de votre compte. Vous recevez un lien pour choisir un nouveau mot de passe ; il est "
        "valable une heure.</p>",
    ),
    "change-email": (
        "changer-d-adresse-electronique",
        "Comment changer l'adresse électronique de mon compte ?",
        "<p>Ouvrez <b>Mon compte</b>, modifiez l'adresse et confirmez avec votre mot de passe. Nous envoyons "
        "un lien de confirmation à la nouvelle adresse ; le changement s'applique dès que vous cliquez "
        "dessus.</p>",
    ),
    "create-an-invoice": (
        "creer-une-facture",
        "Comment créer une facture ?",
        "<p>Dans <b>Facturation › Factures</b>, cliquez sur <b>Nouvelle facture</b>, choisissez le "
        "client, ajoutez les lignes puis cliquez sur <b>Enregistrer</b>. La facture reste en "
        "brouillon jusqu'à ce que vous l'<b>envoyiez</b> ; son numéro est attribué à ce moment-là.</p>",
    ),
    "manage-my-subscription": (
        "gerer-mon-abonnement",
        "Comment gérer mon abonnement ?",
        "<p>Dans <b>Paramètres › Abonnement</b>, vous pouvez changer de formule, modifier le moyen de "
        "paiement ou résilier. Un changement de formule prend effet immédiatement ; une résiliation "
        "à la fin de la période en cours.</p>",
    ),
    "download-invoices": (
        "telecharger-mes-factures",
        "Où télécharger mes anciennes factures ?",
        "<p>Dans <b>Facturation › Historique</b>, chaque facture a un lien <b>Télécharger</b> (PDF). "
        "Les factures sont conservées dix ans.</p>",
    ),
    "payment-methods": (
        "moyens-de-paiement",
        "Quels moyens de paiement acceptez-vous ?",
        "<p>Les cartes de crédit et de débit (Visa, Mastercard, American Express) et le prélèvement SEPA. "
        "Les formules annuelles peuvent aussi être réglées par virement bancaire.</p>",
    ),
    "send-a-staff-list": (
        "envoyer-une-liste-de-personnel",
        "Comment envoyer une liste de personnel ?",
        "<p>Dans <b>Personnel › Importer</b>, téléversez un fichier CSV ou Excel avec une ligne par "
        "personne (nom, prénom, adresse électronique, service). Vérifiez l'aperçu puis cliquez sur "
        "<b>Importer</b>. Vous pouvez aussi joindre le fichier à un ticket : notre équipe l'importera "
        "pour vous.</p>",
    ),
    "import-file-format": (
        "format-du-fichier-d-import",
        "Quels formats de fichier l'import du personnel accepte-t-il ?",
        "<p>Les fichiers CSV (UTF-8, séparés par des virgules ou des points-virgules) et Excel (.xlsx) "
        "jusqu'à 10 Mo, avec une ligne d'en-tête. Téléchargez le modèle depuis la page d'import pour avoir "
        "les bonnes colonnes.</p>",
    ),
    "export-my-data": (
        "exporter-mes-donnees",
        "Comment exporter mes données ?",
        "<p>Dans <b>Paramètres › Données</b>, cliquez sur <b>Exporter</b>. Nous préparons une archive de vos "
        "données et vous envoyons par email un lien de téléchargement dès qu'elle est prête.</p>",
    ),
}
FAQ_PAGE_TITLE_FR = "Questions fréquentes"
FAQ_PAGE_INTRO_FR = (
    "<p>Les réponses aux questions qu'on nous pose le plus. Vous ne trouvez pas la vôtre ? "
    "Créez un ticket depuis la page Support : notre équipe vous répondra.</p>"
)


def publish(entry):
    """Save ``entry`` (an FAQ question, not live yet) and publish it through a revision: live, with the
    revision and the log entry the admin's history shows."""
    entry.live = False
    entry.save()
    entry.save_revision().publish()
    return entry


@transaction.atomic
def seed_faq(parent_page):
    """Create the demo topics, entries and the FAQ page (slug "faq") under ``parent_page``.

    Returns ``(created_count, faq_page)``: how many topics, entries and pages were created (0 when
    everything was there already), and the FAQ page, or None when a page of another type already uses
    the slug "faq" under ``parent_page`` (it is left alone).
    """
    created = 0
    for topic_order, (topic_slug, topic_name, entries) in enumerate(DEMO_FAQ):
        topic, topic_created = FAQTopic.objects.get_or_create(
            slug=topic_slug, locale=Locale.get_default(), defaults={"name": topic_name, "sort_order": topic_order}
        )
        created += topic_created
        for entry_order, (slug, question, answer) in enumerate(entries):
            if not FAQEntry.objects.filter(slug=slug, locale=topic.locale_id).exists():
                publish(FAQEntry(topic=topic, question=question, answer=answer, slug=slug, sort_order=entry_order))
                created += 1

    existing = parent_page.get_children().filter(slug=FAQ_PAGE_SLUG).first()
    if existing is not None:
        page = existing.specific
        return created, page if isinstance(page, FAQPage) else None

    page = FAQPage(title=FAQ_PAGE_TITLE, slug=FAQ_PAGE_SLUG, intro=FAQ_PAGE_INTRO)
    parent_page.add_child(instance=page)
    page.save_revision().publish()
    return created + 1, page


@transaction.atomic
def seed_faq_translation(locale):
    """The French translations of the demo's topics and questions (``DEMO_FAQ_FR``), each a copy of the
    English one made by Wagtail's ``copy_for_translation`` (same ``translation_key``) with French texts,
    published through a revision. Returns how many were created (0 when all were there)."""
    created = 0
    default = Locale.get_default()
    for topic_slug, _name, entries in DEMO_FAQ:
        topic = FAQTopic.objects.filter(slug=topic_slug, locale=default).first()
        if topic is None:
            continue
        french_topic = topic.get_translation_or_none(locale)
        if french_topic is None:
            french_topic = topic.copy_for_translation(locale)
            french_topic.slug, french_topic.name = DEMO_FAQ_FR_TOPICS[topic_slug]
            french_topic.save()
            created += 1
        for slug, _question, _answer in entries:
            entry = FAQEntry.objects.filter(slug=slug, locale=default).first()
            if entry is None or slug not in DEMO_FAQ_FR or entry.get_translation_or_none(locale) is not None:
                continue
            french = entry.copy_for_translation(locale)
            french.topic = french_topic
            french.slug, french.question, french.answer = DEMO_FAQ_FR[slug]
            french.source_ticket = None
            french.latest_revision = french.live_revision = None
            french.first_published_at = french.last_published_at = None
            french.has_unpublished_changes = False
            publish(french)
            created += 1
    return created
