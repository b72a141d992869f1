"""WAHA webhook requests as small frozen dataclasses, so the webhook view stays thin.

:func:`parse_event` reads the envelope (``{id, timestamp, event, session, metadata, me,
payload, engine}``); :func:`incoming_message`, :func:`ack_update` and :func:`session_status`
each read the payload of one kind of event and return None for every other kind, and for a
payload that lacks what they need (answer it 2xx: WAHA would only retry it). The engines
(WEBJS, NOWEB, GOWS) agree on the top-level payload fields but not on ``_data``, the raw
message, which is only read for what the top level lacks (the sender's name, the phone number
behind an ``@lid`` id, the type of message).

Nothing here touches the database or the network.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tenants.errors import ApplicationError

MESSAGE_EVENT = "message"
ACK_EVENT = "message.ack"
SESSION_STATUS_EVENT = "session.status"
PHONE_SERVERS = frozenset({"c.us", "s.whatsapp.net"})
LID_SERVER = "lid"
#: Chats that are not conversations: status updates and channels.
IGNORED_SERVERS = frozenset({"broadcast", "newsletter"})


class PayloadErrorCode(enum.StrEnum):
    INVALID_JSON = "invalid_json"
    INVALID_ENVELOPE = "invalid_envelope"


class PayloadError(ApplicationError):
    """A webhook body that is not a WAHA event."""

    code: PayloadErrorCode


class MessageKind(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    FILE = "file"
    AUDIO = "audio"
    VIDEO = "video"
    LOCATION = "location"


class DeliveryStatus(enum.StrEnum):
    FAILED = "failed"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"


#: WAHA's ack (-1 ERROR, 0 PENDING, 1 SERVER, 2 DEVICE, 3 READ, 4 PLAYED) as our status.
ACK_STATUSES = {
    -1: DeliveryStatus.FAILED,
    0: DeliveryStatus.PENDING,
    1: DeliveryStatus.SENT,
    2: DeliveryStatus.DELIVERED,
    3: DeliveryStatus.READ,
    4: DeliveryStatus.READ,
}
ACK_NAMES = {"ERROR": -1, "PENDING": 0, "SERVER": 1, "DEVICE": 2, "READ": 3, "PLAYED": 4}

#: WEBJS' ``_data.type``.
_WEBJS_KINDS = {
    "chat": MessageKind.TEXT,
    "image": MessageKind.IMAGE,
    "sticker": MessageKind.IMAGE,
    "video": MessageKind.VIDEO,
    "audio": MessageKind.AUDIO,
    "ptt": MessageKind.AUDIO,
    "document": MessageKind.FILE,
    "location": MessageKind.LOCATION,
}
#: NOWEB's ``_data.message`` (Baileys) keys.
_NOWEB_KINDS = {
    "conversation": MessageKind.TEXT,
    "extendedTextMessage": MessageKind.TEXT,
    "imageMessage": MessageKind.IMAGE,
    "stickerMessage": MessageKind.IMAGE,
    "videoMessage": MessageKind.VIDEO,
    "ptvMessage": MessageKind.VIDEO,
    "audioMessage": MessageKind.AUDIO,
    "documentMessage": MessageKind.FILE,
    "documentWithCaptionMessage": MessageKind.FILE,
    "locationMessage": MessageKind.LOCATION,
    "liveLocationMessage": MessageKind.LOCATION,
}
_NOWEB_WRAPPERS = ("ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2")


@dataclass(frozen=True)
class MeInfo:
    """The WhatsApp account a session is linked to."""

    id: str
    push_name: str = ""
    lid: str | None = None


@dataclass(frozen=True)
class WahaEvent:
    id: str | None
    event: str
    session: str
    timestamp_ms: int | None
    me: MeInfo | None
    payload: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    engine: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    name: str = ""
    address: str = ""
    url: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    """A message someone sent to the linked account.

    ``chat_id`` is where to answer. ``phone`` (digits) and ``lid`` (``<id>@lid``) identify the
    sender, each None when WAHA did not give it; in a group they are the participant's.
    ``reply_to`` is WhatsApp's short id of the quoted message (see :func:`short_message_id`).
    """

    provider_id: str
    chat_id: str
    phone: str | None
    lid: str | None
    name: str
    text: str
    kind: MessageKind
    media_url: str | None
    media_mimetype: str | None
    media_filename: str | None
    timestamp: dt.datetime | None
    reply_to: str | None
    is_group: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class AckUpdate:
    provider_id: str
    ack: int
    ack_name: str
    status: DeliveryStatus


@dataclass(frozen=True)
class SessionStatus:
    """A session's new status (STOPPED, STARTING, SCAN_QR_CODE, PASSKEY_REQUIRED,
    PASSKEY_CONFIRMATION_REQUIRED, WORKING, FAILED); ``data`` carries the passkey
    challenge or code of the PASSKEY_* statuses."""

    status: str
    me_id: str | None
    me_push_name: str | None
    data: Mapping[str, Any] | None = None


def parse_event(raw: bytes) -> WahaEvent:
    """The envelope of a webhook body. Raises :class:`PayloadError` when it is not JSON or
    lacks ``event`` or ``session``."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(
            PayloadErrorCode.INVALID_JSON, _("The webhook body is not JSON.")
        ) from exc
    if not isinstance(data, dict):
        raise _invalid_envelope()
    event, session = data.get("event"), data.get("session")
    if not (isinstance(event, str) and event and isinstance(session, str) and session):
        raise _invalid_envelope()
    payload = data.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise _invalid_envelope()
    ident = data.get("id")
    engine = data.get("engine")
    return WahaEvent(
        id=ident if isinstance(ident, str) and ident else None,
        event=event,
        session=session,
        timestamp_ms=_integer(data.get("timestamp")),
        me=_me(data.get("me")),
        payload=payload,
        metadata=_mapping(data.get("metadata")),
        engine=engine if isinstance(engine, str) else None,
    )


