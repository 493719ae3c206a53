"""URLs of wagtail-support: include them in the site's urlconf before Wagtail's catch-all.

    path("support/", include("wagtail_support.urls")),
"""

from django.urls import path

from . import views

app_name = "wagtail_support"

urlpatterns = [
    path("attachments/<int:pk>/", views.download_attachment, name="attachment_download"),
    path("faq/suggestions/", views.faq_suggestions, name="faq_suggestions"),
]
