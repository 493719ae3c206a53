"""HTML that arrives by mail, made plain text.

An inbound mail's HTML is parsed into a small tree (``parse_html``) with the standard library's tolerant
parser, completed with the few HTML5 rules that matter for mail (a block closes an open paragraph, a list
item closes the previous one, a head ends at the first body content), then written out as plain text
(``html_to_text``). ``replies`` takes quoted history out of the tree in between. Nothing here ever
produces markup: what a mail said in HTML is stored as text, and rendered like any text
(``sanitize.render_text``). Both take time in proportion to the mail's size, however deep or broken its
markup: nesting is capped, the open elements of each tag are counted (closing one that is not open costs
nothing), a text the parser hands over in pieces is joined once, and the garbage collector is paused while
a tree is built and walked (``gc_paused``).
"""

import gc
import re
from contextlib import contextmanager
from html.parser import HTMLParser

from ..sanitize import clean_text

# Elements never shown, dropped with their content.
DROPPED_TAGS = frozenset({"head", "script", "style", "template", "title", "xml"})
_VOID_TAGS = frozenset(
    {"area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
     "param", "source", "track", "wbr"}
)  # fmt: skip
_HEAD_TAGS = frozenset(
    {"base", "basefont", "bgsound", "link", "meta", "noscript", "script", "style", "template", "title", "xml"}
)
_CLOSES_P = frozenset(
    {"address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
     "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
     "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "ul"}
)  # fmt: skip
_SCOPE_TAGS = frozenset(
    {"#document", "applet", "button", "caption", "html", "marquee", "object", "table", "td", "template", "th"}
)
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "caption", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
     "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr", "main", "menu", "nav",
     "section", "summary", "table", "tbody", "tfoot", "thead", "tr"}
)  # fmt: skip
_PARAGRAPH_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p"})
# Nesting deeper than this (only a hostile mail does it) is flattened, so no walk of the tree can recurse
# without end.
_MAX_DEPTH = 200
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # not U+00A0: a no-break space is text


class Text:
    """A run of text in a tree from ``parse_html``; entities are already decoded."""

    __slots__ = ("data", "parent")

    def __init__(self, data, parent):
        self.data = data
        self.parent = parent


class Element:
    """An element of a tree from ``parse_html``: lower-case ``tag``, ``attrs`` dict, ``children``, ``parent``."""

    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag, attrs=(), parent=None):
        self.tag = tag
        self.attrs = {}
        for name, value in attrs:
            self.attrs.setdefault(name, value or "")  # as browsers do, the first of two same attributes wins
        self.children = []
        self.parent = parent

    @property
    def classes(self):
        return set(self.attrs.get("class", "").split())

    def text(self):
        """The text a reader would see, whitespace as in the source, dropped elements left out."""
        parts = []
        stack = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, Text):
                parts.append(node.data)
            elif node.tag not in DROPPED_TAGS:
                stack.extend(reversed(node.children))
        return "".join(parts)


