"""Import plain-text stories: one file, one transaction, nothing half-imported.

The text is read by the pure parser (``plaintext``); this module turns the
``ParsedStory`` into rows: the section, the contributors (reusing a known person), the
story and its ordered credits, a ``StorySource`` recording the file, and with
``publish=True`` the public versions, through ``stories.publishing`` like any other
publish: version 1 is the first publication and every note in the file becomes a later
version of its kind, in order, so the imported story's public history reads as it did
where the story came from.

Idempotent by slug and content hash. The slug comes from the headline; the hash covers
the parsed story (headline, paragraphs, credits, notes), so line endings or trailing
blanks do not count as a change. Importing text whose story already exists:

* same text: "unchanged", nothing is written (with ``publish=True`` an imported draft
  that nobody has edited since is published);
* different text, or a story that was not imported: refused with a message, the story
  is never overwritten.

The management command ``import_story`` is a thin loop over :func:`import_files`.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify

from stories import audit, editing, publishing
from stories.content.credits import outlet_key
from stories.content.rendering import escape_markdown
from stories.models import Contributor, Section, Story, StorySource
from stories.roles import ADD_SECTION

from .plaintext import ParsedCredit, ParsedStory, StoryFormatError, decode_story_bytes, parse_story

__all__ = [
    "DEFAULT_SECTION_NAME",
    "DEFAULT_SECTION_SLUG",
    "MAX_FILE_BYTES",
    "ImportRefused",
    "ImportResult",
    "ImportStatus",
    "UnknownSection",
    "content_hash",
    "default_section",
    "find_section",
    "import_file",
    "import_files",
    "import_text",
    "story_slug",
]

logger = logging.getLogger(__name__)

#: Stories without ``section`` go to this section, created on first use.
DEFAULT_SECTION_SLUG = "imported"
DEFAULT_SECTION_NAME = "Imported"

#: A plain-text story is a few kilobytes; anything this large is not one.
MAX_FILE_BYTES = 5 * 1024 * 1024


class ImportStatus(enum.StrEnum):
    CREATED = "created"  # a new draft
    PUBLISHED = "published"  # a new story (or an imported draft) published with its notes
    UNCHANGED = "unchanged"  # the same text was imported before; nothing written
    FAILED = "failed"  # nothing written; ``problem`` says why


@dataclass(frozen=True)
class ImportResult:
    """What happened to one file; ``line()`` is the one line a person reads."""

    source: str
    status: ImportStatus
    story: Story | None = None
    problem: str = ""
    credits: int = 0
    notes: int = 0
    revisions: int = 0

    @property
    def failed(self) -> bool:
        return self.status == ImportStatus.FAILED

    def line(self) -> str:
        if self.failed:
            return f"import failed: {self.source}: {self.problem}"
        slug = self.story.slug
        if self.status == ImportStatus.UNCHANGED:
            return f"unchanged {self.source}: {slug}"
        what = _count(self.credits, "credit")
        if self.status == ImportStatus.PUBLISHED:
            return f"published {self.source}: {slug} ({what}, {_count(self.revisions, 'version')})"
        if self.notes:
            what += f", {_count(self.notes, 'note')} kept until it is published"
        return f"created {self.source}: {slug} (draft, {what})"


class ImportRefused(Exception):
    """One file cannot be imported; the message says why, in one line."""


class UnknownSection(LookupError):
    """``--section`` names no section; the message lists the ones there are."""


# Sections ------------------------------------------------------------------------------


def markdown_body(parsed) -> str:
    """The story body from plain-text paragraphs: Markdown that renders as that text."""
    return "\n\n".join(escape_markdown(paragraph) for paragraph in parsed.paragraphs)


def find_section(slug: str) -> Section:
    try:
        return Section.objects.get(slug=slug)
    except Section.DoesNotExist:
        available = list(Section.objects.order_by("slug").values_list("slug", flat=True))
        listed = ", ".join(available) if available else "none yet"
        raise UnknownSection(
            f"no section with the slug {slug!r}; available sections: {listed}"
        ) from None


def default_section(*, user, reason: str) -> Section:
    """The "Imported" section (by slug, else by name), created on first use.

    Created by the importing user when they may create sections; otherwise (a reporter
    importing drafts) by the system user: it is the importer's holding section, not an
    editorial choice.
    """
    section = (
        Section.objects.filter(slug=DEFAULT_SECTION_SLUG).first()
        or Section.objects.filter(name=DEFAULT_SECTION_NAME).first()
    )
    if section is None:
        section = Section(
            name=DEFAULT_SECTION_NAME,
            slug=DEFAULT_SECTION_SLUG,
            description="Stories imported from plain-text files, waiting for a section.",
        )
        creator = user if user.has_perm(ADD_SECTION) else audit.system_user()
        editing.save_section(section, user=creator, reason=reason)
    return section


# Importing -----------------------------------------------------------------------------


def import_files(
    paths: Iterable[str | PathLike],
    *,
    user=None,
    section: Section | None = None,
    publish: bool = False,
) -> Iterator[ImportResult]:
    """Import each file in its own transaction; a failed file does not stop the others."""
    user = user or audit.system_user()
    for path in paths:
        yield import_file(path, user=user, section=section, publish=publish)


def import_file(
    path: str | PathLike,
    *,
    user=None,
    section: Section | None = None,
    publish: bool = False,
) -> ImportResult:
    """Import one plain-text story file (see the module doc); never raises for bad input."""
    shown = str(path)
    try:
        text = decode_story_bytes(_read(Path(path)))
    except (ImportRefused, StoryFormatError) as error:
        return ImportResult(shown, ImportStatus.FAILED, problem=str(error))
    return import_text(
        text, filename=Path(path).name, source=shown, user=user, section=section, publish=publish
    )


def import_text(
    text: str,
    *,
    filename: str,
    source: str | None = None,
    user=None,
    section: Section | None = None,
    publish: bool = False,
) -> ImportResult:
    """Import a story from its text, in one transaction, as ``user`` (default: system).

    ``filename`` names the source in the history ("Imported from FILENAME"); ``source``
    is how results name it (default: the filename).
    """
    source = source or filename
    user = user or audit.system_user()
    try:
        parsed = parse_story(text)
        with audit.acting_as(user), transaction.atomic():
            return _import(
                parsed,
                filename=filename,
                source=source,
                user=user,
                section=section,
                publish=publish,
            )
    except (ImportRefused, StoryFormatError, PermissionDenied) as error:
        problem = str(error)
    except ValidationError as error:
        problem = "; ".join(error.messages)
    except DatabaseError as error:
        logger.warning("import of %s failed in the database: %s", source, error)
        problem = f"the database refused it ({' '.join(str(error).split())})"
    return ImportResult(source, ImportStatus.FAILED, problem=problem)


def story_slug(parsed: ParsedStory, filename: str = "") -> str:
    """The slug of the story's URL: from the headline, else from the file's name."""
    max_length = Story._meta.get_field("slug").max_length
    slug = slugify(parsed.headline)[:max_length].strip("-")
    if not slug:
        slug = slugify(Path(filename).stem)[:max_length].strip("-")
    if not slug:
        raise ImportRefused(
            "cannot make a URL slug from the headline; name the file after the story"
        )
    return slug


def content_hash(parsed: ParsedStory) -> str:
    """SHA-256 of the parsed story: what decides "unchanged" on a second import."""
    payload = {
        "headline": parsed.headline,
        "paragraphs": list(parsed.paragraphs),
        "credits": [[c.name, c.affiliation, c.role] for c in parsed.credits],
        "notes": [[n.kind, n.text] for n in parsed.notes],
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read(path: Path) -> bytes:
    """The file's bytes, at most ``MAX_FILE_BYTES`` of them.

    Only a regular file is read: a FIFO would block until something writes to it and a
    device such as /dev/zero never ends. The file is opened without blocking and checked
    on its open descriptor (so it cannot be swapped in between), and reading stops one
    byte past the limit whatever size the file reports.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ImportRefused("no such file") from None
    except PermissionError:
        raise ImportRefused("cannot read the file (permission denied)") from None
    except OSError as error:
        raise ImportRefused(f"cannot read the file ({error.strerror or error})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise ImportRefused("is a directory, not a story file")
        if not stat.S_ISREG(mode):
            raise ImportRefused(
                f"is not a regular file (it is {_file_kind(mode)}); nothing was read"
            )
        with os.fdopen(descriptor, "rb") as file:
            descriptor = None  # the file object closes it now
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ImportRefused(f"cannot read the file ({error.strerror or error})") from None
    finally:
        if descriptor is not None:
            os.close(descriptor)
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            f"the file is larger than {MAX_FILE_BYTES:,} bytes, the most a story file may be"
        )
    return data


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a file")


