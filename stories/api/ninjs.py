"""Stories and versions as IPTC ninjs 2.x text items (News in JSON, what newsroom
systems exchange; https://iptc.org/standards/ninjs/).

- ``uri``: the story's permanent id as a URN; ``version``: the version's number (a
  string, as ninjs has it); ``versioncreated`` and ``firstcreated``;
- ``pubstatus``: ``usable``, or ``canceled`` once the story is withdrawn, when the item
  keeps its headline and the editor's note only (``data.serves_text``);
- ``headlines``, ``descriptions`` (the dek), ``bodies`` (the HTML readers saw), ``by``
  (the byline), ``located`` (the dateline), ``genres`` (the kind of change), the public
  note in ``ednote``;
- ``renditions``: the version's page on the reader site, as HTML;
- ``associations``: the lead image, as a picture item with its renditions.

``tests/test_api_ninjs.py`` validates every item against the ninjs 2.2 JSON schema kept
in ``docs/ninjs/``.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.urls import reverse

from stories.content.kinds import RevisionKind

from . import data, schemas

TEXT = "text"


def story_item(story_id: UUID) -> schemas.NinjsItem:
    latest = data.story_row(story_id, "number")
    return version_item(story_id, latest["number"])


def version_item(story_id: UUID, number: int) -> schemas.NinjsItem:
    row = data.version_row(story_id, number)
    text = data.serves_text(row["story__status"]) and row["removal__removed_at"] is None
    canceled = not data.serves_text(row["story__status"])
    slug = row["story__slug"]
    item = {
        "uri": f"urn:uuid:{story_id}",
        "type": TEXT,
        "representationtype": "full" if text else "partial",
        "version": str(number),
        "versioncreated": row["published_at"],
        "firstcreated": row["story__first_published_at"],
        "pubstatus": "canceled" if canceled else "usable",
        "language": settings.PUBLICATION_LANGUAGE,
        "copyrightholder": settings.PUBLICATION_NAME,
        "slugline": slug,
        "headlines": [schemas.NinjsText(value=row["headline"])],
        "ednote": row["removal__public_note"]
        if row["removal__removed_at"]
        else row["public_note"] or None,
        "genres": [
            schemas.NinjsGenre(
                name=RevisionKind(row["kind"]).label, literal=f"newsroom-change:{row['kind']}"
            )
        ],
        "renditions": [
            schemas.NinjsRendition(
                name="html",
                href=data.absolute(
                    reverse("reader:story", kwargs={"slug": slug})
                    if canceled or number == row["story__latest_revision__number"]
                    else reverse("reader:revision", kwargs={"slug": slug, "number": number})
                ),
                contenttype="text/html",
            )
        ],
    }
    if text:
        item.update(
            descriptions=[schemas.NinjsText(value=row["dek"], role="summary")]
            if row["dek"]
            else None,
            bodies=[schemas.NinjsText(value=row["body_html"], contenttype="text/html")],
            by=row["byline"] or None,
            located=row["dateline"] or None,
            associations=_lead_image(row),
        )
    return schemas.NinjsItem(**item)


def _lead_image(row) -> list[schemas.NinjsAssociation] | None:
    image = data.image_of(row)
    if image is None:
        return None
    descriptions = [schemas.NinjsText(value=image.alt, role="alt")]
    if image.caption:
        descriptions.append(schemas.NinjsText(value=image.caption, role="caption"))
    return [
        schemas.NinjsAssociation(
            name="leadimage",
            uri=f"urn:sha256:{image.sha256}",
            type="picture",
            version="1",
            by=image.credit or None,
            descriptions=descriptions,
            renditions=[
                schemas.NinjsRendition(
                    name="original",
                    href=image.url,
                    contenttype=row["picture__content_type"],
                    width=image.width,
                    height=image.height,
                ),
                *(
                    schemas.NinjsRendition(
                        name=f"{rendition.content_type.split('/')[-1]}-{rendition.width}",
                        href=rendition.url,
                        contenttype=rendition.content_type,
                        width=rendition.width,
                        height=rendition.height,
                    )
                    for rendition in image.renditions
                ),
            ],
        )
    ]
