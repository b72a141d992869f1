"""Where media files are stored: Cloudinary when CLOUDINARY_URL is set, else the local disk."""

from django.core.files.storage import Storage, default_storage


def media_storage() -> Storage:
    """The storage of media files (callable, so settings are read at run time)."""
    return default_storage
