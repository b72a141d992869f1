"""The conversation list's filters, as one query the inbox indexes answer."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q, QuerySet

from conversations.models import Conversation, Message

#: Digits in a search that make it worth looking in phone numbers too.
PHONE_SEARCH_MIN_DIGITS = 3


def conversation_search(
    *,
    user,
    status: str | None = None,
    channel: str | None = None,
    company: int | None = None,
    assignee: int | str | None = None,
    unread: bool | None = None,
    q: str | None = None,
) -> QuerySet[Conversation]:
    """Conversations of the current business matching every filter given.

    ``assignee`` is a user id, ``"me"`` (``user``) or ``"none"``; ``q`` looks in the
    contact's name, phone, handle and e-mail and (full text) in the messages.
    """
    conversations = Conversation.objects.select_related("contact", "channel__company", "assignee")
    if status:
        conversations = conversations.filter(status=status)
    if channel:
        conversations = conversations.filter(channel__platform=channel)
    if company:
        conversations = conversations.filter(channel__company_id=company)
    if assignee == "none":
        conversations = conversations.filter(assignee__isnull=True)
    elif assignee == "me":
        conversations = conversations.filter(assignee_id=user.pk)
    elif assignee is not None:
        conversations = conversations.filter(assignee_id=assignee)
    if unread is True:
        conversations = conversations.filter(unread_count__gt=0)
    elif unread is False:
        conversations = conversations.filter(unread_count=0)
    if q:
        conversations = conversations.filter(_matching(q))
    return conversations


def _matching(q: str) -> Q:
    found = (
        Q(contact__name__icontains=q)
        | Q(contact__handle__icontains=q)
        | Q(contact__email__icontains=q)
    )
    digits = re.sub(r"\D", "", q)
    if len(digits) >= PHONE_SEARCH_MIN_DIGITS:
        found |= Q(contact__phone__contains=digits)
    in_messages = (
        Message.objects.annotate(document=SearchVector("text", config="simple"))
        .filter(document=SearchQuery(q, config="simple"))
        .values("conversation_id")
    )
    return found | Q(pk__in=in_messages)
