"""The agents' admin views, included by ``wagtail_hooks`` under ``/admin/support/`` in the
``wagtail_support_admin`` namespace (``admin.paths`` builds their addresses)."""

from django.urls import path

from .actions import TicketActionView
from .api_tokens import ApiTokensView, RevokeApiTokenView
from .create import TicketCreateView, requester_autocomplete
from .drafts import DraftView
from .faq_propose import ProposeFAQView
from .followers import FollowersView
from .history import TicketHistoryView
from .inbox import InboxView
from .mail import InboundMailActionView, ResendMailView
from .merge import TicketMergeView
from .reports import ReportsView
from .privacy import PersonalDataEraseView, PersonalDataExportView, PersonalDataView
from .workspace import TicketWorkspaceView

app_name = "wagtail_support_admin"

urlpatterns = [
    path("tickets/", InboxView.as_view(), name="inbox"),
    path("tickets/results/", InboxView.as_view(results_only=True), name="inbox_results"),
    path("tickets/new/", TicketCreateView.as_view(), name="ticket_create"),
    path("tickets/<int:pk>/", TicketWorkspaceView.as_view(), name="ticket"),
    path("tickets/<int:pk>/history/", TicketHistoryView.as_view(), name="ticket_history"),
    path("tickets/<int:pk>/history/results/", TicketHistoryView.as_view(results_only=True), name="ticket_history_results"),
    path("tickets/<int:pk>/draft/", DraftView.as_view(), name="ticket_draft"),
    path("tickets/<int:pk>/propose-faq/", ProposeFAQView.as_view(), name="ticket_propose_faq"),
    path("tickets/<int:pk>/followers/add/", FollowersView.as_view(action="add"), name="ticket_follower_add"),
    path("tickets/<int:pk>/followers/remove/", FollowersView.as_view(action="remove"), name="ticket_follower_remove"),
    path("tickets/<int:pk>/followers/dismiss/", FollowersView.as_view(action="dismiss"), name="ticket_cc_dismiss"),
    path("tickets/<int:pk>/merge/", TicketMergeView.as_view(), name="ticket_merge"),
    path("tickets/<int:pk>/<slug:action>/", TicketActionView.as_view(), name="ticket_action"),
    path("requesters/autocomplete/", requester_autocomplete, name="requester_autocomplete"),
    path("reports/", ReportsView.as_view(), name="reports"),
    path("api-tokens/", ApiTokensView.as_view(), name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", RevokeApiTokenView.as_view(), name="api_token_revoke"),
    path("mail/<int:pk>/resend/", ResendMailView.as_view(), name="mail_resend"),
    path("inbound/<int:pk>/<slug:action>/", InboundMailActionView.as_view(), name="inbound_action"),
    path("personal-data/", PersonalDataView.as_view(), name="personal_data"),
    path("personal-data/export/", PersonalDataExportView.as_view(), name="personal_data_export"),
    path("personal-data/erase/", PersonalDataEraseView.as_view(), name="personal_data_erase"),
]
