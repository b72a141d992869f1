"""Checkout, the portal, plan changes, renewals and failed payments, driven through the
``stripe`` library and the hosted pages' form posts (``store.handle``)."""

from urllib.parse import urlencode

import stripe

from simulators.stripe.tests.conftest import DAY, KEY, START, checkout, types

FEB_1 = 1_769_904_000  # 2026-02-01 00:00:00 UTC
MAR_1 = 1_772_323_200


def pay(store, session_id, card="4242 4242 4242 4242", **fields):
    form = {"card_number": card, "card_expiry": "12 / 34", "card_cvc": "123", **fields}
    return store.handle(
        "POST",
        f"/c/pay/{session_id}",
        "",
        {"Content-Type": "application/x-www-form-urlencoded"},
        urlencode(form).encode(),
    )


def test_the_checkout_page_shows_the_plan_and_a_prefilled_card(store, catalog):
    session = checkout(catalog)

    status, headers, body = store.handle("GET", f"/c/pay/{session.id}")
    page = body.decode()

    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "owner@alpha.test" in page
    assert "X8 Network Pro" in page
    assert "$19.00 per month" in page
    assert 'value="4242 4242 4242 4242"' in page
    assert 'href="https://app.test/billing">Cancel</a>' in page
    assert ">Pay</button>" in page


def test_paying_creates_an_active_subscription_and_a_paid_invoice(store, catalog):
    session = checkout(catalog)
    store.outbox_drain()

    status, headers, _body = pay(store, session.id)

    assert status == 303
    assert headers["Location"] == f"https://app.test/billing/done?session_id={session.id}"
    done = stripe.checkout.Session.retrieve(session.id, api_key=KEY)
    assert (done.status, done.payment_status, done.url) == ("complete", "paid", None)
    assert done.customer_details.email == "owner@alpha.test"
    subscription = stripe.Subscription.retrieve(done.subscription, api_key=KEY)
    item = subscription["items"].data[0]
    assert subscription.status == "active"
    assert subscription.customer == catalog.customer.id
    assert subscription.metadata.to_dict() == {"x8_plan": "pro"}
    assert (item.price.id, item.quantity) == (catalog.pro.id, 1)
    assert (item.current_period_start, item.current_period_end) == (START, FEB_1)
    assert "current_period_end" not in subscription  # current API: on items only
    assert stripe.SubscriptionItem.retrieve(item.id, api_key=KEY).subscription == subscription.id
    invoice = stripe.Invoice.retrieve(done.invoice, api_key=KEY)
    assert invoice.id == subscription.latest_invoice
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        1900,
        "subscription_create",
    )
    assert invoice.number.endswith("-0001")
    assert invoice.hosted_invoice_url == f"http://stripe.test/i/{invoice.id}"
    assert invoice.invoice_pdf == f"http://stripe.test/i/{invoice.id}/pdf"
    assert invoice.parent.subscription_details.subscription == subscription.id
    method = stripe.PaymentMethod.retrieve(subscription.default_payment_method, api_key=KEY)
    assert (method.card.brand, method.card.last4, method.customer) == (
        "visa",
        "4242",
        catalog.customer.id,
    )
    events = store.outbox_drain()
    assert types(events) == [
        "customer.subscription.created",
        "checkout.session.completed",
        "invoice.paid",
    ]
    assert events[0]["data"]["object"]["status"] == "active"
    assert events[1]["data"]["object"]["subscription"] == subscription.id
    assert events[2]["data"]["object"]["id"] == invoice.id


def test_the_hosted_invoice_page_and_pdf(store, subscribed):
    status, _h, body = store.handle("GET", f"/i/{subscribed.latest_invoice}")
    pdf_status, pdf_headers, pdf = store.handle("GET", f"/i/{subscribed.latest_invoice}/pdf")

    assert status == 200
    assert "Paid" in body.decode() and "$19.00" in body.decode()
    assert pdf_status == 200
    assert pdf_headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")


def test_a_second_submit_pays_once(store, catalog):
    session = checkout(catalog)
    pay(store, session.id)

    status, headers, _body = pay(store, session.id)
    page_status, _h, page = store.handle("GET", f"/c/pay/{session.id}")

    assert status == 303
    assert headers["Location"].endswith(session.id)
    assert len(stripe.Subscription.list(api_key=KEY).data) == 1
    assert len(stripe.Invoice.list(api_key=KEY).data) == 1
    assert types(store.outbox_drain()).count("invoice.paid") == 1
    assert page_status == 200 and "already complete" in page.decode()


