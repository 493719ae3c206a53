"""Demo content of the FAQ, seeded by ``manage.py support_demo`` through ``seed_faq``.

Most entries are in English; the four questions of the quick FAQ of the source documents ("FAQ rapide")
are kept word for word, in French, with French answers. Seeding is idempotent: topics and entries are
found by slug and only created when missing, and existing ones are never changed.
"""

from django.db import transaction

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
                "inviter-un-membre",
                "Comment inviter un membre de l'équipe ?",
                "<p>Dans <b>Paramètres › Équipe</b>, cliquez sur <b>Inviter</b>, saisissez l'adresse "
                "électronique de la personne et choisissez son rôle. Elle reçoit un lien valable sept jours "
                "pour créer son compte.</p>",
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
                "creer-une-facture",
                "Comment créer une facture ?",
                "<p>Dans <b>Facturation › Factures</b>, cliquez sur <b>Nouvelle facture</b>, choisissez le "
                "client, ajoutez les lignes puis cliquez sur <b>Enregistrer</b>. La facture reste en "
                "brouillon jusqu'à ce que vous l'<b>envoyiez</b> ; son numéro est attribué à ce moment-là.</p>",
            ),
            (
                "gerer-mon-abonnement",
                "Comment gérer mon abonnement ?",
                "<p>Dans <b>Paramètres › Abonnement</b>, vous pouvez changer de formule, modifier le moyen de "
                "paiement ou résilier. Un changement de formule prend effet immédiatement ; une résiliation "
                "à la fin de la période en cours.</p>",
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
                "envoyer-une-liste-de-personnel",
                "Comment envoyer une liste de personnel ?",
                "<p>Dans <b>Personnel › Importer</b>, téléversez un fichier CSV ou Excel avec une ligne par "
                "personne (nom, prénom, adresse électronique, service). Vérifiez l'aperçu puis cliquez sur "
                "<b>Importer</b>. Vous pouvez aussi joindre le fichier à un ticket : notre équipe l'importera "
                "pour vous.</p>",
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
            slug=topic_slug, defaults={"name": topic_name, "sort_order": topic_order}
        )
        created += topic_created
        for entry_order, (slug, question, answer) in enumerate(entries):
            _entry, entry_created = FAQEntry.objects.get_or_create(
                slug=slug,
                defaults={"topic": topic, "question": question, "answer": answer, "sort_order": entry_order},
            )
            created += entry_created

    existing = parent_page.get_children().filter(slug=FAQ_PAGE_SLUG).first()
    if existing is not None:
        page = existing.specific
        return created, page if isinstance(page, FAQPage) else None

    page = FAQPage(title=FAQ_PAGE_TITLE, slug=FAQ_PAGE_SLUG, intro=FAQ_PAGE_INTRO)
    parent_page.add_child(instance=page)
    page.save_revision().publish()
    return created + 1, page
