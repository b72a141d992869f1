"""The chat between a business and its manager, live: one socket per open chat page.

- ``/ws/manager/`` on a business's own host: the business side, for its members;
- ``/ws/x8/chat/<business id>/`` on the public host: the manager side of one business's
  chat, for its assigned manager and platform admins (4404 for anyone else's business);
- ``/ws/x8/chat/`` on the public host: a manager's or admin's list of chats (unread counts).

A socket opened from a page of another host is refused (4403), as is anyone who may not
take part. Frames from the page: ``{"action": "read", "up_to": <message id>}`` marks the
other side's messages read; ``{"action": "ping"}`` keeps the socket counted as online (see
``chat.chat_presence_touch``). Every frame, and every update about to be pushed, checks
again that the person may still take part: a deactivated account, a member removed from
the business or a manager assigned elsewhere has the socket closed (4403). More than
``FRAMES_PER_10_SECONDS`` frames in ten seconds close it (4429).

Frames to the page: ``{"type": "hello", "unread": n}``; ``{"type": "message", "business",
"id", "side", "mine", "html"}`` (the fragment the page renders over HTTP, as this side sees
it); ``{"type": "unread", "business", "count"}`` (what this side has not read);
``{"type": "read", "business", "side", "up_to"}`` (the other side read ``side``'s messages).
"""

from __future__ import annotations

import json
import time
from collections import deque
from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.urls import path
from django_tenants.utils import remove_www

from accounts.models import User
from tenants.models import Business
from tenants.websockets import host_of

from . import chat
from .chat import Side

CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
#: Frames a page may send per 10 seconds (it reads and pings a few times a minute).
FRAMES_PER_10_SECONDS = 30
FRAME_WINDOW_SECONDS = 10


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def origin_is_own_host(scope) -> bool:
    """The page that opens the socket is on the host it connects to (cookies are sent to a
    host whatever page asks, so a page of another business's host is refused too)."""
    origin = _header(scope, b"origin")
    hostname = urlparse(origin).hostname if origin else None
    return bool(hostname) and remove_www(hostname.lower()) == host_of(scope)


class _ChatConsumer(AsyncJsonWebsocketConsumer):
    side: str

    async def connect(self):
        self.joined: list[str] = []
        self.frames: deque[float] = deque()
        self.closed = False
        self.user: User | None = None
        if not origin_is_own_host(self.scope):
            await self._close(CLOSE_NOT_ALLOWED)
            return
        refused = await database_sync_to_async(self._admit)()
        if refused:
            await self._close(refused)
            return
        self.language = (
            self.user.language if self.user.language in dict(settings.LANGUAGES) else "en"
        )
        for group in self._groups():
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.accept()
        await self._present()
        unread = await database_sync_to_async(self._unread)()
        await self.send_json({"type": "hello", "unread": unread})

    # What each side defines -------------------------------------------------------------

    def _admit(self) -> int | None:
        """Set up the socket's user (and business); the close code when it is refused."""
        raise NotImplementedError

    def _allowed(self) -> bool:
        raise NotImplementedError

    def _groups(self) -> list[str]:
        raise NotImplementedError

    def _presence_owner(self) -> int:
        raise NotImplementedError

    def _unread(self) -> int:
        raise NotImplementedError

    # Shared -----------------------------------------------------------------------------

    def _user_from_scope(self) -> User | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return User.objects.filter(pk=user.pk, is_active=True).first()

    def _user_reloaded(self) -> bool:
        """The socket's user as the database has them now; False once deactivated or gone."""
        try:
            self.user.refresh_from_db(fields=["is_active", "is_superuser", "platform_role"])
        except User.DoesNotExist:
            return False
        return self.user.is_active

    async def _still_allowed(self) -> bool:
        if self.closed:
            return False
        if not await database_sync_to_async(self._allowed)():
            await self._close(CLOSE_NOT_ALLOWED)
            return False
        return True

    async def _close(self, code: int) -> None:
        self.closed = True
        await self.close(code=code)

    async def _present(self) -> None:
        await database_sync_to_async(chat.chat_presence_touch)(
            side=self.side, owner_id=self._presence_owner(), socket=self.channel_name
        )

    async def disconnect(self, code):
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.joined:
            await database_sync_to_async(chat.chat_presence_leave)(
                side=self.side, owner_id=self._presence_owner(), socket=self.channel_name
            )
        self.joined = []

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    def _storm(self) -> bool:
        now = time.monotonic()
        self.frames.append(now)
        while self.frames and now - self.frames[0] > FRAME_WINDOW_SECONDS:
            self.frames.popleft()
        return len(self.frames) > FRAMES_PER_10_SECONDS

    async def receive_json(self, content, **kwargs):
        if self.closed:
            return
        if self._storm():
            await self._close(CLOSE_TOO_MANY)
            return
        if not await self._still_allowed():
            return
        await self._present()
        if isinstance(content, dict) and content.get("action") == "read":
            await self._read(content.get("up_to"))

    async def _read(self, up_to) -> None:
        business = getattr(self, "business", None)
        if business is None:
            return
        try:
            up_to = int(up_to)
        except (TypeError, ValueError):
            return
        await database_sync_to_async(chat.chat_mark_read)(
            business=business, reader=self.user, reader_side=self.side, up_to=up_to
        )

    # Group events ------------------------------------------------------------------------

    async def chat_message(self, event):
        if not await self._still_allowed():
            return
        html = event["html"][self.side]
        await self.send_json(
            {
                "type": "message",
                "business": event["business"],
                "id": event["id"],
                "side": event["side"],
                "mine": event["side"] == self.side,
                "html": html.get(self.language) or html["en"],
            }
        )

    async def chat_unread(self, event):
        if not await self._still_allowed():
            return
        await self.send_json(
            {
                "type": "unread",
                "business": event["business"],
                "count": event["unread"][self.side],
            }
        )

    async def chat_read(self, event):
        if not await self._still_allowed():
            return
        await self.send_json(
            {
                "type": "read",
                "business": event["business"],
                "side": event["side"],
                "up_to": event["up_to"],
            }
        )