def _import(
    parsed: ParsedStory, *, filename: str, source: str, user, section, publish: bool
) -> ImportResult:
    reason = f"Imported from {filename}"
    slug = story_slug(parsed, filename)
    digest = content_hash(parsed)
    credits = _unique_credits(parsed.credits)
    existing = Story.objects.filter(slug=slug).first()
    if existing is not None:
        return _import_again(existing, parsed, credits, digest, source, user, publish)

    _check_lengths(credits)
    story = Story(
        headline=parsed.headline,
        slug=slug,
        body=markdown_body(parsed),
        section=section or default_section(user=user, reason=reason),
    )
    lines = []
    for position, parsed_credit in enumerate(credits):
        contributor = _contributor(parsed_credit, user=user, reason=reason)
        lines.append(
            editing.CreditLine(
                contributor=contributor,
                role=parsed_credit.role,
                # Blank means "the contributor's own"; kept only where this credit differs.
                affiliation=""
                if parsed_credit.affiliation == contributor.affiliation
                else parsed_credit.affiliation,
                position=position,
            )
        )
    editing.save_story(story, user=user, reason=reason, credits=lines)
    StorySource.objects.create(
        story=story,
        filename=filename,
        content_hash=digest,
        notes=[{"kind": note.kind, "text": note.text} for note in parsed.notes],
        imported_by=user,
    )
    counts = {"credits": len(credits), "notes": len(parsed.notes)}
    if not publish:
        return ImportResult(source, ImportStatus.CREATED, story, **counts)
    revisions = _publish_with_notes(story, parsed, user=user, reason=reason)
    return ImportResult(source, ImportStatus.PUBLISHED, story, revisions=revisions, **counts)


