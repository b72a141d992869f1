"""Background work of conversations (each task runs in its business's schema)."""

from __future__ import annotations

import contextlib
import logging
import mimetypes

from django.conf import settings
from django.core.files.base import ContentFile
from django_tenants.utils import get_tenant_model, tenant_context

from billing.entitlements import entitlements_here
from channels_app import services as channel_services
from channels_app.waha.client import WahaError, WahaUnavailable
from config.celery import app
from connections.models import Connection

from . import live
from .models import Conversation, Message, Turn
from .services import (
    TRANSACTIONAL,
    acks_kept_apply,
    history_expire,
    turn_collect,
    turns_sweep,
)

logger = logging.getLogger(__name__)

MEDIA_MAX_BYTES = 64 * 1024 * 1024


def _backoff(retries: int) -> float:
    return min(settings.WAHA_RETRY_BASE_SECONDS * (2**retries), 300)


@app.task(bind=True, name="conversations.send", max_retries=5, ignore_result=True)
def message_send_task(self, message_id: int) -> None:
    """Send a reply through WAHA: typing first, retried with backoff while WAHA is down."""
    message = (
        Message.objects.select_related("conversation__contact", "channel__company")
        .filter(pk=message_id, status=Message.Status.PENDING)
        .first()
    )
    if message is None:
        return  # sent already, or deleted
    if (
        message.by_assistant
        and message.message_class != TRANSACTIONAL
        and message.conversation.mode == Conversation.Mode.HUMAN
    ):
        # A person took the conversation over while this reply waited in the queue.
        Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(
            status=Message.Status.CANCELED,
            error="Not sent: a person took the conversation over.",
        )
        live.message_published(message.pk)
        return
    ent = entitlements_here()
    if not ent.may_send:
        # The plan lapsed while this waited in the queue: nothing goes out, and it says why.
        Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(
            status=Message.Status.CANCELED, error=f"Not sent: {ent.reason}"[:500]
        )
        live.message_published(message.pk)
        return
    if message.channel.platform == Connection.Platform.WEBCHAT:
        # The visitor's open widget receives it over its websocket (or on its next load).
        Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(
            status=Message.Status.SENT, provider_id=f"webchat:{message.pk}", error=""
        )
        live.message_published(message.pk)
        return
    if message.channel.platform != Connection.Platform.WHATSAPP:
        _failed(message, f"Sending through {message.channel.get_platform_display()} is not set up.")
        return
    session = message.channel.connection.external_id
    chat_id = message.conversation.contact.chat_id
    client = channel_services.waha_client()
    Message.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
    try:
        with contextlib.suppress(WahaError):  # typing is a courtesy
            client.start_typing(session=session, chat_id=chat_id)
        if message.media:
            with message.media.open("rb") as stored:
                content = stored.read()
            send = client.send_image if message.kind == Message.Kind.IMAGE else client.send_file
            provider_id = send(
                session=session,
                chat_id=chat_id,
                mimetype=message.media_mimetype,
                filename=message.media_filename or "file",
                data=content,
                caption=message.text,
            )
        elif message.media_source_url and message.direction == Message.Direction.OUT:
            provider_id = client.send_image(
                session=session,
                chat_id=chat_id,
                mimetype=message.media_mimetype or "image/jpeg",
                filename=message.media_filename or "photo",
                url=message.media_source_url,
                caption=message.text,
            )
        else:
            provider_id = client.send_text(session=session, chat_id=chat_id, text=message.text)
    except WahaUnavailable as error:
        if self.request.retries < self.max_retries:
            raise self.retry(countdown=_backoff(self.request.retries)) from error
        _failed(message, error.message)
        return
    except WahaError as error:
        _failed(message, error.message)
        return
    with contextlib.suppress(WahaError):
        client.stop_typing(session=session, chat_id=chat_id)
    Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(
        provider_id=provider_id, status=Message.Status.SENT, error=""
    )
    if provider_id:
        message.refresh_from_db()
        acks_kept_apply(message=message)
    live.message_published(message.pk)


def _failed(message: Message, error: str) -> None:
    logger.warning("message %s failed: %s", message.pk, error)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, error=error[:1000])
    live.message_published(message.pk)


@app.task(bind=True, name="conversations.media_copy", max_retries=5, ignore_result=True)
def media_copy_task(self, message_id: int) -> None:
    """Copy an incoming message's media from WAHA (which deletes its files after a while)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.media or not message.media_source_url:
        return
    try:
        downloaded = channel_services.waha_client().download(
            message.media_source_url, max_bytes=MEDIA_MAX_BYTES
        )
    except WahaUnavailable as error:
        if self.request.retries < self.max_retries:
            raise self.retry(countdown=_backoff(self.request.retries)) from error
        Message.objects.filter(pk=message.pk).update(error=error.message[:1000])
        return
    except WahaError as error:
        Message.objects.filter(pk=message.pk).update(error=error.message[:1000])
        return
    mimetype = message.media_mimetype or downloaded.content_type
    extension = mimetypes.guess_extension(mimetype.split(";")[0].strip()) or ".bin"
    name = message.media_filename or f"media{extension}"
    message.media.save(name, ContentFile(downloaded.content), save=False)
    Message.objects.filter(pk=message.pk).update(media=message.media.name, media_mimetype=mimetype)
    live.message_published(message.pk)


@app.task(name="conversations.turn_collect", ignore_result=True)
def turn_collect_task(conversation_id: int) -> None:
    """Collect the turn once the customer stops writing; look again later if they have not."""
    collected = turn_collect(conversation_id=conversation_id)
    if collected.wait is not None:
        turn_collect_task.apply_async(args=[conversation_id], countdown=collected.wait + 0.1)


@app.task(name="conversations.seen", ignore_result=True)
def seen_send_task(turn_id: int) -> None:
    """Show the customer's messages of a turn as read (blue ticks)."""
    turn = (
        Turn.objects.select_related("conversation__contact", "conversation__channel")
        .filter(pk=turn_id)
        .first()
    )
    if turn is None or turn.conversation.channel.platform != Connection.Platform.WHATSAPP:
        return
    ids = [pid for pid in turn.messages.values_list("provider_id", flat=True) if pid]
    channel = turn.conversation.channel
    try:
        channel_services.waha_client().send_seen(
            session=channel.connection.external_id,
            chat_id=turn.conversation.contact.chat_id,
            message_ids=ids,
        )
    except WahaError as error:
        logger.info("read receipt for turn %s not sent: %s", turn_id, error.code)


@app.task(name="conversations.turns_sweep", ignore_result=True)
def turns_sweep_task() -> int:
    """From the public schema, every minute: turns whose own task never ran."""
    collected = 0
    for business in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(business):
            collected += turns_sweep()
    return collected


@app.task(name="conversations.history_expire", ignore_result=True)
def history_expire_task() -> int:
    """From the public schema, hourly: delete messages older than each business keeps."""
    deleted = 0
    for business in get_tenant_model().objects.exclude(schema_name="public"):
        try:
            with tenant_context(business):
                deleted += history_expire(days=business.history_retention_days)
        except Exception:
            # One business's fault (a bad period, a storage outage) must not keep every
            # business after it in the list from expiring its history.
            logger.exception("history of %s not expired", business.schema_name)
    return deleted
