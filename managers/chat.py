"""The chat between a business and its manager: who takes part, sending, reading, unread
counts, who is online, and the e-mail to a side that is not.

Two sides per business. The business side is every active member of the business; the
manager side is the business's assigned manager, and platform admins, who may open any
business's chat and answer as its manager. Only the assigned manager's reading marks the
business's messages read: an admin looking in leaves them unread for the manager.

Everything lives in the public schema. Open chat pages hear of new messages, unread counts
and read receipts over websocket groups (see ``managers.consumers``):

- ``managerchat.<business id>``: both sides' pages of one business's chat;
- ``managerchat.inbox.<user id>``: a manager's list of chats (unread counts);
- ``managerchat.inbox.admins``: the platform admins' list of every chat.

A side is online while one of its sockets is open: each socket keeps an entry in Redis that
expires unless the socket refreshes it. A message to a side that is offline is e-mailed to
it (the business's owners, or the manager) by a task, once per burst.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, User
from conversations import live
from tenants.errors import ApplicationError
from tenants.models import Business, public_url

from .models import Assignment, ManagerMessage

logger = logging.getLogger(__name__)

Side = ManagerMessage.Side
MESSAGE_MAX_CHARS: int = ManagerMessage._meta.get_field("text").max_length
#: Messages a chat page shows (the latest ones).
HISTORY_LIMIT = 200
#: A side that was e-mailed about an unread message is not e-mailed again for this long.
EMAIL_QUIET_MINUTES = 15
#: How long an open socket counts as online without refreshing (pages refresh every 25 s).
PRESENCE_SECONDS = 75
#: Longest part of a message quoted in its e-mail.
EMAIL_QUOTE_CHARS = 500


class ChatErrorCode(enum.StrEnum):
    NOT_FOUND = "not_found"
    NO_MANAGER = "no_manager"
    EMPTY = "empty"
    TOO_LONG = "too_long"


class ChatError(ApplicationError):
    code: ChatErrorCode


def other_side(side: str) -> str:
    return Side.MANAGER if side == Side.BUSINESS else Side.BUSINESS


def chat_group(business_id: int) -> str:
    return f"managerchat.{business_id}"


def inbox_group(user_id: int) -> str:
    return f"managerchat.inbox.{user_id}"


ADMINS_INBOX_GROUP = "managerchat.inbox.admins"


# Who takes part --------------------------------------------------------------------------


def chat_member_allowed(*, user, business: Business) -> bool:
    """An active member of the business (the business side)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Membership.objects.filter(user=user, business=business).exists()


def chat_manager_allowed(*, user, business: Business) -> bool:
    """An active platform admin, or the business's assigned manager (the manager side).

    Checked on every request and socket frame by itself, whatever the admin site admits.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_platform_admin:
        return True
    return (
        user.is_platform_manager
        and Assignment.objects.filter(business=business, manager=user).exists()
    )


def chat_staff_allowed(*, user) -> bool:
    """Someone with a list of chats at all: an active platform admin or manager."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_platform_admin or user.is_platform_manager)
    )


def chat_business_for_manager(*, user, business_id: int) -> Business:
    """The business whose chat ``user`` may open on the manager side: any business for an
    admin (also one without a manager, to read its past chat); for a manager one assigned to
    them. ``not_found`` otherwise."""
    business = Business.objects.exclude(schema_name="public").filter(pk=business_id).first()
    if business is None or not chat_manager_allowed(user=user, business=business):
        raise ChatError(ChatErrorCode.NOT_FOUND, _("This chat does not exist."))
    return business


# Reading ----------------------------------------------------------------------------------


def chat_assignment(*, business: Business) -> Assignment | None:
    return Assignment.objects.select_related("manager").filter(business=business).first()


def chat_messages(*, business: Business, limit: int = HISTORY_LIMIT) -> list[ManagerMessage]:
    """The latest messages of the chat, oldest first."""
    latest = (
        ManagerMessage.objects.filter(business=business)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(latest))


