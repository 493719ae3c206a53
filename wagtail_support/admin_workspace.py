"""The ticket workspace: the admin page where an agent works one ticket.

One page per ticket (``wagtail_support_ticket``) shows the ticket, the conversation (the requester's
journal and the agent journal in one timeline), a composer and every move an agent can make. Each move
is a POST to ``wagtail_support_ticket_action`` with the action's name, made through
``wagtail_support.workflow``; this module never changes a ticket itself. ``access`` decides who may
see the page: agents only, and only for tickets they may work; any other ticket is a 404, whether it
exists or not.

Every form carries the ticket's ``version``. When the ticket changed since the page was shown, the
workflow refuses the move (``TicketChanged``) and the page is shown again, with the agent's input kept
and a warning, so nothing is overwritten silently and no draft is lost.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail.admin import messages
from wagtail.admin.auth import user_passes_test
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import registry as log_registry

from . import access, workflow
from .forms import AttachmentsField, QuickSelect
from .models import CannedResponse, Category, Message, ResolutionCode, Team, Ticket, conversation_window, earlier_messages

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
TICKET_PREFETCHED = ("submitted_from", "came_from", "follows")


def ticket_with_related(pk):
    """The ticket with what the workspace shows of it, or ``None``."""
    return (
        Ticket.objects.select_related(*TICKET_RELATED)
        .prefetch_related(*TICKET_PREFETCHED)
        .filter(pk=pk)
        .order_by()
        .first()
    )


# Helpers ---------------------------------------------------------------------------------------------------


def user_label(user):
    return user.get_full_name() or user.get_username()


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def optional_url(name, *args, query=None):
    """The URL of ``name``, or ``None`` when it is not registered (the inbox may not be installed)."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    if query:
        url = f"{url}?{urlencode(query)}"
    return url


def inbox_url(**query):
    return optional_url("wagtail_support_inbox", query=query)


def other_tickets_url(email):
    """The inbox filtered on the tickets of ``email`` (the requester or the beneficiary)."""
    return inbox_url(requester=email) if email else None


def page_admin_url(page):
    return optional_url("wagtailadmin_pages:edit", page.pk) if page is not None else None


def catalog():
    """``{pk: ("Parent › Child", is_active)}`` for the whole service catalog, in one query."""
    rows = {
        pk: (name, parent, active)
        for pk, name, parent, active in Category.objects.values_list("pk", "name", "parent_id", "is_active")
    }
    entries = {}
    for pk, (_name, _parent, active) in rows.items():
        chain, seen, node = [], set(), pk
        # ``seen`` guards against a cycle saved by hand, like ``Category.ancestors``.
        while node is not None and node in rows and node not in seen:
            seen.add(node)
            chain.append(rows[node][0])
            node = rows[node][1]
        entries[pk] = (" › ".join(reversed(chain)), active)
    return entries


assignable_agents = access.assignable_agents


def get_workable_ticket(user, pk):
    """The ticket ``pk`` if ``user`` may work it; otherwise the same 404 as for a ticket that does not exist."""
    ticket = ticket_with_related(pk)
    if ticket is None or not access.can_work_ticket(user, ticket):
        raise Http404
    return ticket


def canned_responses_for(ticket):
    """Active saved replies for every team or for the ticket's team."""
    team_q = Q(team__isnull=True)
    if ticket.team_id:
        team_q |= Q(team_id=ticket.team_id)
    return CannedResponse.objects.filter(team_q, is_active=True)


# Forms -----------------------------------------------------------------------------------------------------


class TicketActionForm(forms.Form):
    """A form of the workspace: one move of the workflow, with the version of the ticket it was shown for.

    ``apply()`` makes the move and returns the sentence to show the agent; it lets the workflow's
    ``WorkflowError`` through for the view to report.
    """

    # Forms with text an agent typed: on a refusal the page is shown again with the text, never lost.
    keeps_draft = False

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, ticket, user, **kwargs):
        self.ticket = ticket
        self.user = user
        initial = {"version": ticket.version, **self.get_initial(ticket), **kwargs.pop("initial", {})}
        super().__init__(*args, initial=initial, **kwargs)

    def get_initial(self, ticket):
        return {}

    @property
    def expected_version(self):
        return self.cleaned_data["version"]

    def apply(self, action):
        raise NotImplementedError


