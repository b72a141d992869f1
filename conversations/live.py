"""Live chat: what changed in a business's conversations, pushed to the open browsers.

Three kinds of websocket group, all named with the business's schema so one business never
hears another's:

- ``business.<schema>``: every staff member's open portal page (inbox rows, alerts);
- ``conversation.<schema>.<id>``: the staff watching one conversation (messages, typing);
- ``visitor.<schema>.<id>``: the web chat visitor of that conversation (never notes).

Staff get the same ``_message.html`` and ``_row.html`` fragments the pages render over
HTTP, once per portal language. Publishing happens after commit and never fails the write
that caused it: without Redis the pages still show everything on the next load, and a
reconnecting socket catches up from the last message id it saw (see consumers).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.db import connection as db_connection
from django.template.loader import render_to_string
from django.urls import get_urlconf, set_urlconf
from django.utils import translation

from tenants.transactions import on_commit_in_schema

from .models import Conversation, Message

logger = logging.getLogger(__name__)


def business_group(schema: str) -> str:
    return f"business.{schema}"


def conversation_group(schema: str, conversation_id: int) -> str:
    return f"conversation.{schema}.{conversation_id}"


def visitor_group(schema: str, handle: str) -> str:
    """A web chat visitor's sockets, by the visitor's id (known before any conversation)."""
    return f"visitor.{schema}.{handle}"


@contextlib.contextmanager
def _portal_urls():
    """The fragments link to portal pages, also when rendered for a request of the public
    host (a web chat visitor's message arrives there)."""
    previous = get_urlconf()
    set_urlconf(settings.ROOT_URLCONF)
    try:
        yield
    finally:
        set_urlconf(previous)


def _per_language(template: str, context: dict) -> dict[str, str]:
    rendered = {}
    with _portal_urls():
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                rendered[code] = render_to_string(template, context)
    return rendered


def message_html(message: Message) -> dict[str, str]:
    return _per_language(
        "conversations/_message.html", {"message": message, "conversation": message.conversation}
    )


def row_html(conversation: Conversation) -> dict[str, str]:
    return _per_language("conversations/_row.html", {"conversation": conversation})


def _frames(frame: dict, html: dict[str, str]) -> dict[str, str]:
    """The websocket frame as text, once per language: a business's hundreds of open pages
    get the same few kilobytes, so each socket only copies it out (no encoding per socket)."""
    return {code: json.dumps({**frame, "html": html[code]}) for code in html}


def visitor_payload(message: Message) -> dict:
    """What the web chat shows of a message: plain data, escaped by the widget itself."""
    return {
        "id": message.pk,
        "direction": message.direction,
        "kind": message.kind,
        "text": message.text,
        "media_url": message.media.url
        if message.media
        else (message.media_source_url if message.direction == Message.Direction.OUT else ""),
        "media_filename": message.media_filename,
        "status": message.status,
        "created_at": message.created_at.isoformat(),
        "by_assistant": message.by_assistant,
    }


_publisher = None


def _redis_publisher(layer):
    """A synchronous Redis client for publishing to the pub/sub layer's groups.

    Publishing is all the worker and the web requests do with the layer, and each
    ``async_to_sync(layer.group_send)`` would start an event loop and a Redis connection of
    its own. The layer names a group's Redis channel ``<prefix>__group__<group>`` and packs
    messages with its own serializer; both are used as the layer defines them (a test sends
    through here and receives on a consumer).
    """
    global _publisher
    if _publisher is None:
        import redis

        host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
        options = {k: v for k, v in host.items() if k != "address"}
        _publisher = redis.Redis.from_url(host["address"], **options)
    return _publisher


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if isinstance(layer, RedisPubSubChannelLayer):
            prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "asgi")
            _redis_publisher(layer).publish(f"{prefix}__group__{group}", layer.serialize(event))
        else:
            async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.warning("live update to %s not sent", group, exc_info=True)


@dataclass(frozen=True)
class Alert:
    """Why the staff's browsers should ring: a new conversation, or a customer waiting."""

    kind: str
    title: str
    body: str


def message_published(message_id: int, *, alert: Alert | None = None) -> None:
    """Push a new or changed message to its conversation, its inbox row, and its visitor."""
    schema = db_connection.schema_name
    message = (
        Message.objects.select_related("conversation__contact", "conversation__channel__company")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return
    conversation = message.conversation
    _send(
        conversation_group(schema, conversation.pk),
        {
            "type": "message.changed",
            "conversation": conversation.pk,
            "frames": _frames(
                {"type": "message", "conversation": conversation.pk, "id": message.pk},
                message_html(message),
            ),
        },
    )
    conversation_published(conversation, alert=alert)
    if message.direction != Message.Direction.NOTE and conversation.contact.handle:
        _send(
            visitor_group(schema, conversation.contact.handle),
            {"type": "visitor.message", "message": visitor_payload(message)},
        )


def conversation_published(conversation: Conversation, *, alert: Alert | None = None) -> None:
    """Push a conversation's inbox row (and header state) to every staff page of the business."""
    from .inbox import inbox_counts_invalidate
    from .selectors import conversation_row

    inbox_counts_invalidate()
    schema = db_connection.schema_name
    row = conversation_row(conversation.pk)
    if row is None:
        return
    state = {
        "conversation": row.pk,
        "status": row.status,
        "mode": row.mode,
        "assignee": row.assignee_id,
    }
    frame = {"type": "row", **state}
    if alert is not None:
        frame["alert"] = {"kind": alert.kind, "title": alert.title, "body": alert.body}
    _send(
        business_group(schema),
        {"type": "conversation.changed", "frames": _frames(frame, row_html(row))},
    )
    _send(conversation_group(schema, row.pk), {"type": "conversation.state", **state})


def typing_published(*, conversation_id: int, who: str, side: str, active: bool) -> None:
    """Someone is typing: a visitor (shown to staff) or staff (shown to staff and visitor)."""
    schema = db_connection.schema_name
    event = {
        "type": "typing",
        "conversation": conversation_id,
        "who": who,
        "side": side,
        "active": active,
    }
    _send(conversation_group(schema, conversation_id), event)
    if side == "staff":
        handle = (
            Conversation.objects.filter(pk=conversation_id)
            .values_list("contact__handle", flat=True)
            .first()
        )
        if handle:
            _send(visitor_group(schema, handle), {**event, "who": ""})


def _courtesy(publish) -> None:
    """Publish after commit; a failure is logged and never fails the request that wrote."""

    def run() -> None:
        try:
            publish()
        except Exception:  # the pages and a reconnecting socket still show the change
            logger.exception("live update failed")

    on_commit_in_schema(run)


def after_commit_message(message_id: int, *, alert: Alert | None = None) -> None:
    _courtesy(lambda: message_published(message_id, alert=alert))


def after_commit_conversation(conversation_id: int) -> None:
    def publish():
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is not None:
            conversation_published(conversation)

    _courtesy(publish)
