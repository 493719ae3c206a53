from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copy of wagtail_support.groups at the time of this migration: a migration must not change
# behaviour when the code around it does.
AGENT_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("wagtail_support", "work_on_tickets"),
    ("wagtail_support", "view_ticket"),
    ("wagtail_support", "view_team"),
    ("wagtail_support", "view_category"),
    ("wagtail_support", "view_resolutioncode"),
]
SUPERVISOR_PERMISSIONS = AGENT_PERMISSIONS + [
    ("wagtail_support", "view_all_tickets"),
    ("wagtail_support", "change_ticket"),
] + [
    ("wagtail_support", f"{action}_{model}")
    for model in ("team", "category", "resolutioncode")
    for action in ("add", "change", "delete")
]


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations ran; groups need them now.
    app_config = apps.get_app_config("wagtail_support")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in (("Support agents", AGENT_PERMISSIONS), ("Support supervisors", SUPERVISOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in perms:
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                group.permissions.add(permission)

    ResolutionCode = apps.get_model("wagtail_support", "ResolutionCode")
    ResolutionCode.objects.get_or_create(code="no-follow-up", defaults={"label": "No follow-up", "sort_order": 1000})


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=["Support agents", "Support supervisors"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_support", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
