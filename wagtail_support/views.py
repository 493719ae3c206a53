"""Front-end views of wagtail-support that live outside the page tree."""

from django.http import FileResponse, Http404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import access
from .faq import faq_opened as faq_opened_view
from .faq import faq_suggestions as faq_suggestions_view
from .models import Attachment
from .pages import remembered_link


@never_cache
@require_GET
def download_attachment(request, pk):
    """Serve an attachment to someone allowed to read its message, as a download.

    Anyone else gets the same 404 as for a file that does not exist, so an id tells nothing.
    """
    attachment = Attachment.objects.select_related("message__ticket").filter(pk=pk).first()
    token = request.GET.get("t") or None
    if attachment is not None and token is None:
        token = remembered_link(request, attachment.message.ticket)
    if attachment is None or not access.can_download_attachment(request.user, attachment, token):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Referrer-Policy"] = "no-referrer"
    return response


def faq_suggestions(request):
    """FAQ entries that may answer what a visitor is typing (JSON); see ``wagtail_support.faq``."""
    return faq_suggestions_view(request)


def faq_opened(request):
    """A visitor opened a suggested question from the ticket form (a POST beacon); see ``wagtail_support.faq``."""
    return faq_opened_view(request)
