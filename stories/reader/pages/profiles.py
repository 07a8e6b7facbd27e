"""Sections and contributors as readers see them: their pages and the lists of their live
stories.

Readers see a section's or contributor's public fields as stored (there is no published
version of a section); ``stories.editing`` guards changes to them once published
versions link to them. Pages get plain data (``SectionProfile``, ``ContributorProfile``)
with those fields only, never the model: from a model a template could reach a
contributor's staff account or the credits of their drafts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from stories.models import Contributor, Revision, Section

from .. import caching
from . import lists
from .lists import Listing, live_versions, paginate
from .urls import contributor_url, section_url


@dataclass(frozen=True)
class SectionProfile:
    """What readers see of a section."""

    name: str
    slug: str
    description: str

    @property
    def url(self) -> str:
        return section_url(self.slug)

    @property
    def rss_url(self) -> str:
        return reverse("reader:section_feed_rss", kwargs={"slug": self.slug})

    @property
    def atom_url(self) -> str:
        return reverse("reader:section_feed_atom", kwargs={"slug": self.slug})


@dataclass(frozen=True)
class ContributorProfile:
    """What readers see of a contributor (never their account or their drafts)."""

    name: str
    slug: str
    affiliation: str
    bio: str

    @property
    def url(self) -> str:
        return contributor_url(self.slug)


@dataclass
class ProfilePage:
    """A section's or contributor's page: who or what it is, and a page of its stories."""

    profile: SectionProfile | ContributorProfile
    listing: Listing


def public_section(slug: str) -> SectionProfile:
    """A section that any published version ever named; ``Http404`` otherwise.

    A section nobody has published in yet may exist only for a story in preparation;
    its name is not public until the first story in it is. Once public it stays so, even
    when its last story is withdrawn or moved: its page and feeds keep answering (with
    an empty list), so links and subscribers' feeds never break.
    """
    row = Section.objects.filter(slug=slug).values("name", "slug", "description").first()
    if row is None or not Revision.objects.filter(section_slug=slug).exists():
        raise Http404("There is no section at this address.")
    return SectionProfile(**row)


def section_page(slug: str, number: int) -> ProfilePage:
    section = public_section(slug)
    versions = live_versions().filter(section_slug=slug)
    return ProfilePage(
        section, paginate(versions, number, lists.STORIES_PER_PAGE, path=section.url)
    )


def section_links() -> list[tuple[str, str]]:
    """(name, slug) of every section with at least one live story, by name."""
    rows = live_versions().order_by().values_list("section_name", "section_slug").distinct()
    return sorted(set(rows), key=lambda row: row[0].casefold())


def cached_section_links() -> list[tuple[str, str]]:
    """``section_links()``, kept in the cache until the next publish."""
    return caching.cached_value("sections", section_links)


def credited_versions(slug: str):
    """Live versions that credit the contributor ``slug`` (any role).

    Credits are read from the published versions, so a credit that exists only in a
    draft never shows.
    """
    return live_versions().filter(pk__in=Revision.objects.crediting(slug).values("pk"))


def contributor_page(slug: str, number: int) -> ProfilePage:
    """A contributor and their live stories; 404 unless at least one story is live."""
    row = Contributor.objects.filter(slug=slug).values("name", "slug", "affiliation", "bio").first()
    if row is None:
        raise Http404("There is no contributor at this address.")
    contributor = ContributorProfile(**row)
    listing = paginate(
        credited_versions(slug), number, lists.STORIES_PER_PAGE, path=contributor.url
    )
    if listing.count == 0:
        # Credited only on drafts (or on nothing): readers have nothing to see yet.
        raise Http404("There is no contributor at this address.")
    return ProfilePage(contributor, listing)
