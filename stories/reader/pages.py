"""What reader pages show, read from published versions only.

Views, feeds, sitemaps, search and the structured-data builder call these functions and
get plain data back (``StoryCard``, ``Version``, ``StoryPage``, ``Note``...) built from
``Revision`` rows and the story's public pointers (slug, first publication, last update).
Nothing here hands a model instance to a template, so no template can reach the working
copy by accident: a draft sentence has no path to a public page.

Which stories readers can read is decided in one place, ``Story.objects.public()`` (and
``Revision.objects.live()`` for their live versions). Each function runs a small, fixed
number of queries whatever the number of credits or versions (the story page: one for
the live version with the story's pointers, one for its notes). A story corrected
thousands of times still sends a page of the same size: the story page shows its latest
few corrections and links to the rest, a comparison its latest few notes and the number
of the others (``TOP_NOTES_SHOWN``, ``COMPARISON_NOTES_SHOWN``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache

from django.core.paginator import InvalidPage, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.http import Http404
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from stories import addresses
from stories.content.diffing import SnapshotDiff, compare_snapshots, diff_snapshot, image_changes
from stories.content.kinds import PROMINENT_KINDS, CreditRole, RevisionKind
from stories.content.text import clean_text
from stories.models import ContentRemoval, Contributor, Revision, Section, Story, image_snapshot
from stories.models.reader_reports import ErrorReport

from . import caching, figures
from .figures import Figure, Thumbnail
from .record import RECORD_PER_PAGE

#: Stories per page on the home, section and contributor pages.
STORIES_PER_PAGE = 20
#: Rows per page of a story's public history.
HISTORY_PER_PAGE = 50
#: Corrections per page on the corrections page.
CORRECTIONS_PER_PAGE = 30
#: Corrections, clarifications and editor's notes at the top of a story page, newest
#: first; a link leads to all of them (the story's history, filtered).
TOP_NOTES_SHOWN = 3
#: The newsroom's notes a comparison lists (the latest ones between the two versions);
#: the others are counted and a link away, in the history.
COMPARISON_NOTES_SHOWN = 5
#: ``?show=corrections`` on a story's history: only the versions that corrected,
#: clarified or added an editor's note (what the story page's top box lists).
CORRECTIONS_FILTER = ("show", "corrections")

#: Kinds whose public note is shown on the story page (prominent ones at the top, the
#: latest update at the foot).
NOTE_KINDS = [RevisionKind.UPDATE, *sorted(PROMINENT_KINDS)]
#: How the public record marks a change a reader's report led to (no one is named).
READER_PROMPTED = "Prompted by a reader report"
#: Kinds listed on the corrections page and in the corrections feed's titles.
CORRECTION_KINDS = [RevisionKind.CORRECTION, RevisionKind.CLARIFICATION]

#: What a story card shows, read from a revision row (the live one) and its story.
CARD_FIELDS = (
    "story_id", "story__slug", "story__first_published_at", "story__updated_at",
    "number", "headline", "dek", "byline", "section_name", "section_slug", "published_at",
    *figures.THUMBNAIL_FIELDS,
)  # fmt: skip
#: What a page shows of one version, beyond its card.
VERSION_FIELDS = (
    "number", "kind", "public_note", "published_at", "headline", "dek", "body",
    "body_html", "byline", "tagline", "credits", "section_name", "section_slug",
    "dateline", "content_hash", "removal__removed_at", "removal__public_note",
    "image_alt", "image_caption", "image_credit", *figures.PICTURE_FIELDS,
)  # fmt: skip
#: What a note (history entry) shows of one version.
NOTE_FIELDS = ("number", "kind", "public_note", "published_at")
#: What the public history shows of one version: its note, its hash, a legal removal.
HISTORY_FIELDS = (
    *NOTE_FIELDS, "reader_prompted", "content_hash", "removal__removed_at",
    "removal__public_note",
)  # fmt: skip


class StoryWithdrawn(Exception):
    """The story was published, then withdrawn: its URL answers 410 with the note."""

    def __init__(self, slug: str, note: str, withdrawn_at: datetime | None, headline: str = ""):
        super().__init__(note)
        self.slug = slug
        self.note = note
        self.withdrawn_at = withdrawn_at
        self.headline = headline

    @property
    def history_url(self) -> str:
        """The public record that stays readable after a withdrawal."""
        return reverse("reader:history", kwargs={"slug": self.slug})


def absolute_url(path: str) -> str:
    """The canonical address of a path: on ``PUBLICATION_URL`` in production, on the
    address the request came in on in the demo (``stories.addresses``)."""
    return addresses.absolute_url(path)


def story_url(slug: str) -> str:
    return _slug_url("reader:story", slug)


def contributor_url(slug: str) -> str:
    return _slug_url("reader:contributor", slug)


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


def live_stories():
    """Stories readers can see, newest first."""
    return Story.objects.public().order_by("-first_published_at", "-pk")


def live_versions():
    """The live version of every story readers can see, newest story first."""
    return Revision.objects.live().order_by("-story__first_published_at", "-story_id")


# -- the plain data pages show -----------------------------------------------------------


class KindLabel:
    """What readers call a revision's kind ("Correction", "Minor edit")."""

    kind: str

    @property
    def label(self) -> str:
        return RevisionKind(self.kind).label


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
    published_at: datetime
    updated_at: datetime | None
    modified_at: datetime
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
        return self.updated_at is not None and self.updated_at > self.published_at

    @property
    def last_change(self) -> datetime:
        """The public "Updated" time, else the publication time (for lastmod, feeds)."""
        return self.updated_at if self.is_updated else self.published_at


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
        "published_at": row["story__first_published_at"],
        "updated_at": row["story__updated_at"],
        "modified_at": row["published_at"],
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


