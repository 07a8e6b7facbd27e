"""The hash of each published version, and the chain that links a story's versions.

A version's hash is SHA-256 over a canonical JSON *payload*: what readers were shown
(content, kind, public note, time), the story it belongs to, its number and the previous
version's hash. The public record (``/stories/<slug>/record.json``) publishes each
payload as it was hashed, so anyone can recompute the hash; the site's transparency log
(stories/record/transparency.py) holds the hashes, so none can be changed afterwards unnoticed.

What the payload covers, and why:

* ``story``: the story's permanent id (``Story.public_id``, a UUID set when the story is
  created, never edited, and carried by exports). Not the database id (an artifact of
  one database's sequence that a restore or a merge of two databases renumbers) and not
  the slug alone (a draft's slug may change; only the rules of this code keep a
  published one fixed).
* ``slug``: the address the story was published at (fixed once published), so a version
  is bound to the URL readers use: moving versions between stories, or swapping two
  stories' ids or slugs, breaks the hashes.
* ``number``: the version's place in the story, so versions cannot be reordered or
  renumbered.
* ``previous_hash``: the chain, so none can be removed from the middle.
* what readers saw: ``PAYLOAD_FIELDS``. Who published and the internal reason are not
  public, so they are not hashed (an outsider could not check them): the audit trail
  keeps them, append-only.

``v`` is the payload version. A later change that hashes more adds a payload version
with its fields; every stored version keeps the ``hash_version`` it was hashed with, so
old hashes stay valid and checkable for ever. Version 3 added ``image``: the lead image
as published (``models.image_snapshot``: the SHA-256 of the original file as served,
its width and height, alt text, caption and credit), or ``null`` without one. Replacing,
re-cropping or re-captioning a picture therefore changes the hash like a changed word.

Version 4 hashes the same things in two steps: the payload is an *envelope* (the
version's place, kind, note and time, and ``content_sha256``), and ``content_sha256`` is
the SHA-256 of the *content* (what readers read: ``CONTENT_FIELDS``) as canonical JSON.
The public record can then withhold the text of a withdrawn story's versions and still
publish an envelope whose hash anyone can check: the chain, the kinds, notes and times
stay verifiable, and only the text is gone (docs/transparency.md).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from stories.content.kinds import RevisionKind
from stories.models import Story

#: The payload version new versions are hashed with.
HASH_VERSION = 4

#: Revision fields each payload version covers, beside ``v``, ``story``, ``slug`` and
#: ``previous_hash``. (Payload version 1, before the public record, also hashed who
#: published and why; the migration rehash_and_log_published_versions rehashed every
#: version with version 2.)
_V2_FIELDS = (
    "number", "kind", "public_note", "published_at",
    "headline", "dek", "body", "body_html", "byline", "tagline", "credits",
    "section_name", "section_slug", "dateline",
)  # fmt: skip
#: What readers read of a version: from payload version 4, hashed apart as its content.
CONTENT_FIELDS = (
    "headline", "dek", "body", "body_html", "byline", "tagline", "credits",
    "section_name", "section_slug", "dateline", "image",
)  # fmt: skip
#: What a version-4 envelope holds beside ``v``, ``story``, ``slug``, ``previous_hash``
#: and ``content_sha256``.
ENVELOPE_FIELDS = ("number", "kind", "public_note", "published_at")
PAYLOAD_FIELDS = {
    2: _V2_FIELDS,
    3: (*_V2_FIELDS, "image"),
    4: (*ENVELOPE_FIELDS, *CONTENT_FIELDS),  # the same fields, the content hashed apart
}
#: The payload versions whose content is hashed apart.
ENVELOPED = frozenset({4})


def canonical_json(payload: dict) -> bytes:
    """The bytes hashed: JSON with sorted keys, no spaces, UTF-8 (not \\u escapes)."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def hash_payload(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def revision_content(revision) -> dict:
    """What readers read of ``revision``: the content a version-4 envelope hashes."""
    return {name: getattr(revision, name) for name in CONTENT_FIELDS}


def revision_payload(revision, story=None) -> dict:
    """What ``revision``'s hash covers, as it is published (for payload version 4, the
    envelope). ``story`` (default: the revision's) supplies the permanent id and slug."""
    story = story or revision.story
    version = revision.hash_version
    if version not in PAYLOAD_FIELDS:
        raise ValueError(f"unknown hash version {version} (known: {sorted(PAYLOAD_FIELDS)})")
    if version in ENVELOPED:
        payload = {name: getattr(revision, name) for name in ENVELOPE_FIELDS}
        payload["content_sha256"] = hash_payload(revision_content(revision))
    else:
        payload = {name: getattr(revision, name) for name in PAYLOAD_FIELDS[version]}
    payload["published_at"] = revision.published_at.astimezone(UTC).isoformat()
    payload.update(
        v=version, story=str(story.public_id), slug=story.slug, previous_hash=revision.previous_hash
    )
    return payload


def revision_hash(revision, story=None) -> str:
    return hash_payload(revision_payload(revision, story))


def verify_story(story, revisions=None, removed=frozenset()) -> list[str]:
    """Problems in a story's record, as sentences; empty when it is intact.

    Checks every version the story has, whatever its pointer says: numbered 1..n with no
    gap, each hash matching its payload (except versions whose content was removed for a
    legal reason, listed by number in ``removed``: their hash stays, their text is gone),
    each chained to the one before, the pointer at the last, the status agreeing with
    the last version's kind.
    """
    if revisions is None:
        revisions = list(story.revisions.select_related("picture").order_by("number"))
    problems = []
    previous = None
    for revision in revisions:
        expected = previous.number + 1 if previous else 1
        if revision.number != expected:
            missing = (
                f"version {expected}"
                if revision.number == expected + 1
                else (f"versions {expected} to {revision.number - 1}")
            )
            problems.append(f"{missing} missing: the numbers go on at {revision.number}")
        expected_previous = previous.content_hash if previous else ""
        if revision.previous_hash != expected_previous:
            after = f"version {previous.number}" if previous else "nothing (it is the first)"
            problems.append(f"version {revision.number}: not chained to {after}")
        if (
            revision.number not in removed
            and revision_hash(revision, story) != revision.content_hash
        ):
            problems.append(f"version {revision.number}: content does not match its hash")
        previous = revision
    problems += _pointer_problems(story, previous)
    return problems


def _pointer_problems(story, last) -> list[str]:
    if last is None:
        if story.latest_revision_id is not None:
            return ["the story points at a version, but it has none"]
        return []
    problems = []
    if story.latest_revision_id != last.pk:
        problems.append(
            f"the story does not point at its last version ({last.number})"
            if story.latest_revision_id
            else f"the story points at no version, but it has {last.number}"
        )
    withdrawn = last.kind == RevisionKind.WITHDRAWAL
    expected = Story.Status.WITHDRAWN if withdrawn else Story.Status.PUBLISHED
    if story.status != expected:
        problems.append(f"the story's status is {story.status}, its last version says {expected}")
    return problems
