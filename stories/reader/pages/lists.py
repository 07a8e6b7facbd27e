"""Lists of live stories (home, sections, contributors, feeds, sitemaps, search) and the
one way any reader list is paginated.

A card is built from a story's live version and the story's public pointers, never from
the working copy. A ``Listing`` is one page of any list with every address its links
need: the items, the address of each other page with the list's filters kept, and the
canonical address, so templates only display them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404
from django.urls import reverse

from stories.content.text import clean_text
from stories.models import Revision, Story

from .. import figures
from ..figures import Thumbnail
from .urls import absolute_url, story_url, with_query

#: Stories per page on the home, section and contributor pages.
STORIES_PER_PAGE = 20

#: What a story card shows, read from a revision row (the live one) and its story.
CARD_FIELDS = (
    "story_id", "story__slug", "story__first_published_at", "story__updated_at",
    "number", "headline", "dek", "byline", "section_name", "section_slug",
    *figures.THUMBNAIL_FIELDS,
)  # fmt: skip


def live_stories():
    """Stories readers can see, newest first."""
    return Story.objects.public().order_by("-first_published_at", "-pk")


def live_versions():
    """The live version of every story readers can see, newest story first."""
    return Revision.objects.live().order_by("-story__first_published_at", "-story_id")


@dataclass(frozen=True)
class StoryCard:
    """A live story as lists show it (home, sections, contributors, feeds, sitemaps,
    search): everything comes from its live version. ``headline``, ``dek`` and
    ``snippet`` are safe HTML with the hits marked on a search page, text elsewhere."""

    pk: int
    slug: str
    headline: str
    dek: str
    byline: str
    section_name: str
    section_slug: str
    #: The story's first publication (it never changes).
    first_published_at: datetime
    #: The public "Updated" time: the last version that was not a minor edit.
    updated_at: datetime | None
    #: The number of its live version, which is how many versions it has.
    versions: int
    snippet: str = ""
    #: Withdrawn: its history list stays public, the text of its versions does not.
    withdrawn: bool = False
    #: Its lead image, small (lists show it beside the headline).
    thumbnail: Thumbnail | None = None

    @property
    def url(self) -> str:
        return story_url(self.slug)

    @property
    def is_updated(self) -> bool:
        return self.updated_at is not None and self.updated_at > self.first_published_at

    @property
    def last_change(self) -> datetime:
        """The public "Updated" time, else the publication time (for lastmod, feeds)."""
        return self.updated_at if self.is_updated else self.first_published_at


def story_card(row: Mapping, **marked) -> StoryCard:
    """The card of a revision row read with ``CARD_FIELDS`` (``marked`` overrides text
    fields with highlighted HTML, for search). Its text carries nothing XML cannot, even
    from a version stored before that rule: cards fill feeds and the news sitemap."""
    fields = {
        "pk": row["story_id"],
        "slug": row["story__slug"],
        "headline": clean_text(row["headline"]),
        "dek": clean_text(row["dek"]),
        "byline": clean_text(row["byline"]),
        "section_name": clean_text(row["section_name"]),
        "section_slug": row["section_slug"],
        "first_published_at": row["story__first_published_at"],
        "updated_at": row["story__updated_at"],
        "versions": row["number"],
        "withdrawn": row.get("story__status") == Story.Status.WITHDRAWN,
        "thumbnail": figures.thumbnail(row),
    }
    return StoryCard(**{**fields, **marked})


def story_cards(revisions) -> list[StoryCard]:
    return [story_card(row) for row in revisions.values(*CARD_FIELDS)]


def latest_cards(limit: int, section_slug: str | None = None) -> list[StoryCard]:
    versions = live_versions()
    if section_slug is not None:
        versions = versions.filter(section_slug=section_slug)
    return story_cards(versions[:limit])


# -- one page of a list --------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One page of a list: its items, where it stands among the list's pages, and their
    addresses (filters kept). Plain numbers, not the paginator's page, whose rows are
    the query's: a template holding them could reach the working copy."""

    cards: list
    #: This page's number, how many pages there are, and how many items in all.
    number: int
    num_pages: int
    count: int
    #: The list's address, without a query.
    path: str
    #: The query parameters that choose what the list holds (kept on every page's link).
    filters: tuple[tuple[str, str], ...] = ()

    def page_url(self, number: int) -> str:
        """The address of page ``number`` of this list (page 1 has no ``page=``)."""
        pairs = [*self.filters, *([("page", number)] if number > 1 else [])]
        return with_query(self.path, *pairs)

    @property
    def url(self) -> str:
        return self.page_url(self.number)

    @property
    def canonical_url(self) -> str:
        return absolute_url(self.url)

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_url(self) -> str:
        return self.page_url(self.number - 1) if self.number > 1 else ""

    @property
    def next_url(self) -> str:
        return self.page_url(self.number + 1) if self.number < self.num_pages else ""

    @classmethod
    def of(cls, page: Page, cards: list, **where) -> Listing:
        """The listing of a paginator's ``page`` whose items are ``cards``."""
        paginator = page.paginator
        return cls(cards, page.number, paginator.num_pages, paginator.count, **where)


def paginate(
    items,
    number: int,
    per_page: int,
    *,
    path: str,
    filters: tuple[tuple[str, str], ...] = (),
    to_items: Callable = story_cards,
    count: int | None = None,
) -> Listing:
    """The ``number``-th page; ``Http404`` beyond the last page (not silently page 1).
    ``count``, when the caller knows it, saves the paginator's counting query."""
    paginator = Paginator(items, per_page, allow_empty_first_page=True)
    if count is not None:
        paginator.count = count  # a cached property: the value given is kept
    try:
        page = paginator.page(number)
    except InvalidPage:
        raise Http404(f"There is no page {number} here.") from None
    return Listing.of(page, to_items(page.object_list), path=path, filters=filters)


def home_page(number: int) -> Listing:
    """The home page: every live story, newest first."""
    return paginate(live_versions(), number, STORIES_PER_PAGE, path=reverse("reader:home"))
