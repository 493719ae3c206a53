"""Attacks on the sanitiser (invariant 4 of docs/architecture.md): nothing a user typed or mailed becomes live markup."""

import re

import pytest
from django.utils.safestring import SafeString, mark_safe

from wagtail_support.sanitize import clean_filename, clean_text, render_text

pytestmark = pytest.mark.django_db


def _hrefs(html):
    return re.findall(r'href="([^"]*)"', str(html))


# render_text ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "<script>alert(document.cookie)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        "<svg/onload=alert(1)>",
        "</p><script>alert(1)</script><p>",
        "<iframe src=//evil.example></iframe>",
    ],
)
def test_render_text_escapes_markup(typed):
    html = render_text(typed)
    assert isinstance(html, SafeString)
    assert "<script" not in html
    assert "<img" not in html
    assert "<svg" not in html
    assert "<iframe" not in html
    assert "<a " not in html  # nothing here is an http link
    assert "&lt;" in html
    # What the person typed is still readable once the browser decodes it.
    assert html.count("<p>") == 1


def test_render_text_shows_the_script_as_text():
    assert render_text("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_render_text_escapes_even_text_marked_safe():
    # A caller that marked visitor text safe by mistake still gets it escaped.
    assert "<b>" not in render_text(mark_safe("<b>bold</b>"))


def test_render_text_keeps_line_breaks_and_paragraphs():
    html = render_text("Hello,\nmy printer is broken.\r\nIt smokes.\n\n\nThanks\nRita")
    assert html == "<p>Hello,<br>my printer is broken.<br>It smokes.</p>\n<p>Thanks<br>Rita</p>"


def test_render_text_of_nothing_is_empty():
    assert render_text("") == ""
    assert render_text(None) == ""
    assert render_text("  \n\n \x00 ") == ""


@pytest.mark.parametrize("url", ["http://example.com/help", "https://example.com/a?b=1&c=2#top", "www.example.org/faq"])
def test_render_text_linkifies_web_links_with_nofollow(url):
    html = render_text(f"See {url} for details")
    assert html.count("<a ") == 1
    assert 'rel="nofollow noopener noreferrer"' in html
    (href,) = _hrefs(html)
    assert href.startswith(("http://", "https://"))
    assert href.replace("&amp;", "&").endswith(url.split("//")[-1])


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.domain)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "java\tscript:alert(1)",
    ],
)
def test_render_text_never_links_script_urls(text):
    html = render_text(f"click {text}")
    assert "<a " not in html
    assert not any(h.lower().startswith(("javascript", "data", "vbscript")) for h in _hrefs(html))


@pytest.mark.parametrize(
    "text",
    [
        'http://example.com/"onmouseover="alert(1)',
        "http://example.com/'onmouseover='alert(1)",
        'http://example.com/"><script>alert(1)</script>',
        "http://example.com/<img src=x onerror=alert(1)>",
    ],
)
def test_render_text_links_cannot_break_out_of_the_href(text):
    html = render_text(text)
    assert "<script" not in html and "<img" not in html
    # The only tags left are the paragraph and the link, and the link has only href and rel.
    tags = re.findall(r"<(\w+)([^>]*)>", html)
    assert {t for t, _ in tags} <= {"p", "a"}
    for tag, attrs in tags:
        if tag == "a":
            names = re.findall(r'\s([\w-]+)="[^"]*"', attrs)
            assert sorted(names) == ["href", "rel"], attrs
            assert "onmouseover" not in re.sub(r'"[^"]*"', '""', attrs)


def test_render_text_does_not_double_unescape_entities():
    # Someone typing an entity sees the entity, not the character it stands for.
    html = render_text("&lt;script&gt;")
    assert "<script" not in html
    assert "&amp;lt;script&amp;gt;" in html


def test_render_text_drops_control_characters():
    html = render_text("pay\x00 to \x1b[31mevil\x7f account")
    assert "\x00" not in html and "\x1b" not in html and "\x7f" not in html
    assert "pay to [31mevil account" in html


# clean_text -----------------------------------------------------------------------------------------------


def test_clean_text_strips_nul_and_control_characters():
    assert clean_text("a\x00b\x01c\x07d\x08e\x0bf\x0cg\x0eh\x1fi\x7fj") == "abcdefghij"
    assert clean_text("\x1b[2J\x1b[31mred") == "[2J[31mred"


def test_clean_text_keeps_tabs_newlines_and_unicode():
    assert clean_text("col1\tcol2\nnext line — café 日本") == "col1\tcol2\nnext line — café 日本"


