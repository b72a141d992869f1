"""A simulator on a free port with short timings, a webhook receiver, and HTTP clients."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from simulators.waha import Timings, WahaSimServer

API_KEY = "test-waha-key"
HMAC_KEY = "test-hmac-secret"
# Copies of the contract's examples (shared/contracts/waha/), so the tests stand alone.
FIXTURES = Path(__file__).parent / "fixtures"
FAST = Timings(
    start_delay=0.05,
    qr_interval=60,
    status_wait=1.0,
    ack_server_delay=0.05,
    ack_device_delay=0.15,
    webhook_attempts=3,
    webhook_delay=0.05,
    webhook_timeout=2,
    media_download_timeout=2,
)


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """The product's side: records webhook POSTs and answers ``statuses`` in turn, then 200.
    GET serves ``files`` (for sendFile by URL)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.statuses: list[int] = []
        self.files: dict[str, tuple[str, bytes]] = {}
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

            def do_GET(self) -> None:
                mimetype, content = receiver.files.get(self.path, ("text/plain", b""))
                self.send_response(200 if self.path in receiver.files else 404)
                self.send_header("Content-Type", mimetype)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"{self.base}/webhooks/waha"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def events(self, event: str | None = None) -> list[Delivery]:
        with self._changed:
            return [d for d in self.deliveries if event is None or d.json["event"] == event]

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 5.0) -> Delivery:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for delivery in self.deliveries:
                    if predicate(delivery.json):
                        return delivery
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [
                        (d.json["event"], d.json["payload"].get("status")) for d in self.deliveries
                    ]
                    raise AssertionError(f"no matching webhook; got {seen}")
                self._changed.wait(left)

    def wait_status(self, status: str, session: str = "default", after: int = 0) -> Delivery:
        """The first session.status ``status`` webhook among deliveries after index ``after``."""
        deadline = time.monotonic() + 5
        while True:
            for delivery in self.events("session.status")[after:]:
                body = delivery.json
                if body["session"] == session and body["payload"]["status"] == status:
                    return delivery
            if time.monotonic() > deadline:
                raise AssertionError(f"no session.status {status}")
            time.sleep(0.01)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def server(tmp_path):
    server = WahaSimServer(host="127.0.0.1", port=0, api_key=API_KEY, timings=FAST).start()
    yield server
    server.stop()


@pytest.fixture
def api(server):
    """The product's WAHA client: every call carries the API key."""
    with httpx.Client(base_url=server.url, headers={"X-Api-Key": API_KEY}, timeout=5) as client:
        yield client


@pytest.fixture
def phone(server):
    """The simulator's own hooks (/sim), which need no key."""
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


def webhook_config(receiver: Receiver, **overrides) -> dict:
    return {
        "url": receiver.url,
        "events": ["session.status", "message", "message.any", "message.ack"],
        "hmac": {"key": HMAC_KEY},
        "retries": {"policy": "constant", "delaySeconds": 0.05, "attempts": 3},
        "customHeaders": [{"name": "X-Business", "value": "alpha"}],
        **overrides,
    }


@pytest.fixture
def linked(api, phone, receiver):
    """Session "default" created with a webhook to the receiver and linked to a phone."""
    response = api.post(
        "/api/sessions",
        json={"name": "default", "config": {"webhooks": [webhook_config(receiver)]}},
    )
    assert response.status_code == 201
    receiver.wait_status("SCAN_QR_CODE")
    scanned = phone.post(
        "/sim/sessions/default/scan", json={"phone": "79001234567", "pushName": "Alpha Shop"}
    )
    assert scanned.status_code == 200
    receiver.wait_status("WORKING")
    return "default"
