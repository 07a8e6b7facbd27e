"""Releasing: what an editor's one Publish button asks for, decided in one place.

The publish page offers a time, the kind of change with its notes, and the readers'
reports the change answers. Which service that becomes is a rule of the newsroom, not
of the page: a time in the future schedules a story never published; reports make it a
publish that resolves them (``reporting.publish_from_reports``); otherwise it is a
publish (``publishing.publish``). Every rule of those services still holds; their
errors come back as they raise them (``ValidationError`` keyed by field,
``PermissionDenied``).

One rule is the button's own: an update of a live story publishes every unpublished
edit of its working copy, so when those include someone else's edits the editor must
say they have reviewed them (``others_edits_confirmed``), or nothing is published.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError

from stories import publishing, reporting
from stories.content.credits import join_names
from stories.models import ErrorReport, Revision, Story

#: The field of the publish form that confirms publishing other people's edits.
CONFIRM_OTHERS_EDITS = "others_edits_confirmed"


def others_edits(story: Story, user, up_to: int | None = None) -> list[str]:
    """Who else made the unpublished edits (up to edit ``up_to``) an update of ``story``
    would publish."""
    return publishing.unpublished_edits(story).up_to(up_to).others_than(user)


@dataclass(frozen=True)
class Release:
    """What a release did: the version it published, or the time it scheduled."""

    revision: Revision | None = None
    scheduled_at: datetime | None = None


def release(
    story: Story,
    *,
    user,
    expected_edit: int | None,
    scheduled_at: datetime | None = None,
    reports: Iterable[ErrorReport] = (),
    kind: str | None = None,
    public_note: str = "",
    internal_reason: str = "",
    others_edits_confirmed: bool = False,
    review_bypass: str = "",
) -> Release:
    """Schedule ``story`` for ``scheduled_at``, or publish it now, answering ``reports``
    when there are any. ``expected_edit`` is the edit the editor reviewed (``publish``
    refuses any other, so the edits confirmed are the edits published); ``review_bypass``
    the reason to go ahead without a second editor's approval (for those allowed to,
    ``publishing``'s two-person rule)."""
    # Edits made after the page was opened are ``publish``'s to refuse (a stale edit).
    if not others_edits_confirmed and (others := others_edits(story, user, expected_edit)):
        raise ValidationError(
            {
                CONFIRM_OTHERS_EDITS: [
                    f"The changes not yet published include edits by {join_names(others)}: "
                    "publishing sends them out too. Review them above, then tick the box to "
                    "publish them with yours."
                ]
            }
        )
    if scheduled_at is not None:
        publishing.schedule(
            story,
            user=user,
            at=scheduled_at,
            expected_edit=expected_edit,
            review_bypass=review_bypass,
        )
        return Release(scheduled_at=scheduled_at)
    arguments = {
        "user": user,
        "kind": kind or None,
        "public_note": public_note,
        "internal_reason": internal_reason,
        "expected_edit": expected_edit,
        "review_bypass": review_bypass,
    }
    reports = list(reports)
    if reports:
        return Release(reporting.publish_from_reports(story, reports, **arguments))
    return Release(publishing.publish(story, **arguments))
