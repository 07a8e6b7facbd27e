"""The audit trail, chained (stories/record/audit_chain.py): every audit table gets a
``chain_hash`` column, and the rows already there are chained in their order, under the
audit key of the process that migrates (``NEWSROOM_AUDIT_KEY``: the site's own, or the
chain will not verify). Also ``Redaction``, the internal record of a legal removal's
rewrite, append-only from its first row.

Nothing was chained before, so there is nothing to check first: a row rewritten before
this migration ran is chained as it stands (the append-only triggers have refused such
rewrites since ``append_only_triggers``). The triggers are lifted for the chaining, in the
migration's transaction, and installed on the new table and on any audit table SQLite
rebuilt (``append_only.install`` is idempotent). Backwards, the column and the table go.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from stories.record import append_only, audit_chain

#: The audit tables, by model (frozen, as migrations are).
HISTORY_MODELS = [
    "historicalcomment",
    "historicalcontributor",
    "historicalcredit",
    "historicalerrorreport",
    "historicalpartnerkey",
    "historicalpreviewlink",
    "historicalreview",
    "historicalreviewstep",
    "historicalrevision",
    "historicalsection",
    "historicalstory",
    "historicalwebhookendpoint",
]


def chain_existing_rows(apps, schema_editor):
    for name in HISTORY_MODELS:
        audit_chain.chain_table(apps.get_model("stories", name), schema_editor.connection.alias)


def install(apps, schema_editor):
    tables = [apps.get_model("stories", name)._meta.db_table for name in HISTORY_MODELS]
    append_only.install(schema_editor.connection, [*tables, "stories_redaction"])


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0023_desk'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalcontributor',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalcredit',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalerrorreport',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalrevision',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalsection',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalstory',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalcomment',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalpartnerkey',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalpreviewlink',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalreview',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalreviewstep',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.AddField(
            model_name='historicalwebhookendpoint',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, help_text="HMAC of the previous row's chain hash and this row's digest (stories/record/audit_chain.py).", max_length=64),
        ),
        migrations.CreateModel(
            name='Redaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('versions', models.JSONField(default=list, help_text='The numbers of the versions removed.')),
                ('redacted_at', models.DateTimeField()),
                ('reason', models.TextField(help_text="The legal ground (the removal's internal reason).")),
                ('rows', models.JSONField(default=list, help_text='The rows rewritten: [{"table", "id", "fields"}].')),
                ('files', models.JSONField(default=list, help_text='The picture files deleted from storage.')),
                ('redacted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('story', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='stories.story')),
            ],
            options={
                'ordering': ['redacted_at', 'pk'],
            },
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
