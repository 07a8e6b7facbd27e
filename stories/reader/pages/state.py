"""A story's cheap state: the few columns that decide its pages' ETag, Last-Modified and
cache key, read in one small query before (or instead of) building a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery

from stories.models import ContentRemoval, Story


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
