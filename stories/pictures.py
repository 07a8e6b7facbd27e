"""Pictures: the one way an upload becomes a stored ``Picture``.

``store_picture(file)`` checks the upload (``stories.images``: real JPEG, PNG or WebP,
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

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from . import images
from .images import ImageRejected
from .models import Picture

__all__ = ["ImageRejected", "store_picture", "rendition_urls", "url"]

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


def _write(name: str, data: bytes) -> None:
    """Write a file under its content-addressed name, never over an existing one."""
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a storage that renamed it would break the address
            raise RuntimeError(f"The storage saved {name} as {saved}.")


def url(name: str) -> str:
    return default_storage.url(name)


def rendition_urls(renditions: list[dict]) -> list[dict]:
    """Each rendition (as ``Picture.renditions`` holds them) with its ``url``."""
    return [{**rendition, "url": url(rendition["name"])} for rendition in renditions or []]
