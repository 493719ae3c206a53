"""System checks for a site's configuration of wagtail-support."""

from django.apps import apps
from django.core.checks import Error, Tags, Warning, register

from .conf import support_settings

REQUIRED_APPS = [
    "wagtail",
    "wagtail.users",
    "wagtail.admin",
    "wagtail.sites",
    "wagtail.snippets",
    "wagtail.contrib.routable_page",
    "wagtail_modeladmin",
]


@register(Tags.compatibility)
def check_required_apps(app_configs, **kwargs):
    errors = []
    for name in REQUIRED_APPS:
        if not apps.is_installed(name):
            errors.append(
                Error(
                    f"wagtail_support needs '{name}' in INSTALLED_APPS.",
                    id="wagtail_support.E001",
                )
            )
    return errors


@register()
def check_settings(app_configs, **kwargs):
    messages = []
    if support_settings.REOPEN_WINDOW_DAYS < 0:
        messages.append(Error("WAGTAILSUPPORT_REOPEN_WINDOW_DAYS must be zero or more.", id="wagtail_support.E002"))
    if support_settings.LINK_MAX_AGE <= 0:
        messages.append(Error("WAGTAILSUPPORT_LINK_MAX_AGE must be a number of seconds above zero.", id="wagtail_support.E003"))
    window = support_settings.CONVERSATION_WINDOW
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 0):
        messages.append(
            Error(
                "WAGTAILSUPPORT_CONVERSATION_WINDOW must be a number of messages above zero, or None for all.",
                id="wagtail_support.E004",
            )
        )
    if support_settings.MAX_ATTACHMENT_SIZE > support_settings.MAX_MESSAGE_ATTACHMENTS_SIZE:
        messages.append(
            Warning(
                "WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE is larger than WAGTAILSUPPORT_MAX_MESSAGE_ATTACHMENTS_SIZE.",
                id="wagtail_support.W001",
            )
        )
    return messages
