"""Stripe for billing's tests: the simulator's store answers the ``stripe`` library's HTTP
calls in-process (the product's code path is the one it runs against Stripe), and events are
posted, signed, to the real webhook endpoint."""

from __future__ import annotations

import json
import time

import pytest
import responses
from django.core.management import call_command
from djstripe.models import WebhookEndpoint

from conftest import host_client
from simulators.stripe.responses_adapter import install
from simulators.stripe.signing import sign
from simulators.stripe.store import Store

SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_store(db, settings):
    """A Stripe account with the catalog's prices, and the platform configured for it."""
    from billing.services import plans_load

    settings.STRIPE_SECRET_KEY = "sk_test_x8network0123456789abcdef"
    store = Store(public_url="http://stripe.localhost:12111")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        install(store, rsps)
        plans_load(sync=True)
        store.outbox_drain()  # the catalog's product and price events: nothing to deliver
        yield store
    store.close()


@pytest.fixture
def webhook_endpoint(db) -> WebhookEndpoint:
    call_command("stripe_webhook", secret=SECRET, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return WebhookEndpoint.objects.get(secret=SECRET)


class Deliver:
    """Post events to the webhook endpoint as Stripe does: raw JSON, signed."""

    def __init__(self, endpoint: WebhookEndpoint) -> None:
        self.endpoint = endpoint
        self.client = host_client("localhost")

    @property
    def url(self) -> str:
        return f"/stripe/webhook/{self.endpoint.djstripe_uuid}/"

    def raw(self, body: bytes, *, secret: str = SECRET, timestamp: int | None = None, **headers):
        stamp = int(time.time()) if timestamp is None else timestamp
        header = sign(body, secret, stamp)
        return self.client.post(
            self.url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header, **headers
        )

    def __call__(self, event: dict, **kwargs):
        return self.raw(json.dumps(event).encode(), **kwargs)

    def outbox(self, store: Store) -> list:
        """Deliver every event the store has not sent anywhere yet, in order."""
        answers = []
        for event in store.outbox_drain():
            response = self(event)
            assert response.status_code == 200, (event["type"], response.content)
            answers.append(event["type"])
        return answers


@pytest.fixture
def deliver(webhook_endpoint) -> Deliver:
    return Deliver(webhook_endpoint)
