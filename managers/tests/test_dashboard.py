"""The admin's front page: the platform's figures for admins, a manager's own businesses for
managers, all counted from the database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.http import QueryDict
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from billing.entitlements import (
    ACTIVE,
    CANCELED,
    EXPIRED,
    PAST_DUE,
    TRIALING,
    entitlements_for,
)
from billing.models import BillingAccount, Plan, PlanGrant
from conftest import host_client
from connections.models import Connection, InboundEvent
from managers.dashboard import (
    businesses_with_state,
    manager_figures,
    platform_figures,
)
from managers.models import Assignment, ManagerMessage
from tenants.models import Business

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
_numbers = itertools.count(1)


# --- data -----------------------------------------------------------------------------------


def _business(name: str, *, trial_ends_at: datetime | None = None, created_at=None) -> Business:
    """A business row without a schema: the dashboard never enters business schemas."""
    number = next(_numbers)
    business = Business(
        name=name,
        slug=f"dash-{number}",
        schema_name=f"biz_dash_{number}",
        trial_ends_at=trial_ends_at,
    )
    business.auto_create_schema = False
    business.save()
    if created_at is not None:
        Business.objects.filter(pk=business.pk).update(created_at=created_at)
        business.refresh_from_db()
    return business


def _plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


def _account(business: Business, **fields) -> BillingAccount:
    plan = fields.pop("plan", None)
    account, _created = BillingAccount.objects.update_or_create(
        business=business, defaults={"plan": _plan(plan) if plan else None, **fields}
    )
    return account


def _stripe(business: Business, status: str, plan: str = "single", **fields) -> BillingAccount:
    fields.setdefault("current_period_end", NOW + timedelta(days=20))
    return _account(
        business,
        plan=plan,
        source=BillingAccount.Source.STRIPE,
        stripe_subscription_id=f"sub_{business.slug}",
        stripe_status=status,
        **fields,
    )


def _grant(business: Business, plan: str = "enterprise", **fields) -> PlanGrant:
    fields.setdefault("starts_at", NOW - timedelta(days=10))
    fields.setdefault("ends_at", NOW + timedelta(days=60))
    return PlanGrant.objects.create(business=business, plan=_plan(plan), **fields)


def _in_state(state: str, name: str) -> Business:
    """A business in ``state`` at NOW, made the way billing makes it."""
    if state == TRIALING:
        return _business(name, trial_ends_at=NOW + timedelta(days=5))
    business = _business(name, trial_ends_at=NOW - timedelta(days=30))
    if state == ACTIVE:
        _stripe(business, "active")
    elif state == PAST_DUE:
        _stripe(business, "past_due", past_due_since=NOW - timedelta(days=1))
    elif state == CANCELED:
        _stripe(business, "canceled", ended_at=NOW - timedelta(days=3))
    return business


def _manager(email: str) -> User:
    return User.objects.create_user(
        email=email, password="pass-word-2026", platform_role="manager", is_staff=True
    )


def _admin(email: str = "admin-dash@example.com") -> User:
    return User.objects.create_superuser(email=email, password="pass-word-2026")


def _customer(business: Business, *, livemode: bool = False):
    from djstripe.models import Customer

    return Customer.objects.create(
        id=f"cus_{business.slug}_{next(_numbers)}",
        subscriber=business,
        livemode=livemode,
        stripe_data={"object": "customer", "id": "", "email": ""},
    )


def _invoice(
    customer,
    *,
    cents: int,
    paid_at: datetime | None,
    status: str = "paid",
    currency: str = "usd",
    created: datetime | None = None,
    livemode: bool = False,
):
    """A dj-stripe invoice row shaped like Stripe's (the API fixture's keys we read)."""
    from djstripe.models import Invoice

    number = next(_numbers)
    created = created or paid_at or NOW
    data = {
        "id": f"in_dash{number}",
        "object": "invoice",
        "amount_due": cents,
        "amount_paid": cents if status == "paid" else 0,
        "amount_remaining": 0 if status == "paid" else cents,
        "billing_reason": "subscription_cycle",
        "created": int(created.timestamp()),
        "currency": currency,
        "customer": customer.id,
        "livemode": livemode,
        "number": f"DASH-{number:04d}",
        "status": status,
        "status_transitions": {
            "finalized_at": int(created.timestamp()),
            "marked_uncollectible_at": None,
            "paid_at": int(paid_at.timestamp()) if paid_at else None,
            "voided_at": None,
        },
        "subscription": None,
    }
    return Invoice.objects.create(
        id=data["id"], customer=customer, livemode=livemode, created=created, stripe_data=data
    )


def _request(user: User, query: str = ""):
    request = RequestFactory().get(f"/admin/?{query}", HTTP_HOST="localhost")
    request.user = user
    return request


def _render_tag(user: User, query: str = "") -> str:
    template = Template("{% load platform_dashboard %}{% platform_dashboard %}")
    return template.render(Context({"request": _request(user, query)}))


def _delta(before, after) -> dict[str, int]:
    return {
        new.state: new.count - old.count
        for old, new in zip(before.states, after.states, strict=True)
    }


# --- the billing state of many businesses at once ----------------------------------------------


def test_bulk_state_agrees_with_entitlements_for_every_kind_of_business():
    # given: businesses in every state, reached every way billing knows
    day = timedelta(days=1)
    made: list[Business] = []

    def business(name, **kwargs):
        made.append(_business(name, **kwargs))
        return made[-1]

    business("trial running", trial_ends_at=NOW + 3 * day)
    business("trial ended", trial_ends_at=NOW - day)
    business("no trial at all", created_at=NOW - 40 * day)
    _stripe(business("stripe active", trial_ends_at=NOW - day), "active")
    _stripe(business("stripe trialing"), "trialing")
    _stripe(business("cancels at period end"), "active", cancel_at_period_end=True)
    _stripe(business("past due in grace"), "past_due", past_due_since=NOW - day)
    _stripe(business("past due over grace"), "past_due", past_due_since=NOW - 10 * day)
    _stripe(business("past due since unknown"), "past_due")
    _stripe(business("unpaid"), "unpaid", past_due_since=NOW - 5 * day)
    _stripe(business("incomplete"), "incomplete", past_due_since=NOW - 2 * day)
    _stripe(business("canceled"), "canceled", ended_at=NOW - 2 * day)
    _stripe(business("canceled, no end"), "canceled")
    _stripe(business("canceled, no dates"), "incomplete_expired", current_period_end=None)
    _stripe(business("stripe without status", trial_ends_at=NOW + day), "")
    _account(
        business("stripe without plan", trial_ends_at=NOW - day),
        source="stripe",
        stripe_status="active",
    )
    _account(business("free plan"), plan="free", source=BillingAccount.Source.FREE)
    _account(business("free without plan", trial_ends_at=NOW + day), source="free")
    _account(business("empty account", trial_ends_at=NOW + day))
    _grant(business("granted"), channel_limit=9)
    _grant(business("granted over canceled"), plan="special")
    _stripe(made[-1], "canceled", ended_at=NOW - day)
    _grant(business("revoked grant", trial_ends_at=NOW - day), revoked_at=NOW - day)
    _grant(business("future grant", trial_ends_at=NOW + day), starts_at=NOW + day)
    _grant(business("grant ended", trial_ends_at=NOW - 2 * day), ends_at=NOW - day)
    two_grants = business("two grants")
    _grant(two_grants, plan="growth", ends_at=NOW + 5 * day)
    _grant(two_grants, plan="double", ends_at=NOW + 50 * day)

    # when
    bulk = {
        row.pk: row
        for row in businesses_with_state(
            Business.objects.filter(pk__in=[b.pk for b in made]), now=NOW
        )
    }

    # then: field by field what entitlements_for says of each, one at a time
    seen_states = set()
    for item in made:
        expected = entitlements_for(item, now=NOW)
        row = bulk[item.pk]
        assert (
            row.billing_state,
            row.billing_source,
            row.billing_plan_id,
            row.billing_ends_at,
            row.billing_grace_ends_at,
            row.billing_restricted,
            row.billing_cancels,
        ) == (
            expected.state,
            expected.source,
            expected.plan.pk if expected.plan else None,
            expected.ends_at,
            expected.grace_ends_at,
            expected.read_only,
            expected.cancel_at_period_end,
        ), item.name
        seen_states.add(expected.state)
    assert seen_states == {TRIALING, ACTIVE, PAST_DUE, CANCELED, EXPIRED}


def test_the_public_schema_is_not_a_business():
    names = set(businesses_with_state().values_list("schema_name", flat=True))
    assert "public" not in names
    assert {"biz_alpha", "biz_beta"} <= names


# --- the platform admin's figures ---------------------------------------------------------------


def test_businesses_are_counted_by_state():
    # given
    before = platform_figures(params={}, now=NOW)
    wanted = {TRIALING: 2, ACTIVE: 3, PAST_DUE: 1, CANCELED: 1, EXPIRED: 2}
    for state, count in wanted.items():
        for index in range(count):
            _in_state(state, f"{state} {index}")
    over_grace = _business("over grace", trial_ends_at=NOW - timedelta(days=30))
    _stripe(over_grace, "unpaid", past_due_since=NOW - timedelta(days=9))

    # when
    after = platform_figures(params={}, now=NOW)

    # then
    assert _delta(before, after) == {**wanted, PAST_DUE: 2}
    assert after.businesses - before.businesses == 10
    past_due = next(state for state in after.states if state.state == PAST_DUE)
    assert (
        past_due.restricted
        - next(state for state in before.states if state.state == PAST_DUE).restricted
        == 1
    )
    # the chart says the same numbers as its bars
    assert f"Past due: {past_due.count}" in after.states_chart.summary
    bar = next(bar for bar in after.states_chart.bars if bar.css_class == "state-past_due")
    assert bar.value_label == str(past_due.count)


def test_active_subscriptions_are_counted_by_plan_and_source():
    before = {row.plan: row for row in platform_figures(params={}, now=NOW).plans}
    for index in range(3):
        _stripe(_business(f"single {index}"), "active", plan="single")
    _stripe(_business("growth"), "trialing", plan="growth")
    _stripe(_business("past due single"), "past_due", plan="single")  # not active
    _grant(_business("granted growth"), plan="growth")
    _account(_business("free"), plan="free", source=BillingAccount.Source.FREE)

    figures = platform_figures(params={}, now=NOW)

    rows = {row.plan: row for row in figures.plans}

    def grown(plan: str) -> tuple[int, int, int]:
        old = before.get(plan)
        new = rows[plan]
        return (
            new.stripe - (old.stripe if old else 0),
            new.grant - (old.grant if old else 0),
            new.free - (old.free if old else 0),
        )

    assert grown("Single") == (3, 0, 0)
    assert grown("Growth") == (1, 1, 0)
    assert grown("Free") == (0, 0, 1)
    assert figures.subscriptions_total == sum(row.total for row in figures.plans)
    assert figures.subscriptions_stripe == sum(row.stripe for row in figures.plans)


def test_users_are_counted_with_the_new_and_the_recent():
    before = platform_figures(params={}, now=NOW)
    User.objects.create_user(email="new-1@example.com", password="x", date_joined=NOW)
    old = User.objects.create_user(
        email="old-1@example.com", password="x", date_joined=NOW - timedelta(days=90)
    )
    old.last_login = NOW - timedelta(days=2)
    old.save()

    after = platform_figures(params={}, now=NOW)

    assert after.users - before.users == 2
    assert after.users_new - before.users_new == 1
    assert after.users_recent - before.users_recent == 1


@pytest.fixture
def invoices(business_a, business_b):
    """Paid and unpaid invoices around NOW (15 March 2026)."""
    customer_a, customer_b = _customer(business_a), _customer(business_b)
    _invoice(customer_a, cents=999, paid_at=datetime(2026, 3, 2, tzinfo=UTC))
    _invoice(customer_b, cents=1999, paid_at=datetime(2026, 3, 14, 23, 0, tzinfo=UTC))
    _invoice(customer_a, cents=4999, paid_at=datetime(2026, 2, 20, tzinfo=UTC))
    _invoice(customer_b, cents=2500, paid_at=datetime(2026, 1, 31, 23, 59, tzinfo=UTC))
    _invoice(customer_a, cents=10000, paid_at=datetime(2025, 12, 31, 12, tzinfo=UTC))
    # paid, but Stripe did not say when: its creation counts
    _invoice(customer_b, cents=700, paid_at=None, created=datetime(2026, 3, 10, tzinfo=UTC))
    # never counted: not paid, or the other mode's
    _invoice(customer_a, cents=5000, paid_at=None, status="open")
    _invoice(customer_a, cents=6000, paid_at=None, status="void")
    live = _customer(business_a, livemode=True)
    _invoice(live, cents=7000, paid_at=datetime(2026, 3, 3, tzinfo=UTC), livemode=True)
    # another currency is summed on its own
    _invoice(customer_b, cents=3000, paid_at=datetime(2026, 3, 5, tzinfo=UTC), currency="eur")


@pytest.mark.parametrize(
    ("query", "usd", "eur", "invoices_counted"),
    [
        ("", "36.98 USD", "30.00 EUR", 4),
        ("period=this_month", "36.98 USD", "30.00 EUR", 4),
        ("period=last_month", "49.99 USD", None, 1),
        ("period=last_30_days", "86.97 USD", "30.00 EUR", 5),
        ("period=this_year", "111.97 USD", "30.00 EUR", 6),
        ("period=custom&start=2025-12-31&end=2026-01-31", "125.00 USD", None, 2),
        ("start=2026-03-14&end=2026-03-14", "19.99 USD", None, 1),
    ],
)
def test_revenue_sums_paid_invoices_of_the_chosen_period(
    invoices, query, usd, eur, invoices_counted
):
    figures = platform_figures(params=QueryDict(query), now=NOW)

    totals = {money.currency: str(money) for money in figures.revenue.totals}
    assert totals.get("usd") == usd
    assert totals.get("eur") == eur
    assert figures.revenue.invoices == invoices_counted


def test_a_wrong_custom_period_says_why_and_shows_this_month(invoices):
    figures = platform_figures(
        params=QueryDict("period=custom&start=2026-03-10&end=2026-03-01"), now=NOW
    )

    assert figures.revenue.period.key == "this_month"
    assert figures.revenue_form.non_field_errors() == ["The end date comes before the start date."]


def test_revenue_per_month_is_a_bar_for_each_of_the_last_twelve_months(invoices):
    figures = platform_figures(params={}, now=NOW)

    usd = next(chart for chart in figures.revenue_charts if chart.key == "revenue-usd")
    assert (usd.bars[0].full_label, usd.bars[-1].full_label) == ("April 2025", "March 2026")
    values = {bar.full_label: bar.full_value for bar in usd.bars}
    assert values["March 2026"] == "36.98 USD"
    assert values["February 2026"] == "49.99 USD"
    assert values["January 2026"] == "25.00 USD"
    assert values["December 2025"] == "100.00 USD"
    assert values["November 2025"] == "0.00 USD"
    # the tallest bar is the largest month, and a month without revenue has no bar
    tallest = max(usd.bars, key=lambda bar: bar.height)
    assert tallest.full_label == "December 2025"
    assert next(bar for bar in usd.bars if bar.full_label == "November 2025").height == 0
    assert "December 2025: 100.00 USD" in usd.summary
    assert {chart.key for chart in figures.revenue_charts} == {"revenue-usd", "revenue-eur"}


def test_trials_ending_within_seven_days_are_listed_soonest_first_with_a_link():
    soon = _business("Ends tomorrow", trial_ends_at=NOW + timedelta(days=1))
    later = _business("Ends in six days", trial_ends_at=NOW + timedelta(days=6))
    _business("Ends in nine days", trial_ends_at=NOW + timedelta(days=9))
    _business("Ended", trial_ends_at=NOW - timedelta(hours=1))
    with_plan = _business("Trial but paying", trial_ends_at=NOW + timedelta(days=2))
    _stripe(with_plan, "active")
    manager = _manager("trials-manager@example.com")
    Assignment.objects.create(business=soon, manager=manager)

    figures = platform_figures(params={}, now=NOW)

    listed = [trial.name for trial in figures.trials_ending]
    assert listed[:2] == ["Ends tomorrow", "Ends in six days"]
    assert "Ends in nine days" not in listed and "Ended" not in listed
    assert "Trial but paying" not in listed
    first = figures.trials_ending[0]
    assert first.url == f"/admin/tenants/business/{soon.pk}/change/"
    assert first.manager == "trials-manager@example.com"
    assert figures.trials_ending[1].business_id == later.pk
    assert figures.trials_ending_count == len(figures.trials_ending)


def test_managers_are_listed_with_their_business_counts(business_a, business_b):
    busy, idle = _manager("busy@example.com"), _manager("idle@example.com")
    extra = _business("Third")
    before = platform_figures(params={}, now=NOW).unassigned
    for business in (business_a, business_b, extra):
        Assignment.objects.create(business=business, manager=busy)

    figures = platform_figures(params={}, now=NOW)

    counts = {row.email: row.businesses for row in figures.managers}
    assert counts["busy@example.com"] == 3
    assert counts["idle@example.com"] == 0
    assert [row.email for row in figures.managers][:1] == ["busy@example.com"]
    assert figures.unassigned == before - 3
    assert idle.pk in {row.user_id for row in figures.managers}


def test_manager_rows_link_to_the_business_list_filtered_by_manager():
    manager = _manager("linked@example.com")

    figures = platform_figures(params={}, now=NOW)

    row = next(row for row in figures.managers if row.user_id == manager.pk)
    assert row.url == f"/admin/tenants/business/?manager={manager.pk}"
    assert figures.unassigned_url == "/admin/tenants/business/?manager=none"


def test_state_bars_open_the_business_list_filtered_by_that_state():
    # given
    late = _in_state(PAST_DUE, "Late Payer")
    _in_state(ACTIVE, "Good Payer")
    client = host_client("localhost", _admin())

    # when
    figures = platform_figures(params={}, now=NOW)
    bar = next(bar for bar in figures.states_chart.bars if bar.css_class == "state-past_due")
    response = client.get(bar.url)

    # then
    assert bar.url == "/admin/tenants/business/?billing_state=past_due"
    assert response.status_code == 200
    shown = [business.pk for business in response.context["cl"].result_list]
    assert shown == [late.pk]


def test_the_platform_figures_take_the_same_queries_for_any_number_of_businesses(
    business_a,
):
    _customer(business_a)

    def queries() -> int:
        with CaptureQueriesContext(db_connection) as captured:
            platform_figures(params={}, now=NOW)
        return len(captured)

    few = queries()
    for state in (TRIALING, ACTIVE, PAST_DUE, CANCELED, EXPIRED) * 4:
        business = _in_state(state, f"more {state}")
        Assignment.objects.create(business=business, manager=_manager(f"m{business.pk}@e.com"))

    assert queries() == few


# --- a platform manager's figures ---------------------------------------------------------------


@pytest.fixture
def managed(business_a, business_b, owner_a):
    """Manager M looks after A (paying, a channel in error, a message waiting) and a trial
    business; manager N after B (whose figures M must never see)."""
    m, n = _manager("m@example.com"), _manager("n@example.com")
    trial = _business("Gamma Trial", trial_ends_at=NOW + timedelta(days=3))
    Assignment.objects.create(business=business_a, manager=m)
    Assignment.objects.create(business=trial, manager=m)
    Assignment.objects.create(business=business_b, manager=n)

    _stripe(business_a, "active", plan="double", current_period_end=NOW + timedelta(days=12))
    Connection.objects.create(
        business=business_a, platform="whatsapp", external_id="dash-a-1", status="connected"
    )
    broken = Connection.objects.create(
        business=business_a,
        platform="telegram",
        external_id="dash-a-2",
        status="error",
        last_error="401 Unauthorized: the bot token was revoked",
        error_count=4,
    )
    event = InboundEvent.objects.create(
        connection=broken, dedupe_key="k1", event="message", body=b"{}"
    )
    InboundEvent.objects.filter(pk=event.pk).update(received_at=NOW - timedelta(minutes=5))
    Connection.objects.filter(business=business_a).update(updated_at=NOW - timedelta(hours=3))
    owner_a.last_login = NOW - timedelta(days=1)
    owner_a.save(update_fields=["last_login"])
    for text in ("Hello?", "Are you there?"):
        ManagerMessage.objects.create(
            business=business_a, author=owner_a, side="business", text=text
        )
    ManagerMessage.objects.create(
        business=business_a, author=m, side="manager", text="Yes", read_at=NOW
    )
    ManagerMessage.objects.filter(business=business_a).update(created_at=NOW - timedelta(hours=1))

    # B: things M must not see
    _stripe(business_b, "past_due", past_due_since=NOW - timedelta(days=10))
    Connection.objects.create(
        business=business_b,
        platform="whatsapp",
        external_id="dash-b-1",
        status="error",
        last_error="B's secret trouble",
    )
    ManagerMessage.objects.create(business=business_b, side="business", text="B writes")
    return m, n, trial


def test_a_manager_sees_only_their_businesses(managed):
    m, n, _trial = managed

    mine = manager_figures(manager=m, now=NOW)
    theirs = manager_figures(manager=n, now=NOW)

    assert [row.name for row in mine.businesses] == ["Alpha Shop", "Gamma Trial"]
    assert [row.name for row in theirs.businesses] == ["Beta Salon"]
    assert mine.unread == 2 and theirs.unread == 1
    assert mine.channels_in_error == 1
    assert sum(state.count for state in mine.states) == 2
    assert {state.state: state.count for state in mine.states}[PAST_DUE] == 0
    assert all(
        row.channel_error is None or "B's" not in row.channel_error.text for row in mine.businesses
    )


def test_a_managers_row_has_plan_state_dates_channels_activity_and_chat(managed, business_a):
    m, _n, _trial = managed

    rows = {row.name: row for row in manager_figures(manager=m, now=NOW).businesses}

    alpha = rows["Alpha Shop"]
    assert (alpha.plan, alpha.state, alpha.state_label) == ("Double", ACTIVE, "Active")
    assert (alpha.date_label, alpha.date) == ("Renews", NOW + timedelta(days=12))
    assert alpha.channels == {"connected": 1, "error": 1}
    assert alpha.channel_counts == [("Connected", 1), ("Error", 1)]
    assert alpha.channel_error.platform == "Telegram"
    assert alpha.channel_error.text.startswith("401 Unauthorized")
    assert alpha.channel_error.count == 4
    assert (alpha.last_activity, alpha.last_activity_label) == (
        NOW - timedelta(minutes=5),
        "message received",
    )
    assert alpha.unread == 2
    assert alpha.chat_url == f"/admin/x8/chat/{business_a.pk}/"
    assert alpha.url == f"/admin/tenants/business/{business_a.pk}/change/"
    assert alpha.needs_attention

    gamma = rows["Gamma Trial"]
    assert (gamma.state, gamma.date_label, gamma.date) == (
        TRIALING,
        "Trial ends",
        NOW + timedelta(days=3),
    )
    assert gamma.channels == {} and gamma.channel_error is None
    assert gamma.last_activity is None and gamma.unread == 0
    assert not gamma.needs_attention


def test_a_channel_in_error_alone_asks_for_the_managers_attention(managed):
    m, _n, trial = managed
    Connection.objects.create(
        business=trial, platform="whatsapp", external_id="dash-g-1", status="error"
    )

    figures = manager_figures(manager=m, now=NOW)

    gamma = next(row for row in figures.businesses if row.name == "Gamma Trial")
    assert gamma.needs_attention and gamma.unread == 0 and not gamma.restricted
    assert figures.channels_in_error == 2
    assert figures.attention == 2


def test_a_managers_dashboard_takes_the_same_queries_for_any_number_of_businesses(managed):
    m, _n, _trial = managed

    def queries() -> int:
        with CaptureQueriesContext(db_connection) as captured:
            manager_figures(manager=m, now=NOW)
        return len(captured)

    few = queries()
    for index in range(6):
        business = _in_state((ACTIVE, PAST_DUE, EXPIRED)[index % 3], f"more {index}")
        Assignment.objects.create(business=business, manager=m)
        Connection.objects.create(
            business=business,
            platform="telegram",
            external_id=f"more-{index}",
            status="error",
            last_error="x",
        )
        ManagerMessage.objects.create(business=business, side="business", text="hi")

    assert queries() == few


def test_the_managers_dashboard_renders_only_their_businesses(managed):
    m, _n, _trial = managed

    html = _render_tag(m)

    assert "Alpha Shop" in html and "Gamma Trial" in html
    assert "Beta Salon" not in html and "B&#x27;s secret trouble" not in html
    assert "B writes" not in html
    assert 'data-figure="unread">2<' in html
    assert "/admin/x8/chat/" in html
    assert "401 Unauthorized" in html
    # no platform figures for a manager
    assert "Revenue" not in html and 'data-figure="users"' not in html


def test_a_manager_without_businesses_is_told_so():
    html = _render_tag(_manager("new-manager@example.com"))

    assert "No business is assigned to you yet." in html


def test_nobody_else_gets_figures(owner_a):
    assert _render_tag(owner_a).strip() == ""


# --- the admin's front page ---------------------------------------------------------------------


def test_the_admin_index_shows_the_platform_dashboard_above_the_apps(invoices, business_a):
    # given: a platform admin logged in on the public host
    admin = _admin()
    client = host_client("localhost", admin)
    _in_state(PAST_DUE, "Late Payer")

    # when
    response = client.get("/admin/")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('id="x8-dashboard"') < html.index('id="content-main"')
    assert "css/admin-dashboard.css" in html
    figures = response.context["figures"]
    assert f'data-figure="users">{figures.users}<' in html
    assert f'data-figure="businesses">{figures.businesses}<' in html
    assert 'role="img"' in html and '<title id="x8-chart-states-title">' in html
    assert "Past due: 1" in html  # the chart's numbers, in words too
    assert "Revenue per month, USD" in html
    assert "/admin/tenants/business/" in html


def test_the_admin_index_takes_the_revenue_period_from_the_query_string(invoices):
    client = host_client("localhost", _admin())

    response = client.get("/admin/", {"period": "last_30_days"})

    figures = response.context["figures"]
    assert figures.revenue.period.key == "last_30_days"
    assert 'aria-current="true" class="x8-current">Last 30 days<' in response.content.decode()


def test_svg_numbers_stay_dots_in_a_language_with_decimal_commas(invoices):
    admin = _admin()
    admin.language = "ru"
    admin.save()
    client = host_client("localhost", admin)

    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    start = html.index('id="x8-chart-states"')
    svg = html[html.rindex("<svg", 0, start) : html.index("</svg>", start)]
    assert 'width="' in svg
    for attribute in ("x", "y", "width", "height"):
        for value in svg.split(f' {attribute}="')[1:]:
            assert "," not in value.split('"')[0]


def test_the_admin_index_shows_a_manager_only_their_businesses(managed):
    m, _n, _trial = managed
    client = host_client("localhost", m)

    response = client.get("/admin/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="x8-dashboard"' in html
    assert "Alpha Shop" in html and "Gamma Trial" in html
    assert "Beta Salon" not in html and "B writes" not in html
    assert "Revenue" not in html
