"""Stripe's signature scheme on the real webhook endpoint, against the contract's vectors,
and every way a delivery can be refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from djstripe.models import Event, WebhookEventTrigger

from billing.entitlements import entitlements_for

pytestmark = pytest.mark.django_db
CONTRACTS = Path(__file__).resolve().parents[2].parent / "shared" / "contracts" / "stripe"
VECTORS = json.loads((CONTRACTS / "signature-test-vectors.json").read_text())["vectors"]


def _payload(vector: dict) -> bytes:
    if "payload_file" in vector:
        return (CONTRACTS / vector["payload_file"]).read_bytes()
    return vector["payload"].encode()


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"][:40] for v in VECTORS])
def test_dj_stripes_verification_agrees_with_every_contract_vector(vector):
    trigger = WebhookEventTrigger(
        headers={"Stripe-Signature": vector["header"]}, body=_payload(vector).decode()
    )
    # The vectors were signed at a fixed moment: check the signature, not its age.
    assert trigger.verify_signature(vector["secret"], tolerance=0) is vector.get(
        "expect_valid", True
    )


def test_the_v0_only_vector_is_refused_by_the_endpoint(webhook_endpoint, public_client):
    vector = next(v for v in VECTORS if v.get("expect_valid") is False)
    webhook_endpoint.djstripe_tolerance = 0
    webhook_endpoint.save()
    body = (CONTRACTS / "event.customer.subscription.updated.stripe-ruby-mock.json").read_bytes()
    response = public_client.post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=vector["header"],
    )
    assert response.status_code == 400
    assert not Event.objects.exists()


def _event_body() -> bytes:
    return (CONTRACTS / "event.customer.subscription.deleted.stripe-ruby-mock.json").read_bytes()


def test_an_unsigned_delivery_is_refused_and_not_even_kept(
    webhook_endpoint, public_client, business_a
):
    before = entitlements_for(business_a)
    response = public_client.post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
        _event_body(),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()
    assert not Event.objects.exists()
    assert entitlements_for(business_a) == before


def test_a_wrongly_signed_delivery_is_refused_and_changes_nothing(deliver, business_a):
    response = deliver.raw(_event_body(), secret="whsec_someone_else")
    assert response.status_code == 400
    assert WebhookEventTrigger.objects.get().valid is False
    assert not Event.objects.exists()
    assert entitlements_for(business_a).state == "trialing"


def test_a_stale_signature_is_refused_as_a_replay(deliver):
    response = deliver.raw(_event_body(), timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_a_secret_sent_in_a_header_is_never_believed(deliver, settings):
    # dj-stripe would believe X-Djstripe-Webhook-Secret in DEBUG; the endpoint drops it.
    settings.DEBUG = True
    response = deliver.raw(
        _event_body(), secret="whsec_attacker", HTTP_X_DJSTRIPE_WEBHOOK_SECRET="whsec_attacker"
    )
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_an_unknown_endpoint_is_404(public_client):
    response = public_client.post(
        "/stripe/webhook/00000000-0000-0000-0000-000000000000/",
        _event_body(),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={int(time.time())},v1=00",
    )
    assert response.status_code == 404
