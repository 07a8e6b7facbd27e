"""Addresses of reader pages, reversed once and remembered where pages link to many.

Everything a page links to is worked out here (or by the page objects, from here), so
templates never build a URL from parts.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django.urls import get_script_prefix, get_urlconf, reverse

from stories import addresses


def absolute_url(path: str) -> str:
    """The canonical address of a path: on ``PUBLICATION_URL`` in production, on the
    address the request came in on in the demo (``stories.addresses``)."""
    return addresses.absolute_url(path)


def story_url(slug: str) -> str:
    return _slug_url("reader:story", slug)


def contributor_url(slug: str) -> str:
    return _slug_url("reader:contributor", slug)


def section_url(slug: str) -> str:
    return _slug_url("reader:section", slug)


def history_url(slug: str) -> str:
    return reverse("reader:history", kwargs={"slug": slug})


def revision_url(slug: str, number: int) -> str:
    return reverse("reader:revision", kwargs={"slug": slug, "number": number})


def compare_url(slug: str, old: int, new: int) -> str:
    return reverse("reader:compare", kwargs={"slug": slug, "old": old, "new": new})


def record_url(slug: str) -> str:
    """The story's public record, as JSON: every version with its hash and proof."""
    return reverse("reader:story_record", kwargs={"slug": slug})


def report_url(slug: str) -> str:
    return reverse("reader:report", kwargs={"slug": slug})


def with_query(path: str, *pairs: tuple[str, object]) -> str:
    """``path?name=value&...`` for the pairs given (none: the path alone)."""
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _slug_url(name: str, slug: str) -> str:
    """The address of a page named by a slug, reversed once and then remembered: a story
    page links each of its (up to dozens of) contributors, and Django's ``reverse`` costs
    more than everything else in building a credit (about a third of an uncached story
    page with 30 credits). Keyed by the script prefix and URLconf in force, so an address
    is never served from another configuration."""
    return _remembered_reverse(name, slug, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=8192)
def _remembered_reverse(name: str, slug: str, script_prefix: str, urlconf) -> str:
    return reverse(name, kwargs={"slug": slug}, urlconf=urlconf)