def test_a_card_whose_charges_fail_leaves_an_incomplete_subscription(store, catalog):
    session = checkout(catalog)
    store.outbox_drain()

    status, _headers, body = pay(store, session.id, card="4000 0000 0000 0341")

    assert status == 402
    assert "Your card was declined." in body.decode()
    subscription = stripe.Subscription.list(api_key=KEY, status="all").data[0]
    invoice = stripe.Invoice.retrieve(subscription.latest_invoice, api_key=KEY)
    assert subscription.status == "incomplete"
    assert (invoice.status, invoice.attempt_count, invoice.amount_paid) == ("open", 1, 0)
    assert stripe.checkout.Session.retrieve(session.id, api_key=KEY).status == "open"
    assert types(store.outbox_drain()) == [
        "customer.subscription.created",
        "invoice.payment_failed",
    ]

    # another card on the same page pays the same invoice
    status, _headers, _body = pay(store, session.id)

    assert status == 303
    paid = stripe.Subscription.retrieve(subscription.id, api_key=KEY)
    assert paid.status == "active"
    assert stripe.Invoice.retrieve(invoice.id, api_key=KEY).status == "paid"
    events = store.outbox_drain()
    assert types(events) == [
        "customer.subscription.updated",
        "checkout.session.completed",
        "invoice.paid",
    ]
    assert events[0]["data"]["previous_attributes"]["status"] == "incomplete"
    assert len(stripe.Subscription.list(api_key=KEY, status="all").data) == 1


def test_declined_and_mistyped_cards_change_nothing(store, catalog):
    session = checkout(catalog)
    store.outbox_drain()

    declined = pay(store, session.id, card="4000 0000 0000 0002")
    mistyped = pay(store, session.id, card="4242 4242 4242 4241")

    assert declined[0] == 402 and "Your card was declined." in declined[2].decode()
    assert mistyped[0] == 422 and "Your card number is invalid." in mistyped[2].decode()
    assert stripe.Subscription.list(api_key=KEY, status="all").data == []
    assert store.outbox_drain() == []


def test_an_expired_session_cannot_be_paid(store, clock, catalog):
    session = checkout(catalog)
    clock.advance(DAY + 1)

    status, _h, body = store.handle("GET", f"/c/pay/{session.id}")
    paid = pay(store, session.id)

    assert status == 410 and "expired" in body.decode()
    assert paid[0] == 410
    assert stripe.checkout.Session.retrieve(session.id, api_key=KEY).status == "expired"
    assert "checkout.session.expired" in types(store.outbox_drain())