def chat_unread_count(*, business: Business, reader_side: str) -> int:
    """Messages of the other side that ``reader_side`` has not read yet."""
    return ManagerMessage.objects.filter(
        business=business, side=other_side(reader_side), read_at__isnull=True
    ).count()


@dataclass(frozen=True)
class ChatRow:
    """One business in a manager's list of chats."""

    business: Business
    manager: User
    unread: int
    last_at: datetime | None


def chat_rows(*, user) -> list[ChatRow]:
    """The chats ``user`` may open on the manager side, those with unread messages first:
    their assigned businesses for a manager, every business with a manager for an admin."""
    if not chat_staff_allowed(user=user):
        return []
    assignments = Assignment.objects.select_related("business", "manager")
    if not user.is_platform_admin:
        assignments = assignments.filter(manager=user)
    unread = Q(
        business__manager_messages__side=Side.BUSINESS,
        business__manager_messages__read_at__isnull=True,
    )
    assignments = assignments.annotate(
        unread=Count("business__manager_messages", filter=unread),
        last_at=Max("business__manager_messages__created_at"),
    )
    rows = [
        ChatRow(
            business=assignment.business,
            manager=assignment.manager,
            unread=assignment.unread,
            last_at=assignment.last_at,
        )
        for assignment in assignments
    ]
    return sorted(
        rows,
        key=lambda row: (
            row.unread == 0,
            -row.last_at.timestamp() if row.last_at else float("inf"),
            row.business.name.lower(),
        ),
    )


def chat_unread_for_manager(*, user) -> int:
    """Business messages the manager has not read, over all their businesses."""
    if not getattr(user, "is_authenticated", False) or not user.is_platform_manager:
        return 0
    return ManagerMessage.objects.filter(
        business__manager_assignment__manager=user, side=Side.BUSINESS, read_at__isnull=True
    ).count()


# Writing ----------------------------------------------------------------------------------


def chat_text_clean(text: object) -> str:
    """The message as it will be stored; ``empty`` or ``too_long`` errors say why not."""
    cleaned = text.strip() if isinstance(text, str) else ""
    if not cleaned:
        raise ChatError(ChatErrorCode.EMPTY, _("Write a message first."))
    if len(cleaned) > MESSAGE_MAX_CHARS:
        raise ChatError(
            ChatErrorCode.TOO_LONG,
            ngettext(
                "A message can be at most %(max)d character long (this one has %(length)d).",
                "A message can be at most %(max)d characters long (this one has %(length)d).",
                MESSAGE_MAX_CHARS,
            )
            % {"max": MESSAGE_MAX_CHARS, "length": len(cleaned)},
        )
    return cleaned


def chat_message_send(*, business: Business, author, side: str, text: object) -> ManagerMessage:
    """Post a message to the business's chat as ``side``.

    ``not_found`` when the author may not take that side in this business's chat;
    ``no_manager`` when the business has no manager to talk to; ``empty`` / ``too_long``
    for the text. After commit the message is pushed to both sides' open pages, and if
    nobody of the other side is online a task e-mails them.
    """
    allowed = (
        chat_member_allowed(user=author, business=business)
        if side == Side.BUSINESS
        else chat_manager_allowed(user=author, business=business)
    )
    if not allowed:
        raise ChatError(ChatErrorCode.NOT_FOUND, _("This chat does not exist."))
    if not Assignment.objects.filter(business=business).exists():
        raise ChatError(
            ChatErrorCode.NO_MANAGER,
            _("Your business has no manager yet. Write to %(email)s instead.")
            % {"email": settings.SUPPORT_EMAIL}
            if side == Side.BUSINESS
            else _("This business has no manager: assign one before writing to it."),
        )
    cleaned = chat_text_clean(text)
    message = ManagerMessage.objects.create(
        business=business, author=author, side=side, text=cleaned
    )
    transaction.on_commit(lambda: _after_send(message.pk))
    return message


