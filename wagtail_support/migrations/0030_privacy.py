"""A requester's personal data (``wagtail_support.privacy``): when a ticket's was erased, the index the
retention of closed tickets reads, and the permission to export and erase it, given to the supervisors."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def give_supervisors_the_permission(apps, schema_editor):
    # The permission exists only once the model's options are migrated: create it now (as 0024 does).
    app_config = apps.get_app_config("wagtail_support")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Support supervisors").first()
    permission = Permission.objects.filter(
        content_type__app_label="wagtail_support", codename="erase_personal_data"
    ).first()
    if group is not None and permission is not None:
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("wagtail_support", "0029_report_indexes")]

    operations = [
        migrations.AlterModelOptions(
            name="ticket",
            options={
                "ordering": ["-updated_at", "-number"],
                "permissions": [
                    ("work_on_tickets", "Can work on support tickets (agent)"),
                    ("view_all_tickets", "Can see the tickets of every team"),
                    ("erase_personal_data", "Can export and erase a requester's personal data"),
                ],
                "verbose_name": "ticket",
                "verbose_name_plural": "tickets",
            },
        ),
        migrations.AddField(
            model_name="ticket",
            name="personal_data_erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="personal data erased"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", False), ("personal_data_erased_at__isnull", True)),
                fields=["closed_at", "number"],
                name="ws_ticket_retention",
            ),
        ),
        migrations.RunPython(give_supervisors_the_permission, migrations.RunPython.noop),
    ]
