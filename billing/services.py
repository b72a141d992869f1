"""Writes of billing: plans, Checkout, plan changes, Stripe's news, grants, trial e-mails."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from tenants.models import Business

from . import catalog, entitlements
from .models import BillingAccount, CheckoutAttempt, Plan, PlanGrant
from .stripe_api import BillingError, BillingErrorCode, api_key, call, error_translate

logger = logging.getLogger(__name__)
LIVE_OR_FAILING = entitlements.LIVE_STRIPE_STATUSES + entitlements.FAILING_STRIPE_STATUSES
#: A Checkout session is reused for a second click within this time.
CHECKOUT_REUSE = timedelta(minutes=30)


# ------------------------------------------------------------------------- catalog


def plans_load(*, sync: bool = False, stdout=None) -> list[Plan]:
    """Write the catalog to the database; with ``sync``, also create its products and
    prices in the Stripe account (found again by lookup key, so a second run creates none).
    """
    plans = []
    for spec in catalog.CATALOG:
        plan, _created = Plan.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "price": spec.price,
                "channel_limit": spec.channels,
                "reply_limit": spec.replies,
                "history_retention_days": spec.history_days,
                "public": spec.public,
                "sort_order": spec.order,
            },
        )
        plans.append(plan)
    if sync:
        for plan in plans:
            if plan.price:  # free and custom-priced plans are not sold through Stripe
                _plan_sync(plan)
                if stdout:
                    stdout.write(f"{plan.code}: {plan.stripe_product_id} {plan.stripe_price_id}")
    return plans


def _plan_sync(plan: Plan) -> None:
    key = catalog.lookup_key(plan.code)
    amount = int((plan.price * 100).quantize(Decimal("1")))
    found = call(stripe.Price.list, lookup_keys=[key], active=True, limit=1)
    price = found.data[0] if found.data else None
    if price is not None and (price.unit_amount != amount or price.currency != plan.currency):
        price = None  # the catalog's price changed: a new price takes over the lookup key
    if price is None:
        product_id = plan.stripe_product_id
        if product_id:
            call(stripe.Product.modify, product_id, name=f"X8 Network {plan.name}")
        else:
            product_id = call(
                stripe.Product.create,
                name=f"X8 Network {plan.name}",
                description=plan.description,
                metadata={"x8_plan": plan.code},
            ).id
        price = call(
            stripe.Price.create,
            product=product_id,
            unit_amount=amount,
            currency=plan.currency,
            recurring={"interval": "month"},
            lookup_key=key,
            transfer_lookup_key=True,
            nickname=plan.name,
            metadata={"x8_plan": plan.code},
        )
    plan.stripe_price_id = price.id
    plan.stripe_product_id = price.product if isinstance(price.product, str) else price.product.id
    plan.save(update_fields=["stripe_price_id", "stripe_product_id"])


# ------------------------------------------------------------------------ state


def business_plan_sync(business: Business) -> entitlements.Entitlements:
    """Bring what the plan sets on the business (history kept) in line with its state."""
    ent = entitlements.entitlements_for(business)
    if business.history_retention_days != ent.history_days:
        Business.objects.filter(pk=business.pk).update(history_retention_days=ent.history_days)
        business.history_retention_days = ent.history_days
    return ent


def _id(value) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return getattr(value, "id", None) or (value if isinstance(value, str) else "") or ""


def _when(seconds) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None


def _account_for_customer(customer_id: str, metadata: dict) -> BillingAccount | None:
    account = (
        BillingAccount.objects.select_for_update().filter(stripe_customer_id=customer_id).first()
    )
    if account is not None or not customer_id:
        return account
    business_id = str(metadata.get(settings.DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY) or "")
    if not business_id.isdigit():
        return None
    business = Business.objects.filter(pk=int(business_id)).exclude(schema_name="public").first()
    if business is None:
        return None
    entitlements.account_for(business)
    account = BillingAccount.objects.select_for_update().get(business=business)
    if account.stripe_customer_id and account.stripe_customer_id != customer_id:
        logger.warning(
            "subscription of customer %s names business %s, which has customer %s",
            customer_id,
            business_id,
            account.stripe_customer_id,
        )
        return None
    account.stripe_customer_id = customer_id
    return account


def subscription_apply(subscription: dict) -> BillingAccount | None:
    """Set a business's billing state from a Stripe subscription as Stripe has it now.

    Callers pass the subscription as just retrieved from Stripe (never an event's copy), so
    applying it again, or after a newer one, leaves the state right. A subscription of a
    customer no business owns changes nothing.
    """
    metadata = subscription.get("metadata") or {}
    customer_id = _id(subscription.get("customer"))
    with transaction.atomic():
        account = _account_for_customer(customer_id, metadata)
        if account is None:
            logger.warning(
                "stripe subscription %s of unknown customer %s ignored",
                subscription.get("id"),
                customer_id,
            )
            return None
        status = subscription.get("status") or ""
        current = account.stripe_subscription_id
        if (
            current
            and current != subscription["id"]
            and account.stripe_status in LIVE_OR_FAILING
            and status not in LIVE_OR_FAILING
        ):
            # News of an older, ended subscription while another one pays: nothing to do.
            return account
        items = (subscription.get("items") or {}).get("data") or []
        item = items[0] if items else {}
        price_id = _id(item.get("price"))
        plan = (
            Plan.objects.filter(stripe_price_id=price_id).first()
            or Plan.objects.filter(code=metadata.get("x8_plan", "")).first()
        )
        if plan is None:
            logger.error(
                "stripe subscription %s has unknown price %s", subscription.get("id"), price_id
            )
            return account
        now = timezone.now()
        account.plan = plan
        account.source = BillingAccount.Source.STRIPE
        account.stripe_subscription_id = subscription["id"]
        account.stripe_price_id = price_id
        account.stripe_status = status
        account.current_period_end = _when(
            item.get("current_period_end") or subscription.get("current_period_end")
        )
        account.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
        account.ended_at = _when(subscription.get("ended_at"))
        if status in entitlements.FAILING_STRIPE_STATUSES:
            account.past_due_since = account.past_due_since or now
        else:
            account.past_due_since = None
        channels = str(metadata.get("x8_channels") or "")
        account.channels_override = int(channels) if channels.isdigit() else None
        account.synced_at = now
        account.save()
        CheckoutAttempt.objects.filter(
            business_id=account.business_id, completed_at__isnull=True
        ).update(completed_at=now)
    business_plan_sync(account.business)
    return account


def subscription_refresh(subscription_id: str) -> BillingAccount | None:
    """Read a subscription from Stripe and apply it."""
    if not subscription_id:
        return None
    subscription = call(stripe.Subscription.retrieve, subscription_id)
    return subscription_apply(subscription.to_dict())


# --------------------------------------------------------------------- customers


def customer_ensure(business: Business) -> str:
    """The business's Stripe customer id, creating the customer on first use (dj-stripe)."""
    from djstripe.models import Customer

    account = entitlements.account_for(business)
    if account.stripe_customer_id:
        return account.stripe_customer_id
    key = api_key()
    try:
        customer, _created = Customer.get_or_create(
            subscriber=business,
            api_key=key,
            metadata={"x8_slug": business.slug},
        )
    except stripe.StripeError as error:
        raise error_translate(error) from error
    BillingAccount.objects.filter(pk=account.pk).update(stripe_customer_id=customer.id)
    account.stripe_customer_id = customer.id
    return customer.id


# ---------------------------------------------------------------------- checkout


def _live_subscription(account: BillingAccount) -> bool:
    return (
        account.source == BillingAccount.Source.STRIPE
        and bool(account.stripe_subscription_id)
        and account.stripe_status in LIVE_OR_FAILING
    )


def checkout_start(
    *, business: Business, plan: Plan, user, success_url: str, cancel_url: str
) -> str:
    """The URL of a Stripe Checkout page for ``plan``. A second click (or a second tab)
    within half an hour gets the same session, so a business never pays twice."""
    if not plan.sells_online:
        raise BillingError(
            BillingErrorCode.NOT_FOR_SALE, _("%(plan)s is not sold online.") % {"plan": plan.name}
        )
    entitlements.account_for(business)
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(business=business)
        if _live_subscription(account):
            raise BillingError(
                BillingErrorCode.HAS_SUBSCRIPTION,
                _("You already have a subscription; change its plan instead."),
            )
        now = timezone.now()
        attempt = (
            CheckoutAttempt.objects.filter(
                business=business,
                plan=plan,
                completed_at__isnull=True,
                created_at__gt=now - CHECKOUT_REUSE,
                expires_at__gt=now + timedelta(minutes=2),
            )
            .order_by("-created_at")
            .first()
        )
        if attempt is not None:
            return attempt.url
        customer_id = customer_ensure(business)
        metadata = {
            settings.DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY: str(business.pk),
            "x8_plan": plan.code,
        }
        separator = "&" if "?" in success_url else "?"
        session = call(
            stripe.checkout.Session.create,
            mode="subscription",
            customer=customer_id,
            client_reference_id=str(business.pk),
            line_items=[{"price": plan.stripe_price_id, "quantity": 1}],
            success_url=f"{success_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=cancel_url,
            metadata=metadata,
            subscription_data={"metadata": metadata},
            locale="auto",
        )
        CheckoutAttempt.objects.create(
            business=business,
            plan=plan,
            session_id=session.id,
            url=session.url,
            expires_at=_when(session.expires_at) or now + timedelta(hours=24),
            created_by=user if getattr(user, "pk", None) else None,
        )
        return session.url


def checkout_return(*, business: Business, session_id: str) -> BillingAccount | None:
    """Back from Checkout: read the session and its subscription at once, so the page is
    right even before Stripe's webhook arrives. A session of another customer is ignored."""
    account = entitlements.account_for(business)
    if not session_id or not account.stripe_customer_id:
        return None
    session = call(stripe.checkout.Session.retrieve, session_id)
    if _id(session.customer) != account.stripe_customer_id:
        logger.warning("checkout session %s is not business %s's", session_id, business.pk)
        return None
    if session.status != "complete" or not session.subscription:
        return None
    return subscription_refresh(_id(session.subscription))


def portal_url(*, business: Business, return_url: str) -> str:
    account = entitlements.account_for(business)
    if not account.stripe_customer_id:
        raise BillingError(
            BillingErrorCode.NO_SUBSCRIPTION,
            _("There is nothing to manage yet: choose a plan first."),
        )
    session = call(
        stripe.billing_portal.Session.create,
        customer=account.stripe_customer_id,
        return_url=return_url,
    )
    return session.url


# --------------------------------------------------------------------- plan changes


class ChannelsToChoose(BillingError):
    """A downgrade needs some channels disconnected first; ``excess`` says how many."""

    def __init__(self, message: str, *, excess: int) -> None:
        super().__init__(BillingErrorCode.CHOOSE_CHANNELS, message)
        self.excess = excess


def plan_change_excess(business: Business, plan: Plan) -> int:
    """How many connected channels are over ``plan``'s limit."""
    from channels_app.services import channels_in_use

    if plan.channel_limit is None:
        return 0
    return max(channels_in_use(business) - plan.channel_limit, 0)


def _channels_disconnect(business: Business, channel_ids: list[int], excess: int) -> None:
    from channels_app.models import Channel
    from channels_app.services import whatsapp_disconnect
    from connections.models import Connection

    with schema_context(business.schema_name):
        chosen = list(
            Channel.objects.select_related("connection")
            .filter(pk__in=channel_ids)
            .exclude(connection__status=Connection.Status.DISCONNECTED)
            .exclude(platform=Connection.Platform.WEBCHAT)
        )
        if len(chosen) < excess:
            raise ChannelsToChoose(
                _("Choose %(count)s channel(s) to disconnect for this plan.") % {"count": excess},
                excess=excess,
            )
        for channel in chosen:
            whatsapp_disconnect(channel=channel)


def plan_change(
    *, business: Business, plan: Plan, disconnect: list[int] | None = None
) -> BillingAccount:
    """Move a business with a subscription (or none) to another public plan.

    Upgrades take effect at once and are charged the difference now; downgrades take effect
    at once with no credit. A plan with fewer channels than are connected needs the ones to
    disconnect chosen first (``disconnect``). Paid plans without a subscription go through
    Checkout instead (``checkout_start``).
    """
    if not plan.public or plan.is_custom_price:
        raise BillingError(
            BillingErrorCode.NOT_FOR_SALE, _("%(plan)s is not sold online.") % {"plan": plan.name}
        )
    account = entitlements.account_for(business)
    excess = plan_change_excess(business, plan)
    if excess and not disconnect:
        raise ChannelsToChoose(
            _("%(plan)s allows %(limit)s channel(s); choose %(count)s to disconnect.")
            % {"plan": plan.name, "limit": plan.channel_limit, "count": excess},
            excess=excess,
        )
    if plan.is_free:
        if _live_subscription(account):
            raise BillingError(
                BillingErrorCode.HAS_SUBSCRIPTION,
                _("Cancel your subscription first; you can take the Free plan when it ends."),
            )
        if excess:
            _channels_disconnect(business, disconnect or [], excess)
        with transaction.atomic():
            account = BillingAccount.objects.select_for_update().get(pk=account.pk)
            account.plan = plan
            account.source = BillingAccount.Source.FREE
            account.save(update_fields=["plan", "source", "updated_at"])
        business_plan_sync(business)
        return account
    if not _live_subscription(account):
        raise BillingError(
            BillingErrorCode.NO_SUBSCRIPTION, _("Choose the plan to pay for it with Stripe.")
        )
    if account.plan_id == plan.pk:
        return account
    if excess:
        _channels_disconnect(business, disconnect or [], excess)
    current = account.plan
    upgrade = current is None or (plan.price or 0) > (current.price or 0)
    subscription = call(stripe.Subscription.retrieve, account.stripe_subscription_id)
    item_id = subscription["items"]["data"][0]["id"]
    metadata = {settings.DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY: str(business.pk), "x8_plan": plan.code}
    updated = call(
        stripe.Subscription.modify,
        account.stripe_subscription_id,
        items=[{"id": item_id, "price": plan.stripe_price_id}],
        proration_behavior="always_invoice" if upgrade else "none",
        metadata=metadata,
    )
    return subscription_apply(updated.to_dict()) or account


def cancel_at_period_end_set(*, business: Business, cancel: bool) -> BillingAccount:
    """Cancel at the end of the paid period (``cancel``), or take that back (resume)."""
    account = entitlements.account_for(business)
    if not _live_subscription(account):
        raise BillingError(
            BillingErrorCode.NO_SUBSCRIPTION, _("There is no subscription to change.")
        )
    updated = call(
        stripe.Subscription.modify, account.stripe_subscription_id, cancel_at_period_end=cancel
    )
    return subscription_apply(updated.to_dict()) or account


# ------------------------------------------------------------------------- grants


def plan_grant(
    *,
    business: Business,
    plan: Plan,
    ends_at: datetime,
    granted_by=None,
    channel_limit: int | None = None,
    note: str = "",
) -> PlanGrant:
    grant = PlanGrant.objects.create(
        business=business,
        plan=plan,
        ends_at=ends_at,
        granted_by=granted_by,
        channel_limit=channel_limit,
        note=note,
    )
    business_plan_sync(business)
    return grant


# ------------------------------------------------------------------ trial e-mails


def _owners_emails(business: Business) -> list[str]:
    from accounts.models import Membership

    return list(
        Membership.objects.filter(
            business=business, role=Membership.Role.OWNER, user__is_active=True
        ).values_list("user__email", flat=True)
    )


def _mail(business: Business, template: str, subject: str) -> None:
    recipients = _owners_emails(business)
    if not recipients:
        return
    context = {
        "business": business,
        "billing_url": business.portal_url("/billing/"),
        "ends_at": business.trial_ends_at,
    }
    body = render_to_string(template, context)
    send_mail(subject, body, None, recipients)


def trial_reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """E-mail owners ``TRIAL_REMINDER_DAYS`` before their trial ends and when it has ended,
    once each; a business with a plan by then is left alone."""
    now = now or timezone.now()
    sent = {"ending": 0, "ended": 0}
    soon = now + timedelta(days=settings.TRIAL_REMINDER_DAYS)
    businesses = Business.objects.exclude(schema_name="public").filter(
        trial_ends_at__isnull=False, trial_ends_at__lte=soon
    )
    for business in businesses.iterator():
        account = entitlements.account_for(business)
        ent = entitlements.entitlements_for(business, now=now)
        ending = business.trial_ends_at > now
        if ending and (ent.state != entitlements.TRIALING or account.trial_reminder_sent_at):
            continue
        if not ending and (ent.state != entitlements.EXPIRED or account.trial_ended_sent_at):
            continue
        field = "trial_reminder_sent_at" if ending else "trial_ended_sent_at"
        # Claim the e-mail first, so two beat runs side by side send it once.
        claimed = BillingAccount.objects.filter(pk=account.pk, **{f"{field}__isnull": True}).update(
            **{field: now}
        )
        if not claimed:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            if ending:
                _mail(
                    business,
                    "billing/email/trial_ending.txt",
                    _("Your X8 Network trial ends in %(days)s day(s)")
                    % {"days": business.trial_days_left(now=now)},
                )
            else:
                _mail(
                    business, "billing/email/trial_ended.txt", _("Your X8 Network trial has ended")
                )
        sent["ending" if ending else "ended"] += 1
    return sent
