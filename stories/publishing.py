"""Publishing: the one place where a working copy becomes something readers see.

Admin views, management commands, the importer and tests all call these functions.
Each runs in a transaction that locks the story row, checks the newsroom rules and
the caller's permissions, snapshots the working copy into a new ``Revision`` chained
to the previous one by hash, appends that hash to the site's transparency log, and moves
the story's public pointers, or does nothing.

The two-person rule lives here too, so every path (the admin, commands, the importer,
``publish_due``, ``reporting.publish_from_reports``, a shell) meets it: with
``NEWSROOM_REQUIRE_REVIEW`` on, ``publish``, ``schedule`` and ``withdraw`` refuse unless
the exact edit of the working copy was approved (``stories.reviewing``) by someone who
did not make it. A small minor edit is exempt (``minor_edit_exemption``); someone with
``stories.publish_without_review`` may go ahead without approval by giving a reason,
which is recorded (``ReviewBypass``) and listed for the desk.
"""

from __future__ import annotations

import difflib
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from stories.content.credits import join_names
from stories.content.diffing import SnapshotDiff, compare_snapshots, diff_snapshot
from stories.content.kinds import REPUBLISH_KINDS, RevisionKind, without_label
from stories.content.rendering import html_text, render_markdown
from stories.content.text import clean_text
from stories.models import (
    Review,
    ReviewBypass,
    ReviewPurpose,
    ReviewState,
    ReviewStep,
    Revision,
    Story,
    image_snapshot,
)
from stories.record import signer, transparency
from stories.record.integrity import HASH_VERSION, revision_hash

from . import audit
from .roles import PUBLISH_STORY, PUBLISH_WITHOUT_REVIEW, WITHDRAW_STORY, require_permission

logger = logging.getLogger(__name__)

#: Sent after the transaction that wrote a revision commits (``story``, ``revision``).
revision_published = Signal()
#: Sent inside that transaction (``story``, ``revision``): what a receiver writes commits
#: with the revision or not at all (the webhooks' outbox, ``stories.partners.delivery``).
revision_recorded = Signal()

#: The ``Revision`` fields that hold published content (the rest is metadata).
CONTENT_FIELDS = (
    "headline", "dek", "body", "body_html", "byline", "tagline", "credits",
    "section_name", "section_slug", "dateline",
    "picture", "image_alt", "image_caption", "image_credit",
)  # fmt: skip
#: Content fields that are text areas: a pasted line break stays a line break.
MULTILINE_FIELDS = ("body", "body_html", "tagline")


def snapshot_story(story: Story) -> dict:
    """The working copy's public content, in the shape a ``Revision`` stores."""
    credits = story.ordered_credits()
    body = clean_text(story.body, multiline=True)
    return clean_content(
        {
            "headline": story.headline,
            "dek": story.dek,
            "body": body,
            "body_html": render_markdown(body),
            "byline": story.byline(credits),
            "tagline": story.tagline(credits),
            "credits": [
                {
                    "name": credit.contributor.name,
                    "slug": credit.contributor.slug,
                    "role": credit.role,
                    "affiliation": credit.credited_affiliation,
                }
                for credit in credits
            ],
            "section_name": story.section.name,
            "section_slug": story.section.slug,
            "dateline": story.dateline,
            # The lead image: the picture (content-addressed, immutable), its alt text
            # and caption, and the credit made from the Photography credits.
            **_image_content(story, credits),
        }
    )


def _image_content(story: Story, credits) -> dict:
    picture = story.picture if story.picture_id else None
    return {
        "picture": picture,
        "image_alt": story.image_alt.strip() if picture else "",
        "image_caption": story.image_caption.strip() if picture else "",
        "image_credit": story.photo_credit(credits) if picture else "",
    }


def content_snapshot(content: dict) -> dict:
    """A publishing snapshot (``snapshot_story``) as versions are compared."""
    image = image_snapshot(
        content["picture"], content["image_alt"], content["image_caption"], content["image_credit"]
    )
    return diff_snapshot({**content, "image": image})


