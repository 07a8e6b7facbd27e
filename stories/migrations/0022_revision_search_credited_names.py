"""Search finds a story by its author: the stored search document also holds the names
the version credits (bylines, contributors, photographers...), at weight D, below the
headline (A), dek (B) and body (C), so a story that names someone in its text ranks
above one that only credits them. PostgreSQL only, like 0003_revision_search_index.

The names are read from the version's ``credits`` (a list of objects with ``name``,
``slug``, ``role`` and ``affiliation``), not from its ``byline`` and ``tagline`` lines:
"contributed to this report" would make every story with a tagline a hit for "report".
A generated column's expression cannot be altered, so the column and its index are
dropped and made again; PostgreSQL computes the new document for every stored version
(the table is rewritten once, by PostgreSQL itself: no row trigger fires, the
append-only record is untouched).
"""

from django.db import migrations

BEFORE = """
    setweight(to_tsvector('english'::regconfig, coalesce(headline, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(dek, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
"""
AFTER = (
    BEFORE
    + """
    || setweight(to_tsvector('english'::regconfig,
           jsonb_path_query_array(coalesce(credits, '[]'::jsonb), '$[*].name')), 'D')
"""
)


def document(expression):
    return [
        "DROP INDEX IF EXISTS stories_revision_search",
        "ALTER TABLE stories_revision DROP COLUMN IF EXISTS search_document",
        "ALTER TABLE stories_revision ADD COLUMN search_document tsvector "
        f"GENERATED ALWAYS AS ({expression}) STORED",
        "CREATE INDEX stories_revision_search ON stories_revision USING gin (search_document)",
    ]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0021_partners_and_webhooks"),
    ]

    operations = [
        migrations.RunPython(run(document(AFTER)), run(document(BEFORE)), elidable=False),
    ]
