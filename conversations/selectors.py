"""Reads on conversations."""

from __future__ import annotations

from django.db.models import Q

from .inbox import row_related
from .models import Conversation, Message


def message_list(*, conversation: Conversation, limit: int = 200) -> list[Message]:
    recent = conversation.messages.order_by("-created_at", "-id")[:limit]
    return list(reversed(recent))


def conversation_row(pk: int) -> Conversation | None:
    """One conversation with everything its inbox row (``_row.html``) shows, in one query:
    the assignee too, who may have been deleted (the row then says "former member")."""
    return row_related(Conversation.objects.filter(pk=pk)).first()


def messages_since(
    *, conversation: Conversation, after_id: int, changed_since=None, limit: int = 200
) -> list[Message]:
    """What a reconnecting page missed: messages newer than the last it saw, and those whose
    status changed since it dropped (resent, delivered, read)."""
    condition = Q(pk__gt=after_id)
    if changed_since is not None:
        condition |= Q(updated_at__gte=changed_since)
    return list(
        conversation.messages.filter(condition)
        .select_related("conversation")
        .order_by("id")[:limit]
    )


def usage_this_month(now=None):
    """The assistant's replies of the current month (a row with zeros when there are none)."""
    from django.utils import timezone

    from .models import MonthlyUsage

    month = (now or timezone.now()).date().replace(day=1)
    return MonthlyUsage.objects.filter(month=month).first() or MonthlyUsage(month=month)
