"""What each Wagtail ``Site`` says of its support: the sender of its mail, its inbound address, the team that
gets its tickets, the reply-time promise (in each language) and the look of its mail.

A Wagtail site setting (``wagtail.contrib.settings``): one row per ``Site``, edited under Settings ›
Support. Every field is optional; what a site leaves empty falls back to the ``WAGTAILSUPPORT_*`` settings.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.models import Orderable

from .catalog import Team

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # followed by six hexadecimal digits, for example #1a5f7a.")
)


def _language_choices():
    return list(settings.LANGUAGES)


class SupportSiteSettings(ClusterableModel, BaseSiteSetting):
    """The support's settings for one site."""

    sender_name = models.CharField(
        _("sender name"),
        max_length=100,
        blank=True,
        help_text=_('The name mail to requesters comes from, e.g. "Example Support". Empty: the site name.'),
    )
    sender_email = models.EmailField(
        _("sender address"),
        blank=True,
        help_text=_("The address mail to requesters comes from. Empty: WAGTAILSUPPORT_FROM_EMAIL."),
    )
    inbound_email = models.EmailField(
        _("inbound address"),
        blank=True,
        help_text=_("Mail sent to this address opens tickets for this site."),
    )
    default_team = models.ForeignKey(
        Team,
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Tickets of this site that no catalog entry routes go to this team."),
    )
    reply_time_promise = models.CharField(
        _("reply-time promise"),
        max_length=255,
        blank=True,
        help_text=_(
            'Said to requesters when they open a ticket, e.g. "We usually answer within one working day." '
            "Add its translations below."
        ),
    )
    mail_logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("mail logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mail_colour = models.CharField(
        _("mail colour"),
        max_length=7,
        blank=True,
        validators=[colour_validator],
        help_text=_("The colour of the band at the top of mail, e.g. #1a5f7a."),
    )

    select_related = ["default_team", "mail_logo"]

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("support")

    def __str__(self):
        return str(_("Support settings of %(site)s") % {"site": self.site})


class SupportPromiseTranslation(Orderable):
    """The reply-time promise in another language."""

    settings = ParentalKey(SupportSiteSettings, on_delete=models.CASCADE, related_name="promise_translations")
    language = models.CharField(_("language"), max_length=12, choices=_language_choices)
    text = models.CharField(_("text"), max_length=255)

    class Meta(Orderable.Meta):
        verbose_name = _("reply-time promise translation")
        verbose_name_plural = _("reply-time promise translations")
        constraints = [
            models.UniqueConstraint(fields=["settings", "language"], name="wagtail_support_promise_language"),
        ]

    def __str__(self):
        return self.text
