"""The only place that turns user text or HTML into markup.

Visitor text is stored as plain text and rendered with ``render_text``: escaped, links made clickable
(``rel="nofollow noopener"``), line breaks kept. HTML that arrives from outside (mail) goes through
``clean_html`` before it is stored. File names from uploads go through ``clean_filename``.
"""

import os
import re
import unicodedata

import bleach
from bleach.linkifier import Linker
from django.utils.html import escape
from django.utils.safestring import mark_safe

# Control characters other than tab and newline have no place in a message and can hide text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "td": ["colspan", "rowspan"], "th": ["colspan", "rowspan"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _link_attributes(attrs, new=False):
    href_key = (None, "href")
    if href_key not in attrs:
        return attrs
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


_linker = Linker(callbacks=[_link_attributes], parse_email=True)


def clean_text(value):
    """Normalise text typed by a person or received by mail, before it is stored."""
    if value is None:
        return ""
    value = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def render_text(value):
    """Plain text to safe HTML: escaped, links clickable, paragraphs and line breaks kept."""
    text = clean_text(value).strip()
    if not text:
        return mark_safe("")
    paragraphs = re.split(r"\n{2,}", text)
    html = []
    for paragraph in paragraphs:
        linked = _linker.linkify(escape(paragraph))
        html.append("<p>" + linked.replace("\n", "<br>") + "</p>")
    return mark_safe("\n".join(html))


def clean_html(value):
    """HTML from outside (an inbound mail) reduced to a safe subset, links marked nofollow."""
    cleaned = bleach.clean(
        clean_text(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return mark_safe(_linker.linkify(cleaned))


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
