"""The public record's tables and fields: each story's permanent id, each version's hash
version, the transparency log (leaves, perfect subtrees, signed tree heads) and the
public trace of legal removals.

Existing stories get a random permanent id (their history rows the same id), existing
versions are marked as hashed with payload version 1; 0008 rehashes them with version 2
and appends them to the log.
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def give_stories_permanent_ids(apps, schema_editor):
    """A random UUID per story; its history rows get the same one (a deleted draft's rows,
    one of their own per story id)."""
    Story = apps.get_model("stories", "Story")
    HistoricalStory = apps.get_model("stories", "HistoricalStory")
    ids = {}
    for pk in Story.objects.values_list("pk", flat=True):
        ids[pk] = uuid.uuid4()
        Story.objects.filter(pk=pk).update(public_id=ids[pk])
    for pk in HistoricalStory.objects.values_list("id", flat=True).distinct():
        public_id = ids.setdefault(pk, uuid.uuid4())
        HistoricalStory.objects.filter(id=pk).update(public_id=public_id)


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0006_story_scheduled_version'),
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
        # Existing versions were hashed with payload version 1 (0008 rehashes them).
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
        # A permanent id for each story: added empty, filled one by one, then required.
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
        migrations.RunPython(give_stories_permanent_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='historicalstory',
            name='public_id',
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False, help_text="Never changes: every version's hash covers it (stories/integrity.py).", verbose_name='permanent id'),
        ),
        migrations.AlterField(
            model_name='story',
            name='public_id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, help_text="Never changes: every version's hash covers it (stories/integrity.py).", unique=True, verbose_name='permanent id'),
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
