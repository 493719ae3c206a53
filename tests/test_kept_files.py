"""Files a visitor doesn't lose: the files chosen on a form that comes back with an error are kept.

They are held in the private attachment storage against the form's one-time token, listed back by name and
size with a box to remove each, and attached when the form is finally sent; the same checks as any upload
apply when they are first received. Only a post carrying the token reaches them, they are never served,
and the abandoned ones are removed after a day. Through the real pages, storage, workflow and database.
"""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.html_helpers import field_errors, soup, text
from wagtail_support import submissions
from wagtail_support.models import Attachment, PendingUpload, Ticket
from wagtail_support.storage import attachment_storage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits(empty_cache):
    """Each test starts with no request counted against its address."""


def route(page, name, **kwargs):
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def png_bytes(color="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), color).save(buffer, format="PNG")
    return buffer.getvalue()


def png_file(name="screenshot.png", color="red"):
    return SimpleUploadedFile(name, png_bytes(color), "image/png")


def txt_file(name="console.txt", content="TypeError: cart is undefined\n"):
    return SimpleUploadedFile(name, content.encode(), "text/plain")


def ticket_data(**overrides):
    data = {
        "name": "Ann Onymous",
        "email": "ann@example.com",
        "subject": "The export button does nothing",
        "description": "I click Export and nothing happens.",
        "kind": Ticket.Kind.BUG,
        "priority": Ticket.Priority.HIGH,
    }
    data.update(overrides)
    return data


def token_of(response):
    return soup(response).select_one(f'input[name="{submissions.TOKEN_FIELD}"]')["value"]


def kept_listed(response):
    """(name, size shown, remove box value) of each kept file listed on the page."""
    found = []
    for item in soup(response).select("[data-ws-kept] li"):
        box = item.select_one(f'input[type=checkbox][name="{submissions.REMOVE_FIELD}"]')
        found.append(
            (
                item.select_one(".ws-file-list__name").get_text(strip=True),
                item.select_one(".ws-file-list__size").get_text(strip=True),
                box["value"] if box else None,
            )
        )
    return found


def test_a_file_chosen_on_a_form_with_an_error_is_kept_and_attached_when_the_form_is_sent(
    client, support_page, django_capture_on_commit_callbacks
):
    token = token_of(client.get(support_page.url))
    failed = client.post(support_page.url, ticket_data(form_token=token, subject="", attachments=[png_file()]))

    assert failed.status_code == 200
    assert field_errors(failed, "subject") == ["This field is required."]
    listed = kept_listed(failed)
    assert [(name, size) for name, size, _box in listed] == [("screenshot.png", filesizeformat(len(png_bytes())))]
    assert listed[0][2], "each kept file has a box to remove it"
    assert "Files kept from your last try" in text(failed)
    pending = PendingUpload.objects.get()
    assert pending.token == token
    assert attachment_storage().exists(pending.file.name)
    # Kept in the private storage, and its stored name never reaches the page.
    assert pending.file.name not in failed.content.decode()
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(support_page.url, ticket_data(form_token=token))

    assert sent.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.message.ticket == Ticket.objects.get()
    assert (attachment.filename, attachment.content_type) == ("screenshot.png", "image/png")
    with attachment.file.open("rb") as handle:
        assert handle.read() == png_bytes()
    # Copied onto the message: the kept file and its row are gone.
    assert not PendingUpload.objects.exists()
    assert not attachment_storage().exists(pending.file.name)


def test_kept_files_come_first_and_new_ones_are_added(client, support_page, django_capture_on_commit_callbacks):
    token = token_of(client.get(support_page.url))
    client.post(support_page.url, ticket_data(form_token=token, subject="", attachments=[png_file("first.png")]))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, ticket_data(form_token=token, attachments=[txt_file("second.txt")]))

    assert list(Attachment.objects.order_by("pk").values_list("filename", flat=True)) == ["first.png", "second.txt"]


def test_a_kept_file_ticked_for_removal_is_not_sent(client, support_page, django_capture_on_commit_callbacks):
    token = token_of(client.get(support_page.url))
    failed = client.post(
        support_page.url,
        ticket_data(form_token=token, subject="", attachments=[png_file("keep.png"), txt_file("drop.txt")]),
    )
    boxes = {name: box for name, _size, box in kept_listed(failed)}
    assert set(boxes) == {"keep.png", "drop.txt"}
    dropped = PendingUpload.objects.get(name="drop.txt")

    # Removed along with another mistake: the list shows what is left.
    again = client.post(
        support_page.url,
        ticket_data(form_token=token, description="", **{submissions.REMOVE_FIELD: [boxes["drop.txt"]]}),
    )
    assert [name for name, _size, _box in kept_listed(again)] == ["keep.png"]
    assert not attachment_storage().exists(dropped.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, ticket_data(form_token=token))
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["keep.png"]


def test_kept_files_are_reached_only_with_their_token(client, support_page, django_capture_on_commit_callbacks):
    from django.test import Client

    owner_token = token_of(client.get(support_page.url))
    client.post(support_page.url, ticket_data(form_token=owner_token, subject="", attachments=[png_file("private.png")]))
    pending = PendingUpload.objects.get()

    # Someone else names the kept file's id, to remove it or to have it sent with their own ticket.
    intruder = Client()
    their_token = token_of(intruder.get(support_page.url))
    with django_capture_on_commit_callbacks(execute=True):
        response = intruder.post(
            support_page.url,
            ticket_data(email="mallory@example.com", form_token=their_token, **{submissions.REMOVE_FIELD: [str(pending.pk)]}),
        )

    assert response.status_code == 302
    assert Attachment.objects.count() == 0
    assert PendingUpload.objects.filter(pk=pending.pk).exists()
    assert attachment_storage().exists(pending.file.name)
    # The owner still has it.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, ticket_data(form_token=owner_token))
    assert Attachment.objects.get().message.ticket.requester_email == "ann@example.com"


