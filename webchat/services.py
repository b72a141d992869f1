"""The web chat: a channel a company runs on its own website, with no external account.

A widget is found by its key (the public ``Connection.external_id`` of platform
``webchat``), which leads to the business; everything else is read and written inside that
business's schema. A visitor is known by a signed token the widget keeps in the browser: it
carries a random visitor handle (the contact's ``handle``) and the page the visitor came
from (the contact's lead source). Messages go through ``conversations.services
.message_receive`` like any channel's, so they reach the inbox and the live pages.

The key is public (it is in every page that embeds the widget); the token is what a
visitor cannot forge, and the allowed origins keep other websites' pages out.
"""

from __future__ import annotations

import enum
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from accounts.ratelimit import rate_limit_hit
from channels_app.models import Channel
from channels_app.services import current_business
from connections.models import Connection, ConnectionEvent
from conversations import live
from conversations.models import Contact, Conversation, Message
from conversations.services import Inbound, message_receive
from tenants.companies.models import Company
from tenants.errors import ApplicationError
from tenants.models import Business, public_url

from .models import WidgetSettings

logger = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Random bytes of a new widget key (url-safe base64: 24 characters).
KEY_BYTES = 18
#: Longest token accepted (a real one is about 150 characters).
TOKEN_MAX_CHARS = 1000
#: New visitor sessions one address may start per minute on one widget.
SESSIONS_PER_IP_PER_MINUTE = 30
#: Visitors behind one address (an office, a mobile carrier's NAT) share a per-address limit
#: of this many times one visitor's.
VISITORS_PER_IP = 5
#: Messages the widget loads at first (older ones stay in the inbox).
HISTORY_LIMIT = 100
#: Messages sent to a reconnecting widget at most; it asks again from the last one.
CATCH_UP_LIMIT = 200
RATE_WINDOW_SECONDS = 60
SOURCE_MAX_CHARS = Contact._meta.get_field("source").max_length


class WebchatErrorCode(enum.StrEnum):
    NOT_FOUND = "not_found"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    BAD_TOKEN = "bad_token"
    BAD_REQUEST = "bad_request"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    RATE_LIMITED = "rate_limited"


