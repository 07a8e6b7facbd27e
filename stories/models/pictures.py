"""Pictures as the site serves them: stored once under their content hash, never changed."""

from __future__ import annotations

from django.db import models

from .base import AppendOnlyModel, ImmutableRowError


class ImmutablePictureError(ImmutableRowError):
    pass


class Picture(AppendOnlyModel):
    """A picture as the site serves it, stored once under its content hash.

    Made by ``stories.media.pictures`` from an upload checked by ``stories.media.images``: the
    original (re-encoded without metadata) and its renditions are written to the
    default storage under names derived from ``sha256``, so a new upload never
    overwrites a file an earlier version points to, and the same picture uploaded twice
    is one row with one set of files. Never changed or deleted (database triggers refuse
    it, as for published versions): a published version's hash covers its ``sha256``
    and its size.
    """

    sha256 = models.CharField(
        "SHA-256", max_length=64, unique=True, help_text="Of the original file as served."
    )
    original = models.CharField(max_length=255, help_text="The original's name in the storage.")
    content_type = models.CharField(max_length=30)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(help_text="The original's size in bytes.")
    renditions = models.JSONField(
        default=list,
        help_text='Responsive sizes, made once: [{"width", "height", "type", "name"}].',
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    ImmutableError = ImmutablePictureError
    REFUSED_CHANGE = "A stored picture never changes: upload a new one."
    REFUSED_DELETE = "Stored pictures are never deleted: versions may show them."

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"Picture {self.sha256[:12]} ({self.width} × {self.height})"

    @property
    def files(self) -> list[str]:
        """The names of its files in the storage: the original, then the renditions."""
        return [self.original, *(rendition["name"] for rendition in self.renditions or [])]


def image_snapshot(picture, alt: str, caption: str, credit: str) -> dict | None:
    """What a version publishes of its lead image, and what its hash covers: the
    original's content hash and size, the alt text, caption and credit (``None``
    without a picture)."""
    if picture is None:
        return None
    return {
        "sha256": picture.sha256,
        "width": picture.width,
        "height": picture.height,
        "alt": alt,
        "caption": caption,
        "credit": credit,
    }
