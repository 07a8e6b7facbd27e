"""Published versions: immutable, numbered snapshots of what readers saw, the public
trace of a legal removal of one's content, and the internal record of what it redacted."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.urls import reverse

from stories.content.diffing import diff_snapshot
from stories.content.kinds import RevisionKind

from .base import AppendOnlyModel, AppendOnlyQuerySet, ImmutableRowError, history
from .pictures import Picture, image_snapshot
from .working_copy import Story, public_story


class ImmutableRevisionError(ImmutableRowError):
    pass


class RevisionQuerySet(AppendOnlyQuerySet):
    """Published revisions are a public record: bulk edits and deletes are refused."""

    def live(self):
        """The version readers see of each public story (its latest revision)."""
        return self.filter(public_story("story__"), story__latest_revision=models.F("pk"))

    def crediting(self, contributor_slug: str):
        """Revisions whose credits name the contributor ``contributor_slug`` (any role).

        PostgreSQL answers with JSON containment; elsewhere a text pre-filter narrows the
        rows and the credits are checked exactly.
        """
        if connection.features.supports_json_field_contains:
            return self.filter(credits__contains=[{"slug": contributor_slug}])
        candidates = self.filter(credits__icontains=f'"{contributor_slug}"').values_list(
            "pk", "credits"
        )
        ids = [
            pk
            for pk, credits in candidates
            if any(credit.get("slug") == contributor_slug for credit in credits or [])
        ]
        return self.filter(pk__in=ids)


class Revision(AppendOnlyModel):
    """An immutable, numbered snapshot of what readers saw, taken at each publish."""

    story = models.ForeignKey(Story, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=RevisionKind.choices)
    public_note = models.TextField(blank=True)
    internal_reason = models.TextField(blank=True)
    published_at = models.DateTimeField(db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="published_revisions"
    )

    headline = models.CharField(max_length=200)
    dek = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown source as published.")
    body_html = models.TextField(help_text="Sanitised HTML as published.")
    body_text = models.TextField(
        blank=True,
        editable=False,
        help_text="The text of body_html, for search snippets (derived, not hashed).",
    )
    byline = models.CharField(max_length=500, blank=True)
    tagline = models.TextField(blank=True)
    credits = models.JSONField(default=list)
    section_name = models.CharField(max_length=100)
    section_slug = models.SlugField(max_length=100)
    dateline = models.CharField(max_length=100, blank=True)
    picture = models.ForeignKey(
        Picture, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    image_alt = models.CharField(max_length=300, blank=True)
    image_caption = models.CharField(max_length=500, blank=True)
    image_credit = models.CharField(max_length=500, blank=True)

    previous_hash = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64, unique=True)
    hash_version = models.PositiveSmallIntegerField(
        help_text="Which fields the hash covers (stories/record/integrity.py, PAYLOAD_FIELDS): "
        "set by the publishing service.",
    )

    history = history()
    objects = RevisionQuerySet.as_manager()

    ImmutableError = ImmutableRevisionError
    REFUSED_CHANGE = "Published revisions cannot be changed."
    REFUSED_DELETE = "Published revisions cannot be deleted."

    class Meta:
        ordering = ["story", "number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["story", "number"], name="unique_revision_number"),
        ]
        indexes = [
            # A story's latest corrections, their number, its latest update (the story
            # page) and its history filtered to corrections: read from the index, so a
            # record of thousands of versions costs what a short one does.
            models.Index(fields=["story", "kind", "number"], name="revision_story_kind_number"),
        ]

    def __str__(self):
        return f"{self.headline}: version {self.number} ({self.get_kind_display()})"

    def get_absolute_url(self):
        return reverse("reader:revision", kwargs={"slug": self.story.slug, "number": self.number})

    @property
    def image(self) -> dict | None:
        """The lead image as published (``image_snapshot``): what the hash covers of it."""
        return image_snapshot(self.picture, self.image_alt, self.image_caption, self.image_credit)

    def snapshot(self) -> dict:
        """The published content, in the shape ``diffing.compare_snapshots`` reads."""
        return diff_snapshot({**vars(self), "image": self.image})


class ContentRemoval(AppendOnlyModel):
    """The public trace of a legal removal: the content of a published version was removed
    (``manage.py remove_version_content``), when, and the note readers are shown.

    The version keeps its number, kind, time and hash, and its leaf in the transparency
    log, so the record stays verifiable; only its text is gone. Append-only, like the
    versions themselves (database triggers refuse to change or delete a row).
    """

    revision = models.OneToOneField(Revision, on_delete=models.PROTECT, related_name="removal")
    removed_at = models.DateTimeField()
    public_note = models.TextField(help_text="Shown to readers in the story's history.")
    internal_reason = models.TextField(help_text="The legal ground, for the audit trail.")
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return f"Content of {self.revision} removed {self.removed_at:%Y-%m-%d}"


class Redaction(AppendOnlyModel):
    """The internal record of a legal removal's rewrite of rows (``stories.record.removal``):
    who, when, the legal reason, and exactly which rows and fields it redacted, and which
    picture files it deleted. It names rows, never their content.

    The removal links the audit tables it rewrote again (``stories.record.audit_chain``),
    so the chain verifies; ``verify_revisions`` lists each redaction beside its result.
    Append-only, like the versions (database triggers refuse to change or delete a row).
    """

    story = models.ForeignKey(Story, on_delete=models.PROTECT, related_name="+")
    versions = models.JSONField(default=list, help_text="The numbers of the versions removed.")
    redacted_at = models.DateTimeField()
    redacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(help_text="The legal ground (the removal's internal reason).")
    rows = models.JSONField(
        default=list, help_text='The rows rewritten: [{"table", "id", "fields"}].'
    )
    files = models.JSONField(default=list, help_text="The picture files deleted from storage.")

    class Meta:
        ordering = ["redacted_at", "pk"]

    def __str__(self):
        return f"Redaction of {len(self.rows)} rows, {self.redacted_at:%Y-%m-%d}"
