"""The ticket core: teams, the service catalog, resolution codes, tickets, messages, attachments and the
records of mail in and out.

Models hold data and read-only helpers, and import nothing of the package above ``conf`` and ``storage``.
Changing a ticket is the job of ``wagtail_support.workflow``; deciding who may see what is the job of
``wagtail_support.access``. The page types live in ``pages`` and ``faq`` (``apps.py`` loads them).
"""

from .api import ApiToken, ApiTokenQuerySet
from .automation import AutomationStep, CcSuggestion, TicketFollower
from .catalog import CannedResponse, CatalogEntry, CatalogTree, Category, CategoryQuerySet, ResolutionCode, Team, person_label
from .drafts import ReplyDraft
from .service_levels import (
    BusinessCalendar,
    BusinessHoliday,
    BusinessHoursInterval,
    ServiceLevelPolicy,
    ServiceLevelPolicyQuerySet,
)
from .satisfaction import ReportSubscription, SatisfactionRating
from .site_settings import SupportPromiseTranslation, SupportSiteSettings
from .mail import InboundMail, NotificationSettings, OutboundMail, OutboundMailQuerySet
from .submissions import FormSubmission, PendingUpload
from .webhooks import Webhook, WebhookDelivery, WebhookDeliveryQuerySet
from .tickets import (
    Attachment,
    Message,
    MessageQuerySet,
    Ticket,
    TicketQuerySet,
    TicketReferenceCounter,
    assignee_sort_key,
    attachment_upload_to,
)

__all__ = [
    "ApiToken",
    "ApiTokenQuerySet",
    "Attachment",
    "AutomationStep",
    "CcSuggestion",
    "TicketFollower",
    "BusinessCalendar",
    "BusinessHoliday",
    "BusinessHoursInterval",
    "CannedResponse",
    "CatalogEntry",
    "CatalogTree",
    "Category",
    "CategoryQuerySet",
    "FormSubmission",
    "InboundMail",
    "Message",
    "MessageQuerySet",
    "NotificationSettings",
    "OutboundMail",
    "OutboundMailQuerySet",
    "PendingUpload",
    "ReplyDraft",
    "ReportSubscription",
    "ResolutionCode",
    "SatisfactionRating",
    "ServiceLevelPolicy",
    "ServiceLevelPolicyQuerySet",
    "SupportPromiseTranslation",
    "SupportSiteSettings",
    "Team",
    "Ticket",
    "TicketQuerySet",
    "TicketReferenceCounter",
    "Webhook",
    "WebhookDelivery",
    "WebhookDeliveryQuerySet",
    "assignee_sort_key",
    "attachment_upload_to",
    "person_label",
]