class WebchatError(ApplicationError):
    code: WebchatErrorCode

    def __init__(
        self, code: WebchatErrorCode, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


def _not_found() -> WebchatError:
    return WebchatError(WebchatErrorCode.NOT_FOUND, _("This chat is not available."))


# Widgets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Widget:
    """An enabled widget, with what its requests need: the business to enter, the channel."""

    key: str
    business: Business
    channel: Channel
    settings: WidgetSettings


def widget_get(*, key: str) -> Widget:
    """The enabled widget with this key; ``not_found`` for an unknown or disabled one (and
    for a suspended business). Runs from any schema."""
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise _not_found()
    connection = (
        Connection.objects.select_related("business")
        .filter(
            platform=Connection.Platform.WEBCHAT,
            external_id=key,
            status=Connection.Status.CONNECTED,
        )
        .first()
    )
    if connection is None or connection.business.status != Business.Status.ACTIVE:
        raise _not_found()
    with tenant_context(connection.business):
        channel = (
            Channel.objects.select_related("widget", "company")
            .filter(connection_id=connection.pk)
            .first()
        )
        widget_settings = getattr(channel, "widget", None) if channel else None
    if widget_settings is None or not widget_settings.enabled:
        raise _not_found()
    channel.connection = connection
    return Widget(key=key, business=connection.business, channel=channel, settings=widget_settings)


def widget_script_url() -> str:
    return public_url("/widget.js")


def widget_snippet(*, key: str) -> str:
    """The tag a business puts in its website's pages."""
    return f'<script src="{widget_script_url()}" data-key="{key}" async></script>'


def webchat_channel_of(company: Company) -> Channel | None:
    return (
        Channel.objects.select_related("connection", "widget")
        .filter(company=company, platform=Connection.Platform.WEBCHAT)
        .first()
    )


@transaction.atomic
def webchat_enable(*, company: Company, key: str | None = None) -> Channel:
    """Give the company a web chat channel (or switch its existing one back on).

    Creates the public connection (its external id is the widget key: random unless given,
    as for the demo) with the business-schema channel and its widget settings. Web chat is
    not counted against the plan's channel limit: it uses no messaging account. Call it in
    the business's schema. A business whose plan has lapsed cannot switch it on.
    """
    from billing.entitlements import BillingRestricted, RestrictedCode, entitlements_for

    ent = entitlements_for(current_business())
    if not ent.may_connect:
        raise BillingRestricted(RestrictedCode.READ_ONLY, ent.reason)
    channel = webchat_channel_of(company)
    if channel is not None:
        widget_settings = getattr(channel, "widget", None) or _widget_settings_create(channel)
        if not widget_settings.enabled or channel.connection.status != Connection.Status.CONNECTED:
            widget_settings_update(
                widget_settings=widget_settings,
                enabled=True,
                title=widget_settings.title,
                greeting=widget_settings.greeting,
                accent_color=widget_settings.accent_color,
                allowed_origins=widget_settings.allowed_origins,
            )
        return channel
    if key is not None and not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"not a widget key: {key!r}")
    now = timezone.now()
    connection = Connection.objects.create(
        business=current_business(),
        platform=Connection.Platform.WEBCHAT,
        external_id=key or secrets.token_urlsafe(KEY_BYTES),
        status=Connection.Status.CONNECTED,
        connected_at=now,
        status_changed_at=now,
    )
    channel = Channel.objects.create(
        company=company, connection=connection, platform=Connection.Platform.WEBCHAT
    )
    _widget_settings_create(channel)
    ConnectionEvent.objects.create(
        connection=connection, kind=ConnectionEvent.Kind.STATUS, detail="web chat enabled"
    )
    return channel


def _widget_settings_create(channel: Channel) -> WidgetSettings:
    widget_settings = WidgetSettings.objects.create(
        channel=channel,
        title=channel.company.name[: WidgetSettings._meta.get_field("title").max_length],
        greeting=_("Hello! How can we help you?"),
    )
    channel.widget = widget_settings
    return widget_settings


@transaction.atomic
def widget_settings_update(
    *,
    widget_settings: WidgetSettings,
    enabled: bool,
    title: str,
    greeting: str,
    accent_color: str,
    allowed_origins: list[str],
) -> WidgetSettings:
    """Save the widget's settings; switching it off takes it off every website at once (its
    connection shows as disconnected, and its key answers 404)."""
    widget_settings.enabled = enabled
    widget_settings.title = title
    widget_settings.greeting = greeting
    widget_settings.accent_color = accent_color
    widget_settings.allowed_origins = list(allowed_origins)
    widget_settings.full_clean(exclude=["channel"])
    widget_settings.save()
    connection = widget_settings.channel.connection
    status = Connection.Status.CONNECTED if enabled else Connection.Status.DISCONNECTED
    if connection.status != status:
        connection.status = status
        connection.status_changed_at = timezone.now()
        connection.save(update_fields=["status", "status_changed_at", "updated_at"])
        ConnectionEvent.objects.create(
            connection=connection,
            kind=ConnectionEvent.Kind.STATUS,
            detail="web chat enabled" if enabled else "web chat disabled",
        )
    return widget_settings


