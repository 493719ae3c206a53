from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen at the time of this migration: what the groups get for the models added since 0002.
AGENT_PERMISSIONS = [("wagtail_support", "view_cannedresponse")]
SUPERVISOR_PERMISSIONS = AGENT_PERMISSIONS + [
    ("wagtail_support", f"{action}_{model}")
    for model in ("cannedresponse", "faqentry", "faqtopic")
    for action in ("add", "change", "delete", "view")
]


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("wagtail_support")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in (("Support agents", AGENT_PERMISSIONS), ("Support supervisors", SUPERVISOR_PERMISSIONS)):
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for app_label, codename in perms:
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("wagtail_support", "0006_canned_response")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
