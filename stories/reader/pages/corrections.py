"""The public record of corrections, site-wide: the corrections page and the feed of
updates and corrections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse

from stories.content.kinds import PROMINENT_KINDS, RevisionKind
from stories.models import Revision, Story

from .lists import Listing, paginate
from .story import CORRECTION_KINDS, READER_PROMPTED, KindLabel, with_reader_prompted
from .urls import compare_url, history_url, story_url, with_query

#: Corrections per page on the corrections page.
CORRECTIONS_PER_PAGE = 30
#: ``/corrections/?prompted=reader``: only the corrections readers' reports led to.
READER_PROMPTED_FILTER = ("prompted", "reader")


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
        return compare_url(self.slug, self.number - 1, self.number)

    @property
    def record_url(self) -> str:
        """Where to see the change: the comparison, or a withdrawn story's history."""
        return history_url(self.slug) if self.withdrawn else self.compare_url

    @property
    def reader_prompted_label(self) -> str:
        return READER_PROMPTED if self.reader_prompted else ""


@dataclass
class CorrectionsPage:
    """A page of the corrections list, and the links between its two views."""

    listing: Listing
    reader_prompted_only: bool

    @property
    def all_url(self) -> str:
        return reverse("reader:corrections")

    @property
    def reader_prompted_url(self) -> str:
        return with_query(self.all_url, READER_PROMPTED_FILTER)


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
            withdrawn=ExpressionWrapper(
                Q(story__status=Story.Status.WITHDRAWN), output_field=BooleanField()
            )
        )
        .values(
            "story_id",
            "story__slug",
            "story__latest_revision__headline",
            "number",
            "kind",
            "public_note",
            "published_at",
            "reader_prompted",
            "withdrawn",
        )
    )


def correction_entries(rows) -> list[CorrectionEntry]:
    return [
        CorrectionEntry(
            story_pk=row["story_id"],
            slug=row["story__slug"],
            headline=row["story__latest_revision__headline"],
            number=row["number"],
            kind=row["kind"],
            text=row["public_note"],
            published_at=row["published_at"],
            reader_prompted=bool(row["reader_prompted"]),
            withdrawn=bool(row["withdrawn"]),
        )
        for row in rows
    ]


def corrections_page(number: int, *, reader_prompted_only: bool = False) -> CorrectionsPage:
    changes = public_changes(CORRECTION_KINDS, reader_prompted_only=reader_prompted_only)
    listing = paginate(
        changes,
        number,
        CORRECTIONS_PER_PAGE,
        path=reverse("reader:corrections"),
        filters=(READER_PROMPTED_FILTER,) if reader_prompted_only else (),
        to_items=correction_entries,
    )
    return CorrectionsPage(listing, reader_prompted_only)


def latest_public_changes(limit: int) -> list[CorrectionEntry]:
    """Every non-minor version after the first (updates, corrections...), for the feed."""
    kinds = [RevisionKind.UPDATE, *sorted(PROMINENT_KINDS)]
    return correction_entries(public_changes(kinds)[:limit])
