"""Revision.body_text: the plain text of each version's body, for search snippets.

Search used to strip Markdown from every hit's whole body at query time; the text is
now derived once, when a version is published, from its sanitised HTML
(``stories.rendering.html_text``). It is not part of the content hash (body_html is).

The back-fill below updates existing revisions (and their history rows) in place, so it
must run before any migration that forbids UPDATE on published versions.
"""

from django.db import migrations, models


def fill_body_text(apps, schema_editor):
    from stories.content.rendering import html_text

    for name in ("Revision", "HistoricalRevision"):
        model = apps.get_model("stories", name)
        key = "history_id" if name.startswith("Historical") else "pk"
        last = 0
        while True:  # in batches by key: updating while a cursor reads is not portable
            batch = list(
                model.objects.filter(**{f"{key}__gt": last})
                .order_by(key)
                .values_list(key, "body_html")[:500]
            )
            for pk, body_html in batch:
                model.objects.filter(**{key: pk}).update(body_text=html_text(body_html))
            if len(batch) < 500:
                break
            last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0006_error_reports"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalrevision",
            name="body_text",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The text of body_html, for search snippets (derived, not hashed).",
            ),
        ),
        migrations.AddField(
            model_name="revision",
            name="body_text",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The text of body_html, for search snippets (derived, not hashed).",
            ),
        ),
        migrations.RunPython(fill_body_text, migrations.RunPython.noop, elidable=True),
    ]
