"""The public record's addresses (``record`` builds the data). Sent with the reader's
Cache-Control like every reader page, and open to every origin, so a verifier running in
a browser may read them too. Those that change only with a publish are kept in the
server's cache until the next; the tree heads and the checkpoint, which change with
every re-signing and cosignature too, are read afresh (one indexed query). What is not
in the record answers 404 with a JSON ``{"error": ...}`` (plain text for the checkpoint)
that says why.

Witnesses send cosignatures to ``POST /log/cosignatures`` (``checkpoints.accept``):
plain text, at most a few kilobytes, rate-limited per client address, without a CSRF
token (no cookie authenticates it: the witness's signature does)."""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from stories.record import checkpoints, signing
from stories.record.outside_verifier import NOTE_MAX_BYTES

from . import caching, record
from .ratelimit import over_limit
from .views import page_number, public


def json_view(key_parts=None):
    """A JSON view of the record: public, CORS-open, and cached under ``key_parts``
    (``None``: read afresh each time)."""

    def decorator(view):
        @wraps(view)
        def answer(request, *args, **kwargs):
            try:
                response = JsonResponse(view(request, *args, **kwargs))
            except (record.NotInRecord, Http404) as error:
                response = JsonResponse({"error": str(error)}, status=404)
            response["Access-Control-Allow-Origin"] = "*"
            return response

        if key_parts is not None:
            answer = caching.cached_page(key_parts)(answer)
        return require_safe(public(answer))

    return decorator


def _milliseconds(request, name: str) -> int | None:
    """``?name=``: milliseconds since the epoch, or an ISO 8601 time with its offset."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise record.NotInRecord(
            f"{name} is a time: milliseconds since the epoch, or ISO 8601 with its offset "
            "(2025-03-04T12:00:00+00:00)."
        )
    return int(moment.timestamp() * 1000)


def _site_key(request, **kwargs):
    return caching.site_page(request.path, request.GET.get("start", ""))


def _story_key(request, slug, **kwargs):
    return caching.story_page(slug, request.path, page_number(request))


def _immutable_key(request, **kwargs):
    # A proof between two sizes never changes; keyed on the site's generation all the
    # same, so invalidate_reader_cache clears it like everything else.
    return caching.site_page(request.path)


@json_view()
def tree_head(request):
    return record.tree_head(_milliseconds(request, "at"))


@json_view()
def tree_heads(request):
    return record.tree_heads(_milliseconds(request, "until"))


@require_safe
@public
def checkpoint(request):
    """The newest head as a C2SP checkpoint (a signed note), with its cosignatures."""
    try:
        response = HttpResponse(record.checkpoint(), content_type="text/plain; charset=utf-8")
    except record.NotInRecord as error:
        response = HttpResponse(f"{error}\n", content_type="text/plain", status=404)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
@require_POST
def cosignatures(request):
    """A witness's cosigned checkpoint (c2sp.org/tlog-cosignature), as plain text."""
    retry_after = over_limit(request, "cosignatures", rate=lambda: settings.LOG_COSIGNATURE_RATE)
    if retry_after is not None:
        return _plain(429, "Too many cosignatures from this address.", {"Retry-After": retry_after})
    length = request.headers.get("Content-Length", "")
    if not (length.isascii() and length.isdigit()):
        return _plain(411, "Send the cosigned checkpoint with its Content-Length.")
    if int(length) > NOTE_MAX_BYTES:
        return _plain(413, f"A cosigned checkpoint is at most {NOTE_MAX_BYTES} bytes.")
    try:
        stored = checkpoints.accept(request.read(NOTE_MAX_BYTES + 1))
    except checkpoints.CosignatureRefused as refused:
        return _plain(refused.status, str(refused))
    return _plain(201 if stored else 200, f"{len(stored)} new cosignature(s) stored.")


def _plain(status: int, message: str, headers=None) -> HttpResponse:
    response = HttpResponse(f"{message}\n", content_type="text/plain", status=status)
    for name, value in (headers or {}).items():
        response[name] = str(value)
    response["Cache-Control"] = "no-store"
    return response


@json_view(_immutable_key)
def consistency(request, first, second):
    return record.consistency(first, second)


@json_view(_site_key)
def entries(request):
    raw = request.GET.get("start", "0")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise record.NotInRecord("start is the index of the first entry: a whole number from 0.")
    return record.entries(int(raw))


@json_view(_story_key)
def story_record(request, slug):
    return record.story_record(slug, page_number(request))


@require_safe
@public
def public_key(request):
    """The key readers' verifiers check every tree head against (64 hex characters)."""
    response = HttpResponse(f"{signing.public_key_hex()}\n", content_type="text/plain")
    response["Access-Control-Allow-Origin"] = "*"
    return response
