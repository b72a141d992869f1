"""Webhook signing as WAHA does it: hex HMAC-SHA512 of the raw request body."""

from __future__ import annotations

import hashlib
import hmac

HMAC_ALGORITHM = "sha512"


def webhook_hmac(key: str, body: bytes) -> str:
    """The ``X-Webhook-Hmac`` header value for ``body`` signed with the webhook's ``hmac.key``."""
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def webhook_hmac_valid(key: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` (hex, any case) is the HMAC of ``body`` under ``key``."""
    return hmac.compare_digest(webhook_hmac(key, body), signature.strip().lower())


def webhook_headers(
    *,
    body: bytes,
    request_id: str,
    timestamp_ms: int,
    hmac_key: str | None,
    custom_headers: list[dict] | None,
) -> dict[str, str]:
    """Headers of one webhook request; custom headers come last, as WAHA adds them."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WAHA simulator",
        "X-Webhook-Request-Id": request_id,
        "X-Webhook-Timestamp": str(timestamp_ms),
    }
    if hmac_key:
        headers["X-Webhook-Hmac"] = webhook_hmac(hmac_key, body)
        headers["X-Webhook-Hmac-Algorithm"] = HMAC_ALGORITHM
    for header in custom_headers or []:
        headers[str(header["name"])] = str(header["value"])
    return headers


def api_key_matches(configured: str, given: str | None) -> bool:
    """Check a request's key against ``WAHA_API_KEY``, which may be ``sha512:<hex of the key>``."""
    if not configured:
        return True
    if not given:
        return False
    if configured.startswith("sha512:"):
        digest = hashlib.sha512(given.encode()).hexdigest()
        return hmac.compare_digest(digest, configured.removeprefix("sha512:").lower())
    return hmac.compare_digest(configured.encode(), given.encode())
