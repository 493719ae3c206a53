"""The visitor pages of the support page, through the Django test client.

Each route of ``AbstractSupportPage``: the ticket form and its submission (anonymous and logged in),
the confirmation, "My tickets" with its tabs, filters and paging, the ticket conversation with reply,
close and reopen, signed links (valid, expired, tampered) and "find my tickets". Everything goes
through the real pages, forms, workflow, database, storage and mail (Anymail's test backend).
"""

import datetime
import io
import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from wagtail.models import Site

from tests import factories
from tests.html_helpers import field_block, field_errors, html, soup, text
from wagtail_support import access, workflow
from wagtail_support.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


# Helpers --------------------------------------------------------------------------------------------------


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def png_bytes(color="red", size=(4, 3)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def png_file(name="screenshot.png"):
    return SimpleUploadedFile(name, png_bytes(), "image/png")


def pdf_file(name="invoice.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, "application/pdf")


def txt_file(name="error-log.txt", text="Traceback: something broke\nline 2\n"):
    return SimpleUploadedFile(name, text.encode(), "text/plain")


def ticket_data(**overrides):
    data = {
        "name": "Ann Onymous",
        "email": "ann@example.com",
        "subject": "The export button does nothing",
        "description": "I click Export and nothing happens.\nSince Monday.",
        "kind": Ticket.Kind.BUG,
        "priority": Ticket.Priority.HIGH,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}












def mails_to(address):
    return [m for m in mail.outbox if address in m.to]


def tab_counts(response):
    counts = {}
    for tab in soup(response).select("nav.ws-tabs a.ws-tab"):
        label = tab.find(string=True, recursive=False).strip()
        counts[label] = int(tab.select_one(".ws-count").get_text())
    return counts


def listed_subjects(response):
    return [row.select("td")[1].get_text(strip=True) for row in soup(response).select("table.ws-table tbody tr")]


def conversation(response):
    entries = []
    for entry in soup(response).select("ol.ws-messages-list li.ws-entry"):
        entries.append(
            {
                "author": entry.select_one(".ws-entry__author").get_text(strip=True),
                "role": entry.select_one(".ws-entry__role").get_text(strip=True),
                "body": " ".join(entry.select_one(".ws-entry__body").get_text(" ").split()),
                "attachments": [(a["href"], a.get_text(strip=True)) for a in entry.select(".ws-attachments a")],
            }
        )
    return entries


def facts(response):
    """The "Status / Type / Priority / Opened / Updated" list of the ticket page, as a dict."""
    result = {}
    for item in soup(response).select("dl.ws-facts > div"):
        dd = item.select_one("dd")
        time_tag = dd.select_one("time")
        result[item.select_one("dt").get_text(strip=True)] = time_tag["datetime"] if time_tag else dd.get_text(strip=True)
    return result


def flash_messages(response):
    return [" ".join(li.get_text(" ").split()) for li in soup(response).select("ul.ws-messages li")]


def download(client, attachment, **extra):
    response = client.get(f"/support-files/attachments/{attachment.pk}/", **extra)
    if response.status_code == 200:
        # Reading the stream to its end closes the file (closing the response by hand would also
        # fire request_finished, which closes the test's database connection on PostgreSQL).
        content = b"".join(response.streaming_content)
        return response, content
    return response, None


def open_with_link(client, page, ticket, email=None):
    """What an anonymous visitor does with the link of a mail: open it, land on the clean address."""
    token = access.make_link_token(ticket, email)
    response = client.get(route(page, "ticket", number=ticket.number) + f"?t={token}")
    assert response.status_code == 302
    assert response["Location"] == route(page, "ticket", number=ticket.number)
    return token


def make_ticket(user, subject, status=Ticket.Status.OPEN, *, agent=None, category=None, kind=Ticket.Kind.QUESTION):
    """A ticket of ``user`` brought to ``status`` through the workflow."""
    ticket = factories.open_ticket(user, subject=subject, category=category, kind=kind)
    if status == Ticket.Status.PENDING:
        workflow.set_pending(ticket, by=agent)
    elif status == Ticket.Status.CLOSED:
        workflow.close_by_requester(ticket, by=user)
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


# The ticket form -------------------------------------------------------------------------------------------


def test_anonymous_visitor_sees_the_whole_form(client, support_page):
    response = client.get(support_page.url)

    assert response.status_code == 200
    page = soup(response)
    form = page.select_one("form[data-ws-ticket-form]")
    assert form["method"] == "post"
    assert form["enctype"] == "multipart/form-data"
    for name in ("name", "email", "subject", "description", "kind", "priority", "attachments"):
        assert form.select(f'[name="{name}"]'), f"the form has no {name} field"
    assert form.select_one('input[name="attachments"]').has_attr("multiple")
    assert form.select_one('input[name="csrfmiddlewaretoken"]') is not None
    assert "Tell us what went wrong." in text(response)
    assert "You are writing as" not in text(response)


def test_logged_in_visitor_is_not_asked_for_name_and_email(client, support_page, requester):
    client.force_login(requester)

    response = client.get(support_page.url)

    assert response.status_code == 200
    form = soup(response).select_one("form[data-ws-ticket-form]")
    assert not form.select('[name="name"]')
    assert not form.select('[name="email"]')
    assert "You are writing as Rita Requester (requester@example.com)." in text(response)


def test_service_catalog_is_offered_when_there_is_one(client, support_page, category):
    response = client.get(support_page.url)

    options = [o.get_text(strip=True) for o in soup(response).select('select[name="category"] option')]
    assert options == ["I don't know", "Accounts"]


def test_subject_can_be_prefilled_from_the_address(client, support_page):
    response = client.get(support_page.url + "?subject=Printer+on+fire")

    assert soup(response).select_one('input[name="subject"]')["value"] == "Printer on fire"


def test_anonymous_submission_opens_the_ticket_and_confirms_it(
    client, support_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(support_page.url, ticket_data())

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == route(support_page, "confirmation", number=ticket.number)

    assert ticket.subject == "The export button does nothing"
    assert ticket.description == "I click Export and nothing happens.\nSince Monday."
    assert ticket.kind == Ticket.Kind.BUG
    assert ticket.priority == Ticket.Priority.HIGH
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.channel == Ticket.Channel.WEB
    assert ticket.requester_user is None
    assert ticket.requester_name == "Ann Onymous"
    assert ticket.requester_email == "ann@example.com"
    assert ticket.site == Site.objects.get(is_default_site=True)
    assert ticket.submitted_from_id == support_page.pk
    assert ticket.language == "en"
    first = ticket.messages.get()
    assert first.body == ticket.description
    assert first.author_role == Message.AuthorRole.REQUESTER

    # The confirmation page shows the reference and leads to the ticket.
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert soup(confirmation).select_one(".ws-reference").get_text(strip=True) == ticket.reference
    assert "ann@example.com" in text(confirmation)
    follow = soup(confirmation).select_one("a.support-ticket-link")["href"]
    assert follow == route(support_page, "ticket", number=ticket.number)
    assert client.get(follow).status_code == 200

    # The confirmation mail carries the reference and a signed link back to the ticket.
    (confirmation_mail,) = mails_to("ann@example.com")
    assert ticket.reference in confirmation_mail.subject
    assert ticket.reference in confirmation_mail.body
    links = re.findall(r"https?://\S+", confirmation_mail.body)
    ticket_links = [link for link in links if "?t=" in link]
    assert ticket_links, confirmation_mail.body
    assert urlsplit(ticket_links[0]).path == route(support_page, "ticket", number=ticket.number)


def test_link_of_the_confirmation_mail_opens_the_ticket_in_another_browser(
    client, support_page, django_capture_on_commit_callbacks
):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, ticket_data())
    (confirmation_mail,) = mails_to("ann@example.com")
    link = next(link for link in re.findall(r"https?://\S+", confirmation_mail.body) if "?t=" in link)

    other_browser = Client()
    parts = urlsplit(link)
    response = other_browser.get(f"{parts.path}?{parts.query}", follow=True)

    assert response.status_code == 200
    assert "The export button does nothing" in text(response)


@pytest.fixture
def pricing_page(support_page):
    """A content page of the site, at ``/pricing/``, beside the support page."""
    from wagtail.models import Page

    page = Page(title="Pricing", slug="pricing")
    support_page.get_parent().add_child(instance=page)
    return page


def test_submission_records_the_page_the_visitor_came_from(client, support_page, pricing_page):
    form = client.get(support_page.url, HTTP_REFERER="http://testserver/pricing/")
    came_from = soup(form).select_one('input[name="came_from"]')["value"]
    assert came_from == "/pricing/"

    client.post(support_page.url, ticket_data(came_from=came_from))

    ticket = Ticket.objects.get()
    assert ticket.came_from_id == pricing_page.pk
    assert ticket.submitted_from_id == support_page.pk


@pytest.mark.parametrize(
    "referer, posted",
    [
        ("https://elsewhere.example/pricing/", "//elsewhere.example/pricing/"),
        ("", "https://elsewhere.example/pricing/"),
        ("", "/no-such-page/"),
    ],
)
def test_came_from_only_records_a_page_of_this_site(client, support_page, pricing_page, referer, posted):
    form = client.get(support_page.url, HTTP_REFERER=referer)
    assert soup(form).select_one('input[name="came_from"]').get("value", "") == ""

    response = client.post(support_page.url, ticket_data(came_from=posted))

    assert response.status_code == 302
    assert Ticket.objects.get().came_from is None


def test_submission_in_french_records_the_language(client, support_page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(support_page.url, ticket_data(), HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 302
    assert Ticket.objects.get().language == "fr"


def test_logged_in_submission_belongs_to_the_account(
    client, support_page, requester, django_capture_on_commit_callbacks
):
    client.force_login(requester)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(support_page.url, ticket_data(name=None, email=None))

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.requester_user == requester
    assert ticket.requester_name == "Rita Requester"
    assert ticket.requester_email == "requester@example.com"
    confirmation = client.get(response["Location"])
    assert ticket.reference in text(confirmation)
    (confirmation_mail,) = mails_to("requester@example.com")
    assert ticket.reference in confirmation_mail.subject
    # The ticket is in the visitor's list at once.
    assert listed_subjects(client.get(route(support_page, "tickets"))) == ["The export button does nothing"]


def test_logged_in_visitor_cannot_write_as_someone_else(client, support_page, requester):
    client.force_login(requester)

    client.post(support_page.url, ticket_data(name="Mallory", email="mallory@example.com"))

    ticket = Ticket.objects.get()
    assert ticket.requester_user == requester
    assert ticket.requester_email == "requester@example.com"


def test_submission_with_several_attachments(client, support_page, requester):
    client.force_login(requester)

    response = client.post(
        support_page.url,
        ticket_data(attachments=[png_file("screen shot.png"), pdf_file(), txt_file()]),
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    attachments = list(Attachment.objects.filter(message__ticket=ticket).order_by("pk"))
    assert [(a.filename, a.content_type) for a in attachments] == [
        ("screen shot.png", "image/png"),
        ("invoice.pdf", "application/pdf"),
        ("error-log.txt", "text/plain"),
    ]
    assert attachments[1].size == len(PDF_BYTES)

    # They are on the ticket page as download links, and the download gives back the same bytes.
    page = client.get(route(support_page, "ticket", number=ticket.number))
    (first,) = conversation(page)
    assert first["attachments"] == [(f"/support-files/attachments/{a.pk}/", a.filename) for a in attachments]
    downloaded, content = download(client, attachments[1])
    assert downloaded.status_code == 200
    assert content == PDF_BYTES
    assert downloaded["Content-Disposition"].startswith("attachment")
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    _, png = download(client, attachments[0])
    assert png == png_bytes()


def test_anonymous_submission_with_an_attachment(client, support_page):
    response = client.post(support_page.url, ticket_data(attachments=[png_file()]))

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.message.ticket.requester_email == "ann@example.com"
    # The visitor who just sent it may download it (the link is in their session).
    downloaded, content = download(client, attachment)
    assert downloaded.status_code == 200
    assert content == png_bytes()


def test_validation_errors_keep_what_was_typed_and_the_files(client, support_page):
    response = client.post(
        support_page.url,
        ticket_data(description="", subject="Printer <b>on fire</b>", attachments=[png_file()]),
    )

    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    page = soup(response)
    assert page.select_one('input[name="subject"]')["value"] == "Printer <b>on fire</b>"
    assert page.select_one('input[name="name"]')["value"] == "Ann Onymous"
    assert page.select_one('input[name="email"]')["value"] == "ann@example.com"
    assert page.select_one('select[name="kind"] option[selected]')["value"] == "bug"
    assert page.select_one('input[name="priority"][checked]')["value"] == "high"
    assert field_errors(response, "description") == ["This field is required."]
    assert "There is a problem" in text(response)
    # The file chosen is kept for the next try (tests/test_kept_files.py).
    assert [item.get_text(" ", strip=True).split()[0] for item in page.select("[data-ws-kept] li")] == ["screenshot.png"]


def test_typed_description_comes_back_after_an_error(client, support_page):
    response = client.post(support_page.url, ticket_data(email="not an address"))

    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert "I click Export and nothing happens.\nSince Monday." in soup(response).select_one(
        'textarea[name="description"]'
    ).get_text()
    assert field_errors(response, "email") == ["Enter a valid email address."]
    # No file was sent: no request to select files again.
    assert "select your files again" not in text(response)


def test_missing_subject_is_reported_next_to_the_subject(client, support_page):
    response = client.post(support_page.url, ticket_data(subject=""))

    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    subject = field_block(response, "subject")
    assert "ws-field--error" in subject["class"]
    assert field_errors(response, "subject") == ["This field is required."]
    # The control's aria-describedby (set by Django) names the error list, so screen readers read it.
    errors_id = subject.select_one("ul.ws-errors")["id"]
    assert errors_id in subject.select_one('input[name="subject"]')["aria-describedby"].split()
    assert field_errors(response, "description") == []
    assert "I click Export and nothing happens." in soup(response).select_one('textarea[name="description"]').get_text()


def test_help_text_is_tied_to_its_field_for_screen_readers(client, support_page):
    page = soup(client.get(support_page.url))

    subject = page.select_one('input[name="subject"]')
    described_by = subject["aria-describedby"].split()
    help_ids = {p["id"] for p in page.select("p.ws-help")}
    assert set(described_by) <= help_ids | {e["id"] for e in page.select("ul.ws-errors")}


def test_honeypot_filled_in_creates_nothing(client, support_page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(support_page.url, ticket_data(website="http://cheap-pills.example"))

    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert Message.objects.count() == 0
    assert mail.outbox == []
    assert "Your request could not be sent. Please try again." in text(response)
    # What was typed is still there.
    assert soup(response).select_one('input[name="subject"]')["value"] == "The export button does nothing"


def test_page_is_in_french_for_a_french_browser(client, support_page):
    response = client.get(support_page.url, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert soup(response).select_one("html")["lang"] == "fr"
    labels = [" ".join(label.get_text(" ").split()) for label in soup(response).select("label.ws-label")]
    assert any(label.startswith("Objet") for label in labels), labels
    assert soup(response).select_one('button[data-action="submit-ticket"]').get_text(strip=True) == "Envoyer"


# Rate limits ---------------------------------------------------------------------------------------------


@pytest.fixture
def tight_limits(settings):
    settings.WAGTAILSUPPORT_RATE_LIMITS = {"submit": (2, 3600), "reply": (2, 3600), "find": (2, 3600)}


def test_third_submission_in_the_window_is_refused(client, support_page, tight_limits):
    for number in range(2):
        assert client.post(support_page.url, ticket_data(subject=f"Request {number}")).status_code == 302

    response = client.post(support_page.url, ticket_data(subject="One too many"))

    assert response.status_code == 429
    assert "Too many requests from your address. Try again in" in text(response)
    assert Ticket.objects.count() == 2
    assert not Ticket.objects.filter(subject="One too many").exists()
    assert soup(response).select_one('input[name="subject"]')["value"] == "One too many"


def test_rate_limit_counts_per_address(client, support_page, tight_limits):
    for number in range(2):
        client.post(support_page.url, ticket_data(subject=f"Request {number}"))

    response = client.post(support_page.url, ticket_data(subject="From elsewhere"), REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 302
    assert Ticket.objects.filter(subject="From elsewhere").exists()


def test_third_reply_in_the_window_is_refused(client, support_page, ticket, requester, tight_limits):
    client.force_login(requester)
    reply_url = route(support_page, "reply", number=ticket.number)
    for number in range(2):
        assert client.post(reply_url, {"body": f"More details {number}"}).status_code == 302

    response = client.post(reply_url, {"body": "And more"})

    assert response.status_code == 429
    assert "Too many requests from your address" in text(response)
    assert not ticket.messages.filter(body="And more").exists()
    assert ticket.messages.count() == 3


def test_third_link_request_in_the_window_is_refused(client, support_page, anon_ticket, tight_limits):
    find_url = route(support_page, "find_tickets")
    for _ in range(2):
        client.post(find_url, {"email": "ann@example.com"})
    sent = len(mail.outbox)

    response = client.post(find_url, {"email": "ann@example.com"})

    assert "Too many requests from your address" in text(response)
    assert len(mail.outbox) == sent


# My tickets --------------------------------------------------------------------------------------------


@pytest.fixture
def my_tickets(requester, other_requester, agent, category):
    """Rita's tickets in every status (3 open, 2 pending, 1 closed), and one of Otto's."""
    tickets = {
        "open bug": make_ticket(requester, "Open bug", category=category, kind=Ticket.Kind.BUG),
        "open question": make_ticket(requester, "Open question", category=category),
        "open billing": make_ticket(requester, "Open billing", category=category, kind=Ticket.Kind.BILLING),
        "pending bug": make_ticket(requester, "Pending bug", Ticket.Status.PENDING, agent=agent, category=category, kind=Ticket.Kind.BUG),
        "pending question": make_ticket(requester, "Pending question", Ticket.Status.PENDING, agent=agent, category=category),
        "closed question": make_ticket(requester, "Closed question", Ticket.Status.CLOSED, category=category),
    }
    make_ticket(other_requester, "Otto's own ticket", category=category, kind=Ticket.Kind.BUG)
    return tickets


def test_anonymous_list_offers_to_find_tickets_and_shows_none(client, support_page, ticket):
    response = client.get(route(support_page, "tickets"))

    assert response.status_code == 200
    assert soup(response).select_one('form.ws-find input[name="email"]') is not None
    assert soup(response).select("table.ws-table") == []
    assert "Cannot log in" not in text(response)
    login = soup(response).select_one('.ws-panel a[href^="/accounts/login/"]')
    assert login["href"] == "/accounts/login/?next=/support/tickets/"


def test_list_tabs_count_each_status(client, support_page, requester, my_tickets):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"))

    assert response.status_code == 200
    assert tab_counts(response) == {"All": 6, "Open": 3, "Awaiting your reply": 2, "Closed": 1}
    assert sorted(listed_subjects(response)) == sorted(t.subject for t in my_tickets.values())
    assert "Otto's own ticket" not in text(response)
    current = soup(response).select_one('nav.ws-tabs a[aria-current="page"]')
    assert current.find(string=True, recursive=False).strip() == "All"


@pytest.mark.parametrize(
    "status, expected",
    [
        ("open", {"Open bug", "Open question", "Open billing"}),
        ("pending", {"Pending bug", "Pending question"}),
        ("closed", {"Closed question"}),
    ],
)
def test_each_tab_lists_its_tickets(client, support_page, requester, my_tickets, status, expected):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"status": status})

    assert set(listed_subjects(response)) == expected
    # The counts of the other tabs stay visible.
    assert tab_counts(response) == {"All": 6, "Open": 3, "Awaiting your reply": 2, "Closed": 1}
    current = soup(response).select_one('nav.ws-tabs a[aria-current="page"]')
    assert current["href"] == f"?status={status}"


def test_unknown_tab_shows_everything(client, support_page, requester, my_tickets):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"status": "deleted"})

    assert response.status_code == 200
    assert len(listed_subjects(response)) == 6


def test_list_shows_tickets_where_the_visitor_is_beneficiary(client, support_page, requester, other_requester):
    factories.open_ticket(other_requester, subject="Laptop for Rita", beneficiary=requester)
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"))

    assert listed_subjects(response) == ["Laptop for Rita"]


def test_list_filters_by_kind_and_counts_follow(client, support_page, requester, my_tickets):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"kind": "bug"})

    assert set(listed_subjects(response)) == {"Open bug", "Pending bug"}
    assert tab_counts(response) == {"All": 2, "Open": 1, "Awaiting your reply": 1, "Closed": 0}
    # Tabs keep the filter.
    pending_tab = soup(response).select("nav.ws-tabs a.ws-tab")[2]
    pending = client.get(route(support_page, "tickets") + pending_tab["href"].replace("&amp;", "&"))
    assert listed_subjects(pending) == ["Pending bug"]


def test_kind_and_tab_combined(client, support_page, requester, my_tickets):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"kind": "question", "status": "pending"})

    assert listed_subjects(response) == ["Pending question"]


