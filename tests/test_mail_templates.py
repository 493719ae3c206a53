"""What every notification mail says, in text and in HTML, and the reply marker at its top.

Each mail is rendered through ``mail_render._render`` (subject, text body, HTML body), as the sender
does, with the context ``notifications`` builds, about a ticket whose every visitor-typed field holds
markup (``<script>``, ``<b>``): the text version shows it as typed, the HTML version must show it as text
and never run it. The HTML is checked with a strict parser (every element closed, in order) and read as a
person would: the visible text, the hidden preheader left out.
"""

import datetime
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation.template import templatize

from tests import factories
from wagtail_support import access, workflow
from wagtail_support.models import Attachment, Ticket
from wagtail_support.notifications import render as mail_render
from wagtail_support.inbound import replies

pytestmark = pytest.mark.django_db

MAIL_DIR = "wagtail_support/mail/"
MARKER = "##- Please type your reply above this line -##"

NAME = "Rita <b>x</b> Requester"
EMAIL = "rita@example.com"
SUBJECT = 'Cannot log in <b>x</b> & "more"'
DESCRIPTION = "The login page says <script>alert(1)</script> and <b>x</b>.\nSee https://example.org/help\n\nThanks"
BODY = "Did you try again?\n<script>alert(1)</script> <b>x</b>\n\nhttps://example.org/faq?a=1&b=2"
SOLUTION = "We reset <b>x</b> for you.\n<script>alert(1)</script>"
COMMENT = "Too slow <b>x</b>.\n<script>alert(1)</script> https://example.org/why"
FILENAMES = ["report (final).pdf", "<img src=x onerror=alert(1)>.png"]
# A signed link has a query string: its "&" must reach the href intact.
URL = "https://support.example.com/support/tickets/42/?t=abc.def&lang=fr"

TICKET_MAILS = [
    "requester/opened",
    "requester/agent_reply",
    "requester/pending",
    "requester/resolved",
    "requester/abandoned",
    "requester/reopened",
    "agent/opened",
    "agent/requester_reply",
    "agent/assigned",
    # The automation's (support_tick).
    "requester/reminder",
    "requester/second_reminder",
    "requester/closed_no_reply",
    "agent/sla_warning",
    "agent/sla_breach",
    # A bad rating (workflow.rate), with the requester's comment.
    "agent/rated_bad",
]
# The due time the service level mails name.
DUE = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.timezone.utc)
ALL_MAILS = [*TICKET_MAILS, "requester/links"]
# The mails that quote a message and so list its attachments.
WITH_MESSAGE = {"requester/opened", "requester/agent_reply", "agent/opened", "agent/requester_reply"}
# The templates whose output is part of every mail of a given format.
MARKER_INCLUDES = ["_reply_marker.txt", "_reply_marker.html"]


# The mails' contexts ---------------------------------------------------------------------------------------


@pytest.fixture
def mail_ticket(category):
    """A ticket of Rita (no account), whose subject, description and name hold markup."""
    return factories.open_ticket(
        requester_name=NAME, requester_email=EMAIL, subject=SUBJECT, description=DESCRIPTION, category=category
    )


def _attachments():
    # Unsaved: the templates only read the names.
    return [Attachment(filename=name, content_type="application/pdf", size=10) for name in FILENAMES]


def _context(mail_name, ticket, message=None, with_attachments=False):
    """The context ``mail_render._render_ticket_mail`` gives the templates (ticket_url and marker aside)."""
    audience, event = mail_name.split("/")
    return {
        "ticket": ticket,
        "ticket_url": URL,
        "recipient_name": ticket.requester_display if audience == "requester" else "",
        "message": message,
        "attachments": _attachments() if with_attachments else [],
        "event": event,
        "recipient": ticket.requester_email if audience == "requester" else "agent@example.com",
        "link_token": "",
        "can_reply_by_mail": False,
    }


