"""Periodic work on channels."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from config.celery import app
from connections.models import Connection

from .services import whatsapp_account_refresh, whatsapp_health_check


@app.task(name="channels.health_check", ignore_result=True)
def health_check_task() -> int:
    """From the public schema: check every WhatsApp session, restart failed ones."""
    checked = 0
    connections = (
        Connection.objects.select_related("business")
        .filter(platform=Connection.Platform.WHATSAPP)
        .exclude(status=Connection.Status.DISCONNECTED)
    )
    for connection in connections:
        with tenant_context(connection.business):
            whatsapp_health_check(connection=connection)
        checked += 1
    return checked


@app.task(name="channels.account_refresh", ignore_result=True)
def account_refresh_task(connection_id: int) -> None:
    """Fill in a newly linked WhatsApp account's number and name."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is not None:
        whatsapp_account_refresh(connection=connection)


@app.task(name="channels.inbox_drain", ignore_result=True)
def inbox_drain_task() -> int:
    """Apply the webhooks kept in the inbox (queued on arrival; the beat runs it too)."""
    from .inbox import inbox_drain, inbox_drain_started

    inbox_drain_started()
    return inbox_drain()
