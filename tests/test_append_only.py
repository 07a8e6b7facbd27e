"""The database refuses rewrites: the append-only triggers, on whichever database the run
uses (CI runs SQLite and PostgreSQL), and the migrations that install them.

The triggers bind the owner of the tables too, so they are tried on the owner's
connection (``DATABASE_OWNER_URL`` when there is one): the application's role is refused
even earlier, by its privileges (tests/test_privileges.py)."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from stories import publishing
from stories.content.kinds import RevisionKind
from stories.models import LogLeaf, Revision, Story
from stories.record import append_only, privileges, removal, transparency
from tests.factories import approved
from tests.tampering import owner_test

#: The tables of the migration append_only_triggers, and every history table since.
EXPECTED = {
    "stories_revision", "stories_contentremoval", "stories_logleaf", "stories_lognode",
    "stories_treehead", "stories_historicalsection", "stories_historicalcontributor",
    "stories_historicalstory", "stories_historicalcredit", "stories_historicalrevision",
}  # fmt: skip


@pytest.fixture
def published(story, editor):
    """A row in every append-only table: versions, the log, history, a legal removal."""
    publishing.publish(approved(story), user=editor)
    publishing.publish(
        approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="Update."
    )
    editor.is_superuser = True
    editor.save()
    removal.remove_content(story, [1], user=editor, public_note="Removed.", internal_reason="Law.")
    return Story.objects.get(pk=story.pk)


def test_every_append_only_table_has_the_triggers(db):
    assert set(append_only.append_only_tables()) >= EXPECTED
    assert append_only.guarded_tables(connection) == set(append_only.append_only_tables())


@owner_test
@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_each_table_refuses_update_and_delete(published, table):
    owner = connections[privileges.owner_alias()]
    first = owner.introspection.get_table_description(owner.cursor(), table)[0].name
    column = owner.ops.quote_name(first)
    for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        with (
            pytest.raises(IntegrityError, match=f"{table} is append-only"),
            transaction.atomic(using=owner.alias),
            owner.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert transparency.verify_site() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed rows: no deferred checks pending
def test_postgres_refuses_truncate_too(published):
    owner = privileges.owner_alias()
    with (
        pytest.raises(IntegrityError, match="stories_revision is append-only"),
        transaction.atomic(using=owner),
        connections[owner].cursor() as cursor,
    ):
        cursor.execute("TRUNCATE stories_revision CASCADE")


@owner_test
def test_the_story_pointer_stays_writable(published, editor):
    """What must change lives outside the guarded tables: publishing moves the story's
    pointer, and withdrawing writes a new version, never touching an old one."""
    publishing.withdraw(
        approved(published, purpose="withdraw"), user=editor, public_note="Withdrawn."
    )
    story = Story.objects.get(pk=published.pk)
    assert story.latest_revision.number == 3 and story.is_withdrawn
    assert transparency.verify_site() == []


@pytest.mark.django_db(transaction=True)
def test_lifting_the_triggers_needs_a_transaction():
    with pytest.raises(RuntimeError, match="inside one transaction"), append_only.lifted():
        pass


@owner_test
def test_an_error_inside_a_lift_rolls_back_with_the_triggers_in_place(published):
    with (
        pytest.raises(ZeroDivisionError),
        privileges.as_owner() as owner,
        transaction.atomic(using=owner),
        append_only.lifted(using=owner),
    ):
        Revision._base_manager.update(body="rewritten")
        1 / 0  # noqa: B018
    assert append_only.guarded_tables(connection) == set(append_only.append_only_tables())
    assert "rewritten" not in Revision.objects.values_list("body", flat=True)


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_the_tables_and_leaves_the_triggers(story, editor):
    """What pytest-django does after each transactional test (and live_server)."""
    publishing.publish(approved(story), user=editor)

    call_command("flush", interactive=False, verbosity=0)

    assert not Revision.objects.exists() and not LogLeaf.objects.exists()
    assert append_only.guarded_tables(connection) == set(append_only.append_only_tables())


@pytest.mark.django_db(transaction=True)  # migrations, as the owner
def test_an_existing_database_upgrades_and_downgrades_cleanly(editor, settings):
    """From the last migration before the public record (a database like the demo's
    db.sqlite3) to now and back: version-1 hashes, then every version rehashed, logged
    and guarded; the chain intact both ways."""
    from tests.factories import StoryFactory

    settings.DEMO_MODE = True
    call_command("load_demo", verbosity=0)
    StoryFactory(slug="a-draft")
    before = dict(Revision.objects.values_list("pk", "body"))
    before_the_record = ("stories", "0005_history_timeline_indexes")
    with privileges.as_owner() as owner:  # as `migrate --database owner` runs
        executor = MigrationExecutor(connections[owner])
        try:
            executor.migrate([before_the_record])
            v1 = _migration("rehash_and_log_published_versions")
            assert v1.broken_v1_chains(executor.loader.project_state(before_the_record).apps) == []
            assert append_only.guarded_tables(connection) == set()
            # Going back before the log drops it; the log the upgrade builds is a new one,
            # which its signer's record (of the old) would refuse: an operator starts afresh.
            settings.LOG_SIGNER_STATE.unlink()
        finally:
            executor.loader.build_graph()
            executor.migrate(executor.loader.graph.leaf_nodes())

    assert transparency.verify_site() == []
    assert dict(Revision.objects.values_list("pk", "body")) == before
    assert set(Revision.objects.values_list("hash_version", flat=True)) == {2}
    assert LogLeaf.objects.count() == Revision.objects.count()
    assert append_only.guarded_tables(connection) >= EXPECTED
    rehashed = Revision.history.filter(history_change_reason__startswith="Rehashed")
    assert rehashed.count() == Revision.objects.count()
    assert set(Story.objects.values_list("public_id", flat=True)).isdisjoint({None})


def test_rehashing_refuses_a_broken_chain():
    """The migration never launders tampering into a valid chain."""
    migration = _migration("rehash_and_log_published_versions")

    class Broken:
        def broken_v1_chains(self, apps):
            return ["harbor: version 2 does not match its hash"]

    original = migration.broken_v1_chains
    migration.broken_v1_chains = Broken().broken_v1_chains
    try:
        with pytest.raises(RuntimeError, match="(?s)Refusing to rehash.*harbor: version 2"):
            migration.rehash(apps=None, schema_editor=None)
    finally:
        migration.broken_v1_chains = original


def _migration(name: str):
    """A migration's module by its name without the number (merges renumber them)."""
    import importlib
    from pathlib import Path

    import stories.migrations

    folder = Path(stories.migrations.__file__).parent
    (path,) = folder.glob(f"[0-9][0-9][0-9][0-9]_{name}.py")
    return importlib.import_module(f"stories.migrations.{path.stem}")
