"""Writes on conversations: incoming messages stored once, acks, replies sent, turns."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone

from channels_app.models import Channel
from channels_app.waha.payloads import ACK_STATUSES as PAYLOAD_ACK_STATUSES
from channels_app.waha.payloads import AckUpdate, DeliveryStatus, IncomingMessage
from tenants.transactions import on_commit_in_schema

from . import live
from .models import Contact, Conversation, Message, MonthlyUsage, QuickReply, Turn

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


#: Transactional messages (the privacy notice, "a person will answer") go out even after a
#: person took over: they are not the assistant's answers.
TRANSACTIONAL = "type3"


@dataclass(frozen=True)
class Stored:
    message: Message
    created: bool


@dataclass(frozen=True)
class Inbound:
    """A customer's message from a channel other than WhatsApp (the web chat first).

    Read like WAHA's ``IncomingMessage``; ``handle`` is the channel's own id of the customer
    and ``provider_id`` the sender's id for this message, so a retry is stored once.
    """

    provider_id: str
    handle: str
    text: str = ""
    name: str = ""
    source: str = ""
    kind: str = Message.Kind.TEXT
    chat_id: str = ""
    phone: str | None = None
    lid: str | None = None
    media_url: str | None = None
    media_mimetype: str | None = None
    media_filename: str | None = None
    timestamp: datetime | None = None
    extra: dict = field(default_factory=dict)


def _contact_lock(channel: Channel, *identities: str) -> None:
    """Serialise the first messages of one customer: the second waits, then finds the first's
    contact. (The unique constraints stay the last word if a caller forgets the lock.)"""
    with db_connection.cursor() as cursor:
        for identity in sorted(i for i in identities if i):
            digest = hashlib.blake2b(
                f"{db_connection.schema_name}:{channel.pk}:{identity}".encode(), digest_size=8
            ).digest()
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
            )


def contact_for(*, channel: Channel, incoming: IncomingMessage | Inbound) -> Contact:
    """The customer's contact, found by phone or by ``@lid`` id (merging the two when known),
    or by the channel's own handle. Call it inside a transaction."""
    phone, lid = incoming.phone or "", incoming.lid or ""
    handle = getattr(incoming, "handle", "") or ""
    _contact_lock(channel, phone and f"p:{phone}", lid and f"l:{lid}", handle and f"h:{handle}")
    by_phone = Contact.objects.filter(channel=channel, phone=phone).first() if phone else None
    by_lid = Contact.objects.filter(channel=channel, lid=lid).first() if lid else None
    by_handle = Contact.objects.filter(channel=channel, handle=handle).first() if handle else None
    contact = by_phone or by_lid or by_handle
    if by_phone and by_lid and by_phone.pk != by_lid.pk:
        contact = _contacts_merge(keep=by_phone, other=by_lid)
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    channel=channel,
                    phone=phone,
                    lid=lid,
                    handle=handle,
                    name=incoming.name or "",
                    chat_id=incoming.chat_id or handle,
                    source=getattr(incoming, "source", "") or "",
                )
                Conversation.objects.create(contact=contact, channel=channel)
                return contact
        except IntegrityError:
            # The customer's first two messages arrived at once: the other request made it.
            contact = (
                (Contact.objects.filter(channel=channel, phone=phone).first() if phone else None)
                or (Contact.objects.filter(channel=channel, lid=lid).first() if lid else None)
                or Contact.objects.get(channel=channel, handle=handle)
            )
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


