"""What an attacker with the database owner's rights can do: lift the append-only
triggers for one transaction and rewrite rows with raw SQL (the tamper suite's
"privileged" half; without this the database refuses)."""

from contextlib import contextmanager

from django.db import connection, transaction

from stories import append_only


@contextmanager
def as_database_owner():
    """A cursor in a transaction where the append-only triggers are lifted."""
    with transaction.atomic(), append_only.lifted(), connection.cursor() as cursor:
        yield cursor


def sql(statement: str, *params):
    """Run one statement as the database owner would, triggers lifted."""
    with as_database_owner() as cursor:
        cursor.execute(statement, params)
