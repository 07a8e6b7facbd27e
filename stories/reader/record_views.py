"""The public record's JSON addresses (``record`` builds the data). Cached and sent with
the reader's Cache-Control like every reader page; open to every origin, so a verifier
running in a browser may read them too. What is not in the record answers 404 with a
JSON ``{"error": ...}`` that says why."""

from __future__ import annotations

from functools import wraps

from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from stories.edge import keys as edge_keys
from stories.record import signing

from . import caching, record
from .views import fixed_keys, page_number, public, story_keys, tagged


def json_view(key_parts, keys):
    """A JSON view of the record: cached under ``key_parts``, public with the surrogate
    keys ``keys`` (``views.tagged``), CORS-open."""

    def decorator(view):
        @wraps(view)
        def answer(request, *args, **kwargs):
            try:
                response = JsonResponse(view(request, *args, **kwargs))
            except (record.NotInRecord, Http404) as error:
                response = JsonResponse({"error": str(error)}, status=404)
            response["Access-Control-Allow-Origin"] = "*"
            return response

        return require_safe(public(caching.cached_page(key_parts)(tagged(keys)(answer))))

    return decorator


def _site_key(request, **kwargs):
    return caching.site_page(request.path, request.GET.get("start", ""))


def _story_key(request, slug, **kwargs):
    return caching.story_page(slug, request.path, page_number(request))


def _immutable_key(request, **kwargs):
    # A proof between two sizes never changes; keyed on the site's generation all the
    # same, so invalidate_reader_cache clears it like everything else.
    return caching.site_page(request.path)


@json_view(_site_key, fixed_keys(edge_keys.LOG))
def tree_head(request):
    return record.tree_head()


@json_view(_immutable_key, fixed_keys())  # never changes: purged with the whole site only
def consistency(request, first, second):
    return record.consistency(first, second)


@json_view(_site_key, fixed_keys(edge_keys.LOG))
def entries(request):
    raw = request.GET.get("start", "0")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise record.NotInRecord("start is the index of the first entry: a whole number from 0.")
    return record.entries(int(raw))


# A story's record holds its versions' proofs against the tree head of when it was
# rendered: they stay valid as the log grows, so only the story's own changes purge it.
@json_view(_story_key, story_keys)
def story_record(request, slug):
    return record.story_record(slug, page_number(request))


@require_safe
@public
def public_key(request):
    """The key readers' verifiers check every tree head against (64 hex characters)."""
    response = HttpResponse(f"{signing.public_key_hex()}\n", content_type="text/plain")
    response["Access-Control-Allow-Origin"] = "*"
    return response
