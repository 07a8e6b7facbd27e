"""Rehash every published version with payload version 2, and append each to the log.

Recomputed, not kept: the version-1 hashes covered neither the story a version belongs to
nor anything an outsider could check (they hashed who published and the internal
reason), so keeping them would leave every existing version open to being moved to
another story unnoticed. They were never published outside the database (only in
exports), so nothing outside holds them. Rehashing launders nothing: each story's
version-1 chain is checked first, and the migration stops, changing nothing, if any
chain is already broken (investigate with the previous release's ``verify_revisions``).

Each rehash is recorded in the versions' audit trail (a "~" row by the system user),
then every version is appended to the transparency log in publication order (its
publication time, then its id), with one signed tree head. The triggers that make all
of this append-only come in the next migration.

Reversed, the log is emptied and every version gets its version-1 hash back.
"""

import hashlib
import json

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from stories.record import merkle, signing
from stories.record.integrity import revision_hash

#: The fields payload version 1 hashed (stories/integrity.py before the public record).
V1_FIELDS = (
    "number", "kind", "public_note", "internal_reason", "published_at",
    "headline", "dek", "body", "body_html", "byline", "tagline", "credits",
    "section_name", "section_slug", "dateline",
)  # fmt: skip
REHASHED = "Rehashed with payload version 2 (migration rehash_and_log_published_versions)"


def v1_hash(revision) -> str:
    payload = {name: getattr(revision, name) for name in V1_FIELDS}
    payload["published_at"] = revision.published_at.isoformat()
    payload["published_by"] = revision.published_by_id
    payload["previous_hash"] = revision.previous_hash
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chains(apps):
    """(story, its versions in number order) for every story with versions."""
    Story = apps.get_model("stories", "Story")
    Revision = apps.get_model("stories", "Revision")
    for story in Story.objects.filter(revisions__isnull=False).distinct().order_by("pk"):
        yield story, list(Revision.objects.filter(story=story).order_by("number"))


def broken_v1_chains(apps) -> list[str]:
    problems = []
    for story, revisions in chains(apps):
        previous = None
        for revision in revisions:
            if revision.number != (previous.number + 1 if previous else 1):
                problems.append(f"{story.slug}: version {revision.number} out of sequence")
            if revision.previous_hash != (previous.content_hash if previous else ""):
                problems.append(f"{story.slug}: version {revision.number} not chained")
            if v1_hash(revision) != revision.content_hash:
                problems.append(f"{story.slug}: version {revision.number} does not match its hash")
            previous = revision
    return problems


def system_user(apps):
    """The account history rows written without a person name (stories/audit.py)."""
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    user, _ = User.objects.get_or_create(
        username=settings.NEWSROOM_SYSTEM_USERNAME,
        defaults={"first_name": "Newsroom", "last_name": "system", "password": "!"},
    )
    return user


def rehash(apps, schema_editor):
    problems = broken_v1_chains(apps)
    if problems:
        raise RuntimeError(
            "Refusing to rehash published versions whose chain is already broken (that would "
            "make tampering look intact); nothing was changed:\n  " + "\n  ".join(problems)
        )
    Revision = apps.get_model("stories", "Revision")
    HistoricalRevision = apps.get_model("stories", "HistoricalRevision")
    now = timezone.now()
    audit_rows = []
    system = None
    for story, revisions in chains(apps):
        system = system or system_user(apps)
        previous_hash = ""
        for revision in revisions:
            revision.previous_hash = previous_hash
            revision.hash_version = 2
            revision.content_hash = revision_hash(revision, story)
            previous_hash = revision.content_hash
            Revision.objects.filter(pk=revision.pk).update(
                previous_hash=revision.previous_hash,
                content_hash=revision.content_hash,
                hash_version=2,
            )
            fields = {f.attname: getattr(revision, f.attname) for f in Revision._meta.concrete_fields}
            audit_rows.append(
                HistoricalRevision(
                    **fields,
                    history_date=now,
                    history_type="~",
                    history_user=system,
                    history_change_reason=REHASHED,
                )
            )
    HistoricalRevision.objects.bulk_create(audit_rows, batch_size=500)
    append_to_log(apps, now)


def append_to_log(apps, now):
    Revision = apps.get_model("stories", "Revision")
    LogLeaf = apps.get_model("stories", "LogLeaf")
    LogNode = apps.get_model("stories", "LogNode")
    TreeHead = apps.get_model("stories", "TreeHead")
    if LogLeaf.objects.exists():
        raise RuntimeError("The transparency log is not empty: it was filled before this migration.")
    tree = merkle.CompactTree()
    leaves, nodes = [], []
    for revision_id, content_hash in Revision.objects.order_by("published_at", "pk").values_list(
        "pk", "content_hash"
    ):
        leaves.append(
            LogLeaf(index=tree.size, revision_id=revision_id, entry_hash=content_hash, appended_at=now)
        )
        for (level, index), value in tree.append(merkle.leaf_hash(bytes.fromhex(content_hash))):
            nodes.append(LogNode(level=level, index=index, hash=value.hex()))
    LogLeaf.objects.bulk_create(leaves, batch_size=1000)
    LogNode.objects.bulk_create(nodes, batch_size=1000)
    if tree.size:
        timestamp = int(now.timestamp() * 1000)
        root = tree.root()
        TreeHead.objects.create(
            size=tree.size,
            root_hash=root.hex(),
            timestamp=timestamp,
            signature=signing.sign(merkle.tree_head_data(tree.size, timestamp, root)),
            public_key=signing.public_key_hex(),
        )


def back_to_v1(apps, schema_editor):
    for name in ("TreeHead", "LogNode", "LogLeaf"):
        apps.get_model("stories", name).objects.all().delete()
    apps.get_model("stories", "HistoricalRevision").objects.filter(
        history_change_reason=REHASHED
    ).delete()
    Revision = apps.get_model("stories", "Revision")
    for _story, revisions in chains(apps):
        previous_hash = ""
        for revision in revisions:
            revision.previous_hash = previous_hash
            revision.content_hash = v1_hash(revision)
            previous_hash = revision.content_hash
            Revision.objects.filter(pk=revision.pk).update(
                previous_hash=revision.previous_hash,
                content_hash=revision.content_hash,
                hash_version=1,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0011_story_public_id_required"),
    ]

    operations = [
        migrations.RunPython(rehash, back_to_v1),
    ]