@pytest.fixture
def context_of(mail_ticket, agent, resolution_code):
    """``context_of(name)``: the ticket taken through the workflow to where the mail is sent, and its context."""

    def build(mail_name):
        ticket = mail_ticket
        message = None
        if mail_name.endswith("/opened"):
            message = ticket.messages.get()
        elif mail_name == "requester/agent_reply":
            message = workflow.reply(ticket, by=agent, body=BODY, set_pending=True)
        elif mail_name == "agent/requester_reply":
            rita = workflow.Actor(link_token=access.make_link_token(ticket))
            message = workflow.reply(ticket, by=rita, body=BODY)
        elif mail_name == "requester/pending":
            workflow.set_pending(ticket, by=agent)
        elif mail_name == "requester/resolved":
            workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
        elif mail_name == "requester/abandoned":
            workflow.abandon(ticket, by=agent)
        elif mail_name == "requester/reopened":
            workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
            workflow.reopen(ticket, by=agent)
        elif mail_name == "agent/assigned":
            workflow.assign(ticket, to=agent, by=agent)
        elif mail_name in ("requester/reminder", "requester/second_reminder", "requester/closed_no_reply"):
            workflow.set_pending(ticket, by=agent)
        elif mail_name in ("agent/sla_warning", "agent/sla_breach"):
            Ticket.objects.filter(pk=ticket.pk).update(next_due=DUE)
        elif mail_name == "agent/rated_bad":
            workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
            rita = workflow.Actor(email=EMAIL, trusted_role="requester")
            rating = workflow.rate(ticket, "bad", COMMENT, by=rita, closed_at=ticket.closed_at)
            ticket = Ticket.objects.select_related("team", "resolution_code").get(pk=ticket.pk)
            return {**_context(mail_name, ticket), "rating": rating}
        elif mail_name == "requester/links":
            workflow.set_pending(ticket, by=agent)
            ticket = Ticket.objects.get(pk=ticket.pk)
            second = factories.open_ticket(
                requester_name=NAME, requester_email=EMAIL, subject="Second <i>one</i>", description="More."
            )
            return {"email": EMAIL, "links": [(ticket, URL), (second, "")], "recipient": EMAIL}
        ticket = Ticket.objects.select_related("team", "resolution_code").get(pk=ticket.pk)
        return _context(mail_name, ticket, message, with_attachments=mail_name in WITH_MESSAGE)

    return build


def render(mail_name, context, language="en", **changes):
    return mail_render._render(MAIL_DIR + mail_name, {**context, **changes}, language)


# What the text mails said before the marker, and still say without it ------------------------------------


def _requester_footer(ref, url):
    link = f"\nFollow your ticket and answer us here:\n{url}\n" if url else ""
    number = f"Your ticket number is {ref}. Please quote it in any message about this request."
    return f"{link}\n{number}\n\n-- \nThe support team\n\n\n"


def _agent_footer(url):
    link = f"\nOpen it in the support workspace:\n{url}\n" if url else ""
    return f"{link}\n-- \nThe support team\n\n"


