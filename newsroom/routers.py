"""Which database connection a query goes to: the owner's for migrations and legal
removals, the reader's (short limits) for reader pages, a read replica's for reader pages
when ``DATABASE_REPLICA_URL`` is set.

``OwnerRouter`` (always installed, first) sends every query to the owner's connection
inside ``stories.record.privileges.as_owner`` and during a migrate on it; elsewhere it
has no opinion. ``ReaderRouter`` (PostgreSQL) sends the reads of a reader page (a request
``PinToPrimaryMiddleware`` does not pin: anonymous, safe, not the admin) to the
``reader`` alias: the same database through connections with the reader's short
timeouts (newsroom/settings.py), so a page never waits on the database longer than a
reader would. The rest of this module is about replicas.

Reader pages read the published stories from the ``replica`` alias; everything else uses
the primary (``default``):

- every write, and every read made inside a transaction on the primary, so publishing
  (``transaction.atomic`` around the locked story row) reads what it is about to write;
- reads through an object that came from the primary (its relations, ``refresh_from_db``),
  so code that has just saved a story goes on seeing what it saved;
- accounts, sessions, permissions, the admin log and the audit trail (only the editorial
  models the reader site shows are ever read from the replica);
- whole requests pinned by ``PinToPrimaryMiddleware``: the admin, any request that may
  write (POST and friends), and requests from logged-in staff (they carry a session
  cookie; readers have none), so an editor sees a publish at once on the reader pages.

Replication lag: a reader may see a story a moment after it was published, or a page
may show the previous version briefly after an update. Anonymous readers accept that; the
CDN in front of the site delays them as much anyway.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

from newsroom.site_paths import is_admin
from stories.record import privileges

PRIMARY = "default"
REPLICA = "replica"
READER = "reader"
OWNER = privileges.OWNER

#: Models whose reads may go to the replica: what the reader site shows.
REPLICA_READABLE = frozenset(
    {"stories.story", "stories.revision", "stories.section", "stories.contributor"}
)

_pinned: ContextVar[bool] = ContextVar("newsroom_pinned_to_primary", default=False)
_reading: ContextVar[bool] = ContextVar("newsroom_reader_request", default=False)


@contextmanager
def use_primary():
    """Send every query made inside the block to the primary (read-your-writes)."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def pinned_to_primary() -> bool:
    return _pinned.get()


@contextmanager
def for_a_reader():
    """Reads made inside the block are a reader page's (``ReaderRouter``)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _reads_stay_on_the_primary(hints) -> bool:
    """Code that is writing, or has just written, reads what it wrote: inside a transaction
    on the primary, or through an object that came from it."""
    instance = hints.get("instance")
    return (
        pinned_to_primary()
        or connections[PRIMARY].in_atomic_block
        or (instance is not None and instance._state.db == PRIMARY)
    )


class OwnerRouter:
    """The owner's connection for everything inside ``privileges.as_owner`` (a legal
    removal, a migrate on the owner's alias); and only the primary and the owner's
    connection (the same database) are ever migrated."""

    def db_for_read(self, model, **hints):
        return privileges.owner_alias() if privileges.acting_as_owner() else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias is the same data, whoever reads it: objects from any may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db in (PRIMARY, OWNER)


class ReaderRouter:
    """A reader page's reads on the reader's connection; a replica, when there is one,
    takes the stories' (``PrimaryReplicaRouter``, after this one)."""

    def db_for_read(self, model, **hints):
        if not _reading.get() or _reads_stay_on_the_primary(hints):
            return None
        if REPLICA in settings.DATABASES and model._meta.label_lower in REPLICA_READABLE:
            return None
        return READER

    def db_for_write(self, model, **hints):
        instance = hints.get("instance")
        return PRIMARY if instance is not None and instance._state.db == READER else None


class PrimaryReplicaRouter:
    """Reader reads to the replica; writes, transactions and pinned requests to the primary."""

    def db_for_read(self, model, **hints):
        # An object read from or saved to the primary (one just published, say) reads its
        # related rows and refreshes from there too.
        if model._meta.label_lower not in REPLICA_READABLE or _reads_stay_on_the_primary(hints):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: objects read from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Only the primary is migrated; replication carries the schema to replicas.
        return db == PRIMARY


class PinToPrimaryMiddleware:
    """Pin the admin, unsafe methods and logged-in staff's requests to the primary; the
    rest are reader pages (``for_a_reader``).

    Checks the session cookie's presence, not the session itself, so an anonymous reader's
    page gains no ``Vary: Cookie`` and stays cacheable by the CDN.
    """

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.needs_primary(request):
            with use_primary():
                return self.get_response(request)
        with for_a_reader():
            return self.get_response(request)

    def needs_primary(self, request) -> bool:
        return (
            request.method not in self.SAFE_METHODS
            or is_admin(request)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        )
