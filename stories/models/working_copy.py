"""The working copy: sections, contributors, stories and their ordered credits, and where
an imported story came from. Editors change these freely; readers never see them (reader
pages read published versions, ``stories.models.versions``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricForeignKey

from stories.content.credits import format_byline, format_photo_credit, format_tagline
from stories.content.kinds import CreditRole

from .base import (
    LinkedFromPublishedVersions,
    PublicSlugMixin,
    SkipUnchangedSavesMixin,
    history,
    refuse_public_slug_change,
)
from .pictures import Picture


class Section(LinkedFromPublishedVersions):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    PUBLIC_FIELDS = ("name", "slug", "description")

    history = history()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("reader:section", kwargs={"slug": self.slug})

    def slug_is_public(self, slug: str | None = None) -> bool:
        """Whether any published version links to this section's address."""
        from .versions import Revision  # versions import this module

        return Revision.objects.filter(section_slug=slug or self.slug).exists()


class Contributor(LinkedFromPublishedVersions):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    affiliation = models.CharField(
        max_length=200,
        blank=True,
        help_text='The outlet as named in prose, e.g. "the Coastal Ledger". Blank for staff.',
    )
    bio = models.TextField("short bio", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributor",
        help_text="The staff account of this contributor, if any.",
    )

    PUBLIC_FIELDS = ("name", "slug", "affiliation", "bio")

    history = history()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name

    def get_absolute_url(self):
        return reverse("reader:contributor", kwargs={"slug": self.slug})

    def slug_is_public(self, slug: str | None = None) -> bool:
        """Whether any published version (live or not) credits this contributor's address."""
        from .versions import Revision  # versions import this module

        return Revision.objects.crediting(slug or self.slug).exists()


def public_story(prefix: str = "") -> models.Q:
    """The one definition of a story readers can read: published and not withdrawn.

    ``prefix`` reaches the story through a relation (``"story__"`` from a revision).
    """
    return models.Q(
        **{f"{prefix}status": Story.Status.PUBLISHED, f"{prefix}latest_revision__isnull": False}
    )


class StoryQuerySet(models.QuerySet):
    def public(self):
        """Stories readers can read (``public_story``)."""
        return self.filter(public_story())


