"""The surrogate keys of public answers: one vocabulary for every room that serves them.

A public answer names, in its ``xkey`` and ``Surrogate-Key`` headers
(``headers.public``), what it shows that can change; a change purges the keys of what it
changed (``concerned``), on every edge. A key names something readers see, never a
page: the partner API's answers take the same keys as the reader's pages that show the
same thing, so one purge reaches both.

========================  ==============================================================
key                       answers that carry it
========================  ==============================================================
``story-<public id>``     everything of one story: its page, history, old versions,
                          comparisons, record JSON, its 410 page; the API's story, its
                          versions and ninjs
``section-<slug>``        a section's page and feeds (its profile and its stories); the
                          API's section
``contributor-<slug>``    a contributor's page (profile and stories); the API's
                          contributor
``latest``                lists of the latest stories: the home page, the latest feeds,
                          the API's list of stories
``corrections``           the corrections page and feed; the API's corrections
``sitemaps``              the sitemaps
``search``                search results
``log``                   the transparency log's head and entries
``section-menu``          every HTML page that shows the menu of sections
``sections``              directories of sections (the API's list of sections)
``contributors``          directories of contributors (the API's list of contributors)
``site``                  every public answer (purged by ``manage.py
                          invalidate_reader_cache``, which ``make serve`` runs)
========================  ==============================================================

A story page shows its section's and contributors' names as published in its version, so
a later rename of either does not change it and does not purge it; the story's own key
does, on each publish.

Keys are ASCII words without spaces or commas (the headers' separators): the story's
permanent id, a UUID, and public slugs are. Slugs may hold non-ASCII letters (Django's
``slug`` converter does not, but a stored slug may), so they are percent-encoded here.
"""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

SITE = "site"
LATEST = "latest"
CORRECTIONS = "corrections"
SITEMAPS = "sitemaps"
SEARCH = "search"
LOG = "log"
SECTION_MENU = "section-menu"
SECTIONS = "sections"
CONTRIBUTORS = "contributors"


def story(public_id: UUID | str) -> str:
    """Everything of one story; ``public_id`` is ``Story.public_id`` (never the slug,
    which an API client may not know, nor the row id, which is not public)."""
    return f"story-{UUID(str(public_id)).hex}"


def section(slug: str) -> str:
    return f"section-{_word(slug)}"


def contributor(slug: str) -> str:
    return f"contributor-{_word(slug)}"


def _word(slug: str) -> str:
    return quote(slug, safe="-_")
