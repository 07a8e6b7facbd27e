"""The database layer on a real server: row locking under concurrent publishes, the
connection pool and timeouts, and migrations from an empty database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection, connections

from stories.content.kinds import RevisionKind
from stories.models import Story
from stories.publishing import publish
from stories.record.integrity import verify_story
from tests.concurrency import at_once
from tests.envsettings import database_url
from tests.factories import StoryFactory, approved, granted

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_models_and_migrations_agree():
    """Every model change has its migration (the search index lives outside model state)."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_concurrent_publishes_number_every_revision_once_and_keep_the_chain(editor):
    """Two editors publish updates of one story at the same instant, several times over.

    The publishing service locks the story row (SELECT ... FOR UPDATE), so each publish
    sees the revision the other just wrote: numbers 1..n with no gap or duplicate, every
    revision chained to the one before it, and neither editor's update lost. Breaking news
    from two desks at once: both editors may publish without review, each with a reason
    (an approval allows one publish, so racing on one approval is not what is tested).
    """
    editor = granted(editor, "publish_without_review")
    story = StoryFactory(slug="contested", headline="Ferry strike talks")
    publish(approved(story), user=editor)
    threads, rounds = 2, 6

    def publish_update(worker: int, round_number: int):
        publish(
            Story.objects.get(pk=story.pk),
            user=editor,
            kind=RevisionKind.UPDATE,
            public_note=f"editor {worker}, round {round_number}",
            review_bypass="Breaking news: the strike talks, minute by minute.",
        )

    at_once(range(threads), rounds, publish_update)

    story.refresh_from_db()
    revisions = list(story.revisions.order_by("number"))
    expected = 1 + threads * rounds
    assert [revision.number for revision in revisions] == list(range(1, expected + 1))
    assert verify_story(story) == []
    assert story.latest_revision_id == revisions[-1].pk
    assert story.updated_at == revisions[-1].published_at
    notes = sorted(revision.public_note for revision in revisions[1:])
    assert notes == sorted(
        f"editor {worker}, round {round_number}"
        for worker in range(threads)
        for round_number in range(rounds)
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_connections_have_server_timeouts_and_come_from_the_pool():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0  # the pool instead
    if settings.DATABASE_POOL:
        assert connection.pool is not None
        assert connection.pool.max_size == options["pool"]["max_size"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')"
        )
        server = dict(cursor.fetchall())
        cursor.execute("SHOW application_name")
        (application_name,) = cursor.fetchone()
    for name, value in server.items():
        assert f"-c {name}={value}" in options["options"]
    assert int(server["statement_timeout"]) > 0
    assert application_name == options["application_name"]


@pytest.mark.postgres
def test_migrations_apply_to_an_empty_database_and_reverse():
    """As `make serve` migrates: as the owner role when there is one (which leaves the
    application's role its data rights), else as the only role."""
    import psycopg  # here, not at the top: a SQLite run need not load the driver at all

    default = settings.DATABASES["default"]
    owner = settings.DATABASES.get("owner", default)
    name = f"test_newsroom_empty_{os.getpid()}"
    server = {
        "host": owner["HOST"] or "localhost",
        "port": owner["PORT"] or 5432,
        "user": owner["USER"],
        "password": owner["PASSWORD"] or None,
    }
    env = {**os.environ, "DATABASE_URL": database_url(default, name)}
    env.pop("DATABASE_REPLICA_URL", None)
    database = []
    if "owner" in settings.DATABASES:
        env["DATABASE_OWNER_URL"] = database_url(owner, name)
        database = ["--database", "owner"]

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def query(sql, *params):
        with psycopg.connect(dbname=name, **server) as conn:
            return conn.execute(sql, params).fetchone()[0]

    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        migrated = manage("migrate", "--noinput", *database)
        assert migrated.returncode == 0, migrated.stderr
        assert manage("migrate", "--check", *database).returncode == 0
        assert (
            query("SELECT count(*) FROM pg_indexes WHERE indexname = 'stories_revision_search'")
            == 1
        )
        if database:
            role = default["USER"]
            rights = "has_table_privilege(%s, 'stories_revision', %s)"
            assert query(f"SELECT {rights}", role, "INSERT")
            assert not query(f"SELECT {rights}", role, "UPDATE")
            assert (
                query("SELECT tableowner FROM pg_tables WHERE tablename = 'stories_revision'")
                == owner["USER"]
            )

        reversed_ = manage("migrate", "stories", "zero", "--noinput", *database)
        assert reversed_.returncode == 0, reversed_.stderr
        assert (
            query("SELECT count(*) FROM pg_indexes WHERE indexname = 'stories_revision_search'")
            == 0
        )
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.django_db
def test_each_role_of_connection_has_its_limits():
    """Reader pages' statements are cut short, the editors' have longer, the owner's (a
    migration building an index) none; the server enforces them."""
    expected = {
        alias: f"-c statement_timeout={settings.CONNECTION_LIMITS[role]['statement_timeout']}"
        for alias, role in (("default", "editorial"), ("reader", "reader"), ("owner", "owner"))
        if alias in settings.DATABASES
    }
    for alias, option in expected.items():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
            assert option == f"-c statement_timeout={cursor.fetchone()[0]}", alias
    with (
        pytest.raises(OperationalError, match="statement timeout"),
        connections["reader"].cursor() as cursor,
    ):
        cursor.execute("SELECT pg_sleep(5)")


@pytest.mark.postgres
def test_a_connection_gives_up_on_a_database_silent_mid_query():
    """The database answers, then goes silent in the middle of a query (a proxy holds the
    bytes, as a frozen host whose kernel still acknowledges them would): the client gives
    up after its answer timeout and closes the connection, instead of waiting for ever."""
    import psycopg

    from newsroom.postgresql.base import bounded
    from tests.outage import TcpProxy

    default = settings.DATABASES["default"]
    proxy = TcpProxy(default["HOST"] or "127.0.0.1", int(default["PORT"] or 5432))
    try:
        with bounded(0.5).connect(
            host="127.0.0.1",
            port=proxy.port,
            dbname="postgres",
            user=default["USER"],
            password=default["PASSWORD"] or None,
            autocommit=True,
        ) as silent:
            assert silent.execute("SELECT 1").fetchone() == (1,)
            proxy.hang_on(b"the-marker")
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError, match="did not answer within 0.5 s"):
                silent.execute("SELECT 'the-marker'")
            assert time.monotonic() - started < 2.0
            assert silent.closed
    finally:
        proxy.close()
