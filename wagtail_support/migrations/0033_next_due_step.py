"""``Ticket.next_due_step``: the service level step ``support_tick`` did for the ticket's current due time, so
its scan leaves out the late tickets already reported (and the index holding only those still to report).
The open tickets' steps already done (``AutomationStep`` rows keyed by the due time) fill it in."""

from django.db import migrations, models

# The step names of ``workflow_automation`` (a breach outranks the warning that came before it).
STEPS = ("sla_warning", "sla_breach")


def fill(apps, schema_editor):
    Ticket = apps.get_model("wagtail_support", "Ticket")
    AutomationStep = apps.get_model("wagtail_support", "AutomationStep")
    done = {}
    rows = (
        AutomationStep.objects.filter(step__in=STEPS, ticket__next_due__isnull=False)
        .exclude(ticket__status="closed")
        .values_list("ticket_id", "step", "key", "ticket__next_due")
    )
    for ticket_id, step, key, next_due in rows.iterator(chunk_size=2000):
        if key == next_due.isoformat() and done.get(ticket_id) != "sla_breach":
            done[ticket_id] = step
    for step in STEPS:
        ids = [ticket_id for ticket_id, value in done.items() if value == step]
        for start in range(0, len(ids), 2000):
            Ticket.objects.filter(pk__in=ids[start : start + 2000]).update(next_due_step=step)


class Migration(migrations.Migration):
    dependencies = [("wagtail_support", "0032_api_tokens")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="next_due_step",
            field=models.CharField(
                blank=True, default="", db_default="", editable=False, max_length=20,
                verbose_name="step done for the due time",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("next_due__isnull", False), models.Q(("status", "closed"), _negated=True),
                                   models.Q(("next_due_step", "sla_breach"), _negated=True)),
                fields=["next_due", "number"],
                name="ws_ticket_due_to_report",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
