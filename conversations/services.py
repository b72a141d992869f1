"""Writes on conversations: incoming messages stored once, acks, replies sent, turns."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from channels_app.models import Channel
from channels_app.waha.payloads import ACK_STATUSES as PAYLOAD_ACK_STATUSES
from channels_app.waha.payloads import AckUpdate, DeliveryStatus, IncomingMessage
from tenants.transactions import on_commit_in_schema

from .models import Contact, Conversation, Message, Turn

logger = logging.getLogger(__name__)

#: Message status by WAHA ack level; a status only moves forward.
ACK_STATUSES = {
    -1: Message.Status.FAILED,
    0: Message.Status.PENDING,
    1: Message.Status.SENT,
    2: Message.Status.DELIVERED,
    3: Message.Status.READ,
    4: Message.Status.READ,
}
_ORDER = [
    Message.Status.PENDING,
    Message.Status.SENT,
    Message.Status.DELIVERED,
    Message.Status.READ,
]


@dataclass(frozen=True)
class Stored:
    message: Message
    created: bool


def contact_for(*, channel: Channel, incoming: IncomingMessage) -> Contact:
    """The customer's contact, found by phone or by ``@lid`` id, merging the two when known."""
    phone, lid = incoming.phone or "", incoming.lid or ""
    by_phone = Contact.objects.filter(channel=channel, phone=phone).first() if phone else None
    by_lid = Contact.objects.filter(channel=channel, lid=lid).first() if lid else None
    contact = by_phone or by_lid
    if by_phone and by_lid and by_phone.pk != by_lid.pk:
        contact = _contacts_merge(keep=by_phone, other=by_lid)
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    channel=channel,
                    phone=phone,
                    lid=lid,
                    name=incoming.name or "",
                    chat_id=incoming.chat_id,
                )
                Conversation.objects.create(contact=contact, channel=channel)
                return contact
        except IntegrityError:
            # The customer's first two messages arrived at once: the other request made it.
            contact = (
                Contact.objects.filter(channel=channel, phone=phone).first() if phone else None
            ) or Contact.objects.get(channel=channel, lid=lid)
    changed = []
    if phone and not contact.phone:
        contact.phone, contact.chat_id = phone, f"{phone}@c.us"
        changed += ["phone", "chat_id"]
    if lid and not contact.lid:
        contact.lid = lid
        changed.append("lid")
    if incoming.name and incoming.name != contact.name:
        contact.name = incoming.name
        changed.append("name")
    if changed:
        contact.save(update_fields=changed)
    return contact


def _contacts_merge(*, keep: Contact, other: Contact) -> Contact:
    """WAHA told us a phone and a hidden id are one person: one contact, one conversation."""
    kept = keep.conversation
    Message.objects.filter(conversation=other.conversation).update(conversation=kept)
    Turn.objects.filter(conversation=other.conversation).update(conversation=kept)
    lid = other.lid
    other.delete()
    keep.lid = lid
    keep.save(update_fields=["lid"])
    return keep


def message_receive(*, channel: Channel, incoming: IncomingMessage) -> Stored:
    """Store a customer's message once: a redelivery with the same provider id stores nothing."""
    existing = Message.objects.filter(channel=channel, provider_id=incoming.provider_id).first()
    if existing is not None:
        return Stored(existing, False)
    try:
        with transaction.atomic():
            contact = contact_for(channel=channel, incoming=incoming)
            conversation = contact.conversation
            message = Message.objects.create(
                conversation=conversation,
                channel=channel,
                direction=Message.Direction.IN,
                kind=incoming.kind,
                status=Message.Status.RECEIVED,
                text=incoming.text or "",
                provider_id=incoming.provider_id,
                provider_timestamp=incoming.timestamp,
                media_source_url=incoming.media_url or "",
                media_mimetype=incoming.media_mimetype or "",
                media_filename=incoming.media_filename or "",
            )
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    except IntegrityError:
        # The same message delivered twice at once: the other request stored it.
        stored = Message.objects.filter(channel=channel, provider_id=incoming.provider_id).first()
        if stored is None:
            raise
        return Stored(stored, False)
    on_commit_in_schema(lambda: _after_receive(message))
    return Stored(message, True)


def _after_receive(message: Message) -> None:
    """Queue what follows a stored message; a broker outage loses nothing (the sweep finds it)."""
    from .tasks import media_copy_task, turn_collect_task

    try:
        if message.media_source_url:
            media_copy_task.delay(message.pk)
        # One task per burst: it runs a window after the first message and, while the
        # customer goes on writing, queues itself again (see turn_collect).
        if cache.add(
            _burst_key(message.conversation_id), 1, timeout=settings.CONVERSATION_BURST_SECONDS
        ):
            turn_collect_task.apply_async(
                args=[message.conversation_id], countdown=settings.CONVERSATION_BURST_SECONDS
            )
    except Exception:
        logger.warning("could not queue processing of message %s", message.pk, exc_info=True)


def _burst_key(conversation_id: int) -> str:
    return f"conversations:burst:{db_connection.schema_name}:{conversation_id}"


