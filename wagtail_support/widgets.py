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
