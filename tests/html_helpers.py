"""Reading the visitor pages as a person would: parsed HTML, visible text, a field's block and errors."""

from bs4 import BeautifulSoup


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def html(response):
    return response.content.decode()


def text(response):
    """The visible text of a page, whitespace collapsed."""
    return " ".join(soup(response).get_text(" ").split())


def field_block(response, name):
    """The ``<div class="ws-field ws-field--<name>">`` of a form field."""
    block = soup(response).select_one(f"div.ws-field--{name}")
    assert block is not None, f"no field {name} on the page"
    return block


def field_errors(response, name):
    """The error messages shown next to a form field."""
    return [" ".join(e.get_text(" ").split()) for e in field_block(response, name).select("ul.ws-errors li")]
