"""Ticket.awaiting_agent_since: since when the requester's side waits for us (the inbox's "Waiting for
us" marker, view and sort), with its index, filled in from the conversations already stored."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q, Subquery

REQUESTER_SIDE = ["requester", "beneficiary"]


def fill_awaiting_agent_since(apps, schema_editor):
    """The first public message of the requester's side after the team's last public reply, per ticket.

    One UPDATE with a subquery (the message index on ticket, visibility and date answers it), so a desk of a
    million tickets is migrated without loading them.
    """
    Ticket = apps.get_model("wagtail_support", "Ticket")
    Message = apps.get_model("wagtail_support", "Message")
    answered_after = Message.objects.filter(
        ticket_id=OuterRef("ticket_id"), visibility="public", author_role="agent", created_at__gte=OuterRef("created_at")
    )
    waiting_since = (
        Message.objects.filter(ticket_id=OuterRef("pk"), visibility="public", author_role__in=REQUESTER_SIDE)
        .filter(~Exists(answered_after))
        .order_by("created_at")
        .values("created_at")[:1]
    )
    Ticket.objects.using(schema_editor.connection.alias).update(awaiting_agent_since=Subquery(waiting_since))


class Migration(migrations.Migration):

    dependencies = [
        ("wagtail_support", "0014_form_submissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="awaiting_agent_since",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="waiting for the support team since"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=Q(("status", "closed"), _negated=True),
                fields=["awaiting_agent_since", "number"],
                name="ws_ticket_backlog_waiting",
            ),
        ),
        migrations.RunPython(fill_awaiting_agent_since, migrations.RunPython.noop, elidable=True),
    ]