@pytest.fixture
def dated_tickets(requester, category):
    """Rita's tickets created now, 8 days ago and 40 days ago."""
    now = timezone.now()
    tickets = {
        "today": make_ticket(requester, "Created today", category=category),
        "8 days": make_ticket(requester, "Created 8 days ago", category=category),
        "40 days": make_ticket(requester, "Created 40 days ago", category=category),
    }
    Ticket.objects.filter(pk=tickets["8 days"].pk).update(created_at=now - datetime.timedelta(days=8))
    Ticket.objects.filter(pk=tickets["40 days"].pk).update(created_at=now - datetime.timedelta(days=40))
    return tickets


@pytest.mark.parametrize(
    "period, expected",
    [
        ("", {"Created today", "Created 8 days ago", "Created 40 days ago"}),
        ("today", {"Created today"}),
        # The week starts on Monday: 8 days ago is always before it.
        ("week", {"Created today"}),
    ],
)
def test_list_filters_by_period(client, support_page, requester, dated_tickets, period, expected):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"period": period})

    assert set(listed_subjects(response)) == expected
    assert tab_counts(response)["All"] == len(expected)


def test_list_filters_by_this_month(client, support_page, requester, dated_tickets):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"), {"period": "month"})

    subjects = set(listed_subjects(response))
    assert "Created today" in subjects
    assert "Created 40 days ago" not in subjects
    # 8 days ago is in this month only from the 9th on.
    in_month = (timezone.localtime() - datetime.timedelta(days=8)).month == timezone.localtime().month
    assert ("Created 8 days ago" in subjects) == in_month


