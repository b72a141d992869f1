"""``POST /webhooks/waha/``: WAHA's deliveries verified and kept; their events applied later."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from connections.crypto import SecretsError
from connections.models import Connection
from conversations.services import ack_apply, message_receive

from .inbox import dedupe_key, inbox_kick, inbox_store
from .models import Channel
from .services import connection_status_apply
from .waha import signing
from .waha.payloads import (
    PayloadError,
    WahaEvent,
    ack_update,
    incoming_message,
    parse_event,
    session_status,
)

logger = logging.getLogger(__name__)


#: session -> (loaded at, connection, HMAC key): each webhook would otherwise look the
#: connection up and decrypt its key again. Kept briefly; a wrong signature looks again.
_ROUTES: dict[str, tuple[float, Connection, str]] = {}
_ROUTES_LOCK = threading.Lock()
ROUTE_TTL_SECONDS = 30.0


def _routing(session: str, *, fresh: bool = False) -> tuple[Connection, str] | None:
    now = time.monotonic()
    cached = _ROUTES.get(session)
    if cached is not None and not fresh and now - cached[0] < ROUTE_TTL_SECONDS:
        return cached[1], cached[2]
    connection = (
        Connection.objects.select_related("business")
        .filter(platform=Connection.Platform.WHATSAPP, external_id=session)
        .first()
    )
    if connection is None:
        with _ROUTES_LOCK:
            _ROUTES.pop(session, None)
        return None
    try:
        key = connection.secrets.get("hmac_key", "")
    except SecretsError:
        logger.error("secrets of connection %s cannot be decrypted", connection.pk)
        key = ""
    with _ROUTES_LOCK:
        _ROUTES[session] = (now, connection, key)
    return connection, key


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def _refuse(status: int, reason: str) -> Answer:
    return Answer(status, {"ok": False, "error": reason})


def _fresh(raw_timestamp: str) -> bool:
    """X-Webhook-Timestamp (unix ms) within the allowed age, either way."""
    try:
        sent = int(raw_timestamp) / 1000
    except ValueError:
        return False
    return abs(time.time() - sent) <= settings.WAHA_WEBHOOK_MAX_AGE_SECONDS


def receive_delivery(body: bytes, headers: Mapping[str, str]) -> Answer:
    """Verify one WAHA delivery and keep it in the inbox; the worker processes it.

    ``headers`` are lower-cased names. Refused: malformed (400), unknown session (404),
    missing or wrong HMAC, stale or missing timestamp (401). A repeated delivery (the
    same message id, or the same delivery id) is answered 200 and kept once.
    """
    try:
        event = parse_event(body)
    except PayloadError:
        return _refuse(400, "malformed")
    found = _routing(event.session)
    if found is None:
        return _refuse(404, "unknown session")
    connection, key = found
    signature = headers.get("x-webhook-hmac")
    if not signing.verify(body, key, signature):
        found = _routing(event.session, fresh=True)  # the key may have just changed
        if found is None or not signing.verify(body, found[1], signature):
            return _refuse(401, "bad signature")
        connection, key = found
    if not _fresh(headers.get("x-webhook-timestamp", "")):
        return _refuse(401, "stale or missing timestamp")
    created = inbox_store(
        connection_id=connection.pk,
        key=dedupe_key(event, headers.get("x-webhook-request-id", ""), body),
        event=event.event,
        body=body,
    )
    if created:
        inbox_kick()
    return Answer(200, {"ok": True, "queued": created})


@csrf_exempt
@require_POST
def waha_webhook(request: HttpRequest) -> JsonResponse:
    """The webhook through Django (WSGI, tests); under ASGI ``ingest`` answers it first."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    answer = receive_delivery(request.body, headers)
    return JsonResponse(answer.body, status=answer.status)


def dispatch(connection: Connection, event: WahaEvent) -> dict:
    """Apply one verified event in its business: store a message, an ack, a status."""
    with tenant_context(connection.business):
        channel = Channel.objects.filter(connection_id=connection.pk).order_by().first()
        if channel is None:
            return {"ignored": "no channel"}
        channel.connection = connection
        if (incoming := incoming_message(event)) is not None:
            stored = message_receive(channel=channel, incoming=incoming)
            return {"stored": stored.created}
        if (ack := ack_update(event)) is not None:
            return {"updated": ack_apply(channel=channel, ack=ack)}
        if (status := session_status(event)) is not None:
            connection = Connection.objects.get(pk=connection.pk)  # its status, not the cache's
            change = connection_status_apply(
                connection=connection,
                provider_status=status.status,
                account_id=status.me_id or "",
                account_name=status.me_push_name or "",
            )
            connected = change.changed and connection.status == Connection.Status.CONNECTED
            if connected and not connection.account_id:
                transaction.on_commit(lambda: _account_refresh_queue(connection.pk))
            return {"status": connection.status}
    return {"ignored": event.event}


def _account_refresh_queue(connection_id: int) -> None:
    from .tasks import account_refresh_task

    try:
        account_refresh_task.delay(connection_id)
    except Exception:
        logger.warning("could not queue the account refresh", exc_info=True)