# Origins -----------------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_normalize(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port, or ``None`` when the
    value is not a web origin. A leading ``*.`` in the host stands for any subdomain."""
    value = (value or "").strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in _DEFAULT_PORTS or not host:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    bare = host[2:] if host.startswith("*.") else host
    if not bare or "*" in bare or not re.fullmatch(r"[a-z0-9.\-\[\]:]+", bare):
        return None
    scheme = parts.scheme.lower()
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def origin_allowed(*, widget_settings: WidgetSettings, origin: str | None) -> bool:
    """May a page of this origin use the widget? Any may when no website is listed.

    A request without an Origin header is not a cross-site browser request (a browser sends
    one with every cross-origin fetch and websocket), so it is not refused here; the
    visitor token and the rate limits still apply to it.
    """
    if origin is None or origin == "":
        return True
    allowed = widget_settings.allowed_origins
    if not allowed:
        return True
    normalized = origin_normalize(origin)
    if normalized is None or "*" in normalized:
        return False
    scheme, _sep, netloc = normalized.partition("://")
    for entry in allowed:
        if entry == normalized:
            return True
        entry_scheme, _sep, entry_netloc = entry.partition("://")
        wildcard = entry_netloc.startswith("*.")
        if wildcard and entry_scheme == scheme and netloc.endswith(entry_netloc[1:]):
            return True
    return False


# Visitors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    handle: str
    source: str = ""

    @property
    def name(self) -> str:
        return _("Visitor %(code)s") % {"code": self.handle[-4:].upper()}


@dataclass(frozen=True)
class Session:
    token: str
    visitor: Visitor
    created: bool


def _salt(key: str) -> str:
    return f"webchat.visitor:{key}"


def _source_clean(page) -> str:
    """The page the visitor wrote from, kept as the lead source (an http(s) address only)."""
    if not isinstance(page, str):
        return ""
    page = page.strip()
    try:
        parts = urlsplit(page)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return parts._replace(fragment="").geturl()[:SOURCE_MAX_CHARS]


def visitor_token_read(*, widget: Widget, token) -> Visitor:
    """The visitor a token was issued to by this widget; ``bad_token`` otherwise."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_CHARS:
        raise WebchatError(WebchatErrorCode.BAD_TOKEN, _("Your chat session has expired."))
    try:
        data = signing.loads(token, salt=_salt(widget.key))
    except signing.BadSignature as error:
        raise WebchatError(
            WebchatErrorCode.BAD_TOKEN, _("Your chat session has expired.")
        ) from error
    handle = data.get("h") if isinstance(data, dict) else None
    if not isinstance(handle, str) or not handle:
        raise WebchatError(WebchatErrorCode.BAD_TOKEN, _("Your chat session has expired."))
    source = data.get("s")
    return Visitor(handle=handle, source=source if isinstance(source, str) else "")


def visitor_session(*, widget: Widget, token=None, page=None, ip: str | None = None) -> Session:
    """Keep a visitor's valid token, or start a new visitor (limited per address)."""
    if token:
        try:
            return Session(token, visitor_token_read(widget=widget, token=token), False)
        except WebchatError:
            pass  # a token of a key that changed, or a forged one: a new visitor
    retry_after = _over_limit(
        "webchat.session", f"{widget.key}:{ip or '-'}", SESSIONS_PER_IP_PER_MINUTE
    )
    if retry_after:
        raise _rate_limited(retry_after)
    visitor = Visitor(handle=f"v_{secrets.token_urlsafe(12)}", source=_source_clean(page))
    token = signing.dumps({"h": visitor.handle, "s": visitor.source}, salt=_salt(widget.key))
    return Session(token, visitor, True)


def _over_limit(action: str, key: str, limit: int) -> int | None:
    """Count one attempt in the current minute; the seconds until the next minute when the
    attempt is over the limit. Without the cache nothing is limited (and it is logged)."""
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    try:
        hit = rate_limit_hit(
            action=action,
            key=f"{key}:{window}",
            limit=limit,
            window_seconds=RATE_WINDOW_SECONDS,
        )
    except Exception:  # the chat goes on without Redis
        logger.warning("web chat rate limit not checked", exc_info=True)
        return None
    if not hit:
        return None
    return max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))


def _rate_limited(retry_after: int) -> WebchatError:
    return WebchatError(
        WebchatErrorCode.RATE_LIMITED,
        _("You are sending messages too fast. Please wait a moment."),
        retry_after=retry_after,
    )


def _visitor_conversation(widget: Widget, visitor: Visitor) -> Conversation | None:
    return Conversation.objects.filter(
        channel=widget.channel, contact__handle=visitor.handle
    ).first()


