"""Entitlements for every state a business can be in, and each way into and out of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import entitlements as ent_module
from billing.entitlements import (
    ACTIVE,
    CANCELED,
    EXPIRED,
    PAST_DUE,
    TRIALING,
    BillingRestricted,
    RestrictedCode,
    entitlements_for,
    require_connect,
    require_send,
)
from billing.models import BillingAccount, Plan, PlanGrant
from billing.services import business_plan_sync, plan_grant

pytestmark = pytest.mark.django_db


def _plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


def _stripe(business, plan_code: str, status: str, **fields) -> BillingAccount:
    account = ent_module.account_for(business)
    account.plan = _plan(plan_code)
    account.source = BillingAccount.Source.STRIPE
    account.stripe_subscription_id = "sub_test"
    account.stripe_status = status
    account.current_period_end = fields.pop("period_end", timezone.now() + timedelta(days=20))
    for name, value in fields.items():
        setattr(account, name, value)
    account.save()
    return account


def test_the_catalog_is_in_the_database_with_the_issues_prices():
    plans = {plan.code: plan for plan in Plan.objects.all()}
    assert {code: (str(p.price), p.channel_limit) for code, p in plans.items() if p.price} == {
        "single": ("9.99", 1),
        "double": ("19.99", 2),
        "growth": ("49.99", 4),
        "special": ("29.99", 2),
    }
    assert plans["free"].price == 0 and plans["free"].channel_limit == 1
    assert plans["enterprise"].price is None and plans["enterprise"].channel_limit is None
    assert not plans["special"].public


def test_a_new_business_is_on_a_seven_day_trial_with_one_channel(business_a):
    ent = entitlements_for(business_a)
    assert ent.state == TRIALING
    assert ent.channels_allowed == 1
    assert ent.days_left == 7
    assert ent.may_connect and ent.may_auto_reply and not ent.read_only
    assert ent.warning == ""


def test_the_trial_warns_two_days_before_it_ends(business_a):
    business_a.trial_ends_at = timezone.now() + timedelta(days=1, hours=3)
    assert entitlements_for(business_a).warning.startswith("Your trial ends on")


def test_an_ended_trial_without_a_plan_is_read_only_and_says_why(business_a):
    business_a.trial_ends_at = timezone.now() - timedelta(minutes=1)
    ent = entitlements_for(business_a)
    assert ent.state == EXPIRED
    assert ent.read_only and not ent.may_connect and not ent.may_auto_reply and not ent.may_send
    assert "trial ended" in ent.reason and "data is kept" in ent.reason


@pytest.mark.parametrize(("code", "channels"), [("single", 1), ("double", 2), ("growth", 4)])
def test_an_active_subscription_allows_its_plans_channels(business_a, code, channels):
    _stripe(business_a, code, "active")
    ent = entitlements_for(business_a)
    assert (ent.state, ent.channels_allowed, ent.source) == (ACTIVE, channels, "stripe")
    assert ent.may_connect_another(channels - 1) and not ent.may_connect_another(channels)


def test_past_due_keeps_working_through_the_grace_period_then_restricts(business_a, settings):
    settings.BILLING_GRACE_DAYS = 3
    since = timezone.now() - timedelta(days=1)
    _stripe(business_a, "double", "past_due", past_due_since=since)
    ent = entitlements_for(business_a)
    assert ent.state == PAST_DUE and not ent.read_only
    assert "payment failed" in ent.warning
    assert ent.grace_ends_at == since + timedelta(days=3)

    later = entitlements_for(business_a, now=since + timedelta(days=3, minutes=1))
    assert later.state == PAST_DUE and later.read_only
    assert "overdue" in later.reason


def test_a_canceled_subscription_is_read_only(business_a):
    _stripe(business_a, "growth", "canceled", ended_at=timezone.now())
    ent = entitlements_for(business_a)
    assert ent.state == CANCELED and ent.read_only and ent.channels_allowed == 0
    assert "ended" in ent.reason


def test_cancel_at_period_end_keeps_the_plan_until_then(business_a):
    _stripe(business_a, "double", "active", cancel_at_period_end=True)
    ent = entitlements_for(business_a)
    assert ent.state == ACTIVE and ent.cancel_at_period_end and not ent.read_only


def test_a_grant_wins_over_everything_until_its_end_then_the_state_underneath_returns(
    business_a, owner_a
):
    business_a.trial_ends_at = timezone.now() - timedelta(days=1)
    business_a.save()
    ends = timezone.now() + timedelta(days=30)
    grant = plan_grant(
        business=business_a,
        plan=_plan("special"),
        ends_at=ends,
        channel_limit=3,
        granted_by=owner_a,
    )
    ent = entitlements_for(business_a)
    assert (ent.state, ent.source, ent.plan.code, ent.channels_allowed) == (
        ACTIVE,
        "grant",
        "special",
        3,
    )
    assert ent.ends_at == ends
    assert entitlements_for(business_a, now=ends + timedelta(seconds=1)).state == EXPIRED
    grant.revoked_at = timezone.now()
    grant.save()
    assert entitlements_for(business_a).state == EXPIRED


def test_an_enterprise_grant_is_unlimited(business_a):
    plan_grant(
        business=business_a, plan=_plan("enterprise"), ends_at=timezone.now() + timedelta(days=365)
    )
    ent = entitlements_for(business_a)
    assert ent.channels_allowed is None and ent.may_connect_another(1000)


def test_the_free_plan_allows_one_channel_and_a_hundred_replies_a_month(business_a):
    account = ent_module.account_for(business_a)
    account.plan, account.source = _plan("free"), BillingAccount.Source.FREE
    account.save()
    business_a.trial_ends_at = timezone.now() - timedelta(days=3)
    ent = entitlements_for(business_a)
    assert (ent.state, ent.channels_allowed, ent.replies_per_month) == (ACTIVE, 1, 100)
    assert ent_module.auto_reply_allowed(99, business_a)
    assert not ent_module.auto_reply_allowed(100, business_a)


def test_history_kept_follows_the_plan(business_a):
    _stripe(business_a, "growth", "active")
    business_plan_sync(business_a)
    business_a.refresh_from_db()
    assert business_a.history_retention_days == 365


def test_require_connect_refuses_beyond_the_limit_and_when_read_only(business_a):
    require_connect(business_a, used=0)
    with pytest.raises(BillingRestricted) as limit:
        require_connect(business_a, used=1)
    assert limit.value.code == RestrictedCode.CHANNEL_LIMIT
    assert "1 connected channel" in limit.value.message
    business_a.trial_ends_at = timezone.now() - timedelta(days=1)
    business_a.save()
    with pytest.raises(BillingRestricted) as lapsed:
        require_connect(business_a, used=0)
    assert lapsed.value.code == RestrictedCode.READ_ONLY
    with pytest.raises(BillingRestricted):
        require_send(business_a)


def test_grants_cannot_end_before_they_start(business_a):
    from django.db import IntegrityError, transaction

    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanGrant.objects.create(
            business=business_a, plan=_plan("growth"), starts_at=now, ends_at=now
        )