def clean_content(content: dict) -> dict:
    """Published text carries nothing XML cannot (``stories.content.text``), whatever the working
    copy held: the editing service normalises it, older rows may not be."""
    return {
        name: clean_text(value, multiline=name in MULTILINE_FIELDS)
        for name, value in content.items()
    }


def pending_changes(story: Story) -> SnapshotDiff:
    """What readers would see change if the working copy were published now."""
    live = story.latest_revision.snapshot() if story.latest_revision else {}
    return compare_snapshots(live, content_snapshot(snapshot_story(story)))


@dataclass(frozen=True)
class UnpublishedEdit:
    """One save of the working copy since the live version was published."""

    number: int
    author_id: int | None
    author: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class UnpublishedEdits:
    """The saves of a live story's working copy that readers have not seen yet: what the
    next publish sends out with whatever the publisher changed (a correction published
    from a reader's report carries a colleague's unpublished draft line with it)."""

    edits: tuple[UnpublishedEdit, ...] = ()

    @property
    def count(self) -> int:
        return len(self.edits)

    @property
    def authors(self) -> list[str]:
        """Who made them, each once, in the order of their first edit."""
        return list(dict.fromkeys(edit.author for edit in self.edits))

    def up_to(self, edit_number: int | None) -> UnpublishedEdits:
        """The edits up to ``edit_number`` (all of them for ``None``): those a page saw."""
        if edit_number is None:
            return self
        return UnpublishedEdits(tuple(edit for edit in self.edits if edit.number <= edit_number))

    def others_than(self, user) -> list[str]:
        """The authors of edits that ``user`` did not make."""
        others = (edit.author for edit in self.edits if edit.author_id != user.pk)
        return list(dict.fromkeys(others))

    @property
    def summary(self) -> str:
        """ "2 edits by Rui Santos", "3 edits by Rui Santos and Elena Marsh" ("" if none)."""
        if not self.edits:
            return ""
        return f"{self.count} edit{'' if self.count == 1 else 's'} by {join_names(self.authors)}"

    @property
    def marker(self) -> str:
        """How lists and forms mark a story with them: "changes not yet published: ..."."""
        return f"changes not yet published: {self.summary}" if self.edits else ""


def unpublished_edits(story: Story) -> UnpublishedEdits:
    return unpublished_edits_of([story]).get(story.pk, UnpublishedEdits())


def unpublished_edits_of(stories) -> dict[int, UnpublishedEdits]:
    """The unpublished edits of each live story among ``stories``, in one query.

    A publish saves the story with its new live version, so the first audit row naming
    that version is the publish; every later row naming it is an edit readers have not
    seen. Reads only those rows (a few per story, however long its record). A withdrawn
    story has none: it cannot be published again.
    """
    live = {story.pk: story.latest_revision_id for story in stories if story.is_public}
    if not live:
        return {}
    rows = (
        Story.history.filter(
            reduce(or_, (Q(id=pk, latest_revision_id=revision) for pk, revision in live.items()))
        )
        .order_by("id", "edit_number", "history_date")
        .values(
            "id",
            "edit_number",
            "history_type",
            "history_date",
            "history_change_reason",
            "history_user_id",
            "history_user__username",
            "history_user__first_name",
            "history_user__last_name",
        )
    )
    published_at_edit: dict[int, int] = {}
    edits: dict[int, list[UnpublishedEdit]] = {}
    for row in rows:
        story_id = row["id"]
        if story_id not in published_at_edit:
            published_at_edit[story_id] = row["edit_number"]  # the publish's own save
            continue
        if row["history_type"] != "~" or row["edit_number"] <= published_at_edit[story_id]:
            continue
        name = " ".join(
            filter(None, [row["history_user__first_name"], row["history_user__last_name"]])
        )
        edits.setdefault(story_id, []).append(
            UnpublishedEdit(
                number=row["edit_number"],
                author_id=row["history_user_id"],
                author=name or row["history_user__username"] or "someone unknown",
                at=row["history_date"],
                reason=row["history_change_reason"] or "",
            )
        )
    return {pk: UnpublishedEdits(tuple(found)) for pk, found in edits.items()}


