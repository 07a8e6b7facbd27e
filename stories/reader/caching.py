"""Caching of reader pages, invalidated by publishing; the cache accelerates, never gates.

Every cached page is stored under a key made of its address (path, page number, query)
together with the *generation* it was rendered under: a per-story one for the story's own
pages (story, history, versions, comparisons) and a site-wide one for everything that
lists stories (home, sections, contributors, corrections, feeds, sitemaps, search, the
section menu), both read under a cache-wide epoch. Publishing a revision
(``stories.publishing.revision_published``) moves the story's and the site's
generations, so an entry rendered before it no longer matches and the next request
renders afresh.

A hit costs one cache round trip and no database query: the generations and the entry
are read together (``get_many``) and the entry carries everything the answer needs (the
body, content type, ETag, Last-Modified). That is what keeps cached pages up when the
database is not: a request whose page is cached never touches it, and when a stale
entry is all there is and the database cannot be reached, the stale entry is served
(``X-Reader-Cache: stale``): the last good copy is better than an error on a news site.

When the cache itself fails (Redis down or hung; django-redis turns its errors into
misses), pages render from the database. A process that finds the cache unusable stops
asking it for ``OUTAGE_PAUSE`` seconds, so a hung Redis costs a request its socket
timeouts once a minute rather than on every call; and since publishes made meanwhile
could not invalidate anything, the first process to find the cache back bumps the epoch.

Django's own ``cache_page`` keys on the URL only and cannot be told that a publish made
its entries stale, hence this small layer over the cache framework.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, router
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_http_date_safe

from stories import addresses
from stories.models import Revision

logger = logging.getLogger(__name__)

#: Bumped by ``invalidate_all``: every generation below is read under the current epoch.
EPOCH_KEY = "reader:generation:epoch"
SITE_GENERATION_KEY = "reader:generation:site"
#: Seconds a process renders without the cache after finding it unusable.
OUTAGE_PAUSE = 60
#: Errors that mean the database cannot answer now (down, hung, out of connections).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def page_timeout() -> int:
    """Seconds a rendered page stays in the server-side cache (a publish makes it stale
    at once through the generations; until it expires it is also the copy served when
    the database is down). 0 turns the cache off: pages are rendered every time."""
    return getattr(settings, "READER_CACHE_TIMEOUT", 60 * 60)


def story_generation_key(slug: str) -> str:
    """Keyed by slug, which a request knows before any query (a published slug is fixed)."""
    return f"reader:generation:story:{slug}"


# -- whether the cache can be used -------------------------------------------------------


class _CacheHealth:
    """Per process: is the cache usable, and must the epoch move when it is back?"""

    def __init__(self):
        self._lock = threading.Lock()
        self.paused_until = 0.0
        self.missed_invalidations = False

    def usable(self) -> bool:
        return time.monotonic() >= self.paused_until

    def failed(self) -> None:
        with self._lock:
            self.paused_until = time.monotonic() + OUTAGE_PAUSE
            self.missed_invalidations = True

    def recovered(self) -> None:
        """The cache answered: if this process saw it fail, make every entry stale once."""
        if not self.missed_invalidations:
            return
        with self._lock:
            if not self.missed_invalidations:
                return
            self.missed_invalidations = False
        invalidate_all()
        logger.warning("The cache is back: every cached reader page will be rendered afresh.")


health = _CacheHealth()


def cache_usable() -> bool:
    return health.usable()


# -- generations -------------------------------------------------------------------------


def _new_generation(revision_id: int = 0) -> str:
    """A generation names the newest revision it knows of, then a random part."""
    return f"{revision_id}.{uuid.uuid4().hex}"


def _required_revision(generation: str) -> int:
    """The revision a page rendered under ``generation`` must already show."""
    head = generation.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _current(found: dict, keys: tuple[str, ...]) -> str | None:
    if all(key in found for key in keys):
        return "/".join(str(found[key]) for key in keys)
    return None


def _start(keys: tuple[str, ...], found: dict) -> str | None:
    """Create the generations missing from ``found`` (a cold or evicted cache); ``None``
    when the cache does not keep them, i.e. it is unavailable."""
    for key in keys:
        if key not in found:
            # add(), not set(): two workers starting at once agree on one generation.
            cache.add(key, uuid.uuid4().hex if key == EPOCH_KEY else _new_generation())
    current = _current(cache.get_many(keys), keys)
    if current is None:
        health.failed()
    return current


class _LocalEntries:
    """A small tier of entries in this process's memory, in front of a shared cache.

    With Redis, a hit fetches and unpickles the whole page from Redis; with an entry
    held here, it fetches the generations only (a few bytes) and serves the local copy
    when its generation is the current one. The shared generations stay the only
    truth, so a publish anywhere makes every process's copies stale at once. Least
    recently used entries go first; ``READER_LOCAL_CACHE_ENTRIES`` (0: off) bounds them.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, dict]] = OrderedDict()

    @staticmethod
    def size() -> int:
        return getattr(settings, "READER_LOCAL_CACHE_ENTRIES", 0)

    def get(self, key: str) -> dict | None:
        if not self.size():
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, entry = found
            if time.monotonic() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict, timeout: int) -> None:
        size = self.size()
        if not size or timeout <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + timeout, entry)
            self._entries.move_to_end(key)
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local_entries = _LocalEntries()


