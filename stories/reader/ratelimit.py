"""Per-client rate limits for reader views that cost the server (search, forms).

A thin layer over django-ratelimit: counts live in the shared cache, so every worker
and app server counts together, and a client over its limit gets the 429 page with
``Retry-After``. When the cache is unavailable nothing is counted and nothing refused
(``RATELIMIT_FAIL_OPEN``, and no cache call at all while the reader cache is paused):
the cache is never required.

    @rate_limited("search", rate=lambda: settings.READER_SEARCH_RATE)
    def search_page(request): ...

``rate`` is "N/s", "N/m", "N/h" or "N/d" (django-ratelimit's syntax), or a callable
returning one, read on each request so settings can change it. The client is its IP
address (``RATELIMIT_IP_META_KEY`` names the header a proxy puts it in).
"""

from __future__ import annotations

import logging
from functools import wraps

from django.shortcuts import render
from django_ratelimit.core import get_usage

from . import caching

logger = logging.getLogger(__name__)

DEFAULT_MESSAGE = "You have sent more requests than we can answer in a short time."


def rate_limited(group: str, *, rate, key: str = "ip", message: str = DEFAULT_MESSAGE):
    """Refuse a client's requests to the view beyond ``rate`` with a 429 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            refused = over_limit(request, group, rate=rate, key=key)
            if refused is not None:
                return too_many_requests(request, message, retry_after=refused)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def over_limit(request, group: str, *, rate, key: str = "ip") -> int | None:
    """Count this request; the seconds until the client may try again if it is over
    the limit, else ``None``."""
    if not caching.cache_usable():
        return None
    try:
        usage = get_usage(
            request,
            group=f"reader.{group}",
            key=key,
            rate=(lambda group, request: rate()) if callable(rate) else rate,
            increment=True,
        )
    except Exception:  # a cache that cannot count lets the request through
        logger.warning("rate limit %s unavailable (cache error)", group, exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def too_many_requests(request, message: str, *, retry_after: int, template: str = "429.html"):
    response = render(
        request,
        template,
        {"message": message, "retry_after": retry_after},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
