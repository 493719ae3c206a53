"""The ticket form on any page: what ``blocks.SupportFormBlock`` and ``{% support_form %}`` render, and the
view that receives it (``wagtail_support:page_ticket_form``, in the app's URLs).

A page that is not a support page cannot serve the post itself, so the form posts to the app's URLs with a
signed field (``TARGET_FIELD``) naming the page, the variant (``full``: the support page's ``TicketForm``;
``short``: ``ShortTicketForm``) and the block's default type and catalog entry. The view finds the page
again among the LIVE pages, refuses one the visitor may not see (Wagtail's view restrictions), and applies
the support page's protections, through the same functions: the honeypot, the rate limit (``limits``),
the one-time token and the files kept across an error (``submissions``, with the support page's own
methods), the fields cut by ``OversizedFormMiddleware``. The ticket records the page, its live revision,
its locale and its site.

- Sent: a redirect to the page, ``?ticket=<number>#support-form``, the signed link kept in the session
  (``pages.remember_link``); the block then says "Ticket ... sent" with a link to the ticket on the
  site's support page. A visitor without that link in their session sees the form only.
- Errors: the view answers with the page itself, rendered by its own template and context, the block
  showing the bound form (what was typed, the errors, the files kept) as the support page does. Nothing
  is stored in the session (a description may be long; cookie sessions are small), the rate limit's
  settlement sees the form shown again (``limits.settle``), and a reload posts the same token again,
  which ``submissions.submit_once`` answers without a second ticket.
"""

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.models import Page

from . import access, limits, submissions, workflow
from .forms import ShortTicketForm, TicketForm
from .links import support_page_for
from .models import Category, Ticket
from .pages import AbstractSupportPage, _no_store, remember_link, remembered_link

FULL, SHORT = "full", "short"
VARIANTS = {FULL: TicketForm, SHORT: ShortTicketForm}
TARGET_FIELD = "support_form"
ANCHOR = "support-form"
_SALT = "wagtail_support.page_forms"
# On the request: the form a post came back with, and how many page forms were rendered.
_POSTED = "_wagtail_support_posted_page_form"
_COUNT = "_wagtail_support_page_forms"


class _FormState:
    """The support page's handling of a form's token and kept files (``AbstractSupportPage``), reused as is:
    those methods read nothing of the page but the request."""

    posted_form_state = AbstractSupportPage.posted_form_state
    submit_once = AbstractSupportPage.submit_once
    form_files_context = AbstractSupportPage.form_files_context
    form_sent_already = AbstractSupportPage.form_sent_already


FORM_STATE = _FormState()


# What the page's form is for, signed -----------------------------------------------------------------------


def sign_target(page, variant, kind="", category=None):
    data = {"p": page.pk, "v": variant if variant in VARIANTS else FULL, "k": kind or "", "c": category or ""}
    # Signed without a timestamp: the same block gives the same value (a post is matched with its block).
    return signing.Signer(salt=_SALT).sign_object(data)


def read_target(value):
    """The page id, variant, default type and catalog entry of a posted form; ``None`` when forged."""
    try:
        data = signing.Signer(salt=_SALT).unsign_object(value or "")
    except (signing.BadSignature, ValueError):  # ValueError: a signed value that is not ours (bad base64, JSON)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or data.get("v") not in VARIANTS:
        return None
    return data


def visible_live_page(request, page_id):
    """The live page ``page_id`` (specific) when the visitor may see it, with a site; else ``None``."""
    page = Page.objects.live().specific().filter(pk=page_id).first()
    if page is None or page.get_site() is None:
        return None
    if any(not restriction.accept_request(request) for restriction in page.get_view_restrictions()):
        return None
    return page


def default_category(pk):
    """The active catalog entry ``pk`` (a block's default), else ``None``."""
    if not pk or not str(pk).isdigit():
        return None
    entry = {entry.pk: entry for entry in Category.objects.tree().active()}.get(int(pk))
    return entry.category if entry is not None else None


def catalog_choices():
    """The block's choice of a default catalog entry: the active entries, in tree order."""
    return [(str(pk), name) for pk, name in Category.objects.tree().choices()]


# Rendering -------------------------------------------------------------------------------------------------


def _page_language(page):
    """The page's language when the site is translated with Wagtail's i18n, else the active one."""
    code = getattr(getattr(page, "locale", None), "language_code", "")
    if getattr(settings, "WAGTAIL_I18N_ENABLED", False) and code in dict(settings.LANGUAGES):
        return code
    return translation.get_language()


def _confirmation(request, page):
    """The ticket this visitor just sent from ``page`` (``?ticket=``), with its link; else ``None``."""
    number = request.GET.get("ticket", "")
    if not number.isdigit():
        return None
    ticket = Ticket.objects.filter(number=int(number), submitted_from_id=page.pk).first()
    token = remembered_link(request, ticket)
    if ticket is None or access.ticket_role(request.user, ticket, token) is None:
        return None
    support_page = support_page_for(ticket)
    return {"ticket": ticket, "ticket_url": support_page.ticket_path(ticket) if support_page is not None else ""}


