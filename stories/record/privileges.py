"""Least privilege on PostgreSQL: the owner role owns the tables, the application's role
has data rights only.

The append-only triggers (``append_only``) refuse to rewrite the record, but a role that
owns the tables can drop them. So two roles: the *owner* (``DATABASE_OWNER_URL``, the
``owner`` alias) creates and alters the tables, runs the migrations and the legal
removals; the *application's role* (``DATABASE_URL``) reads and writes rows, and nothing
more: SELECT, INSERT, UPDATE and DELETE on the working tables, SELECT and INSERT on the
append-only ones (and UPDATE of an audit row's user column, which deleting an account
asks for: the triggers refuse it), the sequences, and no TRUNCATE, TRIGGER or REFERENCES
anywhere. It cannot disable a trigger, alter a table or delete a version
(``tests/test_privileges.py``).

The grants follow the schema: after every ``migrate`` on the owner's connection
(``grant_after_migrate``), and printed or applied by ``manage.py database_roles``. The
roles themselves are created once by a superuser (``create_roles_sql``, printed by the
same command). Without ``DATABASE_OWNER_URL`` one role does everything, as before, and
``check --deploy --database default`` warns in production; SQLite has no roles at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from . import append_only

#: The alias of the owner's connection, when DATABASE_OWNER_URL configures one.
OWNER = "owner"
#: Rights of the application's role on a working table, and on an append-only one.
DATA_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
APPEND_RIGHTS = "SELECT, INSERT"
#: Django's record of applied migrations: the application reads it, only the owner writes.
MIGRATIONS_TABLE = "django_migrations"

_as_owner: ContextVar[bool] = ContextVar("newsroom_as_owner", default=False)


def owner_alias() -> str:
    """The connection that may alter the record: the owner's, else the only one."""
    return OWNER if OWNER in settings.DATABASES else DEFAULT_DB_ALIAS


def acting_as_owner() -> bool:
    """Whether the router sends every query to the owner's connection (``as_owner``)."""
    return _as_owner.get()


@contextmanager
def as_owner() -> Iterator[str]:
    """Every query made inside the block, reads and writes, goes to the owner's connection
    (``newsroom.routers.OwnerRouter``): a legal removal reads what it rewrites there.
    Yields the alias; open the block's transaction on it."""
    token = _as_owner.set(True)
    try:
        yield owner_alias()
    finally:
        _as_owner.reset(token)


# -- migrations run as the owner -----------------------------------------------------------


def owner_during_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``pre_migrate``: a migrate on the owner's connection runs every query there, data
    migrations that use the default manager included (``post_migrate`` ends it)."""
    if using == OWNER and OWNER in settings.DATABASES:
        _as_owner.set(True)


def grant_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate``: the application's role gets its rights on the tables as they are
    now (idempotent), then the migrate's routing to the owner ends."""
    if using == OWNER:
        _as_owner.set(False)
    connection = connections[using]
    role = settings.DATABASE_APPLICATION_ROLE
    if connection.vendor != "postgresql" or not role or role == current_role(connection):
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in grant_sql(connection, role):
            cursor.execute(statement)


# -- the SQL -------------------------------------------------------------------------------


def current_role(connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def grant_sql(connection, role: str) -> list[str]:
    """The owner's statements that give ``role`` its rights on every table that exists
    now, and on tables and sequences the owner creates later (default privileges)."""
    quote = connection.ops.quote_name
    to = quote(role)
    append_only_tables = set(append_only.append_only_tables())
    existing = set(connection.introspection.table_names())
    statements = [
        # Before PostgreSQL 15 everyone may create objects in the public schema.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {to}",
    ]
    nulled = _columns_nulled_on_delete()
    for table in sorted(existing):
        if table == MIGRATIONS_TABLE:
            rights = "SELECT"
        elif table in append_only_tables:
            rights = APPEND_RIGHTS
            if nulled.get(table):
                rights += f", UPDATE ({', '.join(map(quote, nulled[table]))})"
        else:
            rights = DATA_RIGHTS
        statements += [
            f"REVOKE ALL ON TABLE {quote(table)} FROM {to}",
            f"GRANT {rights} ON TABLE {quote(table)} TO {to}",
        ]
    statements += [
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {to}",
        # A table created by a later migration is usable at once, before this runs again
        # and narrows an append-only one to SELECT and INSERT.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {DATA_RIGHTS} ON TABLES TO {to}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {to}",
    ]
    return statements


def _columns_nulled_on_delete() -> dict[str, list[str]]:
    """Per table, the columns Django sets to NULL when the row they point to is deleted
    (an audit row's user). Deleting an account sends that UPDATE even when no row names
    it, so the application may issue it; the triggers still refuse it if one does
    (and ``audit.refuse_deleting_people_in_the_record`` says so first)."""
    columns: dict[str, list[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.remote_field.on_delete is models.SET_NULL:
                columns.setdefault(model._meta.db_table, []).append(field.column)
    return columns


def create_roles_sql(
    owner: str, application: str, database: str = "", *, password: str = "", createdb: bool = False
) -> list[str]:
    """A superuser's statements, run once: the two login roles, and the database (when
    named) handed to the owner. A database that one role used to own also needs its
    objects handed over: ``REASSIGN OWNED BY old TO owner`` (docs/operations.md)."""

    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    login = f"LOGIN PASSWORD {literal(password)}" if password else "LOGIN"
    statements = [
        f"CREATE ROLE {quote(owner)} {login}{' CREATEDB' if createdb else ''}",
        f"CREATE ROLE {quote(application)} {login}",
    ]
    if database:
        statements.append(f"ALTER DATABASE {quote(database)} OWNER TO {quote(owner)}")
    return statements


# -- the deploy check ----------------------------------------------------------------------


def can_alter_the_record(connection) -> bool:
    """Whether ``connection``'s role could drop the triggers of the versions' table: it
    owns it, may become its owner, or is a superuser."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper OR pg_has_role(current_user, c.relowner, 'MEMBER') "
            "FROM pg_class c, pg_roles r "
            "WHERE c.oid = to_regclass(%s) AND r.rolname = current_user",
            ["stories_revision"],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


@checks.register(checks.Tags.database, deploy=True)
def check_application_role(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy --database default``: warn when the application's own connection
    could rewrite the record (it owns the tables, is a superuser, or may become the owner)."""
    warnings = []
    if OWNER in settings.DATABASES and settings.PRODUCTION:
        warnings.append(
            checks.Warning(
                "DATABASE_OWNER_URL is set in the application's environment: whoever holds "
                "it can drop the append-only triggers.",
                hint="Give it only to migrations and legal removals (make serve starts "
                "gunicorn without it); docs/operations.md#database-roles.",
                id="newsroom.W002",
            )
        )
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return warnings
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql" and can_alter_the_record(connection):
        warnings.append(
            checks.Warning(
                f"The application connects to PostgreSQL as {current_role(connection)!r}, "
                "which owns the record's tables (or is a superuser): whoever holds its "
                "credentials can drop the append-only triggers and rewrite the record.",
                hint="Run the application as a role with data rights only and migrate as "
                "the owner (DATABASE_OWNER_URL; manage.py database_roles); "
                "docs/operations.md#database-roles.",
                id="newsroom.W001",
            )
        )
    return warnings
