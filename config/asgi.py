"""ASGI entry point served by daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from channels_app.ingest import handles as waha_webhook_path  # noqa: E402
from channels_app.ingest import waha_ingest  # noqa: E402


async def http_app(scope, receive, send):
    """WAHA's webhooks go straight to the ingest; every other request to Django."""
    if waha_webhook_path(scope):
        await waha_ingest(scope, receive, send)
    else:
        await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter({"http": http_app})