class BusinessChatConsumer(_ChatConsumer):
    """The business side, on the business's own host: its members only."""

    side = Side.BUSINESS

    def _admit(self) -> int | None:
        business = self.scope.get("tenant")
        if business is None or business.is_public:
            return CLOSE_NOT_FOUND
        self.business = business
        self.user = self._user_from_scope()
        if self.user is None or not chat.chat_member_allowed(user=self.user, business=business):
            return CLOSE_NOT_ALLOWED
        return None

    def _allowed(self) -> bool:
        return self._user_reloaded() and chat.chat_member_allowed(
            user=self.user, business=self.business
        )

    def _groups(self) -> list[str]:
        return [chat.chat_group(self.business.pk)]

    def _presence_owner(self) -> int:
        return self.business.pk

    def _unread(self) -> int:
        return chat.chat_unread_count(business=self.business, reader_side=Side.BUSINESS)


class ManagerChatConsumer(_ChatConsumer):
    """The manager side, on the public host: one business's chat (its assigned manager or
    an admin), or the list of chats (any manager or admin, for their own businesses)."""

    side = Side.MANAGER

    def _admit(self) -> int | None:
        tenant = self.scope.get("tenant")
        if tenant is None or not tenant.is_public:
            return CLOSE_NOT_FOUND
        self.user = self._user_from_scope()
        if self.user is None or not chat.chat_staff_allowed(user=self.user):
            return CLOSE_NOT_ALLOWED
        business_id = self.scope["url_route"]["kwargs"].get("business_id")
        self.business: Business | None = None
        if business_id is not None:
            try:
                self.business = chat.chat_business_for_manager(
                    user=self.user, business_id=business_id
                )
            except chat.ChatError:
                return CLOSE_NOT_FOUND
        return None

    def _allowed(self) -> bool:
        if not self._user_reloaded():
            return False
        if self.business is None:
            return chat.chat_staff_allowed(user=self.user)
        return chat.chat_manager_allowed(user=self.user, business=self.business)

    def _groups(self) -> list[str]:
        if self.business is not None:
            return [chat.chat_group(self.business.pk)]
        groups = [chat.inbox_group(self.user.pk)]
        if self.user.is_platform_admin:
            groups.append(chat.ADMINS_INBOX_GROUP)
        return groups

    def _presence_owner(self) -> int:
        return self.user.pk

    def _unread(self) -> int:
        if self.business is not None:
            return chat.chat_unread_count(business=self.business, reader_side=Side.MANAGER)
        return chat.chat_unread_for_manager(user=self.user)


#: Mounted in the product's websocket router (config/asgi.py), below the business-by-host
#: middleware. Each socket checks its page's origin itself.
websocket_urlpatterns = [
    path("ws/manager/", AuthMiddlewareStack(BusinessChatConsumer.as_asgi())),
    path("ws/x8/chat/", AuthMiddlewareStack(ManagerChatConsumer.as_asgi())),
    path("ws/x8/chat/<int:business_id>/", AuthMiddlewareStack(ManagerChatConsumer.as_asgi())),
]
