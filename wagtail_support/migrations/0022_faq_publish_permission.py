"""Supervisors publish FAQ questions (they have drafts and moderation now). Wagtail creates the "publish"
permission of a snippet with drafts after the migrations (post_migrate), so this one creates it itself when
it is not there yet; Wagtail then finds it and creates nothing twice."""

from django.db import migrations


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _created = ContentType.objects.get_or_create(app_label="wagtail_support", model="faqentry")
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type, codename="publish_faqentry", defaults={"name": "Can publish FAQ question"}
    )
    group = Group.objects.filter(name="Support supervisors").first()
    if group is not None:
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_support", "0021_site_settings_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
