"""The simulator's own JSON hooks under /sim (no API key): state, time, failures, webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulators.stripe import billing
from simulators.stripe.errors import StripeError
from simulators.stripe.routes import Request, route

if TYPE_CHECKING:
    from simulators.stripe.store import Store


def _subscription(store: Store, request: Request) -> dict:
    return store.get(request.path_params["subscription"], "subscription")


@route("POST", "/sim/reset", area="sim")
def reset(store: Store, request: Request) -> dict:
    store.reset()
    return {"reset": True}


@route("GET", "/sim/state", area="sim")
def state(store: Store, request: Request) -> dict:
    return store.snapshot()


@route("GET", "/sim/deliveries", area="sim")
def deliveries(store: Store, request: Request) -> dict:
    return {"deliveries": store.deliveries()}


@route("GET", "/sim/webhooks", area="sim")
def webhooks_list(store: Store, request: Request) -> dict:
    return {"webhooks": [endpoint.public() for endpoint in store.endpoints]}


@route("POST", "/sim/webhooks", area="sim")
def webhooks_add(store: Store, request: Request) -> dict:
    body = request.json()
    url, secret = body.get("url"), body.get("secret")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise StripeError(400, "`url` must be an http(s) URL", param="url")
    if not isinstance(secret, str) or not secret:
        raise StripeError(400, "`secret` is required (whsec_...)", param="secret")
    events = body.get("events") or ["*"]
    store.webhook_add(url, secret, events)
    return {"webhooks": [endpoint.public() for endpoint in store.endpoints]}


@route("DELETE", "/sim/webhooks", area="sim")
def webhooks_clear(store: Store, request: Request) -> dict:
    store.webhooks_clear()
    return {"webhooks": []}


@route("POST", "/sim/outbox/drain", area="sim")
def outbox_drain(store: Store, request: Request) -> dict:
    return {"events": store.outbox_drain()}


@route("POST", "/sim/down", area="sim")
def down(store: Store, request: Request) -> dict:
    body = request.json()
    should_retry = body.get("should_retry")
    store.set_down(
        bool(body.get("down", True)),
        should_retry=None if should_retry is None else bool(should_retry),
    )
    return {"down": store.down}


@route("POST", "/sim/clock", area="sim")
def clock(store: Store, request: Request) -> dict:
    """``{"advance": seconds}`` moves time on; what falls due happens at once."""
    body = request.json()
    advance = body.get("advance", 0)
    if not isinstance(advance, int | float) or advance < 0:
        raise StripeError(400, "`advance` must be a number of seconds >= 0", param="advance")
    store.advance(advance)
    return {"now": store.now(), "clock_offset": store.clock_offset}


@route("POST", "/sim/subscriptions/{subscription}/fail_payment", area="sim")
def fail_payment(store: Store, request: Request) -> dict:
    subscription = _subscription(store, request)
    billing.subscription_fail_payment(store, subscription)
    return store.render(subscription)


@route("POST", "/sim/subscriptions/{subscription}/renew", area="sim")
def renew(store: Store, request: Request) -> dict:
    subscription = _subscription(store, request)
    billing.subscription_renew(store, subscription)
    return store.render(subscription)


@route("POST", "/sim/subscriptions/{subscription}/delete", area="sim")
def delete(store: Store, request: Request) -> dict:
    subscription = _subscription(store, request)
    billing.subscription_cancel(store, subscription)
    return store.render(subscription)


@route("POST", "/sim/checkout/sessions/{session}/pay", area="sim")
def checkout_pay(store: Store, request: Request) -> dict:
    """Pay without the page: ``{"card": "4242...", "email", "name"}`` (all optional)."""
    body = request.json()
    result = billing.checkout_pay(
        store,
        request.path_params["session"],
        card_number=body.get("card") or "4242424242424242",
        expiry=body.get("expiry") or "12 / 34",
        cvc=body.get("cvc") or "123",
        name=body.get("name"),
        email=body.get("email"),
    )
    return {
        "paid": result.paid,
        "already_paid": result.already_paid,
        "error": result.error,
        "redirect_url": result.redirect_url,
        "session": result.session,
    }
