"""Stripe's webhook events, after dj-stripe has verified, recorded and synced them.

dj-stripe keeps each event id once (a replay is acknowledged and ignored) and re-reads the
event's object from Stripe before these run; the business's state is then set from the
subscription as Stripe has it now, so events arriving late or out of order cannot set an
old state. Events about customers no business owns are acknowledged and change nothing.
"""

from __future__ import annotations

import logging

from djstripe.signals import WEBHOOK_SIGNALS

from . import services
from .models import BillingAccount

logger = logging.getLogger(__name__)


def _subscription_now(subscription_id: str) -> dict | None:
    """The subscription as dj-stripe just read it from Stripe, else read it now."""
    from djstripe.models import Subscription

    synced = Subscription.objects.filter(id=subscription_id).values_list("stripe_data", flat=True)
    data = synced.first()
    if data and data.get("status"):
        return data
    return None


def _apply(subscription_id: str, event) -> None:
    if not subscription_id:
        logger.info("stripe event %s (%s) names no subscription", event.id, event.type)
        return
    data = _subscription_now(subscription_id)
    if data is not None:
        services.subscription_apply(data)
    else:
        services.subscription_refresh(subscription_id)


def _invoice_subscription(invoice: dict) -> str:
    """An invoice's subscription: a top-level field in older API versions, under
    ``parent.subscription_details`` in current ones."""
    subscription = invoice.get("subscription")
    if not subscription:
        parent = invoice.get("parent") or {}
        subscription = (parent.get("subscription_details") or {}).get("subscription")
    return services._id(subscription)


def on_subscription_event(sender, event, **kwargs) -> None:
    _apply(services._id(event.data.get("object", {})), event)


def on_checkout_completed(sender, event, **kwargs) -> None:
    session = event.data.get("object", {})
    if session.get("mode") != "subscription":
        return  # payments of a business's own customers are not the platform's billing
    customer_id = services._id(session.get("customer"))
    known = BillingAccount.objects.filter(stripe_customer_id=customer_id).exists()
    if not known and not (session.get("metadata") or {}).get("x8_business"):
        logger.warning("checkout %s of unknown customer %s ignored", session.get("id"), customer_id)
        return
    _apply(services._id(session.get("subscription")), event)


def on_invoice_event(sender, event, **kwargs) -> None:
    _apply(_invoice_subscription(event.data.get("object", {})), event)


for _type in (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
):
    WEBHOOK_SIGNALS[_type].connect(on_subscription_event, dispatch_uid=f"x8-billing-{_type}")
WEBHOOK_SIGNALS["checkout.session.completed"].connect(
    on_checkout_completed, dispatch_uid="x8-billing-checkout"
)
for _type in ("invoice.paid", "invoice.payment_failed"):
    WEBHOOK_SIGNALS[_type].connect(on_invoice_event, dispatch_uid=f"x8-billing-{_type}")
