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
    return _remembered("reader:story", slug=slug)


def contributor_url(slug: str) -> str:
    return _remembered("reader:contributor", slug=slug)


def section_url(slug: str) -> str:
    return _remembered("reader:section", slug=slug)


def history_url(slug: str) -> str:
    return _remembered("reader:history", slug=slug)


def revision_url(slug: str, number: int) -> str:
    return _remembered("reader:revision", slug=slug, number=number)


def compare_url(slug: str, old: int, new: int) -> str:
    return _remembered("reader:compare", slug=slug, old=old, new=new)


def compare_choice_url(slug: str) -> str:
    """Where the history's form sends two version numbers (``?old=&new=``)."""
    return reverse("reader:compare_choice", kwargs={"slug": slug})


def record_url(slug: str) -> str:
    """The story's public record, as JSON: every version with its hash and proof."""
    return _remembered("reader:story_record", slug=slug)


def report_url(slug: str) -> str:
    return _remembered("reader:report", slug=slug)


def edit_url(story_pk: int) -> str:
    """The story's form in the admin: where the staff-only preview leads back to."""
    return reverse("admin:stories_story_change", args=[story_pk])


def with_query(path: str, *pairs: tuple[str, object]) -> str:
    """``path?name=value&...`` for the pairs given (none: the path alone)."""
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _remembered(name: str, **kwargs) -> str:
    """The address of a reader page, reversed once and then remembered: a story page
    links each of its (up to dozens of) contributors and its notes' comparisons, and
    Django's ``reverse`` costs more than everything else in building a credit (about a
    third of an uncached story page with 30 credits). Keyed by the script prefix and
    URLconf in force, so an address is never served from another configuration."""
    arguments = tuple(sorted(kwargs.items()))
    return _remembered_reverse(name, arguments, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=8192)
def _remembered_reverse(name: str, arguments: tuple, script_prefix: str, urlconf) -> str:
    return reverse(name, kwargs=dict(arguments), urlconf=urlconf)


def remembered_reverse(name: str, args: tuple, kwargs: tuple, current_app: str | None) -> str:
    """``reverse`` for the ``{% url %}`` of reader templates (``templatetags.reader``),
    remembered in the same way; ``kwargs`` as sorted (name, value) pairs."""
    return _remembered_any(name, args, kwargs, current_app, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=1024)
def _remembered_any(name, args, kwargs, current_app, script_prefix, urlconf) -> str:
    return reverse(
        name, args=list(args), kwargs=dict(kwargs), current_app=current_app, urlconf=urlconf
    )