class ComposerForm(TicketActionForm):
    """The composer: the same text becomes a public reply or an internal note, by the button pressed."""

    prefix = "composer"
    keeps_draft = True

    body = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-wsw-composer-body": ""}),
    )
    attachments = AttachmentsField()
    set_pending = forms.BooleanField(
        label=gettext_lazy("Wait for the requester (set pending)"),
        required=False,
        help_text=gettext_lazy("Replies only: the ticket waits for the requester's answer."),
    )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("attachments") and not self.errors:
            self.add_error("body", _("Write a message or attach a file."))
        return cleaned

    def apply(self, action):
        internal = action == "note"
        data = self.cleaned_data
        workflow.reply(
            self.ticket,
            by=self.user,
            body=data["body"],
            internal=internal,
            set_pending=data["set_pending"],
            channel=Ticket.Channel.ADMIN,
            attachments=data["attachments"],
            expected_version=self.expected_version,
        )
        if internal:
            message = _("Internal note added to ticket %(reference)s. The requester does not see it.")
        elif data["set_pending"]:
            message = _("Reply sent to the requester of ticket %(reference)s. The ticket now waits for their answer.")
        else:
            message = _("Reply sent to the requester of ticket %(reference)s.")
        return message % {"reference": self.ticket.reference}


class AssignSelfForm(TicketActionForm):
    prefix = "assign_self"

    def apply(self, action):
        workflow.assign_to_self(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("You are now the assignee of ticket %(reference)s.") % {"reference": self.ticket.reference}


class AssignForm(TicketActionForm):
    prefix = "assign"

    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assignee"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Nobody (unassigned)"),
        widget=QuickSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ticket = self.ticket
        # The ids first (a handful, found through the membership tables), then the accounts by primary
        # key: an OR with the current assignee in one query made PostgreSQL read every account.
        choices = set(assignable_agents(ticket.team).values_list("pk", flat=True))
        if ticket.assignee_id:
            choices.add(ticket.assignee_id)
        choices = Q(pk__in=sorted(choices))
        user_model = get_user_model()
        # Sorted by name where the user model has one (a custom user model may not).
        names = [name for name in ("first_name", "last_name") if _has_field(user_model, name)]
        field = self.fields["assignee"]
        field.queryset = user_model._default_manager.filter(choices).order_by(*names, user_model.USERNAME_FIELD)
        field.label_from_instance = user_label

    def get_initial(self, ticket):
        return {"assignee": ticket.assignee_id}

    def apply(self, action):
        assignee = self.cleaned_data["assignee"]
        workflow.assign(self.ticket, to=assignee, by=self.user, expected_version=self.expected_version)
        if assignee is None:
            return _("Ticket %(reference)s is now unassigned.") % {"reference": self.ticket.reference}
        return _("Ticket %(reference)s assigned to %(name)s.") % {
            "reference": self.ticket.reference,
            "name": user_label(assignee),
        }


