"""A visitor's post stored once, and the files kept while their form has errors (invariant 8).

Each visitor form (the ticket form, the reply form) carries a one-time token (``TOKEN_FIELD``), random and
issued when the form is rendered; a form shown again after an error keeps its token.

- ``submit_once`` runs the move of a post (open the ticket, add the reply) once per token: the token's
  ``FormSubmission`` row is written first, in the transaction of the move, and the token is unique, so of two
  posts at the same instant one waits for the other (or fails on the constraint) and then reads its result.
  A later post with the same token (a double click, the back button) raises ``AlreadySent`` with the first
  result. A post without a token (a form rendered before tokens existed, a robot) is processed as before.
- ``keep_files`` holds the files of a form that came back with an error, in the private attachment storage,
  against the token; ``kept_files`` lists them back; ``opened`` hands them to the move as uploads; they
  are removed once the post succeeded (``release_kept``), or abandoned after ``KEEP_FOR`` (``purge``).
  Only a post carrying the token reaches its files, and the token is never shown anywhere else.
"""

import datetime
import hashlib
import logging
import re
import secrets
import time

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from .attachments import EXTENSIONS, validate_attachments
from .conf import support_settings
from .models import FormSubmission, PendingUpload
from .sanitize import clean_filename

logger = logging.getLogger(__name__)

TOKEN_FIELD = "form_token"
REMOVE_FIELD = "remove_upload"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")
# How long a used token is remembered, and how long chosen files wait for their form.
KEEP_FOR = datetime.timedelta(hours=24)
# Fields that differ between two sendings of the very same form.
NOT_IN_DIGEST = {"csrfmiddlewaretoken", REMOVE_FIELD}


def new_token():
    """A fresh one-time token for a form being rendered (no database write)."""
    return secrets.token_urlsafe(32)


def posted_token(request):
    """The token of a post, or ``""`` when it has none (or not one we could have issued)."""
    value = request.POST.get(TOKEN_FIELD, "")
    return value if TOKEN_PATTERN.fullmatch(value) else ""


def digest(request):
    """What a post says and who sent it, as a digest: the same form sent twice gives the same digest."""
    hashed = hashlib.sha256()
    user = getattr(request, "user", None)
    hashed.update(f"user={user.pk if user is not None and user.is_authenticated else ''};".encode())
    for key in sorted(request.POST):
        if key in NOT_IN_DIGEST:
            continue
        for value in request.POST.getlist(key):
            hashed.update(f"{len(key)}:{key}={len(value)}:{value};".encode())
    return hashed.hexdigest()


class AlreadySent(Exception):
    """A post whose token was used already; ``submission`` holds what the first post stored.

    ``same`` is true when this post says what the first one said (the same form sent again): its answer is
    the first one's. Otherwise the form was changed and sent again with a used token.
    """

    def __init__(self, submission, same):
        super().__init__(submission.token[:6])
        self.submission = submission
        self.same = same


def _earlier(token):
    return FormSubmission.objects.select_related("ticket").filter(token=token).first()


def submit_once(token, kind, post_digest, move, *, ticket=None):
    """Run ``move()`` (which returns ``(ticket, message)``) once for ``token``; return what it returned.

    Raises ``AlreadySent`` when the token was used already, by an earlier post or by one that ran at the
    same moment and won. ``ticket``, for a reply, is the ticket the post is for: a token used on another
    ticket is never the same post. Without a token, ``move()`` simply runs.
    """
    if not token:
        return move()
    earlier = _earlier(token)
    if earlier is None:
        with transaction.atomic():
            try:
                # The claim first, in the move's transaction: a concurrent post with this token waits here
                # (PostgreSQL) or behind the database's write lock (SQLite) until this transaction ends,
                # then fails on the unique token and reads what this one stored.
                with transaction.atomic():
                    claim = FormSubmission.objects.create(token=token, kind=kind, digest=post_digest)
            except IntegrityError:
                claim = None
            if claim is not None:
                created_ticket, message = move()
                claim.ticket, claim.message = created_ticket, message
                claim.save(update_fields=["ticket", "message"])
        if claim is not None:
            _purge_submissions()
            return created_ticket, message
        earlier = _winner(token)
        logger.info("Two posts with one form token at once: the later one answers with the first one's result.")
    same = earlier.kind == kind and earlier.digest == post_digest
    if ticket is not None and earlier.ticket_id != ticket.pk:
        same = False
    raise AlreadySent(earlier, same)


