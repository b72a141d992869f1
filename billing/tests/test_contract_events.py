"""Each Stripe event of the contract through the real webhook endpoint. Stripe's API (which
dj-stripe asks for the current state of each object) is the simulator's store, seeded with
the contract's own objects."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from djstripe.models import Event, Invoice

from billing.entitlements import account_for, entitlements_for
from billing.models import Plan
from simulators.stripe import objects

pytestmark = pytest.mark.django_db
CONTRACTS = Path(__file__).resolve().parents[2].parent / "shared" / "contracts" / "stripe"
CUSTOMER = "cus_00000000000000"


def contract(name: str) -> dict:
    """A contract event. The recorded events all carry the same anonymised id; Stripe gives
    each event its own, so each gets one here (from its type)."""
    event = json.loads((CONTRACTS / name).read_text())
    event["id"] = "evt_" + event["type"].replace(".", "_")
    return event


def _customer(store, customer_id: str) -> None:
    store.put(
        objects.customer(
            customer_id=customer_id,
            created=1648320000,
            email="owner@example.com",
            name="Shop",
            metadata={},
        )
    )


def _subscription(store, subscription: dict, **changes) -> None:
    """Keep a contract subscription in the store the way the store keeps its own."""
    subscription = copy.deepcopy(subscription)
    subscription.update(changes)
    item_ids = []
    for item in subscription["items"]["data"]:
        price = item["price"]
        if store.find(price["product"]) is None:
            store.put(
                objects.product(
                    product_id=price["product"], created=price["created"], name="Contract product"
                )
            )
        store.put(copy.deepcopy(price))
        stored = {key: value for key, value in item.items() if key != "plan"}
        stored["price"] = price["id"]
        stored.setdefault("current_period_start", subscription.get("current_period_start"))
        stored.setdefault("current_period_end", subscription.get("current_period_end"))
        store.put(stored)
        item_ids.append(item["id"])
    subscription["items"] = item_ids
    subscription.pop("plan", None)
    store.put(subscription)


@pytest.fixture
def contract_account(business_a, stripe_store):
    """Business A is the contract's customer, and SINGLE is the contract's price."""
    _customer(stripe_store, CUSTOMER)
    account = account_for(business_a)
    account.stripe_customer_id = CUSTOMER
    account.save()
    created = contract("event.customer.subscription.created.stripe-ruby-mock.json")
    price = created["data"]["object"]["items"]["data"][0]["price"]["id"]
    Plan.objects.filter(code="single").update(stripe_price_id=price)
    _subscription(stripe_store, created["data"]["object"])
    return account


def test_subscription_created_updated_and_deleted_set_the_businesss_state(
    business_a, contract_account, stripe_store, deliver
):
    created = contract("event.customer.subscription.created.stripe-ruby-mock.json")
    assert deliver(created).status_code == 200
    ent = entitlements_for(business_a)
    assert (ent.state, ent.plan.code, ent.source) == ("active", "single", "stripe")
    assert account_for(business_a).stripe_subscription_id == created["data"]["object"]["id"]

    updated = contract("event.customer.subscription.updated.stripe-ruby-mock.json")
    assert deliver(updated).status_code == 200
    assert entitlements_for(business_a).state == "active"

    deleted = contract("event.customer.subscription.deleted.stripe-ruby-mock.json")
    # Stripe has it canceled now; that is what dj-stripe reads back.
    _subscription(stripe_store, deleted["data"]["object"])
    assert deliver(deleted).status_code == 200
    ent = entitlements_for(business_a)
    assert ent.state == "canceled" and ent.read_only

    # The "updated" event again, days later: dj-stripe knows its id; nothing changes.
    events = Event.objects.count()
    assert deliver(updated).status_code == 200
    assert Event.objects.count() == events
    assert entitlements_for(business_a).state == "canceled"


def test_an_update_arriving_after_the_deletion_does_not_revive_the_plan(
    business_a, contract_account, stripe_store, deliver
):
    deleted = contract("event.customer.subscription.deleted.stripe-ruby-mock.json")
    _subscription(stripe_store, deleted["data"]["object"])
    assert deliver(deleted).status_code == 200
    updated = contract("event.customer.subscription.updated.stripe-ruby-mock.json")
    assert deliver(updated).status_code == 200  # older news, delivered late
    assert entitlements_for(business_a).state == "canceled"


@pytest.mark.parametrize(
    "name",
    [
        "event.invoice.paid.stripe-ruby-mock.json",
        "event.invoice.payment_failed.stripe-ruby-mock.json",
    ],
)
def test_invoice_events_are_kept_and_a_one_off_invoice_changes_no_plan(
    business_a, contract_account, stripe_store, deliver, portal_a, name
):
    event = contract(name)
    stripe_store.put(copy.deepcopy(event["data"]["object"]))
    assert deliver(event).status_code == 200
    assert Invoice.objects.filter(id=event["data"]["object"]["id"]).exists()
    assert entitlements_for(business_a).state == "trialing"  # no subscription on it
    assert 'data-testid="invoice-row"' in portal_a.get("/billing/").content.decode()


def test_a_checkout_of_a_customer_no_business_owns_changes_nothing(
    business_a, stripe_store, deliver
):
    event = contract("assembled/event.checkout.session.completed.subscription_mode.json")
    session = event["data"]["object"]
    _customer(stripe_store, session["customer"])
    stripe_store.put(copy.deepcopy(session))
    assert deliver(event).status_code == 200
    assert Event.objects.filter(id=event["id"]).exists()
    assert entitlements_for(business_a).state == "trialing"
    assert not account_for(business_a).stripe_customer_id


def test_a_one_off_payment_checkout_is_not_billing(
    business_a, contract_account, stripe_store, deliver
):
    event = contract("event.checkout.session.completed.stripe-ruby-mock.json")
    stripe_store.put(copy.deepcopy(event["data"]["object"]))
    assert deliver(event).status_code == 200
    assert entitlements_for(business_a).state == "trialing"


def test_the_contracts_signed_bytes_pass_the_endpoint(
    business_a, contract_account, stripe_store, webhook_endpoint, public_client
):
    vectors = json.loads((CONTRACTS / "signature-test-vectors.json").read_text())["vectors"]
    vector = next(v for v in vectors if "payload_file" in v)
    event = contract(vector["payload_file"])
    stripe_store.put(copy.deepcopy(event["data"]["object"]))
    webhook_endpoint.djstripe_tolerance = 0  # signed at a fixed moment in the past
    webhook_endpoint.save()
    # Byte for byte as recorded (its id too): the signature covers the raw body.
    event["id"] = json.loads((CONTRACTS / vector["payload_file"]).read_text())["id"]
    response = public_client.post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/",
        (CONTRACTS / vector["payload_file"]).read_bytes(),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=vector["header"],
    )
    assert response.status_code == 200
    assert Event.objects.filter(id=event["id"]).exists()
