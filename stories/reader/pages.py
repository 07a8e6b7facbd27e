"""What reader pages show, read from published revisions only.

Views, feeds, sitemaps and the structured-data builder call these functions and get
plain objects back (``StoryCard``, ``StoryPage``, ``Note``...) built from ``Revision``
rows and the story's public pointers (slug, first publication, last update). Templates
never receive a ``Story`` object, so no template can reach the working copy by accident:
a draft sentence has no path to a public page.

Each function runs a small, fixed number of queries whatever the number of credits or
revisions (the story page: one for the story and its live revision, one for its notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from stories.kinds import PROMINENT_KINDS, CreditRole, RevisionKind
from stories.models import Contributor, Revision, Section, Story

from . import caching

#: Stories per page on the home, section and contributor pages.
STORIES_PER_PAGE = 20
#: Rows per page of a story's public history.
HISTORY_PER_PAGE = 50
#: Corrections per page on the corrections page.
CORRECTIONS_PER_PAGE = 30

#: Kinds whose public note is shown on the story page (prominent ones at the top, the
#: latest update at the foot).
NOTE_KINDS = [RevisionKind.UPDATE, *sorted(PROMINENT_KINDS)]
#: Kinds listed on the corrections page and in the corrections feed's titles.
CORRECTION_KINDS = [RevisionKind.CORRECTION, RevisionKind.CLARIFICATION]

#: The card fields of a live story: its public pointers and its live revision's summary.
_CARD_FIELDS = (
    "pk", "slug", "first_published_at", "updated_at", "latest_revision__number",
    "latest_revision__headline", "latest_revision__dek", "latest_revision__byline",
    "latest_revision__section_name", "latest_revision__section_slug",
    "latest_revision__published_at",
)  # fmt: skip


class StoryWithdrawn(Exception):
    """The story was published, then withdrawn: its URL answers 410 with the note."""

    def __init__(self, slug: str, note: str, withdrawn_at: datetime | None):
        super().__init__(note)
        self.slug = slug
        self.note = note
        self.withdrawn_at = withdrawn_at


def absolute_url(path: str) -> str:
    """The canonical address of a path on the publication's site (PUBLICATION_URL)."""
    return settings.PUBLICATION_URL.rstrip("/") + path


def story_url(slug: str) -> str:
    return reverse("reader:story", kwargs={"slug": slug})


def contributor_url(slug: str) -> str:
    return reverse("reader:contributor", kwargs={"slug": slug})


def live_stories():
    """Stories readers can see: published and not withdrawn, newest first."""
    return Story.objects.filter(
        status=Story.Status.PUBLISHED, latest_revision__isnull=False
    ).order_by("-first_published_at", "-pk")


def site_version() -> str:
    """What the cache key of a page listing stories depends on.

    The cache generation (bumped when a revision is published) and the newest revision's
    id, read from the same database as the page's content: with a read replica that lags
    behind the publish, the page rendered from it is keyed as the older state it shows,
    and the next request after the replica catches up renders afresh.
    """
    newest = Revision.objects.order_by("-pk").values_list("pk", flat=True).first()
    return f"{caching.site_generation()}:{newest or 0}"


# -- cards (lists, feeds, sitemaps) ----------------------------------------------------


@dataclass(frozen=True)
class StoryCard:
    """A live story as lists show it: everything comes from its live revision."""

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


def _card(row: dict) -> StoryCard:
    return StoryCard(
        pk=row["pk"],
        slug=row["slug"],
        headline=row["latest_revision__headline"],
        dek=row["latest_revision__dek"],
        byline=row["latest_revision__byline"],
        section_name=row["latest_revision__section_name"],
        section_slug=row["latest_revision__section_slug"],
        published_at=row["first_published_at"],
        updated_at=row["updated_at"],
        modified_at=row["latest_revision__published_at"],
        versions=row["latest_revision__number"],
    )


def story_cards(queryset) -> list[StoryCard]:
    return [_card(row) for row in queryset.values(*_CARD_FIELDS)]


def latest_cards(limit: int, section_slug: str | None = None) -> list[StoryCard]:
    stories = live_stories()
    if section_slug is not None:
        stories = stories.filter(latest_revision__section_slug=section_slug)
    return story_cards(stories[:limit])


@dataclass
class CardPage:
    """One page of a paginated list, with the cards of that page."""

    page: object  # django.core.paginator.Page
    cards: list