def chat_mark_read(
    *, business: Business, reader, reader_side: str, up_to: int | None = None
) -> int:
    """Mark the other side's unread messages (up to id ``up_to``) read; how many were.

    On the manager side only the assigned manager's reading counts. The other side's open
    pages hear of it after commit (read receipts), and both sides' unread counts update.
    """
    if reader_side == Side.MANAGER and not (
        getattr(reader, "is_platform_manager", False)
        and Assignment.objects.filter(business=business, manager=reader).exists()
    ):
        return 0
    unread = ManagerMessage.objects.filter(
        business=business, side=other_side(reader_side), read_at__isnull=True
    )
    if up_to is not None:
        unread = unread.filter(pk__lte=up_to)
    last = unread.aggregate(last=Max("pk"))["last"]
    if last is None:
        return 0
    marked = unread.filter(pk__lte=last).update(read_at=timezone.now())
    side_read = other_side(reader_side)
    transaction.on_commit(lambda: _after_read(business.pk, side_read, last))
    return marked


# Live updates -----------------------------------------------------------------------------


def chat_message_html(message: ManagerMessage) -> dict[str, dict[str, str]]:
    """The message's fragment as each side sees it, once per portal language."""
    rendered: dict[str, dict[str, str]] = {}
    for viewer_side in Side.values:
        rendered[viewer_side] = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                rendered[viewer_side][code] = render_to_string(
                    "managers/chat/_message.html",
                    {"message": message, "viewer_side": viewer_side},
                )
    return rendered


def _inbox_groups(business_id: int) -> list[str]:
    groups = [ADMINS_INBOX_GROUP]
    manager_id = (
        Assignment.objects.filter(business_id=business_id)
        .values_list("manager_id", flat=True)
        .first()
    )
    if manager_id is not None:
        groups.append(inbox_group(manager_id))
    return groups


def _unread_published(business_id: int) -> None:
    counts = dict(
        ManagerMessage.objects.filter(business_id=business_id, read_at__isnull=True)
        .values_list("side")
        .annotate(n=Count("id"))
        .values_list("side", "n")
    )
    event = {
        "type": "chat.unread",
        "business": business_id,
        # What each side has not read yet: the other side's unread messages.
        "unread": {
            Side.BUSINESS: counts.get(Side.MANAGER, 0),
            Side.MANAGER: counts.get(Side.BUSINESS, 0),
        },
    }
    live._send(chat_group(business_id), event)
    for group in _inbox_groups(business_id):
        live._send(group, event)


def _after_send(message_id: int) -> None:
    message = ManagerMessage.objects.select_related("author").filter(pk=message_id).first()
    if message is None:
        return
    try:
        live._send(
            chat_group(message.business_id),
            {
                "type": "chat.message",
                "business": message.business_id,
                "id": message.pk,
                "side": message.side,
                "html": chat_message_html(message),
            },
        )
        _unread_published(message.business_id)
    except Exception:  # the pages show it on their next load; the e-mail still goes
        logger.exception("manager chat update not published")
    if not chat_side_online(business_id=message.business_id, side=other_side(message.side)):
        from .tasks import chat_message_notify_task

        try:
            chat_message_notify_task.delay(message.pk)
        except Exception:  # the message is stored and shown; only its e-mail is lost
            logger.exception("manager chat e-mail not queued")


def _after_read(business_id: int, side: str, up_to: int) -> None:
    try:
        live._send(
            chat_group(business_id),
            {"type": "chat.read", "business": business_id, "side": side, "up_to": up_to},
        )
        _unread_published(business_id)
    except Exception:
        logger.exception("manager chat read receipt not published")


# Who is online ----------------------------------------------------------------------------

_redis = None


def _presence_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
    return _redis


def _presence_key(side: str, owner_id: int) -> str:
    """A business's sockets (business side) or a person's (manager side), named with the
    channel layer's prefix so side-by-side runs of the product never see each other."""
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "asgi")
    return f"{prefix}:managerchat:online:{side}:{owner_id}"


