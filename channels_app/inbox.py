"""WAHA's webhooks are kept in an inbox when they arrive and processed by the worker.

Answering WAHA needs only a verified signature and one INSERT; storing the message in its
business (contact, conversation, turn) happens in ``inbox_drain``, in batches, off the
request. A delivery is kept once: by its message id, or by its delivery id otherwise.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from connections.models import InboundEvent

from .waha.payloads import PayloadError, WahaEvent, parse_event

logger = logging.getLogger(__name__)

#: Deliveries applied per transaction: small, so each one shows live soon after it came.
DRAIN_BATCH = 20
MAX_ATTEMPTS = 5
KICK_KEY = "waha:inbox:drain-queued"
#: A queued drain that never started (its worker died) stops blocking kicks after this.
KICK_SECONDS = 30

INSERT_SQL = (
    "INSERT INTO public.connections_inboundevent "
    "(connection_id, dedupe_key, event, body, received_at, attempts, last_error) "
    "VALUES (%s, %s, %s, %s, now(), 0, '') "
    "ON CONFLICT (connection_id, dedupe_key) DO NOTHING"
)


def dedupe_key(event: WahaEvent, request_id: str, body: bytes) -> str:
    """The message's id for a message event; the delivery's id (or the body's hash) else."""
    if event.event == "message":
        message_id = event.payload.get("id")
        if isinstance(message_id, dict):
            message_id = message_id.get("_serialized")
        if isinstance(message_id, str) and message_id:
            return f"msg:{message_id}"[:300]
    if request_id:
        return f"req:{request_id}"[:300]
    if event.id:
        return f"evt:{event.id}"[:300]
    return f"sha:{hashlib.sha256(body).hexdigest()}"


def inbox_store(*, connection_id: int, key: str, event: str, body: bytes) -> bool:
    """Keep an accepted delivery (public schema); False when it was kept before."""
    with db_connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, [connection_id, key, event[:60], body])
        return cursor.rowcount == 1


def inbox_kick() -> None:
    """Have the worker drain the inbox now: one queued task for many deliveries.

    ``KICK_KEY`` says a drain is queued and has not started; the drain clears it before it
    reads the inbox (see ``inbox_drain_started``), so a delivery stored after that read
    queues the next one and none waits for the beat's sweep. The key expires by itself if
    a worker dies holding it.
    """
    from .tasks import inbox_drain_task

    try:
        if cache.add(KICK_KEY, 1, timeout=KICK_SECONDS):
            inbox_drain_task.apply_async()
    except Exception:
        logger.warning("could not queue the inbox drain", exc_info=True)


def inbox_drain_started() -> None:
    """Deliveries stored from now on queue another drain (this one may not see them)."""
    try:
        cache.delete(KICK_KEY)
    except Exception:  # noqa: BLE001 - without Redis the beat's sweep still drains
        logger.info("inbox kick flag not cleared")


def inbox_drain(*, limit: int = DRAIN_BATCH) -> int:
    """Process waiting deliveries in their businesses, oldest first; return how many."""

    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                InboundEvent.objects.select_for_update(skip_locked=True)
                .select_related("connection__business")
                .filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
                .order_by("id")[:limit]
            )
            for item in batch:
                _process(item)
        done += len(batch)
        if len(batch) < limit:
            return done


def _process(item: InboundEvent) -> None:
    from .webhooks import dispatch

    item.attempts += 1
    try:
        with transaction.atomic():
            dispatch(item.connection, parse_event(bytes(item.body)))
    except PayloadError as error:
        item.last_error = error.message  # signed by WAHA but unusable: keep it, don't retry
        item.processed_at = timezone.now()
    except Exception as error:
        logger.exception("inbound event %s failed", item.pk)
        item.last_error = f"{type(error).__name__}: {error}"[:1000]
    else:
        item.processed_at = timezone.now()
        item.last_error = ""
    finally:
        db_connection.set_schema_to_public()
    item.save(update_fields=["attempts", "processed_at", "last_error"])


def inbox_waiting() -> int:
    return InboundEvent.objects.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS).count()