def content_errors(story: Story) -> dict[str, list[str]]:
    """What a version needs before readers see it: a headline and a body with text in it.

    Checked on every publish, the first and every later one, and when a story is
    scheduled: an empty story never reaches readers, and emptying a live one is not how
    its text comes down (a withdrawal is). A body whose Markdown renders to no text (only
    a script or a comment, which the sanitiser drops) counts as empty.
    """
    errors = {}
    if not clean_text(story.headline).strip():
        errors["headline"] = ["A story needs a headline before it can be published."]
    if not html_text(render_markdown(clean_text(story.body, multiline=True))).strip():
        errors["body"] = [
            "The body is empty: write the story before publishing it. To take a published "
            "story's text down, withdraw it."
        ]
    return errors


def publish_errors(
    story: Story, kind: str | None, public_note: str, internal_reason: str
) -> dict[str, list[str]]:
    """The newsroom rules for a publish, as ``{field: [messages]}`` (empty when allowed),
    the shape ``editing``'s errors have."""
    if not story.can_publish:
        return {"__all__": ["This story has been withdrawn; it cannot be published again."]}
    return {**content_errors(story), **_kind_errors(story, kind, public_note, internal_reason)}


def _kind_errors(
    story: Story, kind: str | None, public_note: str, internal_reason: str
) -> dict[str, list[str]]:
    if not story.has_published_version:
        if kind not in (None, "", RevisionKind.FIRST):
            return {
                "kind": [
                    "A story that has never been published is published as its first publication."
                ]
            }
        return {}
    if not kind:
        return {
            "kind": [
                "Choose what kind of change this is: update, correction, clarification, "
                "editor's note or minor edit."
            ]
        }
    if kind not in REPUBLISH_KINDS:
        return {"kind": [f"“{kind}” is not a kind of change a published story can have."]}
    if kind == RevisionKind.MINOR:
        if not internal_reason.strip():
            return {
                "internal_reason": [
                    "A minor edit needs an internal reason (typo, style) for the audit trail."
                ]
            }
        return {}
    if not public_note.strip():
        return {
            "public_note": [
                f"A {RevisionKind(kind).label.lower()} needs a public note telling readers "
                "what changed."
            ]
        }
    return {}


# -- the two-person rule ---------------------------------------------------------------

#: A minor edit (a typo, a style fix) needs no second editor when it is this small: at
#: most this many words of the headline, summary and body changed, and nothing else (no
#: credit, section, dateline or image). It still needs the publish permission and an
#: internal reason, and it is listed in the public history: fixing "teh" at 2 a.m. should
#: not wait for a colleague, but a rewrite labelled "minor" is refused.
MINOR_EDIT_MAX_WORDS = 10
MINOR_TEXT_FIELDS = ("headline", "dek", "body")

#: What a bypass is recorded as, by action.
PUBLISHED, SCHEDULED, WITHDRAWN = "published", "scheduled", "withdrawn"


@dataclass(frozen=True)
class Clearance:
    """Why a publish may go ahead under the two-person rule."""

    approval: Review | None = None
    bypass_reason: str = ""
    scheduled_bypass: ReviewBypass | None = None
    exemption: str = ""


def review_required() -> bool:
    return settings.NEWSROOM_REQUIRE_REVIEW


def minor_edit_exemption(story: Story) -> str:
    """Why publishing the working copy as a minor edit needs no approval ("" if it does)."""
    if story.latest_revision is None:
        return ""
    live = story.latest_revision.snapshot()
    new = content_snapshot(snapshot_story(story))
    if any(live[name] != new[name] for name in live if name not in MINOR_TEXT_FIELDS):
        return ""
    changed = sum(_words_changed(live[name], new[name]) for name in MINOR_TEXT_FIELDS)
    if changed > MINOR_EDIT_MAX_WORDS:
        return ""
    return f"a minor edit of {changed} word{'s' if changed != 1 else ''}"


