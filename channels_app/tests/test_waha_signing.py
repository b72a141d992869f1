"""Webhook signatures against the contract's test vector (shared/contracts/waha)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels_app.waha.signing import ALGORITHM, ALGORITHM_HEADER, SIGNATURE_HEADER, sign, verify

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "waha"
VECTOR = json.loads((CONTRACT / "webhook-hmac-test-vector.json").read_text())
BODY = VECTOR["body"].encode()
KEY = VECTOR["key"]
SIGNATURE = VECTOR["headers"][SIGNATURE_HEADER]


def test_sign_reproduces_the_contract_test_vector():
    assert sign(BODY, KEY) == SIGNATURE
    assert VECTOR["headers"][ALGORITHM_HEADER] == ALGORITHM


def test_the_contract_signature_verifies():
    assert verify(BODY, KEY, SIGNATURE) is True


def test_a_signature_in_capitals_or_with_spaces_around_still_verifies():
    assert verify(BODY, KEY, f" {SIGNATURE.upper()}\n") is True


def test_a_changed_body_does_not_verify():
    assert verify(BODY.replace(b"default", b"other"), KEY, SIGNATURE) is False
    assert verify(BODY + b" ", KEY, SIGNATURE) is False


def test_another_key_does_not_verify():
    assert verify(BODY, "not-the-key", SIGNATURE) is False


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "   ",
        SIGNATURE[:-2],
        SIGNATURE + "00",
        "z" * len(SIGNATURE),
        "sha512=" + SIGNATURE,
        sign(BODY, KEY)[:64],
    ],
)
def test_missing_empty_or_malformed_signatures_do_not_verify(signature):
    assert verify(BODY, KEY, signature) is False


def test_an_empty_key_never_verifies_even_a_matching_signature():
    assert verify(BODY, "", sign(BODY, "")) is False
