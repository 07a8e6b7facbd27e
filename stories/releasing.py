"""Releasing: what an editor's one Publish button asks for, decided in one place.

The publish page offers a time, the kind of change with its notes, and the readers'
reports the change answers. Which service that becomes is a rule of the newsroom, not
of the page: a time in the future schedules a story never published; reports make it a
publish that resolves them (``reporting.publish_from_reports``); otherwise it is a
publish (``publishing.publish``). Every rule of those services still holds; their
errors come back as they raise them (``ValidationError`` keyed by field,
``PermissionDenied``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from stories import publishing, reporting
from stories.models import ErrorReport, Revision, Story


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
    review_bypass: str = "",
) -> Release:
    """Schedule ``story`` for ``scheduled_at``, or publish it now, answering ``reports``
    when there are any. ``expected_edit`` is the edit the editor reviewed;
    ``review_bypass`` the reason to go ahead without a second editor's approval (for
    those allowed to, ``publishing``'s two-person rule)."""
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
