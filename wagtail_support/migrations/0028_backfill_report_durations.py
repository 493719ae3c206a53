"""The report durations of the tickets that existed before them: clock seconds from their timestamps (the
business-hours figure and whether a target was met cannot be known afterwards; they stay empty)."""

from django.db import migrations

BATCH = 2000


def backfill(apps, schema_editor):
    Ticket = apps.get_model("wagtail_support", "Ticket")
    rows = (
        Ticket.objects.filter(first_response_at__isnull=False, first_response_seconds__isnull=True)
        | Ticket.objects.filter(closed_at__isnull=False, resolution_seconds__isnull=True)
    ).only("pk", "created_at", "first_response_at", "closed_at")
    batch = []
    for ticket in rows.iterator(chunk_size=BATCH):
        if ticket.first_response_at is not None:
            ticket.first_response_seconds = max(0, int((ticket.first_response_at - ticket.created_at).total_seconds()))
        if ticket.closed_at is not None:
            ticket.resolution_seconds = max(0, int((ticket.closed_at - ticket.created_at).total_seconds()))
        batch.append(ticket)
        if len(batch) >= BATCH:
            Ticket.objects.bulk_update(batch, ["first_response_seconds", "resolution_seconds"])
            batch = []
    if batch:
        Ticket.objects.bulk_update(batch, ["first_response_seconds", "resolution_seconds"])


class Migration(migrations.Migration):
    dependencies = [("wagtail_support", "0027_satisfaction_and_reports")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
