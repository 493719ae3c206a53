"""The FAQ: questions and answers grouped by topic, a page that shows them, and suggestions as you type.

One question is one snippet (``FAQEntry``) in a topic (``FAQTopic``), so each question is a searchable
object of its own: the FAQ page searches them, and the support form suggests the ones that match the
subject a visitor is typing, through the small JSON view ``faq_suggestions``. Both go through Wagtail's
search (``search_entries``), so a site that switches to Elasticsearch or OpenSearch gets it there too.

``AbstractFAQPage`` carries the behaviour, in the way ``wagtail.contrib.forms`` does: a site subclasses
it and overrides one seam (``get_topics``, ``get_entries``, ``search``). ``FAQPage`` is the ready-made
page type.
"""

import re
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Prefetch
from django.db.models.functions import Cast
from django.forms import CheckboxSelectMultiple
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField
from wagtail.models import (
    DraftStateMixin,
    Locale,
    Page,
    Revision,
    RevisionMixin,
    Site,
    TranslatableMixin,
    WorkflowMixin,
    WorkflowState,
)
from wagtail.rich_text import get_text_for_indexing
from wagtail.search import index
from wagtail.search.backends import get_search_backend
from wagtail.search.queryset import SearchableQuerySetMixin

from .conf import support_settings
from .links import first_support_page

ANSWER_FEATURES = ["bold", "italic", "link", "ol", "ul"]

# What a visitor types is cut to this many characters and words before it reaches the search backend.
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12
SUGGESTION_LIMIT = 5
EXCERPT_LENGTH = 200

# Letters and digits of every script; everything else (quotes, operators, "*", "_", "-"...) separates
# words. The search backends build their query syntax (FTS5 MATCH, tsquery) from these words, so a
# stray quote or operator typed by a visitor can never reach that syntax.
_WORD = re.compile(r"[^\W_]+")

# Words that match almost every question ("how do I", "comment puis-je"). They are left out of the
# any-word search, so "My invoices are wrong" is not answered with every question that says "my"; the
# every-word autocomplete keeps them. PostgreSQL drops English ones itself, SQLite's index does not.
_COMMON_WORDS = frozenset(
    """
    a about am an and are as at be but by can could did do does for from get got has have how i if in
    is it its me my no not of on or our so than that the their them then there these this to us was
    we what when where which who why will with would you your
    au aux avec ce ces cette comment dans de des du elle en est et il ils je la le les leur ma mais me
    mes mon ne nos notre nous on ou où par pas peut peux pour quand que quel quelle qui sa se ses son
    sont sur ta te tes ton tu un une vos votre vous y
    """.split()
)


# PostgreSQL's text search configuration for each language: the words of a French question are stemmed
# as French ("changer", "change" and "changez" meet). A language without one here is searched with
# "simple" (no stemming, no stop words). A site adds its languages with WAGTAILSUPPORT_FAQ_SEARCH_CONFIGS.
SEARCH_CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}


def search_config(language_code):
    """PostgreSQL's text search configuration for ``language_code`` ("fr-ca" as "fr"); "simple" if none."""
    configs = {**SEARCH_CONFIGS, **support_settings.FAQ_SEARCH_CONFIGS}
    code = (language_code or "").lower().replace("_", "-")
    return configs.get(code) or configs.get(code.split("-")[0]) or "simple"


def faq_locale(value=None):
    """The ``Locale`` the FAQ is shown in: ``value`` (a Locale or a language code) when it names one,
    else the active language's, else the default locale."""
    if isinstance(value, Locale):
        return value
    if value:
        code = str(value)[:20]
        locale = Locale.objects.filter(language_code__iexact=code).first()
        if locale is None and "-" in code:
            locale = Locale.objects.filter(language_code__iexact=code.split("-")[0]).first()
        if locale is not None:
            return locale
    try:
        return Locale.get_active()
    except Locale.DoesNotExist:
        return Locale.get_default()


def _default_locale_id(locale=None):
    """The default locale's id (``locale``'s own when it is the default one: no query)."""
    try:
        default_code = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    except LookupError:
        default_code = settings.LANGUAGE_CODE
    if locale is not None and locale.language_code == default_code:
        return locale.pk
    return Locale.objects.filter(language_code=default_code).values_list("pk", flat=True).first()


