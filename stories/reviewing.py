"""Reviewing: the one way to move a story through review, before the two-person rule in
``publishing`` lets it out.

    submit ──> in review ──approve──> approved ──publish──> done
                   │  ^                  │ (an edit after approval voids it: approve again)
     request changes  └──── resubmit ────┘
                   v
           changes requested        cancel (by the submitter) ──> cancelled

* **submit** (anyone who may edit the story): a message, a person or a section's editors
  as reviewers (the story's section by default), a due time and a priority. What is
  submitted is the working copy's current edit.
* **approve** (the publish permission; the withdraw permission for a withdrawal), never
  by the person who made the current edit; the approval names that exact edit.
* **request changes** (as approve), with a required message: back to the submitter.
* **reassign** (the submitter or an editor), **cancel** (the submitter).

Each function locks the story row (and so serialises with edits and publishes), checks
permissions itself, raises ``ValidationError`` keyed by form field, records a
``ReviewStep`` and the review's history row, notifies only the people concerned, and
sends ``review_changed`` once the transaction commits.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from stories.content.text import clean_text
from stories.desk import notifications
from stories.models import (
    Priority,
    Review,
    ReviewPurpose,
    ReviewState,
    ReviewStep,
    Section,
    SectionEditor,
    Story,
)

from . import audit
from .roles import CHANGE_STORY, PUBLISH_STORY, WITHDRAW_STORY, require_permission

#: Sent after a review step commits (``sender``: ``Review``; ``review``; ``step``).
review_changed = Signal()

#: The permission that approves each purpose.
APPROVE_PERMISSION = {ReviewPurpose.PUBLISH: PUBLISH_STORY, ReviewPurpose.WITHDRAW: WITHDRAW_STORY}
MESSAGE_MAX_LENGTH = Review._meta.get_field("message").max_length


def edit_author(story: Story):
    """Who made the story's current edit: the user of the first history row that has its
    edit number (publishing and scheduling save the row without moving the edit)."""
    row = (
        Story.history.filter(id=story.pk, edit_number=story.edit_number)
        .select_related("history_user")
        .order_by("history_date", "history_id")
        .first()
    )
    return row.history_user if row is not None else story.modified_by


def open_review(story: Story) -> Review | None:
    return (
        Review.objects.open()
        .filter(story_id=story.pk)
        .select_related("submitted_by", "reviewer", "reviewer_section", "approved_by")
        .first()
    )


def approval_is_current(review: Review | None, story: Story) -> bool:
    return (
        review is not None
        and review.state == ReviewState.APPROVED
        and review.approved_edit == story.edit_number
    )


def reviewers_of(review: Review) -> list:
    """The people a review waits for: the named reviewer, else the section's editors."""
    if review.reviewer_id is not None:
        return [review.reviewer]
    if review.reviewer_section_id is None:
        return []
    User = get_user_model()
    editors = User.objects.filter(
        pk__in=SectionEditor.objects.filter(section_id=review.reviewer_section_id).values(
            "user_id"
        ),
        is_active=True,
    )
    permission = APPROVE_PERMISSION[review.purpose]
    return [user for user in editors if user.has_perm(permission)]


# -- submit ------------------------------------------------------------------------------


def submit(
    story: Story,
    *,
    user,
    message: str = "",
    reviewer=None,
    section: Section | None = None,
    due_at: datetime | None = None,
    priority: str = Priority.NORMAL,
    purpose: str = ReviewPurpose.PUBLISH,
    expected_edit: int | None = None,
) -> Review:
    """Ask for the story's current edit to be reviewed (or submit it again after changes).

    With no reviewer and no section named, the story's own section's editors review it.
    """
    require_permission(user, CHANGE_STORY, "submit stories for review")
    message = clean_text(message.strip(), multiline=True)
    errors = _assignment_errors(reviewer, due_at, priority, purpose, author=user)
    if len(message) > MESSAGE_MAX_LENGTH:
        errors.setdefault("message", []).append(
            f"Keep the message under {MESSAGE_MAX_LENGTH} characters."
        )
    if purpose not in ReviewPurpose.values:
        errors.setdefault("purpose", []).append(f"“{purpose}” is not something a review asks.")
    with transaction.atomic():
        locked = _lock(story)
        _check_edit(locked, expected_edit, errors)
        if locked.is_withdrawn:
            errors.setdefault("__all__", []).append(
                "This story has been withdrawn: there is nothing left to review."
            )
        elif purpose == ReviewPurpose.WITHDRAW and not locked.is_public:
            errors.setdefault("__all__", []).append("Only a live story can be withdrawn.")
        review = _open_review_locked(locked)
        if review is not None and review.purpose != purpose:
            errors.setdefault("__all__", []).append(
                f"A review to {review.get_purpose_display().lower()} this story is open: "
                "cancel it first."
            )
        elif approval_is_current(review, locked):
            errors.setdefault("__all__", []).append(_already_approved(review))
        if errors:
            raise ValidationError(errors)
        again = review is not None
        review = review or Review(story=locked, purpose=purpose, submitted_by=user)
        review.state = ReviewState.IN_REVIEW
        review.submitted_at = timezone.now()
        review.submitted_edit = locked.edit_number
        review.message = message
        if reviewer is not None or section is not None or not again:
            review.reviewer = reviewer
            review.reviewer_section = section or (None if reviewer else locked.section)
        review.due_at = due_at if (due_at is not None or not again) else review.due_at
        review.priority = priority
        review.approved_by = review.approved_at = review.approved_edit = None
        review.edit_author = None
        what = "Submitted again" if again else "Submitted"
        step = _step(
            review, locked, user, ReviewStep.Action.SUBMITTED, message, f"{what} for review"
        )
        notifications.follow(locked, user)
        targets = reviewers_of(review)
        for person in targets:
            notifications.follow(locked, person)
        due = f", due {timezone.localtime(due_at):%d %b %H:%M}" if due_at else ""
        notifications.notify(
            targets,
            story=locked,
            actor=user,
            action="submitted",
            text=f"{audit.display_name(user)} asks you to review “{locked.headline}”{due}"
            + (f": {message}" if message else ""),
        )
        _signal(review, step)
    return review


