"""Who works tickets and how they are sorted: support teams, the service catalog (a tree), resolution codes
and canned responses."""

import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models, transaction
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import TranslatableMixin


# The labels ``choice_label`` gave, by language: a handful of choices, a few words each.
_choice_labels = {}


def choice_label(choices, value):
    """What ``get_FOO_display`` says of ``value``, a member of the ``TextChoices`` ``choices``: its label, or
    the value itself when it is none of them. Django's own builds a dictionary of every label, translating
    each one, on each call (0.1 ms): 60 µs a message on the workspace, which shows several per message; here
    each label is translated once per language and process."""
    key = (translation.get_language(), choices, value)
    label = _choice_labels.get(key)
    if label is None:
        try:
            label = _choice_labels[key] = str(choices(value).label)
        except ValueError:
            return value
    return label


def person_label(user, with_email=False):
    """How the product names an account: the full name, else the username ("" for nobody); with its
    address after it ("Ann Martin <ann@example.com>") when ``with_email`` and it has one."""
    if user is None:
        return ""
    name = (user.get_full_name() if hasattr(user, "get_full_name") else "") or user.get_username()
    if with_email:
        email = getattr(user, get_user_model().get_email_field_name(), "") or ""
        return f"{name} <{email}>" if email else name
    return name


class Team(models.Model):
    """A support team ("Équipe support"): the agents who work a set of tickets."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        related_name="support_teams",
        blank=True,
    )
    contact_email = models.EmailField(
        _("contact address"),
        blank=True,
        help_text=_("Where the team is told about new tickets, in addition to its members."),
    )
    inbound_email = models.EmailField(
        _("incoming address"),
        blank=True,
        db_index=True,
        help_text=_(
            "Mail sent to this address opens tickets for this team. Point the address at your ESP's inbound "
            "route. Empty: new tickets by mail go to the default team."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        "wagtail_support.BusinessCalendar",
        verbose_name=_("business hours"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="teams",
        help_text=_("The hours its service level targets are counted in. Empty: around the clock."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("support team")
        verbose_name_plural = _("support teams")

    def __str__(self):
        return self.name


def i18n_enabled():
    """Whether the site translates its content (Wagtail's ``WAGTAIL_I18N_ENABLED``)."""
    return bool(getattr(settings, "WAGTAIL_I18N_ENABLED", False))


def default_language_code():
    """The language code of the default ``Locale`` (as ``Locale.get_default()`` finds it), without a query."""
    try:
        return get_supported_content_language_variant(settings.LANGUAGE_CODE)
    except LookupError:
        return (settings.LANGUAGE_CODE or "").lower()


def language_codes(language):
    """The ``Locale.language_code`` values that may hold ``language``'s translations, the closest first
    ("fr-ca": "fr-ca", then Wagtail's variant, then "fr"); [] for no language, or for the default locale's
    (its entries are the originals, not translations)."""
    language = (language or "").lower()
    if not language:
        return []
    codes = [language]
    try:
        codes.append(get_supported_content_language_variant(language).lower())
    except LookupError:
        pass
    codes.append(language.split("-")[0])
    codes = list(dict.fromkeys(codes))
    return [] if default_language_code().lower() in codes else codes


def _translation_rank(codes):
    """An ordering that puts the closest of ``codes`` first."""
    return models.Case(
        *[models.When(locale__language_code=code, then=models.Value(rank)) for rank, code in enumerate(codes)],
        default=models.Value(len(codes)),
        output_field=models.IntegerField(),
    )


class TranslatableQuerySet(models.QuerySet):
    """What the catalog's translatable models share: the entries of the default locale (the catalog
    itself) and the text of their translations."""

    def originals(self):
        """The entries of the default locale: the ones tickets, teams, the tree and every listing use (an
        entry of another locale is only the translation of one of them)."""
        return self.filter(locale__language_code=default_language_code())

    def translations_of(self, obj):
        """The other versions of ``obj`` (same ``translation_key``), with their locales."""
        return self.filter(translation_key=obj.translation_key).exclude(pk=obj.pk).select_related("locale")

    def with_translated(self, language, *fields):
        """Each entry annotated with ``translated_<field>``: the text of its translation in ``language``
        (the closest locale), ``None`` without one. No annotation (and nothing read) when the site does not
        translate its content or ``language`` is the default locale's. Same single query."""
        codes = language_codes(language) if i18n_enabled() else []
        if not codes:
            return self
        same = (
            self.model._default_manager.filter(
                translation_key=models.OuterRef("translation_key"), locale__language_code__in=codes
            )
            .annotate(translation_rank=_translation_rank(codes))
            .order_by("translation_rank", "pk")
        )
        return self.annotate(
            **{f"translated_{name}": models.Subquery(same.values(name)[:1]) for name in fields}
        )


def _translated(obj, name):
    """``obj``'s ``name`` in the language asked for with ``with_translated``, else its own."""
    value = getattr(obj, f"translated_{name}", None)
    return value if value else getattr(obj, name)


def _reading_key(text):
    """``text`` as sorted by people: accents and case aside."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@dataclass
class CatalogEntry:
    """One entry of the service catalog as the tree shows it (see ``CategoryQuerySet.tree``)."""

    category: "Category"
    full_name: str  # "Parent › Child", in the tree's language
    team: "Team | None"  # where its tickets go: its own team, else the nearest parent's
    depth: int
    children: list = field(default_factory=list)  # the ids of the entries right under it
    name: str = ""  # its own name in the tree's language (its translation's, else its own)
    description: str = ""  # likewise

    @property
    def pk(self):
        return self.category.pk

    @property
    def is_active(self):
        return self.category.is_active


class CatalogTree:
    """The whole service catalog read in one query, in tree order (parents first, siblings by order and
    name). ``entries`` lists every entry once (a cycle saved by hand cannot repeat one). Names are the
    translations' when the categories come annotated by ``with_translated`` (``tree(language=...)``)."""

    def __init__(self, categories):
        categories = list(categories)
        labels = {node.pk: _translated(node, "name") for node in categories}
        # Siblings by order, then by name as people read it (case and accents aside: "école" among the
        # e's, not after "Zoom" as a byte-wise ORDER BY puts it on SQLite), whatever the database.
        nodes = sorted(categories, key=lambda node: (node.sort_order, _reading_key(labels[node.pk]), node.pk))
        by_id = {node.pk: node for node in nodes}
        children, roots = {}, []
        for node in nodes:
            if node.parent_id is not None and node.parent_id in by_id and node.parent_id != node.pk:
                children.setdefault(node.parent_id, []).append(node)
            else:
                roots.append(node)
        self.entries, self.by_id = [], {}
        stack = [(node, (), None, 0) for node in reversed(roots)]
        while stack:
            node, names, inherited_team, depth = stack.pop()
            if node.pk in self.by_id:
                continue
            names = names + (labels[node.pk],)
            team = node.default_team if node.default_team_id else inherited_team
            entry = CatalogEntry(
                node,
                " › ".join(names),
                team,
                depth,
                [c.pk for c in children.get(node.pk, [])],
                name=labels[node.pk],
                description=_translated(node, "description"),
            )
            self.entries.append(entry)
            self.by_id[node.pk] = entry
            for child in reversed(children.get(node.pk, [])):
                stack.append((child, names, team, depth + 1))

    def active(self):
        """The entries a visitor or an agent may choose: active, under active parents only."""
        hidden, shown = set(), []
        for entry in self.entries:
            parent = entry.category.parent_id
            if not entry.is_active or parent in hidden:
                hidden.add(entry.pk)
            else:
                shown.append(entry)
        return shown

    def choices(self, entries=None, keep=None):
        """``(pk, "Parent › Child")`` pairs in tree order; ``keep``: a pk shown even when inactive (in its
        place in the tree, not at the end)."""
        entries = self.active() if entries is None else entries
        shown = {entry.pk for entry in entries}
        if keep is not None and keep in self.by_id and keep not in shown:
            shown.add(keep)
            entries = [entry for entry in self.entries if entry.pk in shown]
        return [(entry.pk, entry.full_name) for entry in entries]

    def descendants(self, pk):
        """``pk`` and the ids of every entry under it."""
        found, todo = [], [pk]
        while todo:
            node = todo.pop()
            if node in found or node not in self.by_id:
                continue
            found.append(node)
            todo.extend(self.by_id[node].children)
        return found


class CategoryQuerySet(TranslatableQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def tree(self, language=None):
        """The catalog as a ``CatalogTree``: the entries of the default locale (never their translations),
        in one query (with the teams). ``language``: names and descriptions from each entry's translation in
        that language, else its own (still one query: the translations are read in subqueries)."""
        entries = self.originals().select_related("default_team").with_translated(language, "name", "description")
        return CatalogTree(entries.order_by("sort_order", "name", "pk"))


def delete_translations(obj):
    """Delete the translations of ``obj`` when it is an entry of the default locale."""
    if obj.pk is not None and obj.locale_id is not None and obj.locale.language_code == default_language_code():
        type(obj)._default_manager.filter(translation_key=obj.translation_key).exclude(pk=obj.pk).delete()


class Category(TranslatableMixin, models.Model):
    """An entry of the service catalog ("Catalogue de services"), nested under a parent entry.

    Each entry may name the team that gets its tickets; an entry without one uses its parent's.

    Translatable with Wagtail's i18n: the entries of the default locale are the catalog (tickets, teams and
    the tree point at them); an entry of another locale is the translation of its name and description
    (same ``translation_key``), shown to visitors of that locale.
    """

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_team = models.ForeignKey(
        Team,
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
        help_text=_("Tickets of this entry go to this team. Empty: the parent entry's team."),
    )
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta(TranslatableMixin.Meta):
        ordering = ["sort_order", "name"]
        verbose_name = _("service catalog entry")
        verbose_name_plural = _("service catalog")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name", "locale"], name="wagtail_support_category_unique_name_locale"
            ),
        ]

    def __str__(self):
        return self.full_name

    def ancestors(self):
        """This entry's parents, the root first. Guards against a cycle saved by hand."""
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self):
        return " › ".join([c.name for c in self.ancestors()] + [self.name])

    def delete(self, *args, **kwargs):
        # An entry of the default locale takes its translations with it (they are only its texts).
        with transaction.atomic():
            delete_translations(self)
            return super().delete(*args, **kwargs)

    def get_team(self):
        """The team of this entry, or of the nearest parent that names one."""
        if self.default_team_id:
            return self.default_team
        for node in reversed(self.ancestors()):
            if node.default_team_id:
                return node.default_team
        return None