class _TreeBuilder(HTMLParser):
    """Builds the tree. How many elements of each tag are open is kept, so that closing a tag that is not
    open (a ``<div>`` closing a ``<p>`` when there is none) costs nothing however deep the tree; the pieces
    of a text the parser hands over in turn are joined once."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.stack = [self.root]
        self.open = {}
        self.text_parts = None  # the pieces of the last Text, while more may come

    def _push(self, element):
        self.stack.append(element)
        self.open[element.tag] = self.open.get(element.tag, 0) + 1

    def _truncate(self, index):
        for element in self.stack[index:]:
            self.open[element.tag] -= 1
        del self.stack[index:]

    def _join_text(self):
        if self.text_parts is not None:
            node, parts = self.text_parts
            node.data = "".join(parts)
            self.text_parts = None

    def _close(self, tags, boundary):
        for tag in tags:
            if self.open.get(tag):
                break
        else:
            return
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag in tags:
                self._truncate(index)
                return
            if self.stack[index].tag in boundary:
                return

    def _leave_head(self):
        if self.stack[-1].tag == "head":
            self._truncate(len(self.stack) - 1)

    def handle_starttag(self, tag, attrs):
        self._join_text()
        if tag not in _HEAD_TAGS:
            self._leave_head()
        if tag in _CLOSES_P:
            self._close({"p"}, _SCOPE_TAGS)
        if tag == "li":
            self._close({"li"}, _SCOPE_TAGS | {"ol", "ul"})
        elif tag in ("dd", "dt"):
            self._close({"dd", "dt"}, _SCOPE_TAGS | {"dl"})
        elif tag in ("td", "th"):
            self._close({"td", "th"}, {"tr", "table"})
        elif tag == "tr":
            self._close({"tr"}, {"table"})
        parent = self.stack[-1]
        element = Element(tag, attrs, parent)
        parent.children.append(element)
        if tag not in _VOID_TAGS and len(self.stack) < _MAX_DEPTH:
            self._push(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        self._join_text()
        self._close({tag}, ())

    def handle_data(self, data):
        if data.strip():
            self._leave_head()
        parent = self.stack[-1]
        last = parent.children[-1] if parent.children else None
        if self.text_parts is not None and last is self.text_parts[0]:
            self.text_parts[1].append(data)
            return
        self._join_text()
        if isinstance(last, Text):
            self.text_parts = (last, [last.data, data])
        else:
            node = Text(data, parent)
            parent.children.append(node)
            self.text_parts = (node, [data])

    def parse_marked_section(self, i, report=1):
        # ``<![foo[ ... ]]>`` makes the standard parser raise; skip it as a browser would.
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i + 3)
            return -1 if end < 0 else end + 1


def _drop_open_comment(html):
    # A comment left open runs to the end of the document in a browser; the standard parser would output
    # it as text instead.
    start = 0
    while True:
        start = html.find("<!--", start)
        if start < 0:
            return html
        end = html.find("-->", start + 4)
        if end < 0:
            return html[:start]
        start = end + 3


@contextmanager
def gc_paused():
    """The cyclic garbage collector paused while a tree is made and walked: the tree of a large mail is
    hundreds of thousands of linked objects, which it would walk again and again as they are made, so that
    the time would grow faster than the mail's size. It is freed (and collected) afterwards as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_html(html):
    """HTML (a mail's) parsed into a tree of ``Element`` and ``Text``, rooted at an ``Element("#document")``.

    Comments, doctypes and processing instructions are left out; the parser never raises on bad markup.
    """
    builder = _TreeBuilder()
    with gc_paused():
        builder.feed(_drop_open_comment(clean_text(html)))
        builder.close()
        builder._join_text()
    return builder.root


def _link_target(href):
    """What of a link's address is worth showing in text: web and mail addresses only."""
    href = href.strip()
    scheme = re.sub(r"\s+", "", href.split(":", 1)[0]).lower() if ":" in href else ""
    if scheme == "mailto":
        return href.split(":", 1)[1].split("?", 1)[0].strip()
    if scheme in ("http", "https"):
        return href
    return ""


def _same_address(a, b):
    def norm(value):
        value = value.strip().lower()
        value = re.sub(r"^(?:mailto:|https?://)", "", value)
        return re.sub(r"^www\.", "", value).rstrip("/")

    return norm(a) == norm(b)