def _words_changed(old: str, new: str) -> int:
    matcher = difflib.SequenceMatcher(None, old.split(), new.split(), autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def clearance_errors(
    story: Story, *, purpose: str = ReviewPurpose.PUBLISH, kind: str | None = None
) -> dict[str, list[str]]:
    """The two-person rule's verdict on ``story`` as stored, without a bypass, as
    ``{field: [messages]}`` (empty when it may go ahead): for pages that say so up front."""
    try:
        _clearance(story, None, purpose=purpose, kind=kind, review_bypass="")
    except ValidationError as error:
        return error.message_dict
    return {}


def _clearance(
    locked: Story, user, *, purpose: str, kind: str | None, review_bypass: str
) -> Clearance:
    """The rule, checked under the story's row lock. Raises ``ValidationError`` keyed
    ``review_bypass`` (the field where a permitted editor gives the reason to go ahead)."""
    if not review_required():
        return Clearance(exemption="the two-person rule is off (NEWSROOM_REQUIRE_REVIEW)")
    approval = Review.objects.approval_of(locked, purpose)
    if approval is not None:
        return Clearance(approval=approval)
    if purpose == ReviewPurpose.PUBLISH and kind == RevisionKind.MINOR:
        exemption = minor_edit_exemption(locked)
        if exemption:
            return Clearance(exemption=exemption)
    if purpose == ReviewPurpose.PUBLISH and locked.is_scheduled:
        scheduled = ReviewBypass.objects.filter(
            story=locked, action=SCHEDULED, edit_number=locked.edit_number, revision=None
        ).first()
        if scheduled is not None and locked.scheduled_edit == locked.edit_number:
            return Clearance(scheduled_bypass=scheduled)
    if review_bypass.strip():
        require_permission(user, PUBLISH_WITHOUT_REVIEW)
        return Clearance(bypass_reason=clean_text(review_bypass.strip(), multiline=True))
    raise ValidationError({"review_bypass": [_not_approved(locked, purpose)]})


def _not_approved(story: Story, purpose: str) -> str:
    what = "withdrawn" if purpose == ReviewPurpose.WITHDRAW else "published"
    stale = (
        Review.objects.filter(story=story, purpose=purpose, state=ReviewState.APPROVED)
        .select_related("approved_by")
        .first()
    )
    if stale is not None:
        return (
            f"{audit.display_name(stale.approved_by)} approved edit {stale.approved_edit}, but the "
            f"working copy has been edited since (it is now edit {story.edit_number}): an edit "
            "after approval voids it. Ask for this edit to be approved again."
        )
    return (
        f"Edit {story.edit_number} of this story has not been approved. Two people check "
        f"everything readers see: before it is {what}, an editor who did not make this edit "
        "must approve it (submit it for review)."
    )


def _record_clearance(
    clearance: Clearance, locked: Story, user, *, purpose: str, action: str, revision, edit: int
) -> None:
    """Close the review whose approval was used (or record the bypass), in the publish's
    transaction: an approval allows one publish. ``edit`` is the edit it cleared (the
    publish's own save then moves the story's edit number)."""
    at = revision.published_at if revision is not None else timezone.now()
    if clearance.approval is not None and revision is not None:
        review = clearance.approval
        review.state = ReviewState.DONE
        review.closed_at = at
        review.revision = revision
        audit.save_with_reason(review, user, f"{action.capitalize()} as version {revision.number}")
        ReviewStep.objects.create(
            review=review,
            story=locked,
            action=ReviewStep.Action.PUBLISHED,
            actor=user,
            at=at,
            edit_number=edit,
            message=f"Version {revision.number} ({revision.get_kind_display().lower()})",
        )
    elif clearance.scheduled_bypass is not None and revision is not None:
        ReviewBypass.objects.filter(pk=clearance.scheduled_bypass.pk).update(revision=revision)
    elif clearance.bypass_reason:
        ReviewBypass.objects.create(
            story=locked,
            action=action,
            edit_number=edit,
            revision=revision,
            user=user,
            reason=clearance.bypass_reason,
            at=at,
        )
        logger.warning("%s %s without review by %s", action, locked.slug, user)
    if revision is not None and clearance.approval is None:
        # A review still open for this purpose is answered by what just happened.
        for review in Review.objects.open().filter(story=locked, purpose=purpose):
            review.state = ReviewState.DONE
            review.closed_at = at
            review.revision = revision
            why = clearance.bypass_reason or clearance.exemption or "without this review"
            audit.save_with_reason(review, user, f"{action.capitalize()} without review: {why}")


@contextmanager
def _signed_or_refused():
    """A version that cannot enter the signed log is not a publication.

    When the log's key refuses to sign (the log in the database does not extend what it
    signed before: ``stories.record.signer``), the publish's transaction has rolled back
    by the time this sees the refusal; it becomes the publish's own error, and the desk
    is told (at once, or when an outer transaction is over).
    """
    try:
        yield
    except signer.NotAnExtension as refusal:
        signer.announce_refusals()
        raise ValidationError(
            "Nothing was published: the site's transparency log no longer extends the log its "
            f"key signed before, so the key refused to sign it ({refusal}). The record may have "
            "been tampered with; everyone who can publish is being told by email."
        ) from None


def _changed_since_opened(locked: Story) -> str:
    return (
        f"{audit.display_name(locked.modified_by)} changed the working copy after you opened this "
        "page. Review the changes shown below, then publish again."
    )


def _lock(story: Story) -> Story:
    """Lock the story row, then read it afresh with its latest revision.

    Two statements on purpose: a publish that waited for another one's lock gets the
    story row as the other left it, but PostgreSQL would not re-read rows joined to it
    in the same statement, so a joined latest revision would be the stale one (or none).
    """
    list(Story.objects.select_for_update().filter(pk=story.pk).values_list("pk", flat=True))
    return Story.objects.select_related("section", "latest_revision", "picture").get(pk=story.pk)


def _write_revision(
    story: Story,
    *,
    user,
    kind: str,
    public_note: str,
    internal_reason: str,
    at: datetime,
    content: dict,
) -> Revision:
    previous = story.latest_revision
    revision = Revision(
        story=story,
        number=previous.number + 1 if previous else 1,
        kind=kind,
        # The label readers see in front of the note is the site's ("Correction:").
        public_note=without_label(clean_text(public_note.strip(), multiline=True), kind),
        internal_reason=clean_text(internal_reason.strip(), multiline=True),
        published_at=at,
        published_by=user,
        previous_hash=previous.content_hash if previous else "",
        hash_version=HASH_VERSION,
        **clean_content(content),
    )
    revision.body_text = html_text(revision.body_html)
    revision.content_hash = revision_hash(revision, story)
    revision._history_user = user
    revision._change_reason = (
        f"Published as version {revision.number} ({revision.get_kind_display()})"
    )
    revision.save()
    # Its hash joins the site's transparency log in this same transaction: the leaf
    # index is taken under the log's lock, so indexes follow publication, with no gaps.
    transparency.append(revision)

    story.latest_revision = revision
    story.modified_by = user
    story._history_user = user
    story._change_reason = revision._change_reason
    story.save()
    revision_recorded.send(sender=Story, story=story, revision=revision)
    transaction.on_commit(
        lambda: revision_published.send(sender=Story, story=story, revision=revision)
    )
    return revision


def publish(
    story: Story,
    *,
    user,
    kind: str | None = None,
    public_note: str = "",
    internal_reason: str = "",
    at: datetime | None = None,
    expected_edit: int | None = None,
    review_bypass: str = "",
) -> Revision:
    """Publish the working copy: the first publication, or an update of a live story.

    Raises ``PermissionDenied`` without the publish permission and ``ValidationError``
    (keyed by form field) when a newsroom rule is not met. ``at`` exists for imports of
    archived stories and scheduled publishing; it defaults to now. ``expected_edit``
    is the edit of the working copy the editor reviewed: if someone saved since, the publish
    is refused rather than sending out changes the editor never saw. The exact edit must
    have been approved by a second editor (the two-person rule), unless it is a small
    minor edit or ``review_bypass`` gives the reason of someone allowed to go ahead.
    """
    require_permission(user, PUBLISH_STORY)
    with _signed_or_refused(), transaction.atomic():
        locked = _lock(story)
        errors = publish_errors(locked, kind, public_note, internal_reason)
        if expected_edit is not None and locked.edit_number != expected_edit:
            errors.setdefault("__all__", []).append(_changed_since_opened(locked))
        if errors:
            raise ValidationError(errors)
        clearance = _clearance(
            locked, user, purpose=ReviewPurpose.PUBLISH, kind=kind, review_bypass=review_bypass
        )
        at = at or timezone.now()
        first = not locked.has_published_version
        kind = RevisionKind.FIRST if first else kind
        if first:
            locked.first_published_at = at
        if kind != RevisionKind.MINOR:
            locked.updated_at = at
        locked.status = Story.Status.PUBLISHED
        locked.scheduled_at = None
        locked.scheduled_edit = None
        edit = locked.edit_number
        with audit.acting_as(user):
            revision = _write_revision(
                locked,
                user=user,
                kind=kind,
                public_note=public_note,
                internal_reason=internal_reason,
                at=at,
                content=snapshot_story(locked),
            )
            _record_clearance(
                clearance,
                locked,
                user,
                purpose=ReviewPurpose.PUBLISH,
                action=PUBLISHED,
                revision=revision,
                edit=edit,
            )
    _refresh(story, locked)
    logger.info("published %s version %s (%s) by %s", story.slug, revision.number, kind, user)
    return revision


def withdraw(
    story: Story, *, user, public_note: str, internal_reason: str = "", review_bypass: str = ""
) -> Revision:
    """Take a story down while keeping its URL, which then answers 410 with the note.

    Two people decide it, as for a publish: a withdrawal approved by a second editor
    (``ReviewPurpose.WITHDRAW``), or a recorded ``review_bypass``.
    """
    require_permission(user, WITHDRAW_STORY)
    with _signed_or_refused(), transaction.atomic():
        locked = _lock(story)
        if locked.is_withdrawn:
            raise ValidationError("This story has already been withdrawn.")
        if not locked.can_withdraw:
            raise ValidationError(
                "Only a published story can be withdrawn; delete a draft instead."
            )
        if not public_note.strip():
            raise ValidationError(
                {"public_note": "A withdrawal needs an editor's note telling readers why."}
            )
        clearance = _clearance(
            locked, user, purpose=ReviewPurpose.WITHDRAW, kind=None, review_bypass=review_bypass
        )
        at = timezone.now()
        edit = locked.edit_number
        locked.status = Story.Status.WITHDRAWN
        locked.updated_at = at
        # The withdrawal records what was taken down, not unpublished edits made since.
        previous = locked.latest_revision
        content = {name: getattr(previous, name) for name in CONTENT_FIELDS}
        with audit.acting_as(user):
            revision = _write_revision(
                locked,
                user=user,
                kind=RevisionKind.WITHDRAWAL,
                public_note=public_note,
                internal_reason=internal_reason,
                at=at,
                content=content,
            )
            _record_clearance(
                clearance,
                locked,
                user,
                purpose=ReviewPurpose.WITHDRAW,
                action=WITHDRAWN,
                revision=revision,
                edit=edit,
            )
    _refresh(story, locked)
    logger.info("withdrew %s by %s", story.slug, user)
    return revision


def schedule(
    story: Story,
    *,
    user,
    at: datetime,
    expected_edit: int | None = None,
    review_bypass: str = "",
) -> Story:
    """Mark a draft to be published by ``publish_scheduled`` once ``at`` has passed.

    Scheduling is an approval: the edit of the working copy the editor reviewed
    (``expected_edit``, else the stored one) is recorded, and ``publish_due``
    publishes that edit or nothing. Anyone's save after this moves the edit number, and
    the story then waits, marked, for an editor to review it and schedule it again.
    The two-person rule holds as for ``publish``: the approval (or the bypass, recorded
    now) must name this edit, and ``publish_due`` uses it.
    """
    require_permission(user, PUBLISH_STORY, "schedule stories")
    with transaction.atomic():
        locked = _lock(story)
        if locked.has_published_version:
            raise ValidationError("Only a story that has never been published can be scheduled.")
        if expected_edit is not None and locked.edit_number != expected_edit:
            raise ValidationError(_changed_since_opened(locked))
        errors = content_errors(locked)
        if at <= timezone.now():
            errors["scheduled_at"] = ["Choose a time in the future, or publish now."]
        if errors:
            raise ValidationError(errors)
        clearance = _clearance(
            locked, user, purpose=ReviewPurpose.PUBLISH, kind=None, review_bypass=review_bypass
        )
        if clearance.bypass_reason:
            _record_clearance(
                clearance,
                locked,
                user,
                purpose=ReviewPurpose.PUBLISH,
                action=SCHEDULED,
                revision=None,
                edit=locked.edit_number,
            )
        locked.status = Story.Status.SCHEDULED
        locked.scheduled_at = at
        locked.scheduled_edit = locked.edit_number
        _save_schedule(locked, user, f"Scheduled for {at.isoformat()} (edit {locked.edit_number})")
    _refresh(story, locked)
    return story


def unschedule(story: Story, *, user) -> Story:
    require_permission(user, PUBLISH_STORY, "schedule stories")
    with transaction.atomic():
        locked = _lock(story)
        if not locked.is_scheduled:
            raise ValidationError("This story is not scheduled.")
        locked.status = Story.Status.DRAFT
        locked.scheduled_at = None
        locked.scheduled_edit = None
        _save_schedule(locked, user, "Schedule cancelled")
    _refresh(story, locked)
    return story


def _save_schedule(locked: Story, user, reason: str) -> None:
    """Save a change of schedule only: the working copy (and so its edit number) is untouched."""
    locked.modified_by = user
    locked._history_user = user
    locked._change_reason = reason
    locked._keep_edit_number = True
    locked.save()


#: A scheduled story still unpublished this long after its time is overdue: whatever runs
#: ``publish_due`` (cron every minute in production, the demo server every few seconds)
#: has stopped. Stories held back because they changed after scheduling are not overdue.
OVERDUE_AFTER = timedelta(minutes=2)


def is_overdue(story: Story, now: datetime | None = None) -> bool:
    """Scheduled, approved as it is, and not published well after its time."""
    if not story.is_scheduled or story.changed_since_scheduled or story.scheduled_at is None:
        return False
    return story.scheduled_at + OVERDUE_AFTER < (now or timezone.now())


@dataclass
class ScheduledRun:
    published: list[Revision] = field(default_factory=list)
    failed: list[tuple[Story, str]] = field(default_factory=list)
    #: Due stories whose working copy moved after they were scheduled: left scheduled.
    changed: list[Story] = field(default_factory=list)
    #: The time each published version was scheduled for, by revision id.
    due_at: dict[int, datetime] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.changed)


