"""A random permanent id for each existing story; its history rows get the same one (a
deleted draft's rows, one of their own per story id)."""

import uuid

from django.db import migrations


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
        ("stories", "0009_public_record"),
    ]

    operations = [
        migrations.RunPython(give_stories_permanent_ids, migrations.RunPython.noop),
    ]