def expected_text(mail_name, ref, url):
    hello = f"Hello {NAME},\n\n"
    requester_line = f"Requester: {NAME} <{EMAIL}>\n"
    return {
        "requester/opened": hello
        + f"We received your request and gave it the number {ref}. "
        + "Our support team will answer you as soon as possible.\n\n"
        + f"Subject: {SUBJECT}\nType: Question\nPriority: Normal\n\n{DESCRIPTION}\n"
        + _requester_footer(ref, url),
        "requester/agent_reply": hello
        + f"Alice Agent of the support team answered your ticket {ref}:\n\n{BODY}\n\n"
        + "We are waiting for your answer to go on with your request.\n"
        + _requester_footer(ref, url),
        "requester/pending": hello
        + f"Your ticket {ref} is waiting for your answer or for more information from you.\n"
        + _requester_footer(ref, url),
        "requester/resolved": hello
        + f"Your ticket {ref} is resolved.\n\nResolution code: Fixed\n\nSolution:\n{SOLUTION}\n\n"
        + "If this does not solve your problem, answer this mail and your ticket will be reopened.\n"
        + _requester_footer(ref, url),
        "requester/abandoned": hello
        + f"Your ticket {ref} was closed with no follow-up.\n\n"
        + "If you still need help, answer this mail and your ticket will be reopened.\n"
        + _requester_footer(ref, url),
        "requester/reopened": hello
        + f"Your ticket {ref} is open again. Our support team will come back to you.\n"
        + _requester_footer(ref, url),
        "agent/opened": f"A new ticket {ref} arrived for team Helpdesk.\n\n"
        + requester_line
        + f"Type: Question\nPriority: Normal\nSubject: {SUBJECT}\n\n{DESCRIPTION}\n"
        + _agent_footer(url),
        "agent/requester_reply": f"{NAME} answered ticket {ref}:\n\n{BODY}\n" + _agent_footer(url),
        "agent/assigned": f"Ticket {ref} is now assigned to you.\n\n"
        + requester_line
        + f"Priority: Normal\nSubject: {SUBJECT}\n"
        + _agent_footer(url),
        "requester/reminder": hello
        + f"We are waiting for your reply about ticket {ref}.\n\n"
        + "If your request is settled, you can close the ticket from its page. "
        + "If not, please answer this mail or add a message on the ticket's page.\n"
        + _requester_footer(ref, url),
        "requester/second_reminder": hello
        + f"We are still waiting for your reply about ticket {ref}.\n\n"
        + "Without an answer from you, the ticket will soon be closed. "
        + "You can answer this mail or add a message on the ticket's page.\n"
        + _requester_footer(ref, url),
        "requester/closed_no_reply": hello
        + f"Your ticket {ref} was closed because we did not receive your reply.\n\n"
        + "If you still need help, answer this mail and your ticket will be reopened.\n"
        + _requester_footer(ref, url),
        "agent/sla_warning": f"Ticket {ref} must be answered by {_due()}: "
        + "its service level target is about to be missed.\n\n"
        + requester_line
        + f"Team: Helpdesk\nAssignee: -\nPriority: Normal\nSubject: {SUBJECT}\n"
        + _agent_footer(url),
        "agent/rated_bad": f"{NAME} rated ticket {ref} bad.\n\nTheir comment:\n{COMMENT}\n\n"
        + requester_line
        + f"Team: Helpdesk\nAssignee: -\nSubject: {SUBJECT}\n"
        + _agent_footer(url),
        "agent/sla_breach": f"Ticket {ref} missed its service level target: it was due by {_due()}.\n\n"
        + requester_line
        + f"Team: Helpdesk\nAssignee: -\nPriority: Normal\nSubject: {SUBJECT}\n"
        + _agent_footer(url),
    }[mail_name]


def _due():
    with translation.override("en"):
        return date_format(timezone.localtime(DUE), "DATETIME_FORMAT")


# Reading HTML ----------------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements a browser would silently take out of an open <p> (closing it): never inside one.
NOT_IN_P = {"p", "div", "table", "ul", "ol", "blockquote", "h1", "h2", "h3", "pre"}


