from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailSupportAppConfig(AppConfig):
    name = "wagtail_support"
    label = "wagtail_support"
    verbose_name = _("Support")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
