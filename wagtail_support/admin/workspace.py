"""The ticket workspace: the admin page where an agent works one ticket.

One page per ticket (``wagtail_support_admin:ticket``) shows the ticket, the conversation (public replies
and internal notes in one timeline), a composer and every move an agent can make. Each move is a POST to
``wagtail_support_admin:ticket_action`` (``admin.actions``), made through ``wagtail_support.workflow``;
this module never changes a ticket itself. The ticket permission policy (``access.ticket_policy``) decides
who may see the page: agents only, and only for tickets they may work; any other ticket is a 404, whether
it exists or not.

Every form carries the ticket's ``version``. When the ticket changed since the page was shown, the
workflow refuses the move (``TicketChanged``) and the page is shown again, with the agent's input kept
and a warning, so nothing is overwritten silently and no draft is lost.
"""

from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Value
from django.http import Http404
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.urls import reverse
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.log_actions import registry as log_registry

from ..access import ticket_policy
from ..sanitize import render_text
from ..conversation import conversation_window, earlier_messages
from .. import access, presence, service_levels
from ..models import (
    Attachment, CannedResponse, CcSuggestion, Category, Message, OutboundMail, ReplyDraft, Ticket, TicketFollower,
)
from .macros import actions_for
from .paths import admin_url, inbox_url, other_tickets_url, page_edit_url, ticket_url
from .ticket_forms import ACTION_FORMS, WORKSPACE_FORMS, SubmitForm

# The conversation filter of the timeline (``?show=``); anything else shows everything.
SHOW_ALL, SHOW_PUBLIC, SHOW_INTERNAL = "all", "public", "internal"
SHOW_CHOICES = (SHOW_ALL, SHOW_PUBLIC, SHOW_INTERNAL)

# Entries of the history shown on the workspace; the history page lists them all.
HISTORY_ON_WORKSPACE = 15
HISTORY_PER_PAGE = 100
# Mails about the ticket listed beside it (the newest first).
MAILS_ON_WORKSPACE = 20

# Joined with the ticket. Each join more costs PostgreSQL's planner dearly (6 of them: 1.8 ms to plan;
# 9: 6 to 10 ms), so the pages and the followed ticket come in a query of their own.
TICKET_RELATED = (
    "team",
    "assignee",
    "category",
    "resolution_code",
    "requester_user",
    "beneficiary_user",
)
# The revision of the page a ticket was sent from is read only for such tickets (a page's support form).
TICKET_PREFETCHED = ("submitted_from", "came_from", "follows", "source_revision", "sla_policy")
# The policy is read only for a ticket that has one (+1 query then, none otherwise); a policy counted in a
# team's business hours reads that calendar (its row, intervals and holidays) to say "late by 2 h 15 min"
# in business time.


#: What the timeline shows of a message's mails (``{% mail_rows %}``): not their parameters, headers nor
#: bodies, which cost a JSON decoding each (about 200 mails for a conversation of 500 messages shown whole).
TIMELINE_MAIL_FIELDS = (
    "id", "message_id", "status", "recipient", "updated_at", "error", "event", "internet_message_id",
    "esp_message_id", "esp_name", "attempts",
)


def ticket_with_related(pk):
    """The ticket with what the workspace shows of it, or ``None``."""
    return (
        Ticket.objects.select_related(*TICKET_RELATED)
        .prefetch_related(*TICKET_PREFETCHED)
        .filter(pk=pk)
        .order_by()
        .first()
    )


def service_level_rows(ticket, now=None):
    """The ticket's service level targets as the workspace's "Service levels" block says them: a label,
    the state (a CSS modifier) and a sentence that says it without colour ("Late by 2 h 15 min")."""
    rows = []
    for target in service_levels.targets(ticket, now or timezone.now()):
        duration = service_levels.duration(target.minutes)
        if target.state == "met":
            text = _("Met, %(duration)s late") % {"duration": duration} if target.minutes else _("Met")
        elif target.state == "late":
            text = _("Late by %(duration)s") % {"duration": duration}
        elif target.state == "paused":
            text = _("Paused while waiting for the requester (%(duration)s left)") % {"duration": duration}
        else:
            text = _("Due in %(duration)s") % {"duration": duration}
        rows.append({"target": target, "label": target.label, "state": target.state.replace(" ", "-"), "text": text})
    return rows


