"""Connection secrets: encrypted at rest, keys rotated without losing anything."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from connections import crypto
from connections.models import Connection


def test_secrets_are_stored_encrypted_and_read_back(business_a):
    connection = Connection(business=business_a, platform="whatsapp", external_id="c-1")
    connection.secrets_set({"hmac_key": "very-secret-value"})
    connection.save()

    stored = Connection.objects.get(pk=connection.pk)
    assert "very-secret-value" not in stored.secrets_encrypted
    assert stored.secrets == {"hmac_key": "very-secret-value"}
    assert "very-secret-value" not in repr(stored) + str(stored)


def test_keys_rotate_old_secrets_stay_readable(business_a, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_ENCRYPTION_KEYS = [old]
    connection = Connection(business=business_a, platform="whatsapp", external_id="c-2")
    connection.secrets_set({"hmac_key": "k1"})
    connection.save()

    settings.SECRETS_ENCRYPTION_KEYS = [new, old]
    assert Connection.objects.get(pk=connection.pk).secrets == {"hmac_key": "k1"}
    call_command("secrets_rotate", stdout=io.StringIO())

    settings.SECRETS_ENCRYPTION_KEYS = [new]
    assert Connection.objects.get(pk=connection.pk).secrets == {"hmac_key": "k1"}


def test_a_wrong_key_is_a_clear_error(business_a, settings):
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = crypto.encrypt({"a": "b"})
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.SecretsError):
        crypto.decrypt(token)
