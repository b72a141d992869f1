"""The simulator over real HTTP: the ``stripe`` library pointed at it, a browser's form posts,
signed webhook deliveries to a receiver, the /sim hooks, and the state file."""

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import stripe

from simulators.stripe import Store, StripeSimServer
from simulators.stripe.tests.conftest import KEY, WEBHOOK_SECRET, wait


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


BROWSER = urllib.request.build_opener(_NoRedirect)


def http(method, url, *, form=None, body=None, headers=None):
    data = urlencode(form).encode() if form is not None else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with BROWSER.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sim(server, method, path, payload=None):
    body = json.dumps(payload).encode() if payload is not None else None
    status, _headers, raw = http(
        method, server.url + path, body=body, headers={"Content-Type": "application/json"}
    )
    return status, json.loads(raw)


def buy(client: stripe.StripeClient):
    customer = client.v1.customers.create(
        params={"email": "owner@alpha.test", "metadata": {"x8_business": "7"}}
    )
    product = client.v1.products.create(params={"name": "X8 Network Pro"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": 1900,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "http://app.test/done?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://app.test/billing",
            "subscription_data": {"metadata": {"x8_plan": "pro"}},
        }
    )
    return customer, price, session


def test_checkout_paid_in_the_browser_delivers_signed_events(server, client, receiver):
    customer, _price, session = buy(client)
    assert session.url == f"{server.url}/c/pay/{session.id}"
    page_status, _h, page = http("GET", session.url)
    assert page_status == 200 and b"owner@alpha.test" in page

    status, headers, _b = http(
        "POST",
        session.url,
        form={"card_number": "4242 4242 4242 4242", "card_expiry": "12 / 34", "card_cvc": "123"},
    )

    assert status == 303
    assert headers["Location"] == f"http://app.test/done?session_id={session.id}"
    deliveries = receiver.wait_for(6)  # customer, product, price, then the three of the payment
    kinds = [d.event["type"] for d in deliveries]
    assert kinds[-3:] == [
        "customer.subscription.created",
        "checkout.session.completed",
        "invoice.paid",
    ]
    for delivery in deliveries:
        event = stripe.Webhook.construct_event(
            delivery.body.decode(), delivery.headers["stripe-signature"], WEBHOOK_SECRET
        )
        assert delivery.path == "/stripe/webhook"
        assert delivery.headers["content-type"].startswith("application/json")
        assert client.v1.events.retrieve(event.id).type == event.type
    completed = deliveries[-2].event["data"]["object"]
    assert completed["customer"] == customer.id and completed["status"] == "complete"
    subscription = client.v1.subscriptions.retrieve(completed["subscription"])
    assert subscription.status == "active"
    assert subscription.metadata.to_dict() == {"x8_plan": "pro"}
    wait(
        lambda: all(d["delivered"] for d in sim(server, "GET", "/sim/deliveries")[1]["deliveries"])
    )
    assert client.v1.events.retrieve(deliveries[-1].event["id"]).pending_webhooks == 0


def test_a_failing_endpoint_gets_retries(server, client, receiver):
    receiver.statuses = [500, 500]

    client.v1.customers.create(params={"email": "a@x.test"})

    deliveries = receiver.wait_for(3)
    assert len({d.event["id"] for d in deliveries}) == 1
    assert server.store.wait_deliveries(5)
    record = sim(server, "GET", "/sim/deliveries")[1]["deliveries"][0]
    assert [a["status"] for a in record["attempts"]] == [500, 500, 200]
    assert record["delivered"] is True


def test_an_unreachable_endpoint_is_given_up_after_the_retries(server, client, receiver):
    sim(server, "DELETE", "/sim/webhooks")
    status, _body = sim(
        server, "POST", "/sim/webhooks", {"url": "http://127.0.0.1:9/hook", "secret": "whsec_x"}
    )
    assert status == 200

    client.v1.customers.create(params={"email": "a@x.test"})

    assert server.store.wait_deliveries(10)
    record = sim(server, "GET", "/sim/deliveries")[1]["deliveries"][0]
    assert len(record["attempts"]) == 3
    assert record["attempts"][0]["error"]
    assert (record["delivered"], record["gave_up"]) == (False, True)
    assert receiver.deliveries == []


def test_webhook_endpoints_added_at_runtime_and_the_outbox(server, client, receiver):
    sim(server, "DELETE", "/sim/webhooks")
    client.v1.customers.create(params={"email": "first@x.test"})
    drained = sim(server, "POST", "/sim/outbox/drain")[1]["events"]
    assert [e["type"] for e in drained] == ["customer.created"]

    sim(
        server,
        "POST",
        "/sim/webhooks",
        {"url": receiver.url, "secret": "whsec_runtime", "events": ["customer.created"]},
    )
    client.v1.products.create(params={"name": "Not sent: the endpoint wants customers only"})
    client.v1.customers.create(params={"email": "second@x.test"})

    delivery = receiver.wait_for(1)[0]
    stripe.WebhookSignature.verify_header(
        delivery.body.decode(), delivery.headers["stripe-signature"], "whsec_runtime"
    )
    assert delivery.event["data"]["object"]["email"] == "second@x.test"
    assert server.store.wait_deliveries(5)
    assert len(receiver.deliveries) == 1
    assert sim(server, "POST", "/sim/outbox/drain")[1]["events"] == []