class StrictChecker(HTMLParser):
    """Every element closed, in the order opened; no self-closed or closed void element; no repeated attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.doctype, self.html_attrs = [], [], None, None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        names = [name for name, _value in attrs]
        if len(names) != len(set(names)):
            self.errors.append(f"repeated attribute on <{tag}>: {names}")
        if tag == "html":
            self.html_attrs = dict(attrs)
        if tag in NOT_IN_P and "p" in self.stack:
            self.errors.append(f"<{tag}> inside <p> at {self.getpos()}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.errors.append(f"self-closed <{tag}/> at {self.getpos()}")
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"</{tag}> at {self.getpos()}")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def check_html(html):
    checker = StrictChecker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [], checker.errors
    assert checker.stack == [], f"never closed: {checker.stack}"
    assert checker.doctype is not None and checker.doctype.lower() == "doctype html"
    return checker


def soup_of(html):
    return BeautifulSoup(html, "html.parser")


def visible_text(html):
    """The text a reader sees: the body without the elements hidden with display:none, whitespace collapsed."""
    body = soup_of(html).body
    for hidden in body.find_all(style=re.compile(r"display\s*:\s*none")):
        hidden.decompose()
    return " ".join(body.get_text(" ").split())


def hrefs(html):
    return [a.get("href") for a in soup_of(html).find_all("a")]


def squeeze(text):
    return "".join(text.split())


def is_url(line):
    return re.fullmatch(r"https?://\S+", line.strip()) is not None


# The text mails --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mail_name", TICKET_MAILS)
@pytest.mark.parametrize("url", [URL, ""])
def test_text_mail_without_the_marker_is_what_it_was(context_of, mail_name, url):
    context = context_of(mail_name)
    _subject, text, _html = render(mail_name, context, ticket_url=url, can_reply_by_mail=False)

    assert text == expected_text(mail_name, context["ticket"].reference, url)


@pytest.mark.parametrize("mail_name", TICKET_MAILS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_marker_is_the_first_line_of_the_text_mail_when_replies_by_mail_are_on(context_of, mail_name, language):
    context = context_of(mail_name)
    _subject, text_off, _html = render(mail_name, context, language, can_reply_by_mail=False)
    _subject, text_on, _html = render(mail_name, context, language, can_reply_by_mail=True)
    with translation.override(language):
        marker = gettext(MARKER)

    first_line = text_on.split("\n", 1)[0]
    assert first_line == marker
    assert re.fullmatch(replies.REPLY_MARKER_PATTERN, first_line)
    # The marker and a blank line come first; the rest of the mail is untouched.
    assert text_on == f"{marker}\n\n{text_off}"
    assert "##-" not in text_off
    assert not text_off.startswith("\n")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_links_mail_never_has_the_marker(context_of, language):
    context = context_of("requester/links")
    _subject, text, html = render("requester/links", context, language, can_reply_by_mail=True)

    assert "##-" not in text
    assert "##-" not in html
    assert not re.search(replies.REPLY_MARKER_PATTERN, visible_text(html))


def test_links_text_mail_is_what_it_was(context_of):
    context = context_of("requester/links")
    first, second = (ticket for ticket, _url in context["links"])
    _subject, text, _html = render("requester/links", context)

    assert text == (
        "Hello,\n\nYou asked for the links to your support tickets. "
        "Each link opens one ticket; keep them to yourself.\n"
        f"\n{first.reference} - {SUBJECT} (Awaiting your reply)\n{URL}\n"
        f"\n{second.reference} - Second <i>one</i> (Open)\n\n"
        "\nIf you did not ask for these links, you can ignore this mail.\n\n-- \nThe support team\n\n"
    )


# The HTML mails --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mail_name", ALL_MAILS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_html_mail_is_a_well_formed_self_contained_document(context_of, mail_name, language):
    context = context_of(mail_name)
    for url in (URL, ""):
        for can_reply in (True, False):
            _subject, _text, html = render(mail_name, context, language, ticket_url=url, can_reply_by_mail=can_reply)
            checker = check_html(html)
            assert checker.html_attrs.get("lang") == language
            soup = soup_of(html)
            assert soup.find("meta", charset=True)["charset"].lower() == "utf-8"
            assert "width=device-width" in soup.find("meta", attrs={"name": "viewport"})["content"]
            # Nothing fetched from elsewhere, nothing run.
            assert soup.find_all(["script", "img", "link", "iframe", "object", "embed", "form"]) == []
            assert not soup.find_all(src=True)
            assert "url(" not in html and "@import" not in html
            # The preheader is there, hidden, and says something.
            (preheader,) = soup.select(".ws-preheader")
            assert "display:none" in preheader["style"].replace(" ", "")
            assert preheader.get_text().strip(" \u2007\u034f")


@pytest.mark.parametrize("mail_name", ALL_MAILS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_html_mail_says_what_the_text_mail_says(context_of, mail_name, language):
    context = context_of(mail_name)
    for url in (URL, ""):
        _subject, text, html = render(mail_name, context, language, ticket_url=url)
        shown = squeeze(visible_text(html))
        links = hrefs(html)
        for line in text.splitlines():
            if not line.strip() or line == "-- ":
                continue
            if is_url(line):
                assert line.strip() in links, f"{line!r} is not a link of the HTML mail"
            else:
                assert squeeze(line) in shown, f"{line!r} is missing from the HTML mail"


@pytest.mark.parametrize("mail_name", TICKET_MAILS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_reference_and_subject_are_in_every_version(context_of, mail_name, language):
    context = context_of(mail_name)
    ticket = context["ticket"]
    subject, text, html = render(mail_name, context, language)

    assert ticket.reference in subject
    assert SUBJECT in subject
    assert ticket.reference in text
    assert ticket.reference in visible_text(html)
    assert SUBJECT in visible_text(html)
    # The reference is visible before the content: in the header above the card.
    header = visible_text(html).split(SUBJECT)[0]
    assert ticket.reference in header


def test_links_html_mail_names_each_ticket(context_of):
    context = context_of("requester/links")
    (first, first_url), (second, _no_url) = context["links"]
    _subject, _text, html = render("requester/links", context)
    soup = soup_of(html)

    (link,) = [a for a in soup.find_all("a") if a.get("href") == first_url]
    assert " ".join(link.get_text().split()) == f"{first.reference} - {SUBJECT}"
    assert second.reference in visible_text(html)
    assert "Second <i>one</i>" in visible_text(html)
    assert soup.find("i") is None


@pytest.mark.parametrize("mail_name", ALL_MAILS)
def test_visitor_text_is_shown_escaped_in_html(context_of, mail_name):
    context = context_of(mail_name)
    _subject, text, html = render(mail_name, context, can_reply_by_mail=True)
    soup = soup_of(html)

    assert "<script" not in html.lower()
    assert soup.find_all(["script", "b", "i", "img"]) == []
    assert "<b>x</b>" in text  # the text version is plain text, as typed
    shown = visible_text(html)
    assert "<b>x</b>" in shown
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    for tag in soup.find_all(True):
        assert not any(name.lower().startswith("on") for name in tag.attrs), f"event handler on <{tag.name}>"


@pytest.mark.parametrize("mail_name", [*sorted(WITH_MESSAGE), "requester/resolved", "agent/rated_bad"])
def test_visitor_paragraphs_go_through_support_text(context_of, mail_name):
    context = context_of(mail_name)
    _subject, _text, html = render(mail_name, context)
    shown = visible_text(html)

    assert "<script>alert(1)</script>" in shown
    # support_text keeps the line breaks and makes links clickable, with rel="nofollow".
    (quote,) = soup_of(html).select(".ws-message")
    assert quote.find("br") is not None
    if mail_name in WITH_MESSAGE or mail_name == "agent/rated_bad":
        (link,) = quote.find_all("a")
        assert link["href"].startswith("https://example.org/")
        assert "nofollow" in link["rel"]


@pytest.mark.parametrize("mail_name", TICKET_MAILS)
def test_ticket_url_is_a_button_when_there_is_one(context_of, mail_name):
    context = context_of(mail_name)
    _subject, _text, with_url = render(mail_name, context, ticket_url=URL)
    _subject, _text, without_url = render(mail_name, context, ticket_url="")

    assert URL in hrefs(with_url)
    (button,) = soup_of(with_url).select(".ws-button a")
    assert button["href"] == URL
    assert button.get_text().strip()

    assert URL not in without_url
    assert soup_of(without_url).select(".ws-button") == []
    for html in (with_url, without_url):
        assert all(href and href.strip() for href in hrefs(html)), "an empty link"
        assert all(re.match(r"(https?://|mailto:)", href) for href in hrefs(html))


@pytest.mark.parametrize("mail_name", TICKET_MAILS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_marker_is_the_first_visible_line_of_the_html_mail(context_of, mail_name, language):
    context = context_of(mail_name)
    _subject, _text, html_on = render(mail_name, context, language, can_reply_by_mail=True)
    _subject, _text, html_off = render(mail_name, context, language, can_reply_by_mail=False)
    with translation.override(language):
        marker = gettext(MARKER)

    assert visible_text(html_on).startswith(marker + " ")
    (line,) = soup_of(html_on).find_all(string=re.compile(re.escape(marker)))
    assert line.strip() == marker
    style = line.parent["style"].replace(" ", "")
    assert "font-size:12px" in style and "color:#4b5563" in style  # small, grey, 6.9:1 on the page
    assert "##-" not in html_off
    assert visible_text(html_off) == visible_text(html_on)[len(marker) + 1 :]


@pytest.mark.parametrize("mail_name", sorted(WITH_MESSAGE))
def test_attachments_are_listed_by_name_not_linked(context_of, mail_name):
    context = context_of(mail_name)
    _subject, _text, html = render(mail_name, context)
    soup = soup_of(html)

    names = [" ".join(li.get_text().split()) for li in soup.select(".ws-attachments li")]
    assert names == FILENAMES
    for a in soup.find_all("a"):
        assert not any(name in a.get_text() for name in FILENAMES)
    assert soup.find("img") is None

    _subject, _text, html = render(mail_name, context, attachments=[])
    assert soup_of(html).select(".ws-attachments") == []
    assert "Attached files" not in html


# Translations ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MARKER_INCLUDES)
def test_marker_is_extracted_for_translation_with_its_translator_comment(name, tmp_path):
    from django.template.loader import get_template

    source = get_template(MAIL_DIR + name).template.source
    lines = templatize(source).splitlines()

    # What makemessages hands to xgettext: the call on its own line (a "#" before it on the same line
    # would comment it out) right after the translators' comment, which says what must be kept.
    (index,) = [i for i, line in enumerate(lines) if f"gettext(u'{MARKER}')" in line]
    assert lines[index].lstrip().startswith("gettext(")
    comment = lines[index - 1].partition("#")[2]
    assert comment.lstrip().startswith("Translators:")
    assert '"##-"' in comment and '"-##"' in comment

    if shutil.which("xgettext"):
        # And xgettext, as makemessages runs it, gives the comment to the translators.
        script = tmp_path / "template.py"
        script.write_text("\n".join(lines), encoding="utf-8")
        po = subprocess.run(
            ["xgettext", "--language=Python", "--keyword=gettext", "--add-comments=Translators", "-o", "-", str(script)],
            check=True, capture_output=True, text=True,
        ).stdout
        entry = po.split(f'msgid "{MARKER}"')[0].rsplit("\n\n", 1)[-1]
        assert "#. Translators:" in entry and '"-##"' in entry


# Through the sender ----------------------------------------------------------------------------------------


def test_sent_mail_has_both_versions_and_the_marker(settings, requester, category, django_capture_on_commit_callbacks):
    settings.WAGTAILSUPPORT_INBOUND_ADDRESS = "support@example.com"

    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.open_ticket(requester, category=category)

    (confirmation,) = [m for m in mail.outbox if requester.email in m.to]
    assert confirmation.body.split("\n", 1)[0] == MARKER
    ((html, mimetype),) = confirmation.alternatives
    assert mimetype == "text/html"
    check_html(html)
    assert visible_text(html).startswith(MARKER)
    assert ticket.reference in visible_text(html)


RATING_LINKS = [
    ("good", "Good", "https://support.example.com/support-files/rate/abc:def/good/"),
    ("bad", "Bad", "https://support.example.com/support-files/rate/abc:def/bad/"),
]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_resolution_mail_asks_how_we_did_with_a_link_per_rating(context_of, language):
    context = context_of("requester/resolved")
    _subject, text, html = render("requester/resolved", context, language, rating_links=RATING_LINKS)
    check_html(html)
    links = hrefs(html)
    for _value, label, url in RATING_LINKS:
        assert f"[{label}] {url}" in text
        assert url in links
    _subject, text_without, html_without = render("requester/resolved", context, language, rating_links=[])
    assert not any(url in text_without or url in html_without for _v, _l, url in RATING_LINKS)
