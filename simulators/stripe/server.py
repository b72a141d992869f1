"""HTTP front of the Store: a ThreadingHTTPServer that hands every request to ``store.handle``."""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from simulators.stripe.store import Store

logger = logging.getLogger("simulators.stripe.http")

MAX_BODY_BYTES = 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, {"Content-Type": "text/plain"}, b"Request body too large")
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        headers = {name: value for name, value in self.headers.items()}
        try:
            status, response_headers, payload = self.server.store.handle(
                self.command, url.path, url.query, headers, body
            )
        except Exception:
            logger.exception("%s %s failed", self.command, self.path)
            status, response_headers = 500, {"Content-Type": "application/json"}
            payload = (
                b'{"error": {"type": "api_error", "message": "The Stripe simulator failed '
                b'(see its log)."}}'
            )
        logger.info("%s %s → %s", self.command, url.path, status)
        self._send(status, response_headers, payload)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, store: Store) -> None:
        super().__init__(address, _Handler)
        self.store = store


class StripeSimServer:
    """A Store and its HTTP server. ``port=0`` picks a free port (see ``url``); other keyword
    arguments go to ``Store`` (``api_key``, ``webhooks``, ``retry_delays``, ``state_path``…)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 12111,
        public_url: str | None = None,
        store: Store | None = None,
        **store_options,
    ) -> None:
        self.store = store or Store(**store_options)
        self.httpd = _HTTPServer((host, port), self.store)
        self.host, self.port = self.httpd.server_address[:2]
        local = host in ("0.0.0.0", "127.0.0.1", "")  # noqa: S104 - naming, not binding
        self.url = f"http://{'localhost' if local else host}:{self.port}"
        if public_url or store is None:
            self.store.public_url = (public_url or self.url).rstrip("/")
        self._thread: threading.Thread | None = None

    def start(self) -> StripeSimServer:
        """Serve in a background thread (tests)."""
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), name="stripe-sim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()
        self.store.close()