def test_portal_lists_the_subscription_and_cancels_and_resumes_it(store, catalog, subscribed):
    portal = stripe.billing_portal.Session.create(
        api_key=KEY, customer=catalog.customer.id, return_url="https://app.test/billing"
    )
    base = f"/p/session/{portal.id}"

    page = store.handle("GET", base)[2].decode()
    cancel = store.handle("POST", f"{base}/subscriptions/{subscribed.id}/cancel")
    canceling = stripe.Subscription.retrieve(subscribed.id, api_key=KEY)
    page_after = store.handle("GET", base)[2].decode()
    store.handle("POST", f"{base}/subscriptions/{subscribed.id}/resume")
    resumed = stripe.Subscription.retrieve(subscribed.id, api_key=KEY)

    assert "X8 Network Pro" in page and "Renews on February 1, 2026" in page
    assert 'href="https://app.test/billing"' in page
    assert subscribed.latest_invoice in page
    assert cancel[0] == 303 and cancel[1]["Location"] == base
    assert (canceling.cancel_at_period_end, canceling.cancel_at) == (True, FEB_1)
    assert canceling.cancellation_details.reason == "cancellation_requested"
    assert "will be canceled on February 1, 2026" in page_after
    assert "Resume subscription" in page_after
    assert (resumed.cancel_at_period_end, resumed.cancel_at, resumed.status) == (
        False,
        None,
        "active",
    )
    updates = store.outbox_drain()
    assert types(updates) == ["customer.subscription.updated", "customer.subscription.updated"]
    assert updates[0]["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert updates[1]["data"]["previous_attributes"]["cancel_at_period_end"] is True
    assert updates[1]["data"]["object"]["cancel_at_period_end"] is False


def test_cancel_at_period_end_through_the_api_ends_it_when_the_period_does(
    store, clock, subscribed
):
    stripe.Subscription.modify(subscribed.id, api_key=KEY, cancel_at_period_end=True)
    store.outbox_drain()

    clock.advance(FEB_1 - START)
    store.tick()

    ended = stripe.Subscription.retrieve(subscribed.id, api_key=KEY)
    assert (ended.status, ended.ended_at) == ("canceled", FEB_1)
    assert types(store.outbox_drain()) == ["customer.subscription.deleted"]
    assert stripe.Subscription.list(api_key=KEY).data == []  # canceled ones need status=
    assert len(stripe.Subscription.list(api_key=KEY, status="canceled").data) == 1


def test_upgrade_with_always_invoice_charges_the_difference_now(store, clock, catalog, subscribed):
    clock.advance(FEB_1 - START - 10 * DAY)  # 10 of 31 days left
    item = subscribed["items"].data[0]

    updated = stripe.Subscription.modify(
        subscribed.id,
        api_key=KEY,
        items=[{"id": item.id, "price": catalog.business.id}],
        proration_behavior="always_invoice",
        metadata={"x8_plan": "business"},
    )

    invoice = stripe.Invoice.retrieve(updated.latest_invoice, api_key=KEY)
    credit, charge = invoice.lines.data
    assert updated["items"].data[0].price.id == catalog.business.id
    assert updated["items"].data[0].id == item.id
    assert updated.metadata.to_dict() == {"x8_plan": "business"}
    assert (credit.amount, charge.amount) == (-round(1900 * 10 / 31), round(4900 * 10 / 31))
    assert credit.parent.subscription_item_details.proration is True
    assert credit.description == "Unused time on X8 Network Pro after 22 Jan 2026"
    assert (invoice.billing_reason, invoice.status) == ("subscription_update", "paid")
    assert invoice.amount_paid == round(4900 * 10 / 31) - round(1900 * 10 / 31)
    events = store.outbox_drain()
    assert types(events) == ["customer.subscription.updated", "invoice.paid"]
    previous = events[0]["data"]["previous_attributes"]
    assert previous["items"]["data"][0]["price"]["id"] == catalog.pro.id
    assert previous["metadata"] == {"x8_plan": "pro"}
    assert previous["latest_invoice"] == subscribed.latest_invoice


def test_downgrade_without_proration_waits_for_the_renewal(store, clock, catalog):
    session = checkout(catalog, price=catalog.business)
    store.checkout_pay(session.id)
    subscription_id = stripe.checkout.Session.retrieve(session.id, api_key=KEY).subscription
    subscription = stripe.Subscription.retrieve(subscription_id, api_key=KEY)
    store.outbox_drain()

    stripe.Subscription.modify(
        subscription.id,
        api_key=KEY,
        items=[{"id": subscription["items"].data[0].id, "price": catalog.pro.id}],
        proration_behavior="none",
    )
    clock.advance(FEB_1 - START)
    store.tick()

    renewed = stripe.Subscription.retrieve(subscription.id, api_key=KEY)
    invoices = stripe.Invoice.list(api_key=KEY, subscription=subscription.id).data
    assert [i.amount_paid for i in invoices] == [1900, 4900]
    assert renewed.latest_invoice == invoices[0].id
    assert types(store.outbox_drain()) == [
        "customer.subscription.updated",
        "invoice.paid",
        "customer.subscription.updated",
    ]


def test_create_prorations_are_added_to_the_next_invoice(store, clock, catalog, subscribed):
    clock.advance(FEB_1 - START - 10 * DAY)
    stripe.Subscription.modify(
        subscribed.id,
        api_key=KEY,
        items=[{"id": subscribed["items"].data[0].id, "price": catalog.business.id}],
    )

    renewed = store.subscription_renew(subscribed.id)

    invoice = stripe.Invoice.retrieve(renewed["latest_invoice"], api_key=KEY)
    assert [line.amount for line in invoice.lines.data] == [
        -round(1900 * 10 / 31),
        round(4900 * 10 / 31),
        4900,
    ]
    assert invoice.billing_reason == "subscription_cycle"


def test_renew_hook_moves_the_period_and_pays(store, subscribed):
    status, _h, _body = store.handle("POST", f"/sim/subscriptions/{subscribed.id}/renew")

    renewed = stripe.Subscription.retrieve(subscribed.id, api_key=KEY)
    item = renewed["items"].data[0]
    assert status == 200
    assert (item.current_period_start, item.current_period_end) == (FEB_1, MAR_1)
    invoice = stripe.Invoice.retrieve(renewed.latest_invoice, api_key=KEY)
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        1900,
        "subscription_cycle",
    )
    assert invoice.number.endswith("-0002")
    events = store.outbox_drain()
    assert types(events) == ["invoice.paid", "customer.subscription.updated"]
    assert (
        events[1]["data"]["previous_attributes"]["items"]["data"][0]["current_period_end"] == FEB_1
    )


