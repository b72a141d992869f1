"""What a business may do right now: the one answer every connect and every send asks.

States, from the business's billing account, its grants and its trial:

- ``trialing``: the sign-up trial, one channel;
- ``active``: a paid Stripe subscription, a plan granted by an admin, or the Free plan;
- ``past_due``: a renewal failed; everything keeps working for ``BILLING_GRACE_DAYS`` while
  Stripe retries the card, then it is restricted like an ended plan;
- ``canceled``: the subscription ended;
- ``expired``: the trial ended without a plan.

Restricted businesses keep all their data and can read it, but cannot connect channels,
send, or have the assistant answer; the portal shows ``reason`` with a link to billing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenants.errors import ApplicationError
from tenants.models import Business

from .models import BillingAccount, Plan, PlanGrant

TRIALING, ACTIVE, PAST_DUE, CANCELED, EXPIRED = (
    "trialing",
    "active",
    "past_due",
    "canceled",
    "expired",
)
LIVE_STRIPE_STATUSES = ("active", "trialing")
FAILING_STRIPE_STATUSES = ("past_due", "unpaid", "incomplete")


@dataclass(frozen=True)
class Entitlements:
    state: str
    plan: Plan | None
    #: trial, stripe, grant or free: where the state comes from.
    source: str
    #: Connected channels allowed (the web chat never counts); None is unlimited.
    channels_allowed: int | None
    #: Automatic replies a calendar month; None is unlimited.
    replies_per_month: int | None
    history_days: int
    #: Until when the current state holds (trial end, paid period end, grant end).
    ends_at: datetime | None
    cancel_at_period_end: bool = False
    grace_ends_at: datetime | None = None
    #: Why the business is restricted (empty when it is not).
    reason: str = ""
    #: A warning that needs action but restricts nothing yet (payment failed, trial ending).
    warning: str = ""

    @property
    def read_only(self) -> bool:
        return bool(self.reason)

    @property
    def may_connect(self) -> bool:
        return not self.read_only

    @property
    def may_send(self) -> bool:
        return not self.read_only

    @property
    def may_auto_reply(self) -> bool:
        return not self.read_only

    def channels_left(self, used: int) -> int | None:
        if self.channels_allowed is None:
            return None
        return max(self.channels_allowed - used, 0)

    def may_connect_another(self, used: int) -> bool:
        left = self.channels_left(used)
        return self.may_connect and (left is None or left > 0)

    @property
    def days_left(self) -> int | None:
        if self.ends_at is None:
            return None
        remaining = self.ends_at - timezone.now()
        if remaining <= timedelta(0):
            return 0
        return remaining.days + (1 if remaining.seconds or remaining.microseconds else 0)


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


def account_for(business: Business) -> BillingAccount:
    account, _created = BillingAccount.objects.select_related("plan").get_or_create(
        business=business
    )
    return account


def current_grant(business: Business, now: datetime | None = None) -> PlanGrant | None:
    now = now or timezone.now()
    return (
        PlanGrant.objects.select_related("plan")
        .filter(business=business, revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
        .order_by("-ends_at")
        .first()
    )


def _from_plan(plan: Plan, *, channels: int | None = None, **fields) -> Entitlements:
    return Entitlements(
        plan=plan,
        channels_allowed=channels if channels is not None else plan.channel_limit,
        replies_per_month=plan.reply_limit,
        history_days=plan.history_retention_days,
        **fields,
    )


def entitlements_for(business: Business, *, now: datetime | None = None) -> Entitlements:
    """What ``business`` may do at ``now`` (default: this moment)."""
    now = now or timezone.now()
    account = account_for(business)
    plan = account.plan
    trial_plan_days = settings.HISTORY_RETENTION_DAYS_DEFAULT

    grant = current_grant(business, now)
    if grant is not None:
        return _from_plan(
            grant.plan,
            channels=grant.channel_limit,
            state=ACTIVE,
            source="grant",
            ends_at=grant.ends_at,
        )

    status = account.stripe_status
    if account.source == BillingAccount.Source.STRIPE and plan is not None and status:
        channels = account.channels_override
        period_end = account.current_period_end
        if status in LIVE_STRIPE_STATUSES:
            return _from_plan(
                plan,
                channels=channels,
                state=ACTIVE,
                source="stripe",
                ends_at=period_end,
                cancel_at_period_end=account.cancel_at_period_end,
            )
        if status in FAILING_STRIPE_STATUSES:
            since = account.past_due_since or now
            grace_ends = since + timedelta(days=settings.BILLING_GRACE_DAYS)
            if now < grace_ends:
                return _from_plan(
                    plan,
                    channels=channels,
                    state=PAST_DUE,
                    source="stripe",
                    ends_at=period_end,
                    grace_ends_at=grace_ends,
                    warning=_(
                        "Your last payment failed. Update your card by %(day)s to keep "
                        "automatic replies and your channels working."
                    )
                    % {"day": _day(grace_ends)},
                )
            return _from_plan(
                plan,
                channels=channels,
                state=PAST_DUE,
                source="stripe",
                ends_at=period_end,
                grace_ends_at=grace_ends,
                reason=_(
                    "Your payment for %(plan)s is overdue since %(day)s. Automatic replies "
                    "are paused and no channel can be connected or send until it is paid; "
                    "your data is kept."
                )
                % {"plan": plan.name, "day": _day(since)},
            )
        # canceled, incomplete_expired, paused: the subscription no longer pays for anything.
        ended = account.ended_at or period_end or now
        return _from_plan(
            plan,
            channels=0,
            state=CANCELED,
            source="stripe",
            ends_at=ended,
            reason=_(
                "Your %(plan)s subscription ended on %(day)s. Automatic replies are off and "
                "no channel can be connected or send; your data is kept. Choose a plan to "
                "continue."
            )
            % {"plan": plan.name, "day": _day(ended)},
        )

    if account.source == BillingAccount.Source.FREE and plan is not None:
        return _from_plan(plan, state=ACTIVE, source="free", ends_at=None)

    trial_end = business.trial_ends_at
    if trial_end is not None and now < trial_end:
        warning = ""
        if trial_end - now <= timedelta(days=settings.TRIAL_REMINDER_DAYS):
            warning = _("Your trial ends on %(day)s. Choose a plan to keep your channels.") % {
                "day": _day(trial_end)
            }
        return Entitlements(
            state=TRIALING,
            plan=None,
            source="trial",
            channels_allowed=settings.TRIAL_CHANNELS,
            replies_per_month=None,
            history_days=trial_plan_days,
            ends_at=trial_end,
            warning=warning,
        )

    ended = trial_end or business.created_at or now
    return Entitlements(
        state=EXPIRED,
        plan=None,
        source="trial",
        channels_allowed=0,
        replies_per_month=None,
        history_days=trial_plan_days,
        ends_at=ended,
        reason=_(
            "Your free trial ended on %(day)s. Automatic replies are off and no channel can "
            "be connected or send; your data is kept. Choose a plan to continue."
        )
        % {"day": _day(ended)},
    )


def entitlements_here() -> Entitlements:
    """Entitlements of the business whose schema the database connection is in."""
    tenant = getattr(db_connection, "tenant", None)
    if not isinstance(tenant, Business) or tenant.pk is None:
        tenant = Business.objects.get(schema_name=db_connection.schema_name)
    return entitlements_for(tenant)


class BillingRestricted(ApplicationError):
    """What the business asked for is not in its plan now; ``message`` says why."""


class RestrictedCode(enum.StrEnum):
    READ_ONLY = "billing_read_only"
    CHANNEL_LIMIT = "channel_limit"
    REPLY_LIMIT = "reply_limit"


def require_send(business: Business | None = None) -> Entitlements:
    """Raise unless the business may send to its customers now."""
    ent = entitlements_for(business) if business is not None else entitlements_here()
    if not ent.may_send:
        raise BillingRestricted(RestrictedCode.READ_ONLY, ent.reason)
    return ent


def require_connect(business: Business, *, used: int) -> Entitlements:
    """Raise unless the business may connect one more channel (``used`` are connected)."""
    ent = entitlements_for(business)
    if not ent.may_connect:
        raise BillingRestricted(RestrictedCode.READ_ONLY, ent.reason)
    if not ent.may_connect_another(used):
        raise BillingRestricted(
            RestrictedCode.CHANNEL_LIMIT,
            ngettext(
                "Your plan allows %(limit)s connected channel; disconnect it or choose a "
                "bigger plan.",
                "Your plan allows %(limit)s connected channels; disconnect one or choose a "
                "bigger plan.",
                ent.channels_allowed or 0,
            )
            % {"limit": ent.channels_allowed},
        )
    return ent


def auto_reply_allowed(replies_this_month: int, business: Business | None = None) -> bool:
    """Whether the assistant may answer now, given the replies already sent this month."""
    ent = entitlements_for(business) if business is not None else entitlements_here()
    if not ent.may_auto_reply:
        return False
    return ent.replies_per_month is None or replies_this_month < ent.replies_per_month