def ack_apply(*, channel: Channel, ack: AckUpdate) -> bool:
    """Move an outgoing message's status forward (sent → delivered → read), or to failed."""
    status = ACK_STATUSES.get(ack.ack)
    message = Message.objects.filter(
        channel=channel, provider_id=ack.provider_id, direction=Message.Direction.OUT
    ).first()
    if status is None:
        return False
    if message is None:
        # WAHA can ack a reply before the worker has saved its id: keep the ack for then.
        _ack_keep(channel, ack)
        return False
    if status == Message.Status.FAILED:
        message.status, message.error = status, "WhatsApp reported the message as not delivered."
    elif message.status in _ORDER and _ORDER.index(status) > _ORDER.index(message.status):
        message.status = status
    else:
        return False  # out of order or repeated: keep the furthest status
    message.save(update_fields=["status", "error", "updated_at"])
    return True


ACK_KEPT_SECONDS = 600


def _ack_key(channel_id: int, provider_id: str) -> str:
    return f"conversations:ack:{db_connection.schema_name}:{channel_id}:{provider_id}"


def _ack_keep(channel: Channel, ack: AckUpdate) -> None:
    key = _ack_key(channel.pk, ack.provider_id)
    try:
        if ack.ack > (cache.get(key) if cache.get(key) is not None else -2):
            cache.set(key, ack.ack, ACK_KEPT_SECONDS)
    except Exception:  # noqa: BLE001 - without Redis the next ack still moves it on
        logger.info("early ack of %s not kept", ack.provider_id)


def acks_kept_apply(*, message: Message) -> None:
    """Apply an ack that arrived before the message's id was saved (see ack_apply)."""
    try:
        level = cache.get(_ack_key(message.channel_id, message.provider_id))
    except Exception:  # noqa: BLE001
        return
    if level is not None:
        ack_apply(
            channel=message.channel,
            ack=AckUpdate(
                provider_id=message.provider_id,
                ack=level,
                ack_name="",
                status=PAYLOAD_ACK_STATUSES.get(level, DeliveryStatus.SENT),
            ),
        )


def message_send(
    *, conversation: Conversation, text: str, sent_by: str = "", attachment=None
) -> Message:
    """Queue a reply to the customer, with a photo or file if given (the text is its
    caption); the worker sends it (with retries) after commit."""
    from .tasks import message_send_task

    message = Message(
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.OUT,
        kind=Message.Kind.TEXT,
        status=Message.Status.PENDING,
        text=text.strip(),
        sent_by=sent_by,
    )
    if attachment is not None:
        mimetype = getattr(attachment, "content_type", "") or "application/octet-stream"
        message.kind = Message.Kind.IMAGE if mimetype.startswith("image/") else Message.Kind.FILE
        message.media_mimetype = mimetype
        message.media_filename = attachment.name[:255]
        message.media.save(attachment.name, attachment, save=False)
    message.save()
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    on_commit_in_schema(lambda: message_send_task.delay(message.pk))
    return message


def message_resend(*, message: Message) -> Message:
    """Try a failed message again."""
    from .tasks import message_send_task

    if message.direction != Message.Direction.OUT or message.status != Message.Status.FAILED:
        return message
    message.status, message.error, message.attempts = Message.Status.PENDING, "", 0
    message.save(update_fields=["status", "error", "attempts", "updated_at"])
    on_commit_in_schema(lambda: message_send_task.delay(message.pk))
    return message


@dataclass(frozen=True)
class Collected:
    turn: Turn | None
    #: Seconds until the newest message is a window old (the customer may still be writing).
    wait: float | None = None


def turn_collect(*, conversation_id: int, now=None) -> Collected:
    """Merge the customer's consecutive messages into one turn once they stop writing.

    When the newest message is younger than the burst window nothing is collected and
    ``wait`` says how long until it is. The turn is handed to the assistant.
    """
    now = now or timezone.now()
    window = timedelta(seconds=settings.CONVERSATION_BURST_SECONDS)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        if conversation is None:
            return Collected(None)
        waiting = list(
            Message.objects.filter(
                conversation=conversation, direction=Message.Direction.IN, turn__isnull=True
            ).order_by("created_at", "id")
        )
        if not waiting:
            return Collected(None)
        if waiting[-1].created_at > now - window:
            return Collected(None, (waiting[-1].created_at + window - now).total_seconds())
        turn = Turn.objects.create(
            conversation=conversation,
            text="\n".join(message.text for message in waiting if message.text),
        )
        Message.objects.filter(pk__in=[message.pk for message in waiting]).update(turn=turn)
    turn_handoff(turn=turn)
    return Collected(turn)


def turn_handoff(*, turn: Turn) -> None:
    """Give a customer's turn to the assistant. Until the assistant exists it waits for a reply
    (a person answers from the conversation page); the customer sees the messages as read."""
    from .tasks import seen_send_task

    on_commit_in_schema(lambda: _queue(seen_send_task, turn.pk))


def _queue(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:
        logger.warning("could not queue %s", task.name, exc_info=True)


def turns_sweep(*, now=None) -> int:
    """Collect turns whose task was never queued (the broker was down when they arrived)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CONVERSATION_BURST_SECONDS)
    conversation_ids = (
        Message.objects.filter(
            direction=Message.Direction.IN, turn__isnull=True, created_at__lt=cutoff
        )
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    return sum(1 for pk in list(conversation_ids) if turn_collect(conversation_id=pk, now=now).turn)