def chat_presence_touch(*, side: str, owner_id: int, socket: str) -> None:
    """Count the socket as online for the next ``PRESENCE_SECONDS``. ``owner_id``: the
    business (business side) or the user (manager side)."""
    key = _presence_key(side, owner_id)
    now = time.time()
    try:
        pipe = _presence_client().pipeline()
        pipe.zadd(key, {socket: now + PRESENCE_SECONDS})
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.expire(key, PRESENCE_SECONDS)
        pipe.execute()
    except Exception:  # without Redis everyone counts as offline: e-mails still go out
        logger.warning("presence not recorded", exc_info=True)


def chat_presence_leave(*, side: str, owner_id: int, socket: str) -> None:
    try:
        _presence_client().zrem(_presence_key(side, owner_id), socket)
    except Exception:
        logger.warning("presence not removed", exc_info=True)


def chat_side_online(*, business_id: int, side: str) -> bool:
    """Whether someone of ``side`` has the chat open now: any member of the business on the
    business side; the assigned manager (on any chat page) on the manager side."""
    if side == Side.BUSINESS:
        owner_id = business_id
    else:
        owner_id = (
            Assignment.objects.filter(business_id=business_id)
            .values_list("manager_id", flat=True)
            .first()
        )
        if owner_id is None:
            return False
    try:
        return bool(_presence_client().zcount(_presence_key(side, owner_id), time.time(), "+inf"))
    except Exception:
        logger.warning("presence not read", exc_info=True)
        return False


# E-mail to the side that is offline -------------------------------------------------------


def _recipients(message: ManagerMessage) -> list[User]:
    if message.side == Side.BUSINESS:
        assignment = chat_assignment(business=message.business)
        if assignment is None or not assignment.manager.is_active:
            return []
        return [assignment.manager]
    return [
        membership.user
        for membership in Membership.objects.filter(
            business=message.business, role=Membership.Role.OWNER, user__is_active=True
        ).select_related("user")
    ]


def _chat_url(message: ManagerMessage) -> str:
    if message.side == Side.BUSINESS:
        path = reverse(
            "x8_chat:business",
            args=[message.business_id],
            urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        )
        return public_url(path)
    return message.business.portal_url(reverse("manager:home", urlconf=settings.ROOT_URLCONF))


def chat_message_notify(*, message_id: int) -> bool:
    """E-mail the other side about a message when nobody of it is online; whether it did.

    Once per burst: not for a message already read or e-mailed, nor while another unread
    message of the same side was e-mailed less than ``EMAIL_QUIET_MINUTES`` ago. Runs under
    a lock per chat and side, so two messages' tasks at the same moment send one e-mail.
    """
    with transaction.atomic():
        found = ManagerMessage.objects.filter(pk=message_id).values("business_id", "side").first()
        if found is None:
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"managerchat-notify:{found['business_id']}:{found['side']}"],
            )
        message = (
            ManagerMessage.objects.select_for_update(of=("self",))
            .select_related("business", "author")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.read_at is not None or message.emailed_at is not None:
            return False
        if chat_side_online(business_id=message.business_id, side=other_side(message.side)):
            return False
        now = timezone.now()
        if ManagerMessage.objects.filter(
            business_id=message.business_id,
            side=message.side,
            read_at__isnull=True,
            emailed_at__gte=now - timedelta(minutes=EMAIL_QUIET_MINUTES),
        ).exists():
            return False
        recipients = _recipients(message)
        if not recipients:
            return False
        url = _chat_url(message)
        for recipient in recipients:
            _mail(message, recipient, url)
        message.emailed_at = now
        message.save(update_fields=["emailed_at"])
    return True


def _mail(message: ManagerMessage, recipient: User, url: str) -> None:
    language = recipient.language if recipient.language in dict(settings.LANGUAGES) else "en"
    text = message.text
    if len(text) > EMAIL_QUOTE_CHARS:
        text = text[: EMAIL_QUOTE_CHARS - 1] + "…"
    context = {
        "business": message.business,
        "author": message.author,
        "recipient": recipient,
        "text": text,
        "url": url,
    }
    to = "manager" if message.side == Side.BUSINESS else "business"
    with translation.override(language):
        subject = render_to_string(f"managers/chat/email/to_{to}_subject.txt", context)
        body = render_to_string(f"managers/chat/email/to_{to}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [recipient.email])
