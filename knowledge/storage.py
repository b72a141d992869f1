"""Uploaded price lists are private: kept on local disk per business, never served."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import connection


def import_storage() -> Storage:
    """Private storage of uploaded price lists (``IMPORTS_ROOT``), outside the served media."""
    return FileSystemStorage(location=settings.IMPORTS_ROOT, base_url=None)


def import_upload_to(instance, filename: str) -> str:
    """``<business>/<random>.<ext>``: each business's uploads in its own directory."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"{connection.schema_name}/{uuid.uuid4().hex}{suffix}"
