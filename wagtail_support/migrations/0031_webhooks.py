"""Outgoing webhooks (``Webhook``, ``WebhookDelivery``), and the supervisors' permissions to manage them.

Depends on 0028 where it was written; renumbered by the merge that lands it after the other branches'.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
import wagtail_support.models.webhooks
from django.conf import settings
from django.db import migrations, models


from django.contrib.auth.management import create_permissions

# Frozen at the time of this migration: supervisors manage the webhooks and read their delivery logs.
SUPERVISOR_PERMISSIONS = [("wagtail_support", f"{action}_webhook") for action in ("add", "change", "delete", "view")] + [
    ("wagtail_support", "view_webhookdelivery")
]


def grant_to_supervisors(apps, schema_editor):
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

    dependencies = [
        ('wagtail_support', '0030_privacy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Webhook',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('url', models.URLField(help_text='Where the events are posted, as JSON (http or https).', max_length=500, validators=[wagtail_support.models.webhooks.validate_webhook_url], verbose_name='address')),
                ('events', models.JSONField(blank=True, default=list, help_text='The events sent to this address.', verbose_name='events')),
                ('include_internal', models.BooleanField(default=False, help_text='Internal notes are sent only to webhooks with this ticked. Tick it only for your own systems: the requester must never see what is sent.', verbose_name='send internal data')),
                ('secret', models.CharField(default=wagtail_support.models.webhooks.new_secret, editable=False, max_length=100, verbose_name='signing secret')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('teams', models.ManyToManyField(blank=True, help_text='Only the tickets of these teams; none ticked: every ticket.', related_name='+', to='wagtail_support.team', verbose_name='teams')),
            ],
            options={
                'verbose_name': 'webhook',
                'verbose_name_plural': 'webhooks',
                'ordering': ['name', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(max_length=40, verbose_name='event')),
                ('event_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='event id')),
                ('payload', models.JSONField(default=dict, verbose_name='payload')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed, will retry'), ('gave_up', 'Gave up')], default='pending', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='last attempt')),
                ('response_status', models.PositiveIntegerField(blank=True, null=True, verbose_name='response status')),
                ('response_excerpt', models.TextField(blank=True, verbose_name='response')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='webhook_deliveries', to='wagtail_support.ticket', verbose_name='ticket')),
                ('webhook', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='wagtail_support.webhook', verbose_name='webhook')),
            ],
            options={
                'verbose_name': 'webhook delivery',
                'verbose_name_plural': 'webhook deliveries',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='ws_webhook_due'), models.Index(fields=['webhook', '-created_at'], name='ws_webhook_log')],
            },
        ),
        migrations.RunPython(grant_to_supervisors, migrations.RunPython.noop),
    ]
