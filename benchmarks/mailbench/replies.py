"""The reply cutter measured on the corpus of ``tests/reply_corpus/``, next to libraries, and timed.

Every case (``tests/reply_corpus/README.md`` says how one is written) goes through ``reply_text`` as the
inbound handler calls it, and its output is judged:

- **exact**: the output is ``expected``, character for character;
- **acceptable**: every non-blank line of ``expected`` is in the output, in order, and none of the case's
  ``quoted`` lines (distinctive lines of the history it replies to) is left, quoted or not;
- **wrong**: anything else;
- **lost**: a non-blank line of ``expected`` is missing from the output: the sender's own words are gone.
  Counted among the wrong ones, and must be 0.

The libraries (``mail-parser-reply``, ``email-reply-parser``, ``talon``) are measured the same way when they
can be imported: each gets the ESP's stripped text, else the text part, else the HTML part made text by our
``inbound.html.html_to_text``, and its output is tidied as ours is (trailing spaces, runs of blank lines).

``speed_report`` times the cutter on pathological bodies (a long quote, nothing but ``>`` lines, quote
header lookalikes, many short lines, one long line, nested HTML quotes) at growing sizes.
"""

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "reply_corpus"
SECTIONS = ("text", "html", "stripped_text", "expected")
_SECTION = re.compile(r"^\[\[(" + "|".join(SECTIONS) + r")\]\]\n", re.M)
# Characters a hand-written case cannot show plainly.
ESCAPES = {"{nbsp}": "\xa0", "{tab}": "\t", "{zwsp}": "\u200b", "{sp}": " "}
VERDICTS = ("exact", "acceptable", "wrong")
MIN_OK = 0.95


# The corpus -----------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # its path in the corpus, without the suffix: "gmail-web/fr-1"
    client: str
    language: str
    expected: str
    text: str = None
    html: str = None
    stripped_text: str = None
    quoted: list = field(default_factory=list)
    note: str = ""
    batch: str = ""  # "after the rules": written after the rules were, to see how they do on cases new to them

    @property
    def kind(self):
        """"html" when the cutter reads the HTML part (there is no text to read first), else "text"."""
        return "html" if self.html and not (self.text or self.stripped_text) else "text"

    def library_input(self):
        """What a library is given: the stripped text, else the text, else the HTML made text by ours."""
        if self.stripped_text:
            return self.stripped_text
        if self.text and self.text.strip():
            return self.text
        from wagtail_support.inbound.html import html_to_text  # the libraries read text only

        return html_to_text(self.html or "")


def _unescape(value):
    for escape, character in ESCAPES.items():
        value = value.replace(escape, character)
    return value


def parse_case(source, name):
    """A case from its file: ``key: value`` lines, then ``[[section]]`` lines each followed by its text."""
    parts = _SECTION.split(source)
    meta = {"quoted": []}
    for line in parts[0].splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{name}: not a 'key: value' line: {line!r}")
        key, value = key.strip(), _unescape(value.strip())
        if key == "quoted":
            meta["quoted"].append(value)
        else:
            meta[key] = value
    sections = {}
    for section, body in zip(parts[1::2], parts[2::2]):
        if section in sections:
            raise ValueError(f"{name}: two [[{section}]] sections")
        body = _unescape(body[:-1] if body.endswith("\n") else body)
        if meta.get("line-ends") == "crlf" and section != "expected":
            body = body.replace("\n", "\r\n")
        sections[section] = body
    if "expected" not in sections or not ({"text", "html", "stripped_text"} & sections.keys()):
        raise ValueError(f"{name}: a case needs [[expected]] and at least one of [[text]], [[html]], [[stripped_text]]")
    client, _, stem = name.partition("/")
    return Case(
        name=name,
        client=meta.get("client", client),
        language=meta.get("language", stem.rsplit("-", 1)[0]),
        expected=sections["expected"],
        text=sections.get("text"),
        html=sections.get("html"),
        stripped_text=sections.get("stripped_text"),
        quoted=meta["quoted"],
        note=meta.get("note", ""),
        batch=meta.get("batch", ""),
    )


