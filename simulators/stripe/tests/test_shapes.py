"""Objects carry every key of the current API's fixtures (shared/contracts/stripe/
openapi-fixtures3), and events the envelope of Stripe's event fixture."""

import json

import pytest
import stripe

from simulators.stripe.tests.conftest import KEY, contract


def fixture(name: str) -> dict:
    return json.loads(contract(f"openapi-fixtures3/{name}").read_text())


@pytest.fixture
def paid(store, catalog, subscribed):
    subscription = store.render(store.objects[subscribed.id])
    invoice = store.render(store.objects[subscribed.latest_invoice])
    session = stripe.checkout.Session.list(api_key=KEY, subscription=subscribed.id).data[0]
    return subscription, invoice, store.render(store.objects[session.id])


def test_subscription_and_its_items(paid):
    subscription, _invoice, _session = paid
    expected = fixture("subscription.json")
    item = subscription["items"]["data"][0]
    expected_item = expected["items"]["data"][0]

    assert set(subscription) == set(expected)
    assert set(subscription["items"]) == set(expected["items"])
    assert set(item) == set(expected_item)
    assert set(item["price"]) == set(expected_item["price"])
    assert set(item["price"]["recurring"]) == set(expected_item["price"]["recurring"])
    assert set(item["plan"]) == set(expected_item["plan"])
    assert set(subscription["invoice_settings"]) == set(expected["invoice_settings"])
    assert set(subscription["cancellation_details"]) == set(expected["cancellation_details"])


def test_invoice_and_its_lines(paid):
    _subscription, invoice, _session = paid
    expected = fixture("invoice.json")

    assert set(invoice) == set(expected)
    assert set(invoice["lines"]) == set(expected["lines"])
    assert set(invoice["lines"]["data"][0]) == set(expected["lines"]["data"][0])
    assert set(invoice["status_transitions"]) == set(expected["status_transitions"])
    assert set(invoice["parent"]) == set(expected["parent"])


def test_checkout_session(paid):
    _subscription, _invoice, session = paid
    expected = fixture("checkout.session.json")

    assert set(session) == set(expected)
    assert set(session["customer_details"]) == set(expected["customer_details"])
    assert set(session["total_details"]) == set(expected["total_details"])


def test_event_and_account(store, paid):
    event = store.events_of("invoice.paid")[0]

    assert set(event) == set(fixture("event.json"))
    assert set(event["request"]) == set(fixture("event.json")["request"])
    assert set(store.account) == set(fixture("account.json"))
