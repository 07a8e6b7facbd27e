"""Least privilege on PostgreSQL: the application's role has data rights only, the owner
role (``DATABASE_OWNER_URL``) owns the tables, migrates and removes content for a legal
reason (stories/record/privileges.py).

CI's PostgreSQL run connects as two roles made for the run (``.ci/run``): the whole suite
runs as the application's role, and the tests below try, as that role, what an attacker
holding its credentials would try first. Without an owner role (one role, as a laptop's
PostgreSQL run may be) they are skipped, with the reason shown.
"""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, connections, transaction

from stories.content.kinds import RevisionKind
from stories.models import Revision
from stories.publishing import publish
from stories.record import append_only, privileges
from tests.envsettings import database_url, environment, settings_in
from tests.factories import StoryFactory, approved

BASE_DIR = Path(__file__).resolve().parent.parent

needs_owner = pytest.mark.skipif(
    "owner" not in settings.DATABASES,
    reason="needs an owner role besides the application's (set DATABASE_OWNER_URL, as CI does)",
)


@pytest.fixture
def version(editor):
    story = StoryFactory(slug="harbor", headline="Harbor dredging starts")
    publish(approved(story), user=editor)
    publish(approved(story), user=editor, kind=RevisionKind.UPDATE, public_note="More detail.")
    return Revision.objects.get(story=story, number=1)


def refused(statement: str, *params, because: str):
    """Run ``statement`` as the application's role and return the database's refusal."""
    with (
        pytest.raises(ProgrammingError, match=because) as refusal,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)
    return refusal


# -- what the application's role cannot do --------------------------------------------------


@pytest.mark.postgres
@needs_owner
def test_the_application_cannot_disable_or_drop_a_trigger(version):
    refused("ALTER TABLE stories_revision DISABLE TRIGGER ALL", because="must be owner")
    refused(f"DROP TRIGGER {append_only.PREFIX}_rows ON stories_revision", because="must be owner")
    refused("ALTER TABLE stories_historicalstory DISABLE TRIGGER ALL", because="must be owner")
    assert "stories_revision" in append_only.guarded_tables(connection)


@pytest.mark.postgres
@needs_owner
def test_the_application_cannot_alter_or_drop_a_table(version):
    refused("ALTER TABLE stories_revision ADD COLUMN note text", because="must be owner")
    refused("ALTER TABLE stories_story OWNER TO CURRENT_USER", because="must be owner")
    refused("DROP TABLE stories_logleaf CASCADE", because="must be owner")
    refused("CREATE TABLE stories_shadow (id int)", because="permission denied for schema")


@pytest.mark.postgres
@needs_owner
def test_the_application_cannot_delete_or_rewrite_a_version(version):
    for statement in (
        "DELETE FROM stories_revision WHERE id = %s",
        "UPDATE stories_revision SET body = 'rewritten' WHERE id = %s",
        "DELETE FROM stories_historicalrevision WHERE id = %s",
        "DELETE FROM stories_logleaf WHERE revision_id = %s",
    ):
        refused(statement, version.pk, because="permission denied for table")
    refused("TRUNCATE stories_revision CASCADE", because="permission denied for table")
    assert Revision.objects.filter(pk=version.pk, body=version.body).exists()


@pytest.mark.postgres
@needs_owner
def test_the_application_reads_and_inserts_the_record_and_works_its_own_tables(db):
    role = settings.DATABASE_APPLICATION_ROLE
    append_only_tables = set(append_only.append_only_tables())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False, False)
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(
                "SELECT " + ", ".join(["has_table_privilege(%s, %s, %s)"] * 6),
                [
                    value
                    for right in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
                    for value in (role, table, right)
                ],
            )
            select, insert, update, delete, truncate, trigger = cursor.fetchone()
            assert select and insert and not truncate and not trigger, table
            writable = table not in append_only_tables
            assert (update, delete) == (writable, writable), table
            if table.startswith("stories_historical"):  # deleting an account asks for it
                cursor.execute(
                    "SELECT has_column_privilege(%s, %s, 'history_user_id', 'UPDATE')",
                    [role, table],
                )
                assert cursor.fetchone() == (True,), table
    assert not privileges.can_alter_the_record(connection)
    assert privileges.can_alter_the_record(connections["owner"])


# -- the deploy check ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_deploy_check_warns_when_the_application_could_alter_the_record():
    found = checks.run_checks(
        include_deployment_checks=True, databases=["default"], tags=[checks.Tags.database]
    )
    warned = [message.id for message in found if message.id == "newsroom.W001"]
    # Two roles (CI): no warning. One role that owns the tables: the warning.
    assert warned == ([] if "owner" in settings.DATABASES else ["newsroom.W001"])