def test_failed_renewal_goes_past_due_then_the_retry_recovers(store, clock, subscribed):
    status, _h, _b = store.handle("POST", f"/sim/subscriptions/{subscribed.id}/fail_payment")

    failing = stripe.Subscription.retrieve(subscribed.id, api_key=KEY)
    invoice = stripe.Invoice.retrieve(failing.latest_invoice, api_key=KEY)
    assert status == 200
    assert failing.status == "past_due"
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert invoice.next_payment_attempt == START + 3 * DAY
    events = store.outbox_drain()
    assert types(events) == ["invoice.payment_failed", "customer.subscription.updated"]
    assert events[1]["data"]["previous_attributes"]["status"] == "active"

    clock.advance(3 * DAY)  # Stripe retries the card on file, which works again
    store.tick()

    assert stripe.Subscription.retrieve(subscribed.id, api_key=KEY).status == "active"
    assert stripe.Invoice.retrieve(invoice.id, api_key=KEY).status == "paid"
    assert types(store.outbox_drain()) == ["invoice.paid", "customer.subscription.updated"]


def test_a_card_that_keeps_failing_ends_the_subscription_after_the_retries(store, clock, catalog):
    session = checkout(catalog, subscription_data={"trial_period_days": 7})
    store.checkout_pay(session.id, card_number="4000000000000341")
    subscription_id = stripe.checkout.Session.retrieve(session.id, api_key=KEY).subscription
    trialing = stripe.Subscription.retrieve(subscription_id, api_key=KEY)
    assert trialing.status == "trialing"  # nothing to charge during the trial
    assert trialing.trial_end == START + 7 * DAY
    store.outbox_drain()

    clock.advance(7 * DAY + 16 * DAY)
    store.tick()

    ended = stripe.Subscription.retrieve(subscription_id, api_key=KEY)
    invoice = stripe.Invoice.retrieve(ended.latest_invoice, api_key=KEY)
    assert ended.status == "canceled"
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
        "open",
        4,
        None,
    )
    assert types(store.outbox_drain()) == [
        "invoice.payment_failed",
        "customer.subscription.updated",
        "invoice.payment_failed",
        "invoice.payment_failed",
        "invoice.payment_failed",
        "customer.subscription.deleted",
    ]


def test_paying_the_open_invoice_on_its_page_restores_the_subscription(store, subscribed):
    store.subscription_fail_payment(subscribed.id)
    invoice_id = stripe.Subscription.retrieve(subscribed.id, api_key=KEY).latest_invoice
    store.outbox_drain()

    status, headers, _b = store.handle(
        "POST",
        f"/i/{invoice_id}/pay",
        "",
        {},
        urlencode({"card_number": "5555 5555 5555 4444", "card_expiry": "1/30", "card_cvc": "321"}),
    )

    assert status == 303 and headers["Location"] == f"/i/{invoice_id}"
    restored = stripe.Subscription.retrieve(subscribed.id, api_key=KEY)
    assert restored.status == "active"
    card = stripe.PaymentMethod.retrieve(restored.default_payment_method, api_key=KEY).card
    assert (card.brand, card.last4) == ("mastercard", "4444")
    assert types(store.outbox_drain()) == ["invoice.paid", "customer.subscription.updated"]


def test_delete_through_the_api_and_the_hook(store, catalog, subscribed):
    canceled = stripe.Subscription.cancel(subscribed.id, api_key=KEY)
    session = checkout(catalog)
    store.checkout_pay(session.id)
    second = stripe.checkout.Session.retrieve(session.id, api_key=KEY).subscription
    store.outbox_drain()

    status, _h, _b = store.handle("POST", f"/sim/subscriptions/{second}/delete")

    assert (canceled.status, canceled.canceled_at, canceled.ended_at) == ("canceled", START, START)
    assert status == 200
    assert stripe.Subscription.retrieve(second, api_key=KEY).status == "canceled"
    assert types(store.outbox_drain()) == ["customer.subscription.deleted"]
    try:
        stripe.Subscription.modify(second, api_key=KEY, cancel_at_period_end=True)
    except stripe.InvalidRequestError as error:
        assert "canceled subscription" in error.user_message
    else:
        raise AssertionError("a canceled subscription was updated")


def test_checkout_without_a_customer_creates_one_from_the_email(store, catalog):
    session = checkout(catalog, customer=None, customer_email="new@gamma.test")

    result = store.checkout_pay(session.id)

    assert result.paid
    customer = stripe.Customer.retrieve(result.session["customer"], api_key=KEY)
    assert customer.email == "new@gamma.test"
    assert types(store.outbox_drain())[-4:] == [
        "customer.created",
        "customer.subscription.created",
        "checkout.session.completed",
        "invoice.paid",
    ]