def form_context(request, page, variant=FULL, heading="", intro="", kind="", category=""):
    """What ``wagtail_support/page_form.html`` shows on ``page``: the form (or the one a post came back
    with), its signed target and token, or the confirmation of the ticket just sent."""
    if request is None or page is None or not getattr(page, "pk", None):
        return {"page_form": None}
    try:
        action = reverse("wagtail_support:page_ticket_form")
    except NoReverseMatch:  # the site has not included wagtail_support.urls: no form to post
        return {"page_form": None}
    count = getattr(request, _COUNT, 0) + 1
    setattr(request, _COUNT, count)
    variant = variant if variant in VARIANTS else FULL
    target = sign_target(page, variant, kind, category)
    context = {
        "variant": variant,
        "heading": heading,
        "intro": intro,
        "action": action,
        "target_field": TARGET_FIELD,
        "target": target,
        "anchor": ANCHOR if count == 1 else f"{ANCHOR}-{count}",
        "first": count == 1,
        "csrf_token": get_token(request),
        "request": request,
        "upload_limits": submissions.upload_limits(),
        "kept_files": [],
        "confirmation": _confirmation(request, page) if count == 1 else None,
    }
    posted = getattr(request, _POSTED, None)
    if posted is not None and posted["page"] == page.pk and posted["target"] == target:
        setattr(request, _POSTED, None)
        context.update(posted["files"], form=posted["form"], confirmation=None)
    else:
        initial = {"kind": kind or Ticket.Kind.QUESTION}
        if category and variant == FULL:
            initial["category"] = str(category)
        # The first form keeps the ids the scripts know ("id_subject"); others get their own.
        auto_id = "id_%s" if count == 1 else f"id_sf{count}_%s"
        form = VARIANTS[variant](user=request.user, initial=initial, auto_id=auto_id)
        form.fields.pop("came_from", None)
        context.update(form=form, form_token=submissions.new_token())
    context["page_form"] = context["form"]
    return context


# The post ------------------------------------------------------------------------------------------------


@require_POST
def submit_ticket(request):
    """Open a ticket from the form of a page (see the module's docstring)."""
    target = read_target(request.POST.get(TARGET_FIELD))
    page = visible_live_page(request, target["p"]) if target is not None else None
    if page is None:
        # A forged target, or a page that is not live or that this visitor may not see: nothing to say.
        raise Http404
    with translation.override(_page_language(page)):
        response = _submit(request, page, target)
    return _no_store(limits.settle(request, response))


def _submit(request, page, target):
    form = VARIANTS[target["v"]](request.POST, request.FILES, user=request.user)
    form.fields.pop("came_from", None)
    limits.note_cut_fields(request, form)
    if form.is_spam():
        form.add_error(None, _("Your request could not be sent. Please try again."))
    elif (refusal := limits.reserve(request, "submit")) is not None:
        limits.refuse(request, form, refusal)
    elif form.is_valid():
        try:
            ticket = FORM_STATE.submit_once(request, form, "ticket", lambda: (open_ticket(request, page, target, form), None))[0]
        except submissions.AlreadySent as sent:
            if sent.same and sent.submission.ticket is not None:
                limits.give_back(request)
                return _sent(request, page, sent.submission.ticket)
            FORM_STATE.form_sent_already(
                request, form, _("This form was sent already. To open another ticket with it, press Send again.")
            )
        except workflow.WorkflowError as error:
            field = {"requester_email": "email"}.get(error.field, error.field)
            form.add_error(field if field in form.fields else None, str(error))
        else:
            return _sent(request, page, ticket)
    setattr(
        request,
        _POSTED,
        {"page": page.pk, "target": request.POST.get(TARGET_FIELD), "form": form, "files": FORM_STATE.form_files_context(request, form)},
    )
    # The page as its own view renders it (template and context), the block showing this form.
    request.is_preview = False
    return TemplateResponse(request, page.get_template(request), page.get_context(request))


def open_ticket(request, page, target, form):
    """Open the ticket of a valid form posted from ``page``; returns it."""
    data = form.cleaned_data
    return workflow.open_ticket(
        subject=data["subject"],
        description=data["description"],
        kind=data.get("kind") or target["k"] or Ticket.Kind.QUESTION,
        priority=data.get("priority") or Ticket.Priority.NORMAL,
        category=data["category"] if "category" in form.fields else default_category(target["c"]),
        requester=request.user if request.user.is_authenticated else None,
        requester_name=data.get("name", ""),
        requester_email=data.get("email", ""),
        channel=Ticket.Channel.WEB,
        site=page.get_site(),
        submitted_from=page,
        came_from=None,
        language=translation.get_language() or "",
        attachments=data.get("attachments") or [],
        source_revision=page.live_revision,
        locale=page.locale,
    )


def _sent(request, page, ticket):
    remember_link(request, ticket, access.make_link_token(ticket))
    return redirect(f"{page.get_url(request)}?ticket={ticket.number}#{ANCHOR}")