def _assignment_errors(reviewer, due_at, priority, purpose, *, author) -> dict:
    errors: dict[str, list[str]] = {}
    if reviewer is not None:
        permission = APPROVE_PERMISSION.get(purpose, PUBLISH_STORY)
        if not reviewer.is_active or not reviewer.has_perm(permission):
            errors["reviewer"] = [
                f"{audit.display_name(reviewer)} cannot approve stories: choose an editor."
            ]
    if due_at is not None and due_at <= timezone.now():
        errors["due_at"] = ["Choose a due time in the future."]
    if priority not in Priority.values:
        errors["priority"] = [f"“{priority}” is not a priority: urgent, high or normal."]
    return errors


# -- decide ------------------------------------------------------------------------------


def approve(story: Story, *, user, message: str = "", expected_edit: int | None = None) -> Review:
    """Approve the story's current edit: the two-person rule then lets it be published
    (or withdrawn) exactly as it is. Never by the person who made that edit."""
    message = clean_text(message.strip(), multiline=True)
    with transaction.atomic():
        locked, review = _decide(story, user, expected_edit)
        author = edit_author(locked)
        if author is not None and author.pk == user.pk:
            raise ValidationError(
                {
                    "__all__": [
                        f"You made edit {locked.edit_number} of this story, so you cannot approve "
                        "it: two people check everything readers see. Ask another editor."
                    ]
                }
            )
        review.state = ReviewState.APPROVED
        review.approved_by = user
        review.approved_at = timezone.now()
        review.approved_edit = locked.edit_number
        review.edit_author = author
        step = _step(
            review, locked, user, ReviewStep.Action.APPROVED, message,
            f"Approved edit {locked.edit_number}",
        )  # fmt: skip
        _tell_submitter(
            review, locked, user, "approved",
            f"approved “{locked.headline}” (edit {locked.edit_number})"
            + (f": {message}" if message else ""),
        )  # fmt: skip
        _signal(review, step)
    return review


def request_changes(
    story: Story, *, user, message: str, expected_edit: int | None = None
) -> Review:
    """Send the story back to its submitter with what must change (the message is required)."""
    message = clean_text(message.strip(), multiline=True)
    with transaction.atomic():
        locked, review = _decide(story, user, expected_edit)
        if not message:
            raise ValidationError({"message": ["Say what needs to change."]})
        review.state = ReviewState.CHANGES_REQUESTED
        review.approved_by = review.approved_at = review.approved_edit = None
        review.edit_author = None
        step = _step(
            review, locked, user, ReviewStep.Action.CHANGES_REQUESTED, message,
            "Changes requested",
        )  # fmt: skip
        _tell_submitter(
            review, locked, user, "changes_requested",
            f"requested changes to “{locked.headline}”: {message}",
        )  # fmt: skip
        _signal(review, step)
    return review


def _decide(story: Story, user, expected_edit):
    locked = _lock(story)
    review = _open_review_locked(locked)
    if review is None:
        raise ValidationError({"__all__": ["This story is not waiting for review."]})
    require_permission(user, APPROVE_PERMISSION[review.purpose], "review stories")
    errors: dict[str, list[str]] = {}
    _check_edit(locked, expected_edit, errors)
    if review.state == ReviewState.CHANGES_REQUESTED:
        errors.setdefault("__all__", []).append(
            "Changes were requested: the story waits for its submitter to send it again."
        )
    elif approval_is_current(review, locked):
        errors.setdefault("__all__", []).append(_already_approved(review))
    if errors:
        raise ValidationError(errors)
    return locked, review


# -- reassign and cancel -----------------------------------------------------------------


