"""Shared set-up of the benchmarks: Django on a throwaway database, nothing else touched."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str, *, keep_redis: bool = False) -> None:
    """Point Django at ``database_url`` with the local-memory cache (or, with
    ``keep_redis``, the Redis of REDIS_URL, shared with servers the bench starts) and no
    replica, migrate."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    for name in ("DATABASE_REPLICA_URL",) if keep_redis else ("REDIS_URL", "DATABASE_REPLICA_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_ENV"] = "development"
    # Each throwaway database is a log of its own: so is its signer's record (the
    # checkout's, beside the development key, belongs to the developer's database).
    folder = tempfile.mkdtemp(prefix="newsroom-bench-")
    atexit.register(shutil.rmtree, folder, True)
    os.environ["NEWSROOM_LOG_SIGNER_STATE"] = str(Path(folder) / "log-signer.json")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    # WhiteNoise warns that static files were never collected; irrelevant here.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    logging.disable(logging.INFO)  # the publishing service logs every publish
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@contextmanager
def throwaway_database(postgres: str | None):
    """The URL of a database that exists for the block only: a SQLite file in a temporary
    directory, or, given a server URL (``postgres://USER@HOST:5432/``), a database created
    on it and dropped afterwards."""
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        return
    import psycopg

    name = f"newsroom_bench_{uuid.uuid4().hex[:8]}"
    server = urlsplit(postgres)
    admin_url = urlunsplit(server._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(server._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def approved(story, **kwargs):
    """``story`` with its current edit approved by a second editor through the review
    service, as the two-person rule asks before a publish (``tests.factories.approved``;
    imported late: Django is set up by then)."""
    from tests.factories import approved as approve

    return approve(story, **kwargs)
