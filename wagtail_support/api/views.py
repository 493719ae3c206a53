"""The API's endpoints (``urls``): tickets (list, create, detail, attachments), messages, the moves, and the
configuration an agent needs to make them (teams, catalog, resolution codes).

Every ticket comes from ``access.worked_tickets`` (a ticket the token's user may not work is the same 404 as
one that does not exist), every change from a ``workflow`` move (never a field set here), and the list
from the inbox's own pieces (``admin.scope``, ``admin.filters``): the same views, filters, search and
orderings, at a fixed number of queries whatever the page size.
"""

import hashlib
import json

from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from wagtail.models import Site

from .. import access, submissions, workflow
from ..admin.create import AgentTicketForm, open_from_form
from ..admin.filters import DEFAULT_ORDERING, ORDERING_ALIASES, ORDERINGS, TicketFilterSet, order_tickets, search_tickets
from ..admin.inbox import PAGE_SIZE, with_default_view
from ..admin.scope import LISTING_DEFERRED, AgentScope
from ..models import Attachment, Category, FormSubmission, ResolutionCode, Team, Ticket
from . import pagination
from .base import SupportAPIView, error_response, field_errors
from .serializers import (
    AssignInSerializer,
    CategorySerializer,
    MessageInSerializer,
    MessageSerializer,
    ReplyInSerializer,
    ResolutionCodeSerializer,
    ResolveInSerializer,
    TeamInSerializer,
    TeamSerializer,
    TicketDetailSerializer,
    TicketSerializer,
    VersionSerializer,
    ticket_api_url,
)

#: The most tickets one page of the list gives (``?page_size=``); ``PAGE_SIZE`` (the inbox's) by default.
MAX_PAGE_SIZE = 100
#: Ticket numbers are ``PositiveBigIntegerField``: a larger one is no ticket (and no database error).
MAX_NUMBER = 2**63 - 1

ERROR = inline_serializer(
    "Error",
    {
        "detail": drf_serializers.CharField(),
        "errors": drf_serializers.DictField(child=drf_serializers.ListField(child=drf_serializers.CharField())),
    },
)
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 429: ERROR}


def api_schema(**kwargs):
    """``extend_schema`` on drf-spectacular's ``AutoSchema``, whatever the site's ``DEFAULT_SCHEMA_CLASS``
    (a method's ``extend_schema`` otherwise builds on that setting, DRF's own generator by default)."""

    def decorator(method):
        method.schema = AutoSchema
        return extend_schema(**kwargs)(method)

    return decorator


def orderings():
    return [key for name in ORDERINGS for key in (name, f"-{name}")]


class ListScope(AgentScope):
    """The inbox's scope for one list request, reading the choices of the team and assignee filters only
    when the request uses them (the inbox shows every choice; a script's request names the ones it uses):
    two queries fewer for most requests, and a value given is checked against the same choices."""

    def __init__(self, user, names):
        super().__init__(user)
        self.names = set(names)

    def teams(self):
        return super().teams() if "team" in self.names else Team.objects.none()

    def agents(self):
        return super().agents() if "assignee" in self.names else get_user_model()._default_manager.none()


def worked_ticket(request, number):
    """The ticket ``number`` if the token's user works it; 404 for anything else (absent or not theirs)."""
    if number > MAX_NUMBER:
        raise Http404
    ticket = (
        access.worked_tickets(request.user)
        .select_related("team", "assignee", "resolution_code")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


#: The header that makes a POST that creates something safe to send again (a retry after a timeout).
IDEMPOTENCY_HEADER = "Idempotency-Key"


def once(request, kind, move, ticket=None):
    """Run ``move()`` (returning ``(ticket, message)``) once per ``Idempotency-Key`` of this token.

    Without the header ``move()`` simply runs. With it, the first request's ticket and message are
    recorded in its transaction (``submissions.submit_once``, as the visitor forms' one-time tokens): the
    same request sent again answers what the first one stored (``replayed``), and the key used with another
    request is refused (409). Keys are kept a day, like the forms' tokens.
    """
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        return (*move(), False)
    token = hashlib.sha256(f"api:{request.auth.pk}:{key}".encode()).hexdigest()
    body = {name: request.data.get(name) for name in sorted(request.data)} if hasattr(request.data, "get") else {}
    files = sorted((f.name, f.size) for f in request.FILES.getlist("attachments"))
    post_digest = hashlib.sha256(
        json.dumps([request.path, body, files], sort_keys=True, default=str).encode()
    ).hexdigest()
    try:
        created, message = submissions.submit_once(token, kind, post_digest, move, ticket=ticket)
    except submissions.AlreadySent as sent:
        if not sent.same:
            raise workflow.TicketChanged(
                _("This %(header)s was used for another request: send a new key with each new request.")
                % {"header": IDEMPOTENCY_HEADER}
            ) from None
        return sent.submission.ticket, sent.submission.message, True
    return created, message, False


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False,
    description="Any unique text (a UUID): the same request sent again with it is answered with what the first "
                "one stored (200), never stored twice.",
)  # fmt: skip


