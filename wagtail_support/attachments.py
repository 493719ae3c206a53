"""Uploaded files: checked before the workflow stores them, then stored in the private storage.

The type of a file is found in its content, never taken from its name or from what the browser says:
a file is accepted only when its content is one of ``WAGTAILSUPPORT_ALLOWED_ATTACHMENT_TYPES``. Images
are opened with Pillow (already a Wagtail dependency) to prove they are images; text that looks like
HTML, SVG or XML is refused, since a browser could run it. Size and count limits come from settings.
"""

import logging
import os
import zipfile
from contextlib import contextmanager

from PIL import Image

from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .conf import support_settings
from .models import Attachment
from .sanitize import clean_filename

logger = logging.getLogger(__name__)

SNIFF_BYTES = 8192

OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE_BY_EXTENSION = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
EXTENSIONS = {
    "image/png": [".png"],
    "image/jpeg": [".jpg", ".jpeg"],
    "image/gif": [".gif"],
    "image/webp": [".webp"],
    "application/pdf": [".pdf"],
    "text/plain": [".txt", ".log", ".text", ".md"],
    "text/csv": [".csv"],
    "application/zip": [".zip"],
    "application/msword": [".doc"],
    "application/vnd.ms-excel": [".xls"],
    "application/vnd.ms-powerpoint": [".ppt"],
    OOXML["word/"]: [".docx"],
    OOXML["xl/"]: [".xlsx"],
    OOXML["ppt/"]: [".pptx"],
    "application/vnd.oasis.opendocument.text": [".odt"],
    "application/vnd.oasis.opendocument.spreadsheet": [".ods"],
    "application/vnd.oasis.opendocument.presentation": [".odp"],
}
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
# Markup a browser would interpret, even inside a file called .txt or .png.
MARKUP_SIGNS = (b"<!doctype", b"<html", b"<svg", b"<script", b"<?xml", b"<body", b"<head", b"<iframe", b"<object")


def _read_head(upload):
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def _sniff_zip(upload):
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    return mimetype
            if "[Content_Types].xml" in names:
                for prefix, content_type in OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return content_type
            return "application/zip"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def _is_image(upload, content_type):

    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format != PILLOW_FORMATS[content_type]:
                return False
            image.verify()
        return True
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of errors for a broken image
        return False
    finally:
        upload.seek(0)


def _looks_like_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sniffed block is still text.
        if error.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def detect_content_type(upload, name=""):
    """The content type of ``upload`` as found in its bytes, or ``None`` when it is not recognised."""
    head = _read_head(upload)
    extension = os.path.splitext(name or getattr(upload, "name", "") or "")[1].lower()
    content_type = None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        content_type = "image/png"
    elif head.startswith(b"\xff\xd8\xff"):
        content_type = "image/jpeg"
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        content_type = "image/gif"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        content_type = "image/webp"
    elif head.startswith(b"%PDF-"):
        content_type = "application/pdf"
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        content_type = OLE_BY_EXTENSION.get(extension, "application/x-ole-storage")
    elif head.startswith(b"PK\x03\x04"):
        content_type = _sniff_zip(upload)
    elif head and _looks_like_text(head):
        lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if lowered.startswith(b"<") or any(sign in lowered for sign in MARKUP_SIGNS):
            content_type = "text/html"
        else:
            content_type = "text/csv" if extension == ".csv" else "text/plain"
    if content_type in PILLOW_FORMATS and not _is_image(upload, content_type):
        return None
    return content_type


def safe_name_for(name, content_type):
    """A clean file name whose extension matches the content, so nothing opens it as something else."""
    name = clean_filename(name)
    stem, extension = os.path.splitext(name)
    allowed = EXTENSIONS.get(content_type)
    if allowed and extension.lower() not in allowed:
        name = f"{name}{allowed[0]}"
    return clean_filename(name)


def validate_attachments(files):
    """Check uploaded files against the limits and the allowed types.

    Returns the files, each with ``detected_content_type`` and a ``name`` safe to store. Raises a
    ``ValidationError`` listing every refused file with the reason, in the visitor's language.
    """
    files = [f for f in files if f]
    errors = []
    limit = support_settings.MAX_ATTACHMENTS_PER_MESSAGE
    if len(files) > limit:
        raise ValidationError(
            ngettext(
                "You can attach at most %(count)d file to a message.",
                "You can attach at most %(count)d files to a message.",
                limit,
            )
            % {"count": limit},
            code="too_many",
        )
    total = 0
    allowed = set(support_settings.ALLOWED_ATTACHMENT_TYPES)
    for upload in files:
        display = clean_filename(getattr(upload, "name", "") or "")
        size = upload.size or 0
        total += size
        if size == 0:
            errors.append(ValidationError(_("%(name)s is empty.") % {"name": display}, code="empty"))
            continue
        if size > support_settings.MAX_ATTACHMENT_SIZE:
            errors.append(
                ValidationError(
                    _("%(name)s is too large (%(size)s); the limit is %(limit)s per file.")
                    % {
                        "name": display,
                        "size": filesizeformat(size),
                        "limit": filesizeformat(support_settings.MAX_ATTACHMENT_SIZE),
                    },
                    code="too_large",
                )
            )
            continue
        content_type = detect_content_type(upload, getattr(upload, "name", ""))
        if content_type is None or content_type not in allowed:
            errors.append(
                ValidationError(
                    _(
                        "%(name)s is not a file type we accept. Send images, PDF, text or office documents."
                    )
                    % {"name": display},
                    code="type",
                )
            )
            continue
        upload.detected_content_type = content_type
        upload.name = safe_name_for(getattr(upload, "name", "") or "attachment", content_type)
    if total > support_settings.MAX_MESSAGE_ATTACHMENTS_SIZE:
        errors.append(
            ValidationError(
                _("The files add up to %(size)s; the limit is %(limit)s per message.")
                % {
                    "size": filesizeformat(total),
                    "limit": filesizeformat(support_settings.MAX_MESSAGE_ATTACHMENTS_SIZE),
                },
                code="total_too_large",
            )
        )
    if errors:
        raise ValidationError(errors)
    return files


def store_attachments(message, attachments, saved_files=None):
    """Save files checked by ``validate_attachments`` on ``message`` (inside the move's transaction).

    The content type stored is the one found in the content, never the one the browser sent. Each file
    written is added to ``saved_files`` (see ``files_removed_on_error``).
    """
    stored = []
    for upload in attachments:
        name = clean_filename(upload.name or "attachment")
        content_type = upload.detected_content_type
        upload.seek(0)
        attachment = Attachment(
            message=message, filename=name, content_type=content_type, size=upload.size
        )
        attachment.file.save(name, upload if isinstance(upload, File) else File(upload, name=name), save=False)
        if saved_files is not None:
            saved_files.append((attachment.file.storage, attachment.file.name))
        attachment.save()
        stored.append(attachment)
    return stored


@contextmanager
def files_removed_on_error():
    """Remove the files written inside the block when the block fails (its rows are rolled back).

    Used inside the move's transaction: a failure there (a refused move, a lost database) rolls the
    rows back, and no file is left behind without its row. A failure of the commit itself is left
    alone: the database may have committed, and then the rows need their files.
    """
    saved = []
    try:
        yield saved
    except BaseException:
        for storage, name in saved:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 - a file left behind is better than hiding the real error
                logger.warning("Could not remove attachment file %s", name, exc_info=True)
        raise
