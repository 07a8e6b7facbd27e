"""Removing published content for a legal reason: the one sanctioned rewrite of the record,
and one that leaves a public trace and an internal one.

A court order or a legal threat may require that the text (or the picture) of a version
readers could see disappears, from the site and from the newsroom's own copies.
``remove_content`` (run by ``manage.py remove_version_content``, superusers only, as the
database's owner: ``privileges.as_owner``) does, in one transaction:

* blanks the versions named (their text, the plain text kept for search, their picture),
  and their rows in the audit trail;
* takes out of every other row that holds it the *removed content*: each passage (a line
  or a sentence) of those versions that no remaining version carries, replaced by
  ``[removed]`` in the working copy's audit trail (the story's rows and its credits'),
  in readers' reports on the story and their audit rows, in the admin's log and in the
  import's notes; a report about a removed version loses its description and its
  quote outright; the removed picture leaves the story's audit rows;
* links the audit tables it rewrote again (``audit_chain.chain_table``, after checking
  that their chains were whole), so ``verify_revisions`` passes;
* records all of it: a ``ContentRemoval`` per version (public: when, and the note readers
  see) and one ``Redaction`` (internal: who, when, the legal reason, every row and field
  rewritten, the files deleted), both append-only;
* once it has committed, deletes the picture's files from the media storage when no
  remaining version and no working copy uses the picture (``manage.py
  delete_unused_pictures`` deletes them later if that fails).

Each version keeps its number, kind, time, hash and leaf in the transparency log, so the
record stays verifiable: the outside verifier reports "content removed on DATE", and that
the rest is intact.

Refused: the live version of a public story (publish an update without the content
first), and a working copy that still holds removed content (edit it out first), since
it would carry it into the next version.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.dispatch import Signal
from django.utils import timezone

from stories.models import (
    AutosaveDraft,
    Comment,
    ContentRemoval,
    Credit,
    ErrorReport,
    Notification,
    Picture,
    Redaction,
    Review,
    ReviewStep,
    Revision,
    Story,
    StorySource,
)
from stories.models.base import ChainedHistoryRow

from . import append_only, audit_chain, privileges

logger = logging.getLogger(__name__)

#: Sent after the removal commits (``story``, ``numbers``): cached pages must forget it.
content_removed = Signal()
#: Sent inside the removal's transaction (``story``, ``revisions``, ``public_note``): what a
#: receiver writes commits with the removal or not at all (the webhooks' outbox).
content_removal_recorded = Signal()

#: What stands where removed content stood.
REDACTED = "[removed]"

#: The fields blanked in the versions and in their audit rows: everything readers read of
#: the version but its section, and the plain text kept for search.
REMOVED_FIELDS = {
    "headline": "",
    "dek": "",
    "body": "",
    "body_html": "",
    "body_text": "",
    "byline": "",
    "tagline": "",
    "credits": [],
    "dateline": "",
    "picture": None,
    "image_alt": "",
    "image_caption": "",
    "image_credit": "",
}
#: A version's text, passage by passage (``body_text`` is the body as readers read it,
#: without Markdown: what they quote).
VERSION_TEXT = (
    "headline", "dek", "body", "body_text", "byline", "tagline", "dateline",
    "image_alt", "image_caption", "image_credit",
)  # fmt: skip
#: The working copy's text, in the story and in its audit rows.
STORY_TEXT = ("headline", "dek", "body", "dateline", "image_alt", "image_caption")
#: A reader's report: what they wrote, and what the desk noted.
REPORT_TEXT = ("description", "passage", "internal_notes")
#: Passages shorter than this are words, not content: "Updated." stays where it is.
SHORTEST_PASSAGE = 8

#: Where a passage ends: a line break, or the space after a sentence's end (and its
#: closing quote or bracket, which stays with the sentence).
_PASSAGE_END = re.compile(r"\n+|(?<=[.!?…])\s+|(?<=[.!?…][\"'”’)\]])\s+")


def remove_content(
    story: Story, numbers: list[int], *, user, public_note: str, internal_reason: str
) -> list[ContentRemoval]:
    """Remove the content of versions ``numbers`` of ``story`` wherever it is held, and
    record why, publicly and internally."""
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
        content = RemovedContent.of(locked, revisions)
        _refuse_working_copy(locked, content)
        now = timezone.now()
        redaction = _Redaction()
        audit_chain.lock(connections[alias])  # before the tables' locks, as every writer
        _check_chains(alias)
        # Only the append-only tables it rewrites: lifting takes each one's exclusive
        # lock until the commit, and reader pages read the rest meanwhile.
        rewritten = [Revision, Revision.history.model, Story.history.model]
        rewritten += [Credit.history.model, ErrorReport.history.model]
        rewritten += [model.history.model for model in DESK_MODELS]
        with append_only.lifted([model._meta.db_table for model in rewritten], using=alias):
            _redact_versions(revisions, redaction)
            _redact_working_copy(locked, content, redaction)
            _redact_reports(locked, revisions, content, redaction)
            _redact_elsewhere(locked, revisions, content, redaction)
            _redact_desk(locked, content, redaction)
            for model, first in redaction.first_rows.items():
                audit_chain.chain_table(model, alias, after=first - 1)
        files = _unused_files(content.pictures)
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
        content_removal_recorded.send(
            sender=Story, story=locked, revisions=revisions, public_note=public_note.strip()
        )
        Redaction.objects.create(
            story=locked,
            versions=removed,
            redacted_at=now,
            redacted_by=user,
            reason=internal_reason.strip(),
            rows=redaction.rows,
            files=files,
        )
        logger.warning(
            "content of %s version(s) %s removed by %s: %s (%d rows redacted, %d files)",
            locked.slug,
            ", ".join(map(str, removed)),
            user.get_username(),
            internal_reason.strip(),
            len(redaction.rows),
            len(files),
        )
        transaction.on_commit(lambda: delete_files(files), using=alias)
        transaction.on_commit(
            lambda: content_removed.send(sender=Story, story=locked, numbers=removed),
            using=alias,
        )
    return removals


# -- what is removed -------------------------------------------------------------------------


@dataclass
class RemovedContent:
    """The passages of the removed versions that no remaining version carries, longest
    first, and the pictures no remaining version of the story shows."""

    passages: list[str]
    pictures: list[Picture]

    @classmethod
    def of(cls, story: Story, revisions: list[Revision]) -> RemovedContent:
        removed_ids = {revision.pk for revision in revisions}
        kept = [revision for revision in story.revisions.all() if revision.pk not in removed_ids]
        kept_text = "\n".join(
            str(getattr(revision, name) or "") for revision in kept for name in VERSION_TEXT
        )
        found = {
            passage
            for revision in revisions
            for name in VERSION_TEXT
            for passage in passages(getattr(revision, name) or "")
            if passage not in kept_text
        }
        kept_pictures = {revision.picture_id for revision in kept}
        pictures = {
            revision.picture_id: revision.picture
            for revision in revisions
            if revision.picture_id and revision.picture_id not in kept_pictures
        }
        return cls(sorted(found, key=len, reverse=True), list(pictures.values()))

    def redact(self, text: str | None) -> str | None:
        """``text`` with every removed passage replaced (``None`` stays ``None``)."""
        if not text:
            return text
        for passage in self.passages:
            text = text.replace(passage, REDACTED)
        return text

    def held_by(self, text: str | None) -> bool:
        return bool(text) and self.redact(text) != text


def passages(text: str) -> list[str]:
    """``text`` cut into lines, and lines into sentences, each long enough to matter."""
    pieces = (piece.strip() for piece in _PASSAGE_END.split(text))
    return [piece for piece in pieces if len(piece) >= SHORTEST_PASSAGE]


# -- the rewrite ------------------------------------------------------------------------------


@dataclass
class _Redaction:
    """The rows rewritten so far (for the ``Redaction``), and, per audit table, the first
    row rewritten (the chain is linked again from there)."""

    rows: list[dict] = field(default_factory=list)
    first_rows: dict = field(default_factory=dict)

    def rewrite(self, queryset, key: str, change) -> None:
        """Save ``change(row)`` (a dict of new values, empty for none) for each row."""
        model = queryset.model
        for row in queryset.order_by(key):
            values = change(row)
            if not values:
                continue
            model._base_manager.filter(**{key: getattr(row, key)}).update(**values)
            row_id = getattr(row, key)
            self.rows.append(
                {"table": model._meta.db_table, "id": row_id, "fields": sorted(values)}
            )
            if issubclass(model, ChainedHistoryRow):
                self.first_rows[model] = min(self.first_rows.get(model, row_id), row_id)


def _changes(row, names, content: RemovedContent, *, blank: bool = False) -> dict:
    """The new values of ``row``'s text fields ``names``: redacted, or with ``blank``
    replaced outright where there is anything to replace."""
    values = {}
    for name in names:
        old = getattr(row, name)
        new = (REDACTED if old else old) if blank else content.redact(old)
        if new != old:
            values[name] = new
    return values


def _redact_versions(revisions: list[Revision], redaction: _Redaction) -> None:
    ids = [revision.pk for revision in revisions]

    def blank(row):
        return {
            name: value
            for name, value in REMOVED_FIELDS.items()
            if getattr(row, "picture_id" if name == "picture" else name) != value
        }

    # The plain manager: Revision.objects refuses updates, as it should.
    redaction.rewrite(Revision._base_manager.filter(pk__in=ids), "pk", blank)
    redaction.rewrite(Revision.history.filter(id__in=ids), "history_id", blank)


def _redact_working_copy(story: Story, content: RemovedContent, redaction: _Redaction) -> None:
    pictures = {picture.pk for picture in content.pictures}

    def story_row(row):
        values = _changes(row, STORY_TEXT, content)
        if row.picture_id in pictures:
            values["picture"] = None
        return values

    redaction.rewrite(Story.history.filter(id=story.pk), "history_id", story_row)
    redaction.rewrite(
        Credit.history.filter(story_id=story.pk),
        "history_id",
        lambda row: _changes(row, ["affiliation"], content),
    )


def _redact_reports(
    story: Story, revisions: list[Revision], content: RemovedContent, redaction: _Redaction
) -> None:
    """Readers' reports on the story: those about a removed version lose what the reader
    wrote outright (it is about that content); the rest, the removed passages."""
    removed = {revision.pk for revision in revisions} | set(
        ContentRemoval.objects.filter(revision__story=story).values_list("revision_id", flat=True)
    )

    def report(row):
        if row.seen_revision_id in removed:
            return {
                **_changes(row, ["description", "passage"], content, blank=True),
                **_changes(row, ["internal_notes"], content),
            }
        return _changes(row, REPORT_TEXT, content)

    redaction.rewrite(ErrorReport.objects.filter(story=story), "pk", report)
    redaction.rewrite(ErrorReport.history.filter(story_id=story.pk), "history_id", report)


def _redact_elsewhere(
    story: Story, revisions: list[Revision], content: RemovedContent, redaction: _Redaction
) -> None:
    """The admin's log of changes (its rows name the objects they changed) and the
    notes an import kept."""
    types = ContentType.objects.get_for_models(Story, Revision, Credit)
    objects = [
        (types[Story], [story.pk]),
        (types[Revision], [revision.pk for revision in revisions]),
        (types[Credit], list(Credit.objects.filter(story=story).values_list("pk", flat=True))),
    ]
    for content_type, ids in objects:
        redaction.rewrite(
            LogEntry.objects.filter(content_type=content_type, object_id__in=[str(i) for i in ids]),
            "pk",
            lambda row: _changes(row, ["object_repr"], content),
        )

    def notes(row):
        redacted = [{**note, "text": content.redact(note.get("text", ""))} for note in row.notes]
        return {"notes": redacted} if redacted != row.notes else {}

    redaction.rewrite(StorySource.objects.filter(story=story), "pk", notes)


#: The desk's rows that may quote a story's text, with their audit rows: comments (their
#: words and the passage they quote) and review messages.
DESK_MODELS = (Comment, Review, ReviewStep)
DESK_TEXT = {Comment: ("body", "quote"), Review: ("message",), ReviewStep: ("message",)}


def _redact_desk(story: Story, content: RemovedContent, redaction: _Redaction) -> None:
    """The desk's talk about the story (comments, review messages, their audit rows), the
    notifications that quoted it, and unsaved drafts of its form: internal, but copies of
    the removed text all the same."""
    for model in DESK_MODELS:
        names = DESK_TEXT[model]
        redaction.rewrite(
            model.objects.filter(story=story), "pk", lambda row, n=names: _changes(row, n, content)
        )
        redaction.rewrite(
            model.history.filter(story_id=story.pk),
            "history_id",
            lambda row, n=names: _changes(row, n, content),
        )
    redaction.rewrite(
        Notification.objects.filter(story=story), "pk", lambda row: _changes(row, ["text"], content)
    )

    def draft(row):
        fields = {
            name: content.redact(value) if isinstance(value, str) else value
            for name, value in row.fields.items()
        }
        return {"fields": fields} if fields != row.fields else {}

    redaction.rewrite(AutosaveDraft.objects.filter(story=story), "pk", draft)


# -- checks ----------------------------------------------------------------------------------


def _check_chains(alias: str) -> None:
    """Linking a table again over damage would hide it: every audit table must verify."""
    broken = [
        problem
        for model in audit_chain.chained_models()
        for problem in audit_chain.verify_table(model, alias)
    ]
    if broken:
        raise ValidationError(
            "The audit trail is already broken (manage.py verify_revisions): a removal "
            "would link it again over the damage. Investigate first. " + broken[0]
        )


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


def _refuse_working_copy(story: Story, content: RemovedContent) -> None:
    errors = {
        name: "The working copy still holds content to be removed here: edit it out first."
        for name in STORY_TEXT
        if content.held_by(getattr(story, name))
    }
    if story.picture_id in {picture.pk for picture in content.pictures}:
        errors["picture"] = (
            "The working copy still shows the picture to be removed: take it out first."
        )
    if errors:
        raise ValidationError(errors)


# -- files -----------------------------------------------------------------------------------


def _unused_files(pictures: list[Picture]) -> list[str]:
    """The files of ``pictures`` that no version and no working copy uses any more."""
    unused = [
        picture
        for picture in pictures
        if not Revision.objects.filter(picture=picture).exists()
        and not Story.objects.filter(picture=picture).exists()
    ]
    return sorted(name for picture in unused for name in picture.files)


def delete_files(names: list[str]) -> None:
    """Delete ``names`` from the media storage; a failure is logged, the rest goes on (the
    clean-up command deletes what is left, since nothing uses it)."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError as error:
            logger.error("could not delete %s from the media storage: %s", name, error)
