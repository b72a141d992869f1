from __future__ import annotations

import enum

from tenants.errors import ApplicationError


class AccountsErrorCode(enum.StrEnum):
    EMAIL_TAKEN = "email_taken"
    CODE_INVALID = "code_invalid"
    CODE_EXPIRED = "code_expired"
    CODE_TOO_MANY_ATTEMPTS = "code_too_many_attempts"
    RATE_LIMITED = "rate_limited"
    HANDOFF_INVALID = "handoff_invalid"


class AccountsError(ApplicationError):
    code: AccountsErrorCode