@dataclass(frozen=True)
class PublicCredit:
    name: str
    slug: str
    role: str
    affiliation: str

    @property
    def url(self) -> str:
        return contributor_url(self.slug) if self.slug else ""

    @property
    def role_label(self) -> str:
        try:
            return CreditRole(self.role).label
        except ValueError:
            return self.role


@dataclass(frozen=True)
class Version(KindLabel):
    """One published version, as readers saw it: plain values, no way back to a model."""

    number: int
    kind: str
    public_note: str
    published_at: datetime
    headline: str
    dek: str
    body: str
    body_html: str
    byline: str
    tagline: str
    credits: tuple[PublicCredit, ...]
    section_name: str
    section_slug: str
    dateline: str
    content_hash: str = ""
    #: When its content was removed for a legal reason, and the note readers are shown.
    removed_at: datetime | None = None
    removal_note: str = ""
    image_alt: str = ""
    image_caption: str = ""
    image_credit: str = ""
    #: The lead image, as the page shows it (``None`` without one).
    figure: Figure | None = None

    @property
    def thumbnail(self) -> Thumbnail | None:
        return self.figure.thumbnail if self.figure else None

    @property
    def version_label(self) -> str:
        return f"version {self.number}"

    @property
    def image(self) -> dict | None:
        """The lead image as the version's hash covers it (``models.image_snapshot``)."""
        return image_snapshot(self.figure, self.image_alt, self.image_caption, self.image_credit)

    def snapshot(self) -> dict:
        """The content compared between versions (``diffing.compare_snapshots``)."""
        return diff_snapshot({**vars(self), "image": self.image})


def version(row: Mapping) -> Version:
    """A ``Version`` from a row with ``VERSION_FIELDS`` (or a publishing snapshot)."""
    credits = tuple(
        PublicCredit(
            name=credit.get("name", ""),
            slug=credit.get("slug", ""),
            role=credit.get("role", ""),
            affiliation=credit.get("affiliation", ""),
        )
        for credit in row.get("credits") or []
    )
    fields = {name: row.get(name, "") for name in VERSION_FIELDS if "__" not in name}
    fields.update(
        credits=credits,
        removed_at=row.get("removal__removed_at"),
        removal_note=row.get("removal__public_note") or "",
        figure=figures.figure(row),
    )
    return Version(**fields)