def _import_again(
    story: Story,
    parsed: ParsedStory,
    credits: list[ParsedCredit],
    digest: str,
    source: str,
    user,
    publish: bool,
) -> ImportResult:
    """The slug exists: "unchanged" for the same text, otherwise refuse to overwrite."""
    origin = StorySource.objects.filter(story=story).first()
    if origin is None:
        raise ImportRefused(
            f"a story with the slug {story.slug!r} already exists and was not imported "
            "from a file; it was left unchanged"
        )
    if origin.content_hash != digest:
        raise ImportRefused(
            f"a story with the slug {story.slug!r} was imported from different text "
            f"({origin.filename}, {timezone.localtime(origin.imported_at):%Y-%m-%d %H:%M %Z}); "
            "it was left "
            "unchanged: edit it in the admin, or change the headline to import a new story"
        )
    if publish and not story.has_published_version and not story.is_scheduled:
        if _working_copy(story) != (parsed.headline, markdown_body(parsed), _credit_keys(credits)):
            raise ImportRefused(
                f"the draft {story.slug!r} was imported from this file and edited since; "
                "publish it from the admin so the edits are reviewed"
            )
        reason = f"Imported from {origin.filename}"
        revisions = _publish_with_notes(story, parsed, user=user, reason=reason)
        return ImportResult(
            source,
            ImportStatus.PUBLISHED,
            story,
            credits=len(credits),
            notes=len(parsed.notes),
            revisions=revisions,
        )
    return ImportResult(source, ImportStatus.UNCHANGED, story)


def _publish_with_notes(story: Story, parsed: ParsedStory, *, user, reason: str) -> int:
    """Version 1, then one version per note: the working copy is the same for all of them.

    An archived story was checked where it was first published, and nobody here edited
    it: it is published without a second editor's approval, which needs
    ``stories.publish_without_review`` (the system user has it) and is recorded, with
    this reason, in the desk's list of publishes without review.
    """
    bypass = f"{reason}: an archived story, published before it came to this newsroom"
    publishing.publish(story, user=user, internal_reason=reason, review_bypass=bypass)
    for note in parsed.notes:
        publishing.publish(
            story,
            user=user,
            kind=note.kind,
            public_note=note.text,
            internal_reason=reason,
            review_bypass=bypass,
        )
    return 1 + len(parsed.notes)


def _unique_credits(credits: Iterable[ParsedCredit]) -> list[ParsedCredit]:
    """One credit per person and role (a story credits a contributor once per role)."""
    seen, unique = set(), []
    for credit in credits:
        key = (_person_key(credit.name, credit.affiliation), credit.role)
        if key not in seen:
            seen.add(key)
            unique.append(credit)
    return unique


def _person_key(name: str, affiliation: str) -> tuple[str, str]:
    """Two contributors are the same person when name and outlet match (case, "the")."""
    return " ".join(name.split()).casefold(), outlet_key(affiliation)


def _credit_keys(credits: Iterable[ParsedCredit]) -> list[tuple[str, str, str]]:
    return [(c.name, c.affiliation, c.role) for c in credits]


def _working_copy(story: Story) -> tuple[str, str, list[tuple[str, str, str]]]:
    credits = [
        (credit.contributor.name, credit.credited_affiliation, credit.role)
        for credit in story.ordered_credits()
    ]
    return story.headline, story.body, credits


def _check_lengths(credits: Iterable[ParsedCredit]) -> None:
    limits = {
        "name": Contributor._meta.get_field("name").max_length,
        "affiliation": Contributor._meta.get_field("affiliation").max_length,
    }
    for credit in credits:
        for what, limit in limits.items():
            value = getattr(credit, what)
            if len(value) > limit:
                raise ImportRefused(
                    f"the contributor {what} {value[:40]!r}... is {len(value)} characters; "
                    f"the maximum is {limit}"
                )


def _contributor(credit: ParsedCredit, *, user, reason: str) -> Contributor:
    """The known contributor with this name and outlet, or a new one as written."""
    key = _person_key(credit.name, credit.affiliation)
    for candidate in Contributor.objects.filter(name__iexact=credit.name).order_by("pk"):
        if _person_key(candidate.name, candidate.affiliation) == key:
            return candidate
    contributor = Contributor(
        name=credit.name, slug=_unique_contributor_slug(credit.name), affiliation=credit.affiliation
    )
    editing.save_contributor(contributor, user=user, reason=reason)
    return contributor


def _unique_contributor_slug(name: str) -> str:
    """slugify(name), with "-2", "-3", ... when another contributor has it."""
    max_length = Contributor._meta.get_field("slug").max_length - 10  # room for a suffix
    base = slugify(name)[:max_length].strip("-") or "contributor"
    taken = set(Contributor.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
