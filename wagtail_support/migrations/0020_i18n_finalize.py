"""Issue 15, step 3 of 3: the translation fields required and unique per locale; a saved reply's language
is its locale now, an FAQ question's publication its ``live`` flag."""

import django.core.validators
import django.db.models.deletion
import modelcluster.fields
import uuid
import wagtail_support.models.site_settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('wagtail_support', '0019_i18n_populate'),
    ]

    operations = [
        migrations.AlterField(
            model_name='resolutioncode',
            name='translation_key',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name='faqtopic',
            name='translation_key',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name='faqentry',
            name='translation_key',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name='category',
            name='translation_key',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name='cannedresponse',
            name='translation_key',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name='cannedresponse',
            name='locale',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AlterField(
            model_name='category',
            name='locale',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AlterField(
            model_name='faqentry',
            name='locale',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AlterField(
            model_name='faqtopic',
            name='locale',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.AlterField(
            model_name='resolutioncode',
            name='locale',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtailcore.locale', verbose_name='locale'),
        ),
        migrations.RemoveConstraint(
            model_name='category',
            name='wagtail_support_category_unique_name',
        ),
        migrations.AlterUniqueTogether(
            name='cannedresponse',
            unique_together={('translation_key', 'locale')},
        ),
        migrations.AlterUniqueTogether(
            name='faqentry',
            unique_together={('translation_key', 'locale')},
        ),
        migrations.AlterField(
            model_name='faqentry',
            name='slug',
            field=models.SlugField(blank=True, help_text="The question's anchor on the FAQ page (#faq-<slug>). Left blank, it is made from the question.", max_length=255, verbose_name='slug'),
        ),
        migrations.AlterField(
            model_name='faqtopic',
            name='slug',
            field=models.SlugField(help_text='Used in the address of the topic on the FAQ page.', max_length=100, verbose_name='slug'),
        ),
        migrations.AlterField(
            model_name='resolutioncode',
            name='code',
            field=models.SlugField(verbose_name='code'),
        ),
        migrations.AlterUniqueTogether(
            name='category',
            unique_together={('translation_key', 'locale')},
        ),
        migrations.AlterUniqueTogether(
            name='faqtopic',
            unique_together={('translation_key', 'locale')},
        ),
        migrations.AlterUniqueTogether(
            name='resolutioncode',
            unique_together={('translation_key', 'locale')},
        ),
        migrations.AddConstraint(
            model_name='category',
            constraint=models.UniqueConstraint(fields=('parent', 'name', 'locale'), name='wagtail_support_category_unique_name_locale'),
        ),
        migrations.AddConstraint(
            model_name='faqentry',
            constraint=models.UniqueConstraint(fields=('slug', 'locale'), name='wagtail_support_faqentry_slug_locale'),
        ),
        migrations.AddConstraint(
            model_name='faqtopic',
            constraint=models.UniqueConstraint(fields=('slug', 'locale'), name='wagtail_support_faqtopic_slug_locale'),
        ),
        migrations.AddConstraint(
            model_name='resolutioncode',
            constraint=models.UniqueConstraint(fields=('code', 'locale'), name='wagtail_support_resolutioncode_code_locale'),
        ),
        migrations.RemoveField(
            model_name='cannedresponse',
            name='language',
        ),
        migrations.RemoveField(
            model_name='faqentry',
            name='is_published',
        ),
    ]
