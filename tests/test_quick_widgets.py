"""The selects and radio buttons rendered in Python must be Django's own markup (whitespace aside)."""

import re
from html.parser import HTMLParser

import pytest
from django import forms

from wagtail_support.widgets import QuickRadioSelect, QuickSelect

CHOICES = [("", "All"), ("x", 'X <b>"quoted"</b> & more'), ("Group & co", [("g1", "First"), ("g2", "Second")]), (3, "Three")]


class _Tokens(HTMLParser):
    """Tags with their attributes sorted, and the text between them: HTML as a browser reads it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, tuple(sorted(attrs, key=lambda a: a[0]))))

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.tokens.append(("text", re.sub(r"\s+", " ", data.strip())))


def _normalise(html, name):
    parser = _Tokens()
    parser.feed(html.replace(f"id_{name}", "id_field").replace(f'name="{name}"', 'name="field"'))
    return parser.tokens


@pytest.mark.parametrize("django_widget, ours", [(forms.Select, QuickSelect), (forms.RadioSelect, QuickRadioSelect)])
@pytest.mark.parametrize("value", ["", "x", "g2", "3", "not-a-choice"])
def test_python_rendering_matches_the_django_templates(django_widget, ours, value):
    class Form(forms.Form):
        theirs = forms.ChoiceField(choices=CHOICES, widget=django_widget(attrs={"class": "c", "data-x": "1"}), required=False)
        mine = forms.ChoiceField(choices=CHOICES, widget=ours(attrs={"class": "c", "data-x": "1"}), required=False)

    form = Form({"theirs": value, "mine": value})
    expected = _normalise(str(form["theirs"]), "theirs")
    assert _normalise(str(form["mine"]), "mine") == expected
    # The label with markup in it is text, escaped once (the parser unescapes it once).
    assert ("text", 'X <b>"quoted"</b> & more') in expected