def source_revision_urls(ticket):
    """Wagtail's view of the page as the visitor saw it (the revision live then), and its comparison with the
    page as it is now; ``None`` when the ticket records no revision."""
    revision = ticket.source_revision
    if revision is None or not str(revision.object_id).isdigit():
        return None
    page_id = int(revision.object_id)
    return {
        "created_at": revision.created_at,
        "view": reverse("wagtailadmin_pages:revisions_view", args=[page_id, revision.pk]),
        "compare": reverse(
            "wagtailadmin_pages:revisions_compare",
            kwargs={"pk": page_id, "revision_id_a": revision.pk, "revision_id_b": "live"},
        ),
    }


def timeline_related(messages):
    """``({message id: [attachments]}, {message id: [mails]})`` of ``messages``, in two queries.

    Grouped here rather than by ``prefetch_related``, which builds a queryset for each message to cache its
    rows: about 15 ms per relation for 500 messages shown whole. (By the list of ids: joined to the
    ticket's messages instead, PostgreSQL hashed every attachment of the desk.)"""
    ids = [message.pk for message in messages]
    grouped = []
    for rows in (
        Attachment.objects.filter(message_id__in=ids),
        OutboundMail.objects.only(*TIMELINE_MAIL_FIELDS).filter(message_id__in=ids),
    ):
        by_message = defaultdict(list)
        for row in rows:
            by_message[row.message_id].append(row)
        grouped.append(by_message)
    return tuple(grouped)


def dress_timeline(messages, attachments=None, mails=None):
    """Give each message (and each of its mails) what ``workspace/message.html`` shows of it, computed once in
    Python: the body as safe HTML (``sanitize.render_text``), the dates as the ``date`` filter writes them in
    the agent's time zone (``created_iso``, ``created_short``), and the lists of its attachments and mails.

    The same markup as the template's filters gave (``|support_text``, ``|date``, ``.all``), for a fraction
    of their cost: about 0.15 ms a message through the template engine, 0.04 ms here (and the bodies are
    rendered once, ``sanitize`` keeps them): 50 ms less for a conversation of 500 messages shown whole.
    """
    short = get_format("SHORT_DATETIME_FORMAT")
    for message in messages:
        created = timezone.localtime(message.created_at)
        message.created_iso = created.isoformat()
        message.created_short = dateformat.format(created, short)
        message.body_html = render_text(message.body)
        message.attachment_list = (
            attachments.get(message.pk, []) if attachments is not None else _prefetched(message, "attachments")
        )
        message.mail_list = dress_mails(
            mails.get(message.pk, []) if mails is not None else _prefetched(message, "mails"), short
        )
    return messages


