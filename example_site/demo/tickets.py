"""Demo data for the example site, seeded by ``manage.py support_demo``.

Everything here is idempotent: objects are looked up by a natural key (slug, code, username, parent and
name) and only created when missing; existing objects are never changed, apart from adding a demo user
to the demo teams and groups it needs (so the demo tickets can be worked). Tickets are only seeded when
no demo ticket exists yet (a demo ticket is one whose requester address is ``@example.com`` or
``@example.org``), and every change of a ticket goes through ``wagtail_support.workflow``.

The data (names, subjects, messages) follows the wording of the product's two French source documents,
the visitor's "Support client" and the agent's "Créer et traiter un dossier d'assistance": French and
English requesters, the quick FAQ and the agent's use cases.
"""

import os
from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from wagtail.models import Locale, Page, Site

from example_site.demo import service_levels, sites, translations
from example_site.demo.faq import seed_faq
from example_site.demo.sites import SECOND_SITE_HOME_SLUG
from wagtail_support import access, workflow
from wagtail_support.groups import AGENTS, SUPERVISORS, sync_groups
from wagtail_support.models import CannedResponse, Category, Message, ResolutionCode, Team, Ticket
from wagtail_support.pages import SupportPage

# Configuration ------------------------------------------------------------------------------------------

HOME_TITLE = "wagtail-support example"
HOME_SLUG = "home"
HOME_INTRO = (
    "<p>This example site runs <b>wagtail-support</b>, a helpdesk that lives inside Wagtail: visitors open "
    "and follow support tickets from the site, agents work them in the Wagtail admin.</p>"
    "<p>Sign in to the <a href=\"/admin/\">admin</a> with one of the demo accounts to work the demo tickets.</p>"
)
WAGTAIL_DEFAULT_TITLE = "Welcome to your new Wagtail site!"

TEAMS = [
    # slug, name, contact address
    ("helpdesk", "Helpdesk", "helpdesk@example.com"),
    ("billing", "Billing", "billing@example.com"),
    ("technical", "Technical support", "technical@example.com"),
    # The second site's own team (example_site.demo.sites).
    ("hardware", "Hardware team", "hardware@acme.example"),
]

CATALOG = [
    # name, team slug, description, children (name, description)
    (
        "Account",
        "helpdesk",
        "Signing in, profiles and the people of an account.",
        [
            ("Login problems", "Cannot sign in, password resets, locked accounts."),
            ("Team members", "Inviting, removing and managing the members of a team."),
        ],
    ),
    (
        "Billing",
        "billing",
        "Invoices, payments and subscriptions.",
        [
            ("Invoices", "Creating, finding and correcting invoices."),
            ("Subscription", "Plans, upgrades, payment methods and cancellations."),
        ],
    ),
    (
        "Platform",
        "technical",
        "The application itself: errors, performance and integrations.",
        [
            ("Bug report", "Something does not work as it should."),
            ("Integrations", "The API, webhooks and connections to other tools."),
        ],
    ),
]

