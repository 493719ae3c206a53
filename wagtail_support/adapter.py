"""The site owner's seams: an adapter class, chosen by ``WAGTAILSUPPORT_ADAPTER``, whose methods a site
overrides to change one choice without forking (in the way django-allauth's ``get_adapter()`` works).

    # settings.py
    WAGTAILSUPPORT_ADAPTER = "mysite.support.SupportAdapter"

    # mysite/support.py
    from wagtail_support.adapter import DefaultSupportAdapter

    class SupportAdapter(DefaultSupportAdapter):
        def get_mail_recipients(self, event, ticket, **kwargs):
            recipients = super().get_mail_recipients(event, ticket, **kwargs)
            if event == "opened" and ticket.priority == "urgent":
                recipients.append(("oncall@example.com", "agent"))
            return recipients

What the adapter decides stays inside the product's rules: an internal note is never mailed to anyone
but the support team, whatever ``get_mail_recipients`` returns, and every move still goes through the
workflow.
"""

import functools

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

from .conf import support_settings
from .links import public_ticket_url, rating_url
from .models import Team
from .notifications.recipients import default_recipients
from .site_config import default_team_for


class DefaultSupportAdapter:
    """What wagtail-support does when a site says nothing else."""

    def get_mail_recipients(self, event, ticket, *, message=None, actor_user_id=None, actor_email=""):
        """Who is mailed about ``event`` on ``ticket``: a list of ``(address, audience)`` pairs, or
        ``(address, audience, language)`` triples; ``audience`` is ``"requester"`` (mails with the signed
        link to the ticket's page) or ``"agent"`` (mails with the link to the workspace).

        ``event`` is one of "opened", "agent_reply", "requester_reply", "internal_note", "pending",
        "resolved", "abandoned", "closed_by_requester", "reopened", "assigned", "team_changed", "rated_bad". The
        default leaves out whoever caused the event (the confirmation of a new ticket aside); see
        ``wagtail_support.notifications.recipients``.
        """
        return default_recipients(event, ticket, message, actor_user_id, actor_email)

    def render_mail(self, template_base, context, language):
        """``(subject, text, html)`` of a mail, rendered in ``language`` from the three templates
        ``<template_base>_subject.txt``, ``<template_base>.txt`` and ``<template_base>.html``
        (``wagtail_support/mail/<audience>/<event>``; a site overrides one by putting its own at that path)."""
        with translation.override(language or settings.LANGUAGE_CODE):
            context = {**context, "language": translation.get_language()}
            subject = render_to_string(f"{template_base}_subject.txt", context)
            text = render_to_string(f"{template_base}.txt", context)
            html = render_to_string(f"{template_base}.html", context)
        return subject, text, html

    def get_ticket_url(self, ticket, link_token=""):
        """The full address of the ticket's page for a requester, with their signed link (``link_token``,
        which a page must keep in its address); "" when the ticket has no page to show it."""
        return public_ticket_url(ticket, link_token)

    def get_rating_url(self, ticket, rating_token, rating):
        """The full address that rates the ticket's closing ``rating`` ("good" or "bad") with the signed
        ``rating_token``: the rating page on the site of the ticket's support page; "" when there is none
        (the mail then goes without the rating links)."""
        return rating_url(ticket, rating_token, rating)

    def get_team_for_new_ticket(self, *, category=None, channel="", requester_email="", site=None, **details):
        """The team of a new ticket that was given none: the service catalog entry's team (or its parent's),
        else the default team of the ``site`` it came from (Settings › Support), else
        ``WAGTAILSUPPORT_DEFAULT_TEAM``; ``None`` leaves it without a team."""
        team = category.get_team() if category is not None else None
        return team or default_team_for(site) or self.get_default_team()

    def get_default_team(self):
        """The active team named by ``WAGTAILSUPPORT_DEFAULT_TEAM``, or ``None``."""
        slug = support_settings.DEFAULT_TEAM
        if not slug:
            return None
        return Team.objects.filter(slug=slug, is_active=True).first()


@functools.cache
def _adapter(path):
    return import_string(path)()


def get_adapter():
    """The site's adapter (``WAGTAILSUPPORT_ADAPTER``), one instance per class."""
    return _adapter(support_settings.ADAPTER)
