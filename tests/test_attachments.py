"""Attacks on attachments (invariants 2 and 3 of docs/architecture.md).

Files are stored through the workflow (``open_ticket`` and ``reply`` with ``attachments=``) and read
back through the download view at ``/support-files/attachments/<pk>/``, as a browser would.
"""

import io
import os

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from wagtail_support import access, workflow
from wagtail_support.models import Attachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NOTE_BYTES = b"internal: customer flagged, do not refund"


def _upload(name="report.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _named_file(name, content=b"plain text content\n"):
    """A file object that keeps whatever name it is given, directories included.

    A browser upload (``SimpleUploadedFile``) already loses its directory part in Django; the mail
    handler and management commands may hand the workflow other file objects, so the workflow must
    clean the name itself.
    """
    return ContentFile(content, name=name)


def _url(attachment_or_pk, token=None):
    pk = getattr(attachment_or_pk, "pk", attachment_or_pk)
    url = f"/support-files/attachments/{pk}/"
    return f"{url}?t={token}" if token else url


def _body(response):
    if response.streaming:
        # The test client closes the response once its content is read, as a WSGI server would.
        return b"".join(response.streaming_content)
    return response.content


def _storage_root():
    return os.path.realpath(django_settings.STORAGES["wagtail_support_attachments"]["OPTIONS"]["location"])


@pytest.fixture
def public_file(ticket, requester):
    """A PDF the requester attached to a reply on their ticket."""
    message = workflow.reply(ticket, by=requester, body="Here is the screenshot", attachments=[_upload()])
    return message.attachments.get()


@pytest.fixture
def internal_file(ticket, agent):
    """A file on an internal note of ``ticket``."""
    message = workflow.reply(
        ticket, by=agent, body="Internal findings", internal=True,
        attachments=[_upload("findings.txt", NOTE_BYTES, "text/plain")],
    )
    return message.attachments.get()


@pytest.fixture
def anon_file(anon_ticket, agent):
    """A public file the team sent to the anonymous requester."""
    message = workflow.reply(
        anon_ticket, by=agent, body="Your invoice", attachments=[_upload("invoice.pdf")]
    )
    return message.attachments.get()


def _not_found(client, pk):
    response = client.get(_url(pk))
    assert response.status_code == 404
    return _body(response)


def test_url_is_the_documented_one(public_file):
    assert reverse("wagtail_support:attachment_download", args=[public_file.pk]) == _url(public_file)


def test_requester_downloads_their_file_as_an_attachment(client, requester, public_file):
    client.force_login(requester)
    response = client.get(_url(public_file))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="report.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]
    assert _body(response) == PDF


def test_file_attached_when_opening_the_ticket_is_downloadable(client, requester, agent, category):
    png = _png()
    ticket = factories.open_ticket(requester, category=category, attachments=[_upload("error.png", png, "image/png")])
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.filename == "error.png"
    assert attachment.size == len(png)
    for user in (requester, agent):
        client.force_login(user)
        response = client.get(_url(attachment))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("attachment;")
        assert _body(response) == png


def test_team_agent_and_supervisor_download_a_public_file(client, agent, supervisor, public_file):
    for user in (agent, supervisor):
        client.force_login(user)
        response = client.get(_url(public_file))
        assert response.status_code == 200
        assert _body(response) == PDF


@pytest.mark.parametrize("who", ["other_requester", "outsider_agent"])
def test_someone_else_gets_404(client, request, who, public_file):
    client.force_login(request.getfixturevalue(who))
    response = client.get(_url(public_file))
    assert response.status_code == 404
    assert PDF not in _body(response)


def test_anonymous_gets_404(client, public_file, anon_file):
    for attachment in (public_file, anon_file):
        response = client.get(_url(attachment))
        assert response.status_code == 404
        assert PDF not in _body(response)


def test_inactive_requester_gets_404(client, requester, public_file):
    client.force_login(requester)
    requester.is_active = False
    requester.save()
    assert client.get(_url(public_file)).status_code == 404


def test_anonymous_with_a_valid_link_downloads_the_file(client, anon_ticket, anon_file):
    response = client.get(_url(anon_file, access.make_link_token(anon_ticket)))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(response) == PDF


def test_link_for_another_ticket_gets_404(client, ticket, anon_ticket, public_file, anon_file, category):
    second = factories.open_ticket(requester_name="Ann", requester_email="ann@example.com", category=category)
    for token in (access.make_link_token(ticket), access.make_link_token(second)):
        assert client.get(_url(anon_file, token)).status_code == 404
    # The link of the anonymous ticket does not open the account holder's file either.
    assert client.get(_url(public_file, access.make_link_token(anon_ticket))).status_code == 404


def test_forged_or_stale_link_gets_404(client, anon_ticket, anon_file):
    from django.core import signing
    from wagtail_support.models import Ticket

    token = access.make_link_token(anon_ticket)
    forged = signing.dumps({"t": anon_ticket.pk, "e": "ann@example.com"}, salt="other", compress=True)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "nonsense"):
        assert client.get(_url(anon_file, bad)).status_code == 404
    Ticket.objects.filter(pk=anon_ticket.pk).update(requester_email="someone-else@example.com")
    assert client.get(_url(anon_file, token)).status_code == 404


