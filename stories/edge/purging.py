"""Soft purges on every edge: background work, after the change has committed, retried
until each edge has it.

Each edge in ``EDGE_PURGE_URLS`` gets its own task (django-tasks; the database backend
and ``make worker`` in production), so an edge that is down delays only its own purge.
The task sends ``PURGE`` with the keys in ``xkey-softpurge`` (deploy/varnish/newsroom.vcl
answers 200 and expires every object carrying any of them, keeping it as a stale copy
for when the origin fails). A purge that fails is raised, so the worker records it, and
enqueued again later (``RETRY_DELAYS``, then every five minutes) until the edge answers,
or until ``EDGE_MAX_AGE`` has passed since the change, when the edge has dropped
anything older by itself. The change itself never waits for an edge or depends on one.

Purges are idempotent and commutative (each one only expires), so retries that land
late or out of order cannot bring back a stale page.

Written here rather than taken from a library: django-tasks is the queue; what is left
is one HTTP request, which the standard library makes (there is no Django package for
Varnish's xkey purges worth a dependency).
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from . import concerned, keys

logger = logging.getLogger(__name__)

#: The request header that names the keys to soft-purge (the VCL reads it).
PURGE_HEADER = "xkey-softpurge"
#: Seconds before each retry of a failed purge; the last one repeats.
RETRY_DELAYS = (1, 2, 5, 10, 30, 60, 300)


class PurgeFailed(Exception):
    """An edge did not confirm a purge."""


def edge_urls() -> list[str]:
    return list(settings.EDGE_PURGE_URLS)


def purge(keys: Iterable[str]) -> int:
    """Enqueue a soft purge of ``keys`` on every edge; returns how many were enqueued.

    Call it after the change has committed (the receivers below are called then). A
    queue that cannot be reached is logged, never raised: the change has happened.
    """
    names = sorted(set(keys))
    if not names:
        return 0
    enqueued = 0
    for url in edge_urls():
        try:
            purge_edge.enqueue(url, names, time.time())
        except Exception:
            logger.exception("Could not enqueue the purge of %s on %s", " ".join(names), url)
        else:
            enqueued += 1
    return enqueued


@task()
def purge_edge(edge_url: str, keys: list[str], since: float, attempt: int = 1) -> str:
    """Soft-purge ``keys`` on the edge at ``edge_url``; retried later when it fails."""
    try:
        gone = send_purge(edge_url, keys)
    except (OSError, PurgeFailed) as error:
        _retry_later(edge_url, keys, since, attempt, error)
        raise
    return f"{edge_url}: {gone}"


def send_purge(edge_url: str, keys: list[str]) -> str:
    """One ``PURGE`` request; the edge's answer (``Purged N objects``) or ``PurgeFailed``."""
    parts = urlsplit(edge_url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=settings.EDGE_PURGE_TIMEOUT)
    try:
        connection.request("PURGE", parts.path or "/", headers={PURGE_HEADER: " ".join(keys)})
        response = connection.getresponse()
        answer = response.read(2048).decode("utf-8", "replace")
    finally:
        connection.close()
    if response.status != 200:
        raise PurgeFailed(f"{edge_url} answered {response.status} {response.reason}")
    return response.reason or answer.strip()[:200]


def _retry_later(edge_url: str, keys: list[str], since: float, attempt: int, error) -> None:
    backend = purge_edge.get_backend()
    expired = time.time() - since > settings.EDGE_MAX_AGE
    if expired or not backend.supports_defer:
        logger.error(
            "Giving up the purge of %s on %s after %s attempts: %s",
            " ".join(keys),
            edge_url,
            attempt,
            error,
        )
        return
    delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    purge_edge.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
        edge_url, keys, since, attempt + 1
    )
    logger.warning("Purge on %s failed (%s); retrying in %s s", edge_url, error, delay)


# -- receivers (connected in ``stories.reader.apps.ReaderConfig.ready``) --------------------


def on_revision_published(sender, story, revision, **kwargs):
    _purge_concerned(lambda: concerned.published(story, revision))


def on_content_removed(sender, story, numbers, **kwargs):
    _purge_concerned(lambda: concerned.removed(story))


def on_public_profile_changed(sender, instance, fields, **kwargs):
    _purge_concerned(lambda: concerned.profile_changed(instance))


def _purge_concerned(concerned_keys) -> None:
    """Purge what a change concerns; if that cannot be worked out (the database failed
    right after the commit), everything: a stale correction is worse than a cold edge."""
    if not edge_urls():
        return
    try:
        names = concerned_keys()
    except Exception:
        logger.exception("Could not work out what the change concerns: purging every page")
        names = {keys.SITE}
    purge(names)
