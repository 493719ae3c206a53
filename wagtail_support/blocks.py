"""StreamField blocks a site puts in its own pages.

``SupportFormBlock``: the ticket form on any page, full (the support page's form) or short (subject,
description and, from an anonymous visitor, name and address)::

    from wagtail_support.blocks import SupportFormBlock

    body = StreamField([..., ("support_form", SupportFormBlock())])

The form posts to the app's URLs (``wagtail_support.urls``, which the site includes); see ``page_forms``.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from .models import Ticket
from .page_forms import FULL, SHORT, catalog_choices, form_context


class SupportFormBlock(blocks.StructBlock):
    """A support form on the page: a ticket opened with it records the page and its live revision."""

    variant = blocks.ChoiceBlock(
        label=_("Form"),
        choices=[(SHORT, _("Short: subject, description and email address")), (FULL, _("Full: the support page's form"))],
        default=SHORT,
    )
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    intro = blocks.RichTextBlock(label=_("Introduction"), required=False, features=["bold", "italic", "link"])
    kind = blocks.ChoiceBlock(
        label=_("Type of the tickets"),
        choices=Ticket.Kind.choices,
        default=Ticket.Kind.QUESTION,
        help_text=_("The type a ticket gets from the short form; the first one offered by the full form."),
    )
    category = blocks.ChoiceBlock(
        label=_("Service catalog entry"),
        choices=catalog_choices,
        required=False,
        help_text=_("The topic a ticket gets from the short form; the one chosen first on the full form."),
    )

    class Meta:
        icon = "help"
        label = _("Support form")
        template = "wagtail_support/page_form.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        parent_context = parent_context or {}
        context.update(
            form_context(
                parent_context.get("request"),
                parent_context.get("page"),
                variant=value.get("variant"),
                heading=value.get("heading") or "",
                intro=value.get("intro") or "",
                kind=value.get("kind") or "",
                category=value.get("category") or "",
            )
        )
        return context
