"""What the API answers, as pydantic models (django-ninja turns them into the OpenAPI
schema at ``/api/v1/openapi.json``).

Every address in an answer is absolute: ``url`` is the canonical reader page,
``api_url`` the API's own. Text a reader can no longer read (a withdrawn story's versions,
a version whose content was removed for a legal reason) is ``null``, never an empty
string pretending to be the text.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema


class SectionRef(Schema):
    slug: str
    name: str


class Section(SectionRef):
    description: str
    url: str = Field(description="The section's page.")
    stories_api_url: str = Field(description="Its stories, from the API.")


class Contributor(Schema):
    slug: str
    name: str
    affiliation: str
    bio: str
    url: str = Field(description="The contributor's page.")
    stories_api_url: str = Field(description="Their stories, from the API.")


class Credit(Schema):
    name: str
    slug: str
    role: str = Field(description="byline, contributed, photography, graphics or editing.")
    affiliation: str
    url: str | None = Field(description="The contributor's page, when they have one.")


class Rendition(Schema):
    url: str
    width: int
    height: int
    content_type: str


class Image(Schema):
    """The lead image as published with the version."""

    sha256: str = Field(
        description="SHA-256 of the original file, as the version's hash covers it."
    )
    url: str = Field(description="The original (metadata removed).")
    width: int
    height: int
    alt: str
    caption: str
    credit: str
    renditions: list[Rendition]


class Removal(Schema):
    removed_at: datetime
    note: str


class Record(Schema):
    """Where the version stands in the public record (docs/transparency.md)."""

    hash: str = Field(description="SHA-256 of the version's payload.")
    previous_hash: str
    hash_version: int
    leaf_index: int | None = Field(description="Its leaf in the site's transparency log.")
    record_url: str = Field(
        description="The page of the story's record.json with this version's payload and inclusion proof."
    )
    tree_head_url: str


class VersionSummary(Schema):
    number: int
    kind: str = Field(
        description="first, update, correction, clarification, editors_note, minor or withdrawal."
    )
    public_note: str
    published_at: datetime
    hash: str
    url: str | None = Field(
        description="The version as readers saw it (null once the story is withdrawn)."
    )
    story_url: str = Field(description="The story's canonical page.")
    api_url: str
    ninjs_url: str
    record_url: str = Field(
        description="The page of the story's record.json with this version's payload and "
        "inclusion proof."
    )


class Version(VersionSummary):
    story: UUID = Field(description="The story's permanent id.")
    headline: str
    dek: str | None
    body: str | None = Field(description="Markdown, as published.")
    body_html: str | None = Field(description="Sanitised HTML, as published.")
    byline: str | None
    tagline: str | None
    credits: list[Credit]
    section: SectionRef
    dateline: str | None
    image: Image | None
    withdrawn: bool = Field(description="The story was withdrawn: its text is no longer served.")
    content_removed: Removal | None = Field(
        description="Its content was removed for a legal reason."
    )
    record: Record


class StorySummary(Schema):
    id: UUID = Field(description="The story's permanent id: it never changes.")
    slug: str
    headline: str
    dek: str | None
    byline: str | None
    section: SectionRef
    version: int = Field(description="The number of its latest version.")
    kind: str = Field(description="The kind of its latest version (its latest change).")
    public_note: str = Field(description="The latest version's public note.")
    changed_at: datetime = Field(description="When its latest version was published.")
    first_published_at: datetime
    updated_at: datetime | None = Field(
        description="The public “Updated” time (minor edits do not move it)."
    )
    withdrawn: bool
    url: str
    api_url: str
    ninjs_url: str


class Story(StorySummary):
    current: Version
    versions_api_url: str
    history_url: str
    record_url: str


class StoryList(Schema):
    items: list[StorySummary]
    next: str | None = Field(description="The next page, or null at the end.")
    next_cursor: str | None


class VersionList(Schema):
    story: UUID
    url: str = Field(description="The story's public history.")
    items: list[VersionSummary]
    next: str | None
    next_cursor: str | None


class Block(Schema):
    kind: str = Field(description="equal, changed, inserted, deleted or collapsed.")
    html: str
    count: int


class FieldChange(Schema):
    name: str
    label: str
    changed: bool
    old: str
    new: str
    html: str = Field(description="A one-line field's word diff (<del>, <ins>), escaped.")
    blocks: list[Block] = Field(description="The body's paragraphs, compared.")


class Comparison(Schema):
    story: UUID
    old: int
    new: int
    has_changes: bool
    fields: list[FieldChange]
    url: str = Field(description="The same comparison on the reader site.")
    api_url: str


class Correction(Schema):
    story: UUID
    headline: str = Field(description="The story's latest headline.")
    number: int
    kind: str
    public_note: str
    published_at: datetime
    withdrawn: bool
    url: str = Field(description="The change on the reader site (a withdrawn story's history).")
    api_url: str


class CorrectionList(Schema):
    items: list[Correction]
    next: str | None
    next_cursor: str | None


class Problem(Schema):
    """An error, as RFC 9457 describes it (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict] | None = None


class NinjsText(Schema):
    value: str
    role: str | None = None
    contenttype: str | None = None


class NinjsGenre(Schema):
    name: str
    literal: str


class NinjsRendition(Schema):
    name: str
    href: str
    contenttype: str
    width: int | None = None
    height: int | None = None


class NinjsAssociation(Schema):
    name: str
    uri: str
    type: str
    version: str
    by: str | None = None
    descriptions: list[NinjsText] | None = None
    renditions: list[NinjsRendition]


class NinjsItem(Schema):
    """An IPTC ninjs 2.x text item (https://iptc.org/standards/ninjs/)."""

    uri: str
    type: str
    representationtype: str
    version: str
    versioncreated: datetime
    firstcreated: datetime
    pubstatus: str = Field(description="usable, or canceled once the story is withdrawn.")
    language: str
    copyrightholder: str
    slugline: str
    headlines: list[NinjsText]
    ednote: str | None = None
    descriptions: list[NinjsText] | None = None
    bodies: list[NinjsText] | None = None
    by: str | None = None
    located: str | None = None
    genres: list[NinjsGenre]
    renditions: list[NinjsRendition]
    associations: list[NinjsAssociation] | None = None
