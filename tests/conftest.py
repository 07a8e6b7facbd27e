import atexit
import gc
import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# The fixtures below import the factories (and Faker beneath them) themselves: the xdist
# controller loads this file too, runs no test, and starts its workers only once it has.

# CI (any runner that sets CI): the same examples on every run, no timing flakes, and a
# reproduction blob printed with each failure, so a red build can be replayed locally.
# This replaces Hypothesis's own "ci" profile, so it keeps that profile's tolerance of a
# slow runner (too_slow); locally the default profile stays.
#
# Property tests that set no max_examples of their own run 200 examples in CI: CI is
# derandomized, so these are the only examples it ever tries. Locally they run
# Hypothesis's default 100, different ones on every run (tests/test_plaintext.py).
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=200,
)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def fresh_reader_cache():
    """Every test starts with no cached reader pages (nor API answers).

    Each test's database starts afresh (and reuses ids) while the cache outlives it, so
    a page cached by one test must not answer in the next. Bumping the reader's cache
    epoch does that without ``cache.clear()``, which on Redis would flush the database.
    """
    from stories.api import caching as api_caching
    from stories.reader import caching

    # A worker that once found the cache failing (a test of that, or a slow moment)
    # must not skip it in the next test.
    caching.health.paused_until = 0.0
    caching.health.missed_invalidations = False
    caching.local_entries.clear()
    caching.invalidate_all()
    api_caching.invalidate_all()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Pictures stored by a test land in a temporary folder, never in the checkout's
    media/ (the content-addressed names make one folder per worker safe to share)."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def log_signer_state(settings, tmp_path):
    """Each test's log starts empty, and so does its signer's record (kept outside the
    database, which pytest-django empties between tests: a shared record would refuse
    every new log)."""
    settings.LOG_SIGNER_STATE = tmp_path / "log-signer.json"
    return settings.LOG_SIGNER_STATE


@pytest.fixture
def editor(db):
    from tests.factories import EDITOR_PERMISSIONS, UserFactory

    return UserFactory(
        username="editor", first_name="Elena", last_name="Editor", permissions=EDITOR_PERMISSIONS
    )


@pytest.fixture
def reporter(db):
    from tests.factories import REPORTER_PERMISSIONS, UserFactory

    return UserFactory(
        username="reporter",
        first_name="Rui",
        last_name="Reporter",
        permissions=REPORTER_PERMISSIONS,
    )


@pytest.fixture
def story(db):
    """A draft with one byline and one contributed-reporting credit."""
    from tests.factories import CreditFactory, StoryFactory

    story = StoryFactory()
    CreditFactory(story=story, contributor__name="Maria Ortiz", position=0)
    CreditFactory(story=story, contributor__name="Dev Patel", role="contributed", position=1)
    return story


@pytest.fixture
def client_for(client):
    """Log a user in on the test client (a fresh client per call for two-editor tests)."""
    from django.test import Client

    def login(user, *, fresh=False):
        target = Client() if fresh else client
        target.force_login(user)
        return target

    return login


def pytest_configure(config):
    """Keep a test run's cache entries apart from a developer's and from earlier runs.

    With ``REDIS_URL`` set, tests share a real Redis server: a per-run key prefix means no
    test reads a page cached by another run, and ``pytest_unconfigure`` deletes exactly
    these keys afterwards (never ``FLUSHDB``).
    """
    import uuid

    from django.conf import settings

    # Hashing passwords the production way (PBKDF2, deliberately slow) would be most of
    # the suite's time: every factory user gets one. Tests check no hash's strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every test client is 127.0.0.1 and the cache outlives each test: counts would add
    # up across tests. The rate-limit and login-throttle tests turn them on, with an
    # address of their own.
    settings.RATELIMIT_ENABLE = False
    settings.AXES_ENABLED = False
    _flush_inside_lifted_triggers()
    _every_alias_in_every_test()

    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("RedisCache"):  # Django's or django-redis's
        cache["KEY_PREFIX"] = (
            f"{cache.get('KEY_PREFIX') or 'newsroom'}-test-{uuid.uuid4().hex[:12]}"
        )
        # Production's tenth of a second is for a healthy Redis next door; a test run
        # keeps two busy cores, and a slow answer must not count as an outage there.
        options = cache.setdefault("OPTIONS", {})
        options["SOCKET_TIMEOUT"] = options["SOCKET_CONNECT_TIMEOUT"] = 2.0


