"""Media tests store files under a temporary MEDIA_ROOT on the local disk, whatever the
environment says about Cloudinary (tests that need Cloudinary install a fake one)."""

from __future__ import annotations

import pytest

from media_library.models import Media
from media_library.storage import MediaFileSystemStorage


def use_media_storage(monkeypatch, storage) -> None:
    """Make both file fields of Media store through ``storage`` for one test."""
    for field_name in ("file", "thumbnail"):
        monkeypatch.setattr(Media._meta.get_field(field_name), "storage", storage)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    use_media_storage(monkeypatch, MediaFileSystemStorage())
    return settings.MEDIA_ROOT
