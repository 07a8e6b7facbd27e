"""Caching of reader pages, invalidated by publishing.

Every reader page is cached under a key that includes a *generation*: a per-story one
for the story's own pages (story, history, versions, comparisons) and a site-wide one for
everything that lists stories (home, sections, contributors, corrections, feeds,
sitemaps). Publishing a revision (``stories.publishing.revision_published``) bumps both,
so the next request renders afresh, and old entries simply expire. Only successful
answers are kept, and only their body and content type: reader pages do not depend on
who asks, so one rendering serves everyone.

Django's own ``cache_page`` keys on the URL only and cannot be told that a publish made
its entries stale, hence this small layer over the cache framework.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

#: Bumped by ``invalidate_all``: every generation below is read under the current epoch.
EPOCH_KEY = "reader:generation:epoch"
SITE_GENERATION_KEY = "reader:generation:site"


def page_timeout() -> int:
    """Seconds a rendered page stays in the server-side cache (a publish makes it stale
    at once through the generations, so this only bounds memory use)."""
    return getattr(settings, "READER_CACHE_TIMEOUT", 60 * 60)


def reader_max_age() -> int:
    """``Cache-Control: max-age`` for browsers and the CDN in front of the site: short,
    since a CDN is not told about publishes; with the ETag it revalidates cheaply."""
    return getattr(settings, "READER_MAX_AGE", 60)


def story_generation_key(story_id: int) -> str:
    return f"reader:generation:story:{story_id}"


def _generations(*keys: str) -> str:
    """The current values of the epoch and ``keys``, joined (one cache round trip)."""
    keys = (EPOCH_KEY, *keys)
    values = cache.get_many(keys)
    for key in keys:
        if key not in values:
            value = uuid.uuid4().hex
            # add(), not set(): two workers starting at once agree on one generation.
            if not cache.add(key, value, timeout=None):
                value = cache.get(key) or value
            values[key] = value
    return ":".join(values[key] for key in keys)


def site_generation() -> str:
    return _generations(SITE_GENERATION_KEY)


def story_generation(story_id: int) -> str:
    return _generations(story_generation_key(story_id))


def cached_value(name: str, generation: str, compute):
    """``compute()``, kept in the cache under ``name`` until ``generation`` moves on."""
    key = f"reader:value:{name}:{generation}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, page_timeout())
    return value


def invalidate_story(story_id: int) -> None:
    """Make every cached page that shows this story, and every list, stale."""
    cache.set_many(
        {story_generation_key(story_id): uuid.uuid4().hex, SITE_GENERATION_KEY: uuid.uuid4().hex},
        timeout=None,
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
    invalidate_story(story.pk)


def on_content_removed(sender, story, numbers, **kwargs):
    """Receiver of ``removal.content_removed``: the story's pages must forget the text."""
    invalidate_story(story.pk)


def on_public_profile_changed(sender, instance, fields, **kwargs):
    """Receiver of ``editing.public_profile_changed``: a section's or contributor's page,
    its feeds and the lists naming it are keyed on the site generation. Story pages show
    names as published in their versions, so they stay as they are."""
    invalidate_lists()


def public_cache_headers(response):
    """Let browsers and a CDN keep a reader page for a short while."""
    patch_cache_control(response, public=True, max_age=reader_max_age())
    return response


def private_no_store(response):
    """For pages that must never be kept anywhere (previews)."""
    patch_cache_control(response, private=True, no_store=True, no_cache=True, max_age=0)
    patch_vary_headers(response, ["Cookie"])
    return response


def _etag(content: bytes) -> str:
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


#: Headers never stored with a cached page: they belong to one answer or one client.
_UNCACHED_HEADERS = {"set-cookie", "cache-control", "expires", "vary", "x-reader-cache"}


def cached_page(key_parts, conditional: bool = True):
    """Cache a reader view's successful answers under ``key_parts(request, **kwargs)``.

    ``key_parts`` returns the parts of the cache key (generations, path, page number),
    or ``None`` to skip the cache for this request. With ``conditional`` the answer gets
    an ETag of its content and a matching ``If-None-Match`` a 304; views that compute a
    cheaper ETag themselves (``condition``) turn it off.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            parts = key_parts(request, **kwargs)
            key = None
            if parts is not None:
                digest = hashlib.sha256(repr(parts).encode()).hexdigest()
                key = f"reader:page:{digest}"
                stored = cache.get(key)
                if stored is not None:
                    response = HttpResponse(stored["content"])
                    for name, value in stored["headers"]:
                        response[name] = value
                    response["X-Reader-Cache"] = "hit"
                    return _conditional(request, response) if conditional else response
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            if callable(getattr(response, "render", None)):
                response = response.render()
            if conditional and not response.has_header("ETag"):
                response["ETag"] = _etag(response.content)
            if key is not None:
                headers = [
                    (name, value)
                    for name, value in response.items()
                    if name.lower() not in _UNCACHED_HEADERS
                ]
                cache.set(key, {"content": response.content, "headers": headers}, page_timeout())
                response["X-Reader-Cache"] = "miss"
            return _conditional(request, response) if conditional else response

        return wrapper

    return decorator


def _conditional(request, response):
    return get_conditional_response(request, etag=response["ETag"], response=response)
