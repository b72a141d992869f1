import hashlib

from simulators.waha.signing import (
    api_key_matches,
    webhook_headers,
    webhook_hmac,
    webhook_hmac_valid,
)
from simulators.waha.tests.conftest import fixture


def test_hmac_matches_the_contract_test_vector():
    vector = fixture("webhook-hmac-test-vector.json")

    signature = webhook_hmac(vector["key"], vector["body"].encode())

    assert signature == vector["headers"]["X-Webhook-Hmac"]
    assert webhook_hmac_valid(vector["key"], vector["body"].encode(), signature.upper())
    assert not webhook_hmac_valid("other-key", vector["body"].encode(), signature)


def test_headers_carry_signature_algorithm_and_custom_headers():
    headers = webhook_headers(
        body=b"{}",
        request_id="req_1",
        timestamp_ms=1741249702485,
        hmac_key="k",
        custom_headers=[{"name": "X-Business", "value": "alpha"}],
    )

    assert headers["X-Webhook-Request-Id"] == "req_1"
    assert headers["X-Webhook-Timestamp"] == "1741249702485"
    assert headers["X-Webhook-Hmac"] == webhook_hmac("k", b"{}")
    assert headers["X-Webhook-Hmac-Algorithm"] == "sha512"
    assert headers["X-Business"] == "alpha"


def test_unsigned_webhook_has_no_hmac_headers():
    headers = webhook_headers(
        body=b"{}", request_id="r", timestamp_ms=1, hmac_key=None, custom_headers=None
    )

    assert "X-Webhook-Hmac" not in headers
    assert "X-Webhook-Hmac-Algorithm" not in headers


def test_api_key_plain_or_sha512_like_waha_api_key():
    hashed = "sha512:" + hashlib.sha512(b"secret").hexdigest()

    assert api_key_matches("secret", "secret")
    assert not api_key_matches("secret", "Secret")
    assert not api_key_matches("secret", None)
    assert api_key_matches(hashed, "secret")
    assert not api_key_matches(hashed, "other")
    assert api_key_matches("", None)  # no key configured: open, as WAHA without WAHA_API_KEY