def test_clean_text_normalises_line_endings():
    assert clean_text("a\r\nb\rc\n") == "a\nb\nc\n"


def test_clean_text_of_none_and_non_strings():
    assert clean_text(None) == ""
    assert clean_text(42) == "42"


# clean_filename -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("/absolute/path/file.txt", "file.txt"),
        ("C:\\Users\\rita\\Desktop\\scan.png", "scan.png"),
        ("<script>alert(1).png", "_script_alert(1).png"),
        ("<script>alert(1)</script>.png", "script_.png"),  # "/" starts a new path part
        ('a"b\'c;d|e&f$g`h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("file\x00name.txt", "filename.txt"),
        ("line\nbreak\r\n.txt", "line_break_.txt"),
        ("tab\there.txt", "tab_here.txt"),
        ("evil\u202egnp.exe", "evil_gnp.exe"),
        ("zero\u200bwidth.txt", "zero_width.txt"),
        ("..", "attachment"),
        (".", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        ("...", "attachment"),
        (".htaccess", "htaccess"),
        (".bashrc.txt", "bashrc.txt"),
        ("trailing dots...", "trailing dots"),
        ("  spaced  .pdf  ", "spaced  .pdf"),
        ("___", "_"),
        ("résumé 2024 (final).pdf", "résumé 2024 (final).pdf"),
        ("e\u0301te\u0301.txt", "été.txt"),  # decomposed accents are composed
        ("Отчёт.docx", "Отчёт.docx"),
        ("請求書.pdf", "請求書.pdf"),
    ],
)
def test_clean_filename(name, expected):
    assert clean_filename(name) == expected


def test_clean_filename_never_keeps_a_directory_or_a_hidden_name():
    for name in ["a/b/c", "a\\b", "../.ssh/authorized_keys", "x/..", "x/.", "%2e%2e%2fetc", "....//....//etc"]:
        cleaned = clean_filename(name)
        assert cleaned
        assert "/" not in cleaned and "\\" not in cleaned
        assert not cleaned.startswith(".")
        assert cleaned not in {".", ".."}


def test_clean_filename_shortens_long_names_and_keeps_the_extension():
    cleaned = clean_filename("a" * 500 + ".pdf")
    assert cleaned.endswith(".pdf")
    assert 100 <= len(cleaned) < 255
    long_stem = clean_filename("b" * 500)
    assert set(long_stem) == {"b"} and 100 <= len(long_stem) < 255
    # A silly extension does not survive at the expense of the name.
    silly = clean_filename("x." + "y" * 500)
    assert silly.startswith("x")
    assert len(silly) < 255


@pytest.mark.parametrize(
    "name, extension",
    [("請求書" * 100 + ".pdf", ".pdf"), ("Отчёт" * 100 + ".docx", ".docx"), ("한국어" * 100 + ".txt", ".txt")],
)
def test_clean_filename_fits_a_file_system_name(name, extension):
    # File systems limit a name to 255 bytes, whatever the number of letters.
    cleaned = clean_filename(name)
    assert len(cleaned.encode("utf-8")) <= 255
    assert cleaned.endswith(extension)
    assert cleaned[0] == name[0]
    cleaned.encode("utf-8").decode("utf-8")  # no letter cut in half


def test_clean_filename_keeps_scripts_with_combining_marks():
    assert clean_filename("हिंदी.pdf") == "हिंदी.pdf"
    assert clean_filename("สวัสดี.txt") == "สวัสดี.txt"
    assert clean_filename("مُحَمَّد.pdf") == "مُحَمَّد.pdf"


@pytest.mark.parametrize(
    "text",
    [
        "Hello. Thanks for your help!",
        "See example.com or www.Example.FR/page?x=1&y=2",
        "Write to jane.doe@example.org, or http://example.net/a_b",
        "Version 2.5 is out; e.g. the fix is in 3.1.",
        "fichier.pdf joint — voir ünïcode.dé",
        "<script>alert(1)</script> & \"quotes\" 'single'",
        "line one\nline two\n\nnew paragraph with ftp://files.example.com",
        "A tab\there and an IP 192.168.0.1",
    ],
)
def test_text_without_link_candidates_skips_the_linkifier_with_the_same_result(text):
    """The shortcut (no "@", "://" or dot before a letter: no link) must give exactly what bleach gives."""
    from django.utils.html import escape

    from wagtail_support import sanitize

    expected = "\n".join(
        "<p>" + sanitize._linker.linkify(escape(paragraph)).replace("\n", "<br>") + "</p>"
        for paragraph in re.split(r"\n{2,}", sanitize.clean_text(text).strip())
    )
    assert sanitize.render_text(text) == expected