class _TextWriter:
    """Lays out the text of a tree: lines, paragraphs, list items and ``> `` quotes."""

    def __init__(self):
        self.lines = []
        self.words = []  # pieces of the current line
        self.line_prefix = None  # the quote prefix of the current line, once something is on it
        self.prefix = ""  # "> " per open blockquote
        self.fresh = True  # nothing but maybe a list bullet on the current line
        self.space = False  # a space is due before the next word
        self.pre = 0
        self.pre_start = False
        self.lists = 0

    # Lines ------------------------------------------------------------------------------------------------

    def end_line(self):
        prefix = self.prefix if self.line_prefix is None else self.line_prefix
        self.lines.append(prefix + "".join(self.words))
        self.words, self.line_prefix, self.fresh, self.space = [], None, True, False

    def newline(self):
        """Start a new line unless at the start of one (a lone list bullet stays on its line)."""
        if self.words and not self.fresh:
            self.end_line()

    def blank(self):
        """Leave one blank line before what comes next."""
        self.newline()
        if self.words:
            return
        if self.lines and self.lines[-1].replace(">", "").strip():
            self.lines.append(self.prefix)

    def word(self, text):
        if self.line_prefix is None:
            self.line_prefix = self.prefix
        if self.space and not self.fresh:
            self.words.append(" ")
        self.words.append(text)
        self.fresh = self.space = False

    def text(self, data):
        if self.pre:
            if self.pre_start and data.startswith("\n"):
                data = data[1:]  # as browsers do, the newline right after <pre> is not shown
            self.pre_start = False
            for index, part in enumerate(data.split("\n")):
                if index:
                    self.end_line()
                if part:
                    self.word(part)
            return
        collapsed = _HTML_SPACE.sub(" ", data)
        body = collapsed.strip(" ")
        if collapsed.startswith(" "):
            self.space = True
        if body:
            self.word(body)
            self.space = collapsed.endswith(" ")

    # Elements ---------------------------------------------------------------------------------------------

    def render(self, element):
        for child in element.children:
            if isinstance(child, Text):
                self.text(child.data)
            elif child.tag not in DROPPED_TAGS:
                self.element(child)

    def element(self, element):
        tag = element.tag
        if tag == "br":
            self.end_line()
        elif tag == "a":
            self.render(element)
            label = " ".join(element.text().split())
            target = _link_target(element.attrs.get("href", ""))
            if label and target and not _same_address(label, target):
                self.space = True
                self.word(f"({target})")
        elif tag == "blockquote":
            self.blank()
            outer = self.prefix
            self.prefix += "> "
            self.render(element)
            self.newline()
            while self.lines and self.lines[-1].rstrip() == self.prefix.rstrip():
                self.lines.pop()  # no blank quoted line at the end of a quote
            self.prefix = outer
            self.blank()
        elif tag in ("ul", "ol"):
            self.newline()
            self.lists += 1
            self.render(element)
            self.lists -= 1
            self.newline()
        elif tag == "li":
            if self.words:
                self.end_line()
            self.line_prefix = self.prefix
            self.words.append("  " * max(self.lists - 1, 0) + "- ")
            self.fresh, self.space = True, False
            self.render(element)
            if self.words:
                self.end_line()
        elif tag == "pre":
            self.newline()
            self.pre += 1
            self.pre_start = True
            self.render(element)
            self.pre -= 1
            self.newline()
        elif tag in ("td", "th"):
            if not self.fresh:
                self.space = True
            self.render(element)
            self.space = True
        elif tag in _PARAGRAPH_TAGS and "MsoNormal" not in element.classes:
            # Outlook writes every line as <p class="MsoNormal"> with no margin: a line, not a paragraph.
            self.blank()
            self.render(element)
            self.blank()
        elif tag in _BLOCK_TAGS or tag in _PARAGRAPH_TAGS:
            self.newline()
            self.render(element)
            self.newline()
        else:
            self.render(element)


def html_to_text(html):
    """HTML from a mail (a string, or a tree from ``parse_html``) as plain text, never markup.

    ``head``, ``style``, ``script``, ``title`` are dropped with their content; paragraphs, headings and
    quotes are separated by a blank line, ``div``, ``br``, table rows and list items (``- ``) start a line,
    a ``blockquote`` is written as ``> `` lines; entities are decoded; a link keeps its text, followed by
    its web or mail address in parentheses when that differs from the text. Blank lines are collapsed to
    one, trailing spaces stripped, and the result goes through ``clean_text``. Text that reads like markup
    because the sender typed it (``&lt;b&gt;``) stays as that text: it is stored and shown as text.
    """
    tree = html if isinstance(html, Element) else parse_html(html)
    writer = _TextWriter()
    with gc_paused():
        writer.render(tree)
    if writer.words:
        writer.end_line()
    lines = []
    for line in writer.lines:
        line = line.replace("\xa0", " ").replace("\ufeff", "").rstrip()  # a stray byte order mark is no text
        blank = not line.replace(">", "").strip()
        if blank and (not lines or lines[-1] == "" or not lines[-1].replace(">", "").strip()):
            continue
        lines.append("" if blank and not line.startswith(">") else line)
    while lines and not lines[-1].replace(">", "").strip():
        lines.pop()
    return clean_text("\n".join(lines))
