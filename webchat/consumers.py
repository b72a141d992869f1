"""The web chat visitor's live connection: replies and staff typing, pushed to the widget.

One socket per open widget at ``/ws/widget/<key>/?token=<visitor token>`` on the public
host. The key gives the business (the host's is the public one); an unknown or disabled
key closes the socket with 4404, a bad token or a page of a website the widget does not
allow with 4403, all before it is accepted. The socket joins the visitor's conversation
group (once the visitor's first message has made the conversation) and takes frames:

- ``{"action": "send", "text": ..., "client_id": ...}``: a message, stored as the HTTP API
  stores it (same limits); answered ``{"type": "sent", "client_id", "message"}`` or
  ``{"type": "error", "code", "message", "client_id", "retry_after"?}``;
- ``{"action": "typing", "active": true}``: shown to the staff watching the conversation;
- ``{"action": "resume", "after": <last message id>}``: the messages the widget missed
  (``{"type": "message", ...}`` each, then ``{"type": "resumed", "last": id}``).

It sends ``{"type": "message", "message": {...}}`` (plain data, never internal notes) and
``{"type": "typing", "active": bool}`` for staff typing. More than
``WIDGET_FRAMES_PER_10_SECONDS`` frames in ten seconds close it with 4429.
"""

from __future__ import annotations

import json
import time
from collections import deque
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from conversations import live

from . import services
from .services import WebchatError, WebchatErrorCode

CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
FRAME_WINDOW_SECONDS = 10


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _language(scope) -> str:
    """The visitor's language from the handshake's Accept-Language (as pages get theirs)."""
    accept = _header(scope, b"accept-language") or ""
    for code, _quality in translation.trans_real.parse_accept_lang_header(accept):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group: str | None = None
        self.closed = False
        self.frames: deque[float] = deque()
        self.language = _language(self.scope)
        key = self.scope["url_route"]["kwargs"]["key"]
        try:
            self.widget = await database_sync_to_async(services.widget_get)(key=key)
        except WebchatError:
            await self._close(CLOSE_NOT_FOUND)
            return
        origin = _header(self.scope, b"origin")
        if not services.origin_allowed(widget_settings=self.widget.settings, origin=origin):
            await self._close(CLOSE_NOT_ALLOWED)
            return
        token = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("token")
        try:
            self.visitor = services.visitor_token_read(
                widget=self.widget, token=token[0] if token else None
            )
        except WebchatError:
            await self._close(CLOSE_NOT_ALLOWED)
            return
        conversation_id = await database_sync_to_async(services.visitor_conversation_id)(
            widget=self.widget, visitor=self.visitor
        )
        # The visitor's group exists before their conversation does: a first message sent
        # over HTTP (the socket was still opening) still gets its answer live.
        self.conversation_id = conversation_id
        self.group = live.visitor_group(self.widget.business.schema_name, self.visitor.handle)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def _close(self, code: int) -> None:
        self.closed = True
        await self.close(code=code)

    async def _join(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    def _storm(self) -> bool:
        now = time.monotonic()
        self.frames.append(now)
        while self.frames and now - self.frames[0] > FRAME_WINDOW_SECONDS:
            self.frames.popleft()
        return len(self.frames) > settings.WIDGET_FRAMES_PER_10_SECONDS

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.closed:
            return
        if self._storm():
            await self._close(CLOSE_TOO_MANY)
            return
        try:
            content = json.loads(text_data or "")
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self._error(WebchatErrorCode.BAD_REQUEST, _("The request could not be read."))
            return
        action = content.get("action")
        if action == "send":
            await self._send_message(content)
        elif action == "typing":
            if self.group is not None:
                await database_sync_to_async(services.visitor_typing)(
                    widget=self.widget,
                    visitor=self.visitor,
                    conversation_id=self.conversation_id,
                    active=bool(content.get("active")),
                )
        elif action == "resume":
            await self._resume(content.get("after"))
        else:
            await self._error(WebchatErrorCode.BAD_REQUEST, _("The request could not be read."))

    async def _error(self, code, message: str, **extra) -> None:
        await self.send_json({"type": "error", "code": str(code), "message": message, **extra})

    def _send_sync(self, text, client_id):
        with translation.override(self.language):
            # Looked up again: a widget switched off stops taking messages at once.
            widget = services.widget_get(key=self.widget.key)
            client = self.scope.get("client") or (None, None)
            return services.visitor_message_send(
                widget=widget, visitor=self.visitor, text=text, client_id=client_id, ip=client[0]
            )

    async def _send_message(self, content) -> None:
        client_id = content.get("client_id")
        try:
            sent = await database_sync_to_async(self._send_sync)(content.get("text"), client_id)
        except WebchatError as error:
            if error.code == WebchatErrorCode.NOT_FOUND:
                await self._close(CLOSE_NOT_FOUND)
                return
            extra = {"client_id": client_id if isinstance(client_id, str) else None}
            if error.retry_after:
                extra["retry_after"] = error.retry_after
            await self._error(error.code, error.message, **extra)
            return
        # The first message made the conversation after this socket connected: follow it now
        # (its own publication may have gone out before, so it is answered here too).
        await self._join(sent.conversation_id)
        await self.send_json({"type": "sent", "client_id": client_id, "message": sent.message})

    async def _resume(self, after) -> None:
        try:
            after = max(int(after or 0), 0)
        except (TypeError, ValueError):
            await self._error(WebchatErrorCode.BAD_REQUEST, _("The request could not be read."))
            return
        if self.group is None:
            # A first message sent over HTTP made the conversation: follow it from now on.
            conversation_id = await database_sync_to_async(services.visitor_conversation_id)(
                widget=self.widget, visitor=self.visitor
            )
            if conversation_id is not None:
                await self._join(conversation_id)
        missed = await database_sync_to_async(services.visitor_messages)(
            widget=self.widget, visitor=self.visitor, after=after
        )
        for message in missed:
            await self.send_json({"type": "message", "message": message})
        last = missed[-1]["id"] if missed else after
        await self.send_json({"type": "resumed", "last": last})

    # Group events ------------------------------------------------------------------------

    async def visitor_message(self, event):
        message = event.get("message") or {}
        if message.get("direction") == "note":
            return  # never published to visitors; refused here all the same
        await self.send_json({"type": "message", "message": message})

    async def typing(self, event):
        if event.get("side") != "staff":
            return
        await self.send_json({"type": "typing", "active": bool(event.get("active"))})
