"""Structured JSON logs that carry the business schema and the request id."""

from __future__ import annotations

import contextvars
import json
import logging
import uuid
from datetime import UTC, datetime

from django.db import connection

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    """Adds `schema` (the business schema in use) and `request_id` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.schema = getattr(connection, "schema_name", "public")
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "schema": getattr(record, "schema", None),
            "request_id": getattr(record, "request_id", "") or None,
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in payload:
                payload[key] = value if isinstance(value, (str, int, float, bool)) else repr(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when a proxy sets one) for the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response
