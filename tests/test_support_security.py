"""Attacks on the visitor pages: what a curious or hostile visitor tries, and what they must not get.

Invariants 2, 3, 4 and 6 of docs/architecture.md through the real pages: another requester's ticket, guessed
numbers and attachment URLs, internal notes' files, links reused on other tickets, markup in every
field, disguised files, missing CSRF tokens and GET on state-changing routes.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests import factories
from tests.html_helpers import field_errors, html, soup, text
from wagtail_support import access, workflow
from wagtail_support.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


# Helpers --------------------------------------------------------------------------------------------------


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def attachment_url(pk):
    return f"/support-files/attachments/{pk}/"


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


ticket_data = factories.ticket_form_data










def counts():
    return (Ticket.objects.count(), Message.objects.count(), Attachment.objects.count())


def snapshot(ticket):
    """What a forbidden request must leave untouched."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (ticket.status, ticket.version, ticket.updated_at, ticket.closed_at, ticket.messages.count())


def open_with_link(client, page, ticket, email=None):
    token = access.make_link_token(ticket, email)
    response = client.get(route(page, "ticket", number=ticket.number) + f"?t={token}")
    assert response.status_code == 302
    return token


def assert_login_prompt(response, path):
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.fixture
def rita_file(ticket):
    """An attachment on Rita's ticket (a public message)."""
    message = ticket.messages.get()
    return _attach(message, "passport.pdf", b"%PDF-1.4 Rita's passport")


@pytest.fixture
def internal_file(agent, ticket):
    """An attachment on an internal note of Rita's ticket."""
    workflow.reply(
        ticket,
        by=agent,
        body="Internal: fraud score 97",
        internal=True,
        attachments=[upload("fraud-report.txt", b"fraud score 97\n", "text/plain")],
    )
    return Attachment.objects.get(filename="fraud-report.txt")


@pytest.fixture
def anon_internal_file(agent, anon_ticket):
    workflow.reply(
        anon_ticket,
        by=agent,
        body="Internal: customer owes money",
        internal=True,
        attachments=[upload("debts.txt", b"owes 300 EUR\n", "text/plain")],
    )
    return Attachment.objects.get(filename="debts.txt")


def _attach(message, name, content):
    from django.core.files.base import ContentFile

    attachment = Attachment(message=message, filename=name, content_type="application/pdf", size=len(content))
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment


# Another requester's ticket -------------------------------------------------------------------------------


def test_another_requesters_ticket_is_not_found(client, support_page, ticket, other_requester):
    client.force_login(other_requester)

    response = client.get(route(support_page, "ticket", number=ticket.number))

    assert response.status_code == 404
    assert "Cannot log in" not in html(response)
    assert "password is wrong" not in html(response)
    assert "Rita" not in html(response)


def test_another_requesters_ticket_looks_like_a_ticket_that_does_not_exist(
    client, support_page, ticket, other_requester
):
    client.force_login(other_requester)

    existing = client.get(route(support_page, "ticket", number=ticket.number))
    missing = client.get(route(support_page, "ticket", number=ticket.number + 500))

    assert existing.status_code == missing.status_code == 404
    assert html(existing) == html(missing)


def test_another_requesters_confirmation_page_is_not_found(client, support_page, ticket, other_requester):
    client.force_login(other_requester)

    response = client.get(route(support_page, "confirmation", number=ticket.number))

    assert response.status_code == 404
    assert ticket.reference not in html(response)
    assert "Cannot log in" not in html(response)


def test_other_requesters_tickets_never_in_my_list(client, support_page, ticket, other_requester):
    client.force_login(other_requester)

    response = client.get(route(support_page, "tickets"))

    assert "Cannot log in" not in html(response)
    tabs = [int(c.get_text()) for c in soup(response).select("nav.ws-tabs .ws-count")]
    assert tabs == [0, 0, 0, 0]