def test_list_filters_by_custom_range(client, support_page, requester, dated_tickets):
    client.force_login(requester)
    today = timezone.localdate()

    response = client.get(
        route(support_page, "tickets"),
        {
            "period": "custom",
            "date_from": (today - datetime.timedelta(days=15)).isoformat(),
            "date_to": (today - datetime.timedelta(days=5)).isoformat(),
        },
    )

    assert listed_subjects(response) == ["Created 8 days ago"]
    assert tab_counts(response) == {"All": 1, "Open": 1, "Awaiting your reply": 0, "Closed": 0}
    # The chosen dates stay in the filter form.
    assert soup(response).select_one('input[name="date_from"]')["value"] == (today - datetime.timedelta(days=15)).isoformat()


def test_custom_range_includes_its_last_day(client, support_page, requester, dated_tickets):
    client.force_login(requester)
    today = timezone.localdate()

    response = client.get(
        route(support_page, "tickets"), {"period": "custom", "date_from": today.isoformat(), "date_to": today.isoformat()}
    )

    assert listed_subjects(response) == ["Created today"]


def test_custom_range_ending_before_it_starts_is_ignored_with_an_error(client, support_page, requester, dated_tickets):
    client.force_login(requester)
    today = timezone.localdate()

    response = client.get(
        route(support_page, "tickets"),
        {
            "period": "custom",
            "date_from": today.isoformat(),
            "date_to": (today - datetime.timedelta(days=30)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert len(listed_subjects(response)) == 3
    assert field_errors(response, "date_to") == ["The end date is before the start date."]


def test_invalid_range_keeps_the_other_filters(client, support_page, requester, my_tickets):
    client.force_login(requester)
    today = timezone.localdate()

    response = client.get(
        route(support_page, "tickets"),
        {
            "kind": "bug",
            "period": "custom",
            "date_from": today.isoformat(),
            "date_to": (today - datetime.timedelta(days=30)).isoformat(),
        },
    )

    assert field_errors(response, "date_to") == ["The end date is before the start date."]
    assert soup(response).select_one('select[name="kind"] option[selected]')["value"] == "bug"
    assert set(listed_subjects(response)) == {"Open bug", "Pending bug"}


def test_list_pages(client, support_page, requester, settings, category):
    settings.WAGTAILSUPPORT_TICKETS_PER_PAGE = 2
    for number in range(5):
        make_ticket(requester, f"Ticket {number}", category=category)
    client.force_login(requester)

    first = client.get(route(support_page, "tickets"))

    # Most recently updated first.
    assert listed_subjects(first) == ["Ticket 4", "Ticket 3"]
    assert "Page 1 of 3" in text(first)
    assert tab_counts(first)["All"] == 5
    assert soup(first).select_one('a[rel="prev"]') is None
    next_link = soup(first).select_one('a[rel="next"]')["href"]
    assert next_link == "?page=2"

    second = client.get(route(support_page, "tickets") + next_link)
    assert listed_subjects(second) == ["Ticket 2", "Ticket 1"]
    assert "Page 2 of 3" in text(second)

    last = client.get(route(support_page, "tickets"), {"page": 3})
    assert listed_subjects(last) == ["Ticket 0"]
    assert soup(last).select_one('a[rel="next"]') is None

    # A page number out of range shows the last page rather than an error.
    assert listed_subjects(client.get(route(support_page, "tickets"), {"page": 99})) == ["Ticket 0"]


def test_paging_keeps_the_filters(client, support_page, requester, settings, category):
    settings.WAGTAILSUPPORT_TICKETS_PER_PAGE = 2
    for number in range(3):
        make_ticket(requester, f"Bug {number}", category=category, kind=Ticket.Kind.BUG)
    make_ticket(requester, "A question", category=category)
    client.force_login(requester)

    first = client.get(route(support_page, "tickets"), {"kind": "bug", "status": "open"})
    next_link = soup(first).select_one('a[rel="next"]')["href"]
    second = client.get(route(support_page, "tickets") + next_link)

    assert listed_subjects(second) == ["Bug 0"]


def test_list_links_to_each_ticket(client, support_page, requester, ticket):
    client.force_login(requester)

    response = client.get(route(support_page, "tickets"))

    link = soup(response).select_one("table.ws-table tbody a")
    assert link.get_text(strip=True) == ticket.reference
    assert link["href"] == route(support_page, "ticket", number=ticket.number)


# The ticket page ----------------------------------------------------------------------------------------


def test_ticket_page_shows_the_ticket_and_its_public_conversation(
    client, support_page, requester, agent, category
):
    ticket = factories.open_ticket(
        requester,
        subject="Cannot log in",
        description="The login page says my password is wrong.",
        category=category,
        kind=Ticket.Kind.TECHNICAL,
        priority=Ticket.Priority.URGENT,
    )
    workflow.reply(
        ticket,
        by=agent,
        body="Which browser do you use?",
        attachments=[txt_file("steps.txt", "1. Clear the cache\n2. Try again\n")],
    )
    workflow.reply(ticket, by=agent, body="SECRET: her account was locked by fraud detection", internal=True)
    workflow.reply(ticket, by=requester, body="Firefox, on Linux.")
    ticket.refresh_from_db()
    client.force_login(requester)

    response = client.get(route(support_page, "ticket", number=ticket.number))

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".ws-ticket__reference").get_text(strip=True) == ticket.reference
    assert page.select_one("h1#ws-ticket-title").get_text(strip=True) == "Cannot log in"
    shown = facts(response)
    assert shown["Status"] == "Open"
    assert shown["Type"] == "Technical"
    assert shown["Priority"] == "Urgent"
    assert datetime.datetime.fromisoformat(shown["Opened"]) == ticket.created_at
    assert datetime.datetime.fromisoformat(shown["Updated"]) == ticket.updated_at
    assert "Closed" not in shown

    steps = Attachment.objects.get(filename="steps.txt")
    assert conversation(response) == [
        {
            "author": "Rita Requester",
            "role": "Requester",
            "body": "The login page says my password is wrong.",
            "attachments": [],
        },
        {
            "author": "Alice Agent",
            "role": "Support team",
            "body": "Which browser do you use?",
            "attachments": [(f"/support-files/attachments/{steps.pk}/", "steps.txt")],
        },
        {"author": "Rita Requester", "role": "Requester", "body": "Firefox, on Linux.", "attachments": []},
    ]
    assert "SECRET" not in html(response)
    assert "fraud detection" not in html(response)
    # The reply form and the close button are there; no reopen button on an open ticket.
    assert page.select_one('form[action$="/reply/#reply"] textarea[name="body"]') is not None
    assert page.select_one('form[action$="/reply/#reply"] input[name="attachments"]') is not None
    assert page.select_one('button[value="close"]') is not None
    assert page.select_one('button[value="reopen"]') is None


def test_internal_note_attachment_is_not_listed(client, support_page, requester, agent, ticket):
    workflow.reply(ticket, by=agent, body="Internal: see log", internal=True, attachments=[txt_file("server.log.txt")])
    client.force_login(requester)

    response = client.get(route(support_page, "ticket", number=ticket.number))

    assert "server.log.txt" not in html(response)
    assert "Internal: see log" not in html(response)
    assert len(conversation(response)) == 1


def test_visitor_text_keeps_line_breaks_and_links(client, support_page, requester, category):
    ticket = factories.open_ticket(
        requester, subject="Docs", description="Line one\nLine two\n\nSee https://example.com/help", category=category
    )
    client.force_login(requester)

    response = client.get(route(support_page, "ticket", number=ticket.number))

    body = soup(response).select_one(".ws-entry__body")
    assert len(body.select("p")) == 2
    assert body.select_one("br") is not None
    link = body.select_one("a")
    assert link["href"] == "https://example.com/help"
    assert "nofollow" in link["rel"]


def test_reply_with_an_attachment(client, support_page, requester, ticket, agent, django_capture_on_commit_callbacks):
    workflow.set_pending(ticket, by=agent)
    client.force_login(requester)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            route(support_page, "reply", number=ticket.number),
            {"body": "Here is the screenshot.", "attachments": [png_file("error.png"), pdf_file()]},
        )

    assert response.status_code == 302
    assert response["Location"] == route(support_page, "ticket", number=ticket.number) + "#latest"
    message = ticket.messages.latest("pk")
    assert message.body == "Here is the screenshot."
    assert message.author_user == requester
    assert message.author_role == Message.AuthorRole.REQUESTER
    assert [a.filename for a in message.attachments.order_by("pk")] == ["error.png", "invoice.pdf"]
    ticket.refresh_from_db()
    # Answering a ticket that waited on the requester opens it again.
    assert ticket.status == Ticket.Status.OPEN
    # The agent of the team hears about it.
    assert mails_to("agent@example.com")

    page = client.get(response["Location"])
    assert "Your message was sent." in flash_messages(page)
    assert facts(page)["Status"] == "Open"
    latest = conversation(page)[-1]
    assert latest["body"] == "Here is the screenshot."
    assert [name for _, name in latest["attachments"]] == ["error.png", "invoice.pdf"]


def test_reply_with_only_an_attachment(client, support_page, requester, ticket):
    client.force_login(requester)

    response = client.post(route(support_page, "reply", number=ticket.number), {"body": "", "attachments": [txt_file()]})

    assert response.status_code == 302
    assert ticket.messages.latest("pk").attachments.get().filename == "error-log.txt"


def test_empty_reply_is_refused_with_a_clear_message(client, support_page, requester, ticket):
    client.force_login(requester)

    response = client.post(route(support_page, "reply", number=ticket.number), {"body": "   "})

    assert response.status_code == 400
    assert "Write a message or attach a file." in text(response)
    assert ticket.messages.count() == 1


def test_reply_error_keeps_the_text_not_the_refused_file(client, support_page, requester, ticket, settings):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 10
    client.force_login(requester)

    response = client.post(
        route(support_page, "reply", number=ticket.number),
        {"body": "My long explanation", "attachments": [txt_file("big.txt", "x" * 50)]},
    )

    assert response.status_code == 400
    assert soup(response).select_one('textarea[name="body"]').get_text().strip() == "My long explanation"
    assert soup(response).select("[data-ws-kept] li") == []
    assert any("big.txt is too large" in error for error in field_errors(response, "attachments"))
    assert ticket.messages.count() == 1


def test_close_the_ticket(client, support_page, requester, ticket):
    client.force_login(requester)

    response = client.post(route(support_page, "close", number=ticket.number))

    assert response.status_code == 302
    assert response["Location"] == route(support_page, "ticket", number=ticket.number)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.close_reason == Ticket.CloseReason.CLOSED_BY_REQUESTER
    page = client.get(response["Location"])
    assert "Your ticket is closed." in flash_messages(page)
    assert facts(page)["Status"] == "Closed"
    assert "Closed" in facts(page)
    assert soup(page).select_one('button[value="reopen"]') is not None
    assert soup(page).select_one('button[value="close"]') is None


def test_closing_a_closed_ticket_says_so(client, support_page, requester, ticket):
    workflow.close_by_requester(ticket, by=requester)
    client.force_login(requester)

    response = client.post(route(support_page, "close", number=ticket.number), follow=True)

    assert "This ticket is already closed." in flash_messages(response)


def test_reopen_the_ticket(client, support_page, requester, ticket):
    workflow.close_by_requester(ticket, by=requester)
    client.force_login(requester)

    response = client.post(route(support_page, "reopen", number=ticket.number))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.closed_at is None
    page = client.get(response["Location"])
    assert "Your ticket is open again." in flash_messages(page)
    assert facts(page)["Status"] == "Open"


def test_reply_to_a_closed_ticket_reopens_it(client, support_page, requester, ticket):
    workflow.close_by_requester(ticket, by=requester)
    client.force_login(requester)

    client.post(route(support_page, "reply", number=ticket.number), {"body": "It is broken again."})

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.messages.latest("pk").body == "It is broken again."


def test_reopen_refused_outside_the_window(client, support_page, requester, ticket, settings):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 3
    workflow.close_by_requester(ticket, by=requester)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - datetime.timedelta(days=4))
    client.force_login(requester)

    response = client.post(route(support_page, "reopen", number=ticket.number))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    page = client.get(response["Location"])
    assert f"Ticket {ticket.reference} was closed more than 3 days ago. Please open a new ticket." in flash_messages(page)
    assert "It was closed too long ago to be reopened. Please open a new ticket." in text(page)
    assert soup(page).select_one('button[value="reopen"]') is None
    assert soup(page).select_one('textarea[name="body"]') is None

    # A reply cannot sneak it open either.
    refused = client.post(route(support_page, "reply", number=ticket.number), {"body": "Please reopen"})
    assert refused.status_code == 400
    assert "It was closed too long ago to be reopened. Please open a new ticket." in text(refused)
    assert not ticket.messages.filter(body="Please reopen").exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_reopen_allowed_inside_the_window(client, support_page, requester, ticket, settings):
    settings.WAGTAILSUPPORT_REOPEN_WINDOW_DAYS = 3
    workflow.close_by_requester(ticket, by=requester)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - datetime.timedelta(days=2))
    client.force_login(requester)

    client.post(route(support_page, "reopen", number=ticket.number))

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_login_after_a_refused_reply_leads_back_to_the_ticket(client, support_page, requester, ticket):
    """A visitor whose link expired sends a reply, is asked to log in, logs in: they see their ticket."""
    response = client.post(route(support_page, "reply", number=ticket.number), {"body": "Still broken"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    next_url = response["Location"].split("next=", 1)[1].replace("%2F", "/")

    client.force_login(requester)
    after_login = client.get(next_url)

    assert after_login.status_code == 200
    assert "Cannot log in" in text(after_login)


def test_resolved_ticket_shows_the_solution(client, support_page, requester, ticket, agent, resolution_code):
    workflow.resolve(ticket, code=resolution_code, solution="Your password was reset.", by=agent)
    client.force_login(requester)

    response = client.get(route(support_page, "ticket", number=ticket.number))

    solution = soup(response).select_one("section.ws-solution")
    assert "Fixed" in solution.get_text()
    assert "Your password was reset." in solution.get_text()


def test_beneficiary_sees_and_answers_the_ticket(client, support_page, requester, other_requester):
    ticket = factories.open_ticket(requester, subject="Laptop for Otto", beneficiary=other_requester)
    client.force_login(other_requester)

    page = client.get(route(support_page, "ticket", number=ticket.number))
    assert page.status_code == 200
    client.post(route(support_page, "reply", number=ticket.number), {"body": "Thanks, I am Otto."})

    entry = conversation(client.get(route(support_page, "ticket", number=ticket.number)))[-1]
    assert entry == {"author": "Otto Other", "role": "Beneficiary", "body": "Thanks, I am Otto.", "attachments": []}


# Signed links -------------------------------------------------------------------------------------------


def test_signed_link_opens_the_ticket_for_an_anonymous_visitor(client, support_page, anon_ticket, agent):
    workflow.reply(anon_ticket, by=agent, body="Please send the invoice number.", attachments=[pdf_file("form.pdf")])
    attachment = Attachment.objects.get(filename="form.pdf")

    open_with_link(client, support_page, anon_ticket)
    response = client.get(route(support_page, "ticket", number=anon_ticket.number))

    assert response.status_code == 200
    assert "Invoice missing" in text(response)
    assert [entry["author"] for entry in conversation(response)] == ["Ann Onymous", "Alice Agent"]

    downloaded, content = download(client, attachment)
    assert downloaded.status_code == 200
    assert content == PDF_BYTES

    replied = client.post(
        route(support_page, "reply", number=anon_ticket.number),
        {"body": "It is INV-2024-03.", "attachments": [png_file()]},
    )
    assert replied.status_code == 302
    message = anon_ticket.messages.latest("pk")
    assert message.body == "It is INV-2024-03."
    assert message.author_user is None
    assert message.author_name == "Ann Onymous"
    assert message.author_email == "ann@example.com"
    assert message.author_role == Message.AuthorRole.REQUESTER
    # Her own attachment is hers to download as well.
    assert download(client, message.attachments.get())[0].status_code == 200


def test_signed_link_lets_the_visitor_close_and_reopen(client, support_page, anon_ticket):
    open_with_link(client, support_page, anon_ticket)

    client.post(route(support_page, "close", number=anon_ticket.number))
    anon_ticket.refresh_from_db()
    assert anon_ticket.status == Ticket.Status.CLOSED

    client.post(route(support_page, "reopen", number=anon_ticket.number))
    anon_ticket.refresh_from_db()
    assert anon_ticket.status == Ticket.Status.OPEN


def test_signed_link_sent_to_the_beneficiary_answers_as_beneficiary(client, support_page, anon_ticket):
    ticket = factories.open_ticket(
        requester_name="Boss",
        requester_email="boss@example.com",
        beneficiary_name="Ben Eficiary",
        beneficiary_email="ben@example.com",
        subject="New laptop for Ben",
    )

    open_with_link(client, support_page, ticket, email="ben@example.com")
    client.post(route(support_page, "reply", number=ticket.number), {"body": "Ben here."})

    message = ticket.messages.latest("pk")
    assert message.author_role == Message.AuthorRole.BENEFICIARY
    assert message.author_email == "ben@example.com"


def test_expired_link_is_refused(client, support_page, anon_ticket, settings, monkeypatch):
    settings.WAGTAILSUPPORT_LINK_MAX_AGE = 3600
    real_time = time.time()
    with monkeypatch.context() as patch:
        # The link was made two hours ago.
        patch.setattr(time, "time", lambda: real_time - 7200)
        token = access.make_link_token(anon_ticket)

    response = client.get(route(support_page, "ticket", number=anon_ticket.number) + f"?t={token}")

    assert response.status_code == 404
    assert "This link does not work" in text(response)
    assert "Invoice missing" not in html(response)
    assert "Ann Onymous" not in html(response)
    # Nothing was kept: the clean address asks for a login.
    after = client.get(route(support_page, "ticket", number=anon_ticket.number))
    assert after.status_code == 302
    assert after["Location"].startswith("/accounts/login/")


def test_link_still_valid_just_before_it_expires(client, support_page, anon_ticket, settings, monkeypatch):
    settings.WAGTAILSUPPORT_LINK_MAX_AGE = 3600
    real_time = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real_time - 3500)
        token = access.make_link_token(anon_ticket)

    response = client.get(route(support_page, "ticket", number=anon_ticket.number) + f"?t={token}", follow=True)

    assert response.status_code == 200
    assert "Invoice missing" in text(response)


def test_expired_link_in_the_session_stops_working(client, support_page, anon_ticket, settings, monkeypatch):
    settings.WAGTAILSUPPORT_LINK_MAX_AGE = 3600
    open_with_link(client, support_page, anon_ticket)
    real_time = time.time()
    monkeypatch.setattr(time, "time", lambda: real_time + 7200)

    response = client.get(route(support_page, "ticket", number=anon_ticket.number))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_tampered_link_is_refused_and_reveals_nothing(client, support_page, anon_ticket):
    token = access.make_link_token(anon_ticket)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    response = client.get(route(support_page, "ticket", number=anon_ticket.number) + f"?t={tampered}")

    assert response.status_code == 404
    assert "This link does not work" in text(response)
    assert "we will send you new links to your tickets" in text(response)
    assert soup(response).select_one('form.ws-find input[name="email"]') is not None
    assert "Invoice missing" not in html(response)
    assert "ann@example.com" not in html(response)
    assert anon_ticket.reference not in html(response)


def test_link_made_for_another_address_is_refused(client, support_page, anon_ticket):
    token = access.make_link_token(anon_ticket, "mallory@example.com")

    response = client.get(route(support_page, "ticket", number=anon_ticket.number) + f"?t={token}")

    assert response.status_code == 404
    assert "Invoice missing" not in html(response)


# Find my tickets ---------------------------------------------------------------------------------------


def _normalise(response, email):
    """The page without what legitimately differs between two requests: the address and CSRF tokens."""
    content = html(response).replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', content)


def test_find_my_tickets_mails_links_to_every_ticket_of_the_address(
    client, support_page, anon_ticket, requester, django_capture_on_commit_callbacks
):
    for_ann = factories.open_ticket(
        requester, subject="Access card for Ann", beneficiary_name="Ann Onymous", beneficiary_email="ann@example.com"
    )
    factories.open_ticket(requester_name="Zed", requester_email="zed@example.com", subject="Zed's own problem")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(route(support_page, "find_tickets"), {"email": "Ann@Example.com"})

    assert response.status_code == 200
    assert "If tickets were opened with Ann@Example.com, a mail with the links to them is on its way" in text(response)
    (links_mail,) = mail.outbox
    assert links_mail.to == ["ann@example.com"]
    assert anon_ticket.reference in links_mail.body
    assert for_ann.reference in links_mail.body
    assert "Zed" not in links_mail.body
    links = [link for link in re.findall(r"https?://\S+", links_mail.body) if "?t=" in link]
    assert sorted(urlsplit(link).path for link in links) == sorted(
        route(support_page, "ticket", number=t.number) for t in (anon_ticket, for_ann)
    )

    # Each link opens its ticket in a fresh browser.
    from django.test import Client

    subjects = {route(support_page, "ticket", number=t.number): t.subject for t in (anon_ticket, for_ann)}
    for link in links:
        parts = urlsplit(link)
        opened = Client().get(f"{parts.path}?{parts.query}", follow=True)
        assert opened.status_code == 200
        assert subjects[parts.path] in text(opened)


def test_find_my_tickets_answers_the_same_for_an_unknown_address(
    client, support_page, anon_ticket, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(route(support_page, "find_tickets"), {"email": "ann@example.com"})
    assert len(mail.outbox) == 1
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(route(support_page, "find_tickets"), {"email": "nobody@example.com"})

    assert mail.outbox == []
    assert unknown.status_code == known.status_code == 200
    assert "If tickets were opened with nobody@example.com" in text(unknown)
    assert _normalise(unknown, "nobody@example.com") == _normalise(known, "ann@example.com")


def test_find_my_tickets_with_an_invalid_address(client, support_page, anon_ticket):
    mail.outbox.clear()

    response = client.post(route(support_page, "find_tickets"), {"email": "ann at example"})

    assert response.status_code == 200
    assert field_errors(response, "email") == ["Enter a valid email address."]
    assert mail.outbox == []


def test_find_my_tickets_honeypot(client, support_page, anon_ticket):
    mail.outbox.clear()

    response = client.post(route(support_page, "find_tickets"), {"email": "ann@example.com", "website": "x"})

    assert "Your request could not be sent. Please try again." in text(response)
    assert mail.outbox == []


def test_find_my_tickets_on_get_goes_to_the_list(client, support_page):
    response = client.get(route(support_page, "find_tickets"))

    assert response.status_code == 302
    assert response["Location"] == route(support_page, "tickets")


# Never cached ----------------------------------------------------------------------------------------------


def _assert_private(response):
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control, cache_control
    assert "private" in cache_control, cache_control


def test_every_route_is_private_and_never_stored(client, support_page, anon_ticket, requester, ticket):
    responses = {"form (anonymous)": client.get(support_page.url)}
    responses["invalid submission"] = client.post(support_page.url, ticket_data(subject=""))
    responses["submission"] = client.post(support_page.url, ticket_data())
    responses["confirmation"] = client.get(responses["submission"]["Location"])
    responses["list (anonymous)"] = client.get(route(support_page, "tickets"))
    responses["find"] = client.post(route(support_page, "find_tickets"), {"email": "ann@example.com"})
    responses["find (GET)"] = client.get(route(support_page, "find_tickets"))
    token = access.make_link_token(anon_ticket)
    responses["signed link"] = client.get(route(support_page, "ticket", number=anon_ticket.number) + f"?t={token}")
    responses["bad link"] = client.get(route(support_page, "ticket", number=anon_ticket.number) + "?t=nope")
    responses["ticket (link)"] = client.get(route(support_page, "ticket", number=anon_ticket.number))
    responses["reply"] = client.post(route(support_page, "reply", number=anon_ticket.number), {"body": "Hi"})
    responses["reply (invalid)"] = client.post(route(support_page, "reply", number=anon_ticket.number), {"body": ""})
    responses["reply (GET)"] = client.get(route(support_page, "reply", number=anon_ticket.number))
    responses["close"] = client.post(route(support_page, "close", number=anon_ticket.number))
    responses["reopen"] = client.post(route(support_page, "reopen", number=anon_ticket.number))
    responses["login prompt"] = client.get(route(support_page, "ticket", number=ticket.number))

    client.force_login(requester)
    responses["form (logged in)"] = client.get(support_page.url)
    responses["list (logged in)"] = client.get(route(support_page, "tickets"), {"status": "open"})
    responses["ticket (account)"] = client.get(route(support_page, "ticket", number=ticket.number))

    assert responses["confirmation"].status_code == 200
    assert responses["ticket (link)"].status_code == 200
    assert responses["ticket (account)"].status_code == 200
    for name, response in responses.items():
        try:
            _assert_private(response)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
