"""Editorial models: the working copy (Story, Credit), published versions (Revision)
and, through django-simple-history, the audit trail of every save.

Readers never see the working copy: public views render ``Revision`` snapshots only.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.urls import reverse
from simple_history.models import HistoricalRecords, HistoricForeignKey

from stories import audit
from stories.content.credits import format_byline, format_photo_credit, format_tagline
from stories.content.kinds import CreditRole, RevisionKind


class EditorialHistory(HistoricalRecords):
    """simple-history's records, indexed for the question every History page asks: the
    rows of one object (or one story's credits), newest first. Without the index the
    database sorts every row of a long-running story to show the latest fifty."""

    def __init__(self, *, timeline_of: str = "id", **kwargs):
        super().__init__(get_user=audit.history_user, **kwargs)
        self.timeline_of = timeline_of

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        options["indexes"] = (
            models.Index(
                fields=[self.timeline_of, "-history_date", "-history_id"],
                name=f"{model._meta.model_name}_timeline",
            ),
        )
        return options


def history(**kwargs):
    """Every editorial model keeps its history the same way: the user of each row comes
    from the request, else from ``audit.acting_as`` (commands, imports)."""
    return EditorialHistory(**kwargs)


class SkipUnchangedSavesMixin(models.Model):
    """A save that changes nothing writes nothing, so the audit trail holds no noise.

    django-simple-history writes a row on every ``save()``; comparing against the values
    loaded from the database skips those empty saves, and the per-save history user and
    reason are cleared afterwards so they never stick to the next save.
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def save(self, *args, **kwargs):
        try:
            if self.has_unsaved_changes() or kwargs.get("force_insert"):
                self.before_changed_save()
                super().save(*args, **kwargs)
                self._loaded_values = {
                    field.attname: getattr(self, field.attname)
                    for field in self._meta.concrete_fields
                }
        finally:
            for attribute in ("_change_reason", "_history_user", "_keep_version"):
                self.__dict__.pop(attribute, None)

    def changed_fields(self) -> list[str] | None:
        """Names of fields changed since load; ``None`` for a new row.

        An object that was not loaded from the database (a history revert builds one from
        a history row) is compared with the stored row instead.
        """
        if self._state.adding:
            return None
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            loaded = self._stored_values()
            if loaded is None:
                return None
        return [
            field.name
            for field in self._meta.concrete_fields
            if field.attname in loaded
            and not getattr(field, "auto_now", False)
            and getattr(self, field.attname) != loaded[field.attname]
        ]

    def _stored_values(self) -> dict | None:
        if self.pk is None:
            return None
        names = [field.attname for field in self._meta.concrete_fields]
        return type(self)._base_manager.filter(pk=self.pk).values(*names).first()

    def has_unsaved_changes(self) -> bool:
        return self.changed_fields() != []

    def before_changed_save(self):
        """Hook for bookkeeping that belongs only to real changes (version counters)."""


class LinkedFromPublishedVersions(SkipUnchangedSavesMixin):
    """A section or contributor: published versions link to its public address.

    Once they do, its slug never changes, it cannot be deleted (so the address cannot pass
    to someone else), and ``stories.editing`` guards what readers see of it
    (``PUBLIC_FIELDS``).
    """

    #: The fields readers see on its public page.
    PUBLIC_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def slug_is_public(self, slug: str | None = None) -> bool:
        raise NotImplementedError

    def stored_slug(self) -> str | None:
        return type(self)._base_manager.filter(pk=self.pk).values_list("slug", flat=True).first()

    def has_public_address(self) -> bool:
        """Whether published versions link to it (by its slug as stored)."""
        if self.pk is None:
            return False
        stored = self.stored_slug()
        return stored is not None and self.slug_is_public(stored)

    def before_changed_save(self):
        refuse_public_slug_change(self)

    def delete(self, *args, **kwargs):
        if self.has_public_address():
            raise ValidationError(
                f"“{self}” cannot be deleted: published versions link to its address "
                f"“{self.stored_slug()}”, which must never pass to anyone else."
            )
        return super().delete(*args, **kwargs)


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
        return Revision.objects.crediting(slug or self.slug).exists()


def refuse_public_slug_change(obj) -> None:
    """A slug that published versions link to is a public address: it never changes, and
    it is never given to a new row (the impostor who would inherit a live byline's link).

    Checked on every save of a section, contributor or story, whatever the path (admin,
    revert, service, command, shell), against the slug as stored.
    """
    if obj._state.adding:
        taken = type(obj)._base_manager.filter(slug=obj.slug).exists()
        if obj.slug and not taken and obj.slug_is_public(obj.slug):
            raise ValidationError(
                {
                    "slug": f"The address “{obj.slug}” is public: published versions link to it "
                    "(it belonged to someone else), so it cannot be given to a new entry."
                }
            )
        return
    if "slug" not in (obj.changed_fields() or []):
        return
    stored = type(obj)._base_manager.filter(pk=obj.pk).values_list("slug", flat=True).first()
    if stored is not None and stored != obj.slug and obj.slug_is_public(stored):
        raise ValidationError(
            {
                "slug": f"The address “{stored}” is public: published versions link to it, so it cannot change."
            }
        )


class ImmutablePictureError(Exception):
    pass


class Picture(models.Model):
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

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"Picture {self.sha256[:12]} ({self.width} × {self.height})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutablePictureError("A stored picture never changes: upload a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutablePictureError("Stored pictures are never deleted: versions may show them.")


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


#: How a scheduled story whose working copy moved after its approval is named, in the
#: admin and by ``publish_scheduled``.
CHANGED_AFTER_SCHEDULING = "changed after scheduling: review and schedule again"


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


class Story(SkipUnchangedSavesMixin):
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
    scheduled_version = models.PositiveIntegerField(
        "approved version",
        null=True,
        blank=True,
        help_text="The working-copy version the editor approved when scheduling: "
        "publish_scheduled publishes that version or nothing.",
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
    version = models.PositiveIntegerField(default=1)
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
        return self.is_scheduled and self.version != self.scheduled_version

    @property
    def schedule_warning(self) -> str:
        """What the admin says of a scheduled story held back (empty when there is none)."""
        return CHANGED_AFTER_SCHEDULING if self.changed_since_scheduled else ""

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
        # Scheduling records the version the editor approved; its own save (status and
        # time only) must not move that version, or every scheduled story would look
        # changed. ``publishing.schedule`` and ``unschedule`` set ``_keep_version``.
        if not self._state.adding and not getattr(self, "_keep_version", False):
            # Count from the stored row, not this object: a history revert starts from an
            # old version number and must still move past every version an editor loaded.
            stored = Story.objects.filter(pk=self.pk).values_list("version", flat=True).first()
            self.version = (stored or self.version) + 1
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


class RevisionQuerySet(models.QuerySet):
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

    def update(self, **kwargs):
        raise ImmutableRevisionError("Published revisions cannot be changed.")

    def delete(self):
        raise ImmutableRevisionError("Published revisions cannot be deleted.")


class ImmutableRevisionError(Exception):
    pass


class Revision(models.Model):
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

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRevisionError("Published revisions cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRevisionError("Published revisions cannot be deleted.")

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


def diff_snapshot(content) -> dict:
    """What two versions are compared on, from a mapping of revision fields (a revision,
    a publishing snapshot of the working copy, a reader's plain version) whose ``image``
    is an ``image_snapshot``."""
    image = content.get("image") or {}
    return {
        "image": image.get("sha256", ""),
        "image_alt": image.get("alt", ""),
        "image_caption": image.get("caption", ""),
        "image_credit": image.get("credit", ""),
        "headline": content.get("headline", ""),
        "dek": content.get("dek", ""),
        "body": content.get("body", ""),
        "byline": content.get("byline", ""),
        "tagline": content.get("tagline", ""),
        "dateline": content.get("dateline", ""),
        "section": content.get("section_name", ""),
    }


class ContentRemoval(models.Model):
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


# -- the transparency log (stories/record/transparency.py) ------------------------------------


class LogLeaf(models.Model):
    """One published version's hash, appended as leaf ``index`` of the site's Merkle tree
    (RFC 9162) in the transaction that published it. Append-only."""

    index = models.PositiveBigIntegerField(primary_key=True)
    revision = models.OneToOneField(Revision, on_delete=models.PROTECT, related_name="log_leaf")
    entry_hash = models.CharField(
        max_length=64, help_text="The version's hash as appended: the leaf's data."
    )
    appended_at = models.DateTimeField()

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"leaf {self.index}"


class LogNode(models.Model):
    """The root hash of a complete perfect subtree of the log: the ``2**level`` leaves from
    ``index * 2**level`` (level 0: the leaf hashes). Stored once complete, never changed,
    so an append or a proof reads O(log n) rows (stories/record/merkle.py)."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="unique_log_node"),
        ]

    def __str__(self):
        return f"node {self.level}/{self.index}"


class TreeHead(models.Model):
    """A signed head of the log: its size, root hash and time, signed with the site's
    Ed25519 key over RFC 9162's TreeHeadDataV2 (``merkle.tree_head_data``). One per
    append; readers' verifiers keep the last one they checked. Append-only."""

    size = models.PositiveBigIntegerField(primary_key=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.PositiveBigIntegerField(help_text="Milliseconds since the Unix epoch.")
    signature = models.CharField(max_length=128)
    public_key = models.CharField(max_length=64, help_text="The key that signed it, in hex.")

    class Meta:
        ordering = ["size"]

    def __str__(self):
        return f"tree head {self.size}"
