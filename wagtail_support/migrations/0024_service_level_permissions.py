from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen at the time of this migration: supervisors manage the business calendars and service level policies.
SUPERVISOR_PERMISSIONS = [
    ("wagtail_support", f"{action}_{model}")
    for model in ("businesscalendar", "servicelevelpolicy")
    for action in ("add", "change", "delete", "view")
]


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("wagtail_support")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Support supervisors").first()
    if group is None:
        return
    for app_label, codename in SUPERVISOR_PERMISSIONS:
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("wagtail_support", "0023_service_levels")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