class ResolutionCode(TranslatableMixin, models.Model):
    """An editable list of how tickets get resolved. "No follow-up" is built in and used by abandon; the
    codes of ``STARTER_CODES`` come with a new site (migration 0013) so tickets can be resolved on day one.

    Translatable: tickets point at the codes of the default locale; a code of another locale (same
    ``translation_key``) carries the label requesters of that language read."""

    NO_FOLLOW_UP = "no-follow-up"

    # Built-in codes keep a translated label whatever the database holds.
    # The code of tickets closed because their requester did not answer (support_tick's automation).
    NO_REPLY = "no-reply"
    BUILTIN_LABELS = {NO_FOLLOW_UP: _("No follow-up"), NO_REPLY: _("No reply from the requester")}
    # The codes a new site starts with: code -> (the English label stored, the label shown). The shown one
    # is translated while a supervisor has not renamed the code.
    STARTER_CODES = {
        "solved": ("Solved", _("Solved")),
        "workaround": ("Workaround given", _("Workaround given")),
        "duplicate": ("Duplicate of another ticket", _("Duplicate of another ticket")),
        "not-reproducible": ("Could not be reproduced", _("Could not be reproduced")),
    }

    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=150)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TranslatableQuerySet.as_manager()

    class Meta(TranslatableMixin.Meta):
        ordering = ["sort_order", "label"]
        verbose_name = _("resolution code")
        verbose_name_plural = _("resolution codes")
        constraints = [
            models.UniqueConstraint(fields=["code", "locale"], name="wagtail_support_resolutioncode_code_locale"),
        ]

    def __str__(self):
        if self.code in self.BUILTIN_LABELS:
            return str(self.BUILTIN_LABELS[self.code])
        stored, shown = self.STARTER_CODES.get(self.code, (None, None))
        return str(shown) if self.label == stored else self.label

    @property
    def is_builtin(self):
        return self.code in self.BUILTIN_LABELS

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            delete_translations(self)
            return super().delete(*args, **kwargs)

    def label_in(self, language):
        """The label requesters of ``language`` read: the one of this code's translation in that language
        (when the site translates its content), else this code's own (``str``), in that language."""
        language = language or settings.LANGUAGE_CODE
        codes = language_codes(language) if i18n_enabled() else []
        shown = self
        if codes:
            shown = (
                type(self)
                ._default_manager.filter(translation_key=self.translation_key, locale__language_code__in=codes)
                .exclude(pk=self.pk)
                .annotate(translation_rank=_translation_rank(codes))
                .order_by("translation_rank", "pk")
                .first()
            ) or self
        with translation.override(language):
            return str(shown)

    @property
    def localized_label(self):
        """``label_in`` the active language (a mail is rendered in its recipient's, a page in its reader's)."""
        return self.label_in(translation.get_language())

    @classmethod
    def no_follow_up(cls):
        """The built-in code of abandoned tickets, in the default locale."""
        code, _created = cls.objects.originals().get_or_create(
            code=cls.NO_FOLLOW_UP, defaults={"label": "No follow-up", "sort_order": 1000}
        )
        return code

    @classmethod
    def no_reply(cls):
        """The built-in code of tickets closed after the requester stayed silent, in the default locale."""
        code, _created = cls.objects.originals().get_or_create(
            code=cls.NO_REPLY, defaults={"label": "No reply from the requester", "sort_order": 1001}
        )
        return code


