"""The reports' indexes (``wagtail_support.reports``).

A report reads, for its period and the one before, the tickets created, closed, first answered and rated in
it: four ranges of four timestamps, each grouped by a breakdown column and filtered by the others. On
PostgreSQL each range gets a covering index holding every column the report reads of those rows (the
breakdown and filter columns, and the durations and outcomes), so the report is answered from the indexes
alone, without reading the tickets (a year of 100,000 tickets: the 365-day report went from seconds of
table reads and on-disk sorts to a fraction; see benchmarks/README.md, "reports engine"). Other databases
get a plain index on ``first_response_at``, the one timestamp without one (the model declares those of
``created_at``, ``closed_at`` and ``satisfaction_at``).

Not declared in the model, like the trigram indexes of 0011: SQLite has no covering indexes. Built
``CONCURRENTLY`` on PostgreSQL, so a large desk keeps working while they are made.
"""

from django.db import migrations

# The columns a report groups and filters by (reports.DIMENSION_FIELDS).
DIMENSIONS = "team_id, assignee_id, category_id, kind, channel, site_id"
COVERING = {
    "ws_ticket_report_created": ("created_at", f"{DIMENSIONS}", ""),
    "ws_ticket_report_closed": (
        "closed_at", f"resolution_seconds, resolution_met, created_at, {DIMENSIONS}", "closed_at IS NOT NULL"
    ),
    "ws_ticket_report_answered": (
        "first_response_at", f"first_response_seconds, first_response_met, {DIMENSIONS}",
        "first_response_at IS NOT NULL",
    ),
    "ws_ticket_report_rated": ("satisfaction_at", f"satisfaction, {DIMENSIONS}", "satisfaction_at IS NOT NULL"),
}
PLAIN = "ws_ticket_answered"


def create_indexes(apps, schema_editor):
    table = apps.get_model("wagtail_support", "Ticket")._meta.db_table
    if schema_editor.connection.vendor == "postgresql":
        for name, (column, include, condition) in COVERING.items():
            where = f" WHERE {condition}" if condition else ""
            schema_editor.execute(
                f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" ({column}) INCLUDE ({include}){where}'
            )
    else:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{PLAIN}" ON "{table}" (first_response_at) WHERE first_response_at IS NOT NULL'
        )


def drop_indexes(apps, schema_editor):
    names = list(COVERING) if schema_editor.connection.vendor == "postgresql" else [PLAIN]
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("wagtail_support", "0028_backfill_report_durations")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
