"""The site's absolute addresses: canonical links, feeds, sitemaps, structured data, emails.

In production they come from ``PUBLICATION_URL``, which the settings require there. On a
laptop (the demo, development) that setting is usually unset, and the address is the
one the current request came in on, so ``make run PORT=8123`` links to port 8123, not
to a port nobody is serving. ``reader.middleware.SiteRootMiddleware`` records it for the
request; code outside a request (commands, the task worker) falls back to
``FALLBACK_ROOT``.

A context variable, not a parameter, because the address is needed deep inside code
that has no request (structured data, feeds, sitemaps, emails built by services), and
each request (thread) has its own value.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

#: Where a laptop serves when there is neither a setting nor a request (``make run``).
FALLBACK_ROOT = "http://127.0.0.1:8000"

_request_root: ContextVar[str | None] = ContextVar("newsroom_request_root", default=None)


def site_root() -> str:
    """``https://news.example.com``: the setting, else the request's, else the fallback."""
    configured = getattr(settings, "PUBLICATION_URL", "")
    return (configured or _request_root.get() or FALLBACK_ROOT).rstrip("/")


def absolute_url(path: str) -> str:
    """The absolute address of a path on this site (``/stories/x/`` -> ``https://.../stories/x/``)."""
    return site_root() + path


@contextmanager
def serving(root: str):
    """Build addresses from ``root`` inside the block (the address a request came in on)."""
    token = _request_root.set(root.rstrip("/"))
    try:
        yield
    finally:
        _request_root.reset(token)