class TeamForm(TicketActionForm):
    prefix = "team"

    team = forms.ModelChoiceField(
        label=gettext_lazy("Support team"), queryset=Team.objects.none(), widget=QuickSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Q(is_active=True)
        if self.ticket.team_id:
            teams |= Q(pk=self.ticket.team_id)
        self.fields["team"].queryset = Team.objects.filter(teams)

    def get_initial(self, ticket):
        return {"team": ticket.team_id}

    def apply(self, action):
        team = self.cleaned_data["team"]
        workflow.change_team(self.ticket, team=team, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s moved to team %(team)s.") % {"reference": self.ticket.reference, "team": team}


class DetailsForm(TicketActionForm):
    prefix = "details"

    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Ticket.Kind.choices, widget=QuickSelect)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Ticket.Priority.choices, widget=QuickSelect)
    category = forms.TypedChoiceField(
        label=gettext_lazy("Service catalog entry"), required=False, coerce=int, empty_value=None,
        widget=QuickSelect,
    )

    def __init__(self, *args, catalog_entries=None, **kwargs):
        super().__init__(*args, **kwargs)
        entries = catalog_entries if catalog_entries is not None else catalog()
        current = self.ticket.category_id
        # The catalog as a tree ("Parent › Child"); an entry no longer active stays on the ticket it is on.
        choices = sorted(
            ((pk, name) for pk, (name, active) in entries.items() if active or pk == current),
            key=lambda choice: choice[1].casefold(),
        )
        self.fields["category"].choices = [("", _("None"))] + choices

    def get_initial(self, ticket):
        return {
            "subject": ticket.subject,
            "kind": ticket.kind,
            "priority": ticket.priority,
            "category": ticket.category_id,
        }

    def clean_category(self):
        pk = self.cleaned_data.get("category")
        if pk is None:
            return None
        category = Category.objects.filter(pk=pk).first()
        if category is None:
            raise ValidationError(_("This service catalog entry no longer exists."))
        return category

    def apply(self, action):
        data = self.cleaned_data
        workflow.change_details(
            self.ticket,
            by=self.user,
            expected_version=self.expected_version,
            subject=data["subject"],
            kind=data["kind"],
            priority=data["priority"],
            category=data["category"],
        )
        return _("Details of ticket %(reference)s saved.") % {"reference": self.ticket.reference}


class PeopleForm(TicketActionForm):
    prefix = "people"

    requester_name = forms.CharField(label=gettext_lazy("Requester name"), max_length=255, required=False)
    requester_email = forms.EmailField(
        label=gettext_lazy("Requester email"),
        max_length=254,
        required=False,
        help_text=gettext_lazy("A new address detaches the ticket from the requester's account."),
    )
    beneficiary_name = forms.CharField(label=gettext_lazy("Beneficiary name"), max_length=255, required=False)
    beneficiary_email = forms.EmailField(label=gettext_lazy("Beneficiary email"), max_length=254, required=False)
    clear_beneficiary = forms.BooleanField(
        label=gettext_lazy("No beneficiary (remove the beneficiary)"), required=False
    )

    def get_initial(self, ticket):
        return {
            "requester_name": ticket.requester_name,
            "requester_email": ticket.requester_email,
            "beneficiary_name": ticket.beneficiary_name,
            "beneficiary_email": ticket.beneficiary_email,
        }

    @staticmethod
    def _person_changes(prefix, account, old_name, old_email, name, email):
        """The ``change_people`` arguments for one person, or ``{}`` when nothing changed.

        The account stays linked while the address stays the same (a corrected name); a new address is
        someone else, so the account is no longer theirs.
        """
        name, email = (name or "").strip(), (email or "").strip().lower()
        if name == (old_name or "") and email == (old_email or "").lower():
            return {}
        changes = {f"{prefix}_name": name, f"{prefix}_email": email}
        if account is not None and email == (old_email or "").lower():
            changes[prefix] = account
        return changes

    def changes(self):
        data, ticket = self.cleaned_data, self.ticket
        changes = self._person_changes(
            "requester",
            ticket.requester_user,
            ticket.requester_name,
            ticket.requester_email,
            data["requester_name"],
            data["requester_email"],
        )
        had_beneficiary = bool(ticket.beneficiary_user_id or ticket.beneficiary_display)
        empty = not (data["beneficiary_name"] or "").strip() and not (data["beneficiary_email"] or "").strip()
        if data["clear_beneficiary"] or empty:
            if had_beneficiary:
                changes["clear_beneficiary"] = True
        else:
            changes.update(
                self._person_changes(
                    "beneficiary",
                    ticket.beneficiary_user,
                    ticket.beneficiary_name,
                    ticket.beneficiary_email,
                    data["beneficiary_name"],
                    data["beneficiary_email"],
                )
            )
        return changes

    def apply(self, action):
        changes = self.changes()
        if changes:
            workflow.change_people(self.ticket, by=self.user, expected_version=self.expected_version, **changes)
        return _("Requester and beneficiary of ticket %(reference)s saved.") % {"reference": self.ticket.reference}