def incoming_message(event: WahaEvent) -> IncomingMessage | None:
    """The message of a ``message`` event; None for other events, for our own messages, for
    status updates and channel posts, and when the payload names no message id or chat."""
    if event.event != MESSAGE_EVENT:
        return None
    payload = event.payload
    if payload.get("fromMe") is True:
        return None
    provider_id = _serialized(payload.get("id"))
    chat_id = _serialized(payload.get("from"))
    if not (provider_id and chat_id):
        return None
    server = _split_jid(chat_id)[1]
    if server in IGNORED_SERVERS:
        return None
    raw = _mapping(payload.get("_data"))
    is_group = server == "g.us"
    senders = [_split_jid(jid) for jid in _sender_jids(payload, raw, is_group=is_group)]
    phone = next((user for user, srv in senders if srv in PHONE_SERVERS and user.isdigit()), None)
    lid = next((f"{user}@{srv}" for user, srv in senders if srv == LID_SERVER), None)
    media = _mapping(payload.get("media"))
    media_url = _text(media.get("url")) or _text(payload.get("mediaUrl"))
    media_mimetype = _text(media.get("mimetype"))
    kind = _kind(payload, raw, media_mimetype=media_mimetype)
    location = _location(payload, raw) if kind == MessageKind.LOCATION else None
    if location is not None:
        text = "\n".join(part for part in (location.name, location.address) if part)
    else:
        text = _text(payload.get("body")) or ""
    return IncomingMessage(
        provider_id=provider_id,
        chat_id=chat_id,
        phone=phone,
        lid=lid,
        name=_first_text(
            raw.get("notifyName"),
            raw.get("pushName"),
            _mapping(raw.get("Info")).get("PushName"),
            payload.get("pushName"),
        ),
        text=text,
        kind=kind,
        media_url=media_url,
        media_mimetype=media_mimetype,
        media_filename=_text(media.get("filename")),
        timestamp=_timestamp(payload, raw, event),
        reply_to=_text(_mapping(payload.get("replyTo")).get("id"))
        or _text(raw.get("quotedStanzaID")),
        is_group=is_group,
        location=location,
    )


def ack_update(event: WahaEvent) -> AckUpdate | None:
    """The new delivery status of a ``message.ack`` event; None for other events, without a
    message id, or for an ack value this code does not know."""
    if event.event != ACK_EVENT:
        return None
    payload = event.payload
    provider_id = _serialized(payload.get("id"))
    if not provider_id:
        return None
    ack_name = _text(payload.get("ackName")) or ""
    ack = _integer(payload.get("ack"))
    if ack is None:
        ack = ACK_NAMES.get(ack_name.upper())
    if ack not in ACK_STATUSES:
        return None
    return AckUpdate(provider_id=provider_id, ack=ack, ack_name=ack_name, status=ACK_STATUSES[ack])


def session_status(event: WahaEvent) -> SessionStatus | None:
    """The new status of a ``session.status`` event; None for other events or without one."""
    if event.event != SESSION_STATUS_EVENT:
        return None
    status = _text(event.payload.get("status"))
    if not status:
        return None
    data = event.payload.get("data")
    return SessionStatus(
        status=status,
        me_id=event.me.id if event.me else None,
        me_push_name=event.me.push_name if event.me else None,
        data=data if isinstance(data, dict) else None,
    )


