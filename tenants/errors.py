"""Errors raised by the tenants services, with codes the views map to messages."""

from __future__ import annotations

import enum


class TenantsErrorCode(enum.StrEnum):
    TEMPLATE_MISSING = "template_missing"
    SLUG_INVALID = "slug_invalid"
    SLUG_RESERVED = "slug_reserved"
    SLUG_TAKEN = "slug_taken"


class TenantsError(Exception):
    def __init__(self, code: TenantsErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
