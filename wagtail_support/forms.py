"""Forms of the visitor pages. Every error is translated and shown next to its field."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from .attachments import validate_attachments
from .conf import support_settings
from .models import Category, Ticket

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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


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
    description = forms.CharField(
        label=_("Description"),
        help_text=_("The details of the problem or of your request."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=Ticket.Kind.choices, initial=Ticket.Kind.QUESTION)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Ticket.Priority.choices,
        initial=Ticket.Priority.NORMAL,
        widget=forms.RadioSelect,
    )
    category = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("I don't know"),
    )
    attachments = AttachmentsField()
    # The path of the page the visitor was reading before, from the Referer of the first visit.
    came_from = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    field_order = ["name", "email", "subject", "description", "kind", "priority", "category", "attachments"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None and user.is_authenticated:
            # A logged-in visitor's name and address come from their account.
            del self.fields["name"]
            del self.fields["email"]
        categories = Category.objects.active().select_related("parent")
        self.fields["category"].queryset = categories
        self.fields["category"].label_from_instance = lambda c: c.full_name
        if not categories.exists():
            del self.fields["category"]
        self.priority_help = PRIORITY_HELP


    def clean_came_from(self):
        value = (self.cleaned_data.get("came_from") or "").strip()
        # Only a path on this site: never a full address, never "//host".
        if not value.startswith("/") or value.startswith("//") or "\\" in value:
            return ""
        return value


class ReplyForm(HoneypotMixin, forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
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


class QuickSelect(forms.Select):
    """A ``<select>`` rendered in Python: Django renders each ``<option>`` through a template, which took
    40 ms for the 200 agents of a large desk (the inbox's filters, the workspace's forms). Same markup as
    ``django/forms/widgets/select.html``."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        widget = context["widget"]
        options = []
        for group_name, group_choices, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])
                    for option in group_choices
                ),
            )
            if group_name:
                rendered = format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
            options.append(rendered)
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), mark_safe("".join(options))
        )


class QuickRadioSelect(forms.RadioSelect):
    """Radio buttons rendered in Python, with the markup of ``django/forms/widgets/radio.html`` (a
    template per button otherwise: 21 buttons in the inbox's filters)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                "<div>\n    {}</div>",
                ((self._option_html(option),) for option in options),
            )
            if group_name:
                rendered = format_html("\n  <div><label>{}</label>{}\n  </div>", group_name, rendered)
            parts.append(rendered)
        widget_id = widget["attrs"].get("id")
        css = widget["attrs"].get("class")
        opening = format_html(
            "<div{}{}>",
            format_html(' id="{}"', widget_id) if widget_id else "",
            format_html(' class="{}"', css) if css else "",
        )
        return mark_safe(opening + "".join(parts) + "\n</div>")

    @staticmethod
    def _option_html(option):
        attrs = option["attrs"]
        value = option["value"]
        html = format_html(
            '<input type="{}" name="{}"{}{}>',
            option["type"],
            option["name"],
            format_html(' value="{}"', value) if value is not None else "",
            flatatt({key: val for key, val in attrs.items() if val is not False}),
        )
        if option.get("wrap_label"):
            label_for = format_html(' for="{}"', attrs["id"]) if attrs.get("id") else ""
            html = format_html("<label{}>{} {}</label>", label_for, html, option["label"])
        return html
