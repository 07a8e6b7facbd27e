"""RSS 2.0 and Atom feeds of live stories, and an Atom feed of updates and corrections.

Built with django.contrib.syndication from ``reader`` cards, so feeds show published
revisions only. Every entry has an id that never changes across edits (a ``tag:`` URI
naming the story, or the story and version), links are canonical (``stories.addresses``),
``published`` is the first publication and ``updated`` the last non-minor revision.

Text fields are text. Django writes an item's description as HTML (RSS
``<description>``, Atom ``<summary type="html">``) and so an RSS channel's description,
so those are escaped once more here: a dek reading ``<img src=x onerror=...>`` reaches a
feed reader as those characters, never as an element. Titles, Atom subtitles, authors
and categories are text already. Everything passes through ``stories.content.text.clean_text``
too, so a character XML cannot carry, in a row older than that rule, cannot break a feed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape

from stories import addresses
from stories.content.text import clean_text

from . import pages

#: Entries per feed.
FEED_LENGTH = 30


def _authority() -> str:
    return urlsplit(addresses.site_root()).hostname or "localhost"


def story_tag(card) -> str:
    """``tag:news.example,2025-11-28:story/42``: stable across edits (RFC 4151)."""
    return f"tag:{_authority()},{card.first_published_at:%Y-%m-%d}:story/{card.pk}"


def change_tag(entry) -> str:
    return f"tag:{_authority()},{entry.published_at:%Y-%m-%d}:story/{entry.story_pk}/version/{entry.number}"


def as_html_text(text: str) -> str:
    """Text for a feed field that is read as HTML: escaped once, so it stays text."""
    return escape(clean_text(text or "", multiline=True))


class PublicationFeed(Feed):
    """A feed in the publication's language, the one its pages declare (``<html lang>``),
    not Django's ``LANGUAGE_CODE``."""

    @property
    def language(self):
        return settings.PUBLICATION_LANGUAGE


class LatestStoriesRss(PublicationFeed):
    """The latest live stories, site-wide or of one section (``slug``)."""

    feed_type = Rss201rev2Feed
    item_guid_is_permalink = False

    def get_object(self, request, slug=None):
        if slug is None:
            return None
        return pages.public_section(slug)

    def _route(self, section) -> str:
        return "rss" if self.feed_type is Rss201rev2Feed else "atom"

    def title(self, section):
        name = settings.PUBLICATION_NAME
        return clean_text(f"{name}: {section.name}" if section else f"{name}: latest stories")

    def link(self, section):
        path = section.url if section else reverse("reader:home")
        return pages.absolute_url(path)

    def feed_url(self, section):
        if section:
            name = f"reader:section_feed_{self._route(section)}"
            return pages.absolute_url(reverse(name, kwargs={"slug": section.slug}))
        return pages.absolute_url(reverse(f"reader:feed_{self._route(section)}"))

    def description(self, section):
        # RSS reads a channel's description as HTML: escaped, it stays text.
        return as_html_text(self.subtitle(section))

    def subtitle(self, section):
        if section:
            return clean_text(
                f"The latest {section.name} stories from {settings.PUBLICATION_NAME}."
            )
        return clean_text(f"The latest stories from {settings.PUBLICATION_NAME}.")

    def feed_copyright(self):
        return f"Copyright {settings.PUBLICATION_NAME}"

    def items(self, section):
        return pages.latest_cards(FEED_LENGTH, section.slug if section else None)

    def item_title(self, card):
        return clean_text(card.headline)

    def item_description(self, card):
        return as_html_text(card.dek)

    def item_link(self, card):
        return pages.absolute_url(card.url)

    def item_guid(self, card):
        return story_tag(card)

    def item_pubdate(self, card):
        return card.first_published_at

    def item_updateddate(self, card):
        return card.last_change

    def item_author_name(self, card):
        return clean_text(card.byline.removeprefix("By ")) or None

    def item_categories(self, card):
        return [clean_text(card.section_name)]


class LatestStoriesAtom(LatestStoriesRss):
    feed_type = Atom1Feed


class CorrectionsAtom(PublicationFeed):
    """One entry per non-minor revision after the first: updates, corrections,
    clarifications and editor's notes, newest first, each linking to what changed."""

    feed_type = Atom1Feed

    def title(self):
        return f"{settings.PUBLICATION_NAME}: updates and corrections"

    def subtitle(self):
        return (
            f"Every update, correction and clarification to stories in {settings.PUBLICATION_NAME}."
        )

    def link(self):
        return pages.absolute_url(reverse("reader:corrections"))

    def feed_url(self):
        return pages.absolute_url(reverse("reader:corrections_feed"))

    def items(self):
        return pages.latest_public_changes(FEED_LENGTH)

    def item_title(self, entry):
        return clean_text(f"{entry.label}: {entry.headline}")

    def item_description(self, entry):
        return as_html_text(entry.text)

    def item_link(self, entry):
        return pages.absolute_url(entry.record_url)

    def item_guid(self, entry):
        return change_tag(entry)

    def item_pubdate(self, entry):
        return entry.published_at

    def item_updateddate(self, entry):
        return entry.published_at

    def item_categories(self, entry):
        labels = [entry.label]
        if entry.reader_prompted:
            labels.append(pages.READER_PROMPTED)
        return labels
