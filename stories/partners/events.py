"""The events partners hear of, and their thin payloads.

Each published version makes one event, named for its kind; a legal removal of a
version's content makes ``version.content_removed``. A payload says what happened and
where to read it, never the text itself: a partner fetches the version from the API (so
a payload never holds more than the public record does, and never a draft or an internal
reason). Versions carry their number, so a receiver can drop an older one that arrives
after a newer one.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from stories import addresses
from stories.content.kinds import RevisionKind
from stories.models import Revision

#: The event each kind of version makes.
EVENT_FOR_KIND = {
    RevisionKind.FIRST: "story.published",
    RevisionKind.UPDATE: "story.updated",
    RevisionKind.CORRECTION: "story.corrected",
    RevisionKind.CLARIFICATION: "story.clarified",
    RevisionKind.EDITORS_NOTE: "story.editors_note",
    RevisionKind.WITHDRAWAL: "story.withdrawn",
    RevisionKind.MINOR: "story.minor_edit",
}
CONTENT_REMOVED = "version.content_removed"
#: Every event, in the order the docs list them.
EVENT_TYPES = (*EVENT_FOR_KIND.values(), CONTENT_REMOVED)
#: What an endpoint that names no events receives: everything but minor edits.
DEFAULT_EVENT_TYPES = tuple(event for event in EVENT_TYPES if event != "story.minor_edit")


def wanted(event_types: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The events an endpoint receives (``event_types`` as stored; empty: the default)."""
    return tuple(event_types) or DEFAULT_EVENT_TYPES


def unknown_event_types(event_types) -> list[str]:
    return sorted(set(event_types) - set(EVENT_TYPES))


def payload(event_type: str, revision: Revision, at: datetime, *, note: str | None = None) -> dict:
    """The body of an event about ``revision`` (Standard Webhooks' ``type``,
    ``timestamp`` and ``data``). ``note`` replaces the version's public note (a removal's
    note)."""
    story = revision.story
    public_id = str(story.public_id)
    return {
        "type": event_type,
        "timestamp": at.isoformat(),
        "data": {
            "story": public_id,
            "version": revision.number,
            "kind": revision.kind,
            "public_note": revision.public_note if note is None else note,
            "hash": revision.content_hash,
            "url": addresses.absolute_url(reverse("reader:story", kwargs={"slug": story.slug})),
            "version_url": addresses.absolute_url(
                reverse("reader:revision", kwargs={"slug": story.slug, "number": revision.number})
            ),
            "api_url": addresses.absolute_url(reverse("api:story", kwargs={"story_id": public_id})),
            "version_api_url": addresses.absolute_url(
                reverse("api:version", kwargs={"story_id": public_id, "number": revision.number})
            ),
        },
    }
