"""Scheduling records the working-copy version the editor approved.

Stories scheduled before this migration have no approved version: ``publish_scheduled``
holds them back as "changed after scheduling" until an editor reviews them and schedules
them again (nobody approved a particular text when they were scheduled).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0007_revision_body_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalstory',
            name='scheduled_version',
            field=models.PositiveIntegerField(blank=True, help_text='The working-copy version the editor approved when scheduling: publish_scheduled publishes that version or nothing.', null=True, verbose_name='approved version'),
        ),
        migrations.AddField(
            model_name='story',
            name='scheduled_version',
            field=models.PositiveIntegerField(blank=True, help_text='The working-copy version the editor approved when scheduling: publish_scheduled publishes that version or nothing.', null=True, verbose_name='approved version'),
        ),
    ]
