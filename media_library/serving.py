"""Serving local media files (MEDIA_ROOT) to the business that owns them.

Videos need byte ranges: Safari and iOS play a video only from a server that answers
``Range`` requests, and every browser needs them to seek. Whole files go through Django's
``static.serve``, which also answers ``If-Modified-Since``.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils._os import safe_join
from django.views.static import serve

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK_SIZE = 64 * 1024


def media_file_response(request: HttpRequest, *, schema_name: str, path: str) -> HttpResponse:
    """The file ``path`` of MEDIA_ROOT if it lies in the directory of ``schema_name``, else 404."""
    normalized = posixpath.normpath(path).lstrip("/")
    if not normalized.startswith(f"{schema_name}/") or ".." in normalized.split("/"):
        raise Http404("Not a file of this business")
    match = RANGE.match(request.headers.get("Range", ""))
    if match and any(match.groups()):
        response = _range_response(
            Path(safe_join(settings.MEDIA_ROOT, normalized)), *match.groups()
        )
    else:
        response = serve(request, normalized, document_root=settings.MEDIA_ROOT)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _range_response(full_path: Path, first: str, last: str) -> HttpResponse:
    if not full_path.is_file():
        raise Http404("No such file")
    size = full_path.stat().st_size
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-500": the last 500 bytes
        start, end = max(size - int(last), 0), size - 1
    if start > end or start >= size:
        return HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}"})
    length = end - start + 1
    handle = full_path.open("rb")
    handle.seek(start)
    response = StreamingHttpResponse(
        _read(handle, length),
        status=206,
        content_type=mimetypes.guess_type(full_path.name)[0] or "application/octet-stream",
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    return response


def _read(handle: BinaryIO, length: int) -> Iterator[bytes]:
    with handle:
        while length > 0:
            chunk = handle.read(min(CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
