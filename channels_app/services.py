"""Connecting a company's WhatsApp through WAHA, following its session, disconnecting.

Public-schema connections are written here together with the business-schema channel
that binds them to a company; call these inside the business's schema (a request on its
host, or ``tenant_context``).
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.entitlements import BillingRestricted, require_connect
from connections.models import Connection, ConnectionEvent
from tenants.companies.models import Company
from tenants.errors import ApplicationError
from tenants.models import Business, public_url

from .models import Channel
from .waha.client import QrCode, WahaClient, WahaError, WahaUnavailable

logger = logging.getLogger(__name__)

WAHA_EVENTS = ("message", "message.ack", "session.status")
#: WAHA repeats a webhook with the same timestamp; these retries (2, 4, ... 64 s: about two
#: minutes in all) end well within WAHA_WEBHOOK_MAX_AGE_SECONDS, so none is refused as stale.
WEBHOOK_RETRIES = {"retries_attempts": 7, "retries_delay": 2, "retries_policy": "exponential"}
#: WAHA session status -> our connection status.
SESSION_STATUSES = {
    "STARTING": Connection.Status.CONNECTING,
    "SCAN_QR_CODE": Connection.Status.CONNECTING,
    "PASSKEY_REQUIRED": Connection.Status.CONNECTING,
    "PASSKEY_CONFIRMATION_REQUIRED": Connection.Status.CONNECTING,
    "WORKING": Connection.Status.CONNECTED,
    "FAILED": Connection.Status.ERROR,
    "STOPPED": Connection.Status.ERROR,
}


class ChannelError(ApplicationError):
    pass


class ChannelErrorCode:
    LIMIT = "limit"
    PROVIDER = "provider"
    NOT_CONNECTING = "not_connecting"


def waha_client() -> WahaClient:
    """The process's WAHA client (thread-safe; reuses its connections)."""
    return _client(settings.WAHA_URL, settings.WAHA_API_KEY, settings.WAHA_TIMEOUT)


@functools.lru_cache(maxsize=4)
def _client(url: str, api_key: str, timeout: float) -> WahaClient:
    return WahaClient(url, api_key, timeout=timeout)


def waha_webhook_url() -> str:
    return settings.WAHA_WEBHOOK_URL or public_url("/webhooks/waha/")


def current_business() -> Business:
    return Business.objects.get(schema_name=db_connection.schema_name)


def channel_limit(business: Business) -> int | None:
    """Channels a business may have connected now (None: unlimited), from its plan."""
    from billing.entitlements import entitlements_for

    return entitlements_for(business).channels_allowed


def channels_in_use(business: Business) -> int:
    """Channels counted against the plan's limit: linked messaging accounts. The web chat
    is not one (it needs no external account), so it is free on every plan."""
    return (
        Connection.objects.filter(business=business)
        .exclude(status=Connection.Status.DISCONNECTED)
        .exclude(platform=Connection.Platform.WEBCHAT)
        .count()
    )


def _provider_error(error: WahaError) -> ChannelError:
    if isinstance(error, WahaUnavailable):
        message = _(
            "WhatsApp service is not reachable right now. Nothing was lost; try again in a minute."
        )
    else:
        message = _("WhatsApp service refused the request: %(reason)s") % {"reason": error.message}
    return ChannelError(ChannelErrorCode.PROVIDER, message)


def _event(connection: Connection, kind: str, detail: str, *, ok: bool = True) -> None:
    ConnectionEvent.objects.create(connection=connection, kind=kind, detail=detail[:500], ok=ok)


def whatsapp_connect(*, company: Company) -> Channel:
    """Create the WAHA session of a new WhatsApp channel and start it (a QR code follows).

    The session name maps to exactly one connection; its webhooks are signed with a key of
    its own. The connection is committed before WAHA is asked, because WAHA posts the
    session's first status while the request is still open. If WAHA cannot be reached
    nothing is kept and the user is told to try again.
    """
    business = current_business()
    with transaction.atomic():
        # One connect at a time per business, so two clicks cannot pass the limit together.
        Business.objects.select_for_update().filter(pk=business.pk).exists()
        try:
            require_connect(business, used=channels_in_use(business))
        except BillingRestricted as error:
            raise ChannelError(ChannelErrorCode.LIMIT, error.message) from error
        name = f"{business.slug}-{secrets.token_hex(4)}"
        hmac_key = secrets.token_urlsafe(32)
        connection = Connection(
            business=business,
            platform=Connection.Platform.WHATSAPP,
            external_id=name,
            status=Connection.Status.CONNECTING,
            status_changed_at=timezone.now(),
        )
        connection.secrets_set({"hmac_key": hmac_key})
        connection.save()
        channel = Channel.objects.create(
            company=company, connection=connection, platform=Connection.Platform.WHATSAPP
        )
    try:
        waha_client().session_create(
            name=name,
            webhook_url=waha_webhook_url(),
            hmac_key=hmac_key,
            events=WAHA_EVENTS,
            metadata={"business": business.slug, "company": company.code},
            **WEBHOOK_RETRIES,
        )
    except WahaError as error:
        logger.warning("WAHA session create failed: %s", error.code)
        with transaction.atomic():
            channel.delete()
            connection.delete()
        raise _provider_error(error) from error
    _event(connection, ConnectionEvent.Kind.STATUS, "session created")
    return channel