def test_the_deploy_check_never_queries_without_a_database():
    found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.database])
    assert "newsroom.W001" not in [message.id for message in found]


# -- the command --------------------------------------------------------------------------


def test_the_roles_are_printed_for_a_superuser_to_create():
    out = StringIO()
    call_command(
        "database_roles", "create", "newsroom_owner", "newsroom_app", "--database",
        "newsroom", stdout=out,
    )  # fmt: skip
    assert out.getvalue().splitlines() == [
        'CREATE ROLE "newsroom_owner" LOGIN;',
        'CREATE ROLE "newsroom_app" LOGIN;',
        'ALTER DATABASE "newsroom" OWNER TO "newsroom_owner";',
    ]
    sql = privileges.create_roles_sql('o"wner', "app", password="it's", createdb=True)
    assert sql == [
        "CREATE ROLE \"o\"\"wner\" LOGIN PASSWORD 'it''s' CREATEDB",
        "CREATE ROLE \"app\" LOGIN PASSWORD 'it''s'",
    ]


@pytest.mark.django_db
def test_grants_need_postgresql_and_an_owner():
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="SQLite has none"):
            call_command("database_roles", "grant")
    elif "owner" not in settings.DATABASES:
        with pytest.raises(CommandError, match="set DATABASE_OWNER_URL"):
            call_command("database_roles", "grant")


@pytest.mark.postgres
@needs_owner
@pytest.mark.django_db(transaction=True)
def test_the_grants_are_printed_and_applied_by_the_owner():
    role = connection.ops.quote_name(settings.DATABASE_APPLICATION_ROLE)
    out = StringIO()
    call_command("database_roles", "grant", stdout=out)
    printed = out.getvalue().splitlines()
    assert f'GRANT SELECT, INSERT ON TABLE "stories_revision" TO {role};' in printed
    assert f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "stories_story" TO {role};' in printed
    assert f'GRANT SELECT ON TABLE "django_migrations" TO {role};' in printed

    applied = StringIO()
    call_command("database_roles", "grant", "--apply", stdout=applied)
    assert applied.getvalue().startswith(
        f"granted {settings.DATABASE_APPLICATION_ROLE} its data rights"
    )
    refused("DELETE FROM stories_revision", because="permission denied for table")


# -- settings -----------------------------------------------------------------------------


def test_an_owner_url_adds_the_owners_alias_without_a_statement_limit():
    configured = settings_in(
        environment(
            DATABASE_URL="postgres://newsroom_app@db.internal:5432/newsroom",
            DATABASE_OWNER_URL="postgres://newsroom_owner@db.internal:5432/newsroom",
        ),
        "DATABASES",
        "DATABASE_APPLICATION_ROLE",
    )
    owner = configured["DATABASES"]["owner"]
    assert owner["USER"] == "newsroom_owner"
    assert owner["TEST"]["MIRROR"] == "default"
    assert "-c statement_timeout=0" in owner["OPTIONS"]["options"]
    assert owner["ANSWER_TIMEOUT"] is None  # a migration may build an index for an hour
    assert configured["DATABASE_APPLICATION_ROLE"] == "newsroom_app"


def test_without_an_owner_url_one_role_does_everything():
    configured = settings_in(
        environment(DATABASE_URL="postgres://newsroom@db.internal:5432/newsroom"), "DATABASES"
    )
    assert "owner" not in configured["DATABASES"]
    assert privileges.owner_alias() in settings.DATABASES


@pytest.mark.postgres
@needs_owner
@pytest.mark.django_db(transaction=True)
def test_a_legal_removal_without_the_owners_credentials_is_refused_clearly(version, editor):
    """The application's role cannot lift the triggers, so a removal run without
    DATABASE_OWNER_URL stops, changes nothing, and says what to do."""
    editor.is_superuser = True
    editor.save()
    default = settings.DATABASES["default"]
    env = {**environment(DATABASE_URL=database_url(default)), "DATABASE_POOL": "0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "remove_version_content", version.story.slug, "1",
         "--as", editor.username, "--note", "Removed.", "--reason", "Order."],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "run it as the owner of the tables, with DATABASE_OWNER_URL set" in result.stderr
    assert "must be owner" in result.stderr
    assert Revision.objects.get(pk=version.pk).body == version.body
