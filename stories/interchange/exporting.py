"""Export one story's full record as JSON: working copy, every version, the audit trail.

What another tool (an archive, a new CMS, a legal hold) needs to take the story over:
the working copy with its credits and import source, every published ``Revision`` with
its hashes, and every history row of the story and of its credits with who, when, why
and which fields changed (old and new values, from simple-history's ``diff_against``).
The shape is documented field by field in docs/import-export.md and as a JSON Schema in
``docs/export-schema.json``; ``SCHEMA_VERSION`` changes when it changes incompatibly.

Conventions: times are ISO 8601 in UTC with their offset ("+00:00"), exactly as the
revision hashes read them; users are given by username (``null`` once deleted);
references in field changes are natural keys (section and contributor slugs, revision
numbers, usernames), never database ids, except ``published_by_id``, which is part of
what a revision's hash covers. The query count does not grow with the history's length.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import groupby

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from stories.models import Contributor, Credit, Picture, Revision, Section, Story, StorySource

__all__ = ["SCHEMA_VERSION", "export_story", "export_story_json"]

#: 2: the story's save counter is ``edit_number`` (was ``version``), and the edit approved
#: when scheduling ``scheduled_edit`` (was ``scheduled_version``), in the story and its
#: history entries, so that "version" means a published version only.
SCHEMA_VERSION = 2

#: History actions, by simple-history's ``history_type``.
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}

#: Fields left out of history changes: the row's own id, a credit's story (it never
#: changes) and the story's edit number (given once per entry as ``edit_number``).
_NOT_CHANGES = {"story": {"id", "edit_number"}, "credit": {"id", "story"}}


def export_story_json(story: Story) -> str:
    return json.dumps(export_story(story), ensure_ascii=False, indent=2)


def export_story(story: Story) -> dict:
    """The story's full record as JSON-ready data (see the module doc and docs/import-export.md)."""
    story_rows = list(
        story.history.select_related("history_user").order_by("history_date", "history_id")
    )
    credit_rows = list(
        Credit.history.filter(story_id=story.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    revisions = list(
        story.revisions.select_related("published_by", "log_leaf", "picture").order_by("number")
    )
    credits = list(story.credits.select_related("contributor").order_by("position", "pk"))
    names = _Names(story_rows, credit_rows, revisions)
    return {
        "schema_version": SCHEMA_VERSION,
        "exported_at": _time(timezone.now()),
        "story": _story(story, credits, names),
        "revisions": [_revision(revision) for revision in revisions],
        "history": _history(story_rows, credit_rows, names),
    }


class _Names:
    """Natural keys for the ids found in history rows, fetched in one query per model."""

    def __init__(self, story_rows, credit_rows, revisions):
        rows = [*story_rows, *credit_rows]
        user_ids = {
            getattr(row, name)
            for row in rows
            for name in ("created_by_id", "modified_by_id")
            if getattr(row, name, None)
        }
        self.users = dict(
            get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username")
        )
        section_ids = {row.section_id for row in story_rows}
        self.sections = dict(Section.objects.filter(pk__in=section_ids).values_list("pk", "slug"))
        contributor_ids = {row.contributor_id for row in credit_rows}
        self.contributors = {
            contributor.pk: contributor
            for contributor in Contributor.objects.filter(pk__in=contributor_ids)
        }
        self.revisions = {revision.pk: revision.number for revision in revisions}
        picture_ids = {row.picture_id for row in story_rows if row.picture_id}
        self.pictures = dict(Picture.objects.filter(pk__in=picture_ids).values_list("pk", "sha256"))

    def value(self, field: str, value):
        """A history value as JSON: times in ISO 8601, references by natural key."""
        if value is None:
            return None
        if field in ("created_by", "modified_by"):
            return self.users.get(value)
        if field == "section":
            return self.sections.get(value)
        if field == "latest_revision":
            return self.revisions.get(value)
        if field == "picture":
            return self.pictures.get(value)
        if field == "contributor":
            contributor = self.contributors.get(value)
            return contributor.slug if contributor else None
        if isinstance(value, datetime):
            return _time(value)
        return value


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _username(user) -> str | None:
    return user.get_username() if user else None


def _story(story: Story, credits: list[Credit], names: _Names) -> dict:
    source = StorySource.objects.filter(story=story).select_related("imported_by").first()
    return {
        "public_id": str(story.public_id),
        "slug": story.slug,
        "headline": story.headline,
        "dek": story.dek,
        "body": story.body,
        "section": {"slug": story.section.slug, "name": story.section.name},
        "dateline": story.dateline,
        "picture": _picture(story.picture),
        "image_alt": story.image_alt,
        "image_caption": story.image_caption,
        "status": story.status,
        "scheduled_at": _time(story.scheduled_at),
        "scheduled_edit": story.scheduled_edit,
        "first_published_at": _time(story.first_published_at),
        "updated_at": _time(story.updated_at),
        "latest_revision": names.revisions.get(story.latest_revision_id),
        "edit_number": story.edit_number,
        "created_at": _time(story.created_at),
        "created_by": names.users.get(story.created_by_id) or _lookup_user(story.created_by_id),
        "modified_at": _time(story.modified_at),
        "modified_by": names.users.get(story.modified_by_id) or _lookup_user(story.modified_by_id),
        "credits": [
            {
                "position": credit.position,
                "role": credit.role,
                "contributor": {
                    "slug": credit.contributor.slug,
                    "name": credit.contributor.name,
                    "affiliation": credit.contributor.affiliation,
                },
                "affiliation": credit.affiliation,
                "credited_affiliation": credit.credited_affiliation,
            }
            for credit in credits
        ],
        "source": None
        if source is None
        else {
            "filename": source.filename,
            "content_hash": source.content_hash,
            "notes": source.notes,
            "imported_at": _time(source.imported_at),
            "imported_by": _username(source.imported_by),
        },
    }


def _picture(picture: Picture | None) -> dict | None:
    """A lead image's files: the original (its SHA-256 is what versions' hashes cover),
    by its name in the site's media storage, and the renditions made of it."""
    if picture is None:
        return None
    return {
        "sha256": picture.sha256,
        "content_type": picture.content_type,
        "width": picture.width,
        "height": picture.height,
        "size": picture.size,
        "original": picture.original,
        "renditions": picture.renditions,
    }


def _lookup_user(pk) -> str | None:
    """A user the history never mentions (a story saved with no history): rare, one query."""
    if pk is None:
        return None
    return get_user_model().objects.filter(pk=pk).values_list("username", flat=True).first()


def _revision(revision: Revision) -> dict:
    return {
        "number": revision.number,
        "kind": revision.kind,
        "public_note": revision.public_note,
        "internal_reason": revision.internal_reason,
        "published_at": _time(revision.published_at),
        "published_by": _username(revision.published_by),
        "published_by_id": revision.published_by_id,
        "headline": revision.headline,
        "dek": revision.dek,
        "body": revision.body,
        "body_html": revision.body_html,
        "byline": revision.byline,
        "tagline": revision.tagline,
        "credits": revision.credits,
        "section_name": revision.section_name,
        "section_slug": revision.section_slug,
        "dateline": revision.dateline,
        # As its hash covers it (payload version 3), and the files it points to.
        "image": revision.image,
        "picture": _picture(revision.picture),
        "previous_hash": revision.previous_hash,
        "content_hash": revision.content_hash,
        "hash_version": revision.hash_version,
        "leaf_index": _leaf_index(revision),
    }


def _leaf_index(revision: Revision) -> int | None:
    """Where the version's hash stands in the site's transparency log."""
    try:
        return revision.log_leaf.index
    except ObjectDoesNotExist:
        return None


def _history(story_rows: list, credit_rows: list, names: _Names) -> list[dict]:
    """Story and credit history merged into one timeline, oldest first."""
    timeline = []
    for order, (model, rows) in enumerate((("story", story_rows), ("credit", credit_rows))):
        by_object = groupby(sorted(rows, key=lambda row: row.id), key=lambda row: row.id)
        for _, object_rows in by_object:
            previous = None
            for row in object_rows:  # sorted() is stable: still in history order
                key = (row.history_date, order, row.history_id)
                timeline.append((key, _entry(model, row, previous, names)))
                previous = row
    timeline.sort(key=lambda item: item[0])
    return [entry for _, entry in timeline]


def _entry(model: str, row, previous, names: _Names) -> dict:
    entry = {
        "at": _time(row.history_date),
        "model": model,
        "object_id": row.id,
        "history_id": row.history_id,
        "action": _ACTIONS[row.history_type],
        "user": _username(row.history_user),
        "reason": row.history_change_reason,
        "changes": _changes(model, row, previous, names),
    }
    if model == "story":
        entry["edit_number"] = row.edit_number
    else:
        contributor = names.contributors.get(row.contributor_id)
        entry["credit"] = {
            "contributor": contributor.slug if contributor else None,
            "name": contributor.name if contributor else None,
            "role": row.role,
            "affiliation": row.affiliation,
            "position": row.position,
        }
    return entry


def _changes(model: str, row, previous, names: _Names) -> list[dict]:
    """Field by field: a creation lists every value (old ``null``), a deletion the reverse."""
    excluded = _NOT_CHANGES[model]
    if previous is not None and row.history_type != "-":
        delta = row.diff_against(previous, excluded_fields=excluded)
        return [
            {
                "field": change.field,
                "old": names.value(change.field, change.old),
                "new": names.value(change.field, change.new),
            }
            for change in delta.changes
        ]
    fields = sorted(
        field.name for field in row.tracked_fields if field.editable and field.name not in excluded
    )
    changes = []
    for field in fields:
        value = names.value(field, getattr(row, row._meta.get_field(field).attname))
        old, new = (value, None) if row.history_type == "-" else (None, value)
        changes.append({"field": field, "old": old, "new": new})
    return changes
