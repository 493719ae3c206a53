"""The only place that turns user text or HTML into markup.

Visitor text is stored as plain text and rendered with ``render_text``: escaped, links made clickable
(``rel="nofollow noopener noreferrer"``), line breaks kept; bleach finds the links, and this module is the
only one that uses it. Text typed by a person or received by mail is normalised with ``clean_text`` before
it is stored; HTML that arrives by mail is never stored as markup: ``inbound.html`` makes it plain text
first. File names from uploads go through ``clean_filename``.
"""

import os
import re
import unicodedata
from functools import lru_cache

from bleach.linkifier import Linker
from django.utils.html import escape
from django.utils.safestring import mark_safe

# Control characters other than tab and newline have no place in a message and can hide text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

def _link_attributes(attrs, new=False):
    href_key = (None, "href")
    if href_key not in attrs:
        return attrs
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


_linker = Linker(callbacks=[_link_attributes], parse_email=True)
# What every link bleach would make has: an address, a scheme, or a domain's dot before its name.
_LINK_CANDIDATE = re.compile(r"@|://|\.[^\W\d_]")


def clean_text(value):
    """Normalise text typed by a person or received by mail, before it is stored."""
    if value is None:
        return ""
    value = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


# The HTML of the texts rendered lately, by text: a ticket page shows the same messages at each visit, and
# rendering one (escaping, bleach's parse for links) takes about 0.1 ms: 50 ms for a conversation of 500
# messages shown whole. The text itself is the key, so a text that changes is rendered anew and nothing has
# to be forgotten by hand; longer texts are rendered each time (the cache holds a few megabytes at most).
RENDERED_TEXTS_KEPT = 1024
RENDERED_TEXT_MAX_LENGTH = 4000


def render_text(value):
    """Plain text to safe HTML: escaped, links clickable, paragraphs and line breaks kept."""
    text = clean_text(value).strip()
    if not text:
        return mark_safe("")
    if len(text) > RENDERED_TEXT_MAX_LENGTH:
        return _render(text)
    return _render_kept(text)


def _render(text):
    paragraphs = re.split(r"\n{2,}", text)
    html = []
    for paragraph in paragraphs:
        escaped = escape(paragraph)
        # bleach parses the text as HTML to find links (about 1 ms a paragraph); text with nothing that
        # could be one (no "@", no "://", no dot before a letter, as every domain has) is left as it is.
        linked = _linker.linkify(escaped) if _LINK_CANDIDATE.search(escaped) else escaped
        html.append("<p>" + linked.replace("\n", "<br>") + "</p>")
    return mark_safe("\n".join(html))


_render_kept = lru_cache(maxsize=RENDERED_TEXTS_KEPT)(_render)


_SAFE_PUNCTUATION = set(".-_ ()+")


def _safe_name_char(char):
    # Letters, digits and combining marks of every script (Devanagari, Thai, Arabic vowels...).
    return char in _SAFE_PUNCTUATION or unicodedata.category(char)[0] in "LNM"


def clean_filename(name, max_bytes=150):
    """A file name safe to store and to send in ``Content-Disposition``.

    Drops any directory part, control characters and characters that mean something to a shell or a
    file system; keeps letters of every alphabet; never returns an empty or hidden name. The length is
    capped in UTF-8 bytes, since file systems limit bytes (255), not letters.
    """
    name = unicodedata.normalize("NFC", clean_text(name or ""))
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(c if _safe_name_char(c) else "_" for c in name).strip(" .")
    name = re.sub(r"_+", "_", name)
    if not name or name.startswith("."):
        name = f"attachment{name}" if name else "attachment"
    if len(name.encode("utf-8")) > max_bytes:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext.encode("utf-8")) <= 16 else ""
        budget = max_bytes - len(ext.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
        name = stem + ext
    return name
