"""The hash chain over published revisions.

Each revision's SHA-256 covers its public content, its metadata and the previous
revision's hash, so any later change to a published record (a direct SQL edit, a
restored backup with a row missing) is detectable by ``verify_story``.
"""

from __future__ import annotations

import hashlib
import json

#: Revision fields covered by the hash, in addition to ``previous_hash``.
HASHED_FIELDS = (
    "number", "kind", "public_note", "internal_reason", "published_at",
    "headline", "dek", "body", "body_html", "byline", "tagline", "credits",
    "section_name", "section_slug", "dateline",
)  # fmt: skip


def revision_hash(revision) -> str:
    payload = {name: getattr(revision, name) for name in HASHED_FIELDS}
    payload["published_at"] = revision.published_at.isoformat()
    payload["published_by"] = revision.published_by_id
    payload["previous_hash"] = revision.previous_hash
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify_story(story) -> list[str]:
    """Problems in a story's revision chain, as sentences; empty when it is intact."""
    problems = []
    previous = None
    for revision in story.revisions.order_by("number"):
        expected_number = previous.number + 1 if previous else 1
        if revision.number != expected_number:
            problems.append(f"revision {revision.number}: expected number {expected_number}")
        expected_previous = previous.content_hash if previous else ""
        if revision.previous_hash != expected_previous:
            problems.append(
                f"revision {revision.number}: previous hash does not match revision {expected_number - 1}"
            )
        if revision_hash(revision) != revision.content_hash:
            problems.append(f"revision {revision.number}: content does not match its hash")
        previous = revision
    if previous and story.latest_revision_id != previous.pk:
        problems.append("the story does not point at its latest revision")
    return problems
