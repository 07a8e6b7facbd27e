"""A story's page: one published version (the live one or an older one, or the working
copy in the staff-only preview) with the newsroom's latest notes on it.

Everything is read from ``Revision`` rows and the story's public pointers, in a fixed
number of queries however long the record (the live version with the story's pointers,
then its notes): a story corrected thousands of times sends a page of the same size,
its latest few corrections with a link to the rest (``TOP_NOTES_SHOWN``).

What readers are shown of a version is what its hash covers: the byline and tagline are
the stored lines, with links laid over the names (``stories.content.credits``), never
lines written again from the credits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from stories.content.credits import byline_spans, tagline_spans
from stories.content.diffing import diff_snapshot
from stories.content.kinds import PROMINENT_KINDS, CreditRole, RevisionKind
from stories.models import ErrorReport, Revision, Story, image_snapshot

from .. import figures
from ..figures import Figure, Thumbnail
from .lists import CARD_FIELDS
from .urls import compare_url, contributor_url, history_url, report_url, story_url, with_query

#: Corrections, clarifications and editor's notes at the top of a story page, newest
#: first; a link leads to all of them (the story's history, filtered).
TOP_NOTES_SHOWN = 3
#: ``?show=corrections`` on a story's history: only the versions that corrected,
#: clarified or added an editor's note (what the story page's top box lists).
CORRECTIONS_FILTER = ("show", "corrections")

#: Kinds whose public note is shown on the story page (prominent ones at the top, the
#: latest update at the foot).
NOTE_KINDS = [RevisionKind.UPDATE, *sorted(PROMINENT_KINDS)]
#: How the public record marks a change a reader's report led to (no one is named).
READER_PROMPTED = "Prompted by a reader report"
#: Kinds listed on the corrections page and in schema.org's ``correction``.
CORRECTION_KINDS = [RevisionKind.CORRECTION, RevisionKind.CLARIFICATION]

#: What a page shows of one version, beyond its card.
VERSION_FIELDS = (
    "number", "kind", "public_note", "published_at", "headline", "dek", "body",
    "body_html", "byline", "tagline", "credits", "section_name", "section_slug",
    "dateline", "content_hash", "removal__removed_at", "removal__public_note",
    "image_alt", "image_caption", "image_credit", *figures.PICTURE_FIELDS,
)  # fmt: skip


def corrections_history_url(slug: str) -> str:
    """The story's history, its corrections, clarifications and editor's notes only."""
    return with_query(history_url(slug), CORRECTIONS_FILTER)


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
        return history_url(self.slug)


class KindLabel:
    """What readers call a revision's kind ("Correction", "Minor edit")."""

    kind: str

    @property
    def label(self) -> str:
        return RevisionKind(self.kind).label


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


def _linked(text: str, credits: list[PublicCredit], spans) -> SafeString:
    """``text`` as stored, escaped, with each credited name in it a link to its page."""
    parts, position = [], 0
    for start, end, index in spans:
        credit = credits[index]
        parts.append(escape(text[position:start]))
        name = text[start:end]
        parts.append(
            format_html('<a href="{}">{}</a>', credit.url, name) if credit.url else escape(name)
        )
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every piece escaped above


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
    def byline_credits(self) -> list[PublicCredit]:
        return [credit for credit in self.credits if credit.role == CreditRole.BYLINE]

    @property
    def tagline_credits(self) -> list[PublicCredit]:
        return [credit for credit in self.credits if credit.role == CreditRole.CONTRIBUTED]

    @property
    def byline_html(self) -> SafeString:
        """The byline as published (what the hash covers), its names linked."""
        credits = self.byline_credits
        spans = byline_spans(self.byline, [credit.name for credit in credits])
        return _linked(self.byline, credits, spans)

    @property
    def tagline_html(self) -> SafeString:
        """The tagline as published (what the hash covers), its names linked."""
        credits = self.tagline_credits
        pairs = [(credit.name, credit.affiliation) for credit in credits]
        return _linked(self.tagline, credits, tagline_spans(self.tagline, pairs))

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

    slug: str
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
    def reader_prompted_label(self) -> str:
        return READER_PROMPTED if self.reader_prompted else ""

    @property
    def compare_previous_url(self) -> str:
        """Where to see what this version changed (nothing for version 1)."""
        return compare_url(self.slug, self.number - 1, self.number) if self.number > 1 else ""


def with_reader_prompted(revisions):
    """Revisions annotated with ``reader_prompted``: whether a reader's report led to
    them. One fact, no personal data: the reports themselves are never public."""
    return revisions.annotate(
        reader_prompted=Exists(ErrorReport.objects.filter(resolved_by=OuterRef("pk")))
    )