def _winner(token, attempts=30):
    # The post that won has committed: the database let the loser's insert fail only then. The short waits
    # are a safety net for a database that would answer the constraint earlier.
    for _attempt in range(attempts):
        earlier = _earlier(token)
        if earlier is not None and earlier.ticket_id is not None:
            return earlier
        time.sleep(0.1)
    raise IntegrityError(f"The post with the form token {token[:6]}... neither won nor found the winner.")


def _purge_submissions(now=None):
    FormSubmission.objects.filter(created_at__lt=(now or timezone.now()) - KEEP_FOR).delete()


# Files kept across a form error --------------------------------------------------------------------------


def kept_files(token):
    """The files kept for ``token``, oldest first."""
    if not token:
        return []
    return list(PendingUpload.objects.filter(token=token))


def discard_kept(token, ids):
    """Remove the kept files the visitor unticked (``ids`` from the post; only this token's)."""
    wanted = [int(value) for value in ids if str(value).isdigit()]
    if not token or not wanted:
        return
    for pending in PendingUpload.objects.filter(token=token, pk__in=wanted):
        _delete(pending)


def keep_files(token, uploads, kept):
    """Keep, against ``token``, the uploads that pass the checks of ``attachments`` one by one.

    A file refused by the checks is not kept (the form says why); nor are files beyond the limit of files
    per message, counting those ``kept`` already. Returns the new ``PendingUpload`` rows.
    """
    if not token:
        return []
    room = support_settings.MAX_ATTACHMENTS_PER_MESSAGE - len(kept)
    total = sum(pending.size for pending in kept)
    stored = []
    for upload in uploads:
        if not upload or room <= 0:
            break
        try:
            validate_attachments([upload])
        except ValidationError:
            continue
        if total + upload.size > support_settings.MAX_MESSAGE_ATTACHMENTS_SIZE:
            continue
        upload.seek(0)
        pending = PendingUpload(
            token=token, name=upload.name, size=upload.size, content_type=upload.detected_content_type
        )
        pending.file.save(upload.name, upload if isinstance(upload, File) else File(upload, name=upload.name), save=False)
        try:
            pending.save()
        except Exception:
            pending.file.storage.delete(pending.file.name)
            raise
        stored.append(pending)
        room -= 1
        total += upload.size
    if stored:
        purge()
    return stored


def upload_limits():
    """The checks of ``attachments`` that a browser can make before sending (the server makes them again)."""
    allowed = support_settings.ALLOWED_ATTACHMENT_TYPES
    extensions = sorted({extension for content_type in allowed for extension in EXTENSIONS.get(content_type, [])})
    return {
        "max_size": support_settings.MAX_ATTACHMENT_SIZE,
        "max_total": support_settings.MAX_MESSAGE_ATTACHMENTS_SIZE,
        "max_count": support_settings.MAX_ATTACHMENTS_PER_MESSAGE,
        "extensions": " ".join(extensions),
        "types": " ".join(allowed),
    }


def opened(kept):
    """The kept files as uploads for the move (checked again there, like any upload); close them after."""
    files = []
    for pending in kept:
        try:
            handle = pending.file.storage.open(pending.file.name, "rb")
        except (FileNotFoundError, OSError):
            logger.warning("A kept file is missing from the storage: %s", pending.file.name)
            continue
        upload = File(handle, name=clean_filename(pending.name))
        files.append(upload)
    return files


def close_all(files):
    for upload in files:
        try:
            upload.close()
        except Exception:  # noqa: BLE001 - closing a read handle never matters more than the answer
            pass


def release_kept(token):
    """The post succeeded: its kept files were copied onto the message; remove them."""
    if token:
        for pending in PendingUpload.objects.filter(token=token):
            _delete(pending)


def _delete(pending):
    try:
        pending.file.storage.delete(pending.file.name)
    except Exception:  # noqa: BLE001 - a file left without its row is never served; the row must go
        logger.warning("Could not remove the kept file %s", pending.file.name, exc_info=True)
    pending.delete()


def purge(now=None):
    """Forget used tokens and remove the files of forms abandoned for longer than ``KEEP_FOR``.

    Returns ``(tokens, files)`` removed. Run on every write of a kept file and by ``support_clean_uploads``.
    """
    cutoff = (now or timezone.now()) - KEEP_FOR
    tokens, _by_model = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    files = 0
    for pending in PendingUpload.objects.filter(created_at__lt=cutoff):
        _delete(pending)
        files += 1
    return tokens, files