def _prefetched(instance, name):
    """The related objects ``prefetch_related(name)`` read, as a list: without the queryset that
    ``instance.<name>.all()`` builds at each call (20 µs, twice a message)."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    return list(cache[name] if name in cache else getattr(instance, name).all())


def dress_mails(mails, short=None):
    """The mails (a list) with the dates ``workspace/mail_status.html`` shows, as ``dress_timeline`` does."""
    short = short or get_format("SHORT_DATETIME_FORMAT")
    mails = list(mails)
    for mail in mails:
        updated = timezone.localtime(mail.updated_at)
        mail.updated_iso = updated.isoformat()
        mail.updated_short = dateformat.format(updated, short)
    return mails


def canned_responses_for(ticket):
    """Active saved replies for every team or for the ticket's team, in the ticket's language first."""
    return CannedResponse.objects.offered_for(ticket)


def copies_of(ticket):
    """(followers, proposed addresses) of the ticket for the workspace, in one query (a UNION)."""
    followers = (
        TicketFollower.objects.filter(ticket=ticket)
        .order_by()
        .annotate(kind=Value("f"))
        .values_list("kind", "email", "name", "created_at")
    )
    proposed = (
        CcSuggestion.objects.filter(ticket=ticket, dismissed_at__isnull=True)
        .order_by()
        .annotate(kind=Value("s"))
        .values_list("kind", "email", "name", "created_at")
    )
    # No ORDER BY on the UNION (Django 6 refuses the default ordering of a combined query): sorted here.
    rows = sorted(followers.union(proposed, all=True).order_by(), key=lambda row: (row[3], row[1]))
    people = [{"email": email, "name": name} for kind, email, name, _at in rows if kind == "f"]
    suggestions = [{"email": email, "name": name} for kind, email, name, _at in rows if kind == "s"]
    return people, suggestions


# Views -----------------------------------------------------------------------------------------------------

class TicketMixin(PermissionCheckedMixin, BaseObjectMixin, WagtailAdminTemplateMixin):
    """Loads the ticket the agent may work (the same 404 as for a ticket that does not exist otherwise),
    asking the ticket permission policy, and frames the page like Wagtail's own views."""

    model = Ticket
    permission_policy = ticket_policy
    permission_required = "work"
    header_icon = "help"

    def get_object(self):
        if not ticket_policy.user_has_permission(self.request.user, "work"):
            raise PermissionDenied
        ticket = ticket_with_related(self.pk) if str(self.pk).isdigit() else None
        if ticket is None or not ticket_policy.user_has_permission_for_instance(self.request.user, "work", ticket):
            raise Http404
        return ticket

    @property
    def ticket(self):
        return self.object

    @ticket.setter
    def ticket(self, value):
        self.object = value

    def get_page_title(self):
        return self.ticket.reference

    def get_page_subtitle(self):
        return self.ticket.subject

    def workspace_url(self, show=None, anchor=""):
        url = ticket_url(self.ticket)
        if show and show != SHOW_ALL:
            url += "?" + urlencode({"show": show})
        return url + (f"#{anchor}" if anchor else "")

    def get_breadcrumbs_items(self):
        items = [{"url": reverse("wagtailadmin_home"), "label": _("Home")}]
        items.append({"url": inbox_url(), "label": _("Support inbox")})
        items.append({"url": "", "label": self.ticket.reference, "sublabel": self.ticket.subject})
        return items


