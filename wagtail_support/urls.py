"""URLs of wagtail-support outside the page tree (attachment downloads, the FAQ suggestions of the support
form, the ticket form of ordinary pages): include them in the site's urlconf before Wagtail's catch-all,
under a prefix of their own that no page uses (the README's, so that the support page can live at /support/)::

    path("support-files/", include("wagtail_support.urls")),
"""

from django.urls import path

from . import page_forms, views
from .presence import PresenceView

app_name = "wagtail_support"

urlpatterns = [
    path("attachments/<int:pk>/", views.download_attachment, name="attachment_download"),
    path("faq/suggestions/", views.faq_suggestions, name="faq_suggestions"),
    # The ticket form of any page (``blocks.SupportFormBlock``, ``{% support_form %}``): see page_forms.
    path("forms/ticket/", page_forms.submit_ticket, name="page_ticket_form"),
    path("faq/opened/", views.faq_opened, name="faq_opened"),
    # The agents' workspace polls who else has a ticket open (wagtail_support.presence says why it is here).
    path("presence/<int:pk>/", PresenceView.as_view(), name="ticket_presence"),
    # The requester's one-click rating of a closing, from the resolution mail or the ticket's page.
    path("rate/<str:token>/<str:rating>/", views.rate, name="rate"),
]
