"""Every story now has its permanent id: it is required, and unique."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0010_story_public_ids"),
    ]

    operations = [
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
    ]