# Anonymous visitors without a link ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ticket", "confirmation"])
def test_anonymous_without_link_is_asked_to_log_in(client, support_page, anon_ticket, name):
    path = route(support_page, name, number=anon_ticket.number)

    response = client.get(path)

    # After logging in, the visitor lands on the ticket page itself.
    assert_login_prompt(response, route(support_page, "ticket", number=anon_ticket.number))


@pytest.mark.parametrize("name", ["ticket", "confirmation"])
def test_existing_and_missing_numbers_answer_alike(client, support_page, anon_ticket, ticket, name):
    missing_number = max(anon_ticket.number, ticket.number) + 1
    existing = client.get(route(support_page, name, number=anon_ticket.number))
    missing = client.get(route(support_page, name, number=missing_number))

    assert existing.status_code == missing.status_code == 302
    assert existing["Location"].replace(str(anon_ticket.number), "N") == missing["Location"].replace(
        str(missing_number), "N"
    )
    assert existing.content == missing.content == b""


def test_guessing_references_shows_nothing(client, support_page, ticket, anon_ticket, other_requester):
    """Walking the numbers around a known one, logged in and not: nothing leaks, nothing differs."""
    numbers = range(min(ticket.number, anon_ticket.number) - 3, max(ticket.number, anon_ticket.number) + 4)

    anonymous = [client.get(route(support_page, "ticket", number=n)) for n in numbers]
    assert {r.status_code for r in anonymous} == {302}
    assert all(r["Location"].startswith("/accounts/login/") for r in anonymous)

    client.force_login(other_requester)
    logged_in = [client.get(route(support_page, "ticket", number=n)) for n in numbers]
    assert {r.status_code for r in logged_in} == {404}
    bodies = {html(r) for r in logged_in}
    assert len(bodies) == 1
    (body,) = bodies
    for secret in ("Cannot log in", "Invoice missing", "Ann Onymous", "Rita", ticket.reference, anon_ticket.reference):
        assert secret not in body


def test_guessing_a_reference_with_a_made_up_link(client, support_page, anon_ticket):
    for token in ("1", "abc", "eyJ0IjoxfQ:1abc:xyz", access.make_link_token(anon_ticket) + "x"):
        response = client.get(route(support_page, "ticket", number=anon_ticket.number) + f"?t={token}")
        assert response.status_code == 404
        assert "Invoice missing" not in html(response)
        assert "ann@example.com" not in html(response)
    # None of them opened anything.
    assert_login_prompt(
        client.get(route(support_page, "ticket", number=anon_ticket.number)),
        route(support_page, "ticket", number=anon_ticket.number),
    )


def test_anonymous_list_shows_no_tickets(client, support_page, ticket, anon_ticket):
    # Even holding a link to one ticket, an anonymous visitor gets no list.
    open_with_link(client, support_page, anon_ticket)

    response = client.get(route(support_page, "tickets"), {"status": "open"})

    assert response.status_code == 200
    assert "Cannot log in" not in html(response)
    assert "Invoice missing" not in html(response)


# Attachments ------------------------------------------------------------------------------------------------


