"""The platform's plans and each business's billing state. All in the public schema.

Stripe's own objects (customers, subscriptions, invoices, events) are dj-stripe's models;
``BillingAccount`` is what the product derives from them (or from a grant, or the trial),
and ``billing.entitlements`` turns it into what a business may do.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    """One entry of the plan catalog (loaded by ``manage.py plans_load``)."""

    class Code(models.TextChoices):
        FREE = "free", "Free"
        SINGLE = "single", "Single"
        DOUBLE = "double", "Double"
        GROWTH = "growth", "Growth"
        ENTERPRISE = "enterprise", "Enterprise"
        SPECIAL = "special", "Special"

    code = models.CharField(_("code"), max_length=20, choices=Code, unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    #: Monthly price; None for a price agreed per deal (ENTERPRISE).
    price = models.DecimalField(
        _("price per month"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="usd")
    #: Connected channels allowed; None means unlimited. The web chat never counts.
    channel_limit = models.PositiveIntegerField(_("channels"), null=True, blank=True)
    #: Automatic replies per calendar month; None means unlimited.
    reply_limit = models.PositiveIntegerField(_("automatic replies a month"), null=True, blank=True)
    history_retention_days = models.PositiveIntegerField(_("history kept (days)"), default=90)
    #: Shown on the billing page for anyone to choose; others are granted in the admin.
    public = models.BooleanField(_("public"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    stripe_product_id = models.CharField(_("Stripe product"), max_length=64, blank=True)
    stripe_price_id = models.CharField(_("Stripe price"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["sort_order", "price"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price is not None and self.price == Decimal("0")

    @property
    def is_custom_price(self) -> bool:
        return self.price is None

    @property
    def sells_online(self) -> bool:
        """Bought through Stripe Checkout (a paid, public, fixed-price plan with a price id)."""
        return self.public and bool(self.price) and bool(self.stripe_price_id)

    def channels_label(self) -> str:
        return str(self.channel_limit) if self.channel_limit is not None else "∞"


class BillingAccount(models.Model):
    """A business's billing state, kept in step with Stripe by its webhooks."""

    class Source(models.TextChoices):
        NONE = "", _("None")
        STRIPE = "stripe", _("Stripe subscription")
        FREE = "free", _("Free plan")

    business = models.OneToOneField(
        "tenants.Business", on_delete=models.CASCADE, primary_key=True, related_name="billing"
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source, blank=True, default="")
    stripe_customer_id = models.CharField(_("Stripe customer"), max_length=64, blank=True)
    stripe_subscription_id = models.CharField(_("Stripe subscription"), max_length=64, blank=True)
    #: Stripe's subscription status as last read from Stripe (active, past_due, canceled ...).
    stripe_status = models.CharField(_("Stripe status"), max_length=24, blank=True)
    stripe_price_id = models.CharField(_("Stripe price"), max_length=64, blank=True)
    current_period_end = models.DateTimeField(_("paid until"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancels at period end"), default=False)
    #: When a renewal first failed; the grace period counts from here.
    past_due_since = models.DateTimeField(_("past due since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    #: Channels agreed for this business (SPECIAL deals), over the plan's own number.
    channels_override = models.PositiveIntegerField(_("channels agreed"), null=True, blank=True)
    trial_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    trial_ended_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    synced_at = models.DateTimeField(_("last read from Stripe"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~Q(stripe_customer_id=""),
                name="billing_account_unique_customer",
            )
        ]

    def __str__(self) -> str:
        return str(self.business)


class PlanGrant(models.Model):
    """A plan given by a platform admin (ENTERPRISE and SPECIAL deals, comps), until an end."""

    business = models.ForeignKey(
        "tenants.Business", on_delete=models.CASCADE, related_name="plan_grants"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="grants")
    #: Channels agreed for this deal; empty takes the plan's.
    channel_limit = models.PositiveIntegerField(_("channels"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan grant")
        verbose_name_plural = _("plan grants")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="plan_grant_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} → {self.business}"

    def is_current(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.starts_at <= now < self.ends_at


class CheckoutAttempt(models.Model):
    """A Checkout session opened for a business, so a second click reuses it."""

    business = models.ForeignKey(
        "tenants.Business", on_delete=models.CASCADE, related_name="checkout_attempts"
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    session_id = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=2048)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["business", "plan", "-created_at"])]

    def __str__(self) -> str:
        return self.session_id
