"""Lead images: the content-addressed ``Picture`` (append-only), the working copy's
picture, alt text and caption, and each version's snapshot of them (picture, alt text,
caption, credit), which hash payload version 3 covers (stories/integrity.py).

SQLite rebuilds a table to add a foreign key, which drops its triggers: the append-only
triggers are put back at the end for the tables this migration touched, and installed on
the new picture table (``append_only.install`` is idempotent).
"""

import django.db.models.deletion
from django.db import migrations, models

from stories.record import append_only

#: The append-only tables this migration creates or rebuilds (frozen, as migrations are).
TABLES = [
    "stories_picture",
    "stories_revision",
    "stories_historicalrevision",
    "stories_historicalstory",
]


def install(apps, schema_editor):
    append_only.install(schema_editor.connection, TABLES)


def remove(apps, schema_editor):
    append_only.remove(schema_editor.connection, ["stories_picture"])


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0014_report_history_keeps_no_contact_details'),
    ]

    operations = [
        migrations.CreateModel(
            name='Picture',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sha256', models.CharField(help_text='Of the original file as served.', max_length=64, unique=True, verbose_name='SHA-256')),
                ('original', models.CharField(help_text="The original's name in the storage.", max_length=255)),
                ('content_type', models.CharField(max_length=30)),
                ('width', models.PositiveIntegerField()),
                ('height', models.PositiveIntegerField()),
                ('size', models.PositiveIntegerField(help_text="The original's size in bytes.")),
                ('renditions', models.JSONField(default=list, help_text='Responsive sizes, made once: [{"width", "height", "type", "name"}].')),
                ('uploaded_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['-uploaded_at'],
            },
        ),
        migrations.AddField(
            model_name='historicalrevision',
            name='image_alt',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name='historicalrevision',
            name='image_caption',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='historicalrevision',
            name='image_credit',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='historicalstory',
            name='image_alt',
            field=models.CharField(blank=True, help_text='What the picture shows, for readers who cannot see it. Required with a picture.', max_length=300, verbose_name='alt text'),
        ),
        migrations.AddField(
            model_name='historicalstory',
            name='image_caption',
            field=models.CharField(blank=True, help_text='Shown under the picture. The photo credit comes from the Photography credits.', max_length=500, verbose_name='caption'),
        ),
        migrations.AddField(
            model_name='revision',
            name='image_alt',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name='revision',
            name='image_caption',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='revision',
            name='image_credit',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='story',
            name='image_alt',
            field=models.CharField(blank=True, help_text='What the picture shows, for readers who cannot see it. Required with a picture.', max_length=300, verbose_name='alt text'),
        ),
        migrations.AddField(
            model_name='story',
            name='image_caption',
            field=models.CharField(blank=True, help_text='Shown under the picture. The photo credit comes from the Photography credits.', max_length=500, verbose_name='caption'),
        ),
        migrations.AlterField(
            model_name='historicalrevision',
            name='hash_version',
            field=models.PositiveSmallIntegerField(default=3, help_text='Which fields the hash covers (stories/integrity.py, PAYLOAD_FIELDS).'),
        ),
        migrations.AlterField(
            model_name='revision',
            name='hash_version',
            field=models.PositiveSmallIntegerField(default=3, help_text='Which fields the hash covers (stories/integrity.py, PAYLOAD_FIELDS).'),
        ),
        migrations.AddField(
            model_name='historicalrevision',
            name='picture',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stories.picture'),
        ),
        migrations.AddField(
            model_name='historicalstory',
            name='picture',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='stories.picture', verbose_name='lead image'),
        ),
        migrations.AddField(
            model_name='revision',
            name='picture',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='stories.picture'),
        ),
        migrations.AddField(
            model_name='story',
            name='picture',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='stories.picture', verbose_name='lead image'),
        ),
        migrations.RunPython(install, remove),
    ]
