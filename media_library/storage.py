"""Where media files are stored: Cloudinary when CLOUDINARY_URL is set, else the local disk.

Both backends keep Django's names (``<schema>/<folder>/<random>.<ext>``), so rows do not change
with the backend, and both can delete everything under a prefix (a business's folder) at once.
"""

from __future__ import annotations

import mimetypes
import shutil
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage

from .cloudinary import CloudinaryClient, CloudinaryConfig, CloudinaryError

IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp"})
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "webm"})
#: A frame of a video as a small picture (Cloudinary makes it from the video on first request).
VIDEO_POSTER_TRANSFORMATION = "c_limit,w_320"


def media_storage() -> Storage:
    """The storage of media files, chosen by the CLOUDINARY_URL setting.

    Django calls this once, when the model is loaded; migrations record the function, not the
    backend, so switching backends needs no migration.
    """
    if settings.CLOUDINARY_URL:
        return CloudinaryStorage(
            client=CloudinaryClient(CloudinaryConfig.from_url(settings.CLOUDINARY_URL))
        )
    # No arguments: the storage follows MEDIA_ROOT and MEDIA_URL even when they change.
    return MediaFileSystemStorage()


class MediaFileSystemStorage(FileSystemStorage):
    """Files under MEDIA_ROOT, one directory per business, served at MEDIA_URL to its members."""

    def delete_prefix(self, prefix: str) -> None:
        """Delete the directory ``prefix`` (e.g. ``biz_alpha/product/``) and all it holds."""
        if not prefix.strip("/"):
            raise ValueError("Deleting by an empty prefix would delete everything")
        directory = Path(self.path(prefix.strip("/")))
        if directory.is_dir():
            shutil.rmtree(directory)

    def video_poster_url(self, name: str) -> str | None:
        """A local video has no picture of its own; the page shows the video itself."""
        return None


class CloudinaryStorage(Storage):
    """Media on Cloudinary. The name ``a/b/c.jpg`` is the image asset ``a/b/c`` (format jpg),
    ``a/b/c.mp4`` the video asset ``a/b/c``; other files are raw assets named in full."""

    def __init__(self, *, client: CloudinaryClient) -> None:
        self.client = client

    @staticmethod
    def asset(name: str) -> tuple[str, str, str]:
        """``(public_id, resource_type, extension)`` of a stored name."""
        path = PurePosixPath(name)
        extension = path.suffix.lstrip(".").lower()
        public_id = str(path.with_suffix(""))
        if extension in IMAGE_EXTENSIONS:
            return public_id, "image", extension
        if extension in VIDEO_EXTENSIONS:
            return public_id, "video", extension
        return name, "raw", ""

    def _save(self, name: str, content: File) -> str:
        public_id, resource_type, _extension = self.asset(name)
        if hasattr(content, "seek"):
            content.seek(0)
        self.client.upload(
            file=content,
            filename=PurePosixPath(name).name,
            public_id=public_id,
            resource_type=resource_type,
            content_type=mimetypes.guess_type(name)[0],
        )
        return name

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Names are random (upload_to), so asking Cloudinary whether one is taken is wasted time.
        if max_length is not None and len(name) > max_length:
            raise SuspiciousFileOperation(f"Storage name {name!r} is longer than {max_length}")
        return name

    def _open(self, name: str, mode: str = "rb") -> File:
        return ContentFile(self.client.fetch(self.url(name)), name=name)

    def delete(self, name: str) -> None:
        public_id, resource_type, _extension = self.asset(name)
        self.client.destroy(public_id=public_id, resource_type=resource_type)

    def exists(self, name: str) -> bool:
        return self.client.delivered(self.url(name))

    def url(self, name: str) -> str:
        public_id, resource_type, extension = self.asset(name)
        return self.client.delivery_url(
            public_id=public_id, resource_type=resource_type, extension=extension
        )

    def video_poster_url(self, name: str) -> str | None:
        """A JPEG frame of the video ``name``, 320 pixels wide at most."""
        public_id, resource_type, _extension = self.asset(name)
        if resource_type != "video":
            return None
        return self.client.delivery_url(
            public_id=public_id,
            resource_type="video",
            extension="jpg",
            transformation=VIDEO_POSTER_TRANSFORMATION,
        )

    def delete_prefix(self, prefix: str) -> None:
        """Delete every image and video under ``prefix``, then the folder itself.

        A folder that was never created (nothing was ever uploaded there) is not an error.
        """
        for resource_type in ("image", "video"):
            self.client.delete_by_prefix(prefix=prefix, resource_type=resource_type)
        try:
            self.client.delete_folder(path=prefix)
        except CloudinaryError as error:
            if error.status != 404:
                raise
