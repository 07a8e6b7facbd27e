# "Version" meant both a published version's number and the working copy's save counter.
# The counter gets a name of its own: ``edit_number`` (shown as "edit"), and the edit an
# editor approved when scheduling, ``scheduled_edit``. A rename of the columns, on the
# story and on its history; no data changes.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0017_hash_version_set_by_publishing'),
    ]

    operations = [
        migrations.RenameField(model_name='story', old_name='version', new_name='edit_number'),
        migrations.RenameField(model_name='historicalstory', old_name='version', new_name='edit_number'),
        migrations.RenameField(model_name='story', old_name='scheduled_version', new_name='scheduled_edit'),
        migrations.RenameField(model_name='historicalstory', old_name='scheduled_version', new_name='scheduled_edit'),
        # Labels and help texts only (no column changes).
        migrations.AlterField(
            model_name='story',
            name='edit_number',
            field=models.PositiveIntegerField(default=1, help_text="Counts the working copy's saves: a form carries the edit it was opened on, and a save or publish from an older one is refused. Not a published version.", verbose_name='edit'),
        ),
        migrations.AlterField(
            model_name='story',
            name='scheduled_edit',
            field=models.PositiveIntegerField(blank=True, help_text='The edit of the working copy the editor approved when scheduling: it is published at the scheduled time, or nothing is.', null=True, verbose_name='approved edit'),
        ),
        migrations.AlterField(
            model_name='historicalstory',
            name='edit_number',
            field=models.PositiveIntegerField(default=1, help_text="Counts the working copy's saves: a form carries the edit it was opened on, and a save or publish from an older one is refused. Not a published version.", verbose_name='edit'),
        ),
        migrations.AlterField(
            model_name='historicalstory',
            name='scheduled_edit',
            field=models.PositiveIntegerField(blank=True, help_text='The edit of the working copy the editor approved when scheduling: it is published at the scheduled time, or nothing is.', null=True, verbose_name='approved edit'),
        ),
    ]
