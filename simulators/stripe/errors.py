"""Stripe's error envelope: ``{"error": {"type", "code", "message", "param"}}``."""

from __future__ import annotations

DOCS = "https://stripe.com/docs/api"


class StripeError(Exception):
    """An API answer other than 2xx, with the body Stripe sends for it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self) -> dict:
        error: dict = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def missing(param: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def unknown(param: str) -> StripeError:
    return StripeError(
        400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def invalid(param: str, message: str, code: str = "parameter_invalid_string") -> StripeError:
    return StripeError(400, message, code=code, param=param)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def not_simulated(param: str) -> StripeError:
    """A real Stripe parameter whose effect this simulator does not reproduce."""
    return StripeError(
        400,
        f"The Stripe simulator does not implement the parameter `{param}` on this endpoint.",
        code="parameter_unknown",
        param=param,
    )


def card_declined(message: str, decline_code: str = "generic_decline") -> StripeError:
    return StripeError(
        402,
        message,
        type="card_error",
        code="card_declined",
        extra={"decline_code": decline_code},
    )