@dataclass(frozen=True)
class Note(KindLabel):
    """The public note of one version: a correction, clarification, editor's note,
    update, minor edit or first publication (the history lists them all)."""

    number: int
    kind: str
    text: str
    published_at: datetime
    #: Prompted by a reader's report ("prompted by a reader report"; nobody is named).
    reader_prompted: bool = False

    @property
    def is_prominent(self) -> bool:
        return self.kind in PROMINENT_KINDS

    @property
    def is_minor(self) -> bool:
        return self.kind == RevisionKind.MINOR

    @property
    def compare_previous(self) -> tuple[int, int] | None:
        """The versions to compare to see what this one changed (none for version 1)."""
        return (self.number - 1, self.number) if self.number > 1 else None


def notes(rows) -> list[Note]:
    return [Note(*row) for row in rows]


def with_reader_prompted(revisions):
    """Revisions annotated with ``reader_prompted``: whether a reader's report led to
    them. One fact, no personal data: the reports themselves are never public."""
    return revisions.annotate(
        reader_prompted=Exists(ErrorReport.objects.filter(resolved_by=OuterRef("pk")))
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

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def record_page(self) -> int:
        """The page of the story's record.json that holds this version."""
        return (self.number - 1) // RECORD_PER_PAGE + 1


#: A version's lead image, as the history compares it with the version before.
IMAGE_HISTORY_FIELDS = ("picture__sha256", "image_alt", "image_caption", "image_credit")


def with_previous_image(revisions):
    """Revisions annotated with the lead image of the version numbered just before each.

    Subqueries on the (story, number) index, run for the rows a page shows: the page
    stays one query and costs the same however long the record, and a filtered history
    (corrections only) still compares each version with the one before it.
    """
    before = Revision.objects.filter(story_id=OuterRef("story_id"), number=OuterRef("number") - 1)
    return revisions.annotate(
        **{
            f"previous_{index}": Subquery(before.values(name)[:1])
            for index, name in enumerate(IMAGE_HISTORY_FIELDS)
        }
    )


def _image_of(values) -> dict | None:
    sha256, alt, caption, credit = values
    return {"sha256": sha256, "alt": alt, "caption": caption, "credit": credit} if sha256 else None


def history_entries(rows) -> list[HistoryEntry]:
    """Entries from rows of ``HISTORY_FIELDS``, then ``IMAGE_HISTORY_FIELDS`` and their
    previous values (``with_previous_image``)."""
    size, count = len(HISTORY_FIELDS), len(IMAGE_HISTORY_FIELDS)
    entries = []
    for row in rows:
        current, previous = row[size : size + count], row[size + count : size + 2 * count]
        changes = image_changes(_image_of(previous), _image_of(current)) if row[0] > 1 else []
        entries.append(HistoryEntry(*row[:size], image_changes=tuple(changes)))
    return entries


# -- lists ---------------------------------------------------------------------------------


@dataclass
class CardPage:
    """One page of a paginated list, with the cards of that page."""

    page: object  # django.core.paginator.Page
    cards: list


def paginate(
    queryset, number: int, per_page: int, to_items=story_cards, count: int | None = None
) -> CardPage:
    """The ``number``-th page; ``Http404`` beyond the last page (not silently page 1).
    ``count``, when the caller knows it, saves the paginator's counting query."""
    paginator = Paginator(queryset, per_page, allow_empty_first_page=True)
    if count is not None:
        paginator.count = count  # a cached property: the value given is kept
    try:
        page = paginator.page(number)
    except InvalidPage:
        raise Http404(f"There is no page {number} here.") from None
    return CardPage(page, to_items(page.object_list))


def home_page(number: int) -> CardPage:
    return paginate(live_versions(), number, STORIES_PER_PAGE)


def public_section(slug: str) -> Section:
    """A section that any published version ever named; ``Http404`` otherwise.

    A section nobody has published in yet may exist only for a story in preparation;
    its name is not public until the first story in it is. Once public it stays so, even
    when its last story is withdrawn or moved: its page and feeds keep answering (with
    an empty list), so links and subscribers' feeds never break.
    """
    section = Section.objects.filter(slug=slug).first()
    if section is None or not Revision.objects.filter(section_slug=slug).exists():
        raise Http404("There is no section at this address.")
    return section


def section_page(slug: str, number: int) -> tuple[Section, CardPage]:
    section = public_section(slug)
    versions = live_versions().filter(section_slug=slug)
    return section, paginate(versions, number, STORIES_PER_PAGE)


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


def contributor_page(slug: str, number: int) -> tuple[Contributor, CardPage]:
    """A contributor and their live stories; 404 unless at least one story is live."""
    contributor = Contributor.objects.filter(slug=slug).first()
    if contributor is None:
        raise Http404("There is no contributor at this address.")
    listing = paginate(credited_versions(slug), number, STORIES_PER_PAGE)
    if listing.page.paginator.count == 0:
        # Credited only on drafts (or on nothing): readers have nothing to see yet.
        raise Http404("There is no contributor at this address.")
    return contributor, listing


# -- one story: the cheap state behind ETags and cache keys ---------------------------------


@dataclass(frozen=True)
class StoryState:
    """The few columns that decide a story page's ETag, Last-Modified and cache key."""

    pk: int
    status: str
    revision_id: int | None
    number: int | None
    content_hash: str
    modified_at: datetime | None
    #: The last legal removal of a version's content: pages kept before it are stale.
    removed_at: datetime | None = None

    @property
    def has_published_version(self) -> bool:
        return self.revision_id is not None

    @property
    def etag(self) -> str:
        etag = f"{self.pk}-{self.number}-{self.content_hash[:16]}"
        return f"{etag}-r{int(self.removed_at.timestamp())}" if self.removed_at else etag

    @property
    def last_modified(self) -> datetime | None:
        if self.removed_at and self.modified_at:
            return max(self.modified_at, self.removed_at)
        return self.modified_at


def story_state(slug: str) -> StoryState | None:
    last_removal = (
        ContentRemoval.objects.filter(revision__story=OuterRef("pk"))
        .order_by("-removed_at")
        .values("removed_at")[:1]
    )
    row = (
        Story.objects.filter(slug=slug)
        .annotate(removed_at=Subquery(last_removal))
        .values(
            "pk",
            "status",
            "latest_revision_id",
            "latest_revision__number",
            "latest_revision__content_hash",
            "latest_revision__published_at",
            "removed_at",
        )
        .first()
    )
    if row is None:
        return None
    return StoryState(
        pk=row["pk"],
        status=row["status"],
        revision_id=row["latest_revision_id"],
        number=row["latest_revision__number"],
        content_hash=row["latest_revision__content_hash"] or "",
        modified_at=row["latest_revision__published_at"],
        removed_at=row["removed_at"],
    )


def _latest(slug: str, *fields: str, withdrawn_ok: bool = False) -> dict:
    """The story's latest version with its card fields: one query.

    ``Http404`` if the story was never published, ``StoryWithdrawn`` if it was withdrawn
    (unless ``withdrawn_ok``: the history list stays public after a withdrawal). Only
    the story's public pointers are read: never the working copy.
    """
    row = (
        Revision.objects.filter(story__slug=slug, story__latest_revision=F("pk"))
        .values(*CARD_FIELDS, "story__status", "public_note", *fields)
        .first()
    )
    if row is None:
        raise Http404("There is no story at this address.")
    if row["story__status"] == Story.Status.WITHDRAWN and not withdrawn_ok:
        raise StoryWithdrawn(slug, row["public_note"], row["published_at"], row["headline"])
    return row


def _notes(story_id: int, up_to: int) -> tuple[list[Note], int]:
    """What a story page shows of the notes of versions 2..up_to, and how many
    corrections, clarifications and editor's notes there are in all.

    The notes are, newest first: the latest ``TOP_NOTES_SHOWN`` prominent ones, the
    latest update and the latest version that was not a minor edit (its time is the
    "Updated" time). One query, metadata only, of a size that does not grow with the
    record: each part is a short walk back along the (story, kind, number) index.

    Written as SQL (``NOTES_SQL``) rather than with the ORM: every uncached story page
    runs it, and the ORM took about 2 ms to compile its three limited subqueries, a
    count and an EXISTS, against 0.15 ms to run it; the statement is standard SQL that
    SQLite and PostgreSQL plan alike. ``tests/test_reader_long_records.py`` pins what
    it returns.
    """
    prominent = sorted(PROMINENT_KINDS)
    not_updates = [RevisionKind.MINOR, RevisionKind.FIRST]
    params = [
        *(story_id, up_to, *prominent),  # the count
        *(story_id, up_to, *prominent, TOP_NOTES_SHOWN),
        *(story_id, up_to, RevisionKind.UPDATE),
        *(story_id, up_to, *not_updates),
    ]
    rows = list(Revision.objects.raw(_notes_sql(), params))
    found = [
        Note(row.number, row.kind, row.public_note, row.published_at, bool(row.reader_prompted))
        for row in rows
    ]
    return found, rows[0].prominent_total if rows else 0


@cache
def _notes_sql() -> str:
    quote = connection.ops.quote_name  # double quotes on SQLite and PostgreSQL alike
    revisions = quote(Revision._meta.db_table)
    reports = quote(ErrorReport._meta.db_table)
    kinds = ", ".join(["%s"] * len(PROMINENT_KINDS))
    among = f"FROM {revisions} v WHERE v.story_id = %s AND v.number > 1 AND v.number <= %s"
    return f"""
        SELECT r.id, r.number, r.kind, r.public_note, r.published_at,
            EXISTS (SELECT 1 FROM {reports} e WHERE e.resolved_by_id = r.id)
                AS reader_prompted,
            (SELECT COUNT(*) {among} AND v.kind IN ({kinds})) AS prominent_total
        FROM {revisions} r
        WHERE r.id IN (SELECT v.id {among} AND v.kind IN ({kinds})
                       ORDER BY v.number DESC LIMIT %s)
           OR r.id IN (SELECT v.id {among} AND v.kind = %s ORDER BY v.number DESC LIMIT 1)
           OR r.id IN (SELECT v.id {among} AND v.kind NOT IN (%s, %s)
                       ORDER BY v.number DESC LIMIT 1)
        ORDER BY r.number DESC
    """


# -- one story: its pages ------------------------------------------------------------------


@dataclass
class StoryPage:
    """Everything a story page shows, for one version (the live one, an older one, or
    an unsaved preview of the working copy)."""

    slug: str
    version: Version
    latest_number: int
    published_at: datetime | None
    updated_at: datetime | None
    #: The latest notes (see ``_notes``), newest first: not all of a long record's.
    notes: list[Note] = field(default_factory=list)
    #: How many corrections, clarifications and editor's notes the version shown has.
    top_notes_total: int = 0
    is_preview: bool = False

    @property
    def url(self) -> str:
        return story_url(self.slug)

    @property
    def is_current(self) -> bool:
        return self.is_preview or self.version.number == self.latest_number

    @property
    def byline_credits(self) -> list[PublicCredit]:
        return [credit for credit in self.version.credits if credit.role == CreditRole.BYLINE]

    @property
    def tagline_credits(self) -> list[PublicCredit]:
        return [credit for credit in self.version.credits if credit.role == CreditRole.CONTRIBUTED]

    @property
    def other_credits(self) -> list[tuple[str, list[PublicCredit]]]:
        """Photography, graphics, editing...: (role label, credits), in credit order."""
        groups: dict[str, list[PublicCredit]] = {}
        for credit in self.version.credits:
            if credit.role not in (CreditRole.BYLINE, CreditRole.CONTRIBUTED):
                groups.setdefault(credit.role_label, []).append(credit)
        return list(groups.items())

    @property
    def top_notes(self) -> list[Note]:
        """The latest corrections, clarifications and editor's notes, newest first."""
        return [note for note in self.notes if note.is_prominent]

    @property
    def more_top_notes(self) -> bool:
        """Whether there are more of them than the page shows (a link leads to all)."""
        return self.top_notes_total > len(self.top_notes)

    @property
    def all_top_notes_url(self) -> str:
        return corrections_history_url(self.slug)

    @property
    def update_note(self) -> Note | None:
        """The latest update's note, shown at the foot."""
        return next((note for note in self.notes if note.kind == RevisionKind.UPDATE), None)

    @property
    def corrections_and_clarifications(self) -> list[Note]:
        """What schema.org's ``correction`` lists (the latest ones, as the page shows):
        the Trust Project counts a clarification as a correction, as our corrections
        page does."""
        return [note for note in self.notes if note.kind in CORRECTION_KINDS]

    @property
    def modified_at(self) -> datetime | None:
        """The time shown as "Updated", else the publication time (dateModified)."""
        return self.updated_at or self.published_at


def _page(row: Mapping, shown: Version, page_notes: tuple[list[Note], int]) -> StoryPage:
    # "Updated" is the newest non-minor version after the first, up to the one shown.
    latest_notes, top_notes_total = page_notes
    return StoryPage(
        slug=row["story__slug"],
        version=shown,
        latest_number=row["number"],
        published_at=row["story__first_published_at"],
        updated_at=latest_notes[0].published_at if latest_notes else None,
        notes=[note for note in latest_notes if note.kind in NOTE_KINDS],
        top_notes_total=top_notes_total,
    )


def story_page(slug: str) -> StoryPage:
    """The live story page. ``Http404`` if never published, ``StoryWithdrawn`` if withdrawn."""
    row = _latest(slug, *VERSION_FIELDS)
    return _page(row, version(row), _notes(row["story_id"], row["number"]))


def revision_page(slug: str, number: int) -> StoryPage:
    """Version ``number`` exactly as readers saw it, with the notes it had then."""
    row = _latest(slug, *VERSION_FIELDS)
    latest = row["number"]
    if not 1 <= number <= latest:
        raise Http404(f"This story has no version {number}; it has {latest}.")
    shown = row
    if number != latest:
        shown = Revision.objects.filter(story_id=row["story_id"], number=number)
        shown = shown.values(*VERSION_FIELDS).get()
    return _page(row, version(shown), _notes(row["story_id"], number))


def preview_page(story: Story, snapshot: dict) -> StoryPage:
    """The working copy in the public template, as the version it would become (staff
    only). ``snapshot`` is ``publishing.snapshot_story(story)``. The notes are the
    published ones: the note of the next publish is not written yet."""
    latest = story.latest_revision
    number = (latest.number + 1) if latest else 1
    shown = version(
        {
            **snapshot,
            **figures.picture_fields(snapshot.get("picture")),
            "number": number,
            "kind": RevisionKind.UPDATE if latest else RevisionKind.FIRST,
            "published_at": timezone.now(),
        }
    )
    page_notes, top_notes_total = _notes(story.pk, latest.number) if latest else ([], 0)
    return StoryPage(
        slug=story.slug,
        version=shown,
        latest_number=latest.number if latest else 0,
        published_at=story.first_published_at,
        updated_at=page_notes[0].published_at if page_notes else None,
        notes=[note for note in page_notes if note.kind in NOTE_KINDS],
        top_notes_total=top_notes_total,
        is_preview=True,
    )


def history_url(slug: str) -> str:
    return reverse("reader:history", kwargs={"slug": slug})


def corrections_history_url(slug: str) -> str:
    """The story's history, its corrections, clarifications and editor's notes only."""
    name, value = CORRECTIONS_FILTER
    return f"{history_url(slug)}?{name}={value}"


def history_position_url(slug: str, latest: int, number: int) -> str:
    """The page of the story's (newest first) history that lists version ``number``."""
    page = (latest - number) // HISTORY_PER_PAGE + 1
    query = f"?page={page}" if page > 1 else ""
    return f"{history_url(slug)}{query}#version-{number}"


def history_page(
    slug: str, number: int, *, corrections_only: bool = False
) -> tuple[StoryCard, CardPage]:
    """A page of the story's published versions, newest first (``corrections_only``:
    its corrections, clarifications and editor's notes). Who published is not shown;
    nor is a minor edit's internal reason. A withdrawn story's list stays public (numbers,
    kinds, times, public notes: the record the withdrawal promised), not its text."""
    row = _latest(slug, withdrawn_ok=True)
    versions = Revision.objects.filter(story_id=row["story_id"])
    if corrections_only:
        versions = versions.filter(kind__in=PROMINENT_KINDS)
        count = versions.count()  # from the (story, kind, number) index alone
    else:
        count = row["number"]  # versions are numbered from 1 without gaps
    versions = (
        with_previous_image(with_reader_prompted(versions))
        .order_by("-number")
        .values_list(
            *HISTORY_FIELDS,
            *IMAGE_HISTORY_FIELDS,
            *(f"previous_{index}" for index in range(len(IMAGE_HISTORY_FIELDS))),
        )
    )
    if not corrections_only:
        versions = NumberedVersions(versions, latest=count)
    return story_card(row), paginate(versions, number, HISTORY_PER_PAGE, history_entries, count)


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
    def previous_pair(self) -> tuple[int, int] | None:
        """The change before this one, when comparing one change (n-1, n)."""
        if self.is_adjacent and self.old.number > 1:
            return (self.old.number - 1, self.old.number)
        return None

    @property
    def next_pair(self) -> tuple[int, int] | None:
        if self.is_adjacent and self.new.number < self.story.versions:
            return (self.new.number, self.new.number + 1)
        return None

    @property
    def with_current(self) -> tuple[int, int] | None:
        """The old version against the current one, when this is not that already."""
        if self.new.number < self.story.versions:
            return (self.old.number, self.story.versions)
        return None


class BadComparison(Http404):
    pass


def comparison(slug: str, old: int, new: int) -> Comparison:
    """Word-level differences between versions ``old`` < ``new`` of a live story."""
    row = _latest(slug)
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
        .values_list(*NOTE_FIELDS, "reader_prompted")[:COMPARISON_NOTES_SHOWN]
    )
    return Comparison(
        story=story_card(row),
        old=versions[old],
        new=versions[new],
        diff=compare_snapshots(versions[old].snapshot(), versions[new].snapshot()),
        notes=notes(list(latest_between)[::-1]),
    )


