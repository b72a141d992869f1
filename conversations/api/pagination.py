"""Pages of the API's lists: conversations newest first, messages by id."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param


class MessagePagination(CursorPagination):
    """Oldest first by id: a client that saw message N asks for ``?after=N``."""

    ordering = "id"


class RecentFirstPagination(BasePagination):
    """Conversations by the time of their last message (newest first, then id), as a cursor.

    DRF's cursor pagination keys on the first ordering field alone and cannot place a
    conversation without messages yet (no time). This one keys on the pair, with those
    last, so every page is one range scan of the ``conversation_recent`` index.
    """

    cursor_query_param = "cursor"
    page_size = api_settings.PAGE_SIZE
    invalid_cursor_message = _("Invalid cursor")

    # The order, and the positions after (older) and before (newer) a conversation.

    @staticmethod
    def _forward(queryset: QuerySet) -> QuerySet:
        return queryset.order_by(F("last_message_at").desc(nulls_last=True), "-id")

    @staticmethod
    def _backward(queryset: QuerySet) -> QuerySet:
        return queryset.order_by(F("last_message_at").asc(nulls_first=True), "id")

    @staticmethod
    def _after(at: datetime | None, pk: int) -> Q:
        if at is None:
            return Q(last_message_at__isnull=True, id__lt=pk)
        return (
            Q(last_message_at__lt=at)
            | Q(last_message_at=at, id__lt=pk)
            | Q(last_message_at__isnull=True)
        )

    @staticmethod
    def _before(at: datetime | None, pk: int) -> Q:
        if at is None:
            return Q(last_message_at__isnull=False) | Q(last_message_at__isnull=True, id__gt=pk)
        return Q(last_message_at__gt=at) | Q(last_message_at=at, id__gt=pk)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.base_url = request.build_absolute_uri()
        cursor = self._cursor_decode(request.query_params.get(self.cursor_query_param))
        if cursor is None:
            rows = list(self._forward(queryset)[: self.page_size + 1])
            backward, more_before = False, False
        else:
            at, pk, backward = cursor
            if backward:
                rows = list(
                    self._backward(queryset.filter(self._before(at, pk)))[: self.page_size + 1]
                )
            else:
                rows = list(
                    self._forward(queryset.filter(self._after(at, pk)))[: self.page_size + 1]
                )
            more_before = True
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backward:
            rows.reverse()
            # A page reached backwards: something is always after it, and more before it
            # only if the query found one row too many.
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, more_before
        self.page = rows
        return rows

    def get_paginated_response(self, data):
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        last = self.page[-1]
        return self._link(last.last_message_at, last.pk, backward=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.page:
            return remove_query_param(self.base_url, self.cursor_query_param)
        first = self.page[0]
        return self._link(first.last_message_at, first.pk, backward=True)

    def _link(self, at: datetime | None, pk: int, *, backward: bool) -> str:
        token = json.dumps({"t": at.isoformat() if at else None, "i": pk, "b": backward})
        encoded = base64.urlsafe_b64encode(token.encode()).decode()
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def _cursor_decode(self, encoded: str | None):
        if not encoded:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(encoded.encode()))
            pk = int(data["i"])
            at = parse_datetime(data["t"]) if data["t"] is not None else None
            if data["t"] is not None and at is None:
                raise ValueError(data["t"])
            return at, pk, bool(data["b"])
        except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as error:
            raise NotFound(self.invalid_cursor_message) from error

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The pagination cursor value.",
                "schema": {"type": "string"},
            }
        ]