def load_corpus(folder=CORPUS):
    """Every case of the corpus, in name order."""
    cases = []
    for path in sorted(folder.glob("*/*.txt")):
        name = path.relative_to(folder).with_suffix("").as_posix()
        cases.append(parse_case(path.read_text(encoding="utf-8"), name))
    return cases


# Judging --------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    verdict: str  # "exact", "acceptable" or "wrong"
    lost: list  # lines of expected missing from the output
    left: list  # quoted lines found in the output
    output: str
    seconds: float = 0.0

    @property
    def ok(self):
        return self.verdict != "wrong"


def tidy(text):
    """A library's output tidied as ``reply_text`` tidies its own."""
    text = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def judge(case, output):
    lines = [line.rstrip() for line in output.split("\n")]
    wanted = [line.rstrip() for line in case.expected.split("\n") if line.strip()]
    present = set(lines)
    lost = [line for line in wanted if line not in present]
    remaining = iter(lines)
    in_order = all(any(line == candidate for candidate in remaining) for line in wanted)
    unquoted = [re.sub(r"^[>\s]+", "", line) for line in lines]
    left = [quote for quote in case.quoted if any(quote in line for line in unquoted)]
    if output == case.expected:
        verdict = "exact"
    elif in_order and not left:
        verdict = "acceptable"
    else:
        verdict = "wrong"
    return Verdict(verdict, lost, left, output)


def ours(case):
    from wagtail_support.inbound.replies import reply_text  # Django is set up by the caller

    return reply_text(stripped_text=case.stripped_text, text=case.text, html=case.html)


def libraries():
    """{name: cut(case)} for each reply-parsing library that can be imported here."""
    found = {}
    try:
        from mailparser_reply import EmailReplyParser as MailParserReply
        from mailparser_reply.constants import MAIL_LANGUAGES

        # A helpdesk does not know the language of a reply beforehand: every language the library has.
        parser = MailParserReply(languages=list(MAIL_LANGUAGES))
        found["mail-parser-reply"] = lambda case: tidy(parser.parse_reply(case.library_input()) or "")
    except ImportError:
        pass
    try:
        from email_reply_parser import EmailReplyParser

        found["email-reply-parser"] = lambda case: tidy(EmailReplyParser.parse_reply(case.library_input()))
    except ImportError:
        pass
    try:
        from talon import quotations

        def talon_cut(case):
            if case.kind == "html":
                from wagtail_support.inbound.html import html_to_text  # the libraries read text only

                return tidy(html_to_text(quotations.extract_from_html(case.html)))
            return tidy(quotations.extract_from_plain(case.library_input()))

        found["talon"] = talon_cut
    except ImportError:
        pass
    return found


def run(cases, cut=ours, runs=3):
    """{case name: Verdict}; each case cut ``runs`` times, its best time kept."""
    results = {}
    for case in cases:
        best = None
        for _ in range(runs):
            start = time.perf_counter()
            output = cut(case)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        verdict = judge(case, output)
        verdict.seconds = best
        results[case.name] = verdict
    return results


def totals(results, names=None):
    names = list(results) if names is None else names
    counts = {verdict: 0 for verdict in VERDICTS}
    lost = 0
    for name in names:
        counts[results[name].verdict] += 1
        lost += bool(results[name].lost)
    count = len(names)
    ok = counts["exact"] + counts["acceptable"]
    return {"cases": count, **counts, "lost": lost, "ok": ok, "ok_ratio": ok / count if count else 0.0}


# Speed ----------------------------------------------------------------------------------------------------

SPEED_SIZES = (100_000, 1_000_000, 2_000_000)