# -- corrections -----------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionEntry(KindLabel):
    """A correction or clarification as the corrections page and feed list it."""

    story_pk: int
    slug: str
    headline: str
    number: int
    kind: str
    text: str
    published_at: datetime
    reader_prompted: bool = False
    #: The story was withdrawn since: the correction stays on record, its text does not.
    withdrawn: bool = False

    @property
    def story_url(self) -> str:
        return story_url(self.slug)

    @property
    def compare_url(self) -> str:
        return reverse(
            "reader:compare",
            kwargs={"slug": self.slug, "old": self.number - 1, "new": self.number},
        )

    @property
    def record_url(self) -> str:
        """Where to see the change: the comparison, or a withdrawn story's history."""
        if self.withdrawn:
            return reverse("reader:history", kwargs={"slug": self.slug})
        return self.compare_url


def public_changes(kinds, *, reader_prompted_only: bool = False):
    """Versions of the given kinds of every story readers have seen, newest first.

    A story withdrawn since keeps its corrections on the record (the withdrawal promises
    that its history stays public); the headline is the one readers last saw.
    """
    revisions = with_reader_prompted(
        Revision.objects.filter(story__latest_revision__isnull=False)
    ).filter(kind__in=kinds, number__gt=1)
    if reader_prompted_only:
        revisions = revisions.filter(reader_prompted=True)
    return (
        revisions.order_by("-published_at", "-pk")
        .annotate(
            story_withdrawn=ExpressionWrapper(
                Q(story__status=Story.Status.WITHDRAWN), output_field=BooleanField()
            )
        )
        .values_list(
            "story_id",
            "story__slug",
            "story__latest_revision__headline",
            "number",
            "kind",
            "public_note",
            "published_at",
            "reader_prompted",
            "story_withdrawn",
        )
    )


def correction_entries(rows) -> list[CorrectionEntry]:
    return [CorrectionEntry(*row) for row in rows]


def corrections_page(number: int, *, reader_prompted_only: bool = False) -> CardPage:
    changes = public_changes(CORRECTION_KINDS, reader_prompted_only=reader_prompted_only)
    return paginate(changes, number, CORRECTIONS_PER_PAGE, correction_entries)


def latest_public_changes(limit: int) -> list[CorrectionEntry]:
    """Every non-minor version after the first (updates, corrections...), for the feed."""
    kinds = [RevisionKind.UPDATE, *sorted(PROMINENT_KINDS)]
    return correction_entries(public_changes(kinds)[:limit])