def test_internal_note_file_is_only_for_the_team(client, ticket, requester, agent, supervisor, outsider_agent,
                                                 internal_file):
    client.force_login(requester)
    response = client.get(_url(internal_file))
    assert response.status_code == 404
    assert NOTE_BYTES not in _body(response)

    client.logout()
    response = client.get(_url(internal_file, access.make_link_token(ticket)))
    assert response.status_code == 404
    assert NOTE_BYTES not in _body(response)

    client.force_login(outsider_agent)
    assert client.get(_url(internal_file)).status_code == 404

    for user in (agent, supervisor):
        client.force_login(user)
        response = client.get(_url(internal_file))
        assert response.status_code == 200
        assert _body(response) == NOTE_BYTES


def test_internal_note_file_is_404_for_the_link_holder_of_an_anonymous_ticket(client, anon_ticket, agent):
    note = workflow.reply(
        anon_ticket, by=agent, body="internal", internal=True, attachments=[_upload("n.txt", NOTE_BYTES, "text/plain")]
    )
    response = client.get(_url(note.attachments.get(), access.make_link_token(anon_ticket)))
    assert response.status_code == 404
    assert NOTE_BYTES not in _body(response)


def test_missing_and_forbidden_ids_give_the_same_404(client, other_requester, public_file, internal_file, requester):
    missing = Attachment.objects.order_by("-pk").first().pk + 1000
    for user in (None, other_requester, requester):
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        forbidden = internal_file if user is requester else public_file
        r_forbidden = client.get(_url(forbidden))
        r_missing = client.get(_url(missing))
        assert r_forbidden.status_code == r_missing.status_code == 404
        assert _body(r_forbidden) == _body(r_missing)
        assert r_forbidden["Content-Type"] == r_missing["Content-Type"]
        assert "Content-Disposition" not in r_forbidden


def test_file_missing_from_storage_is_a_404_not_a_server_error(client, requester, public_file):
    public_file.file.storage.delete(public_file.file.name)
    client.force_login(requester)
    assert client.get(_url(public_file)).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_is_allowed(client, requester, public_file, method):
    client.force_login(requester)
    response = getattr(client, method)(_url(public_file))
    assert response.status_code == 405
    assert PDF not in _body(response)
    # The file is still there and still served.
    assert Attachment.objects.filter(pk=public_file.pk).exists()
    assert _body(client.get(_url(public_file))) == PDF


def test_post_with_a_valid_link_is_refused_too(client, anon_ticket, anon_file):
    response = client.post(_url(anon_file, access.make_link_token(anon_ticket)))
    assert response.status_code == 405


def test_type_comes_from_the_content_not_from_the_browser(client, ticket, requester):
    message = workflow.reply(ticket, by=requester, body="see", attachments=[_upload("report.pdf", PDF, "text/html")])
    attachment = message.attachments.get()
    assert attachment.content_type == "application/pdf"
    client.force_login(requester)
    response = client.get(_url(attachment))
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("notes.txt", b"hello\n<script>alert(1)</script>"),
        ("fake.png", b"\x89PNG\r\n\x1a\nnot really a png"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
    ],
)
def test_markup_and_disguised_files_are_refused(ticket, requester, agent, name, content):
    before = ticket.messages.count()
    for by in (requester, agent):
        with pytest.raises(workflow.InvalidInput):
            workflow.reply(ticket, by=by, body="look at this", attachments=[_upload(name, content, "image/png")])
    assert ticket.messages.count() == before
    assert not Attachment.objects.exists()


