"""The API's answers: cached until a publish makes them stale, with the reader's
headers, and named by what they concern.

**Invalidation with the reader's.** An answer is kept in the shared cache under the
generations it depends on: its story's (``story_generation_key``: its versions, its
ninjs items, its comparisons) and the site's (every list, sections, contributors,
corrections). ``ApiConfig.ready`` connects the same three signals the reader's cache
listens to (``publishing.revision_published``, ``removal.content_removed``,
``editing.public_profile_changed``) to ``on_*`` below, so one publish makes the reader's
pages and the API's answers stale in the same moment. A hit costs one cache round trip
and no query. The reader's cache module (``stories.reader.caching``) is a sibling room
the API may not import; this is the subset the API needs, in the same form (generations
naming the newest revision they know of, so an answer read from a lagging replica is
served but not kept). When the cache is down (django-redis turns errors into misses)
answers are built from the database.

**Headers.** ``Cache-Control`` as the reader's pages send it (``stories.edge.headers``:
a short ``max-age`` for browsers, a long ``s-maxage`` for edges, which every change
purges), an ETag of the body, ``Last-Modified`` where an answer has one time, and
conditional GETs (``If-None-Match``, ``If-Modified-Since``) answered 304.

**Subjects.** ``xkey`` and ``Surrogate-Key`` name what each answer shows that can
change, in the edge's one vocabulary (``stories.edge.keys``, through ``subjects``): the
story by its permanent id, a section's or contributor's own answer by its slug, and the
lists an answer is (``latest``, ``corrections``, ``sections``, ``contributors``). So the
purge a publish sends (``stories.edge.concerned``) reaches the reader's pages and the
API's answers that show the change alike, on every edge.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, router
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from stories import addresses
from stories.edge import headers as edge_headers
from stories.edge import keys as edge_keys
from stories.models import Revision

EPOCH_KEY = "api:generation:epoch"
SITE_GENERATION_KEY = "api:generation:site"
JSON = "application/json; charset=utf-8"
#: Headers kept with a cached answer.
STORED_HEADERS = ("Content-Type", "ETag", "Last-Modified", edge_headers.XKEY, "Surrogate-Key")


def story_generation_key(story_id) -> str:
    return f"api:generation:story:{story_id}"


def _new_generation(revision_id: int = 0) -> str:
    return f"{revision_id}.{uuid.uuid4().hex}"


# -- subjects ----------------------------------------------------------------------------


def subjects(
    *,
    stories: Iterable = (),
    sections: Iterable[str] = (),
    contributors: Iterable[str] = (),
    lists: Iterable[str] = (),
) -> list[str]:
    """The surrogate keys of an answer (``stories.edge.keys``): its stories by permanent
    id, the sections and contributors it is about, and the lists it is one of."""
    keys = {edge_keys.story(story) for story in stories}
    keys |= {edge_keys.section(slug) for slug in sections}
    keys |= {edge_keys.contributor(slug) for slug in contributors}
    return sorted(keys | set(lists))


# -- answers -------------------------------------------------------------------------------


def json_response(
    body: bytes, *, keys: list[str], last_modified: datetime | None = None
) -> HttpResponse:
    response = HttpResponse(body, content_type=JSON)
    response["ETag"] = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    return edge_headers.tag(response, keys)


def _entry_key(request) -> str:
    query = sorted(request.GET.lists())
    address = (addresses.site_root(), request.path, query)
    return "api:answer:" + hashlib.sha256(repr(address).encode()).hexdigest()


def _current(found: dict, keys: tuple[str, ...]) -> str | None:
    if all(key in found for key in keys):
        return "/".join(str(found[key]) for key in keys)
    return None


def _generation(keys: tuple[str, ...], found: dict) -> str | None:
    current = _current(found, keys)
    if current is not None:
        return current
    for key in keys:
        if key not in found:
            cache.add(key, _new_generation())
    return _current(cache.get_many(keys), keys)


def _fresh_enough(generation: str) -> bool:
    """Whether the database answers are read from holds the revision the generation
    names (always, without a read replica)."""
    if router.db_for_read(Revision) == DEFAULT_DB_ALIAS:
        return True
    heads = [part.split(".", 1)[0] for part in generation.split("/")[1:]]
    required = max((int(head) for head in heads if head.isdigit()), default=0)
    newest = Revision.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (newest or 0) >= required


def cached_answer(request, generation_keys: tuple[str, ...], build) -> HttpResponse:
    """The answer to ``request``: from the cache while its generations hold, else
    ``build()`` (an ``HttpResponse`` from ``json_response``), kept if it is a 200."""
    keys = (EPOCH_KEY, *generation_keys)
    entry_key = _entry_key(request)
    found = cache.get_many([*keys, entry_key])
    generation = _generation(keys, found)
    entry = found.get(entry_key)
    if entry is not None and generation is not None and entry["generation"] == generation:
        response = HttpResponse(entry["content"])
        for name, value in entry["headers"]:
            response[name] = value
        response["X-Api-Cache"] = "hit"
    else:
        response = build()
        if response.status_code == 200 and generation is not None and _fresh_enough(generation):
            headers = [
                (name, response[name]) for name in STORED_HEADERS if response.has_header(name)
            ]
            cache.set(
                entry_key,
                {"generation": generation, "content": response.content, "headers": headers},
                settings.READER_CACHE_TIMEOUT,
            )
        response["X-Api-Cache"] = "miss"
    return conditional(request, response)


def conditional(request, response: HttpResponse) -> HttpResponse:
    """Public headers on a 200, and a 304 when the client's copy is current."""
    if response.status_code != 200:
        return response
    edge_headers.cache_control(response)
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return get_conditional_response(
        request, etag=response["ETag"], last_modified=last_modified, response=response
    )


# -- invalidation ----------------------------------------------------------------------------


def invalidate_story(story_id, revision_id: int = 0) -> None:
    cache.set_many(
        {
            story_generation_key(story_id): _new_generation(revision_id),
            SITE_GENERATION_KEY: _new_generation(revision_id),
        },
        timeout=None,
    )


def invalidate_lists() -> None:
    cache.set(SITE_GENERATION_KEY, _new_generation(), timeout=None)


def invalidate_all() -> None:
    """Every cached answer stale (``manage.py invalidate_reader_cache``, tests)."""
    cache.set(EPOCH_KEY, uuid.uuid4().hex, timeout=None)


def on_revision_published(sender, story, revision, **kwargs):
    invalidate_story(story.public_id, revision.pk)


def on_content_removed(sender, story, numbers, **kwargs):
    invalidate_story(story.public_id)


def on_public_profile_changed(sender, instance, fields, **kwargs):
    invalidate_lists()