RESOLUTION_CODES = [
    ("fixed", "Fixed"),
    ("answered", "Question answered"),
    ("workaround", "Workaround given"),
    ("duplicate", "Duplicate"),
    ("not-reproducible", "Could not reproduce"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    email: str
    role: str  # shown in the logins table
    superuser: bool = False
    groups: tuple = ()
    teams: tuple = ()


USERS = [
    DemoUser("admin", "admin", "Admin", "", "admin@example.com", "superuser", superuser=True),
    DemoUser(
        "anna", "annademo123", "Anna", "Martin", "anna@example.com",
        "agent (Helpdesk, Technical support)", groups=(AGENTS,), teams=("helpdesk", "technical"),
    ),
    DemoUser(
        "pierre", "pierredemo123", "Pierre", "Durand", "pierre@example.com",
        "agent (Billing)", groups=(AGENTS,), teams=("billing",),
    ),
    DemoUser(
        "sophie", "sophiedemo123", "Sophie", "Leroy", "sophie@example.com",
        "supervisor (every team)", groups=(SUPERVISORS,),
    ),
    DemoUser("paul", "pauldemo123", "Paul", "Smith", "paul@example.com", "requester (no admin access)"),
    DemoUser(
        "marc", "marcdemo123", "Marc", "Blanc", "marc@acme.example",
        "agent (Hardware team, the Acme Hardware site)", groups=(AGENTS,), teams=("hardware",),
    ),
]

DEMO_EMAIL_DOMAINS = ("@example.com", "@example.org")


def demo_tickets():
    """The tickets that count as demo data: requester address at example.com or example.org."""
    q = Q()
    for domain in DEMO_EMAIL_DOMAINS:
        q |= Q(requester_email__iendswith=domain)
    return Ticket.objects.filter(q)


# Tickets ------------------------------------------------------------------------------------------------
#
# ``requester`` is a demo username (an account) or a (name, email) pair (someone without an account).
# ``by`` is the agent who typed the ticket in on the requester's behalf (None: the requester did).
# ``category`` is a (parent, child) pair, a parent name alone, or None (the default team gets it).
# ``steps`` are applied in order, each through the workflow:
#   ("assign", agent[, by])          assign to agent (by the agent themselves unless ``by`` is given)
#   ("note", agent, text)            internal note (agent journal)
#   ("reply", agent, text)           public reply (requester journal)
#   ("ask", agent, text)             public reply that waits on the requester (open -> pending)
#   ("pending", agent)               wait on the requester without a message
#   ("answer", text)                 the requester (or beneficiary) replies
#   ("resolve", agent, code, text)   resolve with a resolution code and a solution
#   ("abandon", agent)               close as "no follow-up"
#   ("close",)                       the requester closes the ticket
#   ("reopen", who)                  reopen, by "requester" or by an agent
#   ("rate", rating, comment)        the requester rates the closing "good" or "bad" (workflow.rate)

K = Ticket.Kind
P = Ticket.Priority
C = Ticket.Channel

MARIE = ("Marie Dupont", "marie.dupont@example.org")
JEAN = ("Jean Lefèvre", "jean.lefevre@example.org")
CAMILLE = ("Camille Bernard", "camille.bernard@example.org")
LUCAS = ("Lucas Moreau", "lucas.moreau@example.org")
CHLOE = ("Chloé Petit", "chloe.petit@example.org")
NICOLAS = ("Nicolas Roux", "nicolas.roux@example.org")
THOMAS = ("Thomas Girard", "thomas.girard@example.org")
LEA = ("Léa Garnier", "lea.garnier@example.org")
ANTOINE = ("Antoine Faure", "antoine.faure@example.org")
CLAIRE = ("Claire Fontaine", "claire.fontaine@example.org")
EMMA = ("Emma Johnson", "emma.johnson@example.com")
OLIVER = ("Oliver Brown", "oliver.brown@example.com")
SARAH = ("Sarah Williams", "sarah.williams@example.com")
JAMES = ("James Taylor", "james.taylor@example.org")
PRIYA = ("Priya Patel", "priya.patel@example.com")
EMILY = ("Emily Clarke", "emily.clarke@example.com")
HUGO = ("Hugo Lambert", "hugo.lambert@example.org")


@dataclass(frozen=True)
class DemoTicket:
    subject: str
    description: str
    requester: object
    kind: str
    priority: str
    category: object
    language: str
    channel: str = C.WEB
    by: str = None
    # The second site's tickets: site "acme" (example_site.demo.sites) and the team they go to.
    site: str = ""
    team: str = None
    beneficiary: object = None
    steps: tuple = field(default_factory=tuple)


TICKETS = [
    # --- Open ------------------------------------------------------------------------------------------
    DemoTicket(
        "Comment créer une facture ?",
        "Bonjour,\nje viens de m'inscrire et je ne trouve pas comment créer ma première facture. "
        "Faut-il d'abord ajouter un client ?\nMerci d'avance,\nMarie",
        MARIE, K.QUESTION, P.NORMAL, ("Billing", "Invoices"), "fr",
    ),
    DemoTicket(
        "Comment envoyer une liste de personnel ?",
        "Nous sommes 40 dans l'entreprise. Est-il possible d'envoyer la liste du personnel en une fois "
        "(fichier Excel ou CSV) plutôt que d'ajouter chaque personne à la main ?",
        JEAN, K.QUESTION, P.LOW, ("Account", "Team members"), "fr",
        steps=(
            ("assign", "anna"),
            ("note", "anna", "Il parle de l'import CSV : vérifier d'abord son abonnement, l'import n'est pas dans l'offre Découverte."),
        ),
    ),
    DemoTicket(
        "Cannot invite a team member",
        "When I invite my colleague from Settings > Team, I get \"This address is not valid\". "
        "Her address looks perfectly normal to me.",
        "paul", K.BUG, P.HIGH, ("Account", "Team members"), "en",
        steps=(
            ("assign", "anna"),
            ("ask", "anna", "Hello Paul,\ncould you tell us the exact address you are trying to invite? "
                            "You can replace the part before the @ if you prefer."),
            ("answer", "It is lucy+support@smith-consulting.example, copied from her signature."),
            ("note", "anna", "Reproduced: invitations to addresses with a \"+\" are refused by the form. "
                             "Asked the technical team for a fix; told nothing to the customer yet."),
        ),
    ),
    DemoTicket(
        "Le site est très lent depuis ce matin",
        "Chaque page met plus de 10 secondes à s'afficher depuis 9 h, pour toute l'équipe. "
        "Nous ne pouvons plus travailler.",
        LUCAS, K.TECHNICAL, P.URGENT, ("Platform", "Bug report"), "fr",
        steps=(
            ("assign", "anna"),
            ("note", "anna", "Incident en cours côté hébergeur, l'exploitation est dessus. Répondre dès qu'on a une heure de retour."),
        ),
    ),
    DemoTicket(
        "Feature request: export tickets to CSV",
        "It would help our monthly reporting if we could export the list of our requests as a CSV file.",
        EMMA, K.FEATURE_REQUEST, P.LOW, ("Platform", "Integrations"), "en",
    ),
    DemoTicket(
        "Erreur 500 lors de l'import d'un fichier",
        "Quand j'importe notre fichier de clients (2 Mo, format CSV), j'obtiens une page « Erreur serveur ». "
        "Le même fichier passait le mois dernier.",
        CAMILLE, K.BUG, P.HIGH, ("Platform", "Bug report"), "fr",
    ),
    DemoTicket(
        "Double charge on my card",
        "My card was charged twice for the March subscription (2 × 49 €). Please refund one of them.",
        OLIVER, K.BILLING, P.URGENT, ("Billing", "Invoices"), "en",
        steps=(
            ("assign", "pierre"),
            ("note", "pierre", "The payment provider shows two authorisations but only one capture; the second "
                               "one should drop within 7 days. Check again on Monday before refunding anything."),
        ),
    ),
    DemoTicket(
        "Question about data retention",
        "How long do you keep the data of a closed account? Our DPO needs the answer for our records.",
        SARAH, K.OTHER, P.NORMAL, None, "en",
    ),
    DemoTicket(
        "Webhook non reçu après un paiement",
        "Notre URL de webhook ne reçoit plus les notifications de paiement depuis hier soir. "
        "Rien n'a changé de notre côté.",
        NICOLAS, K.TECHNICAL, P.HIGH, ("Platform", "Integrations"), "fr",
        steps=(
            ("assign", "anna"),
            ("reply", "anna", "Bonjour,\nnous avons bien reçu votre demande et nous regardons les journaux d'envoi "
                              "des webhooks de votre compte. Nous revenons vers vous dans la journée."),
        ),
    ),
    DemoTicket(
        "Comment gérer mon abonnement ?",
        "Je voudrais passer de l'offre mensuelle à l'offre annuelle, et savoir ce qu'il advient des mois déjà payés.",
        CHLOE, K.QUESTION, P.NORMAL, ("Billing", "Subscription"), "fr",
        steps=(("assign", "pierre"),),
    ),
    DemoTicket(
        "Dark mode for the dashboard",
        "Would it be possible to have a dark theme? I work late and the dashboard is very bright.",
        "paul", K.FEATURE_REQUEST, P.LOW, "Platform", "en",
        steps=(("note", "anna", "Already on the product roadmap for the autumn; no date to give the customer."),),
    ),
    DemoTicket(
        "Facture introuvable dans l'espace client",
        "Je ne retrouve pas la facture de février dans mon espace client. Pouvez-vous me la renvoyer ?",
        THOMAS, K.BILLING, P.NORMAL, ("Billing", "Invoices"), "fr",
        steps=(
            ("assign", "pierre"),
            ("resolve", "pierre", "answered", "Les factures sont dans Mon compte > Facturation > Factures ; "
                                              "celle de février y est depuis le 1er mars."),
            ("answer", "Je ne vois toujours que les factures de l'an dernier dans cette page."),
            ("note", "pierre", "Rouvert par le client : le filtre d'année de la page des factures reste sur l'an dernier. "
                               "Lui envoyer la facture en pièce jointe en attendant."),
        ),
    ),
    DemoTicket(
        "API rate limit too low for our nightly sync",
        "Our nightly synchronisation hits the limit of 60 calls per minute after a few minutes. "
        "Can the limit be raised for our account?",
        JAMES, K.TECHNICAL, P.HIGH, ("Platform", "Integrations"), "en",
        steps=(
            ("assign", "anna"),
            ("resolve", "anna", "workaround", "Use the bulk endpoints (up to 500 records per call) and the "
                                              "Retry-After header: the sync then stays well under the limit."),
            ("reopen", "anna"),
            ("note", "anna", "James called back: the bulk endpoints do not cover attachments. Reopened to ask "
                             "Sophie whether we can raise the limit for this account."),
        ),
    ),
    # --- Pending ---------------------------------------------------------------------------------------
    DemoTicket(
        "Comment inviter un membre de l'équipe ?",
        "Bonjour, je souhaite ajouter ma collègue comptable à notre compte. Comment faire ?",
        LEA, K.QUESTION, P.NORMAL, ("Account", "Team members"), "fr",
        steps=(
            ("assign", "anna"),
            ("ask", "anna", "Bonjour Léa,\nallez dans Paramètres > Équipe et cliquez sur « Inviter », puis saisissez "
                            "son adresse. Pouvez-vous nous dire si l'invitation est bien arrivée ?"),
        ),
    ),
    DemoTicket(
        "Mot de passe oublié : le lien de réinitialisation a expiré",
        "Le lien reçu par mail me dit « lien expiré » alors que je clique dessus tout de suite.",
        JEAN, K.QUESTION, P.HIGH, ("Account", "Login problems"), "fr",
        steps=(
            ("ask", "anna", "Bonjour,\nutilisez-vous une messagerie d'entreprise ? Certains filtres ouvrent les liens "
                            "avant vous. Pouvez-vous essayer depuis une autre adresse ou nous donner le nom de votre messagerie ?"),
        ),
    ),
    DemoTicket(
        "Invoice address is wrong",
        "The invoices show our old address. We moved in January to 12 Market Street.",
        "paul", K.BILLING, P.NORMAL, ("Billing", "Invoices"), "en",
        steps=(
            ("assign", "pierre"),
            ("ask", "pierre", "Hello Paul,\nshould we also correct the invoices already issued since January, "
                              "or only the next ones?"),
        ),
    ),
    DemoTicket(
        "Crash when uploading a PNG screenshot",
        "Uploading a screenshot to a report makes the page go blank. JPEG files work.",
        PRIYA, K.BUG, P.HIGH, ("Platform", "Bug report"), "en",
        steps=(
            ("assign", "anna"),
            ("note", "anna", "Could not reproduce with Firefox or Chrome on a 2 MB PNG."),
            ("ask", "anna", "Hello Priya,\nwhich browser do you use, and how large is the file? "
                            "Attaching the screenshot here would help us a lot."),
        ),
    ),
    DemoTicket(
        "Changement de moyen de paiement",
        "Nous souhaitons payer par prélèvement plutôt que par carte à partir du mois prochain.",
        ANTOINE, K.BILLING, P.LOW, ("Billing", "Subscription"), "fr",
        steps=(
            ("assign", "pierre"),
            ("reply", "pierre", "Bonjour,\nc'est possible : il nous faut un mandat SEPA signé. Vous le trouverez dans "
                                "Mon compte > Facturation > Moyen de paiement."),
            ("pending", "pierre"),
        ),
    ),
    DemoTicket(
        "Single sign-on with Google Workspace",
        "Can our staff sign in with their Google Workspace accounts instead of a password?",
        EMMA, K.FEATURE_REQUEST, P.NORMAL, ("Account", "Login problems"), "en",
        steps=(
            ("assign", "anna"),
            ("ask", "anna", "Hello Emma,\nSSO is available on the Business plan. Which plan is your account on?"),
            ("answer", "We are on the Team plan. What would the Business plan cost for 25 people?"),
            ("ask", "anna", "The Business plan is 9 € per person per month. Shall I ask our billing team to prepare a quote?"),
        ),
    ),
    DemoTicket(
        "Demande de devis pour 50 utilisateurs",
        "Nous envisageons d'ouvrir l'outil à 50 personnes. Pouvez-vous nous faire un devis ?",
        LUCAS, K.OTHER, P.NORMAL, ("Billing", "Subscription"), "fr",
        steps=(
            ("ask", "pierre", "Bonjour,\navec plaisir. Souhaitez-vous un engagement annuel (remise de 15 %) ou mensuel ?"),
        ),
    ),
    DemoTicket(
        "Slack integration posts every message twice",
        "Since last week each new request is announced twice in our Slack channel.",
        OLIVER, K.BUG, P.NORMAL, ("Platform", "Integrations"), "en",
        steps=(
            ("assign", "anna", "sophie"),
            ("ask", "anna", "Hello Oliver,\ndid you perhaps connect the Slack app twice (once per workspace admin)? "
                            "Settings > Integrations lists the active connections."),
        ),
    ),
    DemoTicket(
        "Accès pour un nouvel arrivant",
        "Appel de Claire Fontaine (responsable administrative) : Paul Smith arrive lundi dans son service "
        "et a besoin d'un accès au compte de l'entreprise avec les droits de facturation.",
        CLAIRE, K.QUESTION, P.NORMAL, ("Account", "Team members"), "fr",
        channel=C.PHONE, by="anna", beneficiary="paul",
        steps=(
            ("assign", "anna"),
            ("ask", "anna", "Bonjour Madame Fontaine,\npouvez-vous nous confirmer par écrit que Paul Smith doit avoir "
                            "les droits de facturation ? C'est nécessaire pour ce rôle."),
        ),
    ),
    DemoTicket(
        "Re: votre facture F-2024-117",
        "Bonjour,\nle montant de la facture F-2024-117 ne correspond pas au devis signé (1 200 € au lieu de 1 000 €).\n"
        "Cordialement,\nNicolas Roux",
        NICOLAS, K.BILLING, P.HIGH, ("Billing", "Invoices"), "fr", channel=C.EMAIL,
        steps=(
            ("assign", "pierre"),
            ("note", "pierre", "Le devis ne comprenait pas l'option archivage, ajoutée en cours de mois par le client."),
            ("ask", "pierre", "Bonjour,\nla différence vient de l'option archivage activée le 12. Souhaitez-vous la garder ?"),
        ),
    ),
    # --- Closed: resolved ------------------------------------------------------------------------------
    DemoTicket(
        "Paul Smith wrote to the platform: cannot log in",
        "Paul Smith wrote to the support address: he cannot log in since this morning. The login page says "
        "\"invalid password\" although he reset his password twice.",
        "paul", K.QUESTION, P.HIGH, ("Account", "Login problems"), "en", channel=C.EMAIL, by="pierre",
        steps=(
            ("assign", "anna"),
            ("note", "anna", "The account was locked after 10 failed attempts from an old saved password in his browser."),
            ("ask", "anna", "Hello Paul,\nwe unlocked your account. Could you try again, after removing the password "
                            "saved in your browser for our site?"),
            ("answer", "It works now, thank you!"),
            ("resolve", "anna", "fixed", "Your account had been locked after too many failed attempts with an old "
                                         "password saved in your browser. We unlocked it; remove the saved password "
                                         "to avoid it happening again."),
            ("rate", "good", "Quick and clear, thank you!"),
        ),
    ),
    DemoTicket(
        "Export comptable au format FEC",
        "Notre expert-comptable nous demande un export FEC. Est-ce possible depuis l'outil ?",
        NICOLAS, K.QUESTION, P.NORMAL, ("Billing", "Invoices"), "fr",
        steps=(
            ("assign", "pierre"),
            ("resolve", "pierre", "answered", "Oui : Facturation > Exports > « Fichier des écritures comptables (FEC) », "
                                              "choisissez l'exercice puis cliquez sur « Télécharger »."),
            ("rate", "good", ""),
        ),
    ),
    DemoTicket(
        "Login loop on Safari",
        "On Safari 17 the login page keeps coming back after I enter my password. Chrome works.",
        JAMES, K.BUG, P.HIGH, ("Account", "Login problems"), "en",
        steps=(
            ("assign", "anna"),
            ("note", "anna", "Safari blocks the session cookie since the domain change; fix deployed this morning."),
            ("resolve", "anna", "fixed", "A change of our cookie settings broke sign-in on Safari. It is fixed: "
                                         "please reload the login page."),
            ("rate", "bad", "Two days without access to my account before anyone told me what was going on."),
        ),
    ),
    DemoTicket(
        "Notifications par mail en double",
        "Je reçois chaque notification deux fois.",
        CAMILLE, K.BUG, P.NORMAL, ("Platform", "Bug report"), "fr",
        steps=(
            ("resolve", "anna", "duplicate", "C'est le même problème que celui de l'intégration Slack signalé "
                                             "la semaine dernière ; il est corrigé depuis ce matin."),
        ),
    ),
    DemoTicket(
        "Calendar sync not working",
        "Events created in the app no longer appear in our Outlook calendar.",
        SARAH, K.TECHNICAL, P.NORMAL, ("Platform", "Integrations"), "en",
        steps=(
            ("assign", "anna"),
            ("ask", "anna", "Hello Sarah,\ncould you disconnect and reconnect the calendar from Settings > Integrations, "
                            "and tell us whether new events appear?"),
            ("answer", "I did, and everything created since then shows up. The old ones are still missing."),
            ("resolve", "anna", "not-reproducible", "We could not reproduce the problem after the reconnection; events "
                                                    "created before it were not synchronised and have to be added again."),
        ),
    ),
    DemoTicket(
        "Upgrade to the annual plan",
        "How do I switch to the annual plan, and is the discount applied at once?",
        "paul", K.BILLING, P.LOW, ("Billing", "Subscription"), "en",
        steps=(
            ("assign", "pierre"),
            ("resolve", "pierre", "answered", "Go to My account > Subscription and choose \"Annual\": the discount applies "
                                              "from the next invoice."),
            ("rate", "bad", "That page only offers monthly plans."),
            ("reopen", "requester"),
            ("answer", "The page only offers monthly plans for my account."),
            ("reply", "pierre", "You are right: annual plans need the account owner. We switched it for you."),
            ("resolve", "pierre", "fixed", "Your account is on the annual plan since today; the discount shows on the next invoice."),
            ("rate", "good", "Sorted in the end, thanks Pierre."),
        ),
    ),
    DemoTicket(
        "Impossible d'ajouter un collaborateur",
        "Le bouton « Ajouter » de la page Équipe est grisé, nous ne pouvons plus ajouter personne.",
        LEA, K.BUG, P.URGENT, ("Account", "Team members"), "fr",
        steps=(
            ("assign", "anna"),
            ("note", "anna", "Le compte a atteint la limite de 10 membres de l'offre ; le bouton grisé n'explique rien, bug signalé."),
            ("resolve", "anna", "workaround", "Votre offre est limitée à 10 membres. En attendant un message plus clair, "
                                              "retirez un membre inactif ou passez à l'offre supérieure."),
        ),
    ),
    # --- Closed: abandoned ("sans suite") --------------------------------------------------------------
    DemoTicket(
        "Test, please ignore",
        "test",
        ("Test User", "test.user@example.org"), K.OTHER, P.LOW, None, "en",
        steps=(("abandon", "anna"),),
    ),
    DemoTicket(
        "Question sur une ancienne facture",
        "J'ai une question sur une facture de 2019.",
        ANTOINE, K.BILLING, P.LOW, ("Billing", "Invoices"), "fr",
        steps=(
            ("ask", "pierre", "Bonjour,\npouvez-vous nous donner le numéro de la facture et votre question ?"),
            ("note", "pierre", "Pas de réponse depuis trois semaines, je classe sans suite."),
            ("abandon", "pierre"),
        ),
    ),
    DemoTicket(
        "Problème d'affichage",
        "L'affichage est bizarre.",
        THOMAS, K.BUG, P.NORMAL, ("Platform", "Bug report"), "fr",
        steps=(
            ("assign", "anna"),
            ("ask", "anna", "Bonjour,\npouvez-vous nous envoyer une capture d'écran et le nom de votre navigateur ?"),
            ("abandon", "sophie"),
        ),
    ),
    # --- Closed by the requester -----------------------------------------------------------------------
    DemoTicket(
        "Cannot download my invoice as PDF",
        "The \"Download PDF\" button on my invoices does nothing.",
        "paul", K.BILLING, P.HIGH, ("Billing", "Invoices"), "en",
        steps=(
            ("answer", "Found it: my browser was blocking the pop-up. Sorry for the trouble."),
            ("close",),
        ),
    ),
    DemoTicket(
        "Mon compte est bloqué",
        "Je n'arrive plus à me connecter, le site me dit que mon compte est bloqué.",
        MARIE, K.QUESTION, P.URGENT, ("Account", "Login problems"), "fr",
        steps=(
            ("reply", "anna", "Bonjour Marie,\nle compte se débloque seul au bout de 15 minutes. Pouvez-vous réessayer ?"),
            ("answer", "C'est bon, j'ai réussi à me connecter. Merci !"),
            ("close",),
        ),
    ),
    DemoTicket(
        "Feature request: bulk archive",
        "We would like to archive many projects at once.",
        PRIYA, K.FEATURE_REQUEST, P.LOW, "Platform", "en",
        steps=(
            ("note", "anna", "Forwarded to product; customer told nothing yet."),
            ("close",),
        ),
    ),
    # --- The second site (Acme Hardware, PORT + 1): its tickets go to its own team ------------------------
    DemoTicket(
        "Router does not start after the firmware update",
        "Since last night's firmware update, my AX-300 router's light blinks orange and it never comes up. "
        "Serial number AX300-4471.",
        EMILY, K.TECHNICAL, P.HIGH, None, "en", site="acme", team="hardware",
        steps=(
            ("assign", "marc"),
            ("ask", "marc", "Hello Emily,\ncould you hold the reset button for ten seconds while the router is on, "
                            "then tell us the colour of the light?"),
        ),
    ),
    DemoTicket(
        "Écran livré avec un pixel mort",
        "Bonjour,\nl'écran V27 reçu hier a un pixel mort au milieu de la dalle. Numéro de série V27-0932.",
        HUGO, K.OTHER, P.NORMAL, None, "fr", site="acme", team="hardware",
        steps=(
            ("assign", "marc"),
            ("resolve", "marc", "fixed", "Bonjour Hugo,\nnous vous envoyons un écran de remplacement ; "
                                         "une étiquette de retour pour l'ancien est jointe au colis."),
        ),
    ),
]


# Seeding ------------------------------------------------------------------------------------------------


class DemoError(Exception):
    pass


class Report:
    """What a run created and found, for the command to print."""

    def __init__(self):
        self.created = Counter()
        self.found = Counter()
        self.names = {}
        self.notes = []
        self.warnings = []

    def add(self, kind, name, created):
        (self.created if created else self.found)[kind] += 1
        if created:
            self.names.setdefault(kind, []).append(str(name))


def seed_home_page(report):
    """A HomePage as the default site's root, replacing Wagtail's untouched default page."""
    if not apps.is_installed("example_site.home"):
        report.warnings.append("example_site.home is not installed: no home page or site was set up.")
        return None, Site.objects.filter(is_default_site=True).first()
    from example_site.home.models import HomePage

    root = Page.get_first_root_node()
    if root is None:
        raise DemoError("The page tree has no root: run migrate first.")
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    # The first home page of the default locale that is not the second site's (example_site.demo.sites).
    home = (
        HomePage.objects.filter(locale=Locale.get_default())
        .exclude(slug=SECOND_SITE_HOME_SLUG)
        .order_by("path")
        .first()
    )

    old_default = None
    if site is not None and (home is None or site.root_page_id != home.pk) and is_untouched_default_page(site.root_page):
        old_default = site.root_page

    if home is None:
        if old_default is not None:
            # The new page takes the "home" slug: move the site off the old page, then delete it. Deleting it
            # while the site points at it would delete the site (and its settings) too.
            site.root_page = root
            site.save()
            old_default.delete()
            report.notes.append(f'deleted Wagtail\'s default page "{WAGTAIL_DEFAULT_TITLE}"')
        slug = HOME_SLUG
        if root.get_children().filter(slug=slug).exists():
            slug = "wagtail-support-example"
        home = HomePage(title=HOME_TITLE, slug=slug, intro=HOME_INTRO)
        root.add_child(instance=home)
        home.save_revision().publish()
        report.add("home page", home.title, True)
    else:
        report.add("home page", home.title, False)
        if old_default is not None:
            site.root_page = home
            site.save()
            old_default.delete()
            report.notes.append(f'deleted Wagtail\'s default page "{WAGTAIL_DEFAULT_TITLE}"')

    if site is None:
        clash = Site.objects.filter(hostname="localhost", port=80).first()
        if clash is not None:
            report.warnings.append(
                f"there is no default site and {clash} already uses localhost:80; no site was created or changed."
            )
        else:
            site = Site.objects.create(
                hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=HOME_TITLE
            )
            report.add("site", f"{site.hostname}:{site.port}", True)
    elif site.root_page_id == home.pk:
        report.add("site", f"{site.hostname}:{site.port}", False)
    elif site.root_page_id == root.pk:
        # Only reached right after the default page was replaced above.
        site.root_page = home
        site.save()
        report.notes.append(f"default site {site.hostname}:{site.port} now points at the new home page")
        report.add("site", f"{site.hostname}:{site.port}", False)
    else:
        report.add("site", f"{site.hostname}:{site.port}", False)
        report.warnings.append(
            f'the default site {site.hostname}:{site.port} points at "{site.root_page.title}", which is not '
            f"Wagtail's untouched default page: left as it is (point it at \"{home.title}\" in Settings > Sites "
            "if you want the demo home page)."
        )
    return home, site


def is_untouched_default_page(page):
    """Is ``page`` the page Wagtail's initial migration created, never edited since?"""
    if page is None:
        return False
    return (
        page.specific_class is Page
        and page.depth == 2
        and page.slug == "home"
        and page.title == WAGTAIL_DEFAULT_TITLE
        and page.numchild == 0
        and page.live
        and not page.has_unpublished_changes
        and not page.revisions.exists()
        and Site.objects.filter(root_page=page).count() <= 1
    )


def seed_teams(report):
    teams = {}
    for slug, name, email in TEAMS:
        team = Team.objects.filter(slug=slug).first() or Team.objects.filter(name=name).first()
        created = team is None
        if created:
            team = Team.objects.create(slug=slug, name=name, contact_email=email)
        teams[slug] = team
        report.add("teams", team.name, created)
    return teams


def seed_catalog(report, teams):
    categories = {}
    # The catalog is the default locale's entries (their translations are example_site.demo.translations').
    locale = Locale.get_default()
    for order, (name, team_slug, description, children) in enumerate(CATALOG, start=1):
        parent, created = Category.objects.get_or_create(
            parent=None,
            name=name,
            locale=locale,
            defaults={"default_team": teams[team_slug], "description": description, "sort_order": order * 10},
        )
        categories[name] = parent
        report.add("service catalog entries", parent.full_name, created)
        for child_order, (child_name, child_description) in enumerate(children, start=1):
            child, created = Category.objects.get_or_create(
                parent=parent,
                name=child_name,
                locale=locale,
                defaults={"description": child_description, "sort_order": child_order * 10},
            )
            categories[(name, child_name)] = child
            report.add("service catalog entries", child.full_name, created)
    return categories


def seed_resolution_codes(report):
    codes = {}
    for order, (code, label) in enumerate(RESOLUTION_CODES, start=1):
        obj, created = ResolutionCode.objects.get_or_create(
            code=code, locale=Locale.get_default(), defaults={"label": label, "sort_order": order * 10}
        )
        codes[code] = obj
        report.add("resolution codes", code, created)
    codes[ResolutionCode.NO_FOLLOW_UP] = ResolutionCode.no_follow_up()
    return codes


def seed_groups(report):
    existing = set(Group.objects.filter(name__in=[AGENTS, SUPERVISORS]).values_list("name", flat=True))
    before = {g.name: g.permissions.count() for g in Group.objects.filter(name__in=[AGENTS, SUPERVISORS])}
    groups = {}
    for group in sync_groups(Group, Permission):
        groups[group.name] = group
        report.add("groups", group.name, group.name not in existing)
        added = group.permissions.count() - before.get(group.name, 0)
        if group.name in existing and added:
            report.notes.append(f'gave group "{group.name}" back {added} missing permission(s)')
    return groups


def seed_users(report, teams, groups, reset_passwords=False):
    User = get_user_model()
    users = {}
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        created = user is None
        if created:
            user = User(
                username=spec.username,
                email=spec.email,
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
            user.set_password(spec.password)
            user.save()
        elif reset_passwords and not user.check_password(spec.password):
            user.set_password(spec.password)
            user.save(update_fields=["password"])
            report.notes.append(f"reset the password of {spec.username}")
        report.add("users", spec.username, created)
        # Additive only: the demo tickets need these, and adding what is there already changes nothing.
        for name in spec.groups:
            if not user.groups.filter(pk=groups[name].pk).exists():
                user.groups.add(groups[name])
                if not created:
                    report.notes.append(f'added {spec.username} to group "{name}"')
        for slug in spec.teams:
            team = teams[slug]
            if not team.members.filter(pk=user.pk).exists():
                team.members.add(user)
                if not created:
                    report.notes.append(f'added {spec.username} to team "{team.name}"')
        users[spec.username] = user
    # Fresh instances: permissions are cached on a user object, and groups changed above.
    return {name: User.objects.get(pk=u.pk) for name, u in users.items()}


SUPPORT_INTRO = (
    "<p>Need help? Open a ticket: describe your request, attach a screenshot if it helps, and our support "
    "team will answer you by mail and on your ticket's page. You will get a ticket number at once.</p>"
)
SUPPORT_CONFIRMATION = "<p>We usually answer within one working day.</p>"
NEXT_STEPS = [
    ("Documentation", "Read the complete documentation.", "https://example.com/docs/"),
    ("Getting started", "The guide to your first steps.", "https://example.com/docs/getting-started/"),
    ("Features", "Discover every feature.", "https://example.com/features/"),
]


def seed_support_pages(report, home):
    """A support page at /support/ and an FAQ page at /faq/ under the home page: (support page, FAQ page)."""
    if home is None:
        return None, None
    page = SupportPage.objects.child_of(home).filter(slug="support").first()
    created = page is None
    if created:
        page = SupportPage(
            title="Support",
            slug="support",
            intro=SUPPORT_INTRO,
            confirmation_text=SUPPORT_CONFIRMATION,
            next_steps=[
                ("link", {"title": title, "description": text, "page": None, "url": url})
                for title, text, url in NEXT_STEPS
            ],
        )
        home.add_child(instance=page)
        page.save_revision().publish()
    report.add("pages", "/support/", created)
    faq_created, faq_page = seed_faq(home)
    report.add("pages", "/faq/", bool(faq_created))
    return page, faq_page


CANNED_RESPONSES = [
    # title, team slug, text: the default locale's; their French translations are in
    # example_site.demo.translations.
    (
        "Ask for a screenshot",
        None,
        "Hello {requester_name},\n\nThank you for your message about {reference}. Could you send us a screenshot "
        "of the page and tell us which browser you use? You can answer this mail or attach it on your ticket's "
        "page.\n\n{agent_name}",
    ),
    (
        "Ask for details",
        None,
        "Hello {requester_name},\n\nThank you for your request {reference}. Could you give us more details "
        "(steps, error message, screenshot)?\n\n{agent_name}, {team} team",
    ),
    (
        "Invoice resent",
        "billing",
        "Hello {requester_name},\n\nWe have sent your invoice again to this address. Tell us if it does not "
        "arrive within the hour.\n\n{agent_name}",
    ),
]


def seed_canned_responses(report, teams):
    responses = {}
    for order, (title, team_slug, body) in enumerate(CANNED_RESPONSES, start=1):
        obj, created = CannedResponse.objects.get_or_create(
            title=title,
            locale=Locale.get_default(),
            defaults={"body": body, "team": teams.get(team_slug) if team_slug else None, "sort_order": order * 10},
        )
        responses[title] = obj
        report.add("canned responses", title, created)
    return responses


def seed_site_port(report, site):
    """Give the default site the port the demo serves on, so links in mails work."""
    if site is None or site.hostname != "localhost":
        return
    port = int(os.environ.get("PORT") or 8000)
    if site.port != port:
        site.port = port
        site.save(update_fields=["port"])
        report.notes.append(f"default site now answers as localhost:{port} (links in mails use it)")


def seed_configuration(report, reset_passwords=False):
    """Everything but the tickets, in one transaction: the English site, its French translation and the
    second site (Acme Hardware, on PORT + 1)."""
    with transaction.atomic():
        home, site = seed_home_page(report)
        seed_site_port(report, site)
        support_page, faq_page = seed_support_pages(report, home)
        teams = seed_teams(report)
        service_levels.seed_service_levels(report, teams)
        categories = seed_catalog(report, teams)
        codes = seed_resolution_codes(report)
        responses = seed_canned_responses(report, teams)
        groups = seed_groups(report)
        users = seed_users(report, teams, groups, reset_passwords=reset_passwords)
        french = translations.seed_locale(report)
        translations.seed_translations(
            report,
            french,
            pages=[home, support_page, faq_page],
            categories=categories,
            codes=codes,
            responses=responses,
        )
        second = sites.seed_second_site(report, site, french)
        sites.seed_site_settings(report, site, second, teams)
    return {
        "home": home,
        "site": site,
        "sites": {sites.SECOND_SITE_KEY: second},
        "pages": {"support": support_page, "faq": faq_page},
        "teams": teams,
        "categories": categories,
        "codes": codes,
        "users": users,
    }


def seed_tickets(report, context):
    """Open the demo tickets and play their stories through the workflow, in one transaction.

    Returns the tickets created, or an empty list when demo tickets exist already.
    """
    existing = demo_tickets().count()
    if existing:
        report.found["tickets"] = existing
        return []
    users = context["users"]
    for username in ("anna", "pierre", "sophie", "marc"):
        if not access.is_agent(users[username]):
            raise DemoError(f"{username} is not an agent (check the group \"{AGENTS}\"); cannot seed tickets.")
    created = []
    with transaction.atomic():
        for spec in TICKETS:
            created.append(_play(spec, context))
    report.created["tickets"] = len(created)
    return created


def _person(value, users):
    """(account, name, email) of a requester or beneficiary spec."""
    if value is None:
        return None, "", ""
    if isinstance(value, str):
        return users[value], "", ""
    name, email = value
    return None, name, email


def _play(spec, context):
    users, categories, codes = context["users"], context["categories"], context["codes"]
    requester, requester_name, requester_email = _person(spec.requester, users)
    beneficiary, beneficiary_name, beneficiary_email = _person(spec.beneficiary, users)
    ticket = workflow.open_ticket(
        subject=spec.subject,
        description=spec.description,
        by=users[spec.by] if spec.by else None,
        requester=requester,
        requester_name=requester_name,
        requester_email=requester_email,
        beneficiary=beneficiary,
        beneficiary_name=beneficiary_name,
        beneficiary_email=beneficiary_email,
        kind=spec.kind,
        priority=spec.priority,
        category=categories[spec.category] if spec.category else None,
        channel=spec.channel,
        site=context["sites"][spec.site] if spec.site else context["site"],
        team=context["teams"][spec.team] if spec.team else None,
        language=spec.language,
    )

    def requester_actor():
        # The requester acts from their account, from the signed link of their mails (web), or by
        # answering a mail (the inbound mail handler establishes the role itself).
        if requester is not None:
            return requester
        if spec.channel == Ticket.Channel.EMAIL:
            return workflow.Actor(trusted_role=Message.AuthorRole.REQUESTER, name=requester_name, email=requester_email)
        return workflow.Actor(
            link_token=access.make_link_token(ticket), name=requester_name, email=requester_email
        )

    requester_channel = Ticket.Channel.EMAIL if spec.channel == Ticket.Channel.EMAIL else Ticket.Channel.WEB
    for step in spec.steps:
        action, args = step[0], step[1:]
        if action == "assign":
            agent = users[args[0]]
            by = users[args[1]] if len(args) > 1 else agent
            workflow.assign(ticket, to=agent, by=by)
        elif action == "note":
            workflow.reply(ticket, by=users[args[0]], body=args[1], internal=True, channel=Ticket.Channel.ADMIN)
        elif action in ("reply", "ask"):
            workflow.reply(
                ticket, by=users[args[0]], body=args[1], set_pending=action == "ask", channel=Ticket.Channel.ADMIN
            )
        elif action == "pending":
            workflow.set_pending(ticket, by=users[args[0]])
        elif action == "answer":
            workflow.reply(ticket, by=requester_actor(), body=args[0], channel=requester_channel)
        elif action == "resolve":
            workflow.resolve(ticket, code=codes[args[1]], solution=args[2], by=users[args[0]])
        elif action == "abandon":
            workflow.abandon(ticket, by=users[args[0]])
        elif action == "close":
            workflow.close_by_requester(ticket, by=requester_actor())
        elif action == "reopen":
            workflow.reopen(ticket, by=requester_actor() if args[0] == "requester" else users[args[0]])
        elif action == "rate":
            # As the rating link of the resolution mail does: the requester rates the current closing.
            workflow.rate(ticket, args[0], args[1], by=requester_actor(), closed_at=ticket.closed_at)
        else:
            raise DemoError(f"Unknown step {action!r} in demo ticket {spec.subject!r}")
    return ticket


def ticket_summary(queryset=None):
    """Counts of the demo tickets by status and close reason, and of their messages."""
    queryset = demo_tickets() if queryset is None else queryset
    status = Counter(queryset.values_list("status", flat=True))
    reasons = Counter(queryset.closed().values_list("close_reason", flat=True))
    messages = Message.objects.filter(ticket__in=queryset)
    return {
        "tickets": sum(status.values()),
        "status": status,
        "close_reasons": reasons,
        "messages": messages.count(),
        "internal_notes": messages.internal().count(),
        "assigned": queryset.filter(assignee__isnull=False).count(),
    }
