"""A version's lead image as pages show it: plain data with every address worked out.

Built from the columns a page's one query already reads (the version's ``image_*``
fields and its picture's, joined: ``PICTURE_FIELDS``), so a picture adds no query to a
page. Renditions were made when the picture was stored (``stories.media.pictures``); here they
are only named: ``srcset`` lists each width, WebP first with a JPEG fallback, and the
``<img>`` carries the width and height of its source, so the browser keeps the picture's
place before it loads (no layout shift).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stories.media import pictures
from stories.media.pictures import Thumbnail, closest, of_type, srcset

#: The picture's columns a page reads with its version (through ``Revision.picture``).
PICTURE_FIELDS = (
    "picture__sha256", "picture__width", "picture__height", "picture__original",
    "picture__renditions",
)  # fmt: skip
#: The picture's columns a list reads for a card's thumbnail.
THUMBNAIL_FIELDS = ("picture__renditions", "image_alt")
#: How wide the story page shows its lead image, for the browser's choice of rendition.
SIZES = "(min-width: 800px) 760px, 100vw"
#: The widest rendition the page's ``src`` names (browsers without srcset).
DEFAULT_WIDTH = 1024


@dataclass(frozen=True)
class Figure:
    """A lead image on a story page: ``<figure>``, ``<picture>`` and its caption."""

    sha256: str
    width: int
    height: int
    alt: str
    caption: str
    credit: str
    src: str
    src_width: int
    src_height: int
    srcset_webp: str
    srcset_jpeg: str
    original_url: str
    #: The largest JPEG rendition, for link previews (og:image) and structured data.
    share_url: str
    share_width: int
    share_height: int
    #: The same picture, small (a comparison shows the two side by side).
    thumbnail: Thumbnail | None = None
    sizes: str = SIZES

    @property
    def credit_line(self) -> str:
        """ "Photo: Ana Ruiz / Coastal Ledger" (empty without a photography credit)."""
        return f"Photo: {self.credit}" if self.credit else ""


def picture_fields(picture) -> dict:
    """A ``Picture`` as the columns ``PICTURE_FIELDS`` name (for a preview's snapshot)."""
    if picture is None:
        return {}
    return {name: getattr(picture, name.removeprefix("picture__")) for name in PICTURE_FIELDS}


def figure(row: Mapping) -> Figure | None:
    """The lead image of a version read with ``PICTURE_FIELDS`` and its ``image_*``."""
    sha256 = row.get("picture__sha256")
    renditions = row.get("picture__renditions") or []
    jpegs = of_type(renditions, "image/jpeg")
    if not sha256 or not jpegs:
        return None
    src = closest(jpegs, DEFAULT_WIDTH)
    share = jpegs[-1]
    return Figure(
        sha256=sha256,
        width=row["picture__width"],
        height=row["picture__height"],
        alt=row.get("image_alt", ""),
        caption=row.get("image_caption", ""),
        credit=row.get("image_credit", ""),
        src=pictures.url(src["name"]),
        src_width=src["width"],
        src_height=src["height"],
        srcset_webp=srcset(of_type(renditions, "image/webp")),
        srcset_jpeg=srcset(jpegs),
        original_url=pictures.url(row["picture__original"]),
        share_url=pictures.url(share["name"]),
        share_width=share["width"],
        share_height=share["height"],
        thumbnail=thumbnail(row),
    )


def thumbnail(row: Mapping) -> Thumbnail | None:
    """The thumbnail of a card read with ``THUMBNAIL_FIELDS`` (or of a version)."""
    return pictures.thumbnail(row.get("picture__renditions"), row.get("image_alt", ""))
