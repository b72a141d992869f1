"""Reads on conversations."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Conversation, Message


def conversation_list() -> QuerySet[Conversation]:
    return Conversation.objects.select_related("contact", "channel__company").annotate(
        awaiting=Count(
            "messages",
            filter=Q(
                messages__direction=Message.Direction.IN, messages__turn__status="awaiting_reply"
            ),
        ),
        failed=Count("messages", filter=Q(messages__status=Message.Status.FAILED)),
    )


def message_list(*, conversation: Conversation, limit: int = 200) -> list[Message]:
    recent = conversation.messages.order_by("-created_at", "-id")[:limit]
    return list(reversed(recent))