def test_a_refused_file_is_not_kept_and_the_good_one_is(client, support_page, settings):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 100
    token = token_of(client.get(support_page.url))

    response = client.post(
        support_page.url,
        ticket_data(
            form_token=token,
            attachments=[
                png_file("fine.png"),
                SimpleUploadedFile("page.png", b"<html><script>alert(1)</script></html>", "image/png"),
                txt_file("big.txt", "x" * 500),
            ],
        ),
    )

    errors = " ".join(field_errors(response, "attachments"))
    assert "page.png is not a file type we accept" in errors
    assert "big.txt is too large" in errors
    assert [name for name, _size, _box in kept_listed(response)] == ["fine.png"]
    assert list(PendingUpload.objects.values_list("name", flat=True)) == ["fine.png"]


def test_no_more_files_are_kept_than_a_message_may_carry(
    client, support_page, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENTS_PER_MESSAGE = 2
    token = token_of(client.get(support_page.url))
    client.post(support_page.url, ticket_data(form_token=token, subject="", attachments=[png_file("a.png")]))
    client.post(
        support_page.url,
        ticket_data(form_token=token, subject="", attachments=[png_file("b.png", "blue"), png_file("c.png", "green")]),
    )
    assert sorted(PendingUpload.objects.values_list("name", flat=True)) == ["a.png", "b.png"]

    # Two kept and one more chosen: one too many for a message, said next to the field.
    refused = client.post(support_page.url, ticket_data(form_token=token, attachments=[png_file("d.png", "white")]))
    assert refused.status_code == 200
    assert "You can attach at most 2 files to a message." in " ".join(field_errors(refused, "attachments"))
    assert Ticket.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        client.post(support_page.url, ticket_data(form_token=token))
    assert sorted(Attachment.objects.values_list("filename", flat=True)) == ["a.png", "b.png"]


def test_a_reply_with_an_error_keeps_its_good_file(
    client, support_page, requester, ticket, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 100
    client.force_login(requester)
    page = client.get(route(support_page, "ticket", number=ticket.number))
    token = soup(page).select_one(f"form[action$='/reply/#reply'] input[name='{submissions.TOKEN_FIELD}']")["value"]

    failed = client.post(
        route(support_page, "reply", number=ticket.number),
        {"body": "Logs attached.", "attachments": [txt_file("small.txt"), txt_file("big.txt", "y" * 500)], "form_token": token},
    )
    assert failed.status_code == 400
    assert [name for name, _size, _box in kept_listed(failed)] == ["small.txt"]

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(route(support_page, "reply", number=ticket.number), {"body": "Logs attached.", "form_token": token})
    assert sent.status_code == 302
    message = ticket.messages.get(body="Logs attached.")
    assert list(message.attachments.values_list("filename", flat=True)) == ["small.txt"]


def test_kept_files_are_never_served(client, support_page):
    token = token_of(client.get(support_page.url))
    client.post(support_page.url, ticket_data(form_token=token, subject="", attachments=[png_file()]))
    pending = PendingUpload.objects.get()

    # The private storage has no public address, and the download view serves attachments only.
    with pytest.raises(ValueError):
        attachment_storage().url(pending.file.name)
    response = client.get(reverse("wagtail_support:attachment_download", args=[pending.pk]))
    assert response.status_code == 404


def test_abandoned_kept_files_are_removed_after_a_day(client, support_page):
    token = token_of(client.get(support_page.url))
    client.post(support_page.url, ticket_data(form_token=token, subject="", attachments=[png_file("old.png")]))
    old = PendingUpload.objects.get()
    PendingUpload.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))

    # Another visitor's kept file removes the abandoned one on the way.
    other = token_of(client.get(support_page.url))
    client.post(support_page.url, ticket_data(form_token=other, subject="", attachments=[png_file("new.png")]))

    assert list(PendingUpload.objects.values_list("name", flat=True)) == ["new.png"]
    assert not attachment_storage().exists(old.file.name)


def test_the_cleaning_command_removes_abandoned_files(client, support_page, capsys):
    token = token_of(client.get(support_page.url))
    client.post(support_page.url, ticket_data(form_token=token, subject="", attachments=[png_file()]))
    pending = PendingUpload.objects.get()

    call_command("support_clean_uploads")
    assert PendingUpload.objects.exists(), "a file chosen less than a day ago waits for its form"

    PendingUpload.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    call_command("support_clean_uploads")

    assert not PendingUpload.objects.exists()
    assert not attachment_storage().exists(pending.file.name)
    assert "1 abandoned file(s) removed" in capsys.readouterr().out


def test_the_browser_checks_read_the_limits_of_the_settings(client, support_page, settings):
    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 5 * 1024 * 1024
    settings.WAGTAILSUPPORT_MAX_ATTACHMENTS_PER_MESSAGE = 3
    settings.WAGTAILSUPPORT_ALLOWED_ATTACHMENT_TYPES = ["image/png", "application/pdf"]

    box = soup(client.get(support_page.url)).select_one("[data-ws-files]")

    assert box["data-max-size"] == str(5 * 1024 * 1024)
    assert box["data-max-count"] == "3"
    assert box["data-extensions"].split() == [".pdf", ".png"]
    assert box["data-types"].split() == ["image/png", "application/pdf"]
    assert "{name} is too large ({size}); the limit is 5.0\xa0MB per file." == box["data-refused-large"]
    assert box.select_one("input[type=file]")["name"] == "attachments"
