"""gunicorn settings for ``make serve``: ``gunicorn newsroom.wsgi -c newsroom/gunicorn.conf.py``.

Everything comes from the environment (docs/settings.md, docs/operations.md). Logs, gunicorn's own and
the access log, go to stdout as JSON lines like the application's.
"""

import multiprocessing
import os

from newsroom.log_format import JSON_FORMATTER


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
# Sync workers by default: a request holds one worker (and one pooled database connection)
# for its duration. GUNICORN_THREADS > 1 switches to threaded workers; keep the database
# pool (DATABASE_POOL_MAX_SIZE) at least that large.
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so slow leaks cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The proxies allowed to set X-Forwarded-* headers (the load balancer's address).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Not preloaded: each worker opens its own database pool after the fork.
preload_app = False

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": JSON_FORMATTER},
    # gunicorn merges this over its own defaults key by key: the names are its own.
    "handlers": {
        name: {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
        for name in ("console", "error_console")
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
            "qualname": "gunicorn.error",
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["console"],
            "propagate": False,
            "qualname": "gunicorn.access",
        },
    },
}


def worker_exit(server, worker):
    """Close the worker's database pools so PostgreSQL sees clean disconnects."""
    try:
        from django.db import connections

        for connection in connections.all():
            if connection.vendor == "postgresql":
                connection.close_pool()
    except Exception:  # a worker that never loaded Django has nothing to close
        server.log.debug("no database pools to close", exc_info=True)
