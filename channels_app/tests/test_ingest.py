"""The webhook under ASGI: answered ahead of Django's middleware, kept in the inbox, applied
by the worker; kept even when the processing fails, and retried."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from django_tenants.utils import tenant_context

from channels_app.inbox import inbox_drain
from channels_app.models import Channel
from channels_app.waha.signing import sign
from config.asgi import application
from connections.models import Connection, InboundEvent
from conversations.models import Message
from tenants.companies.models import Company
from tenants.models import Business

KEY = "ingest-hmac-key"


@pytest.fixture
def committed_channel(committed_db):
    """A WhatsApp channel committed for real: the ASGI ingest reads on its own connection."""
    business = Business.objects.get(slug="alpha")
    connection = Connection(
        business=business,
        platform="whatsapp",
        external_id=f"ingest-{uuid.uuid4().hex[:8]}",
        status="connected",
    )
    connection.secrets_set({"hmac_key": KEY})
    connection.save()
    with tenant_context(business):
        company = Company.objects.get(name="Alpha Shop Main")
        channel = Channel.objects.create(
            company=company, connection=connection, platform="whatsapp"
        )
    yield business, channel
    with tenant_context(business):
        Channel.objects.filter(pk=channel.pk).delete()
    connection.delete()


def delivery(session: str, text: str, message_id: str) -> bytes:
    return json.dumps(
        {
            "event": "message",
            "session": session,
            "id": f"evt_{uuid.uuid4().hex}",
            "payload": {
                "id": message_id,
                "from": "79995550000@c.us",
                "fromMe": False,
                "body": text,
                "timestamp": int(time.time()),
                "_data": {"notifyName": "Olga"},
            },
        }
    ).encode()


def asgi_post(body: bytes, *, key: str | None = KEY) -> httpx.Response:
    headers = {
        "content-type": "application/json",
        "x-webhook-timestamp": str(int(time.time() * 1000)),
        "x-webhook-request-id": uuid.uuid4().hex,
    }
    if key:
        headers["x-webhook-hmac"] = sign(body, key)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.post("/webhooks/waha/", content=body, headers=headers)

    return asyncio.run(go())


def test_the_asgi_ingest_keeps_a_delivery_once_and_the_worker_applies_it(committed_channel):
    business, channel = committed_channel
    session = channel.connection.external_id
    body = delivery(session, "Есть доставка?", f"false_79995550000@c.us_{uuid.uuid4().hex}")

    first = asgi_post(body)
    again = asgi_post(body)  # WAHA's retry of the same message
    unsigned = asgi_post(body, key=None)
    unknown = asgi_post(delivery("nobody", "x", "false_1@c.us_X"))

    assert (first.status_code, first.json()) == (200, {"ok": True, "queued": True})
    assert again.json() == {"ok": True, "queued": False}
    assert (unsigned.status_code, unknown.status_code) == (401, 404)
    assert InboundEvent.objects.filter(connection=channel.connection).count() == 1

    assert inbox_drain() >= 1
    with tenant_context(business):
        message = Message.objects.get(channel=channel)
        assert (message.text, message.conversation.contact.name) == ("Есть доставка?", "Olga")
    assert InboundEvent.objects.get(connection=channel.connection).processed_at is not None


def test_a_delivery_whose_processing_fails_is_kept_and_retried(committed_channel, monkeypatch):
    business, channel = committed_channel
    body = delivery(channel.connection.external_id, "Hello", f"false_7@c.us_{uuid.uuid4().hex}")
    asgi_post(body)
    from conversations import services

    real = services.message_receive

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(services, "message_receive", broken)
    monkeypatch.setattr("channels_app.webhooks.message_receive", broken)
    inbox_drain()
    kept = InboundEvent.objects.get(connection=channel.connection)
    assert (kept.processed_at, kept.attempts) == (None, 1)
    assert "database hiccup" in kept.last_error

    monkeypatch.setattr("channels_app.webhooks.message_receive", real)
    inbox_drain()
    kept.refresh_from_db()
    assert kept.processed_at is not None and kept.attempts == 2
    with tenant_context(business):
        assert Message.objects.filter(channel=channel).count() == 1


def test_deliveries_close_together_queue_one_drain(monkeypatch):
    from channels_app import inbox, tasks

    queued = []
    monkeypatch.setattr(tasks.inbox_drain_task, "apply_async", lambda **kw: queued.append(kw))
    from django.core.cache import cache

    cache.delete(inbox.KICK_KEY)
    for _ in range(50):
        inbox.inbox_kick()
    assert len(queued) == 1
    # Once the drain has started, the next delivery queues the next drain at once: it
    # does not wait for the beat's sweep.
    monkeypatch.setattr(inbox, "inbox_drain", lambda: 0)
    tasks.inbox_drain_task()
    inbox.inbox_kick()
    inbox.inbox_kick()
    assert len(queued) == 2
