"""The support page: the ticket form, "My tickets", the ticket conversation and "find my tickets".

``AbstractSupportPage`` carries the behaviour, in the way ``wagtail.contrib.forms`` does: a site that
wants its own fields subclasses it and overrides one seam (``get_ticket_form_class``,
``process_ticket_submission``, ``render_confirmation``...). ``SupportPage`` is the ready-made page type.

Every sub-route is private to the visitor and never cached. Every state change goes through
``wagtail_support.workflow``; every read asks ``wagtail_support.access``.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.forms.utils import ErrorList
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site

from . import access, faq, limits, submissions, workflow
from .conf import support_settings
from .conversation import conversation_window, earlier_messages
from .forms import FindTicketsForm, RatingForm, ReplyForm, TicketFilterForm, TicketForm
from .links import SupportPageLinks
from .models import Attachment, Ticket
from .notifications import outbox

SESSION_LINKS = "wagtail_support_links"


class NextStepBlock(blocks.StructBlock):
    """A "next steps" link: documentation, getting started, features..."""

    title = blocks.CharBlock(label=gettext_lazy("Title"), max_length=120)
    description = blocks.CharBlock(label=gettext_lazy("Description"), required=False, max_length=255)
    page = blocks.PageChooserBlock(label=gettext_lazy("Page"), required=False)
    url = blocks.URLBlock(label=gettext_lazy("Or an address"), required=False)

    def clean(self, value):
        value = super().clean(value)
        if not value.get("page") and not value.get("url"):
            raise StructBlockValidationError(
                block_errors={"url": ErrorList([gettext_lazy("Choose a page or give an address.")])}
            )
        return value

    class Meta:
        icon = "link"
        template = "wagtail_support/includes/next_step.html"
        label = gettext_lazy("Link")


def _no_store(response):
    add_never_cache_headers(response)
    response["Cache-Control"] = "private, no-store, max-age=0"
    return response


class AbstractSupportPage(SupportPageLinks, RoutablePageMixin, Page):
    """A page where visitors open tickets and follow them."""

    intro = RichTextField(gettext_lazy("introduction"), blank=True)
    confirmation_text = RichTextField(
        gettext_lazy("confirmation text"),
        blank=True,
        help_text=gettext_lazy("Shown with the ticket number after a visitor sends a ticket."),
    )
    next_steps = StreamField(
        [("link", NextStepBlock())],
        verbose_name=gettext_lazy("next steps"),
        blank=True,
        help_text=gettext_lazy("Links shown beside the form: documentation, getting started..."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("confirmation_text"),
        FieldPanel("next_steps"),
    ]

    # A subclass gets Wagtail's default template name for its own class ("myapp/my_support_page.html");
    # ``get_template`` falls back to this one while the site has not written its own.
    template = "wagtail_support/support_page.html"
    default_template = "wagtail_support/support_page.html"
    confirmation_template = "wagtail_support/support_confirmation.html"
    ticket_list_template = "wagtail_support/support_ticket_list.html"
    ticket_template = "wagtail_support/support_ticket.html"
    link_invalid_template = "wagtail_support/support_link_invalid.html"

    class Meta:
        abstract = True

    # Seams a site may override ----------------------------------------------------------------------------

    def get_template(self, request, *args, **kwargs):
        """The page type's own template when the site has one, else the package's."""
        template = super().get_template(request, *args, **kwargs)
        return [template, self.default_template] if template != self.default_template else template

    def get_ticket_form_class(self):
        return TicketForm

    def get_reply_form_class(self):
        return ReplyForm

    def get_ticket_form(self, request):
        form_class = self.get_ticket_form_class()
        if request.method == "POST":
            return form_class(request.POST, request.FILES, user=request.user)
        initial = {"came_from": self.referring_path(request)}
        if request.GET.get("subject"):
            initial["subject"] = request.GET["subject"][:255]
        return form_class(user=request.user, initial=initial)

    def referring_path(self, request):
        """The path of the page on this site that led the visitor here, from the Referer header."""
        referer = request.META.get("HTTP_REFERER", "")
        if not referer or not url_has_allowed_host_and_scheme(referer, {request.get_host()}):
            return ""
        path = urlsplit(referer).path or "/"
        return "" if path.startswith(self.url or "/support/") else path[:500]

    def find_came_from_page(self, request, path):
        """The live page of the visitor's site at ``path``, or ``None``."""
        if not path:
            return None
        site = Site.find_for_request(request)
        if site is None:
            return None
        components = [component for component in path.split("/") if component]
        try:
            result = site.root_page.specific.route(request, components)
        except Http404:
            return None
        page = getattr(result, "page", None) or (result[0] if isinstance(result, tuple) else None)
        return page if page is not None and page.live and page.pk != self.pk else None

    def process_ticket_submission(self, request, form):
        """Open the ticket from a valid form; returns the ticket."""
        data = form.cleaned_data
        user = request.user if request.user.is_authenticated else None
        faq.record_tickets_after_opening(data.get("faq_opened"))
        return workflow.open_ticket(
            subject=data["subject"],
            description=data["description"],
            kind=data["kind"],
            priority=data["priority"],
            category=data.get("category"),
            requester=user,
            requester_name=data.get("name", ""),
            requester_email=data.get("email", ""),
            channel=Ticket.Channel.WEB,
            site=Site.find_for_request(request),
            submitted_from=self,
            came_from=self.find_came_from_page(request, data.get("came_from", "")),
            language=get_language() or "",
            locale=self.locale,
            attachments=data.get("attachments") or [],
        )

    def render_confirmation(self, request, ticket, token):
        return self.render(
            request,
            template=self.confirmation_template,
            context_overrides={"ticket": ticket, "ticket_url": self.ticket_path(ticket), "link_token": token},
        )

    # Routes -----------------------------------------------------------------------------------------------

    def serve(self, request, *args, **kwargs):
        # A post the page turned down gives back its count of the rate limit; a refused one answers 429.
        return _no_store(limits.settle(request, super().serve(request, *args, **kwargs)))

    @path("", name="index")
    def index_route(self, request):
        form = self.get_ticket_form(request)
        if request.method == "POST":
            limits.note_cut_fields(request, form)
            if form.is_spam():
                form.add_error(None, _("Your request could not be sent. Please try again."))
            elif (refusal := limits.reserve(request, "submit")) is not None:
                limits.refuse(request, form, refusal)
            elif form.is_valid():
                try:
                    ticket = self.submit_ticket_once(request, form)
                except submissions.AlreadySent as sent:
                    if sent.same:
                        limits.give_back(request)
                        return self.ticket_already_sent(request, sent.submission.ticket)
                    self.form_sent_already(request, form, _("This form was sent already. To open another ticket with it, press Send again."))
                except workflow.WorkflowError as error:
                    field = {"requester_email": "email"}.get(error.field, error.field)
                    form.add_error(field if field in form.fields else None, str(error))
                else:
                    token = access.make_link_token(ticket)
                    remember_link(request, ticket, token)
                    return redirect(self.url + self.reverse_subpage("confirmation", kwargs={"number": ticket.number}))
        return self.render(request, context_overrides={"form": form, **self.form_files_context(request, form)})

    @path("submitted/<int:number>/", name="confirmation")
    def confirmation_route(self, request, number):
        # The signed link was put in the session on submission: the address itself carries no secret.
        ticket, token, refusal = self._ticket_for(request, number)
        if refusal is not None:
            return refusal
        return self.render_confirmation(request, ticket, token)

    @path("tickets/", name="tickets")
    def ticket_list_route(self, request):
        if not request.user.is_authenticated:
            return self.render(
                request,
                template=self.ticket_list_template,
                context_overrides={"find_form": FindTicketsForm(), "anonymous": True},
            )
        tickets = access.requester_tickets(request.user)
        filters = TicketFilterForm(request.GET or None)
        filtered = filters.filter(tickets)
        counts = filtered.aggregate(
            all=Count("pk"),
            open=Count("pk", filter=Q(status=Ticket.Status.OPEN)),
            pending=Count("pk", filter=Q(status=Ticket.Status.PENDING)),
            closed=Count("pk", filter=Q(status=Ticket.Status.CLOSED)),
        )
        tab = request.GET.get("status", "")
        if tab not in Ticket.Status.values:
            tab = ""
        if tab:
            filtered = filtered.filter(status=tab)
        paginator = Paginator(filtered.order_by("-updated_at", "-number"), self.tickets_per_page())
        # The tab counts already hold the total: the paginator need not count again.
        paginator.count = counts[tab or "all"]
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        tab_query = query.copy()
        tab_query.pop("status", None)
        tabs = [
            ("", pgettext("ticket list tab", "All"), counts["all"]),
            (Ticket.Status.OPEN, pgettext("ticket list tab", "Open"), counts["open"]),
            # The requester's words for a ticket waiting for them (agents say "Pending").
            (Ticket.Status.PENDING, pgettext("ticket list tab", "Awaiting your reply"), counts["pending"]),
            (Ticket.Status.CLOSED, pgettext("ticket list tab", "Closed"), counts["closed"]),
        ]
        return self.render(
            request,
            template=self.ticket_list_template,
            context_overrides={
                "tickets": page,
                "filters": filters,
                "tabs": tabs,
                "current_tab": tab,
                "query_string": query.urlencode(),
                "tab_query_string": tab_query.urlencode(),
            },
        )

    def tickets_per_page(self):
        return support_settings.TICKETS_PER_PAGE

    @path("tickets/find/", name="find_tickets")
    def find_tickets_route(self, request):
        if request.method != "POST":
            return redirect(self.url + self.reverse_subpage("tickets"))
        form = FindTicketsForm(request.POST)
        sent = False
        if form.is_spam():
            form.add_error(None, _("Your request could not be sent. Please try again."))
        elif (refusal := limits.reserve(request, "find")) is not None:
            limits.refuse(request, form, refusal)
        elif form.is_valid():
            limits.accepted(request)
            sent = True
        response = self.render(
            request,
            template=self.ticket_list_template,
            context_overrides={
                "find_form": FindTicketsForm() if sent else form,
                "anonymous": not request.user.is_authenticated,
                "links_sent_to": form.cleaned_data["email"] if sent else "",
            },
        )
        if sent:
            self.send_ticket_links_after(response, form.cleaned_data["email"])
        return response

    def send_ticket_links_after(self, response, email):
        """Have the "find my tickets" mail built and sent once ``response`` has gone, in a task.

        The request looks up no ticket: the task does (``tasks.send_ticket_links_mail``), so the answer
        takes the same time whether the address has tickets or not, and says the same. It is enqueued
        when the server closes the response, after sending it, so even the default backend, which runs
        tasks at once, does not hold the answer. At most ``RATE_LIMITS["find_recipient"]`` such mails go to
        one address per window, whoever asks; over that, nothing is sent, and the answer is the same.
        """
        if not limits.allow_recipient(email):
            return
        page_id, language = self.pk, get_language() or ""
        close = response.close

        def send_then_close():
            try:
                outbox.send_ticket_links(email, page_id, language)
            finally:
                close()

        response.close = send_then_close

    def _ticket_for(self, request, number):
        """The ticket and the visitor's link token, or an answer that reveals nothing."""
        ticket = Ticket.objects.select_related("resolution_code").filter(number=number).first()
        token = remembered_link(request, ticket) if ticket else None
        role = access.ticket_role(request.user, ticket, token) if ticket else None
        if role is None:
            if not request.user.is_authenticated:
                # Back to the ticket page after logging in, even from a POST-only route.
                return None, None, redirect_to_login(self.url + self.reverse_subpage("ticket", kwargs={"number": number}))
            raise Http404
        return ticket, token, None

    @path("tickets/<int:number>/", name="ticket")
    def ticket_route(self, request, number, reply_form=None):
        if request.GET.get("t"):
            # A signed link: keep it in the session and drop it from the address bar (and from Referer).
            token = request.GET["t"]
            opened = access.read_link_token(token)
            ticket = Ticket.objects.filter(number=number).first()
            if not opened or ticket is None or access.ticket_role(None, ticket, token) is None:
                response = self.render(
                    request,
                    template=self.link_invalid_template,
                    context_overrides={"find_form": FindTicketsForm()},
                )
                response.status_code = 404
                return response
            remember_link(request, ticket, token)
            return redirect(self.ticket_path(ticket))
        ticket, token, refusal = self._ticket_for(request, number)
        if refusal is not None:
            return refusal
        if ticket.merged_into_id is not None and reply_form is None:
            merged = self.merged_redirect(request, ticket, token)
            if merged is not None:
                return merged
        return self.render_ticket(request, ticket, token, reply_form=reply_form)

    def merged_redirect(self, request, ticket, token):
        """A ticket merged into another: to the other one, with a fresh signed link, when this visitor may
        see it (its requester, or the merged ticket's, who follows it); else ``None``, with a word."""
        target = Ticket.objects.filter(pk=ticket.merged_into_id).first()  # the workflow keeps chains one hop long
        if target is not None:
            if access.ticket_role(request.user, target) is not None:
                return redirect(self.ticket_path(target))
            opened = access.read_link_token(token) if token else None
            emails = [opened[1]] if opened else []
            if request.user.is_authenticated:
                if ticket.requester_user_id == request.user.pk:
                    emails.append(ticket.requester_email)
                if ticket.beneficiary_user_id == request.user.pk:
                    emails.append(ticket.beneficiary_email)
            for email in filter(None, emails):
                fresh = access.make_link_token(target, email)
                if access.ticket_role(None, target, fresh) is not None:
                    remember_link(request, target, fresh)
                    return redirect(self.ticket_path(target))
        messages.info(request, _("This ticket was merged into another one."))
        return None

    def render_ticket(self, request, ticket, token, reply_form=None, status=200):
        messages = access.messages_for(request.user, ticket, token).public()
        latest = conversation_window(request.GET.get("latest"))
        conversation = list(
            messages.window(latest)
            .prefetch_related("author_user", Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        )
        earlier = None
        if latest is not None and len(conversation) > latest:
            # The window is full: count what it leaves out (a query only for long conversations).
            earlier = earlier_messages(self.ticket_path(ticket), latest, messages.count() - len(conversation))
        response = self.render(
            request,
            template=self.ticket_template,
            context_overrides={
                "ticket": ticket,
                "conversation": conversation,
                "earlier": earlier,
                "reply_form": reply_form or self.get_reply_form_class()(),
                "can_reopen": ticket.is_closed and workflow.within_reopen_window(ticket),
                "ticket_url": self.ticket_path(ticket),
                "rating": self.rating_context(request, ticket, token),
                **self.form_files_context(request, reply_form),
            },
        )
        response.status_code = status
        return response

    def rating_context(self, request, ticket, token):
        """The rating form of a closed ticket ("How did we do?") for its requester or beneficiary (by account
        or signed link; never someone in copy), while its closing may be rated; else ``None``. It posts to a
        rating link made for them (``views.rate``), which brings them back here."""
        if not access.is_ratable(ticket):
            return None
        email = access.rating_address(request.user, ticket, token)
        if not email:
            return None
        current = ticket.ratings.filter(closed_at=ticket.closed_at).first()
        chosen = current.rating if current is not None else Ticket.Satisfaction.GOOD
        try:
            action = reverse("wagtail_support:rate", kwargs={"token": access.make_rating_token(ticket, email), "rating": chosen})
        except NoReverseMatch:
            return None  # the site did not include wagtail_support.urls: no rating page to post to
        initial = {"rating": current.rating, "comment": current.comment} if current is not None else {}
        return {"form": RatingForm(initial=initial), "current": current, "action": action, "deadline": access.rating_deadline(ticket)}

    def _actor(self, request, token):
        return workflow.Actor(user=request.user if request.user.is_authenticated else None, link_token=token or "")

    @path("tickets/<int:number>/reply/", name="reply")
    def reply_route(self, request, number):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket, token, refusal = self._ticket_for(request, number)
        if refusal is not None:
            return refusal
        form = self.get_reply_form_class()(request.POST, request.FILES)
        limits.note_cut_fields(request, form)
        if form.is_spam():
            form.add_error(None, _("Your request could not be sent. Please try again."))
        elif (refusal := limits.reserve(request, "reply")) is not None:
            limits.refuse(request, form, refusal)
        elif form.is_valid():
            try:
                self.submit_once(request, form, "reply", lambda: self.process_reply(request, ticket, token, form), ticket=ticket)
            except submissions.AlreadySent as sent:
                if sent.same:
                    limits.give_back(request)
                    messages.success(request, _("Your message was sent."), fail_silently=True)
                    return redirect(self.ticket_path(ticket) + "#latest")
                self.form_sent_already(request, form, _("This message was sent already. To send it again, press Send again."))
            except workflow.WorkflowError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, _("Your message was sent."), fail_silently=True)
                return redirect(self.ticket_path(ticket) + "#latest")
        return self.render_ticket(request, ticket, token, reply_form=form, status=400)

    def process_reply(self, request, ticket, token, form):
        """Add the visitor's reply from a valid form; returns ``(ticket, message)``."""
        message = workflow.reply(
            ticket,
            by=self._actor(request, token),
            body=form.cleaned_data["body"],
            attachments=form.cleaned_data.get("attachments") or [],
            channel=Ticket.Channel.WEB,
        )
        return ticket, message

    # One post stored once, files kept across an error (``wagtail_support.submissions``) -------------------

    def posted_form_state(self, request):
        """The post's one-time token and the files kept for it, less those the visitor removed (once per request)."""
        state = getattr(request, "_wagtail_support_form", None)
        if state is None:
            token = submissions.posted_token(request) if request.method == "POST" else ""
            if token:
                submissions.discard_kept(token, request.POST.getlist(submissions.REMOVE_FIELD))
            state = {"token": token, "kept": submissions.kept_files(token)}
            request._wagtail_support_form = state
        return state

    def submit_once(self, request, form, kind, move, ticket=None):
        """Run ``move`` once per form token, with the files kept for the token before the new ones."""
        state = self.posted_form_state(request)
        kept = submissions.opened(state["kept"])
        if kept:
            form.cleaned_data["attachments"] = kept + list(form.cleaned_data.get("attachments") or [])
        try:
            result = submissions.submit_once(state["token"], kind, submissions.digest(request), move, ticket=ticket)
        finally:
            submissions.close_all(kept)
        if state["kept"]:
            submissions.release_kept(state["token"])
        return result

    def submit_ticket_once(self, request, form):
        return self.submit_once(request, form, "ticket", lambda: (self.process_ticket_submission(request, form), None))[0]

    def ticket_already_sent(self, request, ticket):
        """The same ticket form sent again (a double click, the back button): the first post's confirmation."""
        remember_link(request, ticket, access.make_link_token(ticket))
        return redirect(self.url + self.reverse_subpage("confirmation", kwargs={"number": ticket.number}))

    def form_sent_already(self, request, form, error):
        # The form was changed after it was sent: say so, keep what was typed, and give it a new token.
        form.add_error(None, error)
        self.posted_form_state(request)["token"] = ""

    def form_files_context(self, request, form):
        """The form's token (the posted one, or a new one) and its kept files, with this post's kept too."""
        state = self.posted_form_state(request)
        if not state["token"]:
            state["token"] = submissions.new_token()
        kept = state["kept"]
        if request.method == "POST" and form is not None and "attachments" in form.fields and not form.is_spam():
            kept = kept + submissions.keep_files(state["token"], request.FILES.getlist(form.add_prefix("attachments")), kept)
            state["kept"] = kept
        return {"form_token": state["token"], "kept_files": kept, "upload_limits": submissions.upload_limits()}

    def _state_change(self, request, number, move, done_message):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket, token, refusal = self._ticket_for(request, number)
        if refusal is not None:
            return refusal
        try:
            move(ticket, by=self._actor(request, token))
        except workflow.WorkflowError as error:
            messages.error(request, str(error), fail_silently=True)
        else:
            messages.success(request, done_message, fail_silently=True)
        return HttpResponseRedirect(self.ticket_path(ticket))

    @path("tickets/<int:number>/close/", name="close")
    def close_route(self, request, number):
        return self._state_change(request, number, workflow.close_by_requester, _("Your ticket is closed."))

    @path("tickets/<int:number>/reopen/", name="reopen")
    def reopen_route(self, request, number):
        return self._state_change(request, number, workflow.reopen, _("Your ticket is open again."))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["support_page"] = self
        return context


def remember_link(request, ticket, token):
    """Keep a visitor's signed link for ``ticket`` in their session."""
    if not hasattr(request, "session"):
        return
    links = dict(request.session.get(SESSION_LINKS) or {})
    links[str(ticket.pk)] = token
    # Bounded, so a session never grows without end.
    if len(links) > 50:
        links = dict(list(links.items())[-50:])
    request.session[SESSION_LINKS] = links


def remembered_link(request, ticket):
    if not hasattr(request, "session") or ticket is None:
        return None
    return (request.session.get(SESSION_LINKS) or {}).get(str(ticket.pk))


class SupportPage(AbstractSupportPage):
    """The support page of the site ("Support"): open a ticket, follow your tickets."""

    class Meta:
        verbose_name = gettext_lazy("support page")
        verbose_name_plural = gettext_lazy("support pages")