def message_receive(*, channel: Channel, incoming: IncomingMessage | Inbound) -> Stored:
    """Store a customer's message once: a redelivery with the same provider id stores nothing.

    The conversation moves to the top of the inbox, counts one more unread message, and
    reopens if it was resolved or archived.
    """
    existing = Message.objects.filter(channel=channel, provider_id=incoming.provider_id).first()
    if existing is not None:
        return Stored(existing, False)
    try:
        with transaction.atomic():
            contact = contact_for(channel=channel, incoming=incoming)
            conversation = contact.conversation
            new_conversation = not conversation.messages.exists()
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
            _conversation_touch(conversation, message, unread=True)
    except IntegrityError:
        # The same message delivered twice at once: the other request stored it.
        stored = Message.objects.filter(channel=channel, provider_id=incoming.provider_id).first()
        if stored is None:
            raise
        return Stored(stored, False)
    on_commit_in_schema(lambda: _after_receive(message))
    alert = None
    if new_conversation:
        alert = live.Alert("new_conversation", str(contact), message.text[:140])
    live.after_commit_message(message.pk, alert=alert)
    return Stored(message, True)


def _preview(message: Message) -> str:
    return (message.text or message.media_filename or message.get_kind_display())[:200]


def _conversation_touch(conversation: Conversation, message: Message, *, unread: bool) -> None:
    """The inbox row's summary of the newest message, kept on the conversation."""
    changes = {
        "last_message_at": timezone.now(),
        "last_message_text": _preview(message),
        "last_message_direction": message.direction,
    }
    if unread:
        changes["unread_count"] = F("unread_count") + 1
        if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.ARCHIVED):
            changes["status"] = Conversation.Status.OPEN
    Conversation.objects.filter(pk=conversation.pk).update(**changes)


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
    live.after_commit_message(message.pk)
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
    *,
    conversation: Conversation,
    text: str,
    sent_by: str = "",
    attachment=None,
    author=None,
    image_url: str = "",
    message_class: str = "",
    tokens_in: int = 0,
    tokens_out: int = 0,
    response_ms: int | None = None,
) -> Message:
    """Queue a reply to the customer, with a photo or file if given (the text is its
    caption); the worker sends it (with retries) after commit.

    A reply written by a person (``author``) takes the conversation over from the assistant,
    so the assistant does not answer beside them. One without an author is the assistant's.
    """
    from billing.entitlements import require_send

    from .tasks import message_send_task

    require_send()  # a business whose plan has lapsed keeps its data but cannot send
    if author is not None:
        sent_by = sent_by or author.get_short_name()
        if conversation.mode == Conversation.Mode.ASSISTANT or conversation.assignee_id is None:
            conversation_take_over(conversation=conversation, user=author)
    message = Message(
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.OUT,
        kind=Message.Kind.TEXT,
        status=Message.Status.PENDING,
        text=text.strip(),
        sent_by=sent_by,
        author=author,
        message_class=message_class,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        response_ms=response_ms,
    )
    if image_url and attachment is None:
        # A photo the channel fetches itself (an item's picture in the knowledge base).
        message.kind = Message.Kind.IMAGE
        message.media_source_url = image_url[:1000]
        message.media_mimetype = mimetypes.guess_type(image_url.split("?")[0])[0] or "image/jpeg"
        message.media_filename = image_url.split("?")[0].rsplit("/", 1)[-1][:255] or "photo"
    if attachment is not None:
        mimetype = getattr(attachment, "content_type", "") or "application/octet-stream"
        message.kind = Message.Kind.IMAGE if mimetype.startswith("image/") else Message.Kind.FILE
        message.media_mimetype = mimetype
        message.media_filename = attachment.name[:255]
        message.media.save(attachment.name, attachment, save=False)
    message.save()
    _conversation_touch(conversation, message, unread=False)
    if conversation.status == Conversation.Status.PENDING and author is not None:
        Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.OPEN)
    on_commit_in_schema(lambda: message_send_task.delay(message.pk))
    live.after_commit_message(message.pk)
    return message


def note_add(*, conversation: Conversation, author, text: str) -> Message:
    """An internal note in the conversation: staff see it, the customer never does."""
    note = Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.NOTE,
        status=Message.Status.RECEIVED,
        text=text.strip(),
        author=author,
        sent_by=author.get_short_name() if author else "",
    )
    live.after_commit_message(note.pk)
    return note