def paginate(queryset, number: int, per_page: int, to_items=story_cards) -> CardPage:
    """The ``number``-th page; ``Http404`` beyond the last page (not silently page 1)."""
    paginator = Paginator(queryset, per_page, allow_empty_first_page=True)
    try:
        page = paginator.page(number)
    except InvalidPage:
        raise Http404(f"There is no page {number} here.") from None
    return CardPage(page, to_items(page.object_list))


def home_page(number: int) -> CardPage:
    return paginate(live_stories(), number, STORIES_PER_PAGE)


def public_section(slug: str) -> Section:
    """A section with at least one live story; ``Http404`` otherwise.

    A section nobody has published in yet may exist only for a story in preparation;
    its name is not public until the first story in it is.
    """
    section = Section.objects.filter(slug=slug).first()
    if section is None or not live_stories().filter(latest_revision__section_slug=slug).exists():
        raise Http404("There is no section at this address.")
    return section


def section_page(slug: str, number: int) -> tuple[Section, CardPage]:
    section = public_section(slug)
    stories = live_stories().filter(latest_revision__section_slug=slug)
    return section, paginate(stories, number, STORIES_PER_PAGE)


def section_links() -> list[tuple[str, str]]:
    """(name, slug) of every section with at least one live story, by name."""
    rows = (
        live_stories()
        .order_by()
        .values_list("latest_revision__section_name", "latest_revision__section_slug")
        .distinct()
    )
    return sorted(set(rows), key=lambda row: row[0].casefold())


# -- contributors ----------------------------------------------------------------------


def credited_stories(slug: str):
    """Live stories whose live revision credits the contributor ``slug`` (any role).

    Credits are read from the published revisions, so a credit that exists only in a
    draft never shows.
    """
    return live_stories().filter(latest_revision__in=Revision.objects.crediting(slug))


def contributor_page(slug: str, number: int) -> tuple[Contributor, CardPage]:
    """A contributor and their live stories; 404 unless at least one story is live."""
    contributor = Contributor.objects.filter(slug=slug).first()
    if contributor is None:
        raise Http404("There is no contributor at this address.")
    listing = paginate(credited_stories(slug), number, STORIES_PER_PAGE)
    if listing.page.paginator.count == 0:
        # Credited only on drafts (or on nothing): readers have nothing to see yet.
        raise Http404("There is no contributor at this address.")
    return contributor, listing


# -- the story page --------------------------------------------------------------------


@dataclass(frozen=True)
class StoryState:
    """The few columns that decide a story page's ETag, Last-Modified and cache key."""

    pk: int
    status: str
    revision_id: int | None
    number: int | None
    content_hash: str
    modified_at: datetime | None

    @property
    def is_live(self) -> bool:
        return self.revision_id is not None

    @property
    def etag(self) -> str:
        return f"{self.pk}-{self.number}-{self.content_hash[:16]}"


