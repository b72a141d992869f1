"""Reads of the media library (always of the business whose schema is active)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from media_library.models import Media


def media_list(*, folder: str | None = None, kind: str | None = None) -> QuerySet[Media]:
    """Media of the business, newest first, optionally of one folder and/or kind."""
    media = Media.objects.all()
    if folder:
        media = media.filter(folder=folder)
    if kind:
        media = media.filter(kind=kind)
    return media


def media_folder_video(*, folder: str) -> Media | None:
    """The welcome video of a folder, if it has one."""
    return Media.objects.filter(folder=folder, kind=Media.Kind.VIDEO).first()


def media_folder_counts() -> dict[str, int]:
    """How many files each folder holds (every folder present, empty ones with 0)."""
    counts = dict.fromkeys(Media.Folder.values, 0)
    rows = Media.objects.order_by().values_list("folder").annotate(count=Count("id"))
    counts.update(dict(rows))
    return counts
