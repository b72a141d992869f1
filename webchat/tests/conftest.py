"""Fixtures of the web chat tests: a widget of business A's company, API helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from tenants.companies.models import Company
from tenants.models import Business
from webchat.services import webchat_enable, widget_settings_update

SHOP = "https://shop.example"


@dataclass
class WidgetFixture:
    business: Business
    channel: Channel

    @property
    def key(self) -> str:
        return self.channel.connection.external_id

    def configure(self, **changes) -> None:
        with tenant_context(self.business):
            current = (
                Channel.objects.select_related("widget", "connection")
                .get(pk=self.channel.pk)
                .widget
            )
            values = {
                "enabled": current.enabled,
                "title": current.title,
                "greeting": current.greeting,
                "accent_color": current.accent_color,
                "allowed_origins": current.allowed_origins,
                **changes,
            }
            widget_settings_update(widget_settings=current, **values)


@pytest.fixture
def widget(business_a) -> WidgetFixture:
    """Company "Alpha Shop Main" of business A with its web chat on (rolled back after)."""
    with tenant_context(business_a):
        company = Company.objects.get(name="Alpha Shop Main")
        channel = webchat_enable(company=company)
    return WidgetFixture(business_a, channel)


class Api:
    """The widget's calls, as a browser on ``origin`` makes them."""

    def __init__(self, client, key: str, origin: str | None = SHOP):
        self.client, self.key, self.origin = client, key, origin

    def _headers(self, origin) -> dict:
        origin = self.origin if origin is ... else origin
        return {"HTTP_ORIGIN": origin} if origin else {}

    def post(self, path: str, body, *, origin=..., **extra):
        payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(
            f"/widget/api/{self.key}/{path}",
            data=payload,
            content_type="application/json",
            **self._headers(origin),
            **extra,
        )

    def get(self, path: str, params: dict, *, origin=...):
        return self.client.get(f"/widget/api/{self.key}/{path}", params, **self._headers(origin))

    def session(self, **body) -> str:
        response = self.post("session", body)
        assert response.status_code in (200, 201), response.content
        return response.json()["token"]

    def send(self, token: str, text: str, client_id: str, **extra):
        return self.post(
            "messages", {"token": token, "text": text, "client_id": client_id}, **extra
        )

    def history(self, token: str, after: int = 0):
        return self.get("messages", {"token": token, "after": after})


@pytest.fixture
def api(public_client, widget) -> Api:
    return Api(public_client, widget.key)
