"""The headers that let an edge keep a public answer, and purge it by key.

``public`` is what every public answer of the reader site and the partner API sends:

- ``Cache-Control: public, max-age=<READER_MAX_AGE>, s-maxage=<EDGE_MAX_AGE>,
  stale-while-revalidate=..., stale-if-error=...``: browsers keep the page a minute
  (no purge reaches them), the edge for long (purges do), and a CDN may serve a stale
  copy while it revalidates or while the origin fails;
- ``xkey`` (Varnish's xkey module) and ``Surrogate-Key`` (CDNs that read that header):
  the answer's keys (``keys``), space-separated, always with ``keys.SITE``.

Keys go on full answers only (200, 410), never on a 304: an edge that revalidates merges
a 304's headers into its stored copy, and a partial list would replace the full one.
The edge (deploy/varnish/newsroom.vcl) stores nothing that carries no keys.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.cache import patch_cache_control

from . import keys as edge_keys

XKEY = "xkey"
SURROGATE_KEY = "Surrogate-Key"
#: Statuses whose answers are kept at the edge when public (a withdrawn story's 410 too).
TAGGED_STATUSES = (200, 410)
#: Seconds a CDN may serve a stale copy while it fetches a fresh one in the background.
STALE_WHILE_REVALIDATE = 60
#: Seconds a CDN may serve a stale copy while the origin fails (Varnish keeps a day of
#: grace in the VCL, whatever this says).
STALE_IF_ERROR = 24 * 60 * 60


def browser_max_age() -> int:
    """``max-age``: short, since no purge reaches a browser; the ETag makes a
    revalidation cheap."""
    return settings.READER_MAX_AGE


def edge_max_age() -> int:
    """``s-maxage``: long, since every change purges what it changed."""
    return settings.EDGE_MAX_AGE


def cache_control(response, *, edge_seconds: int | None = None):
    """Public Cache-Control (any status the answer may be kept with: 200, 304, 410)."""
    patch_cache_control(
        response,
        public=True,
        max_age=browser_max_age(),
        s_maxage=edge_max_age() if edge_seconds is None else edge_seconds,
        stale_while_revalidate=STALE_WHILE_REVALIDATE,
        stale_if_error=STALE_IF_ERROR,
    )
    return response


def tag(response, keys: Iterable[str]):
    """Add ``keys`` (and ``keys.SITE``) to a full answer's surrogate keys."""
    if response.status_code not in TAGGED_STATUSES:
        return response
    current = set(response.get(XKEY, "").split())
    names = " ".join(sorted(current | set(keys) | {edge_keys.SITE}))
    response[XKEY] = names
    response[SURROGATE_KEY] = names
    return response


def public(response, keys: Iterable[str] = (), *, edge_seconds: int | None = None):
    """Cache-Control and surrogate keys of a public answer (``tag`` skips a 304)."""
    return tag(cache_control(response, edge_seconds=edge_seconds), keys)


def response_keys(response) -> set[str]:
    """The keys an answer carries (for tests and the bench)."""
    return set(response.get(XKEY, "").split())
