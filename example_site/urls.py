from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("support-files/", include("wagtail_support.urls")),
    # The support's REST API for agents' scripts (personal access tokens), its schema and docs.
    path("api/support/v1/", include("wagtail_support.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # Anymail's webhooks: inbound mail and delivery events from the ESP. wagtail_support's copy of
    # anymail.urls records an inbound post Anymail cannot read instead of answering 500.
    path("anymail/", include("wagtail_support.inbound.webhooks")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
