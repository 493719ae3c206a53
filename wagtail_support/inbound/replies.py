"""The new part of an inbound mail: what the person wrote, without the history they replied to.

A reply by mail becomes a ticket message, which is plain text. ``reply_text`` is what the inbound handler
calls; it takes the ESP's own stripped text when there is one, else the plain text part
(``extract_reply``), else the HTML part (``extract_reply_html``).

Rules for plain text (``extract_reply``), applied from the top; the first line that matches ends the reply:

- the reply marker, the first line of every mail we send (``##-`` ... ``-##``, whatever the language);
- a quote header: ``On <date>, <name> wrote:``, ``Le <date>, <nom> a écrit :``, ``Am ... schrieb ...:``,
  ``El ... escribió:``, also when the mail program wrapped it over two or three lines; it must hold a
  time, a year or an address, so that a sentence starting with "On" is not taken for one;
- ``-----Original Message-----`` and its French, German, Spanish and Zimbra forms
  (``-----Message d'origine-----``, ``-----Ursprüngliche Nachricht-----``, ``----- Mail original -----``);
- an Outlook header block: a ``From:``/``De :``/``Von:`` line with a ``Sent:``/``Envoyé :``/``Date:``/
  ``Gesendet:`` line within the next four lines; a ``____`` line followed by a ``From:``/``De :`` line;
  Orange's ``Message du <date>`` followed by ``De :``;
- ``Begin forwarded message:``, ``---------- Forwarded message ---------`` (and their French and German
  forms), but only below some text of the sender's own: a mail that is nothing but a forward keeps the
  forwarded mail whole, as the agent needs it;
- a signature delimiter, ``-- `` (or a bare ``--``).

Lines quoted with ``>`` are never cut points themselves. A quote header, or a quoted reply marker, followed
by a ``>`` block and then by more of the sender's text is an answer written between the quoted lines (or
below them): it is kept, quotes and all; only the quoted marker line (and blank quoted lines below it) is
dropped. Then, from the end, blocks of ``>`` lines and phone footers ("Sent from my iPhone", "Envoyé de
mon iPhone", "Get Outlook for iOS", "Von meinem iPhone gesendet"...) are taken off. Line ends become
``\\n``, trailing spaces go, runs of blank lines become one. When nothing is left, the whole text (so
tidied) is returned instead: better an agent reads too much than a reply is lost.

HTML (``extract_reply_html``) first loses what the mail programs mark as history: Outlook's
``div#appendonsend``, ``div#divRplyFwdMsg``, its grey-bordered "From:/Sent:" ``div``, Zimbra's
``hr#zwchr``, and the reply marker (outside a ``blockquote``), each with everything after it; Gmail's
signature, Thunderbird's and Proton's signatures, Thunderbird's "wrote:" line, Yahoo's quote; and the
quotes of Gmail (``div.gmail_quote``, ``div.gmail_extra``), Apple Mail and Thunderbird
(``blockquote[type=cite]``) and Proton (``blockquote.protonmail_quote``), unless some of the sender's text
comes after them, inside or below (an interleaved answer), in which case they stay and become ``>`` lines.
What is left goes through ``html.html_to_text`` and ``extract_reply``. When that leaves nothing (a
forward, a reply with no text of its own), the whole HTML goes through the text rules instead.

Only ``inbound.html`` parses markup; this module walks the tree ``html.parse_html`` gives.
"""

import bisect
import re

from ..sanitize import clean_text
from . import html as mailhtml
from .html import Element, Text

# Our mails start with a line between these ends (see mail/_reply_marker.txt); notifications uses it too.
REPLY_MARKER_PATTERN = r"##-[^\n]*-##"
_MARKER = re.compile(REPLY_MARKER_PATTERN)
# In HTML the marker may be wrapped over two source lines.
_HTML_MARKER = re.compile(r"##-.{0,300}?-##", re.S)

