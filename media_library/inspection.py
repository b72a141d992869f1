"""What an uploaded file really is: a photo Pillow can read or a video recognised by its first
bytes, within the size limits; photos also get their JPEG thumbnail here."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .errors import MediaError, MediaErrorCode
from .models import Media

THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_QUALITY = 85
#: Pillow format -> (content type, extension the file is stored with).
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "MPO": ("image/jpeg", ".jpg"),  # JPEG with extra pictures, as some cameras write it
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}
#: ISO base media (``ftyp``) brands of MP4 video; HEIC photos and M4A audio share the box.
MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"M4VH",
        b"M4VP",
        b"dash",
        b"mmp4",
        b"MSNV",
        b"XAVC",
    }
)
#: Atoms an old QuickTime movie may start with, before ``ftyp`` existed.
QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
#: EXIF orientations that turn the picture a quarter: width and height swap when shown.
QUARTER_TURNS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class InspectedFile:
    kind: Media.Kind
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    thumbnail: ContentFile | None = None


def media_file_inspect(*, upload: File) -> InspectedFile:
    """Check an upload and describe it; raises MediaError when it is not a photo or a video we
    accept, or is too large for its kind. Leaves the file at its start."""
    if not upload.size:
        raise _unsupported()
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    video = _video_type(head)
    if video is not None:
        _check_size(upload, Media.Kind.VIDEO, settings.MEDIA_VIDEO_MAX_BYTES)
        content_type, extension = video
        return InspectedFile(kind=Media.Kind.VIDEO, content_type=content_type, extension=extension)
    _check_size(upload, Media.Kind.IMAGE, settings.MEDIA_IMAGE_MAX_BYTES)
    try:
        return _inspect_image(upload)
    finally:
        upload.seek(0)


def _video_type(head: bytes) -> tuple[str, str] | None:
    box = head[4:8]
    if box == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime", ".mov"
        if brand in MP4_BRANDS:
            return "video/mp4", ".mp4"
        return None
    if box in QUICKTIME_ATOMS:
        return "video/quicktime", ".mov"
    if head.startswith(EBML_MAGIC) and b"webm" in head:
        return "video/webm", ".webm"
    return None


def _inspect_image(upload: File) -> InspectedFile:
    try:
        # A picture over Pillow's pixel limit (about 89 megapixels) is refused, not decoded:
        # a small file can unpack into gigabytes.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                if image_format not in IMAGE_FORMATS:
                    raise _unsupported()
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                width, height = image.size
                if image.getexif().get(ExifTags.Base.Orientation) in QUARTER_TURNS:
                    width, height = height, width
                thumbnail = _thumbnail(image)
    except MediaError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        struct.error,
    ) as exc:
        # Pillow reports damaged files with any of these.
        raise _unsupported() from exc
    content_type, extension = IMAGE_FORMATS[image_format]
    return InspectedFile(
        kind=Media.Kind.IMAGE,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        thumbnail=thumbnail,
    )


def _thumbnail(image: Image.Image) -> ContentFile:
    """A JPEG of at most 320×320 pixels, turned upright; transparent parts become white."""
    image.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))  # JPEG: decode smaller
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return ContentFile(buffer.getvalue(), name="thumbnail.jpg")


def _check_size(upload: File, kind: Media.Kind, limit: int) -> None:
    if upload.size > limit:
        message = (
            _("A video can be at most %(limit)s; this one is %(size)s.")
            if kind == Media.Kind.VIDEO
            else _("A photo can be at most %(limit)s; this one is %(size)s.")
        )
        raise MediaError(
            MediaErrorCode.FILE_TOO_LARGE,
            message % {"limit": filesizeformat(limit), "size": filesizeformat(upload.size)},
        )


def _unsupported() -> MediaError:
    return MediaError(
        MediaErrorCode.FILE_TYPE_UNSUPPORTED,
        _(
            "This is not a photo or a video that can be used here. Upload photos (JPEG, PNG, GIF "
            "or WebP) or a video (MP4, MOV or WebM)."
        ),
    )
