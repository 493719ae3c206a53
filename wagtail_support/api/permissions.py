"""What a token may do: the agent endpoints are for agents (``access.ticket_policy`` ``"work"``, as the
inbox asks); a read-only token only reads. Which tickets, and which moves on them, is ``access`` and the
workflow's business, asked by the views."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..access import ticket_policy
from ..models import ApiToken


class IsSupportAgent(BasePermission):
    """The token's user works tickets (an agent, a supervisor or a superuser)."""

    message = _("Only the support team can use this part of the API.")

    def has_permission(self, request, view):
        return ticket_policy.user_has_permission(request.user, "work")


class TokenAccess(BasePermission):
    """Reading with any token; writing with a read-and-write token only."""

    message = _("This token is read-only: create a read-and-write token to change tickets.")

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        return isinstance(token, ApiToken) and token.can_write