# A quote header holds a time, a year or an address; "On the phone it wrote:" is not one.
_DATED = r"(?=.*(?:\d{1,2}[:.]\d{2}|\d{4}|@))"
_QUOTE_HEADERS = (
    re.compile(rf"On\s{_DATED}.*\swrote:"),
    re.compile(rf"Le\s{_DATED}.*\sa\s+écrit\s?:"),
    re.compile(rf"Am\s{_DATED}.*\sschrieb\b.*:"),
    re.compile(rf"El\s{_DATED}.*\sescribió:"),
)
_QUOTE_HEADER_START = re.compile(r"(?:On|Le|Am|El)\s")
_MAX_HEADER = 400
_ORIGINAL_MESSAGE = re.compile(
    r"-{2,}\s*(?:Original Message|Message d['’]origine|Ursprüngliche Nachricht|Mail original|Mensaje original)\s*-{2,}",
    re.I,
)
FORWARD_LINE = re.compile(
    r"Begin forwarded message\s?:|Début du message (?:réexpédié|transféré)\s?:|Anfang der weitergeleiteten Nachricht:"
    r"|-{2,}\s*(?:Forwarded message|Message transféré|Weitergeleitete Nachricht|Mensaje reenviado)\s*-{2,}",
    re.I,
)
_FROM = re.compile(r"\*?(?:From|De|Von)\s?:\*?(?:\s.*)?")
_SENT = re.compile(r"\*?(?:Sent|Envoyé|Date|Gesendet|Enviado)\s?:\*?(?:\s.*)?")
_UNDERSCORES = re.compile(r"_{10,}")
_ORANGE_HEADER = re.compile(r"Message du \d{1,2}/\d{1,2}/\d{2,4} \d{1,2}:\d{2}")
_FOOTER = re.compile(
    r"(?:Sent from my (?:iPhone|iPad|iPod|Android|Samsung|Galaxy|BlackBerry|Huawei|Pixel|(?:mobile |smart)?phone"
    r"|mobile(?: device)?)\b.{0,40}"
    r"|Sent from (?:Mail|Outlook) for Windows(?: 1[01])?"
    r"|Sent from Yahoo Mail (?:for|on) (?:iPhone|iPad|Android)"
    r"|Get Outlook for (?:iOS|Android)"
    r"|Envoyé de mon (?:iPhone|iPad|iPod|Android|smartphone|mobile|téléphone|appareil)\b.{0,40}"
    r"|Envoyé depuis (?:mon|ma|l['’]application) .{1,60}"
    r"|Obtenir Outlook pour (?:iOS|Android)"
    r"|Von meinem .{1,40} gesendet)[.!]?"
    r"(?:\s*\(https?://\S+\))?",  # "Get Outlook for iOS (https://aka.ms/o0ukef)", from HTML
    re.I,
)


# Plain text -----------------------------------------------------------------------------------------------


def _lines(text):
    return [line.rstrip() for line in clean_text(text).split("\n")]


def _plain(line):
    return line.replace("\xa0", " ").strip()


def _quoted(line):
    return line.startswith(">")


