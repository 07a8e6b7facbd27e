"""What the API serves, read from published versions and the story's public pointers
only (never the working copy), as the models of ``schemas``.

Built here from the domain rather than from the reader's page objects: the reader and
the API are sibling rooms (import-linter's contract keeps them apart), and what each
needs differs (the reader's pages carry safe HTML for templates; the API carries plain
values and absolute addresses). What both must agree on lives inward and is used by
both: the live versions (``Revision.objects.live()``) and the stories with a public
record (a ``latest_revision``: published once, withdrawn or not), the version snapshot
and its comparison (``stories.content.diffing``), and the picture files
(``stories.media.pictures``).

The rule for withdrawn text is ``serves_text``: a withdrawn story's versions keep their
headline, kind, note, time and hash (the record the withdrawal promised), not their text.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import F
from django.http import Http404
from django.urls import reverse

from stories import addresses
from stories.content.diffing import compare_snapshots, diff_snapshot
from stories.content.kinds import RevisionKind
from stories.media import pictures
from stories.models import Contributor, Revision, Section, Story, image_snapshot

from . import schemas
from .cursors import Cursor

#: Versions per page of a story's record.json (``stories.reader.record.RECORD_PER_PAGE``:
#: the record's pages are numbered by it, and its address is public).
RECORD_PER_PAGE = 50
#: The largest version number the database holds (a positive 32-bit integer column).
LARGEST_NUMBER = 2**31 - 1
#: The kinds the corrections list holds (as the reader's corrections page).
CORRECTION_KINDS = (RevisionKind.CORRECTION, RevisionKind.CLARIFICATION)

#: What a list of stories reads of each story's latest version.
SUMMARY_FIELDS = (
    "story__public_id", "story__slug", "story__status", "story__first_published_at",
    "story__updated_at", "number", "kind", "public_note", "published_at", "headline",
    "dek", "byline", "section_name", "section_slug", "seq",
)  # fmt: skip
#: What a version's answer reads.
VERSION_FIELDS = (
    "story__public_id", "story__slug", "story__status", "number", "kind", "public_note",
    "published_at", "headline", "dek", "body", "body_html", "byline", "tagline",
    "credits", "section_name", "section_slug", "dateline", "image_alt", "image_caption",
    "image_credit", "picture__sha256", "picture__width", "picture__height",
    "picture__original", "picture__renditions", "picture__content_type", "content_hash",
    "previous_hash", "hash_version", "log_leaf__index", "removal__removed_at",
    "removal__public_note",
)  # fmt: skip


class NotFound(Http404):
    """Nothing public answers to this address (the API's 404)."""


def absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else addresses.absolute_url(path)


def serves_text(status: str) -> bool:
    """Whether a story's versions are served with their text: not once it is withdrawn."""
    return status != Story.Status.WITHDRAWN


# -- addresses ---------------------------------------------------------------------------


def story_url(slug: str) -> str:
    return absolute(reverse("reader:story", kwargs={"slug": slug}))


def story_api_url(story_id) -> str:
    return absolute(reverse("api:story", kwargs={"story_id": story_id}))


def version_api_url(story_id, number: int) -> str:
    return absolute(reverse("api:version", kwargs={"story_id": story_id, "number": number}))


def ninjs_url(story_id, number: int | None = None) -> str:
    if number is None:
        return absolute(reverse("api:story_ninjs", kwargs={"story_id": story_id}))
    return absolute(reverse("api:version_ninjs", kwargs={"story_id": story_id, "number": number}))


def record_url(slug: str, number: int) -> str:
    page = (number - 1) // RECORD_PER_PAGE + 1
    path = reverse("reader:story_record", kwargs={"slug": slug})
    return absolute(f"{path}?page={page}" if page > 1 else path)


# -- stories -----------------------------------------------------------------------------


def latest_versions():
    """The latest version of every story ever published (public or withdrawn), with
    ``seq``: its leaf in the transparency log, which publishing assigns under the log's
    lock, so it grows in the order publishes commit. That is the order of "last change"
    the list is sorted and paged by: a walk never misses a story published meanwhile."""
    return Revision.objects.filter(
        story__latest_revision=F("pk"), story__latest_revision__isnull=False
    ).annotate(seq=F("log_leaf__index"))


def section_ref(row) -> schemas.SectionRef:
    return schemas.SectionRef(slug=row["section_slug"], name=row["section_name"])


def story_summary(row) -> schemas.StorySummary:
    story_id = row["story__public_id"]
    text = serves_text(row["story__status"])
    return schemas.StorySummary(
        id=story_id,
        slug=row["story__slug"],
        headline=row["headline"],
        dek=row["dek"] if text else None,
        byline=row["byline"] if text else None,
        section=section_ref(row),
        version=row["number"],
        kind=row["kind"],
        public_note=row["public_note"],
        changed_at=row["published_at"],
        first_published_at=row["story__first_published_at"],
        updated_at=row["story__updated_at"],
        withdrawn=not text,
        url=story_url(row["story__slug"]),
        api_url=story_api_url(story_id),
        ninjs_url=ninjs_url(story_id),
    )


def story_list(
    *,
    cursor: Cursor,
    limit: int,
    section: str | None = None,
    contributor: str | None = None,
    kind: str | None = None,
    modified_since: datetime | None = None,
) -> tuple[list[schemas.StorySummary], Cursor | None]:
    """A page of stories by last change (``cursor.order``), and the cursor of the next."""
    versions = latest_versions()
    if section:
        versions = versions.filter(section_slug=section)
    if contributor:
        versions = versions.filter(pk__in=Revision.objects.crediting(contributor).values("pk"))
    if kind:
        versions = versions.filter(kind=kind)
    if modified_since:
        versions = versions.filter(published_at__gte=modified_since)
    rows = cursor.page(versions.values(*SUMMARY_FIELDS), "seq", limit)
    return [story_summary(row) for row in rows[:limit]], cursor.following(rows, "seq", limit)


def story_row(story_id: UUID, *fields: str) -> dict:
    row = latest_versions().filter(story__public_id=story_id).values(*fields).first()
    if row is None:
        raise NotFound("No published story has this id.")
    return row


def story(story_id: UUID) -> schemas.Story:
    row = story_row(story_id, *SUMMARY_FIELDS, *VERSION_FIELDS)
    summary = story_summary(row)
    slug = row["story__slug"]
    return schemas.Story(
        **summary.model_dump(),
        current=version_of(row),
        versions_api_url=absolute(reverse("api:versions", kwargs={"story_id": story_id})),
        history_url=absolute(reverse("reader:history", kwargs={"slug": slug})),
        record_url=absolute(reverse("reader:story_record", kwargs={"slug": slug})),
    )


def credit_slugs(credits) -> list[str]:
    return sorted({credit.get("slug", "") for credit in credits or [] if credit.get("slug")})


# -- versions ----------------------------------------------------------------------------


def image_of(row) -> schemas.Image | None:
    renditions = row.get("picture__renditions") or []
    if not row.get("picture__sha256"):
        return None
    return schemas.Image(
        sha256=row["picture__sha256"],
        url=absolute(pictures.url(row["picture__original"])),
        width=row["picture__width"],
        height=row["picture__height"],
        alt=row["image_alt"],
        caption=row["image_caption"],
        credit=row["image_credit"],
        renditions=[
            schemas.Rendition(
                url=absolute(pictures.url(rendition["name"])),
                width=rendition["width"],
                height=rendition["height"],
                content_type=rendition["type"],
            )
            for rendition in renditions
        ],
    )


def _credits(credits) -> list[schemas.Credit]:
    return [
        schemas.Credit(
            name=credit.get("name", ""),
            slug=credit.get("slug", ""),
            role=credit.get("role", ""),
            affiliation=credit.get("affiliation", ""),
            url=absolute(reverse("reader:contributor", kwargs={"slug": credit["slug"]}))
            if credit.get("slug")
            else None,
        )
        for credit in credits or []
    ]


def version_summary(row, story_id, slug: str, *, text: bool) -> schemas.VersionSummary:
    number = row["number"]
    return schemas.VersionSummary(
        number=number,
        kind=row["kind"],
        public_note=row["public_note"],
        published_at=row["published_at"],
        hash=row["content_hash"],
        url=absolute(reverse("reader:revision", kwargs={"slug": slug, "number": number}))
        if text
        else None,
        story_url=story_url(slug),
        api_url=version_api_url(story_id, number),
        ninjs_url=ninjs_url(story_id, number),
        record_url=record_url(slug, number),
    )


def version_of(row) -> schemas.Version:
    """A version read with ``VERSION_FIELDS``: its text only while the story is not
    withdrawn and the content was not removed."""
    story_id, slug = row["story__public_id"], row["story__slug"]
    text = serves_text(row["story__status"])
    removed = row["removal__removed_at"]
    shown = text and removed is None

    def served(name):
        return row[name] if shown else None

    return schemas.Version(
        **version_summary(row, story_id, slug, text=text).model_dump(),
        story=story_id,
        headline=row["headline"],
        dek=served("dek"),
        body=served("body"),
        body_html=served("body_html"),
        byline=served("byline"),
        tagline=served("tagline"),
        credits=_credits(row["credits"]) if shown else [],
        section=section_ref(row),
        dateline=served("dateline"),
        image=image_of(row) if shown else None,
        withdrawn=not text,
        content_removed=schemas.Removal(removed_at=removed, note=row["removal__public_note"])
        if removed
        else None,
        record=schemas.Record(
            hash=row["content_hash"],
            previous_hash=row["previous_hash"],
            hash_version=row["hash_version"],
            leaf_index=row["log_leaf__index"],
            record_url=record_url(slug, row["number"]),
            tree_head_url=absolute(reverse("reader:log_head")),
        ),
    )


def _versions_of(story_id: UUID):
    return Revision.objects.filter(story__public_id=story_id, story__latest_revision__isnull=False)


def version(story_id: UUID, number: int) -> schemas.Version:
    row = _versions_of(story_id).filter(number=number).values(*VERSION_FIELDS).first()
    if row is None:
        raise NotFound(f"This story has no published version {number}.")
    return version_of(row)


def version_row(story_id: UUID, number: int) -> dict:
    """A version with its story's first publication time (for ninjs)."""
    row = (
        _versions_of(story_id)
        .filter(number=number)
        .values(*VERSION_FIELDS, "story__first_published_at", "story__latest_revision__number")
        .first()
    )
    if row is None:
        raise NotFound(f"This story has no published version {number}.")
    return row


def versions(story_id: UUID, *, cursor: Cursor, limit: int):
    """A page of the story's versions, the cursor of the next, and its public history's
    address."""
    latest = story_row(story_id, "story__slug", "story__status", "number")
    rows = cursor.page(
        _versions_of(story_id).values(
            "number", "kind", "public_note", "published_at", "content_hash"
        ),
        "number",
        limit,
        largest=LARGEST_NUMBER,
    )
    text = serves_text(latest["story__status"])
    slug = latest["story__slug"]
    items = [version_summary(row, story_id, slug, text=text) for row in rows[:limit]]
    history = absolute(reverse("reader:history", kwargs={"slug": slug}))
    return items, cursor.following(rows, "number", limit), history


def comparison(story_id: UUID, old: int, new: int) -> schemas.Comparison:
    """The structured differences between versions ``old`` < ``new`` of a story whose
    text is served (a withdrawn story's versions are not compared)."""
    latest = story_row(story_id, "story__slug", "story__status", "number")
    if not serves_text(latest["story__status"]):
        raise NotFound("This story was withdrawn: its versions' text is no longer served.")
    rows = {
        row["number"]: row
        for row in _versions_of(story_id).filter(number__in=[old, new]).values(*VERSION_FIELDS)
    }
    for number in (old, new):
        if number not in rows:
            raise NotFound(f"This story has no published version {number}.")
    old_row, new_row = rows[old], rows[new]
    diff = compare_snapshots(_snapshot(old_row), _snapshot(new_row))
    old_snapshot, new_snapshot = _snapshot(old_row), _snapshot(new_row)
    slug = latest["story__slug"]
    return schemas.Comparison(
        story=story_id,
        old=old,
        new=new,
        has_changes=diff.has_changes,
        fields=[
            schemas.FieldChange(
                name=field.name,
                label=field.label,
                changed=field.changed,
                old=_field_value(old_snapshot, field.name),
                new=_field_value(new_snapshot, field.name),
                html=str(field.html),
                blocks=[
                    schemas.Block(kind=block.kind, html=str(block.html), count=block.count)
                    for block in field.blocks
                ],
            )
            for field in diff
        ],
        url=absolute(reverse("reader:compare", kwargs={"slug": slug, "old": old, "new": new})),
        api_url=absolute(
            reverse("api:compare", kwargs={"story_id": story_id, "old": old, "new": new})
        ),
    )


def _snapshot(row) -> dict:
    image = None
    if row["picture__sha256"]:
        image = image_snapshot(
            _PictureColumns(row), row["image_alt"], row["image_caption"], row["image_credit"]
        )
    return diff_snapshot({**row, "image": image})


class _PictureColumns:
    """A picture's columns, as ``image_snapshot`` reads a picture."""

    def __init__(self, row):
        self.sha256 = row["picture__sha256"]
        self.width = row["picture__width"]
        self.height = row["picture__height"]


def _field_value(snapshot: dict, name: str) -> str:
    if name == "credits":
        return "\n".join(part for part in (snapshot["byline"], snapshot["tagline"]) if part)
    return str(snapshot.get(name) or "")


# -- corrections, sections, contributors -----------------------------------------------------


def corrections(*, cursor: Cursor, limit: int):
    """Corrections and clarifications of every story readers have seen, newest first.
    A story withdrawn since keeps them on record, with its latest headline."""
    revisions = (
        Revision.objects.filter(
            story__latest_revision__isnull=False, kind__in=CORRECTION_KINDS, number__gt=1
        )
        .annotate(seq=F("log_leaf__index"))
        .values(
            "story__public_id",
            "story__slug",
            "story__status",
            "story__latest_revision__headline",
            "number",
            "kind",
            "public_note",
            "published_at",
            "seq",
        )
    )
    rows = cursor.page(revisions, "seq", limit)
    items = []
    for row in rows[:limit]:
        slug, number = row["story__slug"], row["number"]
        text = serves_text(row["story__status"])
        if text:
            url = reverse("reader:compare", kwargs={"slug": slug, "old": number - 1, "new": number})
        else:
            url = reverse("reader:history", kwargs={"slug": slug})
        items.append(
            schemas.Correction(
                story=row["story__public_id"],
                headline=row["story__latest_revision__headline"],
                number=number,
                kind=row["kind"],
                public_note=row["public_note"],
                published_at=row["published_at"],
                withdrawn=not text,
                url=absolute(url),
                api_url=version_api_url(row["story__public_id"], number),
            )
        )
    return items, cursor.following(rows, "seq", limit)


def _section(row) -> schemas.Section:
    return schemas.Section(
        **row,
        url=absolute(reverse("reader:section", kwargs={"slug": row["slug"]})),
        stories_api_url=absolute(reverse("api:stories") + f"?section={row['slug']}"),
    )


def sections() -> list[schemas.Section]:
    """Every section a published version ever named (as the reader's section pages)."""
    named = Revision.objects.values("section_slug")
    rows = (
        Section.objects.filter(slug__in=named)
        .order_by("name")
        .values("name", "slug", "description")
    )
    return [_section(row) for row in rows]


def section(slug: str) -> schemas.Section:
    row = Section.objects.filter(slug=slug).values("name", "slug", "description").first()
    if row is None or not Revision.objects.filter(section_slug=slug).exists():
        raise NotFound("No section with this address has published stories.")
    return _section(row)


def _contributor(row) -> schemas.Contributor:
    return schemas.Contributor(
        **row,
        url=absolute(reverse("reader:contributor", kwargs={"slug": row["slug"]})),
        stories_api_url=absolute(reverse("api:stories") + f"?contributor={row['slug']}"),
    )


CONTRIBUTOR_FIELDS = ("name", "slug", "affiliation", "bio")


def contributors() -> list[schemas.Contributor]:
    """Everyone credited on a live story (as the reader's contributor pages): read from
    the live versions' credits, never from drafts."""
    slugs = set()
    for credits in Revision.objects.live().values_list("credits", flat=True):
        slugs.update(credit_slugs(credits))
    rows = (
        Contributor.objects.filter(slug__in=slugs)
        .order_by("name", "slug")
        .values(*CONTRIBUTOR_FIELDS)
    )
    return [_contributor(row) for row in rows]


def contributor(slug: str) -> schemas.Contributor:
    row = Contributor.objects.filter(slug=slug).values(*CONTRIBUTOR_FIELDS).first()
    credited = Revision.objects.live().filter(pk__in=Revision.objects.crediting(slug).values("pk"))
    if row is None or not credited.exists():
        raise NotFound("No contributor with this address is credited on a live story.")
    return _contributor(row)
