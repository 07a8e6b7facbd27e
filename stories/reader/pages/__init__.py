"""What reader pages show, read from published versions only, one module per family of
pages:

- ``lists``: story cards and the one paginated ``Listing`` every list page uses;
- ``story``: a story's page (a version with its notes), old versions and the preview;
- ``history``: a story's list of versions, and comparisons of two;
- ``corrections``: the site's corrections page and feed;
- ``profiles``: sections and contributors;
- ``state``: the cheap state behind a story page's ETag and cache key;
- ``urls``: the addresses pages link to.

Views, feeds, sitemaps, search and the structured-data builder call these builders and
get plain data back (dataclasses built from ``Revision`` rows and the story's public
pointers). Nothing here hands a model instance to a template, so no template can reach
the working copy by accident (``tests/test_reader_drafts.py`` walks every reader view to
prove it). Which stories readers can read is decided in one place,
``Story.objects.public()`` (and ``Revision.objects.live()`` for their live versions).
"""

from .corrections import (
    CORRECTIONS_PER_PAGE,
    READER_PROMPTED_FILTER,
    CorrectionEntry,
    CorrectionsPage,
    corrections_page,
    latest_public_changes,
)
from .history import (
    COMPARISON_NOTES_SHOWN,
    HISTORY_PER_PAGE,
    BadComparison,
    Comparison,
    HistoryEntry,
    HistoryPage,
    comparison,
    history_page,
)
from .lists import (
    CARD_FIELDS,
    STORIES_PER_PAGE,
    Listing,
    StoryCard,
    home_page,
    latest_cards,
    live_stories,
    live_versions,
    paginate,
    story_card,
    story_cards,
)
from .profiles import (
    ContributorProfile,
    ProfilePage,
    SectionProfile,
    cached_section_links,
    contributor_page,
    public_section,
    section_links,
    section_page,
)
from .state import StoryState, story_state
from .story import (
    CORRECTIONS_FILTER,
    READER_PROMPTED,
    TOP_NOTES_SHOWN,
    Note,
    PublicCredit,
    StoryPage,
    StoryWithdrawn,
    Version,
    corrections_history_url,
    latest_version,
    preview_page,
    revision_page,
    story_page,
)
from .urls import absolute_url, contributor_url, history_url, section_url, story_url

__all__ = [
    "CARD_FIELDS",
    "COMPARISON_NOTES_SHOWN",
    "CORRECTIONS_FILTER",
    "CORRECTIONS_PER_PAGE",
    "HISTORY_PER_PAGE",
    "READER_PROMPTED",
    "READER_PROMPTED_FILTER",
    "STORIES_PER_PAGE",
    "TOP_NOTES_SHOWN",
    "BadComparison",
    "Comparison",
    "ContributorProfile",
    "CorrectionEntry",
    "CorrectionsPage",
    "HistoryEntry",
    "HistoryPage",
    "Listing",
    "Note",
    "ProfilePage",
    "PublicCredit",
    "SectionProfile",
    "StoryCard",
    "StoryPage",
    "StoryState",
    "StoryWithdrawn",
    "Version",
    "absolute_url",
    "cached_section_links",
    "comparison",
    "contributor_page",
    "contributor_url",
    "corrections_history_url",
    "corrections_page",
    "history_page",
    "history_url",
    "home_page",
    "latest_cards",
    "latest_public_changes",
    "latest_version",
    "live_stories",
    "live_versions",
    "paginate",
    "preview_page",
    "public_section",
    "revision_page",
    "section_links",
    "section_page",
    "section_url",
    "story_card",
    "story_cards",
    "story_page",
    "story_state",
    "story_url",
]
