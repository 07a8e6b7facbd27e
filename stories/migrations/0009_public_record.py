"""The public record's tables and fields: each story's permanent id, each version's hash
version, the transparency log (leaves, perfect subtrees, signed tree heads) and the
public trace of legal removals.

Existing versions are marked as hashed with payload version 1 (the rehash migration
that follows gives them version 2 and appends them to the log). The permanent id is added
empty here, filled by the next migration and required by the one after: PostgreSQL does
not alter a table in the transaction that updated its rows.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0008_story_scheduled_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TreeHead',
            fields=[
                ('size', models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ('root_hash', models.CharField(max_length=64)),
                ('timestamp', models.PositiveBigIntegerField(help_text='Milliseconds since the Unix epoch.')),
                ('signature', models.CharField(max_length=128)),
                ('public_key', models.CharField(help_text='The key that signed it, in hex.', max_length=64)),
            ],
            options={
                'ordering': ['size'],
            },
        ),
        # Existing versions were hashed with payload version 1 (rehashed after this).
        migrations.AddField(
            model_name='historicalrevision',
            name='hash_version',
            field=models.PositiveSmallIntegerField(default=1, help_text='Which fields the hash covers (stories/integrity.py, PAYLOAD_FIELDS).'),
        ),
        migrations.AddField(
            model_name='revision',
            name='hash_version',
            field=models.PositiveSmallIntegerField(default=1, help_text='Which fields the hash covers (stories/integrity.py, PAYLOAD_FIELDS).'),
        ),
        migrations.AlterField(
            model_name='historicalrevision',
            name='hash_version',
            field=models.PositiveSmallIntegerField(default=2, help_text='Which fields the hash covers (stories/integrity.py, PAYLOAD_FIELDS).'),
        ),
        migrations.AlterField(
            model_name='revision',
            name='hash_version',
            field=models.PositiveSmallIntegerField(default=2, help_text='Which fields the hash covers (stories/integrity.py, PAYLOAD_FIELDS).'),
        ),
        # A permanent id for each story: added empty here.
        migrations.AddField(
            model_name='historicalstory',
            name='public_id',
            field=models.UUIDField(db_index=True, null=True, editable=False, verbose_name='permanent id'),
        ),
        migrations.AddField(
            model_name='story',
            name='public_id',
            field=models.UUIDField(null=True, editable=False, verbose_name='permanent id'),
        ),
        migrations.CreateModel(
            name='ContentRemoval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('removed_at', models.DateTimeField()),
                ('public_note', models.TextField(help_text="Shown to readers in the story's history.")),
                ('internal_reason', models.TextField(help_text='The legal ground, for the audit trail.')),
                ('removed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('revision', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='removal', to='stories.revision')),
            ],
        ),
        migrations.CreateModel(
            name='LogLeaf',
            fields=[
                ('index', models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ('entry_hash', models.CharField(help_text="The version's hash as appended: the leaf's data.", max_length=64)),
                ('appended_at', models.DateTimeField()),
                ('revision', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='log_leaf', to='stories.revision')),
            ],
            options={
                'ordering': ['index'],
            },
        ),
        migrations.CreateModel(
            name='LogNode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.PositiveSmallIntegerField()),
                ('index', models.PositiveBigIntegerField()),
                ('hash', models.CharField(max_length=64)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'index'), name='unique_log_node')],
            },
        ),
    ]
