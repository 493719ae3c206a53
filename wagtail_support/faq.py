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

from django.db import models
from django.forms import CheckboxSelectMultiple
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, Page, RevisionMixin, Site, TranslatableMixin, WorkflowMixin
from wagtail.rich_text import get_text_for_indexing
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

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

    def clean(self):
        super().clean()
        if not self.slug:
            self.slug = self.make_slug()

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self.make_slug()
        super().save(*args, **kwargs)

    def make_slug(self):
        """A slug made from the question, unique among all entries (anchors are unique on a page)."""
        base = slugify(self.question or "")[:240].strip("-") or "question"
        others = FAQEntry.objects.all()
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        slug, number = base, 2
        while others.filter(slug=slug).exists():
            slug = f"{base}-{number}"
            number += 1
        return slug

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


def search_entries(query, limit=SUGGESTION_LIMIT, queryset=None):
    """Published entries matching ``query``, the most relevant first; at most ``limit`` of them.

    Two passes through Wagtail's search: first an autocomplete on the questions (every word, the last one
    as a prefix, so "create an inv" already finds "How do I create an invoice?"), then, to fill the
    list, a full-text search on questions and answers where any word may match, common words ("how",
    "my", "comment", "une"...) left out. A query without two letters or digits in a row finds nothing.
    ``queryset`` narrows the entries (for example to the topics of a page); it may only filter on the
    entry's ``FilterField`` columns.
    """
    words = normalize_query(query)
    if len(words) < 2 or limit <= 0:
        return []
    telling_words = " ".join(
        word for word in words.split() if len(word) > 1 and word.casefold() not in _COMMON_WORDS
    )
    entries = (FAQEntry.objects.all() if queryset is None else queryset).filter(live=True)
    entries = entries.select_related("topic")

    passes = [lambda: entries.autocomplete(words, operator="and")]
    if telling_words:
        passes.append(lambda: entries.search(telling_words, operator="or"))
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
            self._faq_topic_ids = frozenset(topic.pk for topic in self.topics.all())
        return self._faq_topic_ids

    def get_topics(self):
        """The topics this page shows, in their order."""
        topics = FAQTopic.objects.all()
        chosen = self.get_topic_ids()
        return topics.filter(pk__in=chosen) if chosen else topics

    def get_entries(self):
        """The published entries this page shows (no ordering: searches sort by relevance)."""
        entries = FAQEntry.objects.published()
        chosen = self.get_topic_ids()
        return entries.filter(topic_id__in=sorted(chosen)) if chosen else entries

    def shows_topic(self, topic_id):
        chosen = self.get_topic_ids()
        return not chosen or topic_id in chosen

    def get_topic_groups(self):
        """(topic, entries) for each topic of the page that has published entries, in order."""
        by_topic = defaultdict(list)
        for entry in self.get_entries().order_by("sort_order", "question", "pk"):
            by_topic[entry.topic_id].append(entry)
        return [(topic, by_topic[topic.pk]) for topic in self.get_topics() if by_topic[topic.pk]]

    def search(self, query):
        """The entries of this page matching ``query``, the most relevant first."""
        return search_entries(query, limit=self.search_results_limit, queryset=self.get_entries())

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


def faq_pages(request=None):
    """The live, public FAQ pages: those of the request's site first, each list in tree order."""
    pages = list(Page.objects.live().public().type(AbstractFAQPage).order_by("path").specific())
    site = Site.find_for_request(request) if request is not None else None
    if site is not None:
        root_path = site.root_page.path
        pages.sort(key=lambda page: not page.path.startswith(root_path))
    return pages


def entry_url(entry, pages, request=None):
    """The address of ``entry`` on the first of ``pages`` that shows its topic, or None."""
    for page in pages:
        if page.shows_topic(entry.topic_id):
            url = page.get_url(request)
            if url:
                return f"{url}#{entry.anchor}"
    return None


@require_safe
def faq_suggestions(request):
    """FAQ entries that may answer what a visitor is typing, as JSON.

    ``GET ?q=<text>`` gives ``{"results": [{"question", "url", "excerpt"}]}``: at most five published
    entries, as plain text (the page that shows them escapes them). Any input gives a 200, an odd one an
    empty list. The answer is public, so browsers and proxies may keep it a minute.
    """
    entries = search_entries(request.GET.get("q", ""), limit=SUGGESTION_LIMIT)
    pages = faq_pages(request) if entries else []
    results = [
        {"question": entry.question, "url": entry_url(entry, pages, request), "excerpt": entry.get_excerpt()}
        for entry in entries
    ]
    response = JsonResponse({"results": results})
    patch_cache_control(response, max_age=60)
    return response