class TicketWorkspaceView(TicketMixin, View):
    """The workspace of one ticket (GET only: it never changes anything)."""

    http_method_names = ["get", "head", "options"]
    template_name = "wagtail_support/admin/workspace.html"

    @method_decorator(never_cache)
    def get(self, request, pk):
        return self.render_workspace()

    @property
    def show(self):
        value = self.request.GET.get("show") or self.request.POST.get("show")
        return value if value in SHOW_CHOICES else SHOW_ALL

    def build_forms(self, catalog_tree, canned_responses, posted=None):
        """Every form of the page, unbound, except ``posted`` (a form the agent sent, shown again).

        The one form starts from the agent's draft (saved on the server while they typed), with a saved
        reply asked for by ``?canned=`` after it.
        """
        built = {}
        for name, form_class in WORKSPACE_FORMS.items():
            if posted is not None and type(posted) is form_class:
                built[name] = posted
                continue
            kwargs = {"ticket": self.ticket, "user": self.request.user}
            if form_class is SubmitForm:
                draft = self.draft
                canned = self.canned_text(canned_responses)
                body = "\n\n".join(text for text in (draft.body if draft else "", canned) if text)
                kwargs.update(catalog_tree=catalog_tree, draft=draft, initial={"body": body})
            built[name] = form_class(**kwargs)
        return built

    @cached_property
    def draft(self):
        """The agent's draft on this ticket, or ``None`` (one query)."""
        return ReplyDraft.objects.filter(ticket=self.ticket, user=self.request.user).first()

    def canned_text(self, canned_responses):
        """The saved reply ``?canned=<id>`` filled in for this ticket: inserting one without JavaScript.

        Only a reply offered on this page counts; any other id leaves the composer empty.
        """
        wanted = self.request.GET.get("canned", "")
        offered = {str(response.pk): response for response in canned_responses}
        if wanted not in offered:
            return ""
        return offered[wanted].render_for(self.ticket, self.request.user)

    @property
    def latest(self):
        return conversation_window(self.request.GET.get("latest"))

    def get_timeline(self):
        """The conversation, oldest first, in a fixed number of queries whatever its length: the first
        message and the ``CONVERSATION_WINDOW`` newest (``?latest=`` shows more)."""
        timeline = self.ticket.messages.all()
        if self.show == SHOW_PUBLIC:
            timeline = timeline.public()
        elif self.show == SHOW_INTERNAL:
            timeline = timeline.internal()
        # The authors by primary key (a prefetch): joined, PostgreSQL misjudged the window's size and hashed
        # every account.
        messages = list(timeline.window(self.latest).prefetch_related("author_user"))
        attachments, mails = timeline_related(messages)
        return dress_timeline(messages, attachments, mails)

    def earlier_links(self, shown, total):
        """The bar between the first message and the newest ones, when messages are left out."""
        return earlier_messages(
            ticket_url(self.ticket),
            self.latest,
            total - shown,
            {"show": self.show} if self.show != SHOW_ALL else None,
        )

    def get_context_data(self, posted=None, **kwargs):
        ticket, user, show = self.ticket, self.request.user, self.show
        tree = Category.objects.tree()
        canned_responses = list(canned_responses_for(ticket))
        counts = ticket.messages.aggregate(
            all=Count("pk"),
            public=Count("pk", filter=Q(visibility=Message.Visibility.PUBLIC)),
            internal=Count("pk", filter=Q(visibility=Message.Visibility.INTERNAL)),
        )
        history = list(
            log_registry.get_logs_for_instance(ticket)
            .select_related("user")
            .order_by("-timestamp", "-pk")[: HISTORY_ON_WORKSPACE + 1]
        )
        timeline = self.get_timeline()
        followers, cc_suggestions = copies_of(ticket)
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "ticket": ticket,
                "forms": self.build_forms(tree, canned_responses, posted),
                "timeline": timeline,
                "earlier": self.earlier_links(len(timeline), counts[show]),
                "counts": counts,
                "show": show,
                "show_links": [
                    {
                        "value": value,
                        "label": label,
                        "count": counts[value],
                        "url": self.workspace_url(value, "conversation"),
                    }
                    for value, label in (
                        (SHOW_ALL, _("Everything")),
                        (SHOW_PUBLIC, _("Public replies")),
                        (SHOW_INTERNAL, _("Internal notes")),
                    )
                ],
                # Mails about the ticket that no message carries (pending, resolved, assigned...).
                "ticket_mails": dress_mails(
                    ticket.mails.filter(message__isnull=True).order_by("-created_at", "-pk")[:MAILS_ON_WORKSPACE]
                ),
                "history": history[:HISTORY_ON_WORKSPACE],
                "more_history": len(history) > HISTORY_ON_WORKSPACE,
                "history_url": admin_url("ticket_history", ticket.pk),
                "category_name": tree.by_id[ticket.category_id].full_name if ticket.category_id in tree.by_id else "",
                "requester_tickets_url": other_tickets_url(ticket.requester_email),
                "beneficiary_tickets_url": other_tickets_url(ticket.beneficiary_email),
                "submitted_from_url": page_edit_url(ticket.submitted_from),
                "source_revision": source_revision_urls(ticket),
                "came_from_url": page_edit_url(ticket.came_from),
                "follows_url": ticket_url(ticket.follows_id) if ticket.follows_id else None,
                "canned_responses": canned_responses,
                "canned_texts": {str(r.pk): r.render_for(ticket, user) for r in canned_responses},
                # What each reply also sets when sent (a macro), read from its original: one query.
                "canned_actions": actions_for(canned_responses, ticket, user),
                "workspace_url": self.workspace_url(show),
                "is_assignee": ticket.assignee_id == user.pk,
                "action_urls": {
                    name: admin_url("ticket_action", ticket.pk, name) for name in ACTION_FORMS
                },
                "draft_url": admin_url("ticket_draft", ticket.pk),
                # People in copy and the addresses proposed from the requester's mail (one query).
                "followers": followers,
                "cc_suggestions": cc_suggestions,
                "follower_urls": {
                    name: admin_url(f"ticket_{name}", ticket.pk) for name in ("follower_add", "follower_remove", "cc_dismiss")
                },
                "draft": self.draft,
                # Who else has the ticket open (from the cache, no query); this agent is counted in.
                "presence": presence.page_context(ticket, user),
                "service_levels": service_level_rows(ticket),
                # The requester's rating of each closing, newest first (one query), and until when the
                # current closing may still be rated (``None``: it may not).
                "ratings": list(ticket.ratings.order_by("-closed_at")),
                "rating_open": access.rating_deadline(ticket) if access.is_ratable(ticket) else None,
            }
        )
        return context

    def render_workspace(self, posted=None, status=200):
        return self.render_to_response(self.get_context_data(posted=posted), status=status)
