"""Pictures: the one way an upload becomes a stored ``Picture``.

``store_picture(file)`` checks the upload (``stories.media.images``: real JPEG, PNG or WebP,
size and pixel limits, no decompression bomb), re-encodes it without metadata, and
writes the original and its renditions to the default storage (``STORAGES["default"]``:
the local media folder, or an object store in production) under names made of the
served file's SHA-256. The renditions are made here, once per picture: uploading the
same picture again returns the stored row without touching a file, and no reader
request or publish ever makes one.

Files are written before the row; if the transaction that stores the row rolls back,
the files stay, harmless: they are named by their content, and the next upload of the
same picture finds them in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from stories.models import Picture

from . import images
from .images import ImageRejected

__all__ = [
    "ImageRejected",
    "LeadImageChoice",
    "Thumbnail",
    "choose_lead_image",
    "store_picture",
    "thumbnail",
    "url",
]

_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def store_picture(file) -> Picture:
    """The ``Picture`` of an upload, stored once. Raises ``ImageRejected`` (its message
    is for the editor) when the file is not a picture the site publishes."""
    prepared = images.prepare(file)
    sha256 = prepared.sha256
    existing = Picture.objects.filter(sha256=sha256).first()
    if existing is not None:
        return existing  # its files and renditions were made when it was first stored
    original = images.original_name(sha256, prepared.extension)
    _write(original, prepared.data)
    renditions = []
    for rendition in images.renditions(prepared):
        name = images.rendition_name(sha256, rendition.width, rendition.extension)
        _write(name, rendition.data)
        renditions.append(
            {
                "width": rendition.width,
                "height": rendition.height,
                "type": rendition.content_type,
                "name": name,
            }
        )
    try:
        with transaction.atomic():
            return Picture.objects.create(
                sha256=sha256,
                original=original,
                content_type=_CONTENT_TYPES[prepared.extension],
                width=prepared.width,
                height=prepared.height,
                size=len(prepared.data),
                renditions=renditions,
            )
    except IntegrityError:
        # The same picture stored by someone else at the same moment: theirs is ours.
        return Picture.objects.get(sha256=sha256)


@dataclass(frozen=True)
class LeadImageChoice:
    """The lead image a story's form asks for, and whether it is a new one for the story."""

    picture: Picture | None
    #: A picture stored for this form (uploaded now, or with an earlier submission the
    #: form kept): it becomes the lead image when the story is saved.
    pending: bool = False


def choose_lead_image(
    *, current: Picture | None, upload=None, kept_sha256: str = "", remove: bool = False
) -> LeadImageChoice:
    """Decide a story's lead image from what its form sent, in this order: a new upload
    (checked and stored now, so that a refusal of anything else on the form does not
    lose it: a browser cannot fill a file input again), a picture stored with an earlier
    submission of the same form (named by its hash), none when the editor removes it, or
    the current one.

    Raises ``ValidationError`` keyed ``image_upload`` when the upload is not a picture
    the site publishes, or the kept picture is unknown.
    """
    if upload:
        try:
            return LeadImageChoice(store_picture(upload), pending=True)
        except ImageRejected as error:
            raise ValidationError({"image_upload": [f"“{upload.name}”: {error}"]}) from error
    if kept_sha256:
        kept = Picture.objects.filter(sha256=kept_sha256).first()
        if kept is None:
            raise ValidationError(
                {"image_upload": ["The picture uploaded with this form is gone: upload it again."]}
            )
        return LeadImageChoice(kept, pending=True)
    if remove:
        return LeadImageChoice(None)
    return LeadImageChoice(current)


def _write(name: str, data: bytes) -> None:
    """Write a file under its content-addressed name, never over an existing one."""
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a storage that renamed it would break the address
            raise RuntimeError(f"The storage saved {name} as {saved}.")


def url(name: str) -> str:
    return default_storage.url(name)


@dataclass(frozen=True)
class Thumbnail:
    """A small picture beside a story in a list, or in a comparison (plain data)."""

    src: str
    width: int
    height: int
    srcset_webp: str
    alt: str


def of_type(renditions: list[dict], content_type: str) -> list[dict]:
    """The renditions of one type, narrowest first."""
    chosen = (r for r in renditions or [] if r["type"] == content_type)
    return sorted(chosen, key=lambda rendition: rendition["width"])


def closest(renditions: list[dict], width: int) -> dict:
    """The widest rendition no wider than ``width``, else the narrowest."""
    fitting = [r for r in renditions if r["width"] <= width]
    return fitting[-1] if fitting else renditions[0]


def srcset(renditions: list[dict]) -> str:
    return ", ".join(f"{url(r['name'])} {r['width']}w" for r in renditions)


def thumbnail(renditions: list[dict] | None, alt: str) -> Thumbnail | None:
    """The thumbnail of a picture from its ``renditions`` (None without any)."""
    jpegs = of_type(renditions, "image/jpeg")
    if not jpegs:
        return None
    jpeg = closest(jpegs, images.THUMBNAIL_WIDTH)
    webp = [r for r in of_type(renditions, "image/webp") if r["width"] == jpeg["width"]]
    return Thumbnail(
        src=url(jpeg["name"]),
        width=jpeg["width"],
        height=jpeg["height"],
        srcset_webp=srcset(webp),
        alt=alt,
    )
