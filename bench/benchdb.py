"""Shared set-up of the benchmarks: Django on a throwaway database, nothing else touched."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str) -> None:
    """Point Django at ``database_url`` with the local-memory cache and no replica, migrate."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    for name in ("REDIS_URL", "DATABASE_REPLICA_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_ENV"] = "development"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    # WhiteNoise warns that static files were never collected; irrelevant here.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    logging.disable(logging.INFO)  # the publishing service logs every publish
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
