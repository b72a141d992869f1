"""ASGI entry point served by daphne: HTTP, and the websockets of live chat and the web chat."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from channels_app.ingest import handles as waha_webhook_path  # noqa: E402
from channels_app.ingest import waha_ingest  # noqa: E402
from conversations.consumers import StaffConsumer  # noqa: E402
from managers.consumers import websocket_urlpatterns as manager_chat_websockets  # noqa: E402
from tenants.websockets import TenantWebsocketMiddleware  # noqa: E402
from webchat.consumers import VisitorConsumer  # noqa: E402


async def http_app(scope, receive, send):
    """WAHA's webhooks go straight to the ingest; every other request to Django."""
    if waha_webhook_path(scope):
        await waha_ingest(scope, receive, send)
    else:
        await django_asgi_app(scope, receive, send)


websocket_app = TenantWebsocketMiddleware(
    URLRouter(
        [
            # Staff: session cookie of the business's host; pages of other sites are refused.
            path(
                "ws/live/",
                AllowedHostsOriginValidator(AuthMiddlewareStack(StaffConsumer.as_asgi())),
            ),
            # Visitors of a business's website: the widget checks the channel's own origins.
            path("ws/widget/<str:key>/", VisitorConsumer.as_asgi()),
            # The chat between a business and its manager (each socket checks its page's origin).
            *manager_chat_websockets,
        ]
    )
)

application = ProtocolTypeRouter({"http": http_app, "websocket": websocket_app})
