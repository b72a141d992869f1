"""Errors raised by services, with codes the views map to messages."""

from __future__ import annotations

import enum


class ApplicationError(Exception):
    """Base of every app's service error: a machine-readable code and a message for people."""

    def __init__(self, code: enum.StrEnum, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TenantsErrorCode(enum.StrEnum):
    TEMPLATE_MISSING = "template_missing"
    SLUG_INVALID = "slug_invalid"
    SLUG_RESERVED = "slug_reserved"
    SLUG_TAKEN = "slug_taken"


class TenantsError(ApplicationError):
    code: TenantsErrorCode
