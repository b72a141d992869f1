"""The WAHA webhook answered at the ASGI level, ahead of Django's middleware.

A delivery needs no session, user, locale or CSRF: only its signature checked and one
row kept (``webhooks.receive_delivery``, the same function the Django view calls). Doing
it here spares every webhook the middleware stack, so one web process takes far more of
them; the worker applies them from the inbox.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from django.db import connection as db_connection

from .webhooks import receive_delivery

PATH = "/webhooks/waha/"
MAX_BODY_BYTES = 2 * 1024 * 1024

#: Threads that verify and keep deliveries (each holds a pooled database connection while
#: it INSERTs); more requests than this wait their turn.
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="waha-ingest")


def _receive_in_thread(body: bytes, headers: dict[str, str]):
    try:
        return receive_delivery(body, headers)
    finally:
        # No request_finished signal here: hand the connection back to the pool ourselves.
        db_connection.close()


async def _receive(body: bytes, headers: dict[str, str]):
    return await asyncio.get_running_loop().run_in_executor(
        _executor, _receive_in_thread, body, headers
    )


def handles(scope) -> bool:
    return scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST"


async def waha_ingest(scope, receive, send) -> None:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            await _respond(send, 413, {"ok": False, "error": "too large"})
            return
        chunks.append(chunk)
        more = message.get("more_body", False)
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }
    answer = await _receive(b"".join(chunks), headers)
    await _respond(send, answer.status, answer.body)


async def _respond(send, status: int, body: dict) -> None:
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
