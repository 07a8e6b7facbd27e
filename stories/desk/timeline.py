"""One timeline of a story for the desk: edits, review steps, comments and published
versions, newest first, from four bounded queries however long the story's life."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stories import audit
from stories.models import Comment, ReviewStep, Revision, Story

#: Entries shown on the change form; the full History page has the rest of the edits.
LIMIT = 30
#: History rows that publishing writes: the version itself is in the timeline.
PUBLISHING_REASONS = ("Published as version", "Scheduled for", "Schedule cancelled")


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "edit", "review", "comment" or "version"
    who: str
    what: str
    detail: str = ""


def timeline(story: Story, limit: int = LIMIT) -> list[Entry]:
    edits = (
        Story.history.filter(id=story.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .only("history_date", "history_user", "history_change_reason", "edit_number")[:limit]
    )
    entries = [
        Entry(
            row.history_date,
            "edit",
            audit.display_name(row.history_user),
            f"Saved edit {row.edit_number}",
            row.history_change_reason or "",
        )
        for row in edits
        if not (row.history_change_reason or "").startswith(PUBLISHING_REASONS)
    ]
    for step in (
        ReviewStep.objects.filter(story_id=story.pk)
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    ):
        entries.append(
            Entry(
                step.at,
                "review",
                audit.display_name(step.actor),
                f"{step.get_action_display()} (edit {step.edit_number})",
                step.message,
            )
        )
    for comment in (
        Comment.objects.filter(story_id=story.pk)
        .select_related("author")
        .order_by("-created_at", "-pk")[:limit]
    ):
        who = (
            audit.display_name(comment.author)
            if comment.author
            else f"{comment.visitor_name} (outside reader)"
        )
        where = f" on the {comment.field}" if comment.field else ""
        entries.append(
            Entry(
                comment.created_at,
                "comment",
                who,
                ("Replied" if comment.parent_id else "Commented") + where,
                comment.body,
            )
        )
    for number, kind, published_at, username, note in (
        Revision.objects.filter(story_id=story.pk)
        .order_by("-number")
        .values_list("number", "kind", "published_at", "published_by__username", "public_note")[
            :limit
        ]
    ):
        label = Revision(kind=kind).get_kind_display()
        entries.append(
            Entry(
                published_at,
                "version",
                username or "",
                f"Published version {number} ({label})",
                note,
            )
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
