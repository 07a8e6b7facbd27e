"""Who is asking, and how often: partner keys and rate limits.

Anyone may read the API without a key, at ``API_ANON_RATE`` requests per client
address; a partner's key (``Authorization: Bearer nrk_...``, made in the admin) raises
that to ``API_PARTNER_RATE`` per key. A key grants nothing else: there is no endpoint
for anything unpublished. An unknown or revoked key is refused (401) rather than served
as anonymous, so a partner notices a revoked key at once.

Counts live in the shared cache through django-ratelimit (the reader's limits use it
too), so every worker counts together; when the cache cannot count, requests pass.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django_ratelimit.core import get_usage

from stories.partners import keys

from .problems import problem

logger = logging.getLogger(__name__)

SCHEME = "bearer"


def presented_key(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != SCHEME or not value.strip():
        return None
    return value.strip()


def limited(view):
    """Identify a partner's key, count the request, refuse beyond the limit (429 with
    ``Retry-After``). Applied to every operation (``NinjaAPI.add_decorator``)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        raw = presented_key(request)
        partner = None
        if raw is not None:
            partner = keys.authenticate(raw)
            if partner is None:
                return problem(
                    request,
                    401,
                    "This key is unknown or was revoked. Leave the Authorization header out "
                    "to read anonymously, at a lower rate.",
                    headers={"WWW-Authenticate": 'Bearer realm="newsroom-api"'},
                )
        request.partner_key = partner
        refused = _over_limit(request, partner)
        if refused is not None:
            return problem(
                request,
                429,
                f"More than {_rate(partner)} requests; try again in {refused} seconds"
                + ("." if partner else ", or ask for a partner key."),
                headers={"Retry-After": str(refused)},
            )
        return view(request, *args, **kwargs)

    return wrapper


def _rate(partner) -> str:
    return settings.API_PARTNER_RATE if partner else settings.API_ANON_RATE


def _over_limit(request, partner) -> int | None:
    key = (lambda group, request: f"partner:{partner.pk}") if partner else "ip"
    try:
        usage = get_usage(
            request,
            group="api.partner" if partner else "api.anonymous",
            key=key,
            rate=lambda group, request: _rate(partner),
            increment=True,
        )
    except Exception:  # a cache that cannot count lets the request through
        logger.warning("API rate limit unavailable (cache error)", exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))
