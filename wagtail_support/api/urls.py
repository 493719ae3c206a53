"""The API's URLs. Include them in the site's URLconf (before Wagtail's catch-all), where the README says::

    path("api/support/v1/", include("wagtail_support.api.urls")),

Tickets are addressed by number (``/tickets/1042/``), as people name them: a number is easy to guess, and
tells nothing all the same: a ticket the token's user may not work is the same 404 as one that does not
exist. The docs page needs ``drf_spectacular_sidecar`` in ``INSTALLED_APPS`` (its static files).
"""

from django.urls import path, register_converter

from . import docs, views

app_name = "wagtail_support_api"


class NumberConverter:
    """A ticket number: digits only, at most 19 (larger is no ticket; ``views.worked_ticket`` says 404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(NumberConverter, "ticket_number")

urlpatterns = [
    path("tickets/", views.TicketListView.as_view(), name="tickets"),
    path("tickets/<ticket_number:number>/", views.TicketDetailView.as_view(), name="ticket"),
    path("tickets/<ticket_number:number>/attachments/<int:pk>/", views.AttachmentView.as_view(), name="attachment"),
    path("tickets/<ticket_number:number>/replies/", views.ReplyView.as_view(), name="reply"),
    path("tickets/<ticket_number:number>/notes/", views.NoteView.as_view(), name="note"),
    path("tickets/<ticket_number:number>/assign/", views.AssignView.as_view(), name="assign"),
    path("tickets/<ticket_number:number>/team/", views.TeamView.as_view(), name="team"),
    path("tickets/<ticket_number:number>/pending/", views.PendingView.as_view(), name="pending"),
    path("tickets/<ticket_number:number>/resolve/", views.ResolveView.as_view(), name="resolve"),
    path("tickets/<ticket_number:number>/abandon/", views.AbandonView.as_view(), name="abandon"),
    path("tickets/<ticket_number:number>/reopen/", views.ReopenView.as_view(), name="reopen"),
    path("teams/", views.TeamListView.as_view(), name="teams"),
    path("categories/", views.CategoryListView.as_view(), name="categories"),
    path("resolution-codes/", views.ResolutionCodeListView.as_view(), name="resolution_codes"),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
]
