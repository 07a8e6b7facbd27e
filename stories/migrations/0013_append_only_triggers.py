"""The database refuses to rewrite the public record: triggers on PostgreSQL and SQLite
refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) on the published versions, the
legal-removal notices, the transparency log and every simple-history table
(stories/append_only.py). A story's pointer to its latest version lives on the story,
which stays writable.

The table list is frozen here, as migrations are; a later history table gets its
triggers from its own migration (``append_only.install``).
"""

from django.db import migrations

from stories.record import append_only

TABLES = [
    "stories_revision",
    "stories_contentremoval",
    "stories_logleaf",
    "stories_lognode",
    "stories_treehead",
    "stories_historicalsection",
    "stories_historicalcontributor",
    "stories_historicalstory",
    "stories_historicalcredit",
    "stories_historicalrevision",
]


def install(apps, schema_editor):
    append_only.install(schema_editor.connection, TABLES)


def remove(apps, schema_editor):
    append_only.remove(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0012_rehash_and_log_published_versions"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