# -- the page --------------------------------------------------------------------------------


@dataclass
class StoryPage:
    """Everything a story page shows, for one version (the live one, an older one, or
    an unsaved preview of the working copy)."""

    slug: str
    version: Version
    latest_number: int
    first_published_at: datetime | None
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
    def history_url(self) -> str:
        return history_url(self.slug)

    @property
    def is_current(self) -> bool:
        return self.is_preview or self.version.number == self.latest_number

    @property
    def compare_with_current_url(self) -> str:
        """An older version against the live one (nothing on the live page)."""
        if self.is_current:
            return ""
        return compare_url(self.slug, self.version.number, self.latest_number)

    @property
    def report_url(self) -> str:
        """The "Report an error" form, about the version shown (not on a preview)."""
        if self.is_preview:
            return ""
        return with_query(report_url(self.slug), ("version", self.version.number))

    @property
    def byline_credits(self) -> list[PublicCredit]:
        return self.version.byline_credits

    @property
    def tagline_credits(self) -> list[PublicCredit]:
        return self.version.tagline_credits

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
        return self.updated_at or self.first_published_at


def _page(row: Mapping, shown: Version, page_notes: tuple[list[Note], int]) -> StoryPage:
    # "Updated" is the newest non-minor version after the first, up to the one shown.
    latest_notes, top_notes_total = page_notes
    return StoryPage(
        slug=row["story__slug"],
        version=shown,
        latest_number=row["number"],
        first_published_at=row["story__first_published_at"],
        updated_at=latest_notes[0].published_at if latest_notes else None,
        notes=[note for note in latest_notes if note.kind in NOTE_KINDS],
        top_notes_total=top_notes_total,
    )


def story_page(slug: str) -> StoryPage:
    """The live story page. ``Http404`` if never published, ``StoryWithdrawn`` if withdrawn."""
    row = latest_version(slug, *VERSION_FIELDS)
    return _page(row, version(row), _notes(row["story_id"], slug, row["number"]))


def revision_page(slug: str, number: int) -> StoryPage:
    """Version ``number`` exactly as readers saw it, with the notes it had then."""
    row = latest_version(slug, *VERSION_FIELDS)
    latest = row["number"]
    if not 1 <= number <= latest:
        raise Http404(f"This story has no version {number}; it has {latest}.")
    shown = row
    if number != latest:
        shown = Revision.objects.filter(story_id=row["story_id"], number=number)
        shown = shown.values(*VERSION_FIELDS).get()
    return _page(row, version(shown), _notes(row["story_id"], slug, number))


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
    page_notes, top_notes_total = _notes(story.pk, story.slug, latest.number) if latest else ([], 0)
    return StoryPage(
        slug=story.slug,
        version=shown,
        latest_number=latest.number if latest else 0,
        first_published_at=story.first_published_at,
        updated_at=page_notes[0].published_at if page_notes else None,
        notes=[note for note in page_notes if note.kind in NOTE_KINDS],
        top_notes_total=top_notes_total,
        is_preview=True,
    )


def latest_version(slug: str, *fields: str, withdrawn_ok: bool = False) -> dict:
    """The story's latest version with its card fields: one query.

    ``Http404`` if the story was never published, ``StoryWithdrawn`` if it was withdrawn
    (unless ``withdrawn_ok``: the history list stays public after a withdrawal). Only
    the story's public pointers are read: never the working copy.
    """
    row = (
        Revision.objects.filter(story__slug=slug, story__latest_revision=F("pk"))
        .values(*CARD_FIELDS, "story__status", "public_note", "published_at", *fields)
        .first()
    )
    if row is None:
        raise Http404("There is no story at this address.")
    if row["story__status"] == Story.Status.WITHDRAWN and not withdrawn_ok:
        raise StoryWithdrawn(slug, row["public_note"], row["published_at"], row["headline"])
    return row


def _notes(story_id: int, slug: str, up_to: int) -> tuple[list[Note], int]:
    """What a story page shows of the notes of versions 2..up_to, and how many
    corrections, clarifications and editor's notes there are in all.

    The notes are, newest first: the latest ``TOP_NOTES_SHOWN`` prominent ones, the
    latest update and the latest version that was not a minor edit (its time is the
    "Updated" time). One query, metadata only, of a size that does not grow with the
    record: each part is a short walk back along the (story, kind, number) index.

    Written as SQL (``_notes_sql``) rather than with the ORM: every uncached story page
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
        Note(
            slug=slug,
            number=row.number,
            kind=row.kind,
            text=row.public_note,
            published_at=row.published_at,
            reader_prompted=bool(row.reader_prompted),
        )
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