def _ticket_priorities():
    from .tickets import Ticket  # noqa: PLC0415 - the ticket model imports this module; read when the choices are

    return Ticket.Priority.choices


def _ticket_kinds():
    from .tickets import Ticket  # noqa: PLC0415 - the ticket model imports this module; read when the choices are

    return Ticket.Kind.choices


class CannedResponseQuerySet(TranslatableQuerySet):
    def offered_for(self, ticket):
        """The active saved replies for ``ticket``: those of every team and of its team, one version of
        each (of the replies sharing a ``translation_key``, the one in the ticket's language, else the
        default locale's, else any); the ones in the ticket's language first (the language it was opened
        in, else the site's), then those of the default locale, then the others; each group in the
        replies' own order. One query."""
        team_q = models.Q(team__isnull=True)
        if ticket.team_id:
            team_q |= models.Q(team_id=ticket.team_id)
        language = (ticket.language or settings.LANGUAGE_CODE or "").lower()
        same = [language, language.split("-")[0]]
        default = (settings.LANGUAGE_CODE or "").lower()
        rank = models.Case(
            models.When(locale__language_code__in=same, then=models.Value(0)),
            models.When(locale__language_code__in=[default, default.split("-")[0]], then=models.Value(1)),
            default=models.Value(2),
            output_field=models.IntegerField(),
        )
        offered = self.filter(team_q, is_active=True).annotate(language_rank=rank)
        best = (
            offered.filter(translation_key=models.OuterRef("translation_key"))
            .order_by("language_rank", "sort_order", "pk")
            .values("pk")[:1]
        )
        return offered.filter(pk=models.Subquery(best)).order_by("language_rank", "sort_order", "title", "pk")