def reassign(
    story: Story,
    *,
    user,
    reviewer=None,
    section: Section | None = None,
    due_at: datetime | None = None,
    priority: str | None = None,
    message: str = "",
) -> Review:
    """Give the review to another person or section (and a new due time or priority)."""
    with transaction.atomic():
        locked = _lock(story)
        review = _open_review_locked(locked)
        if review is None:
            raise ValidationError({"__all__": ["This story is not waiting for review."]})
        if review.submitted_by_id != user.pk:
            require_permission(user, APPROVE_PERMISSION[review.purpose], "reassign reviews")
        priority = priority or review.priority
        errors = _assignment_errors(reviewer, due_at, priority, review.purpose, author=user)
        if reviewer is None and section is None:
            errors.setdefault("reviewer", []).append("Choose a person or a section.")
        if errors:
            raise ValidationError(errors)
        review.reviewer = reviewer
        review.reviewer_section = None if reviewer is not None else section
        review.due_at = due_at or review.due_at
        review.priority = priority
        whom = audit.display_name(reviewer) if reviewer else f"the {section.name} desk"
        step = _step(
            review, locked, user, ReviewStep.Action.REASSIGNED,
            clean_text(message.strip(), multiline=True) or f"To {whom}", f"Reassigned to {whom}",
        )  # fmt: skip
        _ask_reviewers(review, locked, user, "reassigned")
        _signal(review, step)
    return review


def cancel(story: Story, *, user, message: str = "") -> Review:
    """Withdraw the request for review (the submitter only)."""
    with transaction.atomic():
        locked = _lock(story)
        review = _open_review_locked(locked)
        if review is None:
            raise ValidationError({"__all__": ["This story is not waiting for review."]})
        if review.submitted_by_id != user.pk:
            raise PermissionDenied(
                f"{user.get_username()} did not submit this review: only "
                f"{audit.display_name(review.submitted_by)} may cancel it."
            )
        targets = reviewers_of(review)
        review.state = ReviewState.CANCELLED
        review.closed_at = timezone.now()
        step = _step(
            review, locked, user, ReviewStep.Action.CANCELLED,
            clean_text(message.strip(), multiline=True), "Review cancelled",
        )  # fmt: skip
        notifications.notify(
            targets,
            story=locked,
            actor=user,
            action="cancelled",
            text=f"{audit.display_name(user)} no longer needs a review of “{locked.headline}”",
        )
        _signal(review, step)
    return review


# -- shared ------------------------------------------------------------------------------


def _lock(story: Story) -> Story:
    list(Story.objects.select_for_update().filter(pk=story.pk).values_list("pk", flat=True))
    locked = Story.objects.select_related("section", "modified_by").filter(pk=story.pk).first()
    if locked is None:
        raise ValidationError("This story has been deleted.")
    return locked


def _open_review_locked(locked: Story) -> Review | None:
    return (
        Review.objects.select_for_update(of=("self",))
        .open()
        .filter(story=locked)
        .select_related("submitted_by", "reviewer", "reviewer_section", "approved_by")
        .first()
    )


def _check_edit(locked: Story, expected_edit: int | None, errors: dict) -> None:
    if expected_edit is not None and expected_edit != locked.edit_number:
        errors.setdefault("__all__", []).append(
            f"{audit.display_name(locked.modified_by)} changed the story after you opened this "
            f"page (it is now edit {locked.edit_number}). Read the changes, then try again."
        )


def _step(review: Review, story: Story, user, action: str, message: str, reason: str):
    review.full_clean(exclude=["story", "submitted_by"])
    audit.save_with_reason(review, user, f"{reason}: {message}" if message else reason)
    step = ReviewStep(
        review=review,
        story=story,
        action=action,
        actor=user,
        edit_number=story.edit_number,
        message=message,
    )
    step._history_user = user
    step.save()
    return step


def _already_approved(review: Review) -> str:
    return f"{audit.display_name(review.approved_by)} has already approved this edit."


def _ask_reviewers(review: Review, story: Story, user, action: str, details: str = "") -> None:
    """The review's reviewers follow the story and are told it waits for them."""
    targets = reviewers_of(review)
    for person in targets:
        notifications.follow(story, person)
    notifications.notify(
        targets,
        story=story,
        actor=user,
        action=action,
        text=f"{audit.display_name(user)} asks you to review “{story.headline}”{details}",
    )


def _tell_submitter(review: Review, story: Story, user, action: str, what: str) -> None:
    """A reviewer's decision: the reviewer follows the story; its submitter and watchers
    are told "(reviewer) (what)"."""
    notifications.follow(story, user)
    people = [review.submitted_by, *notifications.watchers(story)]
    notifications.notify(
        [person for person in people if person is not None],
        story=story,
        actor=user,
        action=action,
        text=f"{audit.display_name(user)} {what}",
    )


def _signal(review: Review, step: ReviewStep) -> None:
    transaction.on_commit(
        lambda: review_changed.send(sender=Review, review=review, step=step), robust=True
    )
