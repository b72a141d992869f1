"""The assistant on a customer's turn: privacy notice, opening hours, the answer, hand-off.

Runs in the worker for each turn (a burst of customer messages merged, or one web chat
message). A turn is answered once: it is claimed under a lock, and skipped when a person has
the conversation or the customer wrote again meanwhile (the newer turn is answered instead).
Replies go out through ``message_send`` like a person's, so retries, delivery ticks and the
live pages work the same; a reply still queued when a person takes over is not sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from conversations.models import Contact, Conversation, Message, Turn
from conversations.services import (
    TRANSACTIONAL,
    assistant_may_answer,
    conversation_wait_for_person,
    message_send,
    usage_count,
)

from .hours import is_open, next_opening
from .respond import respond
from .settings_resolve import behaviour_for_message
from .types import Intent, MessageClass, Reply

logger = logging.getLogger(__name__)

HISTORY_MESSAGES = 10
OUT_OF_HOURS_REPEAT_HOURS = 20


#: "A person will answer when we open", in the customer's language.
OPENS_AT = {
    "ru": "Сейчас мы не работаем; сотрудник ответит, когда мы откроемся: {when}.",
    "en": "We are closed now; a person will answer when we open: {when}.",
}


@dataclass(frozen=True)
class Answered:
    reply: Reply
    messages: list[Message]


def _claim(turn_id: int) -> tuple[Turn, Conversation] | None:
    """Take the turn for the assistant, or None when it is not the assistant's to answer."""
    with transaction.atomic():
        turn = Turn.objects.select_for_update().filter(pk=turn_id).first()
        if turn is None or turn.status != Turn.Status.AWAITING_REPLY:
            return None
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("contact", "channel__company")
            .get(pk=turn.conversation_id)
        )
        if not assistant_may_answer(conversation):
            return None  # a person has it: the turn waits for them
        newer = Turn.objects.filter(conversation=conversation, pk__gt=turn.pk).exists()
        waiting = Message.objects.filter(
            conversation=conversation, direction=Message.Direction.IN, turn__isnull=True
        ).exists()
        if newer or waiting:
            turn.status = Turn.Status.SKIPPED  # the customer went on: answer all of it next
            turn.save(update_fields=["status"])
            return None
        turn.status = Turn.Status.ANSWERED
        turn.save(update_fields=["status"])
        return turn, conversation


def _history(conversation: Conversation, turn: Turn) -> list[tuple[str, str]]:
    recent = (
        Message.objects.filter(conversation=conversation)
        .exclude(direction=Message.Direction.NOTE)
        .exclude(turn=turn)
        .order_by("-created_at", "-id")
        .values_list("direction", "text")[:HISTORY_MESSAGES]
    )
    return [(direction, text) for direction, text in reversed(recent) if text]


def turn_answer(*, turn_id: int, now=None) -> Answered | None:
    """Answer one customer turn (called by the ``assistant.reply`` task)."""
    now = now or timezone.now()
    claimed = _claim(turn_id)
    if claimed is None:
        return None
    turn, conversation = claimed
    contact: Contact = conversation.contact
    first = turn.messages.order_by("created_at", "id").values_list("created_at", flat=True).first()
    response_ms = max(0, int((now - first).total_seconds() * 1000)) if first else None
    behaviour, _scenario = behaviour_for_message(
        company=conversation.channel.company, channel=conversation.channel, text=turn.text
    )
    sent: list[Message] = []

    with transaction.atomic():
        # The privacy notice: exactly once per contact, even when two turns race here.
        if (
            behaviour.privacy_notice
            and not contact.privacy_notice_sent_at
            and Contact.objects.filter(pk=contact.pk, privacy_notice_sent_at__isnull=True).update(
                privacy_notice_sent_at=now
            )
        ):
            sent.append(
                message_send(
                    conversation=conversation,
                    text=behaviour.privacy_notice,
                    message_class=TRANSACTIONAL,
                )
            )

        reply = respond(
            text=turn.text,
            company=conversation.channel.company,
            behaviour=behaviour,
            history=_history(conversation, turn),
            misunderstood=conversation.misunderstood,
        )
        open_now = is_open(behaviour.working_hours, now)
        text = reply.text
        if reply.handoff and not open_now:
            opening = next_opening(behaviour.working_hours, now)
            if opening is not None:
                phrase = OPENS_AT.get(reply.language, OPENS_AT["en"])
                text = f"{text}\n{phrase.format(when=opening.strftime('%d.%m %H:%M'))}"
        elif not open_now and behaviour.out_of_hours:
            last = conversation.out_of_hours_sent_at
            if last is None or (now - last).total_seconds() > OUT_OF_HOURS_REPEAT_HOURS * 3600:
                sent.append(
                    message_send(
                        conversation=conversation,
                        text=behaviour.out_of_hours,
                        message_class=TRANSACTIONAL,
                    )
                )
                Conversation.objects.filter(pk=conversation.pk).update(out_of_hours_sent_at=now)

        message_class = TRANSACTIONAL if reply.handoff else MessageClass(reply.message_class).value
        if text.strip():
            sent.append(
                message_send(
                    conversation=conversation,
                    text=text,
                    image_url=reply.image_url,
                    message_class=message_class,
                    tokens_in=reply.tokens_in,
                    tokens_out=reply.tokens_out,
                    response_ms=response_ms,
                )
            )
            usage_count(
                message_class=message_class,
                tokens=reply.tokens_in + reply.tokens_out,
                response_ms=response_ms,
                when=now,
            )
        understood = reply.intent != Intent.UNKNOWN and reply.confidence >= 0.5
        Conversation.objects.filter(pk=conversation.pk).update(
            misunderstood=0 if understood else conversation.misunderstood + 1
        )
        if reply.handoff:
            conversation_wait_for_person(
                conversation=conversation, reason=reply.handoff_reason or turn.text[:140]
            )
    return Answered(reply, sent)
