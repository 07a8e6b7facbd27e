"""The stored search document and its GIN index behind full-text search, PostgreSQL only.

``stories_revision.search_document`` is a generated ``tsvector`` column: headline
(weight A), dek (B) and body (C) in the "english" configuration, computed once when a
revision is written (revisions never change). ``stories.search`` matches, ranks and
counts on it through the GIN index, without re-parsing any text per row.

Neither the column nor the index is part of the model state: SQLite has no tsvector
and searches without them, so the operations do nothing there and ``makemigrations``
never tries to create them. PostgreSQL refuses to change the type of a column that a
generated column reads: a later migration that alters ``headline``, ``dek`` or ``body``
must drop ``search_document`` first and add it back after (re-run these statements).
"""

from django.db import migrations

DOCUMENT = """
    setweight(to_tsvector('english'::regconfig, coalesce(headline, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(dek, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
"""

CREATE = [
    "ALTER TABLE stories_revision ADD COLUMN search_document tsvector "
    f"GENERATED ALWAYS AS ({DOCUMENT}) STORED",
    "CREATE INDEX stories_revision_search ON stories_revision USING gin (search_document)",
]
DROP = [
    "DROP INDEX IF EXISTS stories_revision_search",
    "ALTER TABLE stories_revision DROP COLUMN IF EXISTS search_document",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0002_imported_story_sources"),
    ]

    operations = [
        migrations.RunPython(run(CREATE), run(DROP), elidable=False),
    ]