class PendingForm(TicketActionForm):
    prefix = "pending"

    def apply(self, action):
        workflow.set_pending(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s now waits for the requester.") % {"reference": self.ticket.reference}


class ResolveForm(TicketActionForm):
    prefix = "resolve"
    keeps_draft = True

    code = forms.ModelChoiceField(
        label=gettext_lazy("Resolution code"),
        queryset=ResolutionCode.objects.none(),
        empty_label=gettext_lazy("Choose a resolution code"),
        widget=QuickSelect,
    )
    solution = forms.CharField(
        label=gettext_lazy("Solution"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The requester receives this text by email."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = ResolutionCode.objects.filter(is_active=True).exclude(
            code=ResolutionCode.NO_FOLLOW_UP
        )

    def clean_solution(self):
        solution = (self.cleaned_data.get("solution") or "").strip()
        if not solution:
            raise ValidationError(_("Describe the solution: the requester will receive it."))
        return solution

    def apply(self, action):
        data = self.cleaned_data
        workflow.resolve(
            self.ticket,
            code=data["code"],
            solution=data["solution"],
            by=self.user,
            expected_version=self.expected_version,
        )
        return _("Ticket %(reference)s resolved. The requester receives the solution by email.") % {
            "reference": self.ticket.reference
        }


class AbandonForm(TicketActionForm):
    """Abandon is confirmed: without ``confirm`` the view asks first and changes nothing."""

    prefix = "abandon"

    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    @property
    def confirmed(self):
        return bool(self.cleaned_data.get("confirm"))

    def apply(self, action):
        workflow.abandon(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s closed with no follow-up.") % {"reference": self.ticket.reference}


class ReopenForm(TicketActionForm):
    prefix = "reopen"

    def apply(self, action):
        workflow.reopen(self.ticket, by=self.user, expected_version=self.expected_version)
        return _("Ticket %(reference)s reopened.") % {"reference": self.ticket.reference}


# The actions of ``wagtail_support_ticket_action``: action name -> form.
ACTION_FORMS = {
    "reply": ComposerForm,
    "note": ComposerForm,
    "assign_self": AssignSelfForm,
    "assign": AssignForm,
    "team": TeamForm,
    "details": DetailsForm,
    "people": PeopleForm,
    "pending": PendingForm,
    "resolve": ResolveForm,
    "abandon": AbandonForm,
    "reopen": ReopenForm,
}

WORKSPACE_FORMS = {form_class.prefix: form_class for form_class in ACTION_FORMS.values()}


# Views -----------------------------------------------------------------------------------------------------

agent_required = method_decorator(user_passes_test(access.is_agent), name="dispatch")


class TicketMixin(WagtailAdminTemplateMixin):
    """Loads the ticket the agent may work (404 otherwise) and frames the page like Wagtail's own views."""

    header_icon = "help"

    def dispatch(self, request, pk, **kwargs):
        self.ticket = get_workable_ticket(request.user, pk)
        return super().dispatch(request, pk, **kwargs)

    def get_page_title(self):
        return self.ticket.reference

    def get_page_subtitle(self):
        return self.ticket.subject

    def workspace_url(self, show=None, anchor=""):
        url = reverse("wagtail_support_ticket", args=[self.ticket.pk])
        if show and show != SHOW_ALL:
            url += "?" + urlencode({"show": show})
        return url + (f"#{anchor}" if anchor else "")

    def get_breadcrumbs_items(self):
        items = [{"url": reverse("wagtailadmin_home"), "label": _("Home")}]
        inbox = inbox_url()
        if inbox:
            items.append({"url": inbox, "label": _("Support inbox")})
        items.append({"url": "", "label": self.ticket.reference, "sublabel": self.ticket.subject})
        return items


@agent_required
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

    def build_forms(self, catalog_entries, canned_responses, posted=None):
        """Every form of the page, unbound, except ``posted`` (a form the agent sent, shown again)."""
        built = {}
        for prefix, form_class in WORKSPACE_FORMS.items():
            if posted is not None and posted.prefix == prefix:
                built[prefix] = posted
                continue
            kwargs = {"ticket": self.ticket, "user": self.request.user}
            if form_class is DetailsForm:
                kwargs["catalog_entries"] = catalog_entries
            if form_class is ComposerForm:
                kwargs["initial"] = {"body": self.canned_text(canned_responses)}
            built[prefix] = form_class(**kwargs)
        return built

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
        timeline = timeline.window(self.latest).prefetch_related("author_user", "attachments", "mails")
        return list(timeline)

    def earlier_links(self, shown, total):
        """The bar between the first message and the newest ones, when messages are left out."""
        return earlier_messages(
            reverse("wagtail_support_ticket", args=[self.ticket.pk]),
            self.latest,
            total - shown,
            {"show": self.show} if self.show != SHOW_ALL else None,
        )

    def get_context_data(self, posted=None, **kwargs):
        ticket, user, show = self.ticket, self.request.user, self.show
        entries = catalog()
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
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "ticket": ticket,
                "forms": self.build_forms(entries, canned_responses, posted),
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
                        (SHOW_PUBLIC, _("Requester's journal")),
                        (SHOW_INTERNAL, _("Agent journal")),
                    )
                ],
                # Mails about the ticket that no message carries (pending, resolved, assigned...).
                "ticket_mails": list(ticket.mails.filter(message__isnull=True).order_by("-created_at", "-pk")[:MAILS_ON_WORKSPACE]),
                "history": history[:HISTORY_ON_WORKSPACE],
                "more_history": len(history) > HISTORY_ON_WORKSPACE,
                "history_url": reverse("wagtail_support_ticket_history", args=[ticket.pk]),
                "category_name": entries.get(ticket.category_id, ("", True))[0],
                "requester_tickets_url": other_tickets_url(ticket.requester_email),
                "beneficiary_tickets_url": other_tickets_url(ticket.beneficiary_email),
                "submitted_from_url": page_admin_url(ticket.submitted_from),
                "came_from_url": page_admin_url(ticket.came_from),
                "follows_url": optional_url("wagtail_support_ticket", ticket.follows_id) if ticket.follows_id else None,
                "canned_responses": canned_responses,
                "canned_texts": {str(r.pk): r.render_for(ticket, user) for r in canned_responses},
                "workspace_url": self.workspace_url(show),
                "is_assignee": ticket.assignee_id == user.pk,
                "action_urls": {
                    name: reverse("wagtail_support_ticket_action", args=[ticket.pk, name]) for name in ACTION_FORMS
                },
            }
        )
        return context

    def render_workspace(self, posted=None, status=200):
        return self.render_to_response(self.get_context_data(posted=posted), status=status)