def publish_due(*, user=None, now: datetime | None = None) -> ScheduledRun:
    """Publish every scheduled story whose time has come (idempotent, cron-friendly).

    Each story is published in its own transaction at its scheduled time, so one story
    that breaks a rule does not hold back the others. The due list is read, and each
    story re-checked under its row lock, on the primary: two overlapping cron runs (or a
    lagging replica) publish a story once, and the second run skips it quietly. A story
    whose working copy moved after it was scheduled is not published: it stays
    scheduled, and the run lists it in ``changed``.
    """
    user = user or audit.system_user()
    now = now or timezone.now()
    run = ScheduledRun()
    due = (
        Story.objects.using(router.db_for_write(Story))
        .filter(status=Story.Status.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at")
    )
    for story in due:
        try:
            with transaction.atomic():
                locked = _lock(story)
                if not locked.is_scheduled or locked.scheduled_at > now:
                    continue
                if locked.changed_since_scheduled:
                    run.changed.append(locked)
                    continue
                # Published when it actually went live (late if cron was down), so the
                # public times and the news sitemap stay honest; exactly the approved
                # edit (``publish`` re-checks it under the same lock).
                due_at = locked.scheduled_at
                revision = publish(locked, user=user, at=now, expected_edit=locked.scheduled_edit)
                run.published.append(revision)
                run.due_at[revision.pk] = due_at
        except (ValidationError, PermissionDenied) as error:
            run.failed.append((story, "; ".join(_messages(error))))
    signer.announce_pending()  # a refusal met inside this loop's transactions
    return run


def _messages(error) -> list[str]:
    return list(getattr(error, "messages", [str(error)]))


def _refresh(story: Story, locked: Story):
    """Give the caller's object the state just written, so it can be saved again safely."""
    if story is not locked:
        story.refresh_from_db()
        story._loaded_values = dict(locked._loaded_values)