def test_down_mode_over_http(server, client):
    status, body = sim(server, "POST", "/sim/down", {"down": True})
    assert (status, body) == (200, {"down": True})

    with pytest.raises(stripe.APIError) as error:
        client.v1.customers.list()
    hosted = http("GET", f"{server.url}/")

    sim(server, "POST", "/sim/down", {"down": False})
    assert error.value.http_status == 500
    assert hosted[0] == 200  # the hosted pages keep working
    assert client.v1.customers.list().data == []


def test_wrong_key_and_unknown_endpoint_over_http(server):
    status, _h, body = http(
        "GET", f"{server.url}/v1/customers", headers={"Authorization": "Bearer sk_test_wrong"}
    )
    missing_status, _h, missing = http("GET", f"{server.url}/v1/customers")
    unknown_status, _h, unknown = http(
        "GET", f"{server.url}/v1/coupons", headers={"Authorization": f"Bearer {KEY}"}
    )

    assert status == 401
    assert json.loads(body)["error"]["message"].startswith("Invalid API Key provided")
    assert missing_status == 401
    assert "did not provide an API key" in json.loads(missing)["error"]["message"]
    assert unknown_status == 404
    assert json.loads(unknown)["error"]["message"].startswith("Unrecognized request URL")


def test_hooks_renew_fail_and_delete_over_http(server, client, receiver):
    _customer, _price, session = buy(client)
    assert sim(server, "POST", f"/sim/checkout/sessions/{session.id}/pay", {})[1]["paid"]
    subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    receiver.wait_for(6)

    assert (
        sim(server, "POST", f"/sim/subscriptions/{subscription_id}/renew")[1]["status"] == "active"
    )
    assert (
        sim(server, "POST", f"/sim/subscriptions/{subscription_id}/fail_payment")[1]["status"]
        == "past_due"
    )
    assert (
        sim(server, "POST", f"/sim/subscriptions/{subscription_id}/delete")[1]["status"]
        == "canceled"
    )
    assert sim(server, "POST", "/sim/subscriptions/sub_missing/renew")[0] == 404

    kinds = [d.event["type"] for d in receiver.wait_for(11)][6:]
    assert kinds == [
        "invoice.paid",
        "customer.subscription.updated",
        "invoice.payment_failed",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
    state = sim(server, "GET", "/sim/state")[1]
    assert [s["status"] for s in state["objects"]["subscription"]] == ["canceled"]
    assert len(state["objects"]["invoice"]) == 3


def test_clock_hook_and_reset(server, client):
    _customer, _price, session = buy(client)
    sim(server, "POST", f"/sim/checkout/sessions/{session.id}/pay", {})
    subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription

    sim(server, "POST", "/sim/clock", {"advance": 32 * 86400})

    assert len(client.v1.invoices.list(params={"subscription": subscription_id}).data) == 2
    assert sim(server, "POST", "/sim/reset")[1] == {"reset": True}
    assert client.v1.customers.list().data == []
    assert sim(server, "GET", "/sim/state")[1]["clock_offset"] == 0


def test_the_state_file_keeps_the_account_across_restarts(tmp_path):
    state = tmp_path / "stripe-sim.json"
    first = StripeSimServer(port=0, api_key=KEY, state_path=state).start()
    client = stripe.StripeClient(
        KEY,
        base_addresses={"api": first.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(),
    )
    customer, price, session = buy(client)
    sim(first, "POST", f"/sim/checkout/sessions/{session.id}/pay", {})
    sim(first, "POST", "/sim/webhooks", {"url": "http://127.0.0.1:9/hook", "secret": "whsec_k"})
    first.stop()

    second = StripeSimServer(port=0, api_key=KEY, state_path=state).start()
    try:
        again = stripe.StripeClient(
            KEY,
            base_addresses={"api": second.url},
            max_network_retries=0,
            http_client=stripe.RequestsClient(),
        )
        subscription_id = again.v1.checkout.sessions.retrieve(session.id).subscription
        subscription = again.v1.subscriptions.retrieve(subscription_id)
        assert again.v1.customers.retrieve(customer.id).email == "owner@alpha.test"
        assert subscription["items"].data[0].price.id == price.id
        assert subscription.status == "active"
        events = again.v1.events.list(params={"type": "invoice.paid"}).data
        assert len(events) == 1
        assert sim(second, "GET", "/sim/webhooks")[1]["webhooks"] == [
            {"url": "http://127.0.0.1:9/hook", "secret": "whsec_k", "events": ["*"]}
        ]
        # ids keep going: a new invoice after the restart is number 2
        second.store.subscription_renew(subscription_id)
        latest = again.v1.invoices.retrieve(
            again.v1.subscriptions.retrieve(subscription_id).latest_invoice
        )
        assert latest.number.endswith("-0002")
    finally:
        second.stop()
    assert Store(state_path=state).find(customer.id)["email"] == "owner@alpha.test"
