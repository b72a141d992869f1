"""Requests and responses as the Store sees them, and the route table every front shares.

``area`` says how a route is guarded: ``api`` (Stripe's /v1: key, "down" mode, idempotency),
``sim`` (the simulator's own hooks, no key) and ``page`` (hosted pages a browser opens).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from simulators.stripe.errors import StripeError

if TYPE_CHECKING:
    from simulators.stripe.store import Store


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def form(self) -> dict[str, str]:
        """A browser form post (flat fields)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def json(self) -> dict:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise StripeError(400, f"Invalid JSON body: {exc}") from exc
        if not isinstance(data, dict):
            raise StripeError(400, "The JSON body must be an object")
        return data


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: object, status: int = 200) -> Response:
        body = json.dumps(data, indent=2, ensure_ascii=False).encode()
        return cls(status, body, {"Content-Type": "application/json"})

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def redirect(cls, location: str, status: int = 303) -> Response:
        return cls(status, b"", {"Location": location})


Handler = Callable[["Store", Request], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    area: str


ROUTES: list[Route] = []


def route(method: str, path: str, *, area: str):
    """Register a handler; ``{name}`` in ``path`` matches one path segment."""
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, pattern, handler, area))
        return handler

    return register


def find(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for ``method path``, its path parameters, and whether the path exists at all."""
    path_known = False
    for candidate in ROUTES:
        match = candidate.pattern.match(path)
        if match is None:
            continue
        path_known = True
        if candidate.method == method:
            return candidate, match.groupdict(), True
    return None, {}, path_known
