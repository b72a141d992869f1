"""Identifiers shaped like WAHA's and WhatsApp's: event ULIDs, message ids, QR values, codes."""

from __future__ import annotations

import base64
import secrets
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
# WhatsApp's pairing codes leave out look-alike characters.
_PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"


def ulid() -> str:
    """A lower-case ULID: 48 bits of milliseconds, then 80 random bits, Crockford base32."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def event_id() -> str:
    return f"evt_{ulid()}"


def session_name() -> str:
    return f"session_{ulid()}"


def outgoing_message_id(chat_id: str, key: str | None = None) -> str:
    # WhatsApp Web ids of messages it sends start with 3EB0.
    return f"true_{chat_id}_{key or '3EB0' + secrets.token_hex(9).upper()}"


def incoming_message_id(chat_id: str) -> str:
    return f"false_{chat_id}_{secrets.token_hex(16).upper()}"


def message_key(message_id: str) -> str:
    """The last part of ``true_<chat>_<KEY>``."""
    return message_id.rsplit("_", 1)[-1]


def qr_value() -> str:
    """Shaped like WhatsApp Web's QR payload: ``2@<ref>,<noise key>,<identity key>,<secret>``."""
    parts = [base64.b64encode(secrets.token_bytes(n)).decode() for n in (48, 32, 32, 32)]
    return "2@" + ",".join(parts)


def pairing_code() -> str:
    code = "".join(secrets.choice(_PAIRING_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"