def pytest_unconfigure(config):
    from django.conf import settings

    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("RedisCache") and "-test-" in cache.get("KEY_PREFIX", ""):
        import redis

        client = redis.Redis.from_url(cache["LOCATION"])
        keys = list(client.scan_iter(match=f"{cache['KEY_PREFIX']}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])

    # Python's last garbage collections at exit walk every object the run made: about
    # half a second per process, and an xdist run waits for its workers' exits. Nothing
    # they would finalize matters by then (databases closed, reports written), so the
    # objects are frozen, out of their reach, as the interpreter starts to exit.
    atexit.register(gc.freeze)


def pytest_collection_finish(session):
    """What exists once the tests are collected (Django, the app, the test modules) lives
    until the run ends: frozen, it is no longer walked by every full garbage collection
    during the run, which halves the time those take."""
    gc.freeze()


def pytest_sessionstart(session):
    """``NEWSROOM_REQUIRE_POSTGRES=1`` (CI's PostgreSQL run): refuse to run on anything else,
    so a lost ``DATABASE_URL`` fails loudly instead of quietly testing SQLite twice; and
    ``NEWSROOM_REQUIRE_REPLICA=1`` likewise for the replica tests."""
    import os

    from django.conf import settings
    from django.db import connection

    if os.environ.get("NEWSROOM_REQUIRE_POSTGRES") == "1" and connection.vendor != "postgresql":
        raise pytest.UsageError(
            "NEWSROOM_REQUIRE_POSTGRES=1 but the default database is "
            f"{connection.vendor}: set DATABASE_URL=postgres://USER@HOST:5432/NAME"
        )
    if os.environ.get("NEWSROOM_REQUIRE_REPLICA") == "1" and "replica" not in settings.DATABASES:
        raise pytest.UsageError("NEWSROOM_REQUIRE_REPLICA=1 but DATABASE_REPLICA_URL is not set")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` are skipped, visibly, on any other database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (set DATABASE_URL=postgres://...); this run uses {connection.vendor}"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With an owner role (``DATABASE_OWNER_URL``), the test database is created, migrated
    and dropped by the owner, as production's is migrated, and the tests run as the
    application's role (``django_db_setup`` below switches back): CI proves that the
    site works with data rights only, and that they do not reach the record's tables."""
    from django.conf import settings

    if "owner" in settings.DATABASES:
        _log_in_as(settings.DATABASES["owner"])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test databases, then every alias that shares the default's
    database (the owner's, a replica's) pointed at the test database with its own
    credentials and options; every connection pool is closed before the databases are
    dropped (a pool, the replica's mirror say, would keep the test database busy)."""
    from django.conf import settings
    from django.db import connections

    databases = settings.DATABASES
    if "owner" in databases:
        _close(connections["default"])
        databases["default"].update(_APPLICATION_CREDENTIALS)
    for alias, config in databases.items():
        if config.get("TEST", {}).get("MIRROR") == "default":
            config["NAME"] = databases["default"]["NAME"]
            _close(connections[alias])
            connections[alias].settings_dict = config
    yield
    for connection in connections.all():
        _close(connection)
    if "owner" in databases:
        _log_in_as(databases["owner"])  # the owner drops the test database


#: The application's credentials, kept while the owner creates the test database.
_APPLICATION_CREDENTIALS: dict = {}


def _credentials(config: dict) -> dict:
    return {"USER": config.get("USER", ""), "PASSWORD": config.get("PASSWORD", "")}


def _log_in_as(owner: dict) -> None:
    from django.conf import settings

    default = settings.DATABASES["default"]
    _APPLICATION_CREDENTIALS.setdefault("USER", default.get("USER", ""))
    _APPLICATION_CREDENTIALS.setdefault("PASSWORD", default.get("PASSWORD", ""))
    default.update(_credentials(owner))


def _close(connection) -> None:
    connection.close()
    if connection.vendor == "postgresql":
        connection.close_pool()


def _flush_inside_lifted_triggers():
    """pytest-django's transactional tests (and ``live_server``) empty every table after
    each test with Django's ``flush`` (DELETE on SQLite, TRUNCATE on PostgreSQL), which
    the append-only triggers refuse. Each flush runs in one transaction that lifts them
    and puts them back (``append_only.lifted``), as a legal removal does: the triggers
    stay installed, the tests see them, and production code has no way around them.

    Emptying tables and lifting triggers are the owner's rights: with an owner role
    (``DATABASE_OWNER_URL``) the flush runs on its connection."""
    from django.core.management.commands import flush
    from django.db import DEFAULT_DB_ALIAS, transaction

    from stories.record import append_only, privileges

    original = flush.Command.handle
    if getattr(original, "lifts_triggers", False):
        return

    def handle(self, **options):
        database = options["database"]
        if database == DEFAULT_DB_ALIAS:
            database = options["database"] = privileges.owner_alias()
        with transaction.atomic(using=database), append_only.lifted(using=database):
            return original(self, **options)

    handle.lifts_triggers = True
    flush.Command.handle = handle


@pytest.fixture
def migrated_sqlite(tmp_path, transactional_db):
    """The path of a migrated SQLite database of a test's own, for a process it starts.

    When this run's test database is SQLite it already is what ``migrate`` makes
    (pytest-django built it with the same migrations, and the test has written nothing
    yet), so it is copied with SQLite's backup API rather than migrated again in another
    process (seconds of every such test); the copy needs no transaction open on it,
    hence transactional_db. On PostgreSQL, ``manage.py migrate`` builds the file.
    """
    import sqlite3
    import subprocess
    import sys
    from contextlib import closing

    from django.db import connections

    from tests.envsettings import BASE_DIR, environment

    path = tmp_path / "newsroom.sqlite3"
    connection = connections["default"]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with closing(sqlite3.connect(path)) as copy:
            connection.connection.backup(copy)
        return path
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env=environment(DATABASE_URL=f"sqlite:///{path}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    return path


def _every_alias_in_every_test():
    """Every alias is the test database itself, under another role (the owner's) or with
    other limits (a replica's mirror): any test may use any of them. They are mirrors, so
    no test opens a transaction on them or flushes them (Django's TestCase)."""
    from django.conf import settings
    from django.test import TransactionTestCase

    TransactionTestCase.databases = frozenset(settings.DATABASES)