def short_message_id(provider_id: str) -> str:
    """WhatsApp's own id inside WAHA's ``<fromMe>_<chat>_<id>[_<participant>]``, which is
    what a reply names as the quoted message."""
    parts = provider_id.split("_")
    if len(parts) in (3, 4) and parts[0] in ("true", "false"):
        return parts[2]
    return provider_id


# Plumbing


def _sender_jids(
    payload: Mapping[str, Any], raw: Mapping[str, Any], *, is_group: bool
) -> list[str]:
    """Every id the engines give for the sender, best first (either form may be missing)."""
    key = _mapping(raw.get("key"))
    info = _mapping(raw.get("Info"))
    if is_group:
        candidates = [
            payload.get("participant"),
            payload.get("author"),
            raw.get("author"),
            key.get("participant"),
            key.get("participantAlt"),
            key.get("participantPn"),
        ]
    else:
        candidates = [
            payload.get("from"),
            raw.get("from"),
            _mapping(raw.get("id")).get("remote"),
            key.get("remoteJid"),
            key.get("remoteJidAlt"),
            key.get("senderPn"),
            key.get("senderLid"),
            info.get("Chat"),
        ]
    candidates += [info.get("Sender"), info.get("SenderAlt")]
    return [jid for jid in map(_serialized, candidates) if jid]


def _split_jid(jid: str) -> tuple[str, str]:
    """``("<user>", "<server>")`` of ``<user>[:<device>]@<server>``."""
    user, _at, server = jid.partition("@")
    return user.split(":")[0], server.lower()


def _kind(
    payload: Mapping[str, Any], raw: Mapping[str, Any], *, media_mimetype: str | None
) -> MessageKind:
    if isinstance(payload.get("location"), dict):
        return MessageKind.LOCATION
    webjs_type = raw.get("type")
    if isinstance(webjs_type, str) and webjs_type in _WEBJS_KINDS:
        return _WEBJS_KINDS[webjs_type]
    message = _noweb_message(raw)
    for key, kind in _NOWEB_KINDS.items():
        if key in message:
            return kind
    if media_mimetype:
        for prefix, kind in (
            ("image/", MessageKind.IMAGE),
            ("video/", MessageKind.VIDEO),
            ("audio/", MessageKind.AUDIO),
        ):
            if media_mimetype.startswith(prefix):
                return kind
        return MessageKind.FILE
    if payload.get("hasMedia") is True:
        return MessageKind.FILE
    return MessageKind.TEXT


def _noweb_message(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    message = _mapping(raw.get("message"))
    for wrapper in _NOWEB_WRAPPERS:
        inner = _mapping(_mapping(message.get(wrapper)).get("message"))
        if inner:
            return inner
    return message


def _location(payload: Mapping[str, Any], raw: Mapping[str, Any]) -> Location | None:
    given = _mapping(payload.get("location"))
    noweb = _noweb_message(raw)
    noweb_location = _mapping(noweb.get("locationMessage") or noweb.get("liveLocationMessage"))
    for source, lat, lng in (
        (given, "latitude", "longitude"),
        (raw, "lat", "lng"),
        (noweb_location, "degreesLatitude", "degreesLongitude"),
    ):
        try:
            latitude, longitude = float(source[lat]), float(source[lng])
        except (KeyError, TypeError, ValueError):
            continue
        return Location(
            latitude=latitude,
            longitude=longitude,
            name=_first_text(source.get("name"), source.get("description")),
            address=_first_text(source.get("address")),
            url=_first_text(source.get("url")),
        )
    return None


def _timestamp(
    payload: Mapping[str, Any], raw: Mapping[str, Any], event: WahaEvent
) -> dt.datetime | None:
    seconds = (
        _integer(payload.get("timestamp"))
        or _integer(raw.get("t"))
        or _integer(raw.get("messageTimestamp"))
    )
    if seconds is None and event.timestamp_ms is not None:
        seconds = event.timestamp_ms // 1000
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _me(value: Any) -> MeInfo | None:
    if not isinstance(value, dict):
        return None
    ident = _text(value.get("id"))
    if not ident:
        return None
    return MeInfo(
        id=ident, push_name=_first_text(value.get("pushName")), lid=_text(value.get("lid"))
    )


def _serialized(value: Any) -> str | None:
    """An id given as a string or as whatsapp-web.js' ``{"_serialized": ...}``."""
    if isinstance(value, dict):
        value = value.get("_serialized")
    return _text(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _first_text(*values: Any) -> str:
    return next((value for value in values if isinstance(value, str) and value), "")


def _integer(value: Any) -> int | None:
    """A number (or a string of digits, as Baileys sends longs); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _invalid_envelope() -> PayloadError:
    return PayloadError(
        PayloadErrorCode.INVALID_ENVELOPE,
        _("The webhook body is not a WAHA event: it needs an event and a session."),
    )
