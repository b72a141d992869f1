"""Webhook delivery: signed JSON POSTs, retried in background threads, in order per session.

A delivery is retried on a network error or a 5xx (also 408/429) answer, with the same body and
headers (request id, timestamp, signature) each time; another 4xx is final, as in WAHA.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from simulators.waha.ids import ulid
from simulators.waha.signing import webhook_headers

logger = logging.getLogger("simulators.waha.webhooks")

DEFAULT_ATTEMPTS = 15
DEFAULT_DELAY_SECONDS = 2.0
POLICIES = ("constant", "linear", "exponential")


def retryable(status: int) -> bool:
    """WAHA retries network errors and server errors (requestretry's HTTPOrNetworkError); a
    4xx answer is final. 408 and 429 are retried too: they mean "later"."""
    return status >= 500 or status in (408, 429)


@dataclass(frozen=True)
class RetryPolicy:
    policy: str = "constant"
    delay_seconds: float = DEFAULT_DELAY_SECONDS
    attempts: int = DEFAULT_ATTEMPTS

    def delays(self) -> list[float]:
        """Pauses before the 2nd, 3rd, … attempt: constant 2,2,2; linear 2,4,6; exponential 2,4,8
        with up to 20% jitter."""
        pauses = []
        for retry in range(1, max(1, self.attempts)):
            if self.policy == "linear":
                pauses.append(self.delay_seconds * retry)
            elif self.policy == "exponential":
                jitter = 1 + random.uniform(0, 0.2)  # noqa: S311 - jitter, not a secret
                pauses.append(self.delay_seconds * 2 ** (retry - 1) * jitter)
            else:
                pauses.append(self.delay_seconds)
        return pauses


@dataclass(frozen=True)
class WebhookTarget:
    """One entry of a session's ``config.webhooks`` (or the global ``WHATSAPP_HOOK_*`` hook)."""

    url: str
    events: tuple[str, ...]
    hmac_key: str | None = None
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    custom_headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_config(
        cls,
        config: dict,
        *,
        default_attempts: int = DEFAULT_ATTEMPTS,
        default_delay: float = DEFAULT_DELAY_SECONDS,
    ) -> WebhookTarget:
        retries = config.get("retries") or {}
        delay = retries.get("delaySeconds")
        attempts = retries.get("attempts")
        return cls(
            url=config["url"],
            events=tuple(str(event) for event in config.get("events") or ()),
            hmac_key=(config.get("hmac") or {}).get("key") or None,
            retries=RetryPolicy(
                policy=retries.get("policy") or "constant",
                delay_seconds=float(default_delay if delay is None else delay),
                attempts=int(default_attempts if attempts is None else attempts),
            ),
            custom_headers=tuple(
                (str(h["name"]), str(h["value"])) for h in config.get("customHeaders") or ()
            ),
        )

    def wants(self, event: str) -> bool:
        return "*" in self.events or event in self.events


@dataclass
class _Job:
    target: WebhookTarget
    envelope: dict
    session: str


class WebhookDispatcher:
    """Posts envelopes to their targets. One worker thread per (session, url) keeps each session's
    events in order for each receiver; a failing receiver holds back only its own queue."""

    def __init__(self, *, timeout: float = 10.0, log_size: int = 500) -> None:
        self.timeout = timeout
        self._queues: dict[tuple[str, str], queue.Queue] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self.deliveries: deque[dict] = deque(maxlen=log_size)
        self.on_attempt: Callable[[dict], None] | None = None

    def dispatch(self, *, target: WebhookTarget, envelope: dict, session: str) -> None:
        key = (session, target.url)
        with self._lock:
            if self._stopping.is_set():
                return
            jobs = self._queues.get(key)
            if jobs is None:
                jobs = self._queues[key] = queue.Queue()
                thread = threading.Thread(
                    target=self._work, args=(jobs,), name=f"webhook {session}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._pending += 1
            jobs.put(_Job(target=target, envelope=envelope, session=session))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued delivery finished (delivered or given up)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def recent(self, limit: int = 100) -> list[dict]:
        with self._lock:
            return [dict(record) for record in list(self.deliveries)[-limit:]]

    def close(self) -> None:
        self._stopping.set()
        with self._lock:
            for jobs in self._queues.values():
                jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=2)

    def _work(self, jobs: queue.Queue) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            try:
                if not self._stopping.is_set():
                    self._deliver(job)
            except Exception:  # a bug here must not kill the session's queue
                logger.exception("webhook delivery crashed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, job: _Job) -> None:
        target, envelope = job.target, job.envelope
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        headers = webhook_headers(
            body=body,
            request_id=f"req_{ulid()}",
            timestamp_ms=int(time.time() * 1000),
            hmac_key=target.hmac_key,
            custom_headers=[{"name": n, "value": v} for n, v in target.custom_headers],
        )
        payload = envelope.get("payload") or {}
        record = {
            "requestId": headers["X-Webhook-Request-Id"],
            "eventId": envelope.get("id"),
            "event": envelope.get("event"),
            "detail": payload.get("status") or payload.get("ackName") or payload.get("id"),
            "session": job.session,
            "url": target.url,
            "attempts": 0,
            "status": None,
            "error": None,
            "delivered": False,
        }
        with self._lock:
            self.deliveries.append(record)
        pauses = target.retries.delays()
        for attempt in range(len(pauses) + 1):
            record["attempts"] = attempt + 1
            status, error = self._post(target.url, body, headers)
            record["status"], record["error"] = status, error
            if status is not None and 200 <= status < 300:
                record["delivered"] = True
                logger.info("webhook %s → %s %s", envelope.get("event"), target.url, status)
                return
            if status is not None and not retryable(status):
                logger.warning(
                    "webhook %s → %s refused with %s: not retried",
                    envelope.get("event"),
                    target.url,
                    status,
                )
                return
            logger.warning(
                "webhook %s → %s failed (attempt %d): %s",
                envelope.get("event"),
                target.url,
                attempt + 1,
                error or status,
            )
            if attempt < len(pauses) and self._stopping.wait(pauses[attempt]):
                return
        logger.error("webhook %s → %s: gave up", envelope.get("event"), target.url)

    def _post(self, url: str, body: bytes, headers: dict) -> tuple[int | None, str | None]:
        if not url.startswith(("http://", "https://")):
            return None, "only http(s) webhook URLs are supported"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
                return response.status, None
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code, None
        except (OSError, ValueError) as exc:
            return None, str(exc)