# File names and storage -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\windows\\system32\\drivers\\etc\\hosts", "hosts.txt"),
        ("/etc/shadow", "shadow.txt"),
        ("../../../../tmp/evil.txt", "evil.txt"),
        ("<script>.png", "_script_.png.txt"),
        ('evil"; filename="x.exe', "evil_ filename_x.exe.txt"),
        ("a\x00b\x1bc\nd\r\ne.txt", "abc_d_e.txt"),
        ("report\u202egnp.exe", "report_gnp.exe.txt"),
        ("..", "attachment.txt"),
        (".htaccess", "htaccess.txt"),
        ("résumé.txt", "résumé.txt"),
    ],
)
def test_file_names_are_sanitised_on_storage(client, ticket, requester, sent, stored):
    message = workflow.reply(ticket, by=requester, body="file", attachments=[_named_file(sent)])
    attachment = message.attachments.get()
    assert attachment.filename == stored
    path = os.path.realpath(attachment.file.path)
    assert path.startswith(_storage_root() + os.sep)
    # wagtail_support/<year>/<month>/<random folder>/<name>: nothing climbs out, nothing nests deeper.
    parts = os.path.relpath(path, _storage_root()).split(os.sep)
    assert len(parts) == 5 and parts[0] == "wagtail_support" and ".." not in parts
    assert parts[-1] == stored.replace(" ", "_")  # the file system storage turns spaces into "_"
    assert "/" not in attachment.filename and "\\" not in attachment.filename

    client.force_login(requester)
    response = client.get(_url(attachment))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\n" not in disposition and "\r" not in disposition
    assert disposition.count("filename") <= 2  # filename and, for non-ASCII names, filename*
    assert _body(response) == b"plain text content\n"


def test_browser_upload_names_are_sanitised_too(client, ticket, requester):
    message = workflow.reply(
        ticket, by=requester, body="file", attachments=[_upload("<img src=x onerror=alert(1)>.pdf")]
    )
    attachment = message.attachments.get()
    assert attachment.filename == "_img src_x onerror_alert(1)_.pdf"
    client.force_login(requester)
    assert "<" not in client.get(_url(attachment))["Content-Disposition"]


def test_very_long_file_name_is_shortened_and_keeps_its_extension(client, ticket, requester):
    message = workflow.reply(
        ticket, by=requester, body="file", attachments=[_upload("a" * 400 + ".pdf")]
    )
    attachment = message.attachments.get()
    assert attachment.filename.endswith(".pdf")
    assert len(attachment.filename.encode()) < 255
    assert os.path.realpath(attachment.file.path).startswith(_storage_root() + os.sep)
    client.force_login(requester)
    assert _body(client.get(_url(attachment))) == PDF


def test_very_long_non_latin_file_name_is_stored(client, ticket, requester, category):
    # 120 CJK letters are 360 UTF-8 bytes: over the 255-byte name limit of Linux file systems.
    name = "請求書" * 100 + ".pdf"
    message = workflow.reply(ticket, by=requester, body="file", attachments=[_upload(name)])
    attachment = message.attachments.get()
    assert attachment.filename.startswith("請求書") and attachment.filename.endswith(".pdf")
    assert len(os.path.basename(attachment.file.path).encode()) <= 255
    opened = factories.open_ticket(requester, category=category, attachments=[_upload(name)])
    assert Attachment.objects.filter(message__ticket=opened).count() == 1
    client.force_login(requester)
    assert _body(client.get(_url(attachment))) == PDF


def test_two_files_with_the_same_name_never_overwrite_each_other(
    client, ticket, requester, other_requester, category
):
    others = factories.open_ticket(other_requester, category=category)
    mine_pdf, their_pdf = PDF + b"% mine\n", PDF + b"% theirs\n"
    mine = workflow.reply(ticket, by=requester, body="x", attachments=[_upload("scan.pdf", mine_pdf)])
    theirs = workflow.reply(others, by=other_requester, body="x", attachments=[_upload("scan.pdf", their_pdf)])
    mine, theirs = mine.attachments.get(), theirs.attachments.get()
    assert mine.filename == theirs.filename == "scan.pdf"
    assert mine.file.name != theirs.file.name
    client.force_login(requester)
    assert _body(client.get(_url(mine))) == mine_pdf
    assert client.get(_url(theirs)).status_code == 404


def test_files_are_not_under_media_root(ticket, requester, internal_file):
    public = workflow.reply(ticket, by=requester, body="x", attachments=[_upload()]).attachments.get()
    media_root = os.path.realpath(django_settings.MEDIA_ROOT)
    for attachment in (public, internal_file):
        path = os.path.realpath(attachment.file.path)
        assert os.path.exists(path)
        assert not path.startswith(media_root + os.sep)
        assert path.startswith(_storage_root() + os.sep)
    if os.path.isdir(media_root):
        for _dirpath, _dirs, files in os.walk(media_root):
            assert not files
