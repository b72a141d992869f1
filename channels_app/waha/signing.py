"""The signature WAHA puts on webhook requests when the session's webhook has an HMAC key.

``X-Webhook-Hmac`` is hex(HMAC-SHA512(key, raw request body)), announced by
``X-Webhook-Hmac-Algorithm: sha512`` (shared/contracts/waha/webhook-hmac-test-vector.json).
Verify the raw body bytes, before parsing them.
"""

from __future__ import annotations

import hashlib
import hmac
import string

SIGNATURE_HEADER = "X-Webhook-Hmac"
ALGORITHM_HEADER = "X-Webhook-Hmac-Algorithm"
ALGORITHM = "sha512"
_SIGNATURE_LENGTH = hashlib.sha512().digest_size * 2
_HEX_DIGITS = frozenset(string.hexdigits)


def sign(body: bytes, key: str) -> str:
    """The hex HMAC-SHA512 of ``body`` under ``key``."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha512).hexdigest()


def verify(body: bytes, key: str, signature: str | None) -> bool:
    """Whether ``signature`` is the signature of ``body`` under ``key`` (constant time).

    False for a missing, empty or malformed signature, and for an empty key: an unsigned
    webhook is never taken as a signed one.
    """
    if not key or not signature:
        return False
    candidate = signature.strip().lower()
    if len(candidate) != _SIGNATURE_LENGTH or not _HEX_DIGITS.issuperset(candidate):
        return False
    return hmac.compare_digest(sign(body, key), candidate)