def whatsapp_qr(*, channel: Channel) -> QrCode | None:
    """The QR code to scan while the session waits for it; ``None`` once connected."""
    connection = channel.connection
    if connection.status != Connection.Status.CONNECTING:
        return None
    try:
        return waha_client().qr(name=connection.external_id)
    except WahaError as error:
        if error.code in ("not_found", "bad_request", "conflict"):
            # WAHA answers 422 while the session is not waiting for a scan (starting, or
            # linked already): nothing to show yet, the page asks again.
            return None
        raise _provider_error(error) from error


def whatsapp_pairing_code(*, channel: Channel, phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 8:
        raise ChannelError(
            ChannelErrorCode.NOT_CONNECTING, _("Enter the phone number with its country code.")
        )
    try:
        return waha_client().request_code(name=channel.connection.external_id, phone_number=digits)
    except WahaError as error:
        raise _provider_error(error) from error


@dataclass(frozen=True)
class StatusChange:
    connection: Connection
    changed: bool


def connection_status_apply(
    *, connection: Connection, provider_status: str, account_id: str = "", account_name: str = ""
) -> StatusChange:
    """Record a WAHA session status (from a webhook or a health check)."""
    status = SESSION_STATUSES.get(provider_status, connection.status)
    if connection.status == Connection.Status.DISCONNECTED:
        return StatusChange(connection, False)  # late events of a session we let go
    changed = status != connection.status or provider_status != connection.provider_status
    now = timezone.now()
    updates = {"provider_status": provider_status, "status": status}
    if status == Connection.Status.CONNECTED:
        updates.update(last_error="", error_count=0)
        if connection.status != Connection.Status.CONNECTED:
            updates["connected_at"] = now
        if account_id:
            updates["account_id"] = account_id
        if account_name:
            updates["account_name"] = account_name
    elif status == Connection.Status.ERROR:
        updates["last_error"] = _("WhatsApp session stopped (%(status)s).") % {
            "status": provider_status
        }
    if changed:
        updates["status_changed_at"] = now
        _event(connection, ConnectionEvent.Kind.STATUS, provider_status)
    for field, value in updates.items():
        setattr(connection, field, value)
    connection.save(update_fields=[*updates, "updated_at"])
    return StatusChange(connection, changed)


def whatsapp_account_refresh(*, connection: Connection) -> None:
    """Fill in the linked account's number and name (``/me``) after it connects."""
    try:
        me = waha_client().me(name=connection.external_id)
    except WahaError:
        return
    if me:
        connection.account_id = me.get("id", "") or connection.account_id
        connection.account_name = me.get("pushName", "") or connection.account_name
        connection.save(update_fields=["account_id", "account_name", "updated_at"])


def whatsapp_disconnect(*, channel: Channel) -> None:
    """Log out and delete the WAHA session; the conversations stay for the record."""
    connection = channel.connection
    try:
        waha_client().session_delete(name=connection.external_id)
    except WahaUnavailable as error:
        raise _provider_error(error) from error
    except WahaError:
        pass  # already gone at WAHA
    connection.status = Connection.Status.DISCONNECTED
    connection.provider_status = ""
    connection.status_changed_at = timezone.now()
    connection.save(update_fields=["status", "provider_status", "status_changed_at", "updated_at"])
    _event(connection, ConnectionEvent.Kind.STATUS, "disconnected by the owner")


def whatsapp_reconnect(*, channel: Channel) -> None:
    """Start over with a new QR code: log the session out and start it again."""
    connection = channel.connection
    client = waha_client()
    try:
        try:
            client.session_logout(name=connection.external_id)
        except WahaError as error:
            if error.code != "not_found":
                raise
            client.session_create(
                name=connection.external_id,
                webhook_url=waha_webhook_url(),
                hmac_key=connection.secrets["hmac_key"],
                events=WAHA_EVENTS,
                **WEBHOOK_RETRIES,
            )
        client.session_start(name=connection.external_id)
    except WahaError as error:
        raise _provider_error(error) from error
    connection.status = Connection.Status.CONNECTING
    connection.provider_status = "STARTING"
    connection.status_changed_at = timezone.now()
    connection.save(update_fields=["status", "provider_status", "status_changed_at", "updated_at"])
    _event(connection, ConnectionEvent.Kind.RESTART, "reconnect requested by the owner")


def whatsapp_health_check(*, connection: Connection) -> None:
    """Ask WAHA how the session is; restart it when it failed or stopped; record the attempt."""
    client = waha_client()
    now = timezone.now()
    try:
        info = client.session_get(name=connection.external_id)
    except WahaError as error:
        connection.error_count += 1
        connection.last_error = error.message[:500]
        connection.checked_at = now
        if error.code == "not_found":
            connection.status = Connection.Status.ERROR
        connection.save(
            update_fields=["error_count", "last_error", "checked_at", "status", "updated_at"]
        )
        _event(connection, ConnectionEvent.Kind.CHECK, error.message, ok=False)
        return
    provider_status = info.get("status", "")
    me = info.get("me") or {}
    connection_status_apply(
        connection=connection,
        provider_status=provider_status,
        account_id=me.get("id", ""),
        account_name=me.get("pushName", ""),
    )
    Connection.objects.filter(pk=connection.pk).update(checked_at=now)
    if provider_status in ("FAILED", "STOPPED"):
        try:
            client.session_restart(name=connection.external_id)
        except WahaError as error:
            connection.error_count += 1
            connection.save(update_fields=["error_count", "updated_at"])
            _event(connection, ConnectionEvent.Kind.RESTART, error.message, ok=False)
        else:
            _event(connection, ConnectionEvent.Kind.RESTART, f"restarted after {provider_status}")
