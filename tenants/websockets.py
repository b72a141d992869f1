"""Websockets get their business from the Host header, as portal pages do.

``TenantMainMiddleware`` never sees a websocket, so this ASGI middleware looks the host up
in the same domain table and puts the business in ``scope["tenant"]``. An unknown host is
refused before any consumer runs. Consumers run their queries inside
``tenant_context(scope["tenant"])``.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django_tenants.utils import get_tenant_domain_model, remove_www


def host_of(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return remove_www(value.decode("latin-1").split(":")[0].lower())
    return ""


@database_sync_to_async
def business_for_host(host: str):
    domain = get_tenant_domain_model().objects.select_related("tenant").filter(domain=host).first()
    return domain.tenant if domain else None


class TenantWebsocketMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        business = await business_for_host(host_of(scope))
        if business is None:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4404})
            return None
        return await self.app({**scope, "tenant": business}, receive, send)
