"""The platform's one door to Stripe: its key, its timeouts, and Stripe's errors in our words.

The product always talks to the real Stripe API through the ``stripe`` library. In
development ``STRIPE_API_BASE`` may point it at the local simulator (``simulators.stripe``);
tests answer the same HTTP calls from the simulator's store.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from tenants.errors import ApplicationError

logger = logging.getLogger(__name__)
T = TypeVar("T")


class BillingErrorCode(enum.StrEnum):
    NOT_CONFIGURED = "not_configured"
    UNAVAILABLE = "stripe_unavailable"
    REFUSED = "stripe_refused"
    NOT_FOR_SALE = "not_for_sale"
    CHOOSE_CHANNELS = "choose_channels"
    NO_SUBSCRIPTION = "no_subscription"
    HAS_SUBSCRIPTION = "has_subscription"


class BillingError(ApplicationError):
    """Something the person can act on (a refused change, an unknown plan)."""


class BillingUnavailable(BillingError):
    """Stripe could not be asked; nothing changed and the action can be tried again."""


class BillingNotConfigured(BillingError):
    pass


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def api_key() -> str:
    if not configured():
        raise BillingNotConfigured(
            BillingErrorCode.NOT_CONFIGURED,
            _("Online payment is not configured on this platform yet."),
        )
    return settings.STRIPE_SECRET_KEY


def http_client_configure() -> None:
    """Bound every Stripe call in time, so a slow Stripe cannot hold a web process."""
    stripe.default_http_client = stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT)
    stripe.max_network_retries = 1
    if getattr(settings, "STRIPE_API_HOST", ""):
        stripe.api_base = settings.STRIPE_API_HOST


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``function`` (a ``stripe`` API method) with the platform's key, in our errors."""
    kwargs.setdefault("api_key", api_key())
    try:
        return function(*args, **kwargs)
    except stripe.StripeError as error:
        raise error_translate(error) from error


def error_translate(error: stripe.StripeError) -> BillingError:
    """Stripe's failure in words a business owner can act on."""
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        logger.warning("stripe unreachable: %s", error)
        return BillingUnavailable(
            BillingErrorCode.UNAVAILABLE,
            _("Stripe cannot be reached right now. Nothing was charged; try again in a minute."),
        )
    if isinstance(error, stripe.AuthenticationError):
        logger.error("stripe refused the platform's key: %s", error)
        return BillingUnavailable(
            BillingErrorCode.UNAVAILABLE,
            _("Online payment is misconfigured on the platform; our team has been told."),
        )
    if isinstance(error, stripe.InvalidRequestError):
        logger.warning("stripe refused a request: %s", error)
        return BillingError(
            BillingErrorCode.REFUSED,
            _("Stripe refused the request: %(reason)s") % {"reason": error.user_message or error},
        )
    logger.warning("stripe error: %s", error)  # 5xx and anything else Stripe answers
    return BillingUnavailable(
        BillingErrorCode.UNAVAILABLE,
        _("Stripe had a problem answering. Nothing was charged; try again in a minute."),
    )
