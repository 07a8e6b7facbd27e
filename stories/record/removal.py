"""Removing published content for a legal reason: the one deliberate way past the
append-only triggers, and one that leaves a public trace.

A court order or a legal threat may require that the text of a version readers could see
disappears. ``remove_content`` (run by ``manage.py remove_version_content``, superusers
only) blanks the text of the versions named, and of their copies in the audit trail,
inside one transaction that lifts the triggers on those two tables and puts them back
before it commits (``append_only.lifted``). It writes a ``ContentRemoval`` row per version
(append-only itself), logs a warning, and the story's public history then says that the
content of version N was removed, when, and the note. Each version keeps its number,
kind, time, hash and leaf in the transparency log, so the record stays verifiable: the
outside verifier reports the removal, and that the rest is intact.

The live version of a public story cannot be removed: publish an update without the
offending text first (the working copy then no longer holds it either).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from stories.models import ContentRemoval, Revision, Story

from . import append_only, privileges

logger = logging.getLogger(__name__)

#: Sent after the removal commits (``story``, ``numbers``): cached pages must forget it.
content_removed = Signal()

#: The fields blanked: everything readers read of the version but its section.
REMOVED_FIELDS = {
    "headline": "",
    "dek": "",
    "body": "",
    "body_html": "",
    "byline": "",
    "tagline": "",
    "credits": [],
    "dateline": "",
    # The lead image too: the version no longer points to its picture. The picture's
    # files stay in the media storage (other versions may show them); removing them
    # there is the operator's step (docs/operations.md).
    "picture": None,
    "image_alt": "",
    "image_caption": "",
    "image_credit": "",
}


def remove_content(
    story: Story, numbers: list[int], *, user, public_note: str, internal_reason: str
) -> list[ContentRemoval]:
    """Blank the text of versions ``numbers`` of ``story`` and record why, publicly."""
    if user is None or not user.is_superuser:
        name = getattr(user, "username", None) or "anonymous"
        raise PermissionDenied(f"{name} is not a superuser: only a superuser may remove content.")
    errors = {}
    if not public_note.strip():
        errors["public_note"] = "Readers are told that content was removed: write the note."
    if not internal_reason.strip():
        errors["internal_reason"] = "Give the legal reason (the order, the claim) for the record."
    if errors:
        raise ValidationError(errors)
    # As the owner (privileges.py): only the role that owns the tables may lift triggers.
    with privileges.as_owner() as alias, transaction.atomic(using=alias):
        locked = Story.objects.select_for_update().get(pk=story.pk)
        revisions = list(Revision.objects.filter(story=locked, number__in=numbers))
        _refuse(locked, numbers, revisions)
        ids = [revision.pk for revision in revisions]
        history = Revision.history.model
        with append_only.lifted([Revision._meta.db_table, history._meta.db_table], using=alias):
            # The plain manager: Revision.objects refuses updates, as it should.
            Revision._base_manager.filter(pk__in=ids).update(**REMOVED_FIELDS)
            history.objects.filter(id__in=ids).update(**REMOVED_FIELDS)
        now = timezone.now()
        removals = ContentRemoval.objects.bulk_create(
            ContentRemoval(
                revision=revision,
                removed_at=now,
                public_note=public_note.strip(),
                internal_reason=internal_reason.strip(),
                removed_by=user,
            )
            for revision in revisions
        )
        removed = sorted(revision.number for revision in revisions)
        logger.warning(
            "content of %s version(s) %s removed by %s: %s",
            locked.slug,
            ", ".join(map(str, removed)),
            user.get_username(),
            internal_reason.strip(),
        )
        transaction.on_commit(
            lambda: content_removed.send(sender=Story, story=locked, numbers=removed),
            using=alias,
        )
    return removals


def _refuse(story: Story, numbers: list[int], revisions: list[Revision]) -> None:
    found = {revision.number for revision in revisions}
    missing = sorted(set(numbers) - found)
    if missing or not numbers:
        raise ValidationError(
            f"{story.slug} has no version {', '.join(map(str, missing))}."
            if missing
            else "Name the versions whose content must be removed."
        )
    done = sorted(
        ContentRemoval.objects.filter(revision__in=revisions).values_list(
            "revision__number", flat=True
        )
    )
    if done:
        raise ValidationError(
            f"The content of version {', '.join(map(str, done))} was removed already."
        )
    if story.is_public and story.latest_revision_id in {r.pk for r in revisions}:
        live = next(r.number for r in revisions if r.pk == story.latest_revision_id)
        raise ValidationError(
            f"Version {live} is what readers see now: publish an update without the content "
            "first, then remove it from the earlier versions."
        )
