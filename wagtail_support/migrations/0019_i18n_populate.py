"""Issue 15, step 2 of 3 (data): every catalog entry, resolution code, saved reply, FAQ topic and question
gets the site's default locale and a translation key of its own (Wagtail's ``BootstrapTranslatableMixin``
way); a saved reply written for a language gets that language's locale when the site has one; an FAQ
question's "published" becomes ``live``."""

import uuid

from django.conf import settings
from django.db import migrations

MODELS = ("Category", "ResolutionCode", "CannedResponse", "FAQTopic", "FAQEntry")


def default_locale(Locale):
    code = (getattr(settings, "LANGUAGE_CODE", "") or "en").lower()
    for candidate in (code, code.split("-")[0]):
        locale = Locale.objects.filter(language_code__iexact=candidate).first()
        if locale is not None:
            return locale
    return Locale.objects.order_by("pk").first() or Locale.objects.create(language_code=code)


def forwards(apps, schema_editor):
    Locale = apps.get_model("wagtailcore", "Locale")
    locale = default_locale(Locale)
    for name in MODELS:
        model = apps.get_model("wagtail_support", name)
        for pk in model.objects.filter(translation_key__isnull=True).values_list("pk", flat=True).iterator():
            model.objects.filter(pk=pk).update(translation_key=uuid.uuid4())
        model.objects.filter(locale__isnull=True).update(locale=locale)
    CannedResponse = apps.get_model("wagtail_support", "CannedResponse")
    for language in CannedResponse.objects.exclude(language="").values_list("language", flat=True).distinct():
        other = Locale.objects.filter(language_code__iexact=language).first() or Locale.objects.filter(
            language_code__iexact=language.split("-")[0]
        ).first()
        if other is not None:
            CannedResponse.objects.filter(language=language).update(locale=other)
    FAQEntry = apps.get_model("wagtail_support", "FAQEntry")
    FAQEntry.objects.update(live=False)
    for entry in FAQEntry.objects.filter(is_published=True).only("pk", "updated_at"):
        FAQEntry.objects.filter(pk=entry.pk).update(
            live=True, first_published_at=entry.updated_at, last_published_at=entry.updated_at
        )


def backwards(apps, schema_editor):
    FAQEntry = apps.get_model("wagtail_support", "FAQEntry")
    FAQEntry.objects.update(is_published=False)
    FAQEntry.objects.filter(live=True).update(is_published=True)
    CannedResponse = apps.get_model("wagtail_support", "CannedResponse")
    for response in CannedResponse.objects.select_related("locale"):
        CannedResponse.objects.filter(pk=response.pk).update(language=response.locale.language_code if response.locale_id else "")


class Migration(migrations.Migration):

    dependencies = [
        ("wagtail_support", "0018_i18n_sites_drafts"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
