"""A story's public record: the list of its versions, newest first, and the word-level
comparison of any two.

Both stay the same size and cost however long the record: the list finds a page's
versions by number (they are numbered without gaps), and a comparison lists the latest
few notes between its two versions and counts the rest (``COMPARISON_NOTES_SHOWN``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.http import Http404

from stories.content.diffing import SnapshotDiff, compare_snapshots, image_changes
from stories.content.kinds import PROMINENT_KINDS
from stories.models import Revision

from ..record import RECORD_PER_PAGE
from .lists import Listing, StoryCard, paginate, story_card
from .story import (
    CORRECTIONS_FILTER,
    VERSION_FIELDS,
    Note,
    Version,
    corrections_history_url,
    latest_version,
    version,
    with_reader_prompted,
)
from .urls import compare_url, history_url, record_url, revision_url, with_query

#: Rows per page of a story's public history.
HISTORY_PER_PAGE = 50
#: The newsroom's notes a comparison lists (the latest ones between the two versions);
#: the others are counted and a link away, in the history.
COMPARISON_NOTES_SHOWN = 5

#: What a note (history entry) shows of one version.
NOTE_FIELDS = ("number", "kind", "public_note", "published_at", "reader_prompted")
#: What the public history shows of one version: its note, its hash, a legal removal.
HISTORY_FIELDS = (*NOTE_FIELDS, "content_hash", "removal__removed_at", "removal__public_note")
#: A version's lead image, as the history compares it with the version before.
IMAGE_HISTORY_FIELDS = ("picture__sha256", "image_alt", "image_caption", "image_credit")


def note(slug: str, row: dict) -> Note:
    """A ``Note`` from a row with ``NOTE_FIELDS``."""
    return Note(
        slug=slug,
        number=row["number"],
        kind=row["kind"],
        text=row["public_note"],
        published_at=row["published_at"],
        reader_prompted=bool(row["reader_prompted"]),
    )


@dataclass(frozen=True)
class HistoryEntry(Note):
    """A version as the public history lists it: its note, its hash (which anyone can
    check against the site's transparency log) and, if it came to that, a legal removal."""

    content_hash: str = ""
    removed_at: datetime | None = None
    removal_note: str = ""
    #: What it changed of the lead image: "Photo replaced", "Caption changed"...
    image_changes: tuple[str, ...] = ()
    #: The number of the story's live version (the entry that is it is marked current).
    latest_number: int = 0
    #: The story was withdrawn: its versions' text is no longer linked.
    withdrawn: bool = False

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def is_current(self) -> bool:
        return self.number == self.latest_number

    @property
    def url(self) -> str:
        """The version as readers saw it; nothing once the story is withdrawn."""
        return "" if self.withdrawn else revision_url(self.slug, self.number)

    @property
    def compare_previous_url(self) -> str:
        return "" if self.withdrawn else super().compare_previous_url

    @property
    def record_url(self) -> str:
        """The page of the story's record.json that holds this version, with its proof."""
        page = (self.number - 1) // RECORD_PER_PAGE + 1
        return with_query(record_url(self.slug), *([("page", page)] if page > 1 else []))


def with_previous_image(revisions):
    """Revisions annotated with the lead image of the version numbered just before each.

    Subqueries on the (story, number) index, run for the rows a page shows: the page
    stays one query and costs the same however long the record, and a filtered history
    (corrections only) still compares each version with the one before it.
    """
    before = Revision.objects.filter(story_id=OuterRef("story_id"), number=OuterRef("number") - 1)
    return revisions.annotate(
        **{f"previous_{name}": Subquery(before.values(name)[:1]) for name in IMAGE_HISTORY_FIELDS}
    )


def _image_of(row: dict, prefix: str = "") -> dict | None:
    sha256 = row[f"{prefix}picture__sha256"]
    if not sha256:
        return None
    return {
        "sha256": sha256,
        "alt": row[f"{prefix}image_alt"],
        "caption": row[f"{prefix}image_caption"],
        "credit": row[f"{prefix}image_credit"],
    }


@dataclass
class HistoryPage:
    """A page of a story's versions, newest first, and the links to filter them."""

    story: StoryCard
    listing: Listing
    corrections_only: bool

    @property
    def all_url(self) -> str:
        return history_url(self.story.slug)

    @property
    def corrections_url(self) -> str:
        return corrections_history_url(self.story.slug)

    @property
    def record_url(self) -> str:
        return record_url(self.story.slug)


def history_page(slug: str, number: int, *, corrections_only: bool = False) -> HistoryPage:
    """A page of the story's published versions, newest first (``corrections_only``:
    its corrections, clarifications and editor's notes). Who published is not shown;
    nor is a minor edit's internal reason. A withdrawn story's list stays public (numbers,
    kinds, times, public notes: the record the withdrawal promised), not its text."""
    row = latest_version(slug, withdrawn_ok=True)
    card = story_card(row)
    versions = Revision.objects.filter(story_id=row["story_id"])
    if corrections_only:
        versions = versions.filter(kind__in=PROMINENT_KINDS)
        count = versions.count()  # from the (story, kind, number) index alone
    else:
        count = row["number"]  # versions are numbered from 1 without gaps
    versions = (
        with_previous_image(with_reader_prompted(versions))
        .order_by("-number")
        .values(
            *HISTORY_FIELDS,
            *IMAGE_HISTORY_FIELDS,
            *(f"previous_{name}" for name in IMAGE_HISTORY_FIELDS),
        )
    )
    if not corrections_only:
        versions = NumberedVersions(versions, latest=count)

    def entries(rows) -> list[HistoryEntry]:
        return [
            HistoryEntry(
                **vars(note(slug, row)),
                content_hash=row["content_hash"],
                removed_at=row["removal__removed_at"],
                removal_note=row["removal__public_note"] or "",
                image_changes=tuple(
                    image_changes(_image_of(row, "previous_"), _image_of(row))
                    if row["number"] > 1
                    else ()
                ),
                latest_number=card.versions,
                withdrawn=card.withdrawn,
            )
            for row in rows
        ]

    listing = paginate(
        versions,
        number,
        HISTORY_PER_PAGE,
        path=history_url(slug),
        filters=(CORRECTIONS_FILTER,) if corrections_only else (),
        to_items=entries,
        count=count,
    )
    return HistoryPage(story=card, listing=listing, corrections_only=corrections_only)


def history_position_url(slug: str, latest: int, number: int) -> str:
    """The page of the story's (newest first) history that lists version ``number``."""
    page = (latest - number) // HISTORY_PER_PAGE + 1
    query = f"?page={page}" if page > 1 else ""
    return f"{history_url(slug)}{query}#version-{number}"


class NumberedVersions:
    """A story's versions, newest first, that a paginator slices by version number.

    Versions are numbered 1..n without gaps, so the k-th page is a range of numbers that
    the (story, number) index finds directly; the OFFSET a queryset slice uses would walk
    past every newer version first (the last page of 10,000 versions, 200 times slower).
    """

    def __init__(self, versions, *, latest: int):
        self.versions = versions  # ordered by -number
        self.latest = latest

    def count(self) -> int:
        return self.latest

    def __len__(self) -> int:
        return self.latest

    def __getitem__(self, rows: slice):
        newest, oldest = self.latest - rows.start, self.latest - rows.stop
        return self.versions.filter(number__lte=newest, number__gt=oldest)


# -- comparisons ---------------------------------------------------------------------------


@dataclass
class Comparison:
    """Two versions of a story, what the newsroom said in between, and what changed."""

    story: StoryCard
    old: Version
    new: Version
    diff: SnapshotDiff
    #: The notes of the latest versions up to ``new`` (``COMPARISON_NOTES_SHOWN`` at
    #: most), oldest first; the versions before them are counted, not listed.
    notes: list[Note]

    @property
    def old_url(self) -> str:
        return revision_url(self.story.slug, self.old.number)

    @property
    def new_url(self) -> str:
        return revision_url(self.story.slug, self.new.number)

    @property
    def history_url(self) -> str:
        return history_url(self.story.slug)

    @property
    def earlier_count(self) -> int:
        """Versions after ``old`` whose notes are not listed (the history has them)."""
        return self.new.number - self.old.number - len(self.notes)

    @property
    def earlier_range(self) -> tuple[int, int]:
        """The first and last of those versions."""
        return (self.old.number + 1, self.old.number + self.earlier_count)

    @property
    def earlier_url(self) -> str:
        """The history, at the newest of the versions not listed."""
        return history_position_url(self.story.slug, self.story.versions, self.earlier_range[1])

    @property
    def is_adjacent(self) -> bool:
        return self.new.number == self.old.number + 1

    @property
    def previous_change_url(self) -> str:
        """The change before this one, when comparing one change (n-1, n)."""
        if self.is_adjacent and self.old.number > 1:
            return compare_url(self.story.slug, self.old.number - 1, self.old.number)
        return ""

    @property
    def next_change_url(self) -> str:
        if self.is_adjacent and self.new.number < self.story.versions:
            return compare_url(self.story.slug, self.new.number, self.new.number + 1)
        return ""

    @property
    def with_current_url(self) -> str:
        """The old version against the current one, when this is not that already."""
        if self.new.number < self.story.versions:
            return compare_url(self.story.slug, self.old.number, self.story.versions)
        return ""


class BadComparison(Http404):
    pass


def comparison(slug: str, old: int, new: int) -> Comparison:
    """Word-level differences between versions ``old`` < ``new`` of a live story."""
    row = latest_version(slug)
    latest = row["number"]
    if old == new:
        raise BadComparison(f"Version {old} compared with itself has no differences.")
    for number in (old, new):
        if not 1 <= number <= latest:
            raise BadComparison(f"This story has no version {number}; it has {latest}.")
    versions = {
        shown["number"]: version(shown)
        for shown in Revision.objects.filter(
            story_id=row["story_id"], number__in=[old, new]
        ).values(*VERSION_FIELDS)
    }
    # The latest notes only: version numbers have no gaps, so the rest are counted free.
    latest_between = (
        with_reader_prompted(
            Revision.objects.filter(story_id=row["story_id"], number__gt=old, number__lte=new)
        )
        .order_by("-number")
        .values(*NOTE_FIELDS)[:COMPARISON_NOTES_SHOWN]
    )
    return Comparison(
        story=story_card(row),
        old=versions[old],
        new=versions[new],
        diff=compare_snapshots(versions[old].snapshot(), versions[new].snapshot()),
        notes=[note(slug, shown) for shown in list(latest_between)[::-1]],
    )
