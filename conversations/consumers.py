"""The staff's live connection: inbox rows, messages, typing, alerts of one business.

One socket per open portal page at ``/ws/live/`` on the business's own host. It joins the
business's group at once, and a conversation's group when the page asks to follow it
(``{"action": "follow", "conversation": id, "after": last_message_id}``), first sending what
the page missed since that id. Only members of the business get a socket; a conversation
that is not in this business's schema closes it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.selectors import membership_get

from . import live
from .models import Conversation
from .selectors import messages_since

CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
#: Frames a page may send per 10 seconds (typing events are the usual ones).
FRAMES_PER_10_SECONDS = 60
#: On a reconnect, status changes of this recent past are sent again with the missed messages.
RESUME_CHANGES_SECONDS = 600


class StaffConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.business = self.scope.get("tenant")
        user = self.scope.get("user")
        self.following: int | None = None
        self.frames: list[float] = []
        if self.business is None or self.business.schema_name == "public":
            await self.close(code=CLOSE_NOT_FOUND)
            return
        if not await self._is_member(user):
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        self.user = user
        self.language = user.language if user.language in dict(settings.LANGUAGES) else "en"
        self.schema = self.business.schema_name
        await self.channel_layer.group_add(live.business_group(self.schema), self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "hello",
                "notify_desktop": user.notify_desktop,
                "notify_sound": user.notify_sound,
            }
        )

    @database_sync_to_async
    def _is_member(self, user) -> bool:
        if user is None or not user.is_authenticated:
            return False
        user.refresh_from_db(fields=["is_active"])
        return user.is_active and membership_get(user=user, business=self.business) is not None

    async def disconnect(self, code):
        if not hasattr(self, "schema"):
            return
        await self.channel_layer.group_discard(live.business_group(self.schema), self.channel_name)
        if self.following is not None:
            await self.channel_layer.group_discard(
                live.conversation_group(self.schema, self.following), self.channel_name
            )

    def _too_many(self) -> bool:
        now = time.monotonic()
        self.frames = [t for t in self.frames if now - t < 10] + [now]
        return len(self.frames) > FRAMES_PER_10_SECONDS

    async def receive_json(self, content, **kwargs):
        if self._too_many():
            await self.close(code=CLOSE_TOO_MANY)
            return
        if not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "follow":
            await self._follow(content)
        elif action == "typing" and self.following is not None:
            await database_sync_to_async(self._typing)(bool(content.get("active")))

    async def _follow(self, content):
        try:
            conversation_id = int(content.get("conversation"))
            after = int(content.get("after") or 0)
        except (TypeError, ValueError):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        since = None
        if content.get("resume"):
            try:
                since = float(content.get("since") or 0) / 1000
            except (TypeError, ValueError):
                since = 0
        if not await self._is_member(self.user):
            await self.close(code=CLOSE_NOT_ALLOWED)  # removed from the business meanwhile
            return
        missed = await database_sync_to_async(self._missed)(conversation_id, after, since)
        if missed is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        if self.following not in (None, conversation_id):
            await self.channel_layer.group_discard(
                live.conversation_group(self.schema, self.following), self.channel_name
            )
        self.following = conversation_id
        await self.channel_layer.group_add(
            live.conversation_group(self.schema, conversation_id), self.channel_name
        )
        for pk, html in missed:
            await self.send_json(
                {"type": "message", "conversation": conversation_id, "id": pk, "html": html}
            )
        await self.send_json({"type": "following", "conversation": conversation_id})

    def _missed(self, conversation_id: int, after: int, since: float | None):
        """Messages after ``after``; on a resume also those changed since the page lost its
        socket (``since``, in epoch seconds; at most RESUME_CHANGES_SECONDS back)."""
        with tenant_context(self.business):
            conversation = Conversation.objects.filter(pk=conversation_id).first()
            if conversation is None:
                return None
            if not after:
                return []
            changed_since = None
            if since is not None:
                earliest = timezone.now() - timedelta(seconds=RESUME_CHANGES_SECONDS)
                lost_at = datetime.fromtimestamp(since, tz=UTC) if since > 0 else earliest
                changed_since = max(earliest, lost_at)
            return [
                (message.pk, live.message_html(message)[self.language])
                for message in messages_since(
                    conversation=conversation, after_id=after, changed_since=changed_since
                )
            ]

    def _typing(self, active: bool) -> None:
        with tenant_context(self.business):
            live.typing_published(
                conversation_id=self.following,
                who=self.user.get_short_name(),
                side="staff",
                active=active,
            )

    # Group events ------------------------------------------------------------------------

    async def message_changed(self, event):
        await self.send(text_data=event["frames"].get(self.language) or event["frames"]["en"])

    async def conversation_changed(self, event):
        await self.send(text_data=event["frames"].get(self.language) or event["frames"]["en"])

    async def conversation_state(self, event):
        await self.send_json(
            {
                "type": "state",
                "conversation": event["conversation"],
                "status": event["status"],
                "mode": event["mode"],
                "assignee": event["assignee"],
            }
        )

    async def typing(self, event):
        if event["side"] == "staff" and event["who"] == self.user.get_short_name():
            return
        await self.send_json(
            {
                "type": "typing",
                "conversation": event["conversation"],
                "who": event["who"],
                "side": event["side"],
                "active": event["active"],
            }
        )
