from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailSupportAppConfig(AppConfig):
    name = "wagtail_support"
    label = "wagtail_support"
    verbose_name = _("Support")
    default_auto_field = "django.db.models.BigAutoField"

    # The page types and the FAQ's models live in modules of their own, above the workflow they call; they
    # are loaded with the models here, so ``models`` never imports them (a site app listed before this one
    # that subclasses ``AbstractSupportPage`` imports ``pages`` itself, and the order does not matter).
    model_modules = ("pages", "faq")

    def import_models(self):
        super().import_models()
        for name in self.model_modules:
            import_module(f"{self.name}.{name}")

    def ready(self):
        # Django imports apps.py before any model exists: what needs the models is imported once they do.
        from wagtail.permissions import register_permission_policy  # app loading: needs the models

        from . import checks  # noqa: F401 - registers the system checks (app loading: needs the models)
        from .access import ticket_policy  # app loading: needs the models
        from .models import Ticket  # app loading: needs the models
        from .signal_handlers import register_signal_handlers  # app loading: needs the models

        register_permission_policy(Ticket, ticket_policy)
        register_signal_handlers()
