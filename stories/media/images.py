"""Lead images: what an upload must be, and the files made from it (Pillow).

Pure functions over bytes, no database and no storage, so the checks are the same for
the admin, a command and a test:

* ``prepare(file)`` checks an upload and returns the picture as it will be served: only
  JPEG, PNG or WebP by their content (not their name), at most ``MAX_BYTES`` and
  ``MAX_PIXELS``, no decompression bomb (Pillow's own guard, turned into a refusal), the
  camera's EXIF orientation applied, and every piece of metadata (EXIF with its GPS
  position, XMP, comments, PNG text) left behind: the file is re-encoded from its
  pixels. Its SHA-256 is the hash of those served bytes, so anyone who downloads the
  original can check it against the published version's hash payload.
* ``renditions(prepared)`` makes the responsive sizes (``RENDITION_WIDTHS`` no wider
  than the original), each as WebP and as a JPEG fallback.

Why Pillow directly rather than easy-thumbnails or sorl-thumbnail: both make a
thumbnail the first time a template asks for it (on a reader's request) and keep their
own table of what exists under names derived from the source's name. Here renditions are
part of a published picture: made once, when the picture is stored, named by its content
hash (``names``), and never changed afterwards. What that needs of Pillow is a resize
and a save per size, fewer lines than configuring either library to do it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

#: The largest upload accepted, in bytes.
MAX_BYTES = 20 * 1024 * 1024
#: The most pixels (width x height) a picture may have.
MAX_PIXELS = 40_000_000
#: Widths of the renditions, in pixels; a picture narrower than one gets its own width.
RENDITION_WIDTHS = (320, 640, 1024, 1600)
#: The width of a thumbnail in lists.
THUMBNAIL_WIDTH = 320
#: Image formats accepted, by what Pillow finds in the file: name and file extension.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: Rendition formats: WebP for browsers that take it, JPEG for the rest.
RENDITION_FORMATS = (("webp", "WEBP", "image/webp"), ("jpg", "JPEG", "image/jpeg"))
JPEG_QUALITY = 85
WEBP_QUALITY = 80


class ImageRejected(ValueError):
    """The upload is not a picture the site will publish; the message says why."""


@dataclass(frozen=True)
class Prepared:
    """A picture as it will be served: its bytes, format and size."""

    data: bytes
    format: str  # "JPEG", "PNG" or "WEBP"
    width: int
    height: int
    image: Image.Image

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return FORMATS[self.format]


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    extension: str  # "webp" or "jpg"
    content_type: str
    data: bytes


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def prepare(file) -> Prepared:
    """Check an upload (a file object with ``size`` or ``read``) and return the picture
    as it will be served. Raises ``ImageRejected`` with a sentence for the editor."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImageRejected(
            f"This file is {megabytes(size)}; a picture may be at most {megabytes(MAX_BYTES)}."
        )
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"This file is larger than {megabytes(MAX_BYTES)}, the limit.")
    image = _open(data)
    if image.format not in FORMATS:
        raise ImageRejected(f"This is a {image.format} file: upload a JPEG, PNG or WebP picture.")
    image_format = image.format
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRejected(
            f"This picture is {width} × {height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels. Make it smaller and upload it again."
        )
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(
            "This picture is damaged or incomplete and cannot be read. Export it again and upload it."
        ) from error
    return _clean(image, image_format)


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns past its MAX_IMAGE_PIXELS and refuses past twice that: both
            # are a decompression bomb here (a small file that would fill the memory).
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(
            "This file claims to be an enormous picture (a “decompression bomb”) and was refused."
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(
            "This file is not a picture the site can read: upload a JPEG, PNG or WebP image."
        ) from error


def _clean(image: Image.Image, image_format: str) -> Prepared:
    """Re-encode the pixels in the upload's format, with no metadata but the colour profile."""
    icc_profile = image.info.get("icc_profile")
    image.info = {}  # EXIF (GPS), XMP, comments, PNG text: none of it is carried over
    if image_format == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if image_format == "WEBP" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if image_format == "PNG" and image.mode not in (
        "1",
        "L",
        "LA",
        "P",
        "RGB",
        "RGBA",
        "I",
        "I;16",
    ):
        image = image.convert("RGBA")
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        options.update(quality=92, optimize=True)
    elif image_format == "WEBP":
        options.update(quality=90)
    else:
        options.update(optimize=True)
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return Prepared(
        data=buffer.getvalue(),
        format=image_format,
        width=image.width,
        height=image.height,
        image=image,
    )


def rendition_widths(width: int) -> list[int]:
    """The widths made of a picture ``width`` pixels wide: never wider than it is."""
    widths = [w for w in RENDITION_WIDTHS if w < width]
    widths.append(min(width, RENDITION_WIDTHS[-1]))
    return sorted(set(widths))


def renditions(prepared: Prepared) -> list[Rendition]:
    """Every responsive size of ``prepared``, as WebP and JPEG."""
    source = prepared.image
    if source.mode not in ("RGB", "RGBA"):
        source = source.convert(
            "RGBA" if "A" in source.getbands() or "transparency" in source.info else "RGB"
        )
    flat = source
    if source.mode == "RGBA":  # JPEG has no transparency: lay it on white
        flat = Image.new("RGB", source.size, "white")
        flat.paste(source, mask=source.getchannel("A"))
    made = []
    for width in rendition_widths(prepared.width):
        height = max(1, round(prepared.height * width / prepared.width))
        for extension, image_format, content_type in RENDITION_FORMATS:
            image = source if image_format == "WEBP" else flat
            if (width, height) != image.size:
                image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            buffer = io.BytesIO()
            quality = WEBP_QUALITY if image_format == "WEBP" else JPEG_QUALITY
            image.save(buffer, image_format, quality=quality)
            made.append(Rendition(width, height, extension, content_type, buffer.getvalue()))
    return made


# -- names: a picture's files are named by its content hash, never overwritten ----------


def folder(sha256: str) -> str:
    return f"pictures/{sha256[:2]}/{sha256}"


def original_name(sha256: str, extension: str) -> str:
    return f"{folder(sha256)}/original.{extension}"


def rendition_name(sha256: str, width: int, extension: str) -> str:
    return f"{folder(sha256)}/{width}w.{extension}"