@agent_required
class TicketActionView(TicketWorkspaceView):
    """One move on the ticket (POST only), made through the workflow.

    - Done: a success message and back to the workspace.
    - Refused (a form error or a ``WorkflowError``): an error message. A form holding text the agent
      typed (the composer, resolve) shows the page again with that text (400); the others go back.
    - The ticket changed meanwhile (``TicketChanged``): nothing was applied; the page is shown again as
      the ticket is now, with the agent's input kept and a warning (409).
    """

    http_method_names = ["post"]

    def post(self, request, pk, action):
        form_class = ACTION_FORMS.get(action)
        if form_class is None:
            raise Http404
        ticket = self.ticket
        form = form_class(request.POST, request.FILES, ticket=ticket, user=request.user)
        if not form.is_valid():
            message = _("Ticket %(reference)s was not changed: please correct the form.")
            return self.refused(form, message % {"reference": ticket.reference})
        if isinstance(form, AbandonForm) and not form.confirmed:
            return self.confirm_abandon(form)

        version = ticket.version
        try:
            success = form.apply(action)
        except workflow.TicketChanged as error:
            return self.changed_meanwhile(form, error)
        except workflow.WorkflowError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            return self.refused(form, str(error))

        if ticket.version == version:
            messages.info(request, _("Nothing to change on ticket %(reference)s.") % {"reference": ticket.reference})
        else:
            messages.success(request, success)
        if not access.can_work_ticket(request.user, ticket):
            return self.no_longer_yours()
        return redirect(self.workspace_url(self.show, "conversation-end" if form_class is ComposerForm else ""))

    def no_longer_yours(self):
        # Moved to a team this agent is not in, or unassigned from an agent outside the team.
        messages.info(
            self.request, _("You no longer work on ticket %(reference)s.") % {"reference": self.ticket.reference}
        )
        return redirect(inbox_url() or reverse("wagtailadmin_home"))

    def changed_meanwhile(self, form, error):
        self.ticket = ticket_with_related(self.ticket.pk)
        if self.ticket is None:
            raise Http404
        if not access.can_work_ticket(self.request.user, self.ticket):
            messages.warning(self.request, str(error))
            return self.no_longer_yours()
        messages.warning(self.request, str(error))
        return self.render_workspace(posted=self.for_current_version(form), status=409)

    def refused(self, form, message):
        messages.error(self.request, message)
        if form.keeps_draft:
            if self.request.FILES:
                # A browser never fills a file field in again.
                messages.warning(self.request, _("Choose your attachments again before sending."))
            self.ticket.refresh_from_db()
            return self.render_workspace(posted=self.for_current_version(form), status=400)
        for name, errors in form.errors.items():
            if name == "version":
                messages.error(self.request, _("The form was out of date: look at the ticket and try again."))
            elif name in form.fields and errors and str(errors[0]) != message:
                messages.error(
                    self.request,
                    _("%(field)s: %(errors)s") % {"field": form.fields[name].label, "errors": " ".join(errors)},
                )
        return redirect(self.workspace_url(self.show))

    def for_current_version(self, form):
        """``form`` as the agent sent it, carrying the ticket's current version so it can be sent again."""
        data = form.data.copy()
        data[form.add_prefix("version")] = str(self.ticket.version)
        form.data = data
        form.ticket = self.ticket
        return form

    def confirm_abandon(self, form):
        """Abandoning closes the ticket as "No follow-up": ask first, change nothing."""
        context = super(TicketWorkspaceView, self).get_context_data()
        context.update(
            {
                "ticket": self.ticket,
                "form": form,
                "action_url": reverse("wagtail_support_ticket_action", args=[self.ticket.pk, "abandon"]),
                "workspace_url": self.workspace_url(self.show),
                "show": self.show,
            }
        )
        return self.response_class(
            request=self.request,
            template=["wagtail_support/admin/workspace/confirm_abandon.html"],
            context=context,
            using=self.template_engine,
        )


