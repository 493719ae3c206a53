from django.db import migrations

# Frozen copy of ResolutionCode.STARTER_CODES at the time of this migration (a migration must not change
# when the code around it does): code, English label, order.
STARTER_CODES = [
    ("solved", "Solved", 10),
    ("workaround", "Workaround given", 20),
    ("duplicate", "Duplicate of another ticket", 30),
    ("not-reproducible", "Could not be reproduced", 40),
]


def forwards(apps, schema_editor):
    # A site that already has a code of the same name keeps its own.
    ResolutionCode = apps.get_model("wagtail_support", "ResolutionCode")
    for code, label, order in STARTER_CODES:
        ResolutionCode.objects.get_or_create(code=code, defaults={"label": label, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("wagtail_support", "0012_inbound_trust")]

    # Going back keeps the codes: tickets may be resolved with them (the foreign key protects them).
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
