"""Issue 15, step 1 of 3 (schema added): the Sites' support settings, the FAQ's drafts, revisions and
deflection counters, a ticket's locale and page revision, and the translation fields (``locale``,
``translation_key``) of the catalog, resolution codes, saved replies and FAQ, still empty."""

import django.core.validators
import django.db.models.deletion
import modelcluster.fields
import uuid
import wagtail_support.models.site_settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('wagtail_support', '0017_canned_response_language'),
        ('wagtailcore', '0098_apitoken'),
        ('wagtailimages', '0027_image_description'),
    ]

    operations = [
        migrations.CreateModel(
            name='FAQDeflection',
            fields=[
                ('entry', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='deflection', serialize=False, to='wagtail_support.faqentry', verbose_name='FAQ question')),
                ('shown', models.PositiveBigIntegerField(default=0, verbose_name='suggested')),
                ('opened', models.PositiveBigIntegerField(default=0, verbose_name='opened')),
                ('tickets_after_opening', models.PositiveBigIntegerField(default=0, verbose_name='tickets sent after opening it')),
            ],
            options={
                'verbose_name': 'FAQ deflection',
                'verbose_name_plural': 'FAQ deflection',
            },
        ),
        migrations.CreateModel(
            name='SupportPromiseTranslation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sort_order', models.IntegerField(blank=True, editable=False, null=True)),
                ('language', models.CharField(choices=wagtail_support.models.site_settings._language_choices, max_length=12, verbose_name='language')),
                ('text', models.CharField(max_length=255, verbose_name='text')),
            ],
            options={
                'verbose_name': 'reply-time promise translation',
                'verbose_name_plural': 'reply-time promise translations',
                'ordering': ['sort_order'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='SupportSiteSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sender_name', models.CharField(blank=True, help_text='The name mail to requesters comes from, e.g. "Example Support". Empty: the site name.', max_length=100, verbose_name='sender name')),
                ('sender_email', models.EmailField(blank=True, help_text='The address mail to requesters comes from. Empty: WAGTAILSUPPORT_FROM_EMAIL.', max_length=254, verbose_name='sender address')),
                ('inbound_email', models.EmailField(blank=True, help_text='Mail sent to this address opens tickets for this site.', max_length=254, verbose_name='inbound address')),
                ('reply_time_promise', models.CharField(blank=True, help_text='Said to requesters when they open a ticket, e.g. "We usually answer within one working day." Add its translations below.', max_length=255, verbose_name='reply-time promise')),
                ('mail_colour', models.CharField(blank=True, help_text='The colour of the band at the top of mail, e.g. #1a5f7a.', max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'Enter a colour as # followed by six hexadecimal digits, for example #1a5f7a.')], verbose_name='mail colour')),
            ],
            options={
                'verbose_name': 'support',
                'verbose_name_plural': 'support',
            },
        ),
        migrations.AddField(
            model_name='cannedresponse',
            name='locale',
            field=models.ForeignKey(null=True, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AddField(
            model_name='cannedresponse',
            name='translation_key',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='category',
            name='locale',
            field=models.ForeignKey(null=True, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AddField(
            model_name='category',
            name='translation_key',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='expire_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='expiry date/time'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='expired',
            field=models.BooleanField(default=False, editable=False, verbose_name='expired'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='first_published_at',
            field=models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='first published at'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='go_live_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='go live date/time'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='has_unpublished_changes',
            field=models.BooleanField(default=False, editable=False, verbose_name='has unpublished changes'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='last_published_at',
            field=models.DateTimeField(editable=False, null=True, verbose_name='last published at'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='latest_revision',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailcore.revision', verbose_name='latest revision'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='live',
            field=models.BooleanField(default=True, editable=False, verbose_name='live'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='live_revision',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailcore.revision', verbose_name='live revision'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='locale',
            field=models.ForeignKey(null=True, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='source_ticket',
            field=models.ForeignKey(blank=True, editable=False, help_text='The resolved ticket this question was proposed from.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtail_support.ticket', verbose_name='proposed from ticket'),
        ),
        migrations.AddField(
            model_name='faqentry',
            name='translation_key',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='faqtopic',
            name='locale',
            field=models.ForeignKey(null=True, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AddField(
            model_name='faqtopic',
            name='translation_key',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='resolutioncode',
            name='locale',
            field=models.ForeignKey(null=True, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AddField(
            model_name='resolutioncode',
            name='translation_key',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='ticket',
            name='locale',
            field=models.ForeignKey(blank=True, help_text='The locale of the page the ticket was opened from.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='source_revision',
            field=models.ForeignKey(blank=True, help_text='The live revision of the page the ticket was sent from, as the visitor saw it.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailcore.revision', verbose_name='page revision'),
        ),
        migrations.AddField(
            model_name='supportsitesettings',
            name='default_team',
            field=models.ForeignKey(blank=True, help_text='Tickets of this site that no catalog entry routes go to this team.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtail_support.team', verbose_name='default team'),
        ),
        migrations.AddField(
            model_name='supportsitesettings',
            name='mail_logo',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailimages.image', verbose_name='mail logo'),
        ),
        migrations.AddField(
            model_name='supportsitesettings',
            name='site',
            field=models.OneToOneField(editable=False, on_delete=django.db.models.deletion.CASCADE, to='wagtailcore.site'),
        ),
        migrations.AddField(
            model_name='supportpromisetranslation',
            name='settings',
            field=modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name='promise_translations', to='wagtail_support.supportsitesettings'),
        ),
        migrations.AddConstraint(
            model_name='supportpromisetranslation',
            constraint=models.UniqueConstraint(fields=('settings', 'language'), name='wagtail_support_promise_language'),
        ),
    ]
