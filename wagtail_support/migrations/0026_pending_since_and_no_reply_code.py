"""Issue 16's data: tickets already pending count their wait from their last change (the best the records
say), and the built-in "No reply from the requester" code exists in the default locale (support_tick
closes silent tickets with it)."""

import uuid

from django.conf import settings
from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    Ticket = apps.get_model("wagtail_support", "Ticket")
    Ticket.objects.filter(status="pending", pending_since__isnull=True).update(pending_since=F("updated_at"))
    Locale = apps.get_model("wagtailcore", "Locale")
    ResolutionCode = apps.get_model("wagtail_support", "ResolutionCode")
    code = (getattr(settings, "LANGUAGE_CODE", "") or "en").lower()
    locale = (
        Locale.objects.filter(language_code__iexact=code).first()
        or Locale.objects.filter(language_code__iexact=code.split("-")[0]).first()
        or Locale.objects.order_by("pk").first()
    )
    if locale is None:
        return
    if not ResolutionCode.objects.filter(code="no-reply", locale=locale).exists():
        ResolutionCode.objects.create(
            code="no-reply", label="No reply from the requester", sort_order=1001, locale=locale, translation_key=uuid.uuid4()
        )


class Migration(migrations.Migration):
    dependencies = [("wagtail_support", "0025_automation_followers_macros")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