def _conversation_update(conversation: Conversation, **changes) -> Conversation:
    for name, value in changes.items():
        setattr(conversation, name, value)
    conversation.save(update_fields=list(changes))
    live.after_commit_conversation(conversation.pk)
    return conversation


@transaction.atomic
def conversation_take_over(*, conversation: Conversation, user) -> Conversation:
    """A person answers from now on: the assistant stops at once, including replies it has
    queued already (they are marked not sent; see ``message_send_task``)."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    status = locked.status
    if status in (Conversation.Status.PENDING, Conversation.Status.RESOLVED):
        status = Conversation.Status.OPEN
    assistant_replies_cancel(conversation=locked)
    _conversation_update(locked, mode=Conversation.Mode.HUMAN, assignee=user, status=status)
    conversation.mode, conversation.assignee, conversation.status = (
        locked.mode,
        locked.assignee,
        locked.status,
    )
    return locked


def assistant_replies_cancel(*, conversation: Conversation) -> int:
    """Drop the assistant's replies that are still waiting to be sent."""
    ids = list(
        Message.objects.filter(
            conversation=conversation,
            direction=Message.Direction.OUT,
            status=Message.Status.PENDING,
            author__isnull=True,
            sent_by="",
        )
        .exclude(message_class=TRANSACTIONAL)
        .values_list("pk", flat=True)
    )
    if ids:
        Message.objects.filter(pk__in=ids, status=Message.Status.PENDING).update(
            status=Message.Status.CANCELED,
            error="Not sent: a person took the conversation over.",
        )
        for pk in ids:
            live.after_commit_message(pk)
    return len(ids)


def conversation_hand_back(*, conversation: Conversation) -> Conversation:
    """The assistant answers again (its next turn; nothing it dropped is resent)."""
    return _conversation_update(conversation, mode=Conversation.Mode.ASSISTANT, assignee=None)


def conversation_assign(*, conversation: Conversation, user) -> Conversation:
    """Give the conversation to a colleague (who then answers it), or to nobody."""
    if user is None:
        return _conversation_update(conversation, assignee=None)
    return conversation_take_over(conversation=conversation, user=user)


def conversation_status_set(*, conversation: Conversation, status: str) -> Conversation:
    """Resolve, reopen or archive; a pending (waiting for a person) one can be set too."""
    return _conversation_update(conversation, status=Conversation.Status(status))


def conversation_mark_read(*, conversation: Conversation) -> None:
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
        conversation.unread_count = 0
        live.after_commit_conversation(conversation.pk)


def conversation_wait_for_person(*, conversation: Conversation, reason: str = "") -> None:
    """The assistant hands over: staff are alerted and the assistant stays silent."""
    _conversation_update(
        conversation, mode=Conversation.Mode.HUMAN, status=Conversation.Status.PENDING
    )
    alert = live.Alert("waiting", str(conversation.contact), reason[:140])
    on_commit_in_schema(lambda: live.conversation_published(conversation, alert=alert))


def contact_update(*, contact: Contact, name: str, email: str, notes: str, tags, source: str):
    contact.name, contact.email, contact.notes, contact.source = name, email, notes, source
    contact.tags = sorted({tag.strip()[:40] for tag in tags if tag.strip()})
    contact.save(update_fields=["name", "email", "notes", "tags", "source"])
    live.after_commit_conversation(contact.conversation.pk)
    return contact


def quick_reply_save(*, shortcut: str, text: str, user, instance: QuickReply | None = None):
    reply = instance or QuickReply(created_by=user)
    reply.shortcut, reply.text = shortcut, text
    reply.full_clean()
    reply.save()
    return reply


def message_resend(*, message: Message) -> Message:
    """Try a failed message again."""
    from billing.entitlements import require_send

    from .tasks import message_send_task

    require_send()
    if message.direction != Message.Direction.OUT or message.status != Message.Status.FAILED:
        return message
    message.status, message.error, message.attempts = Message.Status.PENDING, "", 0
    message.save(update_fields=["status", "error", "attempts", "updated_at"])
    on_commit_in_schema(lambda: message_send_task.delay(message.pk))
    live.after_commit_message(message.pk)
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


