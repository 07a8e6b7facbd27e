"""Append-only tables: database triggers refuse UPDATE and DELETE (and, on PostgreSQL,
TRUNCATE) on the published versions, the audit trail and the transparency log.

The models already refuse to change a published version; these triggers make the
database itself refuse, whoever asks (a shell, raw SQL, another program). Rows are only
ever inserted. What must change stays elsewhere: a story's pointer to its latest
version lives on the story, which is not append-only.

Installed by the migration ``append_only_triggers`` for the tables of that time, and
again after every ``migrate`` once it is applied (``reinstall_after_migrate``, connected in
``StoriesConfig.ready``): SQLite rebuilds a table to alter it, which drops its triggers,
and a new simple-history table must be guarded from its first row. A later migration
that adds a history table may install them itself too (``install`` is idempotent).

``lifted`` removes them for the rest of one transaction and puts them back before it
commits. Only the owner of the tables may (stories/record/privileges.py). It is the
deliberate, logged path of ``manage.py remove_version_content`` (a legal removal,
docs/operations.md), of the migrations that chain the audit trail
(``audit_chain.chain_table``), and what the test suite's table flushes run inside;
nothing else uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

PREFIX = "newsroom_append_only"
#: The models whose tables are append-only, beside every simple-history table.
APPEND_ONLY_MODELS = (
    ("stories", "Revision"),
    ("stories", "ContentRemoval"),
    ("stories", "Redaction"),
    ("stories", "LogLeaf"),
    ("stories", "LogNode"),
    ("stories", "TreeHead"),
    ("stories", "Cosignature"),
    ("stories", "AccountEvent"),
    ("stories", "Picture"),
)
MESSAGE = (
    "is append-only: published versions, the audit trail and the transparency log are never "
    "changed or deleted (a legal removal: manage.py remove_version_content)"
)


def append_only_tables() -> list[str]:
    """Every table that must be append-only: ``APPEND_ONLY_MODELS`` and the history table
    of every model simple-history tracks."""
    from simple_history.models import registered_models
    from simple_history.utils import get_history_model_for_model

    tables = {apps.get_model(*name)._meta.db_table for name in APPEND_ONLY_MODELS}
    tables |= {
        get_history_model_for_model(model)._meta.db_table for model in registered_models.values()
    }
    return sorted(tables)


#: The name (after its number, which merges may change) of the migration after which the
#: tables are append-only.
TRIGGERS_MIGRATION = "append_only_triggers"


def reinstall_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """``post_migrate`` receiver: once the triggers' migration is applied, every
    append-only table that exists has them (whatever a later migration rebuilt)."""
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if not any(app == "stories" and name.endswith(TRIGGERS_MIGRATION) for app, name in applied):
        return
    existing = set(connection.introspection.table_names())
    install(connection, [table for table in append_only_tables() if table in existing])


def guarded_tables(connection) -> set[str]:
    """The tables that have the triggers now."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s",
                [f"{PREFIX}_rows"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{PREFIX}_update_%"],
            )
        return {row[0] for row in cursor.fetchall()}


def install(connection, tables: Iterable[str]) -> None:
    """Make ``tables`` append-only (idempotent)."""
    with connection.cursor() as cursor:
        for statement in _install_sql(connection, tables):
            cursor.execute(statement)


def remove(connection, tables: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            for statement in _remove_sql(connection, table):
                cursor.execute(statement)


@contextmanager
def lifted(tables: Iterable[str] | None = None, using: str = DEFAULT_DB_ALIAS):
    """Remove the triggers from ``tables`` (default: every guarded table) inside the
    current transaction; they are back when the block ends, so nothing that commits ever
    sees the tables unguarded. If the block raises, let the transaction roll back: that
    restores them too (PostgreSQL and SQLite roll back DDL)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("append-only triggers are lifted inside one transaction only")
    guarded = guarded_tables(connection)
    tables = guarded if tables is None else guarded & set(tables)
    remove(connection, tables)
    yield sorted(tables)
    install(connection, tables)


def _install_sql(connection, tables: Iterable[str]) -> list[str]:
    quote = connection.ops.quote_name
    statements = []
    if connection.vendor == "postgresql":
        statements.append(
            f"CREATE OR REPLACE FUNCTION {PREFIX}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '% of % refused: % {MESSAGE}', TG_OP, TG_TABLE_NAME, "
            "TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END $$"
        )
        for table in tables:
            statements += _remove_sql(connection, table)
            statements += [
                f"CREATE TRIGGER {PREFIX}_rows BEFORE UPDATE OR DELETE ON {quote(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}_refuse()",
                f"CREATE TRIGGER {PREFIX}_truncate BEFORE TRUNCATE ON {quote(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}_refuse()",
            ]
        return statements
    _require_sqlite(connection)
    for table in tables:
        statements += _remove_sql(connection, table)
        for operation in ("UPDATE", "DELETE"):
            message = f"{operation} of {table} refused: {table} {MESSAGE}".replace("'", "''")
            statements.append(
                f"CREATE TRIGGER {quote(f'{PREFIX}_{operation.lower()}_{table}')} BEFORE "
                f"{operation} ON {quote(table)} BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    return statements


def _remove_sql(connection, table: str) -> list[str]:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {PREFIX}_{kind} ON {quote(table)}"
            for kind in ("rows", "truncate")
        ]
    _require_sqlite(connection)
    return [
        f"DROP TRIGGER IF EXISTS {quote(f'{PREFIX}_{operation}_{table}')}"
        for operation in ("update", "delete")
    ]


def _require_sqlite(connection) -> None:
    if connection.vendor != "sqlite":
        raise NotImplementedError(
            f"append-only triggers exist for PostgreSQL and SQLite, not {connection.vendor}"
        )
