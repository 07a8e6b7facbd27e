"""Logging filters.

``OncePerInterval`` exists because django-redis logs every error it ignores (with
``DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS``), which during a Redis outage is every cache
call of every request: thousands of identical tracebacks a minute. The filter lets one
record through per interval and per process, rewritten as a one-line warning that says
what it means; Python's logging has no such filter built in.
"""

from __future__ import annotations

import logging
import threading
import time


class OncePerInterval(logging.Filter):
    """Pass at most one record every ``seconds`` (per process), as a plain warning."""

    def __init__(self, seconds: float = 60, name: str = ""):
        super().__init__(name)
        self.seconds = float(seconds)
        self._next_at = 0.0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next_at:
                return False
            self._next_at = now + self.seconds
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None) or error
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = (
            "The cache is unavailable (%s); pages are served without it and sessions "
            "from the database. This warning repeats at most every %d s."
        )
        record.args = (cause or "no answer", int(self.seconds))
        record.exc_info = record.exc_text = None
        return True
