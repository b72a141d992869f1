"""``POST /webhooks/waha/``: WAHA's events, verified, routed to their business, stored once."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from connections.crypto import SecretsError
from connections.models import Connection
from conversations.services import ack_apply, message_receive

from .models import Channel
from .services import connection_status_apply
from .waha import signing
from .waha.payloads import PayloadError, ack_update, incoming_message, parse_event, session_status

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


def _refuse(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"ok": False, "error": reason}, status=status)


def _fresh(request: HttpRequest) -> bool:
    """X-Webhook-Timestamp (unix ms) within the allowed age, either way."""
    raw = request.headers.get("X-Webhook-Timestamp", "")
    try:
        sent = int(raw) / 1000
    except ValueError:
        return False
    return abs(time.time() - sent) <= settings.WAHA_WEBHOOK_MAX_AGE_SECONDS


def _delivery_key(request: HttpRequest, event_id: str, session: str) -> str | None:
    key = request.headers.get("X-Webhook-Request-Id") or event_id
    return f"waha:delivery:{session}:{key}" if key else None


def _accepted_before(key: str | None) -> bool:
    """True for a replay of a request already processed (by request id or event id).

    Remembered in Redis only after processing succeeded, so a retry after our own failure
    is processed again. When Redis is down the check is skipped: the per-message
    uniqueness in the database still stores each message once.
    """
    if key is None:
        return False
    try:
        return cache.get(key) is not None
    except Exception:
        logger.warning("replay check skipped: cache unavailable", exc_info=True)
        return False


def _remember(key: str | None) -> None:
    if key is None:
        return
    try:
        cache.set(key, 1, settings.WAHA_WEBHOOK_MAX_AGE_SECONDS * 2)
    except Exception:
        logger.warning("delivery not remembered: cache unavailable", exc_info=True)


@csrf_exempt
@require_POST
def waha_webhook(request: HttpRequest) -> JsonResponse:
    body = request.body
    try:
        event = parse_event(body)
    except PayloadError:
        return _refuse(400, "malformed")
    found = _routing(event.session)
    if found is None:
        return _refuse(404, "unknown session")
    connection, key = found
    signature = request.headers.get("X-Webhook-Hmac")
    if not signing.verify(body, key, signature):
        found = _routing(event.session, fresh=True)  # the key may have just changed
        if found is None or not signing.verify(body, found[1], signature):
            return _refuse(401, "bad signature")
        connection, key = found
    if not _fresh(request):
        return _refuse(401, "stale or missing timestamp")
    key = _delivery_key(request, event.id, event.session)
    if _accepted_before(key):
        return JsonResponse({"ok": True, "duplicate": True})
    try:
        response = _dispatch(connection, event)
    except PayloadError as error:
        # Signed by WAHA, so sending it again will not help: acknowledge and keep a trace.
        logger.warning("WAHA %s event of %s ignored: %s", event.event, event.session, error.message)
        response = JsonResponse({"ok": True, "ignored": "incomplete payload"})
    _remember(key)
    return response


def _dispatch(connection: Connection, event) -> JsonResponse:
    with tenant_context(connection.business):
        channel = Channel.objects.filter(connection_id=connection.pk).order_by().first()
        if channel is None:
            return JsonResponse({"ok": True, "ignored": "no channel"})
        channel.connection = connection
        if (incoming := incoming_message(event)) is not None:
            stored = message_receive(channel=channel, incoming=incoming)
            return JsonResponse({"ok": True, "stored": stored.created})
        if (ack := ack_update(event)) is not None:
            return JsonResponse({"ok": True, "updated": ack_apply(channel=channel, ack=ack)})
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
            return JsonResponse({"ok": True})
    return JsonResponse({"ok": True, "ignored": event.event})


def _account_refresh_queue(connection_id: int) -> None:
    from .tasks import account_refresh_task

    try:
        account_refresh_task.delay(connection_id)
    except Exception:
        logger.warning("could not queue the account refresh", exc_info=True)
