from django.apps import AppConfig


class SiteAppConfig(AppConfig):
    """A site's own app, listed before ``wagtail_support`` in the test settings, as a site may list it."""

    name = "tests.site_app"
    label = "site_app"
    default_auto_field = "django.db.models.BigAutoField"