def story_state(slug: str) -> StoryState | None:
    row = (
        Story.objects.filter(slug=slug)
        .values(
            "pk",
            "status",
            "latest_revision_id",
            "latest_revision__number",
            "latest_revision__content_hash",
            "latest_revision__published_at",
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
    )


class KindLabel:
    """What readers call a revision's kind ("Correction", "Minor edit")."""

    kind: str

    @property
    def label(self) -> str:
        return RevisionKind(self.kind).label


@dataclass(frozen=True)
class Note(KindLabel):
    """A public note of one revision: a correction, clarification, editor's note or update."""

    number: int
    kind: str
    text: str
    published_at: datetime

    @property
    def is_prominent(self) -> bool:
        return self.kind in PROMINENT_KINDS


@dataclass(frozen=True)
class PublicCredit:
    name: str
    slug: str
    role: str
    affiliation: str

    @property
    def url(self) -> str:
        return contributor_url(self.slug)

    @property
    def role_label(self) -> str:
        try:
            return CreditRole(self.role).label
        except ValueError:
            return self.role


@dataclass
class StoryPage:
    """Everything a story page shows, for one revision (the live one, an older one, or
    an unsaved preview of the working copy)."""

    slug: str
    revision: Revision
    latest_number: int
    published_at: datetime | None
    updated_at: datetime | None
    notes: list[Note] = field(default_factory=list)
    is_preview: bool = False

    @property
    def url(self) -> str:
        return story_url(self.slug)

    @property
    def is_current(self) -> bool:
        return self.is_preview or self.revision.number == self.latest_number

    @property
    def credits(self) -> list[PublicCredit]:
        return [
            PublicCredit(
                name=credit.get("name", ""),
                slug=credit.get("slug", ""),
                role=credit.get("role", ""),
                affiliation=credit.get("affiliation", ""),
            )
            for credit in self.revision.credits or []
        ]

    @property
    def byline_credits(self) -> list[PublicCredit]:
        return [credit for credit in self.credits if credit.role == CreditRole.BYLINE]

    @property
    def tagline_credits(self) -> list[PublicCredit]:
        return [credit for credit in self.credits if credit.role == CreditRole.CONTRIBUTED]

    @property
    def other_credits(self) -> list[tuple[str, list[PublicCredit]]]:
        """Photography, graphics, editing...: (role label, credits), in credit order."""
        groups: dict[str, list[PublicCredit]] = {}
        for credit in self.credits:
            if credit.role not in (CreditRole.BYLINE, CreditRole.CONTRIBUTED):
                groups.setdefault(credit.role_label, []).append(credit)
        return list(groups.items())

    @property
    def top_notes(self) -> list[Note]:
        """Corrections, clarifications and editor's notes, newest first."""
        return [note for note in self.notes if note.is_prominent]

    @property
    def update_note(self) -> Note | None:
        """The latest update's note, shown at the foot."""
        return next((note for note in self.notes if note.kind == RevisionKind.UPDATE), None)

    @property
    def corrections(self) -> list[Note]:
        return [note for note in self.notes if note.kind == RevisionKind.CORRECTION]

    @property
    def modified_at(self) -> datetime | None:
        """The time shown as "Updated", else the publication time (dateModified)."""
        return self.updated_at or self.published_at


def _live_story(slug: str) -> Story:
    # Only the story's public pointers: the working copy's content is never loaded here.
    story = (
        Story.objects.select_related("latest_revision")
        .only("slug", "status", "first_published_at", "updated_at", "latest_revision")
        .filter(slug=slug)
        .first()
    )
    if story is None or story.latest_revision is None:
        raise Http404("There is no story at this address.")
    if story.status == Story.Status.WITHDRAWN:
        latest = story.latest_revision
        raise StoryWithdrawn(slug, latest.public_note, latest.published_at)
    return story


def _notes(story_id: int, up_to: int) -> list[Note]:
    """Public notes of revisions 2..up_to, newest first (one query, metadata only)."""
    rows = (
        Revision.objects.filter(story_id=story_id, number__gt=1, number__lte=up_to)
        .exclude(kind__in=[RevisionKind.MINOR, RevisionKind.FIRST])
        .order_by("-number")
        .values_list("number", "kind", "public_note", "published_at")
    )
    return [Note(*row) for row in rows]


def _page(story: Story, revision: Revision, notes: list[Note], **extra) -> StoryPage:
    # "Updated" is the newest non-minor revision after the first, up to this one.
    updated_at = notes[0].published_at if notes else None
    return StoryPage(
        slug=story.slug,
        revision=revision,
        latest_number=story.latest_revision.number if story.latest_revision else 0,
        published_at=story.first_published_at,
        updated_at=updated_at,
        notes=[note for note in notes if note.kind in NOTE_KINDS],
        **extra,
    )


def story_page(slug: str) -> StoryPage:
    """The live story page. ``Http404`` if never published, ``StoryWithdrawn`` if withdrawn."""
    story = _live_story(slug)
    revision = story.latest_revision
    return _page(story, revision, _notes(story.pk, revision.number))


def revision_page(slug: str, number: int) -> StoryPage:
    """Version ``number`` exactly as readers saw it, with the notes it had then."""
    story = _live_story(slug)
    latest = story.latest_revision.number
    if not 1 <= number <= latest:
        raise Http404(f"This story has no version {number}; it has {latest}.")
    if number == latest:
        revision = story.latest_revision
    else:
        revision = Revision.objects.get(story_id=story.pk, number=number)
    return _page(story, revision, _notes(story.pk, number))


def preview_page(story: Story) -> StoryPage:
    """The working copy in the public template, as an unsaved revision (staff only).

    The notes are the published ones: the note of the next publish is not written yet.
    """
    from stories.publishing import snapshot_story

    latest = story.latest_revision
    revision = Revision(
        story=story,
        number=(latest.number + 1) if latest else 1,
        kind=RevisionKind.UPDATE if latest else RevisionKind.FIRST,
        published_at=timezone.now(),
        **snapshot_story(story),
    )
    notes = _notes(story.pk, latest.number) if latest else []
    page = _page(story, revision, notes, is_preview=True)
    page.latest_number = latest.number if latest else 0
    return page


# -- history and comparisons -----------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry(KindLabel):
    number: int
    kind: str
    public_note: str
    published_at: datetime

    @property
    def is_minor(self) -> bool:
        return self.kind == RevisionKind.MINOR


def _history_entries(rows) -> list[HistoryEntry]:
    return [HistoryEntry(*row) for row in rows]


def history_page(slug: str, number: int) -> tuple[StoryCard, CardPage]:
    """A page of the story's published versions, newest first. Who published is not shown;
    nor is a minor edit's internal reason."""
    story = _live_story(slug)
    revisions = (
        Revision.objects.filter(story_id=story.pk)
        .order_by("-number")
        .values_list("number", "kind", "public_note", "published_at")
    )
    return _story_card(story), paginate(revisions, number, HISTORY_PER_PAGE, _history_entries)


def _story_card(story: Story) -> StoryCard:
    live = story.latest_revision
    return StoryCard(
        pk=story.pk,
        slug=story.slug,
        headline=live.headline,
        dek=live.dek,
        byline=live.byline,
        section_name=live.section_name,
        section_slug=live.section_slug,
        published_at=story.first_published_at,
        updated_at=story.updated_at,
        modified_at=live.published_at,
        versions=live.number,
    )


@dataclass
class Comparison:
    story: StoryCard
    old: Revision
    new: Revision
    diffs: list
    notes: list[HistoryEntry]

    @property
    def is_adjacent(self) -> bool:
        return self.new.number == self.old.number + 1


class BadComparison(Http404):
    pass


def comparison(slug: str, old: int, new: int) -> Comparison:
    """Word-level differences between versions ``old`` < ``new`` of a live story."""
    from stories.diffing import compare_snapshots

    story = _live_story(slug)
    latest = story.latest_revision.number
    if old == new:
        raise BadComparison(f"Version {old} compared with itself has no differences.")
    for number in (old, new):
        if not 1 <= number <= latest:
            raise BadComparison(f"This story has no version {number}; it has {latest}.")
    revisions = {
        revision.number: revision
        for revision in Revision.objects.filter(story_id=story.pk, number__in=[old, new])
    }
    notes = (
        Revision.objects.filter(story_id=story.pk, number__gt=old, number__lte=new)
        .order_by("number")
        .values_list("number", "kind", "public_note", "published_at")
    )
    return Comparison(
        story=_story_card(story),
        old=revisions[old],
        new=revisions[new],
        diffs=compare_snapshots(revisions[old].snapshot(), revisions[new].snapshot()),
        notes=_history_entries(notes),
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

    @property
    def story_url(self) -> str:
        return story_url(self.slug)

    @property
    def compare_url(self) -> str:
        return reverse(
            "reader:compare",
            kwargs={"slug": self.slug, "old": self.number - 1, "new": self.number},
        )


def public_changes(kinds):
    """Revisions of live stories of the given kinds, newest first."""
    return (
        Revision.objects.filter(
            kind__in=kinds,
            number__gt=1,
            story__status=Story.Status.PUBLISHED,
        )
        .order_by("-published_at", "-pk")
        .values_list(
            "story_id",
            "story__slug",
            "story__latest_revision__headline",
            "number",
            "kind",
            "public_note",
            "published_at",
        )
    )


def correction_entries(rows) -> list[CorrectionEntry]:
    return [CorrectionEntry(*row) for row in rows]


def corrections_page(number: int) -> CardPage:
    return paginate(
        public_changes(CORRECTION_KINDS), number, CORRECTIONS_PER_PAGE, correction_entries
    )


def latest_public_changes(limit: int) -> list[CorrectionEntry]:
    """Every non-minor revision after the first (updates, corrections...), for the feed."""
    kinds = [RevisionKind.UPDATE, *sorted(PROMINENT_KINDS)]
    return correction_entries(public_changes(kinds)[:limit])