def localized(queryset, locale):
    """``queryset`` (translatable rows) as seen in ``locale``: its rows of that locale, and the default
    locale's rows that have no translation in it among ``queryset``; never two rows of one translation_key."""
    default_id = _default_locale_id(locale)
    if locale is None or default_id is None or locale.pk == default_id:
        return queryset.filter(locale_id=default_id if locale is None else locale.pk)
    translated = queryset.filter(locale_id=locale.pk).values("translation_key")
    return queryset.filter(
        models.Q(locale_id=locale.pk) | (models.Q(locale_id=default_id) & ~models.Q(translation_key__in=translated))
    )


class FAQTopic(TranslatableMixin, models.Model):
    """A group of questions of the FAQ: "Billing", "Your account"... Translatable: a topic of each locale."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        help_text=_("Used in the address of the topic on the FAQ page."),
    )
    sort_order = models.IntegerField(_("order"), default=0)

    class Meta(TranslatableMixin.Meta):
        constraints = [
            models.UniqueConstraint(fields=["slug", "locale"], name="wagtail_support_faqtopic_slug_locale"),
        ]
        ordering = ["sort_order", "name"]
        verbose_name = _("FAQ topic")
        verbose_name_plural = _("FAQ topics")

    def __str__(self):
        return self.name

    @property
    def anchor(self):
        # Entries use "faq-<slug>"; topics a prefix of their own, so the two never collide on a page.
        return f"ws-faq-topic-{self.slug}"


class FAQEntryQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def published(self):
        """Entries visitors may read (live: published, and not taken offline)."""
        return self.filter(live=True)

    def for_listing(self):
        """With what the admin listing shows of each entry in a fixed number of queries: its topic, locale
        and counters, whether a publication is scheduled, its moderation in progress."""
        content_type = ContentType.objects.get_for_model(self.model)
        scheduled = Revision.objects.filter(
            base_content_type=content_type,
            object_id=Cast(OuterRef("pk"), output_field=models.CharField()),
            approved_go_live_at__isnull=False,
        )
        return (
            self.select_related("topic", "locale", "deflection")
            .annotate(_approved_schedule=Exists(scheduled))
            .prefetch_related(
                Prefetch(
                    "_workflow_states",
                    queryset=WorkflowState.objects.active().select_related("current_task_state__task"),
                    to_attr="_current_workflow_states",
                )
            )
        )


class FAQEntry(WorkflowMixin, DraftStateMixin, RevisionMixin, TranslatableMixin, index.Indexed, models.Model):
    """One question of the FAQ and its answer.

    Translatable (a question of each locale, its translations sharing a ``translation_key``), with drafts,
    revisions and Wagtail's moderation workflow: only the live version reaches visitors.
    """

    topic = models.ForeignKey(
        FAQTopic,
        verbose_name=_("topic"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    question = models.CharField(_("question"), max_length=255)
    answer = RichTextField(_("answer"), features=ANSWER_FEATURES)
    slug = models.SlugField(
        _("slug"),
        max_length=255,
        blank=True,
        help_text=_(
            "The question's anchor on the FAQ page (#faq-<slug>). Left blank, it is made from the question."
        ),
    )
    sort_order = models.IntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    source_ticket = models.ForeignKey(
        "wagtail_support.Ticket",
        verbose_name=_("proposed from ticket"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The resolved ticket this question was proposed from."),
    )

    objects = FAQEntryQuerySet.as_manager()

    search_fields = [
        index.SearchField("question", boost=2),
        index.SearchField("answer"),
        index.AutocompleteField("question"),
        index.FilterField("id"),
        index.FilterField("live"),
        index.FilterField("locale"),
        # "topic" covers filters on topic and topic_id (both are the topic_id column).
        index.FilterField("topic"),
        # Columns the admin listing may sort search results by.
        index.FilterField("question"),
        index.FilterField("sort_order"),
        index.FilterField("updated_at"),
    ]

    class Meta(TranslatableMixin.Meta):
        constraints = [
            models.UniqueConstraint(fields=["slug", "locale"], name="wagtail_support_faqentry_slug_locale"),
        ]
        ordering = ["sort_order", "question"]
        verbose_name = _("FAQ question")
        verbose_name_plural = _("FAQ questions")

    def __str__(self):
        return self.question

    @property
    def anchor(self):
        return f"faq-{self.slug}"

    @property
    def approved_schedule(self):
        # The admin listing annotates it (``FAQEntryQuerySet.for_listing``): one query for every row.
        if hasattr(self, "_approved_schedule"):
            return self._approved_schedule
        return super().approved_schedule

    def clean(self):
        super().clean()
        if not self.slug:
            self.slug = self.make_slug()

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self.make_slug()
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            # Its deflection counters, so that counting is one UPDATE.
            FAQDeflection.objects.get_or_create(entry=self)

    def make_slug(self):
        """A slug made from the question, unique among the entries of its locale (anchors are unique on a
        page: a page shows one locale's questions, and a fallback question keeps the slug of its own)."""
        base = slugify(self.question or "")[:240].strip("-") or "question"
        others = FAQEntry.objects.filter(locale_id=self.locale_id) if self.locale_id else FAQEntry.objects.all()
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        slug, number = base, 2
        while others.filter(slug=slug).exists():
            slug = f"{base}-{number}"
            number += 1
        return slug

    def copy_for_translation(self, locale, exclude_fields=None):
        """A copy in ``locale`` (Wagtail's), in the translation of its topic into that locale when there is
        one; its slug made again among that locale's questions, its ticket link and counters left behind."""
        copy = super().copy_for_translation(locale, exclude_fields=exclude_fields)
        translated_topic = FAQTopic.objects.filter(translation_key=self.topic.translation_key, locale=locale).first()
        if translated_topic is not None:
            copy.topic = translated_topic
        copy.slug = ""
        copy.source_ticket = None
        # Its own revisions, none yet (Wagtail copies the source's pointer to its live revision).
        copy.live_revision = None
        copy.has_unpublished_changes = not copy.live
        return copy

    def get_excerpt(self, length=EXCERPT_LENGTH):
        """The answer as plain text (no markup, entities decoded), cut to ``length`` characters."""
        text = " ".join(get_text_for_indexing(self.answer or "").split())
        return Truncator(text).chars(length)


class FAQDeflection(models.Model):
    """How a question of the FAQ turned visitors away from opening a ticket: how often the support form
    suggested it, how often a visitor opened it there, and how many of those still sent a ticket.
    Counters only, updated in place (never a revision of the entry)."""

    entry = models.OneToOneField(
        FAQEntry, verbose_name=_("FAQ question"), primary_key=True, on_delete=models.CASCADE, related_name="deflection"
    )
    shown = models.PositiveBigIntegerField(_("suggested"), default=0)
    opened = models.PositiveBigIntegerField(_("opened"), default=0)
    tickets_after_opening = models.PositiveBigIntegerField(_("tickets sent after opening it"), default=0)

    class Meta:
        verbose_name = _("FAQ deflection")
        verbose_name_plural = _("FAQ deflection")

    @property
    def deflected(self):
        """Forms left without a ticket after the question was opened."""
        return max(self.opened - self.tickets_after_opening, 0)


def normalize_query(query):
    """The words of ``query`` that are worth searching for, joined by spaces ("" if none)."""
    words = _WORD.findall(str(query or "")[:MAX_QUERY_LENGTH])
    return " ".join(words[:MAX_QUERY_WORDS])


def visible_entries(locale=None, queryset=None):
    """The live entries a visitor of ``locale`` reads: that locale's, and the default locale's that have no
    live translation in it (so a question not translated yet is still answered, never twice)."""
    entries = FAQEntry.objects.all() if queryset is None else queryset
    return localized(entries.filter(live=True), faq_locale(locale))


def _full_text_backend(locale):
    """The search backend for the any-word pass, with ``locale``'s stemming on PostgreSQL.

    Wagtail's PostgreSQL backend takes its text search configuration from the backend (its
    ``SEARCH_CONFIG`` option, one for every query and for the index), not from the query. A search given
    ``fields`` builds its vectors from those columns with the query's configuration instead of reading the
    index; so a backend made with the language's configuration, searching the question and answer
    columns, stems both sides in that language. Other backends (SQLite's FTS5, Elasticsearch) keep what
    they do; their backend is the site's default, untouched.
    """
    backend = get_search_backend("default")
    if connection.vendor == "postgresql" and hasattr(backend, "autocomplete_config"):
        return get_search_backend("default", SEARCH_CONFIG=search_config(locale.language_code)), ["question", "answer"]
    return backend, None


def _filters_in_sql(backend):
    """Does ``backend`` search the database itself (Wagtail's database backends), so that a filter may be a
    subquery?"""
    return ".backends.database" in type(backend).__module__


def search_entries(query, limit=SUGGESTION_LIMIT, queryset=None, locale=None):
    """Live entries of ``locale`` (default: the active language's; with the fallback of
    ``visible_entries``) matching ``query``, the most relevant first; at most ``limit`` of them.

    Two passes through Wagtail's search: first an autocomplete on the questions (every word, the last one
    as a prefix, so "create an inv" already finds "How do I create an invoice?"), then, to fill the
    list, a full-text search on questions and answers where any word may match, common words ("how",
    "my", "comment", "une"...) left out, stemmed in the locale's language on PostgreSQL. A query without
    two letters or digits in a row finds nothing. ``queryset`` narrows the entries (for example to the
    topics of a page); it may only filter on the entry's ``FilterField`` columns.
    """
    words = normalize_query(query)
    if len(words) < 2 or limit <= 0:
        return []
    locale = faq_locale(locale)
    telling_words = " ".join(
        word for word in words.split() if len(word) > 1 and word.casefold() not in _COMMON_WORDS
    )
    visible = visible_entries(locale, queryset)
    if _filters_in_sql(get_search_backend("default")):
        # The database backends search with the ORM: the entries this locale shows as a subquery. As a list of
        # ids, 10,000 questions cost 100 ms a keystroke to compile and send, more than both searches.
        entries = FAQEntry.objects.filter(pk__in=visible.values("pk")).select_related("topic")
    else:
        # The others (Elasticsearch, OpenSearch) filter on FilterField columns only: the ids themselves.
        ids = sorted(visible.values_list("pk", flat=True))
        if not ids:
            return []
        entries = FAQEntry.objects.filter(pk__in=ids).select_related("topic")

    backend, fields = _full_text_backend(locale)
    passes = [lambda: entries.autocomplete(words, operator="and")]
    if telling_words:
        passes.append(lambda: backend.search(telling_words, entries, fields=fields, operator="or"))
    found, seen = [], set()
    for results in passes:
        for entry in results()[:limit]:
            if entry.pk not in seen:
                seen.add(entry.pk)
                found.append(entry)
        if len(found) >= limit:
            break
    return found[:limit]


# Pages ---------------------------------------------------------------------------------------------------


class AbstractFAQPage(Page):
    """A page that shows the FAQ, topic by topic, with a search box and an anchor per question."""

    intro = RichTextField(_("introduction"), blank=True)
    topics = ParentalManyToManyField(
        FAQTopic,
        verbose_name=_("topics"),
        blank=True,
        related_name="+",
        help_text=_("The topics this page shows. None chosen: every topic."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("topics", widget=CheckboxSelectMultiple),
    ]

    search_fields = Page.search_fields + [index.SearchField("intro")]

    # As for ``AbstractSupportPage``: a subclass without a template of its own uses the package's.
    template = "wagtail_support/faq_page.html"
    default_template = "wagtail_support/faq_page.html"

    def get_template(self, request, *args, **kwargs):
        """The page type's own template when the site has one, else the package's."""
        template = super().get_template(request, *args, **kwargs)
        return [template, self.default_template] if template != self.default_template else template
    # How many questions a search on the page lists.
    search_results_limit = 50

    class Meta:
        abstract = True

    # Seams a site may override ----------------------------------------------------------------------------

    def get_topic_ids(self):
        """The ids of the topics chosen for this page; an empty set means every topic."""
        # Read once per page object, through the relation (not a query on ids) so that a preview shows
        # the choice not saved yet.
        if getattr(self, "_faq_topic_ids", None) is None:
            chosen = list(self.topics.all())
            self._faq_topic_ids = frozenset(topic.pk for topic in chosen)
            self._faq_topic_keys = frozenset(topic.translation_key for topic in chosen)
        return self._faq_topic_ids

    def get_topic_keys(self):
        """The translation keys of the chosen topics: a translated page keeps its source's choice, in
        whatever locale the topics were chosen."""
        self.get_topic_ids()
        return self._faq_topic_keys

    def get_faq_locale(self):
        """The locale whose questions the page shows: its own."""
        return self.locale if self.locale_id else faq_locale()

    def get_topics(self):
        """The topics this page shows, in their order: those of its locale, and the default locale's
        not translated into it."""
        topics = localized(FAQTopic.objects.all(), self.get_faq_locale())
        keys = self.get_topic_keys()
        return topics.filter(translation_key__in=keys) if keys else topics

    def get_entries(self):
        """The live entries this page shows, in its locale (no ordering: searches sort by relevance)."""
        entries = FAQEntry.objects.all()
        keys = self.get_topic_keys()
        if keys:
            topic_ids = FAQTopic.objects.filter(translation_key__in=keys).values_list("pk", flat=True)
            entries = entries.filter(topic_id__in=sorted(topic_ids))
        return visible_entries(self.get_faq_locale(), entries)

    def shows_topic(self, topic):
        """Whether the page shows the questions of ``topic`` (a topic, or a topic's id)."""
        if not isinstance(topic, FAQTopic):
            return not self.get_topic_ids() or topic in self.get_topic_ids()
        return not self.get_topic_keys() or topic.translation_key in self.get_topic_keys()

    def get_topic_groups(self):
        """(topic, entries) for each topic of the page that has live entries, in order. A question is
        under its topic's translation into the page's locale when there is one (a question not translated
        yet sits with the translated questions of its topic)."""
        by_topic = defaultdict(list)
        entries = self.get_entries().select_related("topic").order_by("sort_order", "question", "pk")
        for entry in entries:
            by_topic[entry.topic.translation_key].append(entry)
        return [
            (topic, by_topic[topic.translation_key]) for topic in self.get_topics() if by_topic[topic.translation_key]
        ]

    def search(self, query):
        """The entries of this page matching ``query``, the most relevant first."""
        return search_entries(
            query, limit=self.search_results_limit, queryset=self.get_entries(), locale=self.get_faq_locale()
        )

    def get_support_page(self, request):
        """The support page where a visitor who found no answer opens a ticket (the first of the site's)."""
        return first_support_page(Site.find_for_request(request))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["topics"] = self.get_topic_groups()
        support_page = self.get_support_page(request)
        # Where "Open a ticket" leads when no question matches (what was searched becomes the subject).
        context["open_ticket_url"] = support_page.get_url(request) if support_page is not None else ""
        query = " ".join((request.GET.get("q") or "").split())[:MAX_QUERY_LENGTH]
        if query:
            context["query"] = query
            context["results"] = self.search(query)
        return context


class FAQPage(AbstractFAQPage):
    """The FAQ of the site ("FAQ rapide"): questions and answers by topic."""

    class Meta:
        verbose_name = _("FAQ page")
        verbose_name_plural = _("FAQ pages")


# Suggestions ---------------------------------------------------------------------------------------------


def faq_pages(request=None, locale=None):
    """The live, public FAQ pages: those of the request's site first, and among them those of ``locale``
    (then the default locale's), each list in tree order."""
    pages = list(Page.objects.live().public().type(AbstractFAQPage).order_by("path").specific())
    site = Site.find_for_request(request) if request is not None else None
    # The site's home page and its translations (Wagtail's cached list of root paths).
    root_paths = (
        tuple(root.root_path for root in Site.get_site_root_paths() if root.site_id == site.pk)
        if site is not None
        else None
    )
    locale_id = locale.pk if locale is not None else None
    default_id = _default_locale_id(locale) if locale is not None else None

    def rank(page):
        other_site = root_paths is not None and not page.url_path.startswith(root_paths)
        other_locale = 0 if page.locale_id == locale_id else 1 if page.locale_id == default_id else 2
        return (other_site, other_locale if locale is not None else 0)

    pages.sort(key=rank)
    return pages


def entry_url(entry, pages, request=None):
    """The address of ``entry`` on the first of ``pages`` that shows its topic, or None."""
    for page in pages:
        if page.shows_topic(entry.topic):
            url = page.get_url(request)
            if url:
                return f"{url}#{entry.anchor}"
    return None


@require_safe
def faq_suggestions(request):
    """FAQ entries that may answer what a visitor is typing, as JSON.

    ``GET ?q=<text>&locale=<language code>`` gives ``{"results": [{"id", "question", "url", "excerpt"}]}``:
    at most five live entries of that locale (else of the active language, with the default locale's
    fallback), as plain text (the page that shows them escapes them). Any input gives a 200, an odd one
    an empty list. Each list counts as "suggested" for its entries (``FAQDeflection.shown``). The answer
    is public, so browsers and proxies may keep it a minute.
    """
    locale = faq_locale(request.GET.get("locale"))
    entries = search_entries(request.GET.get("q", ""), limit=SUGGESTION_LIMIT, locale=locale)
    pages = faq_pages(request, locale) if entries else []
    results = [
        {
            "id": entry.pk,
            "question": entry.question,
            "url": entry_url(entry, pages, request),
            "excerpt": entry.get_excerpt(),
        }
        for entry in entries
    ]
    count_shown(entry.pk for entry in entries)
    response = JsonResponse({"results": results})
    patch_cache_control(response, max_age=60)
    return response


# Deflection ----------------------------------------------------------------------------------------------

# At most this many questions are counted from one ticket form (what the hidden field may name).
MAX_OPENED_PER_FORM = 20


def _count(ids, field):
    """Add one to ``field`` of the deflection counters of the entries ``ids``: one UPDATE, and the
    rows missing (an entry never counted yet) made with that one."""
    ids = sorted(set(ids))
    if not ids:
        return
    updated = FAQDeflection.objects.filter(entry_id__in=ids).update(**{field: F(field) + 1})
    if updated < len(ids):
        # Entries saved before their counters existed (FAQEntry.save makes them for new ones).
        have = set(FAQDeflection.objects.filter(entry_id__in=ids).values_list("entry_id", flat=True))
        missing = FAQEntry.objects.filter(pk__in=[pk for pk in ids if pk not in have]).order_by()
        FAQDeflection.objects.bulk_create(
            [FAQDeflection(entry_id=pk, **{field: 1}) for pk in missing.values_list("pk", flat=True)],
            ignore_conflicts=True,
        )


def count_shown(ids):
    """The support form suggested these entries."""
    _count(ids, "shown")


def parse_entry_ids(value, limit=MAX_OPENED_PER_FORM):
    """The entry ids named in ``value`` ("12 7,3"), at most ``limit``, odd parts left out."""
    ids = []
    for part in re.split(r"[\s,]+", str(value or "")[:1000]):
        if part.isascii() and part.isdigit() and len(part) < 12 and int(part) not in ids:
            ids.append(int(part))
        if len(ids) >= limit:
            break
    return ids


@require_POST
def faq_opened(request):
    """A visitor opened a suggested question from the ticket form: a POST beacon (``entry=<id>``) that
    Django's CSRF check guards, so only a browser that loaded the form (its cookie and its token) counts;
    a robot following the suggestions' links counts nothing. Answers 204 whatever the id names."""
    ids = parse_entry_ids(request.POST.get("entry"), limit=1)
    if ids:
        _count(FAQEntry.objects.filter(pk__in=ids, live=True).order_by().values_list("pk", flat=True), "opened")
    return HttpResponse(status=204)


def record_tickets_after_opening(value):
    """A ticket was sent from a form where the visitor had opened these questions (the form's hidden
    field ``faq_opened``): each counts one ticket after opening. Called by the support page."""
    ids = parse_entry_ids(value)
    if ids:
        _count(ids, "tickets_after_opening")
