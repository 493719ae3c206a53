from django.contrib.auth.management import create_permissions
from django.db import migrations, models

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
    """Remove the two groups, with their permissions, their members' memberships and whatever other apps
    hang on them (Wagtail's page, collection and site permissions, view restrictions, approval tasks).

    No ``Group.objects.filter(...).delete()``: when several migrations are unapplied at once (``migrate
    wagtail_support zero``), the historical models of other apps that point at ``Group`` can be rendered
    against another copy of it, and Django's deletion collector then refuses the groups ("Cannot query
    Group object: must be Group instance"). The rows that point at the groups are found by id, through
    each relation, then the groups themselves are deleted by id.
    """
    Group = apps.get_model("auth", "Group")
    ids = list(Group.objects.filter(name__in=["Support agents", "Support supervisors"]).values_list("pk", flat=True))
    if not ids:
        return
    # The groups' own many-to-many rows (their permissions).
    for field in Group._meta.many_to_many:
        field.remote_field.through._base_manager.filter(**{f"{field.m2m_field_name()}__in": ids}).delete()
    # Rows of other models that point at the groups: memberships, Wagtail's permissions and restrictions.
    for relation in Group._meta.related_objects:
        if relation.many_to_many:
            through = relation.field.remote_field.through
            through._base_manager.filter(**{f"{relation.field.m2m_reverse_field_name()}__in": ids}).delete()
        elif relation.on_delete is models.SET_NULL:
            relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids}).update(
                **{relation.field.name: None}
            )
        else:
            relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids}).delete()
    table = schema_editor.quote_name(Group._meta.db_table)
    column = schema_editor.quote_name(Group._meta.pk.column)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(ids))})", ids)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_support", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
