# Tree heads keyed by size and time, with their checkpoint signature; witnesses'
# cosignatures.
#
# A head used to be signed only when something was published, and TreeHead's primary key
# was its size: a quiet site and a site whose log froze looked the same to a verifier. The
# site now also re-signs the current size on a schedule (manage.py sign_tree_head), so a
# head gets an id of its own, with (size, timestamp) unique, and carries its C2SP
# checkpoint signature (origin, note_signature; blank for the heads copied here, which
# were signed before checkpoints existed).
#
# A primary key cannot be changed in place on both databases (SQLite rebuilds the table;
# on PostgreSQL the new key's constraint would take the old one's name), so the heads move
# to a new table: created beside the old one, every row copied (INSERTs only, which the
# append-only triggers allow), the old table dropped, the new one renamed into place; the
# append-only triggers are then installed on it and on the cosignatures' table (and put
# back after every migrate, as on every guarded table). Going back keeps the first head of each size:
# the heads re-signed later cannot go back into a table keyed by size, nor can the
# checkpoints' signatures and the cosignatures.

from django.db import migrations, models

from stories.record import append_only

NEW_TABLES = ["stories_treehead", "stories_cosignature"]


def guard(apps, schema_editor):
    append_only.install(schema_editor.connection, NEW_TABLES)


def unguard(apps, schema_editor):
    append_only.remove(schema_editor.connection, NEW_TABLES)


def copy_heads(apps, schema_editor):
    Old = apps.get_model("stories", "TreeHead")
    New = apps.get_model("stories", "TreeHeadKeyedByTime")
    batch = []
    for head in Old.objects.order_by("size").iterator():
        batch.append(
            New(
                size=head.size,
                root_hash=head.root_hash,
                timestamp=head.timestamp,
                signature=head.signature,
                public_key=head.public_key,
            )
        )
        if len(batch) == 1000:
            New.objects.bulk_create(batch)
            batch = []
    New.objects.bulk_create(batch)


def copy_first_heads_back(apps, schema_editor):
    New = apps.get_model("stories", "TreeHeadKeyedByTime")
    Old = apps.get_model("stories", "TreeHead")
    seen = set()
    for head in New.objects.order_by("size", "timestamp").iterator():
        if head.size not in seen:
            seen.add(head.size)
            Old.objects.create(
                size=head.size,
                root_hash=head.root_hash,
                timestamp=head.timestamp,
                signature=head.signature,
                public_key=head.public_key,
            )


HEAD_FIELDS = [
    ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
    ("size", models.PositiveBigIntegerField()),
    ("root_hash", models.CharField(max_length=64)),
    ("timestamp", models.PositiveBigIntegerField(help_text="Milliseconds since the Unix epoch.")),
    ("signature", models.CharField(max_length=128)),
    ("public_key", models.CharField(help_text="The key that signed it, in hex.", max_length=64)),
    ("origin", models.CharField(blank=True, help_text="The checkpoint's origin line (its log's name).", max_length=255)),
    ("note_signature", models.CharField(blank=True, help_text="Ed25519 signature of the checkpoint's text, in hex (none before checkpoints).", max_length=128)),
]


class Migration(migrations.Migration):

    dependencies = [
        ("stories", "0018_story_edit_number"),
    ]

    operations = [
        migrations.CreateModel(
            name="TreeHeadKeyedByTime",
            fields=HEAD_FIELDS,
            options={
                "ordering": ["timestamp", "size"],
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(fields=("size", "timestamp"), name="unique_tree_head")
                ],
                "indexes": [models.Index(fields=["timestamp", "size"], name="tree_head_time")],
            },
        ),
        migrations.RunPython(copy_heads, copy_first_heads_back),
        migrations.DeleteModel(name="TreeHead"),
        migrations.RenameModel(old_name="TreeHeadKeyedByTime", new_name="TreeHead"),
        migrations.CreateModel(
            name="Cosignature",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.PositiveBigIntegerField()),
                ("root_hash", models.CharField(max_length=64)),
                ("witness", models.CharField(help_text="The witness's key name.", max_length=255)),
                ("key_id", models.CharField(help_text="The witness key's ID, in hex.", max_length=8)),
                ("timestamp", models.PositiveBigIntegerField(help_text="When it cosigned: POSIX seconds.")),
                ("signature", models.CharField(help_text="The Ed25519 signature, in hex.", max_length=128)),
                ("received_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["size", "timestamp"],
                "abstract": False,
                "constraints": [
                    models.UniqueConstraint(
                        fields=("witness", "key_id", "size", "timestamp"), name="unique_cosignature"
                    )
                ],
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