def _repeat(unit, size):
    return unit * max(1, size // len(unit))


def pathological(kind, size):
    """A body of about ``size`` characters, as keyword arguments of ``reply_text``."""
    reply = "Hello,\n\nthe printer works again, thank you.\n\nRita\n\n"
    header = "On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> wrote:\n\n"
    if kind == "long quote":
        quote = "> Could you tell us which model the printer is, and on which floor it stands?\n"
        return {"text": reply + header + _repeat(quote, size)}
    if kind == "long quote, HTML":
        quote = "<div>Could you tell us which model the printer is, and on which floor it stands?</div>\n"
        return {
            "html": '<div dir="ltr">The printer works again.</div><div class="gmail_quote"><div class="gmail_attr">'
            "On Tue, Mar 12, 2024 at 10:15 AM Helpdesk wrote:</div><blockquote class=\"gmail_quote\">"
            + _repeat(quote, size)
            + "</blockquote></div>"
        }
    if kind == "only > lines":
        return {"text": _repeat("> > quoted text of a quoted mail, and more of it\n>\n", size)}
    if kind == "header lookalikes":
        units = (
            "On Tue, Mar 12, 2024 at 10:15 AM Helpdesk <support@example.com> said\n"
            "Le 12/03/2024 à 10:15, Jean <jean@example.fr> a\n"
            "2024-03-12 10:15 GMT+01:00 Helpdesk <support@example.com>\n"
            "From: Helpdesk <support@example.com> wrote on 12.03.2024\n"
        )
        return {"text": _repeat(units, size)}
    if kind == "short lines":
        return {"text": _repeat("ok\nyes\n\n> a\n", size)}
    if kind == "one long line":
        return {"text": _repeat("On 12.03.2024 10:15 ##- x@example.com wrote: > -- ", size)}
    if kind == "nested quotes, HTML":
        unit = '<blockquote type="cite"><div>quoted line</div>'
        count = max(1, size // (len(unit) + len("</blockquote>")))
        return {"html": "<div>My answer.</div>" + unit * count + "</blockquote>" * count}
    raise ValueError(kind)


SPEED_KINDS = (
    "long quote", "long quote, HTML", "only > lines", "header lookalikes", "short lines", "one long line",
    "nested quotes, HTML",
)  # fmt: skip


def time_cut(body, runs=3, clock=time.perf_counter):
    """The best of ``runs`` times ``reply_text`` takes on ``body``, in seconds. ``clock``: the wall clock by
    default; ``time.process_time`` counts only this process's CPU time, which other processes sharing the
    machine do not inflate (the test suite's growth check uses it)."""
    from wagtail_support.inbound.replies import reply_text  # Django is set up by the caller

    best = None
    for _ in range(runs):
        start = clock()
        reply_text(**body)
        elapsed = clock() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def speed(sizes=SPEED_SIZES, runs=3):
    """{kind: {size: seconds}}."""
    return {kind: {size: time_cut(pathological(kind, size), runs) for size in sizes} for kind in SPEED_KINDS}


def _size_label(size):
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size / 1000:g} KB"


def speed_report(sizes=SPEED_SIZES, runs=3):
    figures = speed(sizes, runs)
    head = f"{'body':<22}" + "".join(f"{_size_label(size):>11}" for size in sizes) + f"{'growth':>9}"
    lines = [
        f"Speed: reply_text on pathological bodies (best of {runs}, ms; growth = the largest size over the one"
        " before)",
        head,
        "-" * len(head),
    ]
    for kind, by_size in figures.items():
        growth = by_size[sizes[-1]] / by_size[sizes[-2]] if len(sizes) > 1 and by_size[sizes[-2]] else 0.0
        lines.append(
            f"{kind:<22}" + "".join(f"{by_size[size] * 1000:>11.1f}" for size in sizes) + f"{growth:>8.2f}×"
        )
    return lines, figures


# The report -----------------------------------------------------------------------------------------------


def _percent(value):
    return f"{value * 100:.1f}%"


def _table(title, groups, results, library_results):
    names = list(library_results)
    head = f"{title:<18}{'cases':>6}{'exact':>7}{'accept':>8}{'wrong':>7}{'lost':>6}{'ok':>8}"
    head += "".join(f"{name[:18]:>20}" for name in names)
    lines = [head, "-" * len(head)]
    for group, members in groups:
        figures = totals(results, members)
        row = (
            f"{group:<18}{figures['cases']:>6}{figures['exact']:>7}{figures['acceptable']:>8}"
            f"{figures['wrong']:>7}{figures['lost']:>6}{_percent(figures['ok_ratio']):>8}"
        )
        row += "".join(f"{_percent(totals(library_results[name], members)['ok_ratio']):>20}" for name in names)
        lines.append(row)
    return lines


def report(slowest=10, with_libraries=True, with_speed=True, sizes=SPEED_SIZES, cases=None):
    """(lines to print, figures) of the reply cutter on the corpus, the libraries and the speed section."""
    cases = load_corpus() if cases is None else cases
    results = run(cases)
    library_results = {}
    if with_libraries:
        library_results = {name: run(cases, cut, runs=1) for name, cut in libraries().items()}
    by_client, by_language = {}, {}
    for case in cases:
        by_client.setdefault(case.client, []).append(case.name)
        by_language.setdefault(case.language, []).append(case.name)
    html = [case.name for case in cases if case.kind == "html"]
    text = [case.name for case in cases if case.kind == "text"]
    overall = totals(results)
    lines = [
        f"Replies: reply_text on {len(cases)} cases of tests/reply_corpus/ ({len(text)} text, {len(html)} HTML), "
        f"{len(by_client)} mail programs, {len(by_language)} languages",
        "ok = exact + acceptable; lost = the sender's own words missing from the output (must be 0)",
        "",
    ]
    lines += _table("mail program", sorted(by_client.items()), results, library_results)
    lines.append("")
    lines += _table("language", sorted(by_language.items()), results, library_results)
    lines.append("")
    lines += _table("part", [("text", text), ("HTML", html), ("all", list(results))], results, library_results)
    lines.append("")
    verdict_line = (
        f"Total: {overall['ok']}/{overall['cases']} ok ({_percent(overall['ok_ratio'])}): {overall['exact']} exact, "
        f"{overall['acceptable']} acceptable, {overall['wrong']} wrong, {overall['lost']} with lost words"
    )
    lines.append(verdict_line)
    later = [case.name for case in cases if case.batch == "after the rules"]
    if later:
        figures_later = totals(results, later)
        lines.append(
            f"  of which written after the rules: {figures_later['ok']}/{figures_later['cases']} ok, "
            f"{figures_later['lost']} with lost words (see tests/reply_corpus/README.md)"
        )
    figures = {"replies": overall, "libraries": {}}
    ranking = [("ours (reply_text)", overall["ok_ratio"], overall["lost"])]
    for name, lib_results in library_results.items():
        lib = totals(lib_results)
        figures["libraries"][name] = lib
        ranking.append((name, lib["ok_ratio"], lib["lost"]))
        lines.append(
            f"  {name}: {lib['ok']}/{lib['cases']} ok ({_percent(lib['ok_ratio'])}): {lib['exact']} exact, "
            f"{lib['acceptable']} acceptable, {lib['wrong']} wrong, {lib['lost']} with lost words"
        )
    if len(ranking) > 1:
        best = max(ranking, key=lambda entry: (entry[1], -entry[2]))
        lines.append(f"  best on this corpus: {best[0]}")
    wrong = [name for name, verdict in results.items() if not verdict.ok]
    lost = [name for name, verdict in results.items() if verdict.lost]
    lines.append(f"Wrong ({len(wrong)}): {', '.join(wrong) if wrong else 'none'}")
    lines.append(f"Lost words ({len(lost)}): {', '.join(lost) if lost else 'none'}")
    lines.append("")
    lines.append("Slowest cases (best of 3, ms): " + ", ".join(
        f"{name} {verdict.seconds * 1000:.2f}"
        for name, verdict in sorted(results.items(), key=lambda item: -item[1].seconds)[:slowest]
    ))  # fmt: skip
    if with_speed:
        lines.append("")
        speed_lines, figures["speed"] = speed_report(sizes)
        lines += speed_lines
    return lines, figures
