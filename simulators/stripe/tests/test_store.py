"""The Store in-process: the outbox a product test posts to its own webhook view, another
API base for the adapter, concurrent requests, what happens as time passes."""

import threading
from urllib.parse import urlencode

import responses
import stripe

from simulators.stripe import Store, webhook_request
from simulators.stripe.responses_adapter import install
from simulators.stripe.tests.conftest import DAY, KEY, checkout, types


def test_outbox_events_can_be_posted_signed_by_the_test(store, subscribed):
    store.subscription_renew(subscribed.id)

    events = store.outbox_drain()
    body, headers = webhook_request(events[0], "whsec_product")

    assert types(events) == ["invoice.paid", "customer.subscription.updated"]
    assert store.outbox_drain() == []
    event = stripe.Webhook.construct_event(
        body.decode(), headers["Stripe-Signature"], "whsec_product"
    )
    assert event.type == "invoice.paid"
    assert event.data.object.subscription == subscribed.id


def test_the_adapter_answers_another_api_base(monkeypatch, clock):
    store = Store(clock=clock)
    monkeypatch.setattr(stripe, "api_base", "http://stripe-sim.test:12111")
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    monkeypatch.setattr(stripe, "default_http_client", stripe.RequestsClient())

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        install(store, rsps, base="http://stripe-sim.test:12111")
        customer = stripe.Customer.create(api_key=KEY, email="a@x.test")

    assert store.find(customer.id)["email"] == "a@x.test"


def test_concurrent_requests_are_serialised(store):
    created: list[int] = []

    def create(worker: int) -> None:
        for n in range(10):
            status, _h, _b = store.handle(
                "POST",
                "/v1/customers",
                "",
                {"Authorization": f"Bearer {KEY}"},
                urlencode({"email": f"w{worker}n{n}@x.test"}),
            )
            created.append(status)

    threads = [threading.Thread(target=create, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert created == [200] * 80
    assert len(store.all("customer")) == 80
    assert len(store.outbox_drain()) == 80


def test_an_unpaid_incomplete_subscription_expires(store, clock, catalog):
    session = checkout(catalog)
    store.checkout_pay(session.id, card_number="4000000000000341")
    subscription = stripe.Subscription.list(api_key=KEY, status="incomplete").data[0]
    store.outbox_drain()

    clock.advance(DAY)
    store.tick()

    expired = stripe.Subscription.retrieve(subscription.id, api_key=KEY)
    invoice = stripe.Invoice.retrieve(expired.latest_invoice, api_key=KEY)
    assert expired.status == "incomplete_expired"
    assert invoice.status == "void"
    assert types(store.outbox_drain()) == [
        "checkout.session.expired",
        "customer.subscription.updated",
    ]


def test_a_failed_upgrade_payment_leaves_it_past_due(store, catalog):
    session = checkout(catalog, subscription_data={"trial_period_days": 3})
    store.checkout_pay(session.id, card_number="4000 0000 0000 0341")
    subscription_id = stripe.checkout.Session.retrieve(session.id, api_key=KEY).subscription
    item = stripe.Subscription.retrieve(subscription_id, api_key=KEY)["items"].data[0]
    store.outbox_drain()

    try:
        stripe.Subscription.modify(
            subscription_id,
            api_key=KEY,
            items=[{"id": item.id, "price": catalog.business.id}],
            proration_behavior="always_invoice",
            payment_behavior="error_if_incomplete",
        )
    except stripe.CardError as error:
        assert error.code == "card_declined"
    else:
        raise AssertionError("the declined upgrade went through")
    unchanged = stripe.Subscription.retrieve(subscription_id, api_key=KEY)
    assert unchanged["items"].data[0].price.id == catalog.pro.id
    assert store.outbox_drain() == []

    updated = stripe.Subscription.modify(
        subscription_id,
        api_key=KEY,
        items=[{"id": item.id, "price": catalog.business.id}],
        proration_behavior="always_invoice",
    )

    assert updated.status == "past_due"
    assert stripe.Invoice.retrieve(updated.latest_invoice, api_key=KEY).status == "open"
    assert types(store.outbox_drain()) == [
        "customer.subscription.updated",
        "invoice.payment_failed",
    ]


def test_the_outbox_keeps_only_the_event_types_asked_for(clock, stripe_globals):
    store = Store(
        clock=clock,
        outbox_events=["customer.subscription.*", "checkout.session.completed", "invoice.paid"],
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        install(store, rsps)
        customer = stripe.Customer.create(api_key=KEY, email="a@x.test")
        price = stripe.Price.create(
            api_key=KEY,
            product_data={"name": "X8 Network Pro"},
            unit_amount=1900,
            currency="usd",
            recurring={"interval": "month"},
        )
        session = stripe.checkout.Session.create(
            api_key=KEY,
            mode="subscription",
            customer=customer.id,
            line_items=[{"price": price.id, "quantity": 1}],
            success_url="https://app.test/done",
        )
        store.checkout_pay(session.id)

        assert types(store.outbox_drain()) == [
            "customer.subscription.created",
            "checkout.session.completed",
            "invoice.paid",
        ]
        listed = stripe.Event.list(api_key=KEY, limit=100)
        assert "customer.created" in {e.type for e in listed.data}  # still recorded
