"""A site's own support page type, built on the package's seam (``AbstractSupportPage``).

Imported while Django loads the models of the apps listed before ``wagtail_support``: the package must
let a site import ``wagtail_support.pages`` whatever the order of ``INSTALLED_APPS``.
"""

from django.db import models
from wagtail.admin.panels import FieldPanel

from wagtail_support.pages import AbstractSupportPage


class CompanySupportPage(AbstractSupportPage):
    """The support page of a company site, with a phone number beside the form."""

    hotline = models.CharField(max_length=40, blank=True)

    content_panels = AbstractSupportPage.content_panels + [FieldPanel("hotline")]