def _lookup(generation_keys: tuple[str, ...], entry_key: str):
    """``(entry or None, current generation or None)``: one round trip to the cache,
    which brings the entry too unless this process holds it (``local_entries``)."""
    keys = (EPOCH_KEY, *generation_keys)
    local = local_entries.get(entry_key)
    if local is not None:
        found = cache.get_many(keys)
        current = _current(found, keys)
        if current is not None and local["generation"] == current:
            health.recovered()
            return local, current
        # Stale here (or the cache is failing): as if it were not held, the stale copy
        # kept for when the database fails too.
    found = cache.get_many([*keys, entry_key])
    current = _current(found, keys)
    if current is not None:
        health.recovered()
    else:
        current = _start(keys, found)
    entry = found.get(entry_key)
    if entry is not None and entry["generation"] == current:
        local_entries.put(entry_key, entry, page_timeout())
    return entry if entry is not None else local, current


def _store(entry_key: str, entry: dict) -> None:
    cache.set(entry_key, entry, page_timeout())
    local_entries.put(entry_key, entry, page_timeout())


def reads_from_replica() -> bool:
    return router.db_for_read(Revision) != DEFAULT_DB_ALIAS


def _fresh_enough(generation: str) -> bool:
    """Whether the database pages are read from has the revision ``generation`` names.

    Always true without a read replica (the generation moves after the publish commits);
    with one that lags behind, a page rendered from it would keep the previous version
    under the new generation, so it is served but not kept.
    """
    if not reads_from_replica():
        return True
    required = max(_required_revision(part) for part in generation.split("/")[1:])
    newest = Revision.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (newest or 0) >= required


def cached_value(name: str, compute, *, generation_keys=(SITE_GENERATION_KEY,)):
    """``compute()``, kept in the cache under ``name`` until the generations move on."""
    if not cache_usable() or page_timeout() <= 0:
        return compute()
    key = f"reader:value:{name}"
    entry, generation = _lookup(tuple(generation_keys), key)
    if entry is not None and generation is not None and entry["generation"] == generation:
        return entry["value"]
    value = compute()
    if generation is not None and _fresh_enough(generation):
        _store(key, {"generation": generation, "value": value})
    return value


# -- invalidation ------------------------------------------------------------------------


def invalidate_story(slug: str, revision_id: int = 0) -> None:
    """Make every cached page that shows this story, and every list, stale."""
    values = {
        story_generation_key(slug): _new_generation(revision_id),
        SITE_GENERATION_KEY: _new_generation(revision_id),
    }
    cache.set_many(values, timeout=None)
    if cache.get_many(list(values)) != values:
        health.failed()
        logger.warning(
            "Could not invalidate the cached pages of %s: the cache is unavailable. Its "
            "pages will be rendered afresh once the cache is back; if they are not, run "
            "manage.py invalidate_reader_cache.",
            slug,
        )