@agent_required
class TicketHistoryView(TicketMixin, View):
    """Every log entry of the ticket, newest first, as a person would tell it."""

    http_method_names = ["get", "head", "options"]
    template_name = "wagtail_support/admin/workspace/history.html"

    def get_page_title(self):
        return _("History of %(reference)s") % {"reference": self.ticket.reference}

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        items[-1] = {"url": reverse("wagtail_support_ticket", args=[self.ticket.pk]), "label": self.ticket.reference}
        items.append({"url": "", "label": _("History")})
        return items

    @method_decorator(never_cache)
    def get(self, request, pk):
        entries = (
            log_registry.get_logs_for_instance(self.ticket).select_related("user").order_by("-timestamp", "-pk")
        )
        page = Paginator(entries, HISTORY_PER_PAGE).get_page(request.GET.get("p"))
        context = self.get_context_data(ticket=self.ticket, page=page, history=page.object_list)
        context["workspace_url"] = reverse("wagtail_support_ticket", args=[self.ticket.pk])
        return self.render_to_response(context)


def admin_urls():
    """URLs of the workspace; registered by ``wagtail_hooks``."""
    return [
        path("support/tickets/<int:pk>/", TicketWorkspaceView.as_view(), name="wagtail_support_ticket"),
        path("support/tickets/<int:pk>/history/", TicketHistoryView.as_view(), name="wagtail_support_ticket_history"),
        path(
            "support/tickets/<int:pk>/<slug:action>/",
            TicketActionView.as_view(),
            name="wagtail_support_ticket_action",
        ),
    ]
