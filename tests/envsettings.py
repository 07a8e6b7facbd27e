"""newsroom/settings.py evaluated under a given environment, in the test's own process.

The settings module reads the environment once, when it is imported. A test that asks
what a configuration means evaluates the file afresh (``runpy``) with exactly the
environment under test, instead of starting a Python process (and Django) for it; the
environment is restored as soon as the file has run. Only a test that needs a real
process (``manage.py check --deploy``, pages served in production mode, gunicorn's
configuration) starts one.
"""

import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

from django.conf import global_settings

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = BASE_DIR / "newsroom" / "settings.py"

#: Variables the settings read: none of the developer's or CI's leak into a configuration
#: under test (nor into a subprocess started with it).
SETTINGS_VARIABLES = ("DJANGO_", "DATABASE_", "REDIS_", "CACHE_", "NEWSROOM_", "GUNICORN_")


def environment(**variables) -> dict:
    """This process's environment without any settings variable, plus ``variables``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(SETTINGS_VARIABLES) and key != "WEB_CONCURRENCY"
    }
    return {**env, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **variables}


def evaluate_settings(env: dict) -> dict:
    """The settings module's namespace when run with exactly ``env`` as the environment.

    Raises what the module raises (``ImproperlyConfigured`` for a half-configured
    production), as importing it in a new process would.
    """
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))


def settings_in(env: dict, *names: str) -> dict:
    """``names`` as ``django.conf.settings`` would give them under ``env``: the module's
    value, or Django's default for a name the module leaves unset (None if neither)."""
    namespace = evaluate_settings(env)
    return {
        name: namespace[name] if name in namespace else getattr(global_settings, name, None)
        for name in names
    }


# -- production, and processes started with it -------------------------------------------

SECRET_KEY = "k3y-" + "x7Qv9sLm2pRt8wZc4nHb6yFd1gJk5aUe0iOo3lPq8rSt7uVw2xYz"  # 56 characters
HOST = "news.example.com"
LOG_SIGNING_KEY = "5e" * 32
AUDIT_KEY = "a7" * 32


def production(**variables) -> dict:
    """The environment of a complete production configuration, plus ``variables``."""
    defaults = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "NEWSROOM_PUBLICATION_URL": f"https://{HOST}",
        "NEWSROOM_LOG_SIGNING_KEY": LOG_SIGNING_KEY,
        "NEWSROOM_AUDIT_KEY": AUDIT_KEY,
        # Named only: a test that signs gives its own (test_pages_in_production_mode).
        "NEWSROOM_LOG_SIGNER_STATE": str(Path(tempfile.gettempdir()) / "newsroom-unused.json"),
    }
    return environment(**{**defaults, **variables})


def run(args, env, timeout=120):
    """Run a command from the project's folder under ``env``, capturing its output."""
    return subprocess.run(
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


def manage(*args, env):
    """``manage.py args`` in a process of its own."""
    return run([sys.executable, "manage.py", *args], env)


def database_url(config: dict, name: str | None = None) -> str:
    """The URL of a database alias's settings, as its role logs in: to its own database,
    or to ``name`` on the same server."""
    from urllib.parse import quote

    credentials = quote(config.get("USER") or "postgres", safe="")
    if config.get("PASSWORD"):
        credentials += ":" + quote(config["PASSWORD"], safe="")
    host, port = config.get("HOST") or "127.0.0.1", config.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{name or config['NAME']}"
