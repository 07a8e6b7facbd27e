"""Sitemaps (django.contrib.sitemaps): stories, sections and the Google News sitemap.

Addresses are canonical (``stories.addresses``: PUBLICATION_URL in production); a story's
``lastmod`` is its last non-minor update, the same "Updated" time the page shows.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import timezone

from stories import addresses

from . import pages

#: Google News sitemaps list stories first published in the last two days, at most 1,000.
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000


class CanonicalSitemap(Sitemap):
    """Addresses on the publication's own domain and scheme."""

    @property
    def protocol(self):
        return urlsplit(addresses.site_root()).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(addresses.site_root()).netloc


class StorySitemap(CanonicalSitemap):
    def items(self):
        return pages.live_stories().values("slug", "first_published_at", "updated_at")

    def location(self, row):
        return pages.story_url(row["slug"])

    def lastmod(self, row):
        return row["updated_at"] or row["first_published_at"]


class SectionSitemap(CanonicalSitemap):
    changefreq = "hourly"

    def items(self):
        return [slug for _, slug in pages.section_links()]

    def location(self, slug):
        return reverse("reader:section", kwargs={"slug": slug})


class PagesSitemap(CanonicalSitemap):
    changefreq = "hourly"

    def items(self):
        return ["reader:home", "reader:corrections", "reader:corrections_policy"]

    def location(self, name):
        return reverse(name)


class NewsSitemap(CanonicalSitemap):
    """Stories first published in the last 48 hours, newest first (``sitemap-news.xml``)."""

    limit = NEWS_LIMIT

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        versions = pages.live_versions().filter(story__first_published_at__gte=since)
        return pages.story_cards(versions[:NEWS_LIMIT])

    def location(self, card):
        return card.url

    def lastmod(self, card):
        return card.last_change


SITEMAPS = {"stories": StorySitemap, "sections": SectionSitemap, "pages": PagesSitemap}
NEWS_SITEMAPS = {"news": NewsSitemap}
