"""Secrets of connections, encrypted at rest with keys from the environment.

``SECRETS_ENCRYPTION_KEYS`` holds one or more Fernet keys separated by commas, newest
first: new secrets are encrypted with the first, any of them decrypts, and
``manage.py secrets_rotate`` re-encrypts every stored secret with the first one.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretsError(Exception):
    """Stored secrets cannot be decrypted with the configured keys."""


def _keys() -> list[bytes]:
    configured = [key.strip() for key in settings.SECRETS_ENCRYPTION_KEYS if key.strip()]
    if configured:
        return [key.encode() for key in configured]
    # Development fallback: a key derived from SECRET_KEY (production settings require keys).
    digest = hashlib.sha256(f"x8-secrets:{settings.SECRET_KEY}".encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as error:
        raise SecretsError("stored secrets cannot be decrypted with the configured keys") from error


def rotate(token: str) -> str:
    """The same secrets, encrypted with the newest key."""
    return _fernet().rotate(token.encode()).decode() if token else token
