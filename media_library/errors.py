"""Errors of the media library, with codes the views and the API map to responses."""

from __future__ import annotations

import enum

from tenants.errors import ApplicationError


class MediaErrorCode(enum.StrEnum):
    FOLDER_INVALID = "folder_invalid"
    FILE_TYPE_UNSUPPORTED = "file_type_unsupported"
    FILE_TOO_LARGE = "file_too_large"
    VIDEO_EXISTS = "video_exists"
    STORAGE_FAILED = "storage_failed"


class MediaError(ApplicationError):
    code: MediaErrorCode