def test_owner_can_download_the_attachment(client, support_page, requester, rita_file):
    """The control for the tests below: the URL does work for the right person."""
    client.force_login(requester)

    response = client.get(attachment_url(rita_file.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 Rita's passport"


def test_guessed_attachment_url_is_not_found(client, support_page, rita_file, other_requester):
    missing = client.get(attachment_url(rita_file.pk + 1000))
    anonymous = client.get(attachment_url(rita_file.pk))
    client.force_login(other_requester)
    other = client.get(attachment_url(rita_file.pk))

    assert anonymous.status_code == other.status_code == missing.status_code == 404
    assert anonymous.content == other.content == missing.content
    assert b"passport" not in anonymous.content + other.content


def test_someone_elses_link_does_not_open_my_attachment(client, support_page, rita_file, anon_ticket):
    """A valid link to one's own ticket, used on an attachment of another ticket."""
    token = access.make_link_token(anon_ticket)
    open_with_link(client, support_page, anon_ticket)

    in_session = client.get(attachment_url(rita_file.pk))
    in_query = client.get(attachment_url(rita_file.pk), {"t": token})

    assert in_session.status_code == in_query.status_code == 404


def test_internal_note_attachment_is_not_found_for_the_requester(client, support_page, requester, internal_file, agent):
    client.force_login(requester)
    assert client.get(attachment_url(internal_file.pk)).status_code == 404

    # The control: the agent of the team downloads it.
    agent_client = Client()
    agent_client.force_login(agent)
    response = agent_client.get(attachment_url(internal_file.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"fraud score 97\n"


def test_internal_note_attachment_is_not_found_for_a_link_holder(client, support_page, anon_ticket, anon_internal_file):
    token = open_with_link(client, support_page, anon_ticket)

    # The ticket opens, but not the note's file: neither through the session nor with the link itself.
    assert client.get(route(support_page, "ticket", number=anon_ticket.number)).status_code == 200
    assert client.get(attachment_url(anon_internal_file.pk)).status_code == 404
    assert Client().get(attachment_url(anon_internal_file.pk), {"t": token}).status_code == 404
    page = client.get(route(support_page, "ticket", number=anon_ticket.number))
    assert "debts.txt" not in html(page)
    assert "owes money" not in html(page)


def test_link_in_the_query_opens_a_public_attachment_only(client, support_page, anon_ticket, agent):
    workflow.reply(anon_ticket, by=agent, body="Your invoice", attachments=[upload("invoice.pdf", b"%PDF-1.4 invoice")])
    invoice = Attachment.objects.get(filename="invoice.pdf")
    token = access.make_link_token(anon_ticket)

    assert Client().get(attachment_url(invoice.pk), {"t": token}).status_code == 200
    assert Client().get(attachment_url(invoice.pk), {"t": token + "x"}).status_code == 404


def test_download_is_served_as_an_attachment_that_browsers_do_not_sniff(client, support_page, requester, ticket):
    client.force_login(requester)
    client.post(
        route(support_page, "reply", number=ticket.number),
        {"body": "log", "attachments": [upload("<b>notes</b>.txt", b"plain words\n", "text/html")]},
    )
    attachment = Attachment.objects.latest("pk")

    response = client.get(attachment_url(attachment.pk))

    assert response.status_code == 200
    assert attachment.content_type == "text/plain"  # from the content, not from what the browser said
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "<" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == b"plain words\n"


# Links used on another ticket -------------------------------------------------------------------------


def test_link_for_one_ticket_does_not_open_another(client, support_page, anon_ticket, category):
    other = factories.open_ticket(
        requester_name="Bob", requester_email="bob@example.com", subject="Bob's secret problem", category=category
    )
    token_a = access.make_link_token(anon_ticket)

    response = client.get(route(support_page, "ticket", number=other.number) + f"?t={token_a}")

    assert response.status_code == 404
    assert "Bob's secret problem" not in html(response)
    # Nothing for B went into the session; the link still works for A.
    assert_login_prompt(
        client.get(route(support_page, "ticket", number=other.number)), route(support_page, "ticket", number=other.number)
    )
    open_with_link(client, support_page, anon_ticket)
    assert client.get(route(support_page, "ticket", number=anon_ticket.number)).status_code == 200
    # Holding A does not open B either.
    assert client.get(route(support_page, "ticket", number=other.number)).status_code == 302


def test_link_of_a_ticket_of_the_same_address_does_not_open_another(client, support_page, anon_ticket):
    """Two tickets of the same person: each link opens its own ticket only."""
    second = factories.open_ticket(requester_name="Ann Onymous", requester_email="ann@example.com", subject="Second")
    token_a = access.make_link_token(anon_ticket)

    response = client.get(route(support_page, "ticket", number=second.number) + f"?t={token_a}")

    assert response.status_code == 404
    assert "Second" not in soup(response).select_one("main").get_text()


# State changes on someone else's ticket ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data",
    [("reply", {"body": "I am not Rita"}), ("close", {}), ("reopen", {})],
)
def test_state_change_on_another_requesters_ticket(client, support_page, ticket, requester, other_requester, name, data):
    if name == "reopen":
        workflow.close_by_requester(ticket, by=requester)
    before = snapshot(ticket)
    client.force_login(other_requester)

    response = client.post(route(support_page, name, number=ticket.number), data)

    assert response.status_code == 404
    assert "Cannot log in" not in html(response)
    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    "name, data",
    [("reply", {"body": "I am not Ann"}), ("close", {}), ("reopen", {})],
)
def test_state_change_without_a_link(client, support_page, anon_ticket, name, data):
    if name == "reopen":
        workflow.close_by_requester(anon_ticket, by=workflow.Actor(link_token=access.make_link_token(anon_ticket)))
    before = snapshot(anon_ticket)
    path = route(support_page, name, number=anon_ticket.number)

    response = client.post(path, data)

    # Never back to a POST-only address after logging in: to the ticket page.
    assert_login_prompt(response, route(support_page, "ticket", number=anon_ticket.number))
    assert snapshot(anon_ticket) == before


@pytest.mark.parametrize(
    "name, data",
    [("reply", {"body": "Bob speaking"}), ("close", {})],
)
def test_state_change_with_a_link_to_another_ticket(client, support_page, anon_ticket, name, data):
    other = factories.open_ticket(requester_name="Bob", requester_email="bob@example.com", subject="Bob's")
    open_with_link(client, support_page, anon_ticket)
    before = snapshot(other)

    response = client.post(route(support_page, name, number=other.number), data)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot(other) == before


# Markup in every field ------------------------------------------------------------------------------------

SCRIPT = "<script>alert('xss')</script>"
JS_LINK = '<a href="javascript:alert(1)">click me</a>'
BARE_JS = "javascript:alert(2)"
IMG = '"><img src=x onerror=alert(3)>'


def assert_inert(response):
    content = html(response)
    lowered = content.lower()
    assert "<script>" not in lowered
    assert "<script>alert" not in lowered
    assert 'href="javascript:' not in lowered
    assert "href='javascript:" not in lowered
    assert "<img src=x" not in lowered
    page = soup(response)
    # The only scripts are the site's own files, never inline code.
    for script in page.find_all("script"):
        assert script.get("src", "").startswith("/static/"), script
        assert not script.get_text().strip(), script
    # No element carries an event handler or a javascript: address.
    for tag in page.find_all(True):
        for attribute, value in tag.attrs.items():
            assert not attribute.lower().startswith("on"), (tag.name, attribute)
            if attribute.lower() in {"href", "src", "action", "formaction", "xlink:href", "data"}:
                assert not str(value).strip().lower().startswith("javascript:"), (tag.name, attribute, value)
    return content


HOSTILE = {
    "name": f"Eve {SCRIPT}{IMG}",
    "subject": f"Help {SCRIPT} {BARE_JS}{IMG}",
    "description": f"Look {JS_LINK}\n{SCRIPT}\n[x]({BARE_JS}) {BARE_JS}",
}


def hostile_files():
    return [
        upload(f"{SCRIPT}.png", png_bytes(), "image/png"),
        upload(f'{IMG}"javascript:alert(4).txt', b"just text\n", "text/plain"),
    ]


def test_markup_in_an_anonymous_submission_is_inert(client, support_page, agent):
    response = client.post(support_page.url, ticket_data(**HOSTILE, attachments=hostile_files()))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    # Stored as typed (text), shown escaped.
    assert ticket.subject == HOSTILE["subject"]
    assert ticket.requester_name == HOSTILE["name"]

    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert_inert(confirmation)

    page = client.get(route(support_page, "ticket", number=ticket.number))
    assert page.status_code == 200
    content = assert_inert(page)
    assert "&lt;script&gt;alert(" in content  # the text is there, as text
    heading = soup(page).select_one("h1#ws-ticket-title").get_text()
    assert heading == HOSTILE["subject"]
    entry = soup(page).select_one("li.ws-entry")
    assert SCRIPT in entry.select_one(".ws-entry__author").get_text()
    assert "click me" in entry.select_one(".ws-entry__body").get_text()
    names = [a.get_text() for a in entry.select(".ws-attachments a")]
    assert len(names) == 2
    assert all("<" not in name and ">" not in name and '"' not in name for name in names)
    for attachment in Attachment.objects.all():
        assert not set('<>"/\\') & set(attachment.filename)


def test_markup_in_a_logged_in_submission_is_inert_in_the_list(client, support_page, requester):
    client.force_login(requester)
    response = client.post(
        support_page.url, ticket_data(name=None, email=None, subject=HOSTILE["subject"], description=HOSTILE["description"])
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()

    listing = client.get(route(support_page, "tickets"))
    assert_inert(listing)
    assert soup(listing).select_one("table.ws-table tbody td:nth-of-type(2)").get_text() == HOSTILE["subject"]
    assert_inert(client.get(response["Location"]))
    assert_inert(client.get(route(support_page, "ticket", number=ticket.number)))


def test_markup_in_replies_is_inert(client, support_page, requester, ticket, agent):
    workflow.reply(ticket, by=agent, body=f"Agent says {JS_LINK} {SCRIPT}")
    client.force_login(requester)

    response = client.post(
        route(support_page, "reply", number=ticket.number),
        {"body": f"Reply {SCRIPT}\n{JS_LINK}\n{BARE_JS}{IMG}", "attachments": hostile_files()},
    )
    assert response.status_code == 302

    page = client.get(route(support_page, "ticket", number=ticket.number))
    assert_inert(page)
    bodies = [e.get_text() for e in soup(page).select(".ws-entry__body")]
    assert SCRIPT in bodies[-1]
    assert JS_LINK in bodies[1]
    # Only http(s) and mail addresses become links.
    for link in soup(page).select(".ws-entry__body a"):
        assert link["href"].startswith(("http://", "https://", "mailto:"))


def test_markup_echoed_in_a_form_with_errors_is_inert(client, support_page):
    response = client.post(
        support_page.url,
        ticket_data(**HOSTILE, email="bad", attachments=[upload(f"{SCRIPT}{IMG}.png", b"<html>not an image</html>")]),
    )

    assert response.status_code == 200
    assert_inert(response)
    assert soup(response).select_one('input[name="subject"]')["value"] == HOSTILE["subject"]
    (file_error,) = field_errors(response, "attachments")
    assert "is not a file type we accept" in file_error
    assert "<" not in file_error.split(" is not")[0]


def test_markup_in_the_find_form_is_inert(client, support_page):
    response = client.post(route(support_page, "find_tickets"), {"email": f"{SCRIPT}@example.com"})

    assert response.status_code == 200
    assert_inert(response)


def test_markup_in_a_file_name_is_inert_in_the_download(client, support_page, requester, ticket):
    client.force_login(requester)
    client.post(
        route(support_page, "reply", number=ticket.number),
        {"body": "file", "attachments": [upload(f'..\\..\\{SCRIPT}"\r\nX-Evil: 1.txt', b"text\n", "text/plain")]},
    )
    attachment = Attachment.objects.latest("pk")

    response = client.get(attachment_url(attachment.pk))

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\n" not in disposition and "\r" not in disposition
    assert "<script>" not in disposition
    assert "X-Evil" not in {key for key, _ in response.items()}
    assert b"".join(response.streaming_content) == b"text\n"


# Refused files --------------------------------------------------------------------------------------------

RANDOM_BYTES = bytes((i * 131 + 7) % 256 for i in range(512))  # no known signature, not text
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
SVG_WITH_PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
PNG_THEN_HTML = b"\x89PNG\r\n\x1a\n" + HTML_PAGE


@pytest.mark.parametrize(
    "filename, content, reason",
    [
        ("photo.png", RANDOM_BYTES, "is not a file type we accept"),
        ("photo.png", HTML_PAGE, "is not a file type we accept"),
        ("page.txt", HTML_PAGE, "is not a file type we accept"),
        ("drawing.png", SVG, "is not a file type we accept"),
        ("drawing.jpg", SVG, "is not a file type we accept"),
        ("drawing.png", SVG_WITH_PROLOG, "is not a file type we accept"),
        ("polyglot.png", PNG_THEN_HTML, "is not a file type we accept"),
        ("big.txt", b"x" * 2000, "is too large"),
    ],
    ids=["random-bytes", "html-as-png", "html-as-txt", "svg-as-png", "svg-as-jpg", "xml-svg", "png-html-polyglot", "oversized"],
)
def test_refused_file_creates_no_ticket(client, support_page, settings, filename, content, reason):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 1000
    before = counts()

    response = client.post(
        support_page.url,
        ticket_data(
            subject="Typed subject stays",
            description="Typed description stays",
            attachments=[upload("fine.png", png_bytes(), "image/png"), upload(filename, content, "image/png")],
        ),
    )

    assert response.status_code == 200
    assert counts() == before
    errors = field_errors(response, "attachments")
    assert any(filename in error and reason in error for error in errors), errors
    assert not any("fine.png" in error for error in errors)
    assert soup(response).select_one('input[name="subject"]')["value"] == "Typed subject stays"
    assert "Typed description stays" in soup(response).select_one('textarea[name="description"]').get_text()
    # The file that passed the checks is kept for the next try; the refused one is not.
    kept = [item.get_text(" ", strip=True) for item in soup(response).select("[data-ws-kept] li")]
    assert len(kept) == 1 and kept[0].startswith("fine.png"), kept


def test_empty_file_is_refused_next_to_the_field(client, support_page):
    response = client.post(support_page.url, ticket_data(attachments=[upload("empty.txt", b"", "text/plain")]))

    assert response.status_code == 200
    assert field_errors(response, "attachments")
    assert counts() == (0, 0, 0)


def test_oversized_file_error_says_the_limit(client, support_page, settings):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 1024

    response = client.post(support_page.url, ticket_data(attachments=[upload("dump.txt", b"y" * 5000, "text/plain")]))

    (error,) = field_errors(response, "attachments")
    # (whitespace collapsed: the sizes are written with non-breaking spaces)
    assert error == "dump.txt is too large (4.9 KB); the limit is 1.0 KB per file."
    assert Ticket.objects.count() == 0


def test_too_many_files_are_refused(client, support_page, settings):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENTS_PER_MESSAGE = 2

    response = client.post(
        support_page.url,
        ticket_data(attachments=[upload(f"{n}.txt", b"text\n", "text/plain") for n in range(3)]),
    )

    assert field_errors(response, "attachments") == ["You can attach at most 2 files to a message."]
    assert counts() == (0, 0, 0)


def test_files_too_large_together_are_refused(client, support_page, settings):
    settings.WAGTAILSUPPORT_MAX_MESSAGE_ATTACHMENTS_SIZE = 1500

    response = client.post(
        support_page.url,
        ticket_data(attachments=[upload(f"{n}.txt", b"z" * 1000, "text/plain") for n in range(2)]),
    )

    assert any("the limit is" in error and "per message" in error for error in field_errors(response, "attachments"))
    assert counts() == (0, 0, 0)


def test_type_missing_from_the_allowed_list_is_refused(client, support_page, settings):
    settings.WAGTAILSUPPORT_ALLOWED_ATTACHMENT_TYPES = ["image/png"]

    response = client.post(support_page.url, ticket_data(attachments=[upload("doc.pdf", b"%PDF-1.4 x", "application/pdf")]))

    assert any("doc.pdf is not a file type we accept" in e for e in field_errors(response, "attachments"))
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "filename, content",
    [("photo.png", RANDOM_BYTES), ("photo.png", HTML_PAGE), ("drawing.jpg", SVG), ("big.txt", b"x" * 2000)],
    ids=["random-bytes", "html-as-png", "svg-as-jpg", "oversized"],
)
def test_refused_file_in_a_reply_creates_no_message(client, support_page, requester, ticket, settings, filename, content):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 1000
    client.force_login(requester)
    before = counts()
    state = snapshot(ticket)

    response = client.post(
        route(support_page, "reply", number=ticket.number),
        {"body": "Typed reply stays", "attachments": [upload(filename, content, "image/png")]},
    )

    assert response.status_code == 400
    assert counts() == before
    assert snapshot(ticket) == state
    assert any(filename in error for error in field_errors(response, "attachments"))
    assert soup(response).select_one('textarea[name="body"]').get_text().strip() == "Typed reply stays"


def test_svg_is_refused_whatever_the_browser_says_it_is(client, support_page, requester, ticket):
    client.force_login(requester)

    response = client.post(
        route(support_page, "reply", number=ticket.number),
        {"body": "pic", "attachments": [upload("pic.svg", SVG, "image/svg+xml")]},
    )

    assert response.status_code == 400
    assert field_errors(response, "attachments") == [
        "pic.svg is not a file type we accept. Send images, PDF, text or office documents."
    ]
    assert Attachment.objects.count() == 0


# CSRF and methods -----------------------------------------------------------------------------------------


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_submission_without_csrf_token_is_refused(csrf_client, support_page):
    response = csrf_client.post(support_page.url, ticket_data())

    assert response.status_code == 403
    assert counts() == (0, 0, 0)


def test_submission_with_the_csrf_token_of_the_form_works(csrf_client, support_page):
    """The control: the same client with the token of the page gets through."""
    form = csrf_client.get(support_page.url)
    token = soup(form).select_one('input[name="csrfmiddlewaretoken"]')["value"]

    response = csrf_client.post(support_page.url, {**ticket_data(), "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "name, data",
    [("reply", {"body": "Forged"}), ("close", {}), ("reopen", {})],
)
def test_ticket_actions_without_csrf_token_are_refused(csrf_client, support_page, requester, ticket, name, data):
    if name == "reopen":
        workflow.close_by_requester(ticket, by=requester)
    csrf_client.force_login(requester)
    before = snapshot(ticket)

    response = csrf_client.post(route(support_page, name, number=ticket.number), data)

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_link_holder_actions_without_csrf_token_are_refused(csrf_client, support_page, anon_ticket):
    open_with_link(csrf_client, support_page, anon_ticket)
    before = snapshot(anon_ticket)

    for name in ("reply", "close"):
        assert csrf_client.post(route(support_page, name, number=anon_ticket.number), {"body": "x"}).status_code == 403
    assert snapshot(anon_ticket) == before


def test_find_tickets_without_csrf_token_is_refused(csrf_client, support_page, anon_ticket):
    from django.core import mail

    mail.outbox.clear()

    response = csrf_client.post(route(support_page, "find_tickets"), {"email": "ann@example.com"})

    assert response.status_code == 403
    assert mail.outbox == []


@pytest.mark.parametrize("name", ["reply", "close", "reopen"])
def test_get_on_state_changing_routes_is_not_allowed(client, support_page, requester, ticket, name):
    if name == "reopen":
        workflow.close_by_requester(ticket, by=requester)
    client.force_login(requester)
    before = snapshot(ticket)

    response = client.get(route(support_page, name, number=ticket.number), {"body": "via GET"})

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert snapshot(ticket) == before


def test_post_on_the_download_view_is_not_allowed(client, support_page, requester, rita_file):
    client.force_login(requester)

    assert client.post(attachment_url(rita_file.pk)).status_code == 405
