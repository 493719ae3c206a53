"""Forms of the visitor pages. Every error is translated and shown next to its field."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from .attachments import validate_attachments
from .conf import support_settings
from .models import Category, CatalogTree, Ticket
from .widgets import MultipleFileInput

PRIORITY_HELP = {
    Ticket.Priority.LOW: _("Not urgent: it can wait."),
    Ticket.Priority.NORMAL: _("A standard request, handled in the usual time."),
    Ticket.Priority.HIGH: _("An important request that needs particular attention."),
    Ticket.Priority.URGENT: _("A critical request that needs immediate action."),
}


def _attachments_help_text():
    count = support_settings.MAX_ATTACHMENTS_PER_MESSAGE
    return ngettext(
        "Screenshots, PDF, text or office documents; up to %(count)d file.",
        "Screenshots, PDF, text or office documents; up to %(count)d files.",
        count,
    ) % {"count": count}


# Lazy, so the help text is translated into each visitor's language when shown, not once at import.
attachments_help_text = lazy(_attachments_help_text, str)


class AttachmentsField(forms.FileField):
    """Any number of files, checked by ``wagtail_support.attachments`` (types found in the content)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault("help_text", attachments_help_text())
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        return validate_attachments([f for f in files if f])


class LimitedTextarea(forms.Textarea):
    """A textarea whose ``maxlength`` is the site's ``WAGTAILSUPPORT_DESCRIPTION_MAX_LENGTH``, read when shown."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if support_settings.DESCRIPTION_MAX_LENGTH:
            context["widget"]["attrs"]["maxlength"] = str(support_settings.DESCRIPTION_MAX_LENGTH)
        return context


class LongTextField(forms.CharField):
    """A visitor's text (a description, a reply) of at most ``WAGTAILSUPPORT_DESCRIPTION_MAX_LENGTH`` characters.

    Counted as the browser counts for ``maxlength``: a line break is one character, although the browser
    sends it as two ("\\r\\n").
    """

    widget = LimitedTextarea

    def validate(self, value):
        super().validate(value)
        limit = support_settings.DESCRIPTION_MAX_LENGTH
        length = len(value.replace("\r\n", "\n")) if value else 0
        if limit and length > limit:
            raise ValidationError(
                ngettext(
                    "At most %(limit)s character: this text has %(length)s. Shorten it, or attach the long parts as a file.",
                    "At most %(limit)s characters: this text has %(length)s. Shorten it, or attach the long parts as a file.",
                    limit,
                ),
                code="max_length",
                params={"limit": number_format(limit, force_grouping=True), "length": number_format(length, force_grouping=True)},
            )


class CatalogChoiceField(forms.TypedChoiceField):
    """A service catalog entry, offered in tree order ("Parent › Child"); cleans to the ``Category``.

    The choices come from a ``CatalogTree`` (``Category.objects.tree()``, one query), given with
    ``set_tree``; ``keep`` is an entry shown even when it is no longer active (the one a ticket has), in
    its place in the tree; ``entries``: the entries offered, in tree order (the active ones by default).
    """

    def __init__(self, *, empty_label="", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(coerce=int, empty_value=None, **kwargs)
        self.empty_label = empty_label
        self.set_tree(CatalogTree([]))

    def set_tree(self, tree, keep=None, entries=None):
        self.tree = tree
        self.choices = [("", self.empty_label)] + [
            (str(pk), name) for pk, name in tree.choices(entries, keep=keep)
        ]

    def clean(self, value):
        pk = super().clean(value)
        return None if pk is None else self.tree.by_id[pk].category


class HoneypotMixin(forms.Form):
    """A field people never see; a robot that fills it in is turned away."""

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_spam(self):
        return bool(self.data.get(self.add_prefix("website")))


class TicketForm(HoneypotMixin, forms.Form):
    """The visitor's ticket form. An anonymous visitor also gives a name and an address."""

    name = forms.CharField(label=_("Your name"), max_length=255)
    email = forms.EmailField(label=_("Your email address"), max_length=254)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=255,
        help_text=_("A summary of your request."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = LongTextField(
        label=_("Description"),
        help_text=_("The details of the problem or of your request."),
        widget=LimitedTextarea(attrs={"rows": 8}),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=Ticket.Kind.choices, initial=Ticket.Kind.QUESTION)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Ticket.Priority.choices,
        initial=Ticket.Priority.NORMAL,
        widget=forms.RadioSelect,
    )
    category = CatalogChoiceField(label=_("Topic"), empty_label=_("I don't know"))
    attachments = AttachmentsField()
    # The path of the page the visitor was reading before, from the Referer of the first visit.
    came_from = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    # The FAQ questions the visitor opened from the suggestions (ids, filled by faq-suggest.js).
    faq_opened = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    field_order = ["name", "email", "subject", "description", "kind", "priority", "category", "attachments"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None and user.is_authenticated:
            # A logged-in visitor's name and address come from their account.
            del self.fields["name"]
            del self.fields["email"]
        # Labelled in the visitor's language; the values stay the entries of the default locale.
        tree = Category.objects.tree(language=translation.get_language())
        self.fields["category"].set_tree(tree)
        if not tree.active():
            del self.fields["category"]
        self.priority_help = PRIORITY_HELP

    def clean_came_from(self):
        value = (self.cleaned_data.get("came_from") or "").strip()
        # Only a path on this site: never a full address, never "//host".
        if not value.startswith("/") or value.startswith("//") or "\\" in value:
            return ""
        return value


class ReplyForm(HoneypotMixin, forms.Form):
    body = LongTextField(label=_("Your message"), widget=LimitedTextarea(attrs={"rows": 6}), required=False)
    attachments = AttachmentsField(label=_("Attach files"))

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("attachments") and not self.errors:
            raise ValidationError(_("Write a message or attach a file."), code="empty")
        return cleaned


class FindTicketsForm(HoneypotMixin, forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We will send the links to your tickets to this address."),
    )


class TicketFilterForm(forms.Form):
    """The filters of "My tickets". Invalid values are ignored rather than shown as errors."""

    PERIODS = [
        ("", _("Any date")),
        ("today", _("Today")),
        ("week", _("This week")),
        ("month", _("This month")),
        ("custom", pgettext_lazy("date range", "Custom")),
    ]

    kind = forms.ChoiceField(label=_("Type"), choices=[("", _("All types"))] + Ticket.Kind.choices, required=False)
    period = forms.ChoiceField(label=_("Date"), choices=PERIODS, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and (data.get("date_from") or data.get("date_to")) and data.get("period") != "custom":
            # Dates typed without choosing "Custom" are what the visitor asked for: the period is theirs
            # (the select shows "Custom" too; the page's script switches it as they type).
            data = data.copy()
            data["period"] = "custom"
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def _valid_data(self):
        # Filters that are valid still apply when another one is not (a wrong date range keeps the type).
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def date_range(self, now=None):
        """(start, end) datetimes of the chosen period, either possibly ``None``."""
        data = self._valid_data()
        now = timezone.localtime(now)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        period = data.get("period")
        if period == "today":
            return today, None
        if period == "week":
            return today - datetime.timedelta(days=today.weekday()), None
        if period == "month":
            return today.replace(day=1), None
        if period == "custom":
            if "date_from" in self.errors or "date_to" in self.errors:
                return None, None  # a wrong range is ignored as a whole, and said so next to the field
            start, end = data.get("date_from"), data.get("date_to")
            tz = timezone.get_current_timezone()
            start_dt = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz) if start else None
            end_dt = (
                datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
                if end
                else None
            )
            return start_dt, end_dt
        return None, None

    def filter(self, queryset):
        data = self._valid_data()
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        start, end = self.date_range()
        if start:
            queryset = queryset.filter(created_at__gte=start)
        if end:
            queryset = queryset.filter(created_at__lt=end)
        return queryset


class ShortTicketForm(TicketForm):
    """The short ticket form of a page's support form (``blocks.SupportFormBlock``, ``{% support_form %}``):
    the subject and the description, with a name and an address from an anonymous visitor. The type, the
    priority and the catalog entry are the block's defaults; no files."""

    LEFT_OUT = ("kind", "priority", "category", "attachments", "came_from")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.LEFT_OUT:
            self.fields.pop(name, None)


# The longest comment kept with a rating (``workflow.rate`` checks it too).
RATING_COMMENT_MAX_LENGTH = 2000


class RatingForm(forms.Form):
    """The requester's rating of a closing ("How did we do?"): good or bad, and an optional comment."""

    rating = forms.ChoiceField(
        label=_("How did we do?"),
        choices=Ticket.Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose good or bad."), "invalid_choice": _("Choose good or bad.")},
    )
    comment = forms.CharField(
        label=_("Your comment (optional)"),
        help_text=_("What went well, or what we could do better."),
        required=False,
        max_length=RATING_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