class CannedResponse(TranslatableMixin, models.Model):
    """A saved reply an agent inserts in the composer, with placeholders filled from the ticket.

    Translatable: its translations (same ``translation_key``) are the same reply in other languages; a
    ticket is offered the version in its own language, else the default locale's.

    Placeholders: ``{requester_name}``, ``{beneficiary_name}``, ``{reference}``, ``{subject}``,
    ``{agent_name}``, ``{team}``. Unknown placeholders are left as typed.
    """

    PLACEHOLDERS = ["requester_name", "beneficiary_name", "reference", "subject", "agent_name", "team"]

    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {requester_name}, {beneficiary_name}, {reference}, {subject}, {agent_name}, {team}."
        ),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("support team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text=_("Empty: offered to every team."),
    )
    # A macro: what sending this reply also sets, in the same workflow move (empty: nothing).
    set_status = models.CharField(
        _("status after sending"),
        max_length=10,
        blank=True,
        choices=[("open", _("Open")), ("pending", _("Pending")), ("resolved", _("Resolved"))],
        help_text=_("Resolved needs a resolution code; the reply is then the solution."),
    )
    set_resolution_code = models.ForeignKey(
        ResolutionCode,
        verbose_name=_("resolution code"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_priority = models.CharField(_("set priority"), max_length=10, blank=True, choices=_ticket_priorities)
    set_kind = models.CharField(_("set type"), max_length=20, blank=True, choices=_ticket_kinds)
    set_team = models.ForeignKey(
        Team, verbose_name=_("move to team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assign to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assign_to_me = models.BooleanField(
        _("assign to the agent who sends it"), default=False, help_text=_("Takes precedence over “assign to”.")
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CannedResponseQuerySet.as_manager()

    class Meta(TranslatableMixin.Meta):
        ordering = ["sort_order", "title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self):
        return self.title

    def render_for(self, ticket, agent=None):
        """The text with its placeholders filled in for ``ticket`` (plain text; rendered escaped)."""
        values = {
            "requester_name": ticket.requester_display,
            "beneficiary_name": ticket.beneficiary_display or ticket.requester_display,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "agent_name": person_label(agent),
            "team": ticket.team.name if ticket.team_id else "",
        }

        class _Keep(dict):
            def __missing__(self, key):
                return "{" + key + "}"

        try:
            return self.body.format_map(_Keep(values))
        except (ValueError, IndexError, AttributeError):
            # A stray brace or "{0.attr}" in the text: insert it as typed rather than fail.
            text = self.body
            for key, value in values.items():
                text = text.replace("{" + key + "}", value)
            return text
