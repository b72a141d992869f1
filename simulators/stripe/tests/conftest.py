"""A Store on a movable clock, the real ``stripe`` library answered by it in-process, a
simulator on a free port, and a webhook receiver."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import responses
import stripe

from simulators.stripe import Store, StripeSimServer
from simulators.stripe.responses_adapter import install

KEY = "sk_test_x8SimulatorTestsKey000000000"
WEBHOOK_SECRET = "whsec_test_secret"
FIXTURES = Path(__file__).parent / "fixtures"
# The shared contracts (shape fixtures, the raw webhook payload of a signature vector) sit next
# to the repository; tests needing them skip where they are absent.
CONTRACTS = Path(
    os.environ.get("STRIPE_CONTRACTS_DIR")
    or Path(__file__).resolve().parents[3].parent / "shared" / "contracts" / "stripe"
)
START = 1_767_225_600  # 2026-01-01 00:00:00 UTC
DAY = 86400


def contract(name: str) -> Path:
    path = CONTRACTS / name
    if not path.exists():
        pytest.skip(f"contract file {name} not available here")
    return path


class Clock:
    """Time for the Store; tests move it with ``advance``."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock):
    store = Store(clock=clock, public_url="http://stripe.test")
    yield store
    store.close()


@pytest.fixture
def stripe_globals(monkeypatch):
    """The library as the product configures it, minus retries (fast failures in tests)."""
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    monkeypatch.setattr(stripe, "default_http_client", stripe.RequestsClient(timeout=5))


@pytest.fixture
def api(store, stripe_globals):
    """Every call of the ``stripe`` library to api.stripe.com answered by ``store``."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        install(store, rsps)
        yield rsps


@dataclass
class Catalog:
    customer: stripe.Customer
    product: stripe.Product
    pro: stripe.Price  # 19.00 a month
    business: stripe.Price  # 49.00 a month


@pytest.fixture
def catalog(api) -> Catalog:
    customer = stripe.Customer.create(
        api_key=KEY, email="owner@alpha.test", name="Alpha Shop", metadata={"x8_business": "7"}
    )
    product = stripe.Product.create(api_key=KEY, name="X8 Network Pro")
    business_product = stripe.Product.create(api_key=KEY, name="X8 Network Business")
    pro = stripe.Price.create(
        api_key=KEY,
        product=product.id,
        unit_amount=1900,
        currency="usd",
        recurring={"interval": "month"},
        lookup_key="x8_pro_monthly",
    )
    business = stripe.Price.create(
        api_key=KEY,
        product=business_product.id,
        unit_amount=4900,
        currency="usd",
        recurring={"interval": "month"},
        lookup_key="x8_business_monthly",
    )
    return Catalog(customer, product, pro, business)


def checkout(
    catalog: Catalog, price: stripe.Price | None = None, **extra
) -> stripe.checkout.Session:
    params = {
        "mode": "subscription",
        "customer": catalog.customer.id,
        "client_reference_id": "7",
        "line_items": [{"price": (price or catalog.pro).id, "quantity": 1}],
        "success_url": "https://app.test/billing/done?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://app.test/billing",
        "metadata": {"x8_business": "7"},
        "subscription_data": {"metadata": {"x8_plan": "pro"}},
    }
    params.update(extra)
    return stripe.checkout.Session.create(api_key=KEY, **params)


@pytest.fixture
def subscribed(store, catalog) -> stripe.Subscription:
    """The customer paid Pro through Checkout; the outbox is emptied."""
    session = checkout(catalog)
    assert store.checkout_pay(session.id).paid
    store.outbox_drain()
    return stripe.Subscription.retrieve(
        stripe.checkout.Session.retrieve(session.id, api_key=KEY).subscription, api_key=KEY
    )


def types(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]


# --------------------------------------------------------------- over HTTP


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """The product's webhook endpoint: records POSTs, answers ``statuses`` in turn, then 200."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.statuses: list[int] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._changed:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.deliveries.append(
                        Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stripe/webhook"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [d.event["type"] for d in self.deliveries]
                    raise AssertionError(f"expected {count} deliveries, got {got}")
                self._changed.wait(left)
            return list(self.deliveries)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def server(receiver):
    server = StripeSimServer(
        port=0,
        api_key=KEY,
        webhooks=[{"url": receiver.url, "secret": WEBHOOK_SECRET}],
        retry_delays=(0.05, 0.1),
        webhook_timeout=2,
    ).start()
    yield server
    server.stop()


@pytest.fixture
def client(server, monkeypatch) -> stripe.StripeClient:
    """The library pointed at the running simulator (no responses mock in the way)."""
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    return stripe.StripeClient(
        KEY,
        base_addresses={"api": server.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=5),
    )


def wait(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
