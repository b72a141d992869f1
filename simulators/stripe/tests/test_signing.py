import json

import pytest
import stripe

from simulators.stripe.signing import SignatureError, sign, signature, verify, webhook_request
from simulators.stripe.tests.conftest import FIXTURES, contract

# A copy of shared/contracts/stripe/signature-test-vectors.json.
VECTORS = json.loads((FIXTURES / "signature-test-vectors.json").read_text())["vectors"]


def _payload(vector: dict) -> bytes:
    if "payload_file" in vector:
        return contract(vector["payload_file"]).read_bytes()
    return vector["payload"].encode()


@pytest.mark.parametrize("vector", [v for v in VECTORS if "v1" in v], ids=lambda v: v["name"])
def test_sign_gives_the_vectors_header(vector):
    payload = _payload(vector)

    assert signature(payload, vector["secret"], vector["timestamp"]) == vector["v1"]
    assert sign(payload, vector["secret"], vector["timestamp"]) == vector["header"]


def test_the_payload_file_vector_is_the_stored_file():
    import hashlib

    vector = next(v for v in VECTORS if "payload_file" in v)

    assert hashlib.sha256(_payload(vector)).hexdigest() == vector["payload_sha256"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_verify_accepts_or_refuses_each_vector_as_stripe_python_does(vector):
    payload = _payload(vector)
    valid = vector.get("expect_valid", True)
    now = vector["timestamp"] + 10

    if valid:
        assert verify(payload, vector["header"], vector["secret"], now=now) == vector["timestamp"]
    else:
        with pytest.raises(SignatureError, match=vector["expected_error"]):
            verify(payload, vector["header"], vector["secret"], now=now)
    # stripe-python's own check agrees (tolerance off: the vectors are old).
    if valid:
        assert stripe.WebhookSignature.verify_header(
            payload.decode(), vector["header"], vector["secret"], tolerance=None
        )
    else:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.WebhookSignature.verify_header(
                payload.decode(), vector["header"], vector["secret"], tolerance=None
            )


def test_a_stale_or_tampered_delivery_is_refused():
    body = b'{"id": "evt_1"}'
    header = sign(body, "whsec_a", 1_700_000_000)

    with pytest.raises(SignatureError, match="tolerance"):
        verify(body, header, "whsec_a", now=1_700_000_000 + 301)
    with pytest.raises(SignatureError, match="expected signature"):
        verify(b'{"id": "evt_2"}', header, "whsec_a", now=1_700_000_000)
    with pytest.raises(SignatureError, match="expected signature"):
        verify(body, header, "whsec_b", now=1_700_000_000)


def test_webhook_request_is_what_stripe_python_constructs_an_event_from():
    event = {"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}}

    body, headers = webhook_request(event, "whsec_x")
    constructed = stripe.Webhook.construct_event(
        body.decode(), headers["Stripe-Signature"], "whsec_x"
    )

    assert constructed.id == "evt_1"
    assert headers["Content-Type"].startswith("application/json")
