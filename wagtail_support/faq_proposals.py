"""From a resolved ticket to a draft FAQ question ("Propose as FAQ", ``admin/faq_propose.py``).

The ticket's subject becomes the question and its solution the answer (escaped text made paragraphs),
in the ticket's locale, with the requester's and the beneficiary's personal data removed
(``scrub_personal_data``: their names and addresses, any other address, phone numbers). The question is
a draft (not live, one revision) that goes through the FAQ's moderation like any other, linked back to
its ticket (``FAQEntry.source_ticket``).
"""

import re

from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as gettext_now
from wagtail.models import Locale

from .faq import FAQEntry, FAQTopic

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A run of digits, spaces, dots, dashes, slashes and brackets, with at least nine digits: a phone number
# ("06 12 34 56 78", "+33 (0)6-12-34-56-78", "(555) 123-4567"), not a date or a version.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s./()-]{6,}\d(?!\w)")
_MIN_NAME_PART = 3


def _people(ticket):
    """[(names, addresses, neutral word)] for the ticket's requester and beneficiary."""
    people = []
    for user, name, email, word in (
        (ticket.requester_user, ticket.requester_name, ticket.requester_email, gettext_now("the requester")),
        (ticket.beneficiary_user, ticket.beneficiary_name, ticket.beneficiary_email, gettext_now("the beneficiary")),
    ):
        names = {name}
        emails = {email}
        if user is not None:
            names.update({user.get_full_name(), user.first_name, user.last_name, user.get_username()})
            emails.add(user.email)
        people.append(({n.strip() for n in names if n and n.strip()}, {e for e in emails if e}, word))
    return people


def scrub_personal_data(text, people):
    """``text`` without the personal data of ``people`` ([(names, email addresses, neutral word)]): their
    addresses, names and each part of their names (whole words, any case) become the neutral word; any
    other email address and any phone number, neutral words too."""

    def phone(match):
        digits = sum(ch.isdigit() for ch in match.group(0))
        return gettext_now("[phone number]") if digits >= 9 else match.group(0)

    text = _PHONE.sub(phone, str(text or ""))
    # One pass over the text (the longest first), so a neutral word put in is never read again as a name:
    # the people's addresses, any other address, then their names and the parts of their names.
    emails, names = {}, {}
    for person_names, person_emails, word in people:
        for email in person_emails:
            emails.setdefault(email.casefold(), word)
        for name in person_names:
            for part in [name, *re.split(r"[\s.,'_-]+", name)]:
                if len(part) >= _MIN_NAME_PART:
                    names.setdefault(part.casefold(), word)
    alternatives = [re.escape(email) for email in sorted(emails, key=len, reverse=True)]
    alternatives.append(_EMAIL.pattern)
    alternatives += [rf"(?<!\w){re.escape(name)}(?!\w)" for name in sorted(names, key=len, reverse=True)]
    anonymous_email = gettext_now("[email address]")

    def replace(match):
        found = match.group(0).casefold()
        if found in emails:
            return emails[found]
        if "@" in found:
            return anonymous_email
        return names[found]

    return re.sub("|".join(f"(?:{alternative})" for alternative in alternatives), replace, text, flags=re.IGNORECASE)


def text_to_answer(text):
    """Plain text as the answer's rich text: a paragraph per blank-line-separated block, escaped, its
    line breaks kept."""
    paragraphs = [block.strip() for block in re.split(r"\n\s*\n", str(text or "").replace("\r\n", "\n"))]
    return "".join(
        "<p>" + "<br/>".join(escape(line) for line in block.split("\n")) + "</p>" for block in paragraphs if block
    )


def can_propose_from(ticket):
    """Only a ticket closed with a resolution (not abandoned, not closed by its requester) and a solution."""
    return (
        ticket.status == ticket.Status.CLOSED
        and ticket.close_reason == ticket.CloseReason.RESOLVED
        and bool((ticket.solution or "").strip())
    )


def proposal_topic(locale):
    """The topic a proposed question goes in: the first of ``locale``, else a new "General" one."""
    topic = FAQTopic.objects.filter(locale=locale).order_by("sort_order", "name", "pk").first()
    if topic is None:
        with translation.override(locale.language_code):
            name = gettext_now("General")
        slug, number = "general", 2
        while FAQTopic.objects.filter(locale=locale, slug=slug).exists():
            slug, number = f"general-{number}", number + 1
        topic = FAQTopic.objects.create(name=name, slug=slug, locale=locale)
    return topic


def existing_proposal(ticket):
    return FAQEntry.objects.filter(source_ticket=ticket).order_by("pk").first()


def propose_from_ticket(ticket, user):
    """A draft question (not live, one revision) made from a resolved ticket, in the ticket's locale (else
    the default): its subject as the question, its solution as the answer, the requester's and the
    beneficiary's personal data removed. The one already proposed from this ticket when there is one.
    The caller checks who may do it and that ``can_propose_from(ticket)``; run it in a transaction with
    the ticket's row locked so two clicks make one question."""
    entry = existing_proposal(ticket)
    if entry is not None:
        return entry, False
    locale = ticket.locale if ticket.locale_id else Locale.get_default()
    with translation.override(locale.language_code):
        people = _people(ticket)
        question = scrub_personal_data(ticket.subject, people)[:255]
        answer = text_to_answer(scrub_personal_data(ticket.solution, people))
    entry = FAQEntry(
        topic=proposal_topic(locale),
        question=question,
        answer=answer,
        locale=locale,
        live=False,
        has_unpublished_changes=True,
        source_ticket=ticket,
    )
    entry.save()
    entry.save_revision(user=user, log_action=True)
    return entry, True