def assistant_may_answer(conversation: Conversation) -> bool:
    """The one gate of every automatic reply: not once a person has the conversation, and
    only while the business's plan includes automatic replies (``billing.entitlements``)."""
    from billing.entitlements import auto_reply_allowed

    if conversation.mode != Conversation.Mode.ASSISTANT:
        return False
    if conversation.status == Conversation.Status.ARCHIVED:
        return False
    month = timezone.now().date().replace(day=1)
    used = (
        MonthlyUsage.objects.filter(month=month).values_list("assistant_replies", flat=True).first()
    )
    return auto_reply_allowed(used or 0)


def turn_handoff(*, turn: Turn) -> None:
    """Give a customer's turn to the assistant, unless a person has the conversation: then it
    waits for them. The customer sees the messages as read."""
    from assistant.tasks import assistant_reply_task

    from .tasks import seen_send_task

    if not assistant_may_answer(turn.conversation):
        return
    on_commit_in_schema(lambda: _queue(seen_send_task, turn.pk))
    on_commit_in_schema(lambda: _queue(assistant_reply_task, turn.pk))


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


HISTORY_EXPIRE_BATCH = 5000


def history_expire(*, days: int, now=None) -> int:
    """Delete the messages (with their media files), notes and turns older than ``days``, in
    batches; return how many messages went. Contacts and conversations stay, so a returning
    customer is still known, but a conversation whose history is gone keeps no preview of it.
    """
    if days < 1:
        # 0 would delete the conversation going on right now: a mistake, not a period.
        raise ValueError(f"History must be kept at least one day, not {days}.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        batch = list(
            Message.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("pk", "media")[:HISTORY_EXPIRE_BATCH]
        )
        if not batch:
            break
        with transaction.atomic():
            Message.objects.filter(pk__in=[pk for pk, _name in batch]).delete()
        # Files after the rows: a file left over is better than a message without its file.
        for _pk, name in batch:
            if name:
                _media_delete(name)
        deleted += len(batch)
    # A turn repeats its customer messages, all older than the turn: they are gone now.
    while turns := list(
        Turn.objects.filter(created_at__lt=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[:HISTORY_EXPIRE_BATCH]
    ):
        Turn.objects.filter(pk__in=turns).delete()
    # Nothing of these conversations is left to preview or to read.
    Conversation.objects.filter(last_message_at__lt=cutoff).exclude(
        last_message_text="", unread_count=0
    ).update(last_message_text="", unread_count=0)
    return deleted


def _media_delete(name: str) -> None:
    try:
        Message.media.field.storage.delete(name)
    except Exception:  # the row is gone either way: the file is logged for a clean-up
        logger.warning("media %s of an expired message not deleted", name, exc_info=True)


def usage_count(*, message_class: str, tokens: int, response_ms: int | None, when=None) -> None:
    """One more assistant reply this month (one UPSERT; no lost updates under concurrency)."""
    month = (when or timezone.now()).date().replace(day=1)
    column = message_class if message_class in ("type1", "type2", "type3") else "type1"
    with db_connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO conversations_monthlyusage
                (month, assistant_replies, type1, type2, type3, tokens, response_ms_total)
            VALUES (%(month)s, 1, 0, 0, 0, %(tokens)s, %(ms)s)
            ON CONFLICT (month) DO UPDATE SET
                assistant_replies = conversations_monthlyusage.assistant_replies + 1,
                tokens = conversations_monthlyusage.tokens + EXCLUDED.tokens,
                response_ms_total =
                    conversations_monthlyusage.response_ms_total + EXCLUDED.response_ms_total
            """,
            {"month": month, "tokens": tokens, "ms": response_ms or 0},
        )
    MonthlyUsage.objects.filter(month=month).update(**{column: F(column) + 1})
