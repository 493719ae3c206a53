"""What the API shows of tickets, messages, attachments and the configuration, and what its moves take.

Output serializers read rows the views fetched already (teams and assignees joined, messages and their
attachments prefetched): a serializer never runs a query of its own. Labels are in the request's language.
"""

from django.urls import reverse
from rest_framework import serializers

from ..models import person_label


def _person(user):
    if user is None:
        return None
    return {"id": user.pk, "name": person_label(user)}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketSerializer(serializers.Serializer):
    """A ticket as the list shows it (and the top of its detail)."""

    number = serializers.IntegerField(help_text="The ticket number: its address in the API (/tickets/<number>/).")
    reference = serializers.CharField(help_text='As people write it, "#1042".')
    subject = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.SerializerMethodField()
    priority = serializers.CharField()
    kind = serializers.CharField()
    team = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    category = serializers.IntegerField(source="category_id", allow_null=True)
    requester_name = serializers.CharField()
    requester_email = serializers.CharField()
    beneficiary_name = serializers.CharField()
    beneficiary_email = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    awaiting_agent_since = serializers.DateTimeField(allow_null=True)
    next_due = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(help_text="Send it back with a move: the move is refused if the ticket changed since.")
    url = serializers.SerializerMethodField()

    def get_status_label(self, ticket) -> str:
        return str(ticket.get_status_display())

    def get_team(self, ticket) -> TeamRefSerializer(allow_null=True):  # type: ignore[valid-type]
        return {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team_id else None

    def get_assignee(self, ticket) -> PersonSerializer(allow_null=True):  # type: ignore[valid-type]
        return _person(ticket.assignee) if ticket.assignee_id else None

    def get_url(self, ticket) -> str:
        return self.context["ticket_url"](ticket.number)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="Download with the same token (the message's rule applies).")

    def get_url(self, attachment) -> str:
        return self.context["attachment_url"](attachment)


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author_name = serializers.CharField()
    author_role = serializers.CharField()
    internal = serializers.SerializerMethodField(help_text="An internal note: for the support team only.")
    body = serializers.CharField()
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True, source="attachments.all")

    def get_internal(self, message) -> bool:
        return message.is_internal


class TicketDetailSerializer(TicketSerializer):
    description = serializers.CharField()
    channel = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_reason = serializers.CharField()
    resolution_code = serializers.SerializerMethodField()
    solution = serializers.CharField()
    messages = serializers.SerializerMethodField()

    def get_resolution_code(self, ticket) -> str | None:
        return ticket.resolution_code.code if ticket.resolution_code_id else None

    def get_messages(self, ticket) -> MessageSerializer(many=True):  # type: ignore[valid-type]
        return MessageSerializer(self.context["messages"], many=True, context=self.context).data


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    is_active = serializers.BooleanField()


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    full_name = serializers.CharField()
    parent = serializers.IntegerField(source="category.parent_id", allow_null=True)
    team = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()

    def get_team(self, entry) -> int | None:
        return entry.team.pk if entry.team is not None else None


class ResolutionCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.SerializerMethodField()

    def get_label(self, code) -> str:
        return code.localized_label


# What the moves take ---------------------------------------------------------------------------------------


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version the caller saw: the move is refused (409) if the ticket changed since.",
    )


class MessageInSerializer(VersionSerializer):
    body = serializers.CharField(allow_blank=True, required=False, default="", max_length=100_000)


class ReplyInSerializer(MessageInSerializer):
    set_pending = serializers.BooleanField(required=False, default=False, help_text="Wait for the requester after it.")


class AssignInSerializer(VersionSerializer):
    assignee = serializers.IntegerField(allow_null=True, min_value=1, max_value=2**63 - 1, help_text="An agent's id; null unassigns.")


class TeamInSerializer(VersionSerializer):
    team = serializers.IntegerField(allow_null=True, min_value=1, max_value=2**63 - 1, help_text="A team's id; null for no team.")


class ResolveInSerializer(VersionSerializer):
    code = serializers.CharField(max_length=50, help_text="A resolution code (GET /resolution-codes/).")
    solution = serializers.CharField(allow_blank=True, max_length=100_000, help_text="Mailed to the requester.")


def ticket_api_url():
    """A function giving the API address of a ticket by number (one ``reverse`` per response, not per row)."""
    placeholder = 918273645
    pattern = reverse("wagtail_support_api:ticket", args=[placeholder]).replace(str(placeholder), "{number}")
    return lambda number: pattern.format(number=number)
