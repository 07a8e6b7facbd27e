# The record's modules moved to stories/record/ (the domain in rooms), and the models no
# longer import the hash's payload version: the publishing service names it on each new
# version. Neither changes a column (Django keeps field defaults and help texts in Python,
# not in the database), so the state changes alone: without SeparateDatabaseAndState,
# SQLite would rebuild the versions' tables, and their append-only triggers with them.

import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0016_revision_story_kind_number_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='historicalrevision',
                    name='hash_version',
                    field=models.PositiveSmallIntegerField(help_text='Which fields the hash covers (stories/record/integrity.py, PAYLOAD_FIELDS): set by the publishing service.'),
                ),
                migrations.AlterField(
                    model_name='historicalstory',
                    name='public_id',
                    field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False, help_text="Never changes: every version's hash covers it (stories/record/integrity.py).", verbose_name='permanent id'),
                ),
                migrations.AlterField(
                    model_name='revision',
                    name='hash_version',
                    field=models.PositiveSmallIntegerField(help_text='Which fields the hash covers (stories/record/integrity.py, PAYLOAD_FIELDS): set by the publishing service.'),
                ),
                migrations.AlterField(
                    model_name='story',
                    name='public_id',
                    field=models.UUIDField(default=uuid.uuid4, editable=False, help_text="Never changes: every version's hash covers it (stories/record/integrity.py).", unique=True, verbose_name='permanent id'),
                ),
            ],
            database_operations=[],
        ),
    ]
