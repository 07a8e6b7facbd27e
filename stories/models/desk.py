"""The desk: the checking before a version reaches readers, and the talk around it.

- ``Review``: a story submitted for review, its reviewer, due time and priority, and
  the approval, which names the exact edit of the working copy it approves
  (``Story.edit_number``); ``ReviewStep``: each step, with its message (the timeline).
- ``ReviewBypass``: a publish without a second editor's approval (breaking news), with
  its reason, listed for the desk.
- ``Comment``: internal comments, on the whole story or anchored to a field and a passage.
- ``Notification``, ``StoryWatch``: who is told of what, and who muted a story.
- ``SectionEditor``: the editors of a section (a review may go to all of them).
- ``AutosaveDraft``: one person's unsaved changes to one story, kept server-side.
- ``PreviewLink``, ``PreviewVisit``: signed links for an outside approver, and each view.

None of it is public: reader pages read published versions only (``versions``), and no
version's hash covers any of this. Only the services change these rows
(``stories.reviewing``, ``stories.desk``; ``stories.publishing`` closes a review).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .base import history

USER = settings.AUTH_USER_MODEL


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


#: Sort order of priorities in the queue (most pressing first).
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2}


class ReviewState(models.TextChoices):
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    CANCELLED = "cancelled", "Cancelled"
    DONE = "done", "Published"


#: A story has at most one review in these states (``one_open_review_per_story``).
OPEN_REVIEW_STATES = (ReviewState.IN_REVIEW, ReviewState.CHANGES_REQUESTED, ReviewState.APPROVED)


class ReviewPurpose(models.TextChoices):
    """What an approval allows: publishing the working copy (first publication, update,
    correction...; scheduling too), or withdrawing the story."""

    PUBLISH = "publish", "Publish"
    WITHDRAW = "withdraw", "Withdraw"


class ReviewQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_REVIEW_STATES)

    def approval_of(self, story, purpose: str = ReviewPurpose.PUBLISH):
        """The approval of the story's current edit for ``purpose``, ``None`` when there
        is none. Its approver is never the edit's author (``approver_is_not_the_author``)."""
        return (
            self.filter(
                story_id=story.pk,
                purpose=purpose,
                state=ReviewState.APPROVED,
                approved_edit=story.edit_number,
            )
            .exclude(approved_by__isnull=True)
            .first()
        )


class Review(models.Model):
    """One request to check a story before it is published (or withdrawn)."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="reviews")
    purpose = models.CharField(
        max_length=10, choices=ReviewPurpose.choices, default=ReviewPurpose.PUBLISH
    )
    state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.IN_REVIEW
    )
    submitted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_edit = models.PositiveIntegerField(
        help_text="The edit of the working copy submitted (Story.edit_number)."
    )
    message = models.TextField(blank=True, max_length=5000)
    reviewer = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person asked to review, if one was named.",
    )
    reviewer_section = models.ForeignKey(
        "stories.Section",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The section whose editors are asked to review, if one was named.",
    )
    due_at = models.DateTimeField("due", null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_edit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The exact edit approved: any later edit voids the approval.",
    )
    edit_author = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who made the approved edit: never its approver.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    revision = models.ForeignKey(
        "stories.Revision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version published (or the withdrawal) this approval allowed.",
    )

    history = history(timeline_of="story")
    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["story"],
                condition=models.Q(state__in=OPEN_REVIEW_STATES),
                name="one_open_review_per_story",
            ),
            # The two-person rule, kept by the database too: nobody approves their own edit.
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("edit_author")),
                name="approver_is_not_the_author",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "reviewer"], name="review_state_reviewer"),
            models.Index(fields=["state", "reviewer_section"], name="review_state_section"),
            models.Index(fields=["state", "submitted_by"], name="review_state_submitter"),
        ]
        permissions = [
            (
                "publish_without_review",
                "Can publish without a second editor's approval (breaking news), with a reason",
            )
        ]

    def __str__(self):
        return f"Review of story {self.story_id} ({self.get_state_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REVIEW_STATES

    def is_overdue(self, now=None) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < (now or timezone.now())


class ReviewStep(models.Model):
    """One step of a review, in the story's timeline: who did what, on which edit, saying what."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for review"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Requested changes"
        REASSIGNED = "reassigned", "Reassigned"
        CANCELLED = "cancelled", "Cancelled the review"
        PUBLISHED = "published", "Published as approved"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="steps")
    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    edit_number = models.PositiveIntegerField()
    message = models.TextField(blank=True, max_length=5000)

    history = history(timeline_of="story")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["story", "-at"], name="reviewstep_story_at")]

    def __str__(self):
        return f"{self.get_action_display()} (edit {self.edit_number})"


