"""``POST /webhooks/waha/`` with every webhook of the contract, and every way it can go wrong."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.db import connection

from channels_app.inbox import inbox_drain
from channels_app.tests.fake_waha import CONTRACT, contract
from channels_app.waha.signing import sign
from connections.models import Connection, InboundEvent
from conversations.models import Contact, Message

pytestmark = pytest.mark.usefixtures("whatsapp_channel")

KEY = "alpha-hmac-key"


def envelope(name: str, **payload_changes) -> dict:
    """A contract example addressed to our session."""
    data = contract(name)
    data["session"] = "alpha-test"
    if payload_changes:
        data["payload"] = {**data["payload"], **payload_changes}
    return data


def post(
    client,
    data: dict | bytes,
    *,
    key: str | None = KEY,
    age_seconds: float = 0,
    request_id: str | None = None,
    signature: str | None = None,
):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = {
        "HTTP_X_WEBHOOK_TIMESTAMP": str(int((time.time() - age_seconds) * 1000)),
        "HTTP_X_WEBHOOK_REQUEST_ID": request_id or uuid.uuid4().hex,
        "HTTP_X_WEBHOOK_HMAC_ALGORITHM": "sha512",
    }
    if signature is not None:
        headers["HTTP_X_WEBHOOK_HMAC"] = signature
    elif key is not None:
        headers["HTTP_X_WEBHOOK_HMAC"] = sign(body, key)
    tenant = connection.tenant  # the request switches to the public schema; come back after
    try:
        response = client.post("/webhooks/waha/", body, content_type="application/json", **headers)
        connection.set_schema_to_public()
        inbox_drain()  # what the worker does next
        return response
    finally:
        connection.set_tenant(tenant)


def customer_message(text: str = "Hello, do you have kettles?", n: int = 1, **changes) -> dict:
    return envelope(
        "webhook-message.json",
        id=f"false_79991112233@c.us_{n:032X}",
        fromMe=False,
        source=None,
        **{
            "from": "79991112233@c.us",
            "to": "79000000000@c.us",
            "body": text,
            "_data": {"notifyName": "Ivan"},
        },
        **changes,
    )


def test_the_contract_hmac_vector_is_accepted_by_the_view(public_client, whatsapp_channel):
    vector = contract("webhook-hmac-test-vector.json")
    whatsapp_channel.connection.external_id = "default"
    whatsapp_channel.connection.secrets_set({"hmac_key": vector["key"]})
    whatsapp_channel.connection.save()

    response = post(
        public_client,
        vector["body"].encode(),
        signature=vector["headers"]["X-Webhook-Hmac"],
    )

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "name", sorted(path.name for path in CONTRACT.glob("webhook-*.json") if "hmac" not in path.name)
)
def test_every_contract_webhook_is_accepted(public_client, name):
    response = post(public_client, envelope(name))
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True


def test_a_customer_message_is_stored_with_its_contact_and_conversation(public_client):
    response = post(public_client, customer_message())

    assert response.json() == {"ok": True, "queued": True}
    message = Message.objects.get()
    assert (message.direction, message.kind, message.status) == ("in", "text", "received")
    assert message.text == "Hello, do you have kettles?"
    contact = message.conversation.contact
    assert (contact.phone, contact.name, contact.chat_id) == (
        "79991112233",
        "Ivan",
        "79991112233@c.us",
    )


def test_a_message_delivered_twice_is_stored_once(public_client):
    request_id = uuid.uuid4().hex
    first = post(public_client, customer_message(), request_id=request_id)
    again_same_request = post(public_client, customer_message(), request_id=request_id)
    again_new_request = post(public_client, customer_message(), request_id=uuid.uuid4().hex)

    assert first.json() == {"ok": True, "queued": True}
    assert again_same_request.json() == {"ok": True, "queued": False}
    assert again_new_request.json() == {"ok": True, "queued": False}
    assert Message.objects.count() == 1
    assert InboundEvent.objects.filter(event="message").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"key": None}, 401),
        ({"key": "someone-elses-key"}, 401),
        ({"signature": "00" * 64}, 401),
        ({"signature": "not hex"}, 401),
        ({"age_seconds": 3600}, 401),
        ({"age_seconds": -3600}, 401),
    ],
)
def test_unsigned_wrongly_signed_or_stale_webhooks_are_refused(public_client, kwargs, status):
    response = post(public_client, customer_message(), **kwargs)
    assert response.status_code == status
    assert not Message.objects.exists()


def test_an_unknown_session_is_refused(public_client):
    data = customer_message()
    data["session"] = "nobody"
    assert post(public_client, data).status_code == 404


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"event": "message"}', b""])
def test_malformed_bodies_are_refused(public_client, body):
    assert post(public_client, body).status_code == 400


def test_unknown_event_types_are_acknowledged_and_ignored(public_client):
    data = envelope("webhook-message.json")
    data["event"] = "presence.update"
    response = post(public_client, data)
    assert response.status_code == 200
    assert not Message.objects.exists()
    kept = InboundEvent.objects.get(event="presence.update")
    assert kept.processed_at is not None and not kept.last_error


def test_get_is_not_allowed(public_client):
    assert public_client.get("/webhooks/waha/").status_code == 405


def test_acks_move_a_reply_forward_only(public_client, whatsapp_channel):
    post(public_client, customer_message())
    conversation = Message.objects.get().conversation
    reply = Message.objects.create(
        conversation=conversation,
        channel=whatsapp_channel,
        direction="out",
        status="sent",
        text="Yes!",
        provider_id="true_79991112233@c.us_REPLY",
    )

    def ack(level: int, name: str):
        return post(
            public_client,
            envelope("webhook-message-ack.json", id=reply.provider_id, ack=level, ackName=name),
        )

    ack(3, "READ")
    ack(2, "DEVICE")  # late and out of order
    reply.refresh_from_db()
    assert reply.status == "read"

    ack(-1, "ERROR")
    reply.refresh_from_db()
    assert reply.status == "failed"


def test_session_status_updates_the_connection(public_client, whatsapp_channel):
    failed = envelope("webhook-session-status-working.json", status="FAILED")
    post(public_client, failed)
    connection = Connection.objects.get(pk=whatsapp_channel.connection_id)
    assert (connection.status, connection.provider_status) == ("error", "FAILED")
    assert connection.last_error

    post(public_client, envelope("webhook-session-status-working.json"))
    connection.refresh_from_db()
    assert (connection.status, connection.last_error) == ("connected", "")
    assert connection.events.filter(kind="status").count() >= 2


def test_phone_and_hidden_id_of_one_customer_become_one_contact(public_client):
    post(public_client, customer_message(n=1))
    by_lid = customer_message(text="It's me again", n=2)
    by_lid["payload"]["from"] = "123456789012345@lid"
    by_lid["payload"]["_data"] = {"notifyName": "Ivan", "from": "123456789012345@lid"}
    post(public_client, by_lid)

    # A third message tells both ids: the two contacts are merged into one.
    both = customer_message(text="Third", n=3)
    both["payload"]["from"] = "123456789012345@lid"
    both["payload"]["_data"] = {
        "notifyName": "Ivan",
        "key": {"remoteJid": "123456789012345@lid", "senderPn": "79991112233@s.whatsapp.net"},
    }
    assert Contact.objects.count() == 2, "until WAHA names both ids, they are two contacts"
    post(public_client, both)

    contact = Contact.objects.get()
    assert (contact.phone, contact.lid) == ("79991112233", "123456789012345@lid")
    assert contact.chat_id == "79991112233@c.us"
    assert contact.conversation.messages.count() == 3


def test_a_message_is_stored_even_when_redis_and_the_broker_are_down(
    public_client, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from conversations import tasks

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    monkeypatch.setattr(cache, "add", down)
    monkeypatch.setattr(tasks.turn_collect_task, "apply_async", down)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(public_client, customer_message())

    assert response.status_code == 200
    assert callbacks, "processing was to be queued after commit"
    assert Message.objects.count() == 1