def _tidy(lines):
    """Lines joined, runs of blank lines made one, blank lines at either end left out."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n").strip()


def _quote_header_length(lines, index):
    """How many lines (1 to 3) the quote header starting at ``index`` takes; 0 when there is none."""
    if not _QUOTE_HEADER_START.match(_plain(lines[index])):
        return 0
    joined = ""
    for length, line in enumerate(lines[index : index + 3], start=1):
        if not line.strip() or _quoted(line):
            return 0
        joined = f"{joined} {_plain(line)}".strip()
        if len(joined) > _MAX_HEADER:
            return 0
        if any(header.fullmatch(joined) for header in _QUOTE_HEADERS):
            return length
    return 0


def _header_block(lines, index):
    """An Outlook "From: / Sent: / To: / Subject:" block (or Orange's "Message du") starts at ``index``."""
    plain = _plain(lines[index])
    if _ORANGE_HEADER.fullmatch(plain):
        return index + 1 < len(lines) and bool(_FROM.fullmatch(_plain(lines[index + 1])))
    if not _FROM.fullmatch(plain):
        return False
    return any(_SENT.fullmatch(_plain(line)) for line in lines[index + 1 : index + 5])


def _separator(lines, index):
    """Outlook's ``____`` line, followed (blank lines aside) by a ``From:``/``De :`` line."""
    if not _UNDERSCORES.fullmatch(_plain(lines[index])):
        return False
    following = [_plain(line) for line in lines[index + 1 : index + 4] if line.strip()]
    return bool(following) and bool(_FROM.fullmatch(following[0]))


def _boundary(lines, index):
    """Whether the (unquoted) line at ``index`` starts history or a signature."""
    plain = _plain(lines[index])
    return (
        plain == "--"
        or bool(_ORIGINAL_MESSAGE.fullmatch(plain))
        or bool(FORWARD_LINE.fullmatch(plain))
        or _header_block(lines, index)
        or _separator(lines, index)
        or _quote_header_length(lines, index) > 0
        or bool(_MARKER.search(lines[index]))
    )


def _next_lines(lines):
    """For each index: the first non-blank line from there, and the first that is neither blank, quoted nor
    a footer (``len(lines)`` when there is none). Worked out once, so that a mail of many quotes is not
    read again for each of them."""
    count = len(lines)
    next_text, next_own = [count] * (count + 1), [count] * (count + 1)
    for index in range(count - 1, -1, -1):
        line = lines[index]
        blank = not line.strip()
        next_text[index] = next_text[index + 1] if blank else index
        own = not (blank or _quoted(line) or _FOOTER.fullmatch(_plain(line)))
        next_own[index] = index if own else next_own[index + 1]
    return next_text, next_own


def _answer_follows_quote(lines, index, next_lines):
    """From ``index`` (blank lines aside) comes a ``>`` block, then more of the sender's own text."""
    next_text, next_own = next_lines
    index = next_text[min(index, len(lines))]
    if index == len(lines) or not _quoted(lines[index]):
        return False
    position = next_own[index]
    return position < len(lines) and not _boundary(lines, position)


def _own_text(lines):
    """Some text of the sender's own in ``lines``: not blank, not a footer, above any signature."""
    for line in lines:
        plain = _plain(line)
        if plain == "--":
            return False
        if plain and not _FOOTER.fullmatch(plain):
            return True
    return False


def _scan(lines):
    """(where the reply ends, lines to leave out, whether the rest is a forward to keep whole)."""
    dropped = set()
    next_lines = _next_lines(lines)
    for index, line in enumerate(lines):
        if _MARKER.search(line):
            if _quoted(line) and _answer_follows_quote(lines, index, next_lines):
                dropped.add(index)
                # and the blank quoted lines right below it
                following = index + 1
                while following < len(lines) and lines[following].strip() == ">":
                    dropped.add(following)
                    following += 1
                continue
            return index, dropped, False
        if _quoted(line) or not line.strip():
            continue
        if FORWARD_LINE.fullmatch(_plain(line)):
            return index, dropped, not _own_text(lines[:index])
        header = _quote_header_length(lines, index)
        if header:
            if _answer_follows_quote(lines, index + header, next_lines):
                continue
            return index, dropped, False
        if _boundary(lines, index):
            return index, dropped, False
    return len(lines), dropped, False


def _drop_trailing(lines):
    """Take trailing blank lines, ``>`` blocks and phone footers off the end."""
    lines = list(lines)
    while lines:
        last = lines[-1]
        if not last.strip() or _quoted(last) or _FOOTER.fullmatch(_plain(last)):
            lines.pop()
        else:
            break
    return lines


def extract_reply(text):
    """The reply in a plain-text mail body, without quoted history, signature and phone footers."""
    lines = _lines(text)
    end, dropped, forward = _scan(lines)
    if forward:
        reply = _tidy(lines[end:])
    else:
        reply = _tidy(_drop_trailing(line for index, line in enumerate(lines[:end]) if index not in dropped))
    return reply or _tidy(lines)


# HTML -----------------------------------------------------------------------------------------------------

# Outlook's "From: / Sent:" block, under a thin grey line (blue-grey in older versions).
_OUTLOOK_HEADER_STYLE = re.compile(
    r"border-top\s*:\s*(?:solid\s+(?:#e1e1e1|#b5c4df)"
    r"|1(?:\.0)?pt\s+solid\s+(?:#e1e1e1|#b5c4df|rgb\(\s*225,\s*225,\s*225\s*\)))"
)
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
# Removed wherever they are: signatures, "wrote:" lines, Yahoo's quote (which is not a blockquote).
_ALWAYS_REMOVED_CLASSES = frozenset(
    {"gmail_signature", "gmail_signature_prefix", "moz-cite-prefix", "moz-signature", "protonmail_signature_block",
     "yahoo_quoted"}
)  # fmt: skip


def _history_start(element):
    """An element that starts quoted history: it and everything after it go."""
    element_id = element.attrs.get("id", "").lower()
    if element_id in ("appendonsend", "divrplyfwdmsg"):
        return True
    if element.tag == "hr" and element_id == "zwchr":
        return True
    return element.tag == "div" and bool(_OUTLOOK_HEADER_STYLE.search(element.attrs.get("style", "").lower()))


def _quote(element):
    """An element holding a quote, removed unless the sender wrote after (or inside) it."""
    classes = element.classes
    if element.tag == "div":
        return bool(classes & {"gmail_quote", "gmail_extra"})
    if element.tag == "blockquote":
        return element.attrs.get("type", "").lower() == "cite" or bool(classes & {"gmail_quote", "protonmail_quote"})
    return False


def _walk(root):
    """(node, inside a blockquote) for every node in document order, dropped elements skipped."""
    stack = [(root, False)]
    while stack:
        node, quoted = stack.pop()
        yield node, quoted
        if isinstance(node, Element) and node.tag not in mailhtml.DROPPED_TAGS:
            quoted = quoted or node.tag == "blockquote"
            stack.extend((child, quoted) for child in reversed(node.children))


def _index(node):
    return node.parent.children.index(node)  # nodes have no __eq__: this finds the node itself


def _detach(node):
    del node.parent.children[_index(node)]


def _cut_after(node):
    """Remove everything after ``node`` in the document."""
    while node.parent is not None:
        del node.parent.children[_index(node) + 1 :]
        node = node.parent


def _cut_history(root):
    """Remove the first element that starts history, or the reply marker, and everything after it."""
    for node, quoted in _walk(root):
        if isinstance(node, Element):
            if _history_start(node):
                _cut_after(node)
                _detach(node)
                return
        elif not quoted:
            # A marker inside a blockquote is left to extract_reply, which knows an interleaved answer.
            match = _HTML_MARKER.search(node.data)
            if match:
                node.data = node.data[: match.start()]
                _cut_after(node)
                return


def _drop_always_removed(root):
    stack = [root]
    while stack:
        element = stack.pop()
        element.children = [
            child
            for child in element.children
            if isinstance(child, Text) or not child.classes & _ALWAYS_REMOVED_CLASSES
        ]
        stack.extend(child for child in element.children if isinstance(child, Element))


def _visible(text):
    return bool(_INVISIBLE.sub("", text))


def _written_inside(container):
    """Text in a quote container (Gmail's ``div``) outside its blockquotes and its "wrote:" line."""
    stack = list(container.children)
    while stack:
        node = stack.pop()
        if isinstance(node, Text):
            if _visible(node.data):
                return True
        elif node.tag not in mailhtml.DROPPED_TAGS and node.tag != "blockquote":
            if "gmail_attr" not in node.classes:  # Gmail's "wrote:" line
                stack.extend(node.children)
    return False


def _remove_quotes(root):
    """Remove each quote the sender wrote nothing after (nor inside, for a container).

    Every node gets its place in document order, and each element the place of its last descendant; a
    quote has text after it when some visible text that is still there has a later place. Quotes are seen
    from the last to the first, so that removing one counts for those before it.
    """
    place, last, visible, quotes = {}, {}, [], []
    stack = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            last[id(node)] = len(place) - 1
            continue
        place[id(node)] = len(place)
        if isinstance(node, Text):
            if _visible(node.data):
                visible.append(place[id(node)])
        elif node.tag not in mailhtml.DROPPED_TAGS:
            if _quote(node):
                quotes.append(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    for quote in reversed(quotes):
        after = bisect.bisect_right(visible, last[id(quote)])
        if after < len(visible) or (quote.tag != "blockquote" and _written_inside(quote)):
            continue  # an answer after or inside it: it stays, as "> " lines
        _detach(quote)
        del visible[bisect.bisect_left(visible, place[id(quote)]) : after]


def _remove_history(root):
    _cut_history(root)
    _drop_always_removed(root)
    _remove_quotes(root)


def extract_reply_html(html):
    """The reply in an HTML mail body, as plain text: quoted history, signature and phone footers left out."""
    tree = mailhtml.parse_html(html)
    _remove_history(tree)
    text = mailhtml.html_to_text(tree)
    reply = extract_reply(text) if text else ""
    if reply:
        return reply
    text = mailhtml.html_to_text(html)
    return extract_reply(text) if text else ""


# The inbound handler's entry point ------------------------------------------------------------------------


def reply_text(stripped_text=None, text=None, html=None):
    """What to store of an inbound mail: the ESP's stripped text, else the text part, else the HTML part.

    ``stripped_text`` is Anymail's ``message.stripped_text`` (Mailgun, Postmark: the ESP already took the
    quotes off); it is still cut at the reply marker. Each source is tried in turn while the previous one
    gives nothing; "" only when the mail has no text at all.
    """
    if stripped_text:
        lines = _lines(stripped_text)
        end = next((i for i, line in enumerate(lines) if _MARKER.search(line)), len(lines))
        reply = _tidy(lines[:end])
        if reply:
            return reply
    if text and text.strip():
        reply = extract_reply(text)
        if reply:
            return reply
    if html:
        return extract_reply_html(html)
    return ""
