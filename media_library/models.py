"""The media library of a business: photos and videos in a product and a service folder."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from .storage import media_storage


def media_upload_to(instance: Media, filename: str) -> str:
    """``<business>/<folder>/<random>.<ext>``: one directory (or Cloudinary folder) per business."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"{connection.schema_name}/{instance.folder}/{uuid.uuid4().hex}{suffix}"


def thumbnail_upload_to(instance: Media, filename: str) -> str:
    return f"{connection.schema_name}/{instance.folder}/thumbs/{uuid.uuid4().hex}.jpg"


class Media(models.Model):
    """A photo or a video; a folder holds any number of photos and at most one video."""

    class Folder(models.TextChoices):
        PRODUCT = "product", _("Products")
        SERVICE = "service", _("Services")

    class Kind(models.TextChoices):
        IMAGE = "image", _("Photo")
        VIDEO = "video", _("Video")

    folder = models.CharField(_("folder"), max_length=16, choices=Folder)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    title = models.CharField(_("title"), max_length=200, blank=True)
    file = models.FileField(
        _("file"), upload_to=media_upload_to, storage=media_storage, max_length=500
    )
    thumbnail = models.FileField(
        _("thumbnail"),
        upload_to=thumbnail_upload_to,
        storage=media_storage,
        max_length=500,
        blank=True,
    )
    original_filename = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("media file")
        verbose_name_plural = _("media files")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["folder"],
                condition=models.Q(kind="video"),
                name="media_one_video_per_folder",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.original_filename

    @property
    def preview_url(self) -> str | None:
        """The small picture a grid shows: a photo's thumbnail, a frame of a video when the
        storage can make one (Cloudinary), else None (the page shows the video itself)."""
        if self.thumbnail:
            return self.thumbnail.url
        if self.kind == self.Kind.VIDEO:
            return self.file.storage.video_poster_url(self.file.name)
        return None