def visitor_conversation_id(*, widget: Widget, visitor: Visitor) -> int | None:
    with tenant_context(widget.business):
        conversation = _visitor_conversation(widget, visitor)
        return conversation.pk if conversation else None


def _visible(messages):
    """What a visitor may see: never internal notes, nor replies that were never sent."""
    return messages.exclude(direction=Message.Direction.NOTE).exclude(
        status=Message.Status.CANCELED
    )


def visitor_messages(*, widget: Widget, visitor: Visitor, after: int = 0) -> list[dict]:
    """The visitor's conversation as the widget shows it: the latest messages, or those
    after the last one the widget has (oldest first)."""
    with tenant_context(widget.business):
        conversation = _visitor_conversation(widget, visitor)
        if conversation is None:
            return []
        messages = _visible(conversation.messages.all())
        if after:
            chosen = list(messages.filter(pk__gt=after).order_by("id")[:CATCH_UP_LIMIT])
        else:
            chosen = list(reversed(messages.order_by("-id")[:HISTORY_LIMIT]))
        return [live.visitor_payload(message) for message in chosen]


@dataclass(frozen=True)
class Sent:
    message: dict
    created: bool
    conversation_id: int


def visitor_message_send(
    *, widget: Widget, visitor: Visitor, text, client_id, ip: str | None = None
) -> Sent:
    """Store a visitor's message as an incoming message of the channel.

    ``client_id`` is the widget's own id of the message: a retry with the same id (after a
    dropped connection) stores nothing more and returns the stored message. Empty,
    oversized, and too frequent messages are refused with their error code.
    """
    if not isinstance(text, str) or not isinstance(client_id, str):
        raise WebchatError(WebchatErrorCode.BAD_REQUEST, _("The message could not be read."))
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        raise WebchatError(WebchatErrorCode.BAD_REQUEST, _("The message could not be read."))
    text = text.strip()
    if not text:
        raise WebchatError(WebchatErrorCode.EMPTY, _("Write a message first."))
    if len(text) > settings.MESSAGE_MAX_CHARS:
        raise WebchatError(
            WebchatErrorCode.TOO_LONG,
            _("The message is too long: at most %(max)s characters.")
            % {"max": settings.MESSAGE_MAX_CHARS},
        )
    # The visitor's handle is part of the id, so one visitor's ids never meet another's.
    provider_id = f"webchat:{visitor.handle}:{client_id}"
    with tenant_context(widget.business):
        stored = Message.objects.filter(channel=widget.channel, provider_id=provider_id).first()
        if stored is not None:
            return Sent(live.visitor_payload(stored), False, stored.conversation_id)
        limit = settings.WIDGET_MESSAGES_PER_MINUTE
        retry_after = _over_limit(
            "webchat.message.visitor", f"{widget.key}:{visitor.handle}", limit
        ) or _over_limit("webchat.message.ip", f"{widget.key}:{ip or '-'}", limit * VISITORS_PER_IP)
        if retry_after:
            raise _rate_limited(retry_after)
        # Named only when first seen, so a name staff gave the contact stays.
        known = Contact.objects.filter(channel=widget.channel, handle=visitor.handle).exists()
        result = message_receive(
            channel=widget.channel,
            incoming=Inbound(
                provider_id=provider_id,
                handle=visitor.handle,
                chat_id=visitor.handle,
                text=text,
                name="" if known else visitor.name,
                source=visitor.source,
            ),
        )
        message = result.message
        return Sent(live.visitor_payload(message), result.created, message.conversation_id)


def visitor_typing(*, widget: Widget, visitor: Visitor, conversation_id: int, active: bool) -> None:
    """Tell the staff watching the conversation that the visitor is typing."""
    with tenant_context(widget.business):
        contact = Contact.objects.filter(
            channel=widget.channel, handle=visitor.handle, conversation__pk=conversation_id
        ).first()
        if contact is None:
            return
        live.typing_published(
            conversation_id=conversation_id, who=str(contact), side="visitor", active=active
        )
