"""Identifiers shaped like Stripe's: a type prefix and random base-62 characters."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits

# Lengths of the random part as Stripe's test-mode ids have them.
SHORT = 14  # cus_, prod_, si_, req_
LONG = 24  # sub_, in_, price_, evt_, pm_, ...


def random_part(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = LONG) -> str:
    return f"{prefix}_{random_part(length)}"


def checkout_session_id() -> str:
    return f"cs_test_a1{random_part(56)}"


def request_id() -> str:
    return new_id("req", SHORT)


def invoice_prefix() -> str:
    """Eight characters that prefix a customer's invoice numbers (``ABCD1234-0001``)."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
