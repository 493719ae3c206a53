"""Front-end views of wagtail-support that live outside the page tree."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import access, limits, workflow
from .faq import faq_opened as faq_opened_view
from .faq import faq_suggestions as faq_suggestions_view
from .forms import RatingForm
from .links import support_page_for
from .models import Attachment, Message, Ticket
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


# Rating a closing ("How did we do?") -----------------------------------------------------------------------

RATE_TEMPLATE = "wagtail_support/rate.html"
RATE_REFUSED_TEMPLATE = "wagtail_support/rate_refused.html"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request, token, rating):
    """The page of a rating link (``rate/<token>/<good|bad>/``): the requester's one-click rating.

    A GET never records anything: mail robots and link scanners fetch links. It shows the form with the
    link's rating chosen and, while that is not the rating recorded, a script sends it once (one click for a
    person; without script, one click on the button). The POST (with CSRF, counted by the rate limits)
    records it through ``workflow.rate`` and comes back to the page, which thanks and offers the comment.
    A forged, changed, expired or outdated link gets a page that names nothing of the ticket (404).
    """
    if rating not in Ticket.Satisfaction.values:
        raise Http404
    refusal = limits.reserve(request, "rate") if request.method == "POST" else None
    link = access.open_rating_token(token)
    if not link.ok:
        return _no_store(limits.settle(request, _rating_refused(request, link.refusal)))
    ticket = link.ticket
    current = ticket.ratings.filter(closed_at=link.closed_at).first()
    form = RatingForm(initial={"rating": rating, "comment": current.comment if current else ""})
    status = 200
    if request.method == "POST":
        form = RatingForm(request.POST)
        if refusal is not None:
            limits.refuse(request, form, refusal)
        elif form.is_valid():
            try:
                workflow.rate(
                    ticket,
                    form.cleaned_data["rating"],
                    form.cleaned_data["comment"],
                    by=_rating_actor(request, link),
                    closed_at=link.closed_at,
                )
            except workflow.WorkflowError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                return _no_store(limits.settle(request, redirect(_after_rating(request, ticket, token, form))))
        status = 400
    context = {
        "ticket": ticket,
        "current": current,
        "deadline": access.rating_deadline(ticket),
        "rating_form": form,
        "rating_action": request.path,
        # Sent once by the page's script while the link's rating is not the one recorded.
        "autosubmit": request.method in ("GET", "HEAD") and (current is None or current.rating != rating),
    }
    return _no_store(limits.settle(request, render(request, RATE_TEMPLATE, context, status=status)))


def _rating_refused(request, refusal):
    context = {"refusal": refusal, "message": workflow.rating_refusal_message(refusal)}
    return render(request, RATE_REFUSED_TEMPLATE, context, status=404)


def _rating_actor(request, link):
    """Who rates: the holder of the link, as the requester or beneficiary it was made for (the token proves
    it); their account when they are logged in with it."""
    ticket = link.ticket
    user = request.user if request.user.is_authenticated else None
    if user is not None and user.pk not in (ticket.requester_user_id, ticket.beneficiary_user_id):
        user = None
    role = Message.AuthorRole.REQUESTER
    if link.email == (ticket.beneficiary_email or "").lower() and link.email != (ticket.requester_email or "").lower():
        role = Message.AuthorRole.BENEFICIARY
    return workflow.Actor(user=user, email=link.email, trusted_role=role)


def _after_rating(request, ticket, token, form):
    """Back to the ticket's page when the rating came from it; else to the rating page (which now thanks)."""
    if request.POST.get("back") == "ticket":
        page = support_page_for(ticket)
        if page is not None and page.url:
            # The rating page says thank you itself; the ticket's page with a message.
            messages.success(request, _("Thank you for your rating."), fail_silently=True)
            return page.ticket_path(ticket) + "#rating"
    return reverse("wagtail_support:rate", kwargs={"token": token, "rating": form.cleaned_data["rating"]})


def _no_store(response):
    add_never_cache_headers(response)
    # The token is in the address: never sent to another site. Not "no-referrer": Chromium then posts the
    # form with "Origin: null", which Django's CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response