def validated(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def output_context(request):
    return {
        "request": request,
        "ticket_url": ticket_api_url(),
        "attachment_url": lambda attachment: reverse(
            "wagtail_support_api:attachment", args=[attachment.message.ticket.number, attachment.pk]
        ),
    }


# Tickets -------------------------------------------------------------------------------------------------


LIST_PARAMETERS = [
    OpenApiParameter("view", str, enum=["teams", "mine", "unassigned", "waiting", "open", "all"],
                     description="The inbox's one-click views; teams (default): my teams' tickets not closed."),
    OpenApiParameter("status", str, enum=list(Ticket.Status.values)),
    OpenApiParameter("priority", str, enum=list(Ticket.Priority.values)),
    OpenApiParameter("kind", str, enum=list(Ticket.Kind.values)),
    OpenApiParameter("team", str, description='A team id among the caller\'s (GET /teams/), or "none".'),
    OpenApiParameter("assignee", str, description='An agent id, "me" or "nobody".'),
    OpenApiParameter("category", int, description="A catalog entry and everything under it."),
    OpenApiParameter("service_level", str, enum=["late", "soon"]),
    OpenApiParameter("requester", str, description="A requester's or beneficiary's email address."),
    OpenApiParameter("q", str, description="A reference (#1042), an address, or words of the subject or requester."),
    OpenApiParameter("ordering", str, enum=orderings(), description=f"Default {DEFAULT_ORDERING}."),
    OpenApiParameter("cursor", str, description="The next page: the list's `next` gives it."),
    OpenApiParameter("page_size", int, description=f"1 to {MAX_PAGE_SIZE}, {PAGE_SIZE} by default."),
]

TICKET_PAGE = inline_serializer(
    "TicketPage",
    {
        "results": TicketSerializer(many=True),
        "next": drf_serializers.CharField(allow_null=True),
        "ordering": drf_serializers.CharField(),
    },
)


class TicketListView(SupportAPIView):
    """The tickets the token's user works, as the inbox lists them; a new ticket for a requester."""

    @api_schema(parameters=LIST_PARAMETERS, responses={200: TICKET_PAGE, **ERRORS}, operation_id="tickets_list")
    def get(self, request):
        params = request.query_params
        errors = {}
        ordering = params.get("ordering") or DEFAULT_ORDERING
        name = ordering.lstrip("-")
        ordering = ("-" if ordering.startswith("-") else "") + ORDERING_ALIASES.get(name, name)
        if ordering not in orderings():
            errors["ordering"] = [_("Unknown ordering.")]
        size = params.get("page_size") or str(PAGE_SIZE)
        if not (size.isdigit() and 1 <= int(size) <= MAX_PAGE_SIZE):
            errors["page_size"] = [_("Give a number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]
        scope = ListScope(request.user, params)
        setattr(request, AgentScope.REQUEST_ATTRIBUTE, scope)  # the filter set's scope (``AgentScope.for_request``)
        base = scope.tickets(params.get("view")).select_related("team", "assignee").defer(*LISTING_DEFERRED)
        filters = TicketFilterSet(data=with_default_view(params), queryset=base, request=request)
        if not filters.is_valid():
            errors.update(field_errors(filters.form.errors))
        if errors:
            return error_response(_("Some filters are not valid."), errors)
        size = int(size)
        tickets = order_tickets(search_tickets(filters.qs, params.get("q", "")), ordering)
        cursor = params.get("cursor")
        if cursor:
            try:
                tickets = tickets.filter(pagination.after_q(ordering, pagination.read_cursor(cursor, ordering)))
            except pagination.BadCursor:
                return error_response(_("Some filters are not valid."), {"cursor": [_("This cursor is not valid.")]})
        rows = list(tickets[: size + 1])
        following = None
        if len(rows) > size:
            rows = rows[:size]
            url = request.build_absolute_uri()
            following = replace_query_param(url, "cursor", pagination.make_cursor(ordering, rows[-1]))
        data = TicketSerializer(rows, many=True, context=output_context(request)).data
        return Response({"results": data, "next": following, "ordering": ordering})

    @api_schema(
        request=inline_serializer(
            "TicketIn",
            {
                "requester_name": drf_serializers.CharField(required=False),
                "requester_email": drf_serializers.EmailField(required=False),
                "requester_user": drf_serializers.IntegerField(required=False, help_text="An account's id, instead."),
                "beneficiary_name": drf_serializers.CharField(required=False),
                "beneficiary_email": drf_serializers.EmailField(required=False),
                "beneficiary_user": drf_serializers.IntegerField(required=False),
                "category": drf_serializers.IntegerField(required=False, help_text="GET /categories/"),
                "team": drf_serializers.IntegerField(required=False, help_text="Another team than the category's."),
                "kind": drf_serializers.ChoiceField(Ticket.Kind.values),
                "priority": drf_serializers.ChoiceField(Ticket.Priority.values),
                "channel": drf_serializers.ChoiceField(["email", "phone", "in_person", "admin"]),
                "subject": drf_serializers.CharField(),
                "description": drf_serializers.CharField(),
            },
        ),
        responses={201: TicketSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        """Open a ticket for a requester (the admin's "New ticket": the same form, the same checks)."""
        if not isinstance(request.data, dict):
            return error_response(_("Send the ticket's fields as a JSON object or a form."))
        form = AgentTicketForm(data=request.data, files=request.FILES)
        if not form.is_valid():
            return error_response(_("The ticket could not be created. Correct the errors below."), field_errors(form.errors))
        site = Site.find_for_request(request._request)
        try:
            ticket, _message, replayed = once(
                request, FormSubmission.Kind.TICKET, lambda: (open_from_form(form, by=request.user, site=site), None)
            )
        except workflow.InvalidInput as error:
            field = error.field or "non_field_errors"
            return error_response(str(error), {field: [str(error)]})
        ticket = Ticket.objects.select_related("team", "assignee").get(pk=ticket.pk)
        data = TicketSerializer(ticket, context=output_context(request)).data
        if not access.can_work_ticket(request.user, ticket):
            # Sent to a team the agent is not in: created, but theirs no longer (its address would be a 404).
            data = {"number": ticket.number, "reference": ticket.reference, "url": None}
        return Response(data, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)


class TicketDetailView(SupportAPIView):
    """One ticket with its conversation: every message its reader may read (internal notes for the team)."""

    @api_schema(responses={200: TicketDetailSerializer, **ERRORS})
    def get(self, request, number):
        ticket = worked_ticket(request, number)
        messages = (
            access.messages_for(request.user, ticket)
            .select_related("ticket")
            .prefetch_related("attachments")
            .order_by("created_at", "pk")
        )
        context = {**output_context(request), "messages": list(messages)}
        return Response(TicketDetailSerializer(ticket, context=context).data)


class AttachmentView(SupportAPIView):
    """An attachment of the ticket, as a download, to whoever may read its message (``access``)."""

    @api_schema(responses={(200, "application/octet-stream"): bytes, **ERRORS})
    def get(self, request, number, pk):
        ticket = worked_ticket(request, number)
        attachment = Attachment.objects.select_related("message__ticket").filter(pk=pk, message__ticket=ticket).first()
        if attachment is None or not access.can_download_attachment(request.user, attachment):
            raise Http404
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.filename,
            content_type=attachment.content_type or "application/octet-stream",
        )  # fmt: skip
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


# Messages and moves ------------------------------------------------------------------------------------------


class MessageView(SupportAPIView):
    """A public reply (``internal = False``) or an internal note, with attachments (multipart)."""

    internal = False
    serializer_class = ReplyInSerializer

    def post(self, request, number):
        ticket = worked_ticket(request, number)
        data = validated(self.serializer_class, request)

        def move():
            message = workflow.reply(
                ticket,
                by=request.user,
                body=data.get("body", ""),
                internal=self.internal,
                set_pending=data.get("set_pending", False),
                channel=Ticket.Channel.ADMIN,
                attachments=request.FILES.getlist("attachments"),
                expected_version=data.get("version"),
            )
            return ticket, message

        _ticket, message, replayed = once(request, FormSubmission.Kind.REPLY, move, ticket=ticket)
        message = type(message).objects.select_related("ticket").prefetch_related("attachments").get(pk=message.pk)
        data = MessageSerializer(message, context=output_context(request)).data
        return Response(data, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)


class ReplyView(MessageView):
    @api_schema(request=ReplyInSerializer, responses={201: MessageSerializer, **ERRORS}, parameters=[IDEMPOTENCY_PARAMETER])
    def post(self, request, number):
        """Reply to the requester (mailed to them); ``set_pending`` waits for their answer."""
        return super().post(request, number)


class NoteView(MessageView):
    internal = True
    serializer_class = MessageInSerializer

    @api_schema(request=MessageInSerializer, responses={201: MessageSerializer, **ERRORS}, parameters=[IDEMPOTENCY_PARAMETER])
    def post(self, request, number):
        """An internal note: for the support team only, never mailed to the requester."""
        return super().post(request, number)


class MoveView(SupportAPIView):
    """A move of the workflow on one ticket; answers the ticket as it left it."""

    serializer_class = VersionSerializer

    def move(self, ticket, data, user):
        raise NotImplementedError

    def post(self, request, number):
        ticket = worked_ticket(request, number)
        data = validated(self.serializer_class, request)
        self.move(ticket, data, request.user)
        ticket = Ticket.objects.select_related("team", "assignee").get(pk=ticket.pk)
        return Response(TicketSerializer(ticket, context=output_context(request)).data)


def _move_schema(serializer, summary):
    return api_schema(request=serializer, responses={200: TicketSerializer, **ERRORS}, summary=summary)


class AssignView(MoveView):
    serializer_class = AssignInSerializer

    @_move_schema(AssignInSerializer, "Assign to an agent of the ticket's team (null: unassign)")
    def post(self, request, number):
        return super().post(request, number)

    def move(self, ticket, data, user):
        agent = None
        if data["assignee"] is not None:
            # Among those who may be assigned a ticket of its team: an id names nobody else (no one's name told).
            agent = access.assignable_agents(ticket.team).filter(pk=data["assignee"]).first()
            if agent is None:
                raise workflow.InvalidInput(_("Choose an agent who may work this ticket's team."), field="assignee")
        workflow.assign(ticket, to=agent, by=user, expected_version=data.get("version"))


class TeamView(MoveView):
    serializer_class = TeamInSerializer

    @_move_schema(TeamInSerializer, "Send the ticket to another team")
    def post(self, request, number):
        return super().post(request, number)

    def move(self, ticket, data, user):
        team = None
        if data["team"] is not None:
            team = Team.objects.filter(pk=data["team"], is_active=True).first()
            if team is None:
                raise workflow.InvalidInput(_("Choose an active support team."), field="team")
        workflow.change_team(ticket, team=team, by=user, expected_version=data.get("version"))


class PendingView(MoveView):
    @_move_schema(VersionSerializer, "Wait for the requester (open to pending)")
    def post(self, request, number):
        return super().post(request, number)

    def move(self, ticket, data, user):
        workflow.set_pending(ticket, by=user, expected_version=data.get("version"))


class ResolveView(MoveView):
    serializer_class = ResolveInSerializer

    @_move_schema(ResolveInSerializer, "Resolve with a resolution code and the solution (mailed)")
    def post(self, request, number):
        return super().post(request, number)

    def move(self, ticket, data, user):
        # The workflow refuses a missing, built-in or retired code with its own words.
        code = ResolutionCode.objects.originals().filter(code=data["code"]).first()
        workflow.resolve(ticket, code=code, solution=data["solution"], by=user, expected_version=data.get("version"))


class AbandonView(MoveView):
    @_move_schema(VersionSerializer, "Close with no follow-up")
    def post(self, request, number):
        return super().post(request, number)

    def move(self, ticket, data, user):
        workflow.abandon(ticket, by=user, expected_version=data.get("version"))


class ReopenView(MoveView):
    @_move_schema(VersionSerializer, "Open a closed ticket again")
    def post(self, request, number):
        return super().post(request, number)

    def move(self, ticket, data, user):
        workflow.reopen(ticket, by=user, expected_version=data.get("version"))


# Configuration -----------------------------------------------------------------------------------------------


class TeamListView(SupportAPIView):
    @api_schema(responses={200: TeamSerializer(many=True), **ERRORS})
    def get(self, request):
        return Response(TeamSerializer(Team.objects.order_by("name"), many=True).data)


class CategoryListView(SupportAPIView):
    @api_schema(responses={200: CategorySerializer(many=True), **ERRORS})
    def get(self, request):
        tree = Category.objects.tree(language=translation.get_language())
        return Response(CategorySerializer(tree.entries, many=True).data)


class ResolutionCodeListView(SupportAPIView):
    @api_schema(responses={200: ResolutionCodeSerializer(many=True), **ERRORS})
    def get(self, request):
        codes = (
            ResolutionCode.objects.originals()
            .filter(is_active=True)
            .exclude(code__in=list(ResolutionCode.BUILTIN_LABELS))
            .order_by("sort_order", "label")
        )
        return Response(ResolutionCodeSerializer(codes, many=True).data)
