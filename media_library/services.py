"""Writes on the media library: uploading, deleting one file, emptying a folder."""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from media_library.cloudinary import CloudinaryError
from media_library.errors import MediaError, MediaErrorCode
from media_library.inspection import media_file_inspect
from media_library.models import Media
from media_library.selectors import media_folder_video

logger = logging.getLogger(__name__)


def media_upload(
    *, folder: str, upload: File, title: str = "", replace_video: bool = False
) -> Media:
    """Store a photo or a video in ``folder`` of the current business.

    The file must really be a photo (Pillow reads it) or a video (MP4, MOV or WebM by its first
    bytes) within MEDIA_IMAGE_MAX_BYTES / MEDIA_VIDEO_MAX_BYTES; a photo gets a JPEG thumbnail.
    A folder holds one video: another is refused (VIDEO_EXISTS) unless ``replace_video``, which
    puts the new video in the old one's place and then deletes the old one's file.

    Raises MediaError. Nothing is left behind by a failure: neither a row nor a stored file.
    """
    _folder_check(folder)
    inspected = media_file_inspect(upload=upload)
    current_video = None
    if inspected.kind == Media.Kind.VIDEO:
        current_video = media_folder_video(folder=folder)
        if current_video is not None and not replace_video:
            raise _video_exists(folder)
    media = Media(
        folder=folder,
        kind=inspected.kind,
        title=title.strip()[:200],
        original_filename=PurePosixPath(upload.name or "").name[:255] or "upload",
        content_type=inspected.content_type,
        size=upload.size,
        width=inspected.width,
        height=inspected.height,
    )
    try:
        media.file.save(f"upload{inspected.extension}", upload, save=False)
        if inspected.thumbnail is not None:
            media.thumbnail.save("thumbnail.jpg", inspected.thumbnail, save=False)
        with transaction.atomic():
            if current_video is not None:
                Media.objects.filter(pk=current_video.pk).delete()
            media.save()
    except IntegrityError as exc:
        # Another upload stored a video in this folder meanwhile.
        _stored_files_delete_quietly(media)
        raise _video_exists(folder) from exc
    except CloudinaryError as exc:
        _stored_files_delete_quietly(media)
        raise _storage_failed(exc) from exc
    except BaseException:
        _stored_files_delete_quietly(media)
        raise
    if current_video is not None:
        transaction.on_commit(lambda: _stored_files_delete_quietly(current_video))
    return media


def media_delete(*, media: Media) -> None:
    """Delete a photo or a video: its file and thumbnail from storage, then its row, which also
    takes it off every knowledge item that showed it.

    Storage goes first: when it fails (MediaError STORAGE_FAILED) the row stays, and deleting
    again finishes the job (deleting a file that is already gone is not an error).
    """
    try:
        _stored_files_delete(media)
    except CloudinaryError as exc:
        raise _storage_failed(exc) from exc
    media.delete()


def media_folder_clear(*, folder: str) -> int:
    """Delete every photo and the video of ``folder``, files included; returns how many.

    The files go in bulk: the folder's directory on disk, or on Cloudinary its assets by
    prefix (image and video) and then the folder itself.
    """
    _folder_check(folder)
    storage = Media._meta.get_field("file").storage
    try:
        storage.delete_prefix(f"{connection.schema_name}/{folder}/")
    except CloudinaryError as exc:
        raise _storage_failed(exc) from exc
    _total, per_model = Media.objects.filter(folder=folder).delete()
    return per_model.get(Media._meta.label, 0)


def _folder_check(folder: str) -> None:
    if folder not in Media.Folder.values:
        raise MediaError(MediaErrorCode.FOLDER_INVALID, _("There is no such media folder."))


def _stored_files_delete(media: Media) -> None:
    for field_file in (media.file, media.thumbnail):
        if field_file:
            field_file.storage.delete(field_file.name)


def _stored_files_delete_quietly(media: Media) -> None:
    """Clean-up that must not hide the error being handled: a failure is only logged."""
    try:
        _stored_files_delete(media)
    except (CloudinaryError, OSError):
        logger.warning(
            "Media files left in storage: %s %s",
            media.file.name,
            media.thumbnail.name,
            exc_info=True,
        )


def _video_exists(folder: str) -> MediaError:
    return MediaError(
        MediaErrorCode.VIDEO_EXISTS,
        _(
            "The %(folder)s folder already has its video. To put this one in its place, choose "
            "“Replace the current video” and upload it again."
        )
        % {"folder": Media.Folder(folder).label},
    )


def _storage_failed(error: CloudinaryError) -> MediaError:
    return MediaError(
        MediaErrorCode.STORAGE_FAILED,
        _("The media storage failed (%(reason)s). Please try again.")
        % {"reason": error.message.rstrip(".")},
    )
