"""The example site's URLs with Wagtail's i18n (example_site.settings.dev): the pages under a language prefix
(/en/, /fr/), everything else (admin, documents, support files, accounts, Anymail's webhooks, static and media)
where ``example_site.urls`` puts it."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls

from example_site import urls as base

# Every pattern of the base URLconf but Wagtail's catch-all for pages, which moves under the language prefix.
urlpatterns = [pattern for pattern in base.urlpatterns if getattr(pattern, "urlconf_name", None) is not wagtail_urls]
urlpatterns += [path("i18n/", include("django.conf.urls.i18n"))]
urlpatterns += i18n_patterns(path("", include(wagtail_urls)))
