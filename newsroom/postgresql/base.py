"""Django's PostgreSQL backend, with every wait for the server bounded by the client.

``statement_timeout`` is the server's: it cancels a statement that runs too long, and
says so. A server that stops answering (frozen, cut off by the network while its host
still acknowledges packets, a proxy that holds the bytes) says nothing, and psycopg would
wait for it until gunicorn killed the worker. So each connection of an alias waits at
most ``ANSWER_TIMEOUT`` seconds (the alias's statement timeout and a margin, set by
newsroom/settings.py) for any answer: then it closes, and the query fails with an
``OperationalError``, which a reader page turns into a 503 with Retry-After
(newsroom/outages.py) and which rolls a publish's transaction back (the server never
receives its COMMIT). No answer timeout (the owner's connection, whose migrations may
build an index for an hour) waits as psycopg does.

psycopg 3 waits in ``Connection.wait``, which takes a timeout since 3.2; this backend only
supplies one. Why not a library: none bounds a sync psycopg wait; ``connect_timeout`` and
``tcp_user_timeout`` (libpq) bound the connection and unacknowledged data, not a silent
answer.
"""

from __future__ import annotations

import time
from functools import lru_cache

import psycopg
from django.db.backends.postgresql import base


class BoundedConnection(psycopg.Connection):
    """A psycopg connection that waits at most ``answer_timeout`` seconds for the server
    in any one operation (a query, a fetch, a commit); ``None`` waits for ever."""

    answer_timeout: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        bound = self.answer_timeout if timeout is None else timeout
        started = time.monotonic()
        try:
            return super().wait(gen, interval=interval, timeout=bound)
        except psycopg.OperationalError:
            if timeout is not None or bound is None or time.monotonic() - started < bound:
                raise  # an error the server sent, or a caller's own timeout
            # Half a conversation is not a connection anyone can use again.
            self.close()
            raise psycopg.OperationalError(
                f"the database did not answer within {bound:g} s: connection closed"
            ) from None


@lru_cache
def bounded(answer_timeout: float | None) -> type[BoundedConnection]:
    """The connection class of one answer timeout (one per alias's limits)."""
    return type("BoundedConnection", (BoundedConnection,), {"answer_timeout": answer_timeout})


class _Driver:
    """psycopg as Django's backend uses it, whose ``connect`` makes bounded connections
    (the path without a pool: ``DATABASE_POOL=0``)."""

    def __init__(self, connection_class: type[BoundedConnection]):
        self.connect = connection_class.connect

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict, *args, **kwargs):
        super().__init__(settings_dict, *args, **kwargs)
        connection_class = bounded(settings_dict.get("ANSWER_TIMEOUT"))
        self.Database = _Driver(connection_class)
        pool = settings_dict["OPTIONS"].get("pool")
        if isinstance(pool, dict):
            # The pool makes the connections itself (psycopg_pool's connection_class).
            pool["connection_class"] = connection_class

    # A connection closed for want of an answer, in a transaction: there is nothing to
    # roll back on it (the server rolls back what it had when the connection drops), and
    # Django would otherwise connect again just to set autocommit on the way out, making
    # the request wait for the pool's timeout too. The connection goes back to the pool,
    # which discards it, when the request ends (close_if_unusable_or_obsolete).

    def _rollback(self):
        if not self._closed_for_want_of_an_answer():
            super()._rollback()

    def _set_autocommit(self, autocommit):
        if not self._closed_for_want_of_an_answer():
            super()._set_autocommit(autocommit)

    def _closed_for_want_of_an_answer(self) -> bool:
        return self.connection is not None and self.connection.closed
