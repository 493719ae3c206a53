"""Widgets rendered in Python with the markup of Django's own templates (a template per option is slow
on a page of many selects), and the file input that takes several files."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


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


class FilteredCheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes (a click never drops the others, as in a multiple ``<select>``) under a filter box that
    hides the options whose label does not contain the typed text (``checkbox-filter.js``; without it,
    every option stays shown). Rendered in Python, one ``<li>`` per option: a large desk has hundreds
    of agents. ``filter_label`` names the filter box."""

    def __init__(self, attrs=None, choices=(), filter_label="", count_text="", group_label=""):
        super().__init__(attrs, choices)
        # count_text: "%(shown)s of %(total)s shown", said to screen readers while filtering;
        # group_label: the name of the list of checkboxes (a group has no <label> of its own).
        self.filter_label, self.count_text, self.group_label = filter_label, count_text, group_label

    class Media:
        js = ["wagtail_support/admin/checkbox-filter.js"]
        css = {"all": ["wagtail_support/admin/checkbox-filter.css"]}

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        list_id = widget["attrs"].get("id") or f"id_{name}"
        items = []
        for _group, options, _index in widget["optgroups"]:
            for option in options:
                option_attrs = {key: val for key, val in option["attrs"].items() if val is not False}
                items.append(
                    format_html(
                        '<li class="wsw-checklist__item" data-wsw-checklist-text="{}">'
                        '<label for="{}"><input type="checkbox" name="{}" value="{}"{}> {}</label></li>',
                        str(option["label"]).casefold(),
                        option_attrs.get("id", ""),
                        option["name"],
                        option["value"],
                        flatatt(option_attrs),
                        option["label"],
                    )
                )
        return format_html(
            '<div class="wsw-checklist" data-wsw-checklist data-wsw-checklist-count-text="{}">'
            '<div class="wsw-checklist__filter" hidden data-wsw-checklist-filter>'
            '<label class="w-field__label" for="{}_filter">{}</label>'
            '<input type="search" id="{}_filter" autocomplete="off" aria-controls="{}">'
            '<p class="wsw-checklist__count" aria-live="polite" data-wsw-checklist-count></p>'
            "</div>"
            '<div class="wsw-checklist__list" id="{}" role="group" aria-label="{}"><ul>{}</ul></div></div>',
            self.count_text,
            list_id,
            self.filter_label,
            list_id,
            list_id,
            list_id,
            self.group_label,
            mark_safe("".join(items)),
        )
