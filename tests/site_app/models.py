"""A site's own support page type, built on the package's seam (``AbstractSupportPage``).

Imported while Django loads the models of the apps listed before ``wagtail_support``: the package must
let a site import ``wagtail_support.pages`` whatever the order of ``INSTALLED_APPS``.
"""

from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from wagtail_support.blocks import SupportFormBlock
from wagtail_support.pages import AbstractSupportPage


class CompanySupportPage(AbstractSupportPage):
    """The support page of a company site, with a phone number beside the form."""

    hotline = models.CharField(max_length=40, blank=True)

    content_panels = AbstractSupportPage.content_panels + [FieldPanel("hotline")]


class ArticlePage(Page):
    """An ordinary page of the site (no support page): its body may carry the support form block."""

    body = StreamField(
        [("paragraph", blocks.RichTextBlock()), ("support_form", SupportFormBlock())],
        blank=True,
    )

    content_panels = Page.content_panels + [FieldPanel("body")]
