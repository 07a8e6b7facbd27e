"""The scheduler the demo server runs: ``publishing.publish_due`` every few seconds, on a
thread of the web server's own process (``manage.py serve_demo``, which ``make run``
starts).

Production runs ``publish_scheduled`` from cron (or any scheduler) beside gunicorn; the
processes share Redis, so a publish by one makes every process's cached pages stale. The
demo has no Redis: each process caches pages in its own memory, so a scheduler in a
process of its own would publish on time while the server kept showing the pages it had
cached. On a thread of the server's process the publish invalidates the cache the
server reads, and the scheduler starts and stops with the server, as nothing else can
keep it running when the server is gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.dateformat import format as format_time

from stories import addresses, audit, publishing

logger = logging.getLogger(__name__)

#: How often the demo publishes what is due, in seconds (``serve_demo --publish-every``).
DEMO_INTERVAL = 10
#: Times in the scheduler's lines, in the newsroom's zone: "3:41:05 a.m. EST".
TIME_FORMAT = "g:i:s a T"


def describe(run: publishing.ScheduledRun) -> list[str]:
    """One line for each story a run published or held back (none when nothing was due)."""
    lines = [
        f"Published “{revision.headline}” at {_time(revision.published_at)} "
        f"(due at {_time(run.due_at[revision.pk])})"
        for revision in run.published
    ]
    lines += [f"Not published “{story.headline}”: {message}" for story, message in run.failed]
    lines += [
        f"Not published “{story.headline}”: changed after it was scheduled; an editor must "
        "review it and schedule it again"
        for story in run.changed
    ]
    return lines


def _time(value) -> str:
    return format_time(timezone.localtime(value), TIME_FORMAT)


class Scheduler(threading.Thread):
    """Publishes every story that is due, every ``every`` seconds, until stopped.

    ``say`` receives a line for each story published or held back. A run that meets a
    database error (SQLite busy, PostgreSQL restarting) is logged and the next run
    tries again: nothing is lost, since a due story stays scheduled until published.
    """

    def __init__(
        self,
        *,
        every: float = DEMO_INTERVAL,
        say: Callable[[str], None] = print,
        site: str | None = None,
    ):
        super().__init__(name="newsroom-scheduler", daemon=True)
        self.every = every
        self.say = say
        #: The address the server serves on: the links in what a publish sends (emails,
        #: webhooks) point there, as a request's would, not to a port nobody serves.
        self.site = site
        self.stopped = threading.Event()

    def run(self) -> None:
        if self.site is None:
            self._run()
        else:
            with addresses.serving(self.site):
                self._run()

    def _run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            try:
                self.run_once()
            finally:
                connection.close()  # this thread's own, never left open between runs
            self.stopped.wait(self.every)

    def run_once(self) -> publishing.ScheduledRun | None:
        try:
            user = audit.system_user()
            with audit.acting_as(user):
                run = publishing.publish_due(user=user)
        except DatabaseError:
            logger.exception("The scheduler could not read or publish the due stories")
            return None
        for line in describe(run):
            self.say(line)
        return run

    def stop(self) -> None:
        self.stopped.set()
