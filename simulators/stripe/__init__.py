"""A local Stripe simulator speaking Stripe's v1 HTTP API as the ``stripe`` library sends it.

Run it with ``python -m simulators.stripe --port 12111 --api-key sk_test_sim``; in tests use
``Store`` in-process (``responses_adapter.install``) or ``StripeSimServer(port=0).start()``.
See ``simulators/stripe/README.md``.
"""

from simulators.stripe.server import StripeSimServer
from simulators.stripe.signing import sign, signature, verify, webhook_request
from simulators.stripe.store import Store
from simulators.stripe.webhooks import WebhookEndpoint

__all__ = [
    "Store",
    "StripeSimServer",
    "WebhookEndpoint",
    "sign",
    "signature",
    "verify",
    "webhook_request",
]
