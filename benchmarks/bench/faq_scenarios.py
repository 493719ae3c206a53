"""The FAQ's suggestions under the support form ("FAQ suggestions: ..."), with 10,000 live questions in each
of two languages (English and French), as a large knowledge base has: what a visitor's browser asks while
they type a subject (``/support-files/faq/suggestions/?q=...``, JSON, anonymous).

Three queries per language: a prefix (the autocomplete pass answers), a whole question (the autocomplete
finds nothing with every word, the full-text pass on questions and answers fills the list) and a word found
nowhere (both passes, nothing found). The questions are written once per database (``ensure_entries``:
``bulk_create`` and the search backend's ``add_bulk``, no revisions) and kept; the number does not follow the
tickets, so the growth of these rows is the tickets' weight on them (none expected).

The floor: the visible entries' ids of the locale, then one full-text query on the search index.
"""

import uuid

from django.db import connection
from wagtail.models import Locale
from wagtail.search.backends import get_search_backend

from wagtail_support.faq import FAQEntry, FAQTopic

ENTRIES_PER_LANGUAGE = 10_000
#: The smoke test's knowledge base (tests/test_bench_smoke.py): the same code, a few questions.
SMOKE_ENTRIES = 40
MARK = "bench-faq"
SUBJECTS = {
    "en": ["password", "invoice", "account", "delivery", "refund", "login", "printer", "subscription", "export",
           "calendar"],
    "fr": ["mot de passe", "facture", "compte", "livraison", "remboursement", "connexion", "imprimante",
           "abonnement", "export", "calendrier"],
}
QUESTIONS = {
    "en": "How do I change my {subject} settings, case {n}?",
    "fr": "Comment modifier les réglages de mon {subject}, cas {n} ?",
}
ANSWERS = {
    "en": "<p>Open your profile, choose {subject} and follow the steps. Reference {n}.</p>",
    "fr": "<p>Ouvrez votre profil, choisissez {subject} et suivez les étapes. Référence {n}.</p>",
}
#: (scenario, language, what the visitor typed)
CASES = [
    ("FAQ suggestions: prefix, English", "en", "How do I change my pass"),
    ("FAQ suggestions: whole question, English", "en", "My invoice shows the wrong amount after the refund"),
    ("FAQ suggestions: nothing found, English", "en", "zyxwvut qwertyu"),
    ("FAQ suggestions: prefix, French", "fr", "Comment modifier les réglages de mon mot de pa"),
    ("FAQ suggestions: whole question, French", "fr", "Ma facture montre un mauvais montant après le remboursement"),
]


def ensure_entries(per_language):
    """``per_language`` live questions in English and French (10 topics each), written once."""
    if FAQEntry.objects.filter(slug__startswith=MARK).count() >= 2 * per_language:
        return
    FAQEntry.objects.filter(slug__startswith=MARK).delete()
    backend = get_search_backend()
    keys = [uuid.uuid4() for _ in SUBJECTS["en"]]
    entry_keys = [uuid.uuid4() for _ in range(per_language)]
    for language in ("en", "fr"):
        locale, _created = Locale.objects.get_or_create(language_code=language)
        topics = []
        for index, subject in enumerate(SUBJECTS[language]):
            topic, _created = FAQTopic.objects.get_or_create(
                slug=f"{MARK}-{index}", locale=locale,
                defaults={"name": subject.capitalize(), "translation_key": keys[index], "sort_order": index},
            )
            topics.append(topic)
        rows = []
        for n in range(per_language):
            subject = SUBJECTS[language][n % len(SUBJECTS[language])]
            rows.append(FAQEntry(
                topic=topics[n % len(topics)], locale=locale, translation_key=entry_keys[n], live=True,
                question=QUESTIONS[language].format(subject=subject, n=n),
                answer=ANSWERS[language].format(subject=subject, n=n), slug=f"{MARK}-{language}-{n}", sort_order=n,
            ))
        created = FAQEntry.objects.bulk_create(rows, batch_size=2000)
        for start in range(0, len(created), 2000):
            backend.add_bulk(FAQEntry, created[start : start + 2000])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def define(bench, per_language=ENTRIES_PER_LANGUAGE):
    """Add the suggestions' scenarios to ``bench`` (a ``scenarios.Bench``), for an anonymous visitor."""
    from django.test import Client
    from django.urls import reverse

    ensure_entries(per_language)
    client = Client()
    url = reverse("wagtail_support:faq_suggestions")
    for name, language, typed in CASES:
        locale = Locale.objects.get(language_code=language)
        floor = None
        if connection.vendor == "postgresql":
            config = "english" if language == "en" else "french"
            floor = [
                ("SELECT e.id FROM wagtail_support_faqentry e WHERE e.live AND e.locale_id = %(locale)s",
                 {"locale": locale.pk}),
                ("SELECT e.id, e.question, e.slug, t.name FROM wagtail_support_faqentry e "
                 "JOIN wagtail_support_faqtopic t ON t.id = e.topic_id WHERE e.live AND e.locale_id = %(locale)s "
                 "AND to_tsvector(%(config)s, e.question) @@ plainto_tsquery(%(config)s, %(q)s) LIMIT 5",
                 {"locale": locale.pk, "config": config, "q": typed}),
            ]
        bench.scenario(name, "faq", bench.request(client, "get", url, {"locale": language, "q": typed}), floor,
                       audience="visitor")
