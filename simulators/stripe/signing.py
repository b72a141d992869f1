"""Stripe's webhook signature: ``Stripe-Signature: t=<unix>,v1=<hex>``.

v1 is the lowercase hex HMAC-SHA256 of ``f"{t}.{raw body}"`` keyed with the endpoint's whole
secret (``whsec_...``) as UTF-8. Receivers accept any matching v1 entry and ignore other schemes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

DEFAULT_TOLERANCE = 300


class SignatureError(Exception):
    pass


def signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The v1 value: hex HMAC-SHA256(secret, "<timestamp>.<payload>")."""
    signed = f"{int(timestamp)}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` sent at ``timestamp``."""
    return f"t={int(timestamp)},v1={signature(payload, secret, timestamp)}"


def verify(
    payload: bytes,
    header: str,
    secret: str,
    *,
    tolerance: int | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a ``Stripe-Signature`` header as Stripe's libraries do; returns its timestamp."""
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise SignatureError(
                    "Unable to extract timestamp and signatures from header"
                ) from exc
        elif key == "v1":
            candidates.append(value)
    if timestamp is None:
        raise SignatureError("Unable to extract timestamp and signatures from header")
    if not candidates:
        raise SignatureError("No signatures found with expected scheme v1")
    expected = signature(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("No signatures found matching the expected signature for payload")
    current = time.time() if now is None else now
    if tolerance and timestamp < current - tolerance:
        raise SignatureError(f"Timestamp outside the tolerance zone ({timestamp})")
    return timestamp


def event_body(event: dict) -> bytes:
    """An event as Stripe posts it: pretty-printed JSON."""
    return json.dumps(event, indent=2, ensure_ascii=False).encode()


def webhook_request(
    event: dict, secret: str, *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a signed webhook POST for ``event`` (for tests posting it)."""
    body = event_body(event)
    when = int(time.time()) if timestamp is None else int(timestamp)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": sign(body, secret, when),
    }
    return body, headers