class ReviewBypass(models.Model):
    """A publish, schedule or withdrawal without a second editor's approval, by someone
    with ``stories.publish_without_review``: the reason is required and the desk sees it."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20)
    edit_number = models.PositiveIntegerField()
    revision = models.ForeignKey(
        "stories.Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(max_length=2000)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "publish without review"
        verbose_name_plural = "published without review"

    def __str__(self):
        return f"{self.action} story {self.story_id} without review"


class Comment(models.Model):
    """An internal comment: on the whole story, or anchored to a field and a passage as
    it stood in one edit (``field``, ``quote``, ``position``, ``edit_number``)."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    #: An outside approver's name, given on the signed preview page (no account).
    visitor_name = models.CharField(max_length=100, blank=True)
    preview_link = models.ForeignKey(
        "stories.PreviewLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=5000)
    field = models.CharField(max_length=20, blank=True)
    quote = models.TextField(blank=True, max_length=1000)
    position = models.PositiveIntegerField(null=True, blank=True)
    edit_number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mentions = models.ManyToManyField(USER, blank=True, related_name="+")

    history = history(timeline_of="story")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["story", "created_at"], name="comment_story_created")]

    def __str__(self):
        return f"Comment {self.pk} on story {self.story_id}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class Notification(models.Model):
    """Something one person should know: in their list in the admin, and by email."""

    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    story = models.ForeignKey(
        "stories.Story", null=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=30)
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_latest"),
        ]

    def __str__(self):
        return self.text


class StoryWatch(models.Model):
    """A person following a story (or, ``muted``, asking to hear nothing more of it)."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    muted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="one_watch_per_person")
        ]

    def __str__(self):
        return f"{self.user} {'muted' if self.muted else 'follows'} story {self.story_id}"


class SectionEditor(models.Model):
    """An editor of a section: reviews sent to the section reach them."""

    section = models.ForeignKey("stories.Section", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "user"], name="one_membership_per_section")
        ]

    def __str__(self):
        return f"{self.user} edits {self.section}"


class AutosaveDraft(models.Model):
    """One person's unsaved changes to one story's form, replaced on every autosave
    (never an audit row per save) and removed when they save or discard."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    fields = models.JSONField(default=dict)
    based_on_edit = models.PositiveIntegerField()
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="one_autosave_per_person")
        ]

    def __str__(self):
        return f"{self.user}'s unsaved changes to story {self.story_id}"


class PreviewLink(models.Model):
    """A signed, expiring, revocable link to one edit of a story, for someone without an
    account (a lawyer, a source). A publish, an edit or revocation ends it."""

    story = models.ForeignKey(
        "stories.Story", on_delete=models.CASCADE, related_name="preview_links"
    )
    label = models.CharField(
        "for", max_length=100, help_text="Who the link is for, e.g. “Counsel, M. Reyes”."
    )
    edit_number = models.PositiveIntegerField()
    live_revision = models.ForeignKey(
        "stories.Revision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = history(timeline_of="story")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Preview link {self.pk} for {self.label}"


class PreviewVisit(models.Model):
    """One opening of a preview link, shown or refused."""

    link = models.ForeignKey(PreviewLink, on_delete=models.CASCADE, related_name="visits")
    at = models.DateTimeField(default=timezone.now)
    shown = models.BooleanField()
    outcome = models.CharField(max_length=100)
    client = models.CharField(max_length=64, blank=True, help_text="The network, not the address.")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{'Shown' if self.shown else 'Refused'} {self.at:%Y-%m-%d %H:%M}: {self.outcome}"
