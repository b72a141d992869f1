"""Webhook delivery: each event POSTed to each endpoint, signed, retried with backoff.

One background thread works through attempts in the order they fall due, so a failing endpoint
delays only its own retries. Every attempt is signed afresh (new ``t=``), as Stripe does; any
non-2xx answer, a timeout or a connection error is a failure.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from simulators.stripe.signing import event_body, sign

logger = logging.getLogger("simulators.stripe.webhooks")

DEFAULT_RETRY_DELAYS = (1.0, 4.0, 16.0)


@dataclass(frozen=True)
class WebhookEndpoint:
    url: str
    secret: str
    events: tuple[str, ...] = ("*",)

    def wants(self, event_type: str) -> bool:
        return any(
            pattern == "*"
            or pattern == event_type
            or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
            for pattern in self.events
        )

    def public(self) -> dict:
        return {"url": self.url, "secret": self.secret, "events": list(self.events)}


@dataclass
class _Job:
    record: dict
    endpoint: WebhookEndpoint
    body: bytes
    attempt: int = 0
    history: list = field(default_factory=list)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stripe does not follow redirects: a 3xx answer is a failed delivery."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class WebhookDispatcher:
    def __init__(
        self,
        *,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        timeout: float = 10.0,
        on_delivered: Callable[[str], None] | None = None,
        log_size: int = 1000,
    ) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.on_delivered = on_delivered
        self.records: deque[dict] = deque(maxlen=log_size)
        self._heap: list[tuple[float, int, _Job]] = []
        self._order = itertools.count()
        self._in_flight = 0
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def enqueue(self, event: dict, endpoint: WebhookEndpoint) -> None:
        record = {
            "event": event["id"],
            "type": event["type"],
            "url": endpoint.url,
            "attempts": [],
            "delivered": False,
            "gave_up": False,
        }
        job = _Job(record=record, endpoint=endpoint, body=event_body(event))
        with self._changed:
            if self._stopping:
                return
            self.records.append(record)
            heapq.heappush(self._heap, (time.monotonic(), next(self._order), job))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="stripe-sim-webhooks", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def deliveries(self) -> list[dict]:
        with self._changed:
            return [
                {**record, "attempts": [dict(a) for a in record["attempts"]]}
                for record in self.records
            ]

    def clear(self) -> None:
        with self._changed:
            self._heap.clear()
            self.records.clear()
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until no attempt is queued or running (retries included)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._heap or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def close(self) -> None:
        with self._changed:
            self._stopping = True
            self._heap.clear()
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._stopping:
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._changed.wait(wait)
                if self._stopping:
                    return
                _due, _order, job = heapq.heappop(self._heap)
                self._in_flight += 1
            try:
                self._attempt(job)
            except Exception:  # a bug here must not stop later deliveries
                logger.exception("webhook delivery crashed")
            finally:
                with self._changed:
                    self._in_flight -= 1
                    self._changed.notify_all()

    def _attempt(self, job: _Job) -> None:
        job.attempt += 1
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(job.body, job.endpoint.secret, timestamp),
        }
        status, error = self._post(job.endpoint.url, job.body, headers)
        ok = status is not None and 200 <= status < 300
        with self._changed:
            job.record["attempts"].append({"at": timestamp, "status": status, "error": error})
            job.record["delivered"] = ok
        if ok:
            logger.info("webhook %s → %s %s", job.record["type"], job.endpoint.url, status)
            if self.on_delivered is not None:
                self.on_delivered(job.record["event"])
            return
        logger.warning(
            "webhook %s → %s failed (attempt %d): %s",
            job.record["type"],
            job.endpoint.url,
            job.attempt,
            error or status,
        )
        if job.attempt > len(self.retry_delays):
            with self._changed:
                job.record["gave_up"] = True
            logger.error("webhook %s → %s: gave up", job.record["type"], job.endpoint.url)
            return
        due = time.monotonic() + self.retry_delays[job.attempt - 1]
        with self._changed:
            if not self._stopping:
                heapq.heappush(self._heap, (due, next(self._order), job))
                self._changed.notify_all()

    def _post(self, url: str, body: bytes, headers: dict) -> tuple[int | None, str | None]:
        if not url.startswith(("http://", "https://")):
            return None, "only http(s) webhook URLs are supported"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code, None
        except (OSError, ValueError) as exc:
            return None, str(exc)