class Story(PublicSlugMixin, SkipUnchangedSavesMixin):
    """The working copy of a story. Editors change it freely; readers never see it.

    Its publishing state (status, public times, the pointer to the live version) is
    written by ``stories.publishing`` only; ``stories.editing`` keeps it as stored.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    public_id = models.UUIDField(
        "permanent id",
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Never changes: every version's hash covers it (stories/record/integrity.py).",
    )
    headline = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200, unique=True, help_text="Part of the public URL; fixed once published."
    )
    dek = models.CharField(
        "summary (dek)", max_length=300, blank=True, help_text="One sentence under the headline."
    )
    body = models.TextField(blank=True, help_text="Markdown. Paragraphs separated by a blank line.")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="stories")
    dateline = models.CharField(max_length=100, blank=True, help_text='e.g. "PORT HAVEN"')
    picture = models.ForeignKey(
        Picture,
        verbose_name="lead image",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    image_alt = models.CharField(
        "alt text",
        max_length=300,
        blank=True,
        help_text="What the picture shows, for readers who cannot see it. Required with a picture.",
    )
    image_caption = models.CharField(
        "caption",
        max_length=500,
        blank=True,
        help_text="Shown under the picture. The photo credit comes from the Photography credits.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField("scheduled publish time", null=True, blank=True)
    scheduled_edit = models.PositiveIntegerField(
        "approved edit",
        null=True,
        blank=True,
        help_text="The edit of the working copy the editor approved when scheduling: "
        "it is published at the scheduled time, or nothing is.",
    )
    first_published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        "public “Updated” time",
        null=True,
        blank=True,
        help_text="Time of the last non-minor revision.",
    )
    latest_revision = models.ForeignKey(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    edit_number = models.PositiveIntegerField(
        "edit",
        default=1,
        help_text="Counts the working copy's saves: a form carries the edit it was opened "
        "on, and a save or publish from an older one is refused. Not a published version.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = history()
    objects = StoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "stories"
        ordering = ["-modified_at"]
        permissions = [
            ("publish_story", "Can publish stories and their updates"),
            ("withdraw_story", "Can withdraw published stories"),
        ]
        indexes = [models.Index(fields=["status", "-first_published_at"])]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return reverse("reader:story", kwargs={"slug": self.slug})

    # -- states, named for what they mean ---------------------------------------------

    @property
    def has_published_version(self) -> bool:
        """Published at least once (withdrawn or not): its versions are a public record."""
        return self.latest_revision_id is not None

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.SCHEDULED

    @property
    def changed_since_scheduled(self) -> bool:
        """Scheduled, but the working copy moved after the editor approved it: it will not
        be published until someone reviews it and schedules it again."""
        return self.is_scheduled and self.edit_number != self.scheduled_edit

    @property
    def is_public(self) -> bool:
        """Readers can read it now: published and not withdrawn."""
        return self.has_published_version and not self.is_withdrawn

    @property
    def can_publish(self) -> bool:
        """A first publication or an update may be published (never after a withdrawal)."""
        return not self.is_withdrawn

    @property
    def can_withdraw(self) -> bool:
        return self.is_public

    @property
    def can_delete(self) -> bool:
        """Only a story readers have never seen may be deleted; the rest is withdrawn."""
        return not self.has_published_version

    def slug_is_public(self, slug: str | None = None) -> bool:
        return Story.objects.filter(
            slug=slug or self.slug, first_published_at__isnull=False
        ).exists()

    def clean(self):
        super().clean()
        if self.picture_id is not None and not self.image_alt.strip():
            raise ValidationError(
                {
                    "image_alt": "Describe the picture for readers who cannot see it: a lead "
                    "image needs alt text."
                }
            )
        try:
            refuse_public_slug_change(self)
        except ValidationError as error:
            raise ValidationError(
                {"slug": "The slug of a published story cannot change: its URL is public."}
            ) from error

    def before_changed_save(self):
        refuse_public_slug_change(self)
        if "public_id" in (self.changed_fields() or []):
            raise ValidationError(
                {
                    "public_id": "A story's permanent id never changes: its versions' hashes cover it."
                }
            )
        # Scheduling records the edit the editor approved; its own save (status and
        # time only) must not move the edit number, or every scheduled story would look
        # changed. ``publishing.schedule`` and ``unschedule`` set ``_keep_edit_number``.
        if not self._state.adding and not getattr(self, "_keep_edit_number", False):
            # Count from the stored row, not this object: a history revert starts from an
            # old edit number and must still move past every edit an editor loaded.
            stored = Story.objects.filter(pk=self.pk).values_list("edit_number", flat=True).first()
            self.edit_number = (stored or self.edit_number) + 1
        if self.body:
            self.body = self.body.replace("\r\n", "\n")

    def has_unsaved_changes(self) -> bool:
        # Browsers submit textareas with CRLF; that alone is not a change.
        if self.body:
            self.body = self.body.replace("\r\n", "\n")
        return super().has_unsaved_changes()

    def ordered_credits(self) -> list[Credit]:
        """The credits in order, with their contributors (one query)."""
        credits = self.credits.select_related("contributor")
        return sorted(credits, key=lambda credit: (credit.position, credit.pk or 0))

    def byline(self, credits: list[Credit] | None = None) -> str:
        credits = self.ordered_credits() if credits is None else credits
        return format_byline(c.contributor.name for c in credits if c.role == CreditRole.BYLINE)

    def tagline(self, credits: list[Credit] | None = None) -> str:
        credits = self.ordered_credits() if credits is None else credits
        return format_tagline(
            (c.contributor.name, c.credited_affiliation)
            for c in credits
            if c.role == CreditRole.CONTRIBUTED
        )

    def photo_credit(self, credits: list[Credit] | None = None) -> str:
        credits = self.ordered_credits() if credits is None else credits
        return format_photo_credit(
            (c.contributor.name, c.credited_affiliation)
            for c in credits
            if c.role == CreditRole.PHOTOGRAPHY
        )


class Credit(SkipUnchangedSavesMixin):
    """One contributor credited on one story, in order."""

    story = HistoricForeignKey(Story, on_delete=models.CASCADE, related_name="credits")
    contributor = models.ForeignKey(Contributor, on_delete=models.PROTECT, related_name="credits")
    role = models.CharField(max_length=20, choices=CreditRole.choices, default=CreditRole.BYLINE)
    affiliation = models.CharField(
        "affiliation as credited",
        max_length=200,
        blank=True,
        help_text="Leave blank to use the contributor's own affiliation.",
    )
    position = models.PositiveIntegerField(default=0)

    history = history(timeline_of="story")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["story", "contributor", "role"], name="unique_credit_per_role"
            ),
        ]

    def __str__(self):
        return f"{self.contributor.name}, {self.get_role_display().lower()}"

    @property
    def credited_affiliation(self) -> str:
        return self.affiliation or self.contributor.affiliation


class StorySource(models.Model):
    """Where an imported story came from: written once by ``stories.interchange.importing``.

    The hash of the parsed text makes imports idempotent (the same text again is
    "unchanged"; different text under the same slug is refused, never overwritten). The
    notes found in the file are kept so a story imported as a draft still carries them.
    Never edited afterwards, so it keeps no history of its own: the story's history row
    "Imported from FILE" records who imported it and when.
    """

    story = models.OneToOneField(Story, on_delete=models.CASCADE, related_name="source")
    filename = models.CharField(max_length=255, help_text="The file's name, without its folder.")
    content_hash = models.CharField(
        max_length=64,
        db_index=True,
        help_text="SHA-256 of the parsed story (stories.interchange.importing).",
    )
    notes = models.JSONField(
        default=list, blank=True, help_text='The file\'s notes, in order: [{"kind", "text"}].'
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self):
        return f"{self.story_id} from {self.filename}"
