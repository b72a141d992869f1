"""The simulated Stripe account: its objects, events and webhooks, behind one lock.

``Store.handle(method, path, query, headers, body)`` answers one HTTP request (Stripe's /v1 API,
the hosted pages and the /sim hooks) and is what both the HTTP server and the ``responses``
adapter call. The billing behaviour itself (checkout, renewals, prorations) is in
``billing.py``; the Python methods here wrap it for tests that drive the store directly.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import unquote

from simulators.stripe import (
    api,
    billing,
    hooks,  # noqa: F401 - registers the /sim routes
    ids,
    objects,
    pages,
    routes,
)
from simulators.stripe.errors import StripeError, no_such
from simulators.stripe.routes import Request, Response
from simulators.stripe.webhooks import DEFAULT_RETRY_DELAYS, WebhookDispatcher, WebhookEndpoint

logger = logging.getLogger("simulators.stripe")

STATE_VERSION = 1
KEPT_EVENTS = 2000

# Prefix of each kind of id → (object type, the name Stripe's "No such …" message uses).
KINDS = {
    "cus": ("customer", "customer"),
    "prod": ("product", "product"),
    "price": ("price", "price"),
    "cs": ("checkout.session", "checkout.session"),
    "bps": ("billing_portal.session", "billing_portal.session"),
    "bpc": ("billing_portal.configuration", "configuration"),
    "sub": ("subscription", "subscription"),
    "si": ("subscription_item", "subscription_item"),
    "in": ("invoice", "invoice"),
    "pm": ("payment_method", "PaymentMethod"),
    "evt": ("event", "event"),
    "acct": ("account", "account"),
}


class Store:
    """One Stripe account in memory. Thread-safe; every public method takes the lock.

    ``clock`` gives "now" in Unix seconds (tests pass their own to move time); what falls due
    as time passes (renewals, retries, expiring sessions) happens on the next request or
    ``tick()``. Events go to the configured webhook endpoints (those enabled for their type),
    or, with none, wait in an outbox (``outbox_drain()``) for a test to post them itself;
    ``outbox_events`` limits the outbox to some types (``"invoice.*"`` patterns allowed), as an
    endpoint's enabled events do. Every event stays retrievable at /v1/events either way.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        api_key: str | None = None,
        public_url: str = "http://localhost:12111",
        account_name: str = "X8 Network",
        webhooks: Iterable[WebhookEndpoint | dict] = (),
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        webhook_timeout: float = 10.0,
        state_path: str | os.PathLike | None = None,
        api_version: str = objects.API_VERSION,
        outbox_events: Iterable[str] = ("*",),
    ) -> None:
        self._lock = threading.RLock()
        self.clock = clock
        self.api_key = api_key
        self.public_url = public_url.rstrip("/")
        self.account_name = account_name
        self.api_version = api_version
        self.state_path = Path(state_path) if state_path else None
        self.endpoints: list[WebhookEndpoint] = [_endpoint(hook) for hook in webhooks]
        # The outbox takes what an endpoint enabled for these event types would get.
        self.outbox_filter = WebhookEndpoint("", "", tuple(outbox_events) or ("*",))
        self.dispatcher = WebhookDispatcher(
            retry_delays=retry_delays, timeout=webhook_timeout, on_delivered=self._delivered
        )
        self.down = False
        self.down_should_retry: bool | None = None
        self.request_context: dict | None = None
        self._clear()
        if self.state_path and self.state_path.exists():
            self.load(self.state_path)

    # ------------------------------------------------------------ storage

    def _clear(self) -> None:
        self.objects: dict[str, dict] = {}
        self.private: dict[str, dict] = {}
        self.events: dict[str, dict] = {}
        self.outbox: list[dict] = []
        self.idempotency: dict[tuple[str, str], dict] = {}
        self.clock_offset = 0.0
        self._order: dict[str, int] = {}
        self._seq = 0
        created = self.now()
        self.account = self.put(
            objects.account(
                account_id=ids.new_id("acct", 16),
                name=self.account_name,
                email="billing@example.com",
                created=created,
            )
        )
        self.portal_configuration = self.put(
            objects.portal_configuration(configuration_id=ids.new_id("bpc"), created=created)
        )

    def now(self) -> int:
        return int(self.clock() + self.clock_offset)

    def put(self, obj: dict) -> dict:
        if obj["id"] not in self._order:
            self._seq += 1
            self._order[obj["id"]] = self._seq
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str, object_type: str, *, param: str = "id") -> dict:
        """The stored object, or Stripe's 404 for an unknown id of that type."""
        obj = self.objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or obj.get("object") != object_type:
            label = next((name for kind, name in KINDS.values() if kind == object_type), None)
            raise no_such(label or object_type, str(object_id), param)
        return obj

    def find(self, object_id: str) -> dict | None:
        return self.objects.get(object_id) if isinstance(object_id, str) else None

    def all(self, object_type: str) -> list[dict]:
        """Objects of a type, newest first (as Stripe lists them)."""
        found = [obj for obj in self.objects.values() if obj.get("object") == object_type]
        return sorted(found, key=self.sort_key, reverse=True)

    def sort_key(self, obj: dict) -> tuple[int, int]:
        return obj.get("created") or 0, self._order.get(obj["id"], 0)

    def private_of(self, object_id: str) -> dict:
        return self.private.setdefault(object_id, {})

    def render(self, obj: dict) -> dict:
        """The object as the API answers it (a deep copy, compact forms expanded)."""
        kind = obj.get("object")
        if kind == "subscription":
            items = [self.render(self.objects[item_id]) for item_id in obj["items"]]
            return copy.deepcopy(objects.render_subscription(obj, items))
        if kind == "subscription_item":
            return copy.deepcopy(objects.render_item(obj, self.objects[obj["price"]]))
        return copy.deepcopy(obj)

    # ------------------------------------------------------------- events

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        """Record an event about ``obj`` (as it is now) and send it to the endpoints."""
        endpoints = [endpoint for endpoint in self.endpoints if endpoint.wants(event_type)]
        context = self.request_context or {}
        event = objects.event(
            event_id=ids.new_id("evt"),
            created=self.now(),
            event_type=event_type,
            data_object=self.render(obj),
            previous_attributes=previous,
            request_id=context.get("id"),
            idempotency_key=context.get("idempotency_key"),
            pending_webhooks=len(endpoints),
            api_version=self.api_version,
        )
        self.put(event)
        self.events[event["id"]] = event
        sent = copy.deepcopy(event)
        for endpoint in endpoints:
            self.dispatcher.enqueue(sent, endpoint)
        if not self.endpoints and self.outbox_filter.wants(event_type):
            self.outbox.append(sent)
        return event

    def _delivered(self, event_id: str) -> None:
        with self._lock:
            event = self.events.get(event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1

    def outbox_drain(self) -> list[dict]:
        """Events not sent to any endpoint, oldest first; the outbox is empty afterwards."""
        with self._lock:
            drained, self.outbox = self.outbox, []
            return drained

    def events_of(self, event_type: str | None = None) -> list[dict]:
        """Recorded events, oldest first (for tests)."""
        with self._lock:
            return [
                copy.deepcopy(event)
                for event in self.events.values()
                if event_type is None or event["type"] == event_type
            ]

    def webhook_add(self, url: str, secret: str, events: Iterable[str] = ("*",)) -> None:
        with self._lock:
            self.endpoints = [e for e in self.endpoints if e.url != url]
            self.endpoints.append(WebhookEndpoint(url, secret, tuple(events) or ("*",)))

    def webhooks_clear(self) -> None:
        with self._lock:
            self.endpoints = []

    def deliveries(self) -> list[dict]:
        return self.dispatcher.deliveries()

    def wait_deliveries(self, timeout: float = 5.0) -> bool:
        """Block until every queued webhook attempt (retries included) has run."""
        return self.dispatcher.wait_idle(timeout)

    # ------------------------------------------------------------ requests

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | str | None = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: (status, headers, body)."""
        if isinstance(body, str):
            body = body.encode()
        request = Request(
            method=method.upper(),
            path=unquote(path.split("?", 1)[0]).rstrip("/") or "/",
            query=query or "",
            headers={name.lower(): value for name, value in (headers or {}).items()},
            body=body or b"",
        )
        with self._lock:
            try:
                self._tick()
            except Exception:  # time-driven work must not take every request down with it
                logger.exception("stripe-sim: processing due work failed")
            response = self._dispatch(request)
            if self.state_path and request.method != "GET":
                self._save_quietly()
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["Content-Length"] = str(len(response.body))
        return response.status, response.headers, response.body

    def _dispatch(self, request: Request) -> Response:
        route, params, path_known = routes.find(request.method, request.path)
        if request.path.startswith("/v1/") or request.path == "/v1":
            return api.call(self, request, route, params)
        if route is None:
            if path_known:
                return Response.json({"error": {"message": "Method not allowed"}}, 405)
            return pages.not_found()
        request.path_params = params
        try:
            result = route.handler(self, request)
        except StripeError as error:
            return Response.json(error.body(), error.status)
        return result if isinstance(result, Response) else Response.json(result)

    # ------------------------------------------------------ python helpers

    def tick(self) -> None:
        """Do what falls due by now: renewals, payment retries, expiring sessions."""
        with self._lock:
            self._tick()

    def _tick(self) -> None:
        billing.process_due(self)

    def advance(self, seconds: float) -> None:
        """Move the store's clock on (on top of ``clock``) and do what falls due."""
        with self._lock:
            self.clock_offset += seconds
            self._tick()

    def checkout_pay(self, session_id: str, card_number: str = "4242424242424242", **card):
        """Pay a Checkout Session as the hosted page does; see ``billing.checkout_pay``."""
        with self._lock:
            result = billing.checkout_pay(self, session_id, card_number=card_number, **card)
            self._save_quietly()
            return result

    def subscription_renew(self, subscription_id: str, *, fail: bool = False) -> dict:
        with self._lock:
            billing.subscription_renew(self, self.get(subscription_id, "subscription"), fail=fail)
            self._save_quietly()
            return self.render(self.objects[subscription_id])

    def subscription_fail_payment(self, subscription_id: str) -> dict:
        with self._lock:
            billing.subscription_fail_payment(self, self.get(subscription_id, "subscription"))
            self._save_quietly()
            return self.render(self.objects[subscription_id])

    def subscription_delete(self, subscription_id: str) -> dict:
        with self._lock:
            billing.subscription_cancel(self, self.get(subscription_id, "subscription"))
            self._save_quietly()
            return self.render(self.objects[subscription_id])

    def subscription_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> dict:
        """What the portal's cancel and resume buttons do."""
        with self._lock:
            value = "true" if cancel else "false"
            subscription = self.get(subscription_id, "subscription")
            billing.subscription_update(self, subscription, {"cancel_at_period_end": value})
            self._save_quietly()
            return self.render(subscription)

    def set_down(self, down: bool, *, should_retry: bool | None = None) -> None:
        with self._lock:
            self.down = down
            self.down_should_retry = should_retry

    def reset(self) -> None:
        """Forget every object and event (webhook endpoints and settings stay)."""
        with self._lock:
            self.dispatcher.clear()
            self.down = False
            self.down_should_retry = None
            self._clear()
            self._save_quietly()

    def snapshot(self) -> dict:
        with self._lock:
            by_type: dict[str, list] = {}
            for obj in sorted(self.objects.values(), key=self.sort_key):
                if obj["object"] == "event":
                    continue
                by_type.setdefault(obj["object"], []).append(self.render(obj))
            return {
                "now": self.now(),
                "clock_offset": self.clock_offset,
                "down": self.down,
                "account": self.account["id"],
                "objects": by_type,
                "events": [
                    {"id": e["id"], "type": e["type"], "created": e["created"]}
                    for e in self.events.values()
                ],
                "outbox": len(self.outbox),
                "webhooks": [endpoint.public() for endpoint in self.endpoints],
            }

    def close(self) -> None:
        self.dispatcher.close()
        if self.state_path:
            with self._lock:
                self._save_quietly()

    # --------------------------------------------------------- persistence

    def dump(self) -> dict:
        with self._lock:
            events = list(self.events)[-KEPT_EVENTS:]
            kept = {
                object_id: obj
                for object_id, obj in self.objects.items()
                if obj["object"] != "event" or object_id in events
            }
            return {
                "version": STATE_VERSION,
                "account": self.account["id"],
                "portal_configuration": self.portal_configuration["id"],
                "objects": kept,
                "order": {object_id: self._order[object_id] for object_id in kept},
                "private": self.private,
                "events": events,
                "clock_offset": self.clock_offset,
                "webhooks": [endpoint.public() for endpoint in self.endpoints],
            }

    def restore(self, state: dict) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown state version {state.get('version')!r}")
        with self._lock:
            self.objects = state["objects"]
            self._order = {key: int(value) for key, value in state["order"].items()}
            self._seq = max(self._order.values(), default=0)
            self.private = state["private"]
            self.events = {event_id: self.objects[event_id] for event_id in state["events"]}
            self.account = self.objects[state["account"]]
            self.portal_configuration = self.objects[state["portal_configuration"]]
            self.clock_offset = float(state.get("clock_offset", 0))
            self.outbox = []
            self.idempotency = {}
            # Endpoints added at run time (/sim/webhooks) come back; configured ones win.
            configured = {endpoint.url for endpoint in self.endpoints}
            self.endpoints += [
                _endpoint(hook)
                for hook in state.get("webhooks", [])
                if hook["url"] not in configured
            ]

    def save(self, path: str | os.PathLike | None = None) -> None:
        target = Path(path) if path else self.state_path
        if target is None:
            raise ValueError("no state file")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(self.dump(), ensure_ascii=False).encode()
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def load(self, path: str | os.PathLike) -> None:
        self.restore(json.loads(Path(path).read_text()))

    def _save_quietly(self) -> None:
        if not self.state_path:
            return
        try:
            self.save()
        except OSError:
            logger.exception("stripe-sim: could not write %s", self.state_path)


def _endpoint(hook: WebhookEndpoint | dict) -> WebhookEndpoint:
    if isinstance(hook, WebhookEndpoint):
        return hook
    return WebhookEndpoint(hook["url"], hook["secret"], tuple(hook.get("events") or ("*",)))