def invalidate_lists() -> None:
    """Make every cached page that lists stories (and so sections and contributors) stale."""
    cache.set(SITE_GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def invalidate_all() -> None:
    """Make every cached reader page stale (a deploy that changes templates, tests).

    Unlike ``cache.clear()`` this touches no other keys, so it is safe on a shared Redis.
    """
    cache.set(EPOCH_KEY, uuid.uuid4().hex, timeout=None)


def on_revision_published(sender, story, revision, **kwargs):
    """Receiver of ``revision_published`` (connected in ``ReaderConfig.ready``)."""
    invalidate_story(story.slug, revision.pk)


def on_content_removed(sender, story, numbers, **kwargs):
    """Receiver of ``removal.content_removed``: the story's pages must forget the text."""
    invalidate_story(story.slug)


def on_public_profile_changed(sender, instance, fields, **kwargs):
    """Receiver of ``editing.public_profile_changed``: a section's or contributor's page,
    its feeds and the lists naming it are keyed on the site generation. Story pages show
    names as published in their versions, so they stay as they are."""
    invalidate_lists()


# -- headers -----------------------------------------------------------------------------


def private_no_store(response):
    """For pages that must never be kept anywhere (previews)."""
    patch_cache_control(response, private=True, no_store=True, no_cache=True, max_age=0)
    patch_vary_headers(response, ["Cookie"])
    return response


def _etag(content: bytes) -> str:
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


# -- cached pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class PageKey:
    """Where a page is cached: the generations it depends on and its address."""

    generation_keys: tuple[str, ...]
    parts: tuple

    @property
    def entry_key(self) -> str:
        # Pages carry absolute links: one rendering per site address (only the demo, which
        # takes the address from the request, ever has more than one).
        address = (addresses.site_root(), self.parts)
        return "reader:page:" + hashlib.sha256(repr(address).encode()).hexdigest()


def site_page(*parts) -> PageKey:
    """A page listing stories: stale after any publish."""
    return PageKey((SITE_GENERATION_KEY,), parts)


def story_page(slug: str, *parts) -> PageKey:
    """A page of one story: stale after a publish of that story."""
    return PageKey((story_generation_key(slug),), ("story", slug, *parts))


#: Headers kept with a cached page: what the answer needs, nothing about one client.
_STORED_HEADERS = {
    "content-type", "etag", "last-modified", "content-language", "x-robots-tag",
    "xkey", "surrogate-key",
}  # fmt: skip


def cached_page(page_key):
    """Cache a reader view's successful answers where ``page_key(request, **kwargs)``
    says (a ``PageKey``, or ``None`` to skip the cache), and answer conditional GETs.

    ``page_key`` must not touch the database: a hit runs no query at all. An answer
    without an ETag gets one of its content; one with Last-Modified (story pages, from
    ``condition``) keeps it, and both answer ``If-None-Match`` / ``If-Modified-Since``
    with 304, from the cache as from a fresh rendering.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            key = page_key(request, **kwargs)
            if key is None or not cache_usable() or page_timeout() <= 0:
                return _conditional(request, _with_etag(view(request, *args, **kwargs)))
            entry, generation = _lookup(key.generation_keys, key.entry_key)
            if entry is not None and entry["generation"] == generation:
                return _conditional(request, _from_entry(entry, "hit"))
            try:
                response = view(request, *args, **kwargs)
            except DATABASE_UNAVAILABLE:
                if entry is None:
                    raise
                logger.warning("Database unavailable: serving a stale copy of %s", request.path)
                return _conditional(request, _from_entry(entry, "stale"))
            response = _with_etag(response)
            if response.status_code == 200 and generation is not None:
                if _fresh_enough(generation):
                    headers = [
                        (name, value)
                        for name, value in response.items()
                        if name.lower() in _STORED_HEADERS
                    ]
                    stored = {"generation": generation, "content": response.content}
                    _store(key.entry_key, {**stored, "headers": headers})
                response["X-Reader-Cache"] = "miss"
            return _conditional(request, response)

        return wrapper

    return decorator


def _with_etag(response):
    if response.status_code != 200 or response.streaming:
        return response
    if callable(getattr(response, "render", None)):
        response = response.render()
    if not response.has_header("ETag"):
        response["ETag"] = _etag(response.content)
    return response


def _from_entry(entry: dict, how: str) -> HttpResponse:
    response = HttpResponse(entry["content"])
    for name, value in entry["headers"]:
        response[name] = value
    response["X-Reader-Cache"] = how
    return response


def _conditional(request, response):
    if response.status_code != 200 or not response.has_header("ETag"):
        return response
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return get_conditional_response(
        request, etag=response["ETag"], last_modified=last_modified, response=response
    )
