"""The tamper suite's ten rewrites of the public record, and what an attacker with the
database owner's rights can do: lift the append-only triggers for one transaction and
rewrite rows with raw SQL (without that, the database refuses).

Each tamper runs against ``PublishedRecord`` (two stories, three versions each) in one of
two ways: ``as_database_user`` (the application's connection: the triggers apply) or
``as_database_owner`` (the owner's connection, ``DATABASE_OWNER_URL`` when there is one,
the triggers lifted). A test that acts as the owner is marked ``owner_test``: its rows
must be committed for the owner's connection to see them. ``test_tampering.py`` checks which the database refuses and which
``verify_revisions`` detects; ``test_outside_verifier.py`` runs the outside verifier,
holding an earlier tree head, against a live server after each.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    ProgrammingError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import Revision, Story
from stories.record import append_only, merkle, privileges, signing
from stories.record.integrity import revision_hash
from stories.record.outside_verifier import Checkpoint
from tests.factories import approved

#: A test that acts as the database's owner: with an owner role its rows are committed
#: (a transactional test), since the owner's connection is one of its own, which sees no
#: other's open transaction; with one role the test runs in its transaction, as any other.
owner_test = pytest.mark.django_db(transaction=privileges.owner_alias() != DEFAULT_DB_ALIAS)


@contextmanager
def as_database_owner():
    """A cursor of the owner's connection, in a transaction where the append-only
    triggers are lifted."""
    with (
        privileges.as_owner() as alias,  # what the tamper reads, it reads there too
        transaction.atomic(using=alias),
        append_only.lifted(using=alias),
        connections[alias].cursor() as cursor,
    ):
        yield cursor


def refused_by_the_database():
    """What the application's connection meets when it tries a rewrite: with an owner role
    its privileges stop it first (it may only read and insert there), with one role the
    append-only triggers do."""
    if privileges.owner_alias() != DEFAULT_DB_ALIAS:
        return pytest.raises(ProgrammingError, match="permission denied for table")
    return pytest.raises(IntegrityError, match="is append-only")


@contextmanager
def as_database_user():
    """A cursor in a transaction, the triggers in place."""
    with transaction.atomic(), connection.cursor() as cursor:
        yield cursor


def sql(statement: str, *params):
    """Run one statement as the database owner would, triggers lifted."""
    with as_database_owner() as cursor:
        cursor.execute(statement, params)


@dataclass
class PublishedRecord:
    """Two published stories, ``a`` and ``b``, with versions 1 to 3 each."""

    a: Story
    b: Story

    @classmethod
    def build(cls, editor, factory):
        stories = []
        for name in ("harbor", "ferry"):
            story = factory(slug=f"{name}-story", headline=f"The {name} story")
            publishing.publish(approved(story), user=editor)
            story.body += f"\n\nMore on the {name}."
            story.save()
            publishing.publish(
                approved(story),
                user=editor,
                kind=RevisionKind.UPDATE,
                public_note="Added a paragraph.",
            )
            publishing.publish(
                approved(story),
                user=editor,
                kind=RevisionKind.CORRECTION,
                public_note="Fixed a name.",
            )
            stories.append(Story.objects.get(pk=story.pk))
        return cls(*stories)

    def version(self, story: Story, number: int) -> Revision:
        return Revision.objects.get(story=story, number=number)


# -- the ten tampers -----------------------------------------------------------------------
#
# Each takes the record and a cursor (with or without the triggers). Those a plain
# database user can do at all (an INSERT) are marked ``allowed``.


def update_a_versions_body(record, cursor):
    cursor.execute(
        "UPDATE stories_revision SET body = %s WHERE id = %s",
        ["Words the newsroom never published.", record.version(record.a, 2).pk],
    )


def delete_a_middle_version(record, cursor):
    middle = record.version(record.a, 2).pk
    cursor.execute("DELETE FROM stories_logleaf WHERE revision_id = %s", [middle])
    cursor.execute("UPDATE stories_review SET revision_id = NULL WHERE revision_id = %s", [middle])
    cursor.execute("DELETE FROM stories_revision WHERE id = %s", [middle])


def delete_the_latest_version_and_repoint(record, cursor):
    latest, before = record.version(record.a, 3).pk, record.version(record.a, 2).pk
    cursor.execute(
        "UPDATE stories_story SET latest_revision_id = %s WHERE id = %s", [before, record.a.pk]
    )
    cursor.execute("DELETE FROM stories_logleaf WHERE revision_id = %s", [latest])
    cursor.execute("UPDATE stories_review SET revision_id = NULL WHERE revision_id = %s", [latest])
    cursor.execute("DELETE FROM stories_revision WHERE id = %s", [latest])


def null_the_pointer_and_edit(record, cursor):
    cursor.execute(
        "UPDATE stories_story SET latest_revision_id = NULL WHERE id = %s", [record.a.pk]
    )
    cursor.execute(
        "UPDATE stories_revision SET headline = %s WHERE story_id = %s",
        ["A headline nobody published", record.a.pk],
    )


def swap_two_stories_versions(record, cursor):
    a2, b2 = record.version(record.a, 2).pk, record.version(record.b, 2).pk
    cursor.execute(
        "UPDATE stories_revision SET story_id = %s, number = 1000 WHERE id = %s", [record.b.pk, a2]
    )
    cursor.execute("UPDATE stories_revision SET story_id = %s WHERE id = %s", [record.a.pk, b2])
    cursor.execute("UPDATE stories_revision SET number = 2 WHERE id = %s", [a2])


def recompute_the_chain_after_an_edit(record, cursor):
    """Edit version 2 and recompute its hash and every later one, consistently."""
    previous = record.version(record.a, 1).content_hash
    for number in (2, 3):
        revision = record.version(record.a, number)
        if number == 2:
            revision.body = "Words the newsroom never published."
        revision.previous_hash = previous
        revision.content_hash = revision_hash(revision, record.a)
        previous = revision.content_hash
        cursor.execute(
            "UPDATE stories_revision SET body = %s, previous_hash = %s, content_hash = %s "
            "WHERE id = %s",
            [revision.body, revision.previous_hash, revision.content_hash, revision.pk],
        )


def update_an_audit_row(record, cursor):
    cursor.execute(
        "UPDATE stories_historicalstory SET history_change_reason = %s WHERE id = %s",
        ["Nothing to see here", record.a.pk],
    )


def delete_an_audit_row(record, cursor):
    cursor.execute(
        "DELETE FROM stories_historicalrevision WHERE id = %s", [record.version(record.a, 2).pk]
    )


def insert_a_version_with_a_skipped_number(record, cursor):
    """Version 5 after 3, hashed and chained as the service would, pointer moved to it."""
    last = record.version(record.a, 3)
    fake = Revision(
        story=record.a,
        number=5,
        kind=RevisionKind.UPDATE,
        public_note="Quietly added.",
        published_at=timezone.now(),
        published_by=last.published_by,
        previous_hash=last.content_hash,
        hash_version=last.hash_version,
        **{name: getattr(last, name) for name in publishing.CONTENT_FIELDS},
    )
    fake.body = "A version slipped in by hand."
    fake.content_hash = revision_hash(fake, record.a)
    fake.save()
    cursor.execute(
        "UPDATE stories_story SET latest_revision_id = %s WHERE id = %s", [fake.pk, record.a.pk]
    )


insert_a_version_with_a_skipped_number.allowed = True


def rewrite_the_log(record, cursor):
    """The strongest rewrite: edit a version, recompute its chain, then rebuild the whole
    transparency log from the new hashes and sign fresh tree heads with the site's own
    key. Everything inside the database is consistent again."""
    recompute_the_chain_after_an_edit(record, cursor)
    cursor.execute("DELETE FROM stories_treehead")
    cursor.execute("DELETE FROM stories_lognode")
    cursor.execute(
        'SELECT l."index", r.content_hash FROM stories_logleaf l '
        'JOIN stories_revision r ON r.id = l.revision_id ORDER BY l."index"'
    )
    leaves = cursor.fetchall()
    cursor.execute("DELETE FROM stories_logleaf")
    tree = merkle.CompactTree()
    now = timezone.now()
    for index, content_hash in leaves:
        cursor.execute("SELECT id FROM stories_revision WHERE content_hash = %s", [content_hash])
        (revision_id,) = cursor.fetchone()
        cursor.execute(
            'INSERT INTO stories_logleaf ("index", revision_id, entry_hash, appended_at) '
            "VALUES (%s, %s, %s, %s)",
            [index, revision_id, content_hash, now],
        )
        for (level, position), value in tree.append(merkle.leaf_hash(bytes.fromhex(content_hash))):
            cursor.execute(
                'INSERT INTO stories_lognode (level, "index", hash) VALUES (%s, %s, %s)',
                [level, position, value.hex()],
            )
    timestamp = int(now.timestamp() * 1000)
    root = tree.root()
    checkpoint = Checkpoint(settings.LOG_ORIGIN, tree.size, root)
    cursor.execute(
        "INSERT INTO stories_treehead (size, root_hash, timestamp, signature, public_key, "
        "origin, note_signature) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [
            tree.size,
            root.hex(),
            timestamp,
            signing.sign(merkle.tree_head_data(tree.size, timestamp, root)),
            signing.public_key_hex(),
            checkpoint.origin,
            signing.sign(checkpoint.text.encode()),
        ],
    )


TAMPERS = [
    update_a_versions_body,
    delete_a_middle_version,
    delete_the_latest_version_and_repoint,
    null_the_pointer_and_edit,
    swap_two_stories_versions,
    recompute_the_chain_after_an_edit,
    update_an_audit_row,
    delete_an_audit_row,
    insert_a_version_with_a_skipped_number,
    rewrite_the_log,
]
#: The tampers that change nothing readers or outsiders can see (internal audit rows).
AUDIT_TAMPERS = [update_an_audit_row, delete_an_audit_row]


# -- rewrites without the key ----------------------------------------------------------------
#
# The strongest attacker without the signing key: database superuser rights, the triggers
# lifted, every hash recomputed so that the database is consistent again. Only what lies
# outside the database can tell: the signer's record (it refuses to sign, and
# verify_revisions compares the newest head with it) and readers' kept tree heads.


def rewrite_version_2_and_recompute_everything(record, cursor):
    """Rewrite version 2 of story a, recompute its hash and every one after it, their
    leaves and every Merkle node, and delete the tree heads that no longer match."""
    recompute_the_chain_after_an_edit(record, cursor)
    for number in (2, 3):
        revision = record.version(record.a, number)
        cursor.execute(
            "UPDATE stories_logleaf SET entry_hash = %s WHERE revision_id = %s",
            [revision.content_hash, revision.pk],
        )
    roots = _rebuild_nodes(cursor)
    cursor.execute("SELECT id, size, root_hash FROM stories_treehead")
    for head_id, size, root_hash in cursor.fetchall():
        if roots.get(size) != root_hash:
            cursor.execute("DELETE FROM stories_treehead WHERE id = %s", [head_id])


def delete_the_two_newest_versions(record, cursor):
    """Delete story b's versions 3 and 2 (the log's two newest entries) with their leaves,
    the nodes and tree heads that cover them and their audit rows; point b at version 1."""
    gone = [record.version(record.b, number).pk for number in (3, 2)]
    cursor.execute('SELECT MIN("index") FROM stories_logleaf WHERE revision_id IN (%s, %s)', gone)
    (first_gone,) = cursor.fetchone()
    cursor.execute(
        "UPDATE stories_story SET latest_revision_id = %s WHERE id = %s",
        [record.version(record.b, 1).pk, record.b.pk],
    )
    cursor.execute("DELETE FROM stories_logleaf WHERE revision_id IN (%s, %s)", gone)
    cursor.execute(
        "UPDATE stories_review SET revision_id = NULL WHERE revision_id IN (%s, %s)", gone
    )
    cursor.execute("DELETE FROM stories_historicalrevision WHERE id IN (%s, %s)", gone)
    cursor.execute("DELETE FROM stories_revision WHERE id IN (%s, %s)", gone)
    cursor.execute("DELETE FROM stories_treehead WHERE size > %s", [first_gone])
    _rebuild_nodes(cursor)


def _rebuild_nodes(cursor) -> dict[int, str]:
    """Every stored node recomputed from the leaves; the root at each size, in hex."""
    cursor.execute('SELECT entry_hash FROM stories_logleaf ORDER BY "index"')
    entries = [row[0] for row in cursor.fetchall()]
    cursor.execute("DELETE FROM stories_lognode")
    tree, roots = merkle.CompactTree(), {}
    for entry in entries:
        for (level, position), value in tree.append(merkle.leaf_hash(bytes.fromhex(entry))):
            cursor.execute(
                'INSERT INTO stories_lognode (level, "index", hash) VALUES (%s, %s, %s)',
                [level, position, value.hex()],
            )
        roots[tree.size] = tree.root().hex()
    return roots


#: What only the signer's record (and readers' kept heads) can catch.
REWRITES_WITHOUT_THE_KEY = [
    rewrite_version_2_and_recompute_everything,
    delete_the_two_newest_versions,
]
