"""What do the admin dashboards cost, against asking ``entitlements_for`` business by business?

Creates a scratch database (dropped at the end) holding the public tables only, as the
dashboards never enter a business's schema: the project's migrations of the public schema,
and dj-stripe's tables made from its models (the same tables and indexes; replaying
dj-stripe's migrations alone takes over a minute). Into it go ``-n`` businesses (rows only,
no schema each), each with its billing account in a mix of states: on trial, trial ended,
paying through Stripe (some cancelling at the period's end), past due within the grace
period and past it, canceled, on the Free plan, and on a plan granted by an admin; expired
and revoked grants on some others, which must not count. Every Stripe customer has its
dj-stripe customer and its monthly invoices (paid, the last one open for those past due)
over up to fourteen months; a tenth of the customers pay in euros. Each business has an
owner, zero to three connections in mixed statuses, some inbox events and some chat with
its manager; 20 managers share the businesses (a few have none). The tables are analyzed
before timing.

It prints, with DEBUG off and ``now`` fixed for the run (statements include the
``SET search_path`` django-tenants sends before each query, also shown apart):

1. the platform admin's dashboard figures (``managers.dashboard.platform_figures``): median
   and p95 ms of ``--runs`` runs, SQL statements per run; and its grouped query of every
   business's billing state alone;
2. one manager's dashboard figures (``manager_figures``, about 100 businesses): the same;
3. the baseline in the same run: every business's state asked of
   ``billing.entitlements.entitlements_for`` one business at a time (median of three rounds),
   and the same for the manager's businesses, with the ratios of 1 and 2 to it; and how many
   businesses the two ways disagree on (state, restricted, plan, source);
4. what ``entitlements_for`` adds to every send: median µs and statements per call, against
   one primary-key ``Business.objects.get`` timed alongside it.

The default run takes about a minute on two cores.

    .venv/bin/python bench/billing_dashboard.py [-n 2000] [--runs 20] [--queries]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tenant_provision import (  # noqa: E402
    _admin_execute,
    _percentile,
    _scratch_database_url,
)

SEED = 20268
MANAGERS = 20
#: Share of businesses with no manager yet.
UNASSIGNED_SHARE = 0.025
#: How each business got its billing state, and the share of businesses that did.
KINDS = (
    ("trialing", 0.14),
    ("expired", 0.22),
    ("stripe_active", 0.30),
    ("stripe_cancels", 0.04),
    ("past_due_in_grace", 0.03),
    ("past_due_over_grace", 0.02),
    ("canceled", 0.09),
    ("free", 0.10),
    ("granted", 0.06),
)
STRIPE_KINDS = frozenset(
    ("stripe_active", "stripe_cancels", "past_due_in_grace", "past_due_over_grace", "canceled")
)
#: Businesses of other kinds carrying a grant that ended or was revoked.
STALE_GRANT_SHARE = 0.03
PAID_PLANS = (("single", 0.5), ("double", 0.3), ("growth", 0.2))
EURO_SHARE = 0.10
MONTH = timedelta(days=30)
BASELINE_ROUNDS = 3
SEND_CALLS = 2_000
COUNTED_CALLS = 200
CONNECTION_STATUSES = (
    ("connected", 0.60),
    ("disconnected", 0.20),
    ("error", 0.12),
    ("connecting", 0.08),
)
PLATFORMS = ("whatsapp", "telegram", "instagram", "facebook", "email", "webchat")
ERRORS = (
    "Session is not authenticated: scan the QR code again",
    "Token expired (code 190)",
    "Bot was blocked by the user",
    "IMAP login failed: invalid credentials",
)


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _share in choices], [share for _name, share in choices])[0]


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


# -- the data ----------------------------------------------------------------------------------


@dataclass
class Created:
    businesses: int = 0
    users: int = 0
    grants: int = 0
    customers: int = 0
    invoices: int = 0
    paid_invoices: int = 0
    connections: int = 0
    inbound_events: int = 0
    chat_messages: int = 0


def data_create(n: int, *, now: datetime, rng: random.Random) -> Created:
    """``n`` businesses in the public tables, as billing, sign-up and the managers leave them."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db.models import F

    from accounts.models import Membership, User
    from billing.models import BillingAccount, Plan, PlanGrant
    from managers.models import Assignment
    from tenants.models import Business

    created = Created()
    kinds = [kind for kind, share in KINDS for _ in range(round(share * n))]
    kinds = (kinds + ["expired"] * n)[:n]
    rng.shuffle(kinds)
    trial = timedelta(days=settings.TRIAL_DAYS)

    businesses = []
    for number, kind in enumerate(kinds):
        if kind == "trialing":
            trial_ends_at = now + _days(rng, 0.05, settings.TRIAL_DAYS)
        elif kind == "expired":
            trial_ends_at = now - _days(rng, 0.05, 400)
        else:
            trial_ends_at = now - _days(rng, 60, 700)
        businesses.append(
            Business(
                name=f"Bench business {number:05d}",
                slug=f"bench-{number}",
                schema_name=f"biz_bench_{number}",
                trial_ends_at=trial_ends_at,
            )
        )
    Business.objects.bulk_create(businesses, batch_size=1_000)
    # Signed up a trial's length before the trial ended.
    Business.objects.exclude(schema_name="public").update(created_at=F("trial_ends_at") - trial)
    created.businesses = len(businesses)

    plans = {plan.code: plan for plan in Plan.objects.all()}
    accounts, stripe_accounts, grants = [], [], []
    for number, (business, kind) in enumerate(zip(businesses, kinds, strict=True)):
        account = BillingAccount(business=business)
        if kind in STRIPE_KINDS:
            plan = plans[_weighted(rng, PAID_PLANS)]
            account.plan = plan
            account.source = BillingAccount.Source.STRIPE
            account.stripe_customer_id = f"cus_bench{number:06d}"
            account.stripe_subscription_id = f"sub_bench{number:06d}"
            account.stripe_price_id = f"price_bench_{plan.code}"
            account.synced_at = now - _days(rng, 0, 30)
            if kind in ("stripe_active", "stripe_cancels"):
                account.stripe_status = "active"
                account.current_period_end = now + _days(rng, 0.1, 30)
                account.cancel_at_period_end = kind == "stripe_cancels"
            elif kind == "canceled":
                account.stripe_status = "canceled"
                account.ended_at = now - _days(rng, 1, 300)
                account.current_period_end = account.ended_at
            else:
                grace = settings.BILLING_GRACE_DAYS
                account.stripe_status = "past_due"
                if kind == "past_due_in_grace":
                    account.past_due_since = now - _days(rng, 0.05, grace - 0.05)
                else:
                    account.past_due_since = now - _days(rng, grace + 0.05, 25)
                account.current_period_end = account.past_due_since + MONTH
            stripe_accounts.append((business, account))
        elif kind == "free":
            account.plan = plans["free"]
            account.source = BillingAccount.Source.FREE
        elif kind == "granted":
            code = rng.choice(("enterprise", "enterprise", "special"))
            grants.append(
                PlanGrant(
                    business=business,
                    plan=plans[code],
                    channel_limit=rng.choice((3, 5)) if code == "special" else None,
                    starts_at=now - _days(rng, 5, 300),
                    ends_at=now + _days(rng, 5, 300),
                    note="Agreed with sales",
                )
            )
        if kind != "granted" and rng.random() < STALE_GRANT_SHARE:
            starts_at = now - _days(rng, 100, 400)
            revoked = rng.random() < 0.5
            grants.append(
                PlanGrant(
                    business=business,
                    plan=plans["special"],
                    starts_at=starts_at,
                    # A revoked grant would still be running; the others have ended.
                    ends_at=now + _days(rng, 10, 100) if revoked else now - _days(rng, 1, 90),
                    revoked_at=now - _days(rng, 1, 90) if revoked else None,
                    note="Promotion",
                )
            )
        accounts.append(account)
    BillingAccount.objects.bulk_create(accounts, batch_size=1_000)
    PlanGrant.objects.bulk_create(grants, batch_size=1_000)
    created.grants = len(grants)
    created.customers, created.invoices, created.paid_invoices = _stripe_rows_create(
        stripe_accounts, rng=rng
    )

    # People: the platform admin, the managers, one owner per business.
    unusable = make_password(None)
    admin = User(email="admin@bench.example", platform_role="admin", is_staff=True)
    managers = [
        User(
            email=f"manager{number}@bench.example",
            full_name=f"Manager {number:02d}",
            platform_role="manager",
            is_staff=True,
            last_login=now - _days(rng, 0, 3),
        )
        for number in range(MANAGERS)
    ]
    owners = []
    for number, business in enumerate(businesses):
        roll = rng.random()
        last_login = None if roll < 0.1 else now - _days(rng, 0, 30 if roll < 0.8 else 300)
        owners.append(
            User(
                email=f"owner{number}@bench.example",
                full_name=f"Owner {number}",
                last_login=last_login,
                date_joined=business.trial_ends_at - trial,
            )
        )
    people = [admin, *managers, *owners]
    for user in people:
        user.password = unusable
    User.objects.bulk_create(people, batch_size=1_000)
    created.users = len(people)
    Membership.objects.bulk_create(
        [
            Membership(user=owner, business=business, role=Membership.Role.OWNER)
            for owner, business in zip(owners, businesses, strict=True)
        ],
        batch_size=1_000,
    )
    Assignment.objects.bulk_create(
        [
            Assignment(business=business, manager=rng.choice(managers), assigned_by=admin)
            for business in businesses
            if rng.random() >= UNASSIGNED_SHARE
        ],
        batch_size=1_000,
    )
    created.connections, created.inbound_events = _connections_create(
        businesses, kinds, now=now, rng=rng
    )
    created.chat_messages = _chats_create(businesses, managers, now=now, rng=rng)
    return created


def _stripe_rows_create(stripe_accounts: list, *, rng: random.Random) -> tuple[int, int, int]:
    """dj-stripe's customer of every Stripe account and its monthly invoices, shaped as
    Stripe sends them (the keys the revenue figures read)."""
    from django.conf import settings
    from djstripe.models import Customer, Invoice

    live = settings.STRIPE_LIVE_MODE
    customers, invoices = [], []
    paid = 0
    for business, account in stripe_accounts:
        currency = "eur" if rng.random() < EURO_SHARE else "usd"
        customer = Customer(
            id=account.stripe_customer_id,
            subscriber=business,
            livemode=live,
            email=f"owner@{business.slug}.bench.example",
            created=business.trial_ends_at,
            stripe_data={
                "id": account.stripe_customer_id,
                "object": "customer",
                "currency": currency,
                "email": f"owner@{business.slug}.bench.example",
                "name": business.name,
                "metadata": {"x8_business": str(business.pk)},
            },
        )
        customers.append(customer)
        cents = int(account.plan.price * Decimal(100))
        # The last invoice opened the period ending at current_period_end (for one past
        # due, it is the renewal that failed); earlier ones a month apart, 1 to 14 in all.
        months = rng.randint(1, 14)
        last_paid_at = account.current_period_end - MONTH
        for back in range(months):
            status = "paid"
            if back == 0 and account.stripe_status == "past_due":
                status = "open"  # the renewal that failed
            paid += status == "paid"
            invoices.append(
                _invoice(
                    customer,
                    invoice_id=f"in_{account.stripe_customer_id[4:]}_{months - back:02d}",
                    cents=cents,
                    currency=currency,
                    at=last_paid_at - back * MONTH,
                    status=status,
                )
            )
    Customer.objects.bulk_create(customers, batch_size=1_000)
    Invoice.objects.bulk_create(invoices, batch_size=1_000)
    return len(customers), len(invoices), paid


def _invoice(customer, *, invoice_id: str, cents: int, currency: str, at: datetime, status: str):
    """An invoice for a month's plan, paid at ``at`` (or left open then, unpaid)."""
    from djstripe.models import Invoice

    finalized = int((at - timedelta(hours=1)).timestamp())
    data = {
        "id": invoice_id,
        "object": "invoice",
        "amount_due": cents,
        "amount_paid": cents if status == "paid" else 0,
        "amount_remaining": 0 if status == "paid" else cents,
        "attempt_count": 1 if status == "paid" else 3,
        "billing_reason": "subscription_cycle",
        "collection_method": "charge_automatically",
        "created": finalized,
        "currency": currency,
        "customer": customer.id,
        "livemode": customer.livemode,
        "number": invoice_id.removeprefix("in_").upper(),
        "paid": status == "paid",
        "status": status,
        "status_transitions": {
            "finalized_at": finalized,
            "marked_uncollectible_at": None,
            "paid_at": int(at.timestamp()) if status == "paid" else None,
            "voided_at": None,
        },
        "subtotal": cents,
        "total": cents,
    }
    return Invoice(
        id=invoice_id,
        customer=customer,
        livemode=customer.livemode,
        created=at - timedelta(hours=1),
        stripe_data=data,
    )


def _connections_create(
    businesses: list, kinds: list[str], *, now: datetime, rng: random.Random
) -> tuple[int, int]:
    """Zero to three connections per business; those connected have received messages."""
    from connections.models import Connection, InboundEvent

    connections = []
    for business, kind in zip(businesses, kinds, strict=True):
        restricted = kind in ("expired", "canceled", "past_due_over_grace")
        for number in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            status = "disconnected" if restricted else _weighted(rng, CONNECTION_STATUSES)
            error = rng.choice(ERRORS) if status == "error" else ""
            changed = now - _days(rng, 0, 60)
            connections.append(
                Connection(
                    business=business,
                    platform=rng.choice(PLATFORMS),
                    external_id=f"bench-{business.pk}-{number}",
                    status=status,
                    provider_status={"connected": "WORKING", "error": "FAILED"}.get(status, ""),
                    last_error=error,
                    error_count=rng.randint(1, 6) if error else 0,
                    connected_at=changed if status == "connected" else None,
                    status_changed_at=changed,
                    checked_at=now - _days(rng, 0, 0.01),
                )
            )
    Connection.objects.bulk_create(connections, batch_size=1_000)
    events = [
        InboundEvent(
            connection=connection,
            dedupe_key=f"message:{connection.pk}:{number}",
            event="message",
            body=b'{"event": "message"}',
            processed_at=now,
        )
        for connection in connections
        if connection.status == "connected"
        for number in range(2)
    ]
    InboundEvent.objects.bulk_create(events, batch_size=1_000)
    return len(connections), len(events)


def _chats_create(businesses: list, managers: list, *, now: datetime, rng: random.Random) -> int:
    """A third of the businesses have written with their manager; some lines are unread."""
    from managers.models import ManagerMessage

    messages = []
    for business in businesses:
        if rng.random() >= 1 / 3:
            continue
        for number in range(rng.randint(1, 6)):
            side = ManagerMessage.Side.BUSINESS if number % 2 == 0 else ManagerMessage.Side.MANAGER
            messages.append(
                ManagerMessage(
                    business=business,
                    author=None if side == ManagerMessage.Side.BUSINESS else rng.choice(managers),
                    side=side,
                    text=f"Question {number} about the plan",
                    read_at=None if rng.random() < 0.3 else now,
                )
            )
    ManagerMessage.objects.bulk_create(messages, batch_size=1_000)
    return len(messages)


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statements:
    """SQL statements sent; django-tenants sends ``SET search_path`` before each query (its
    TENANT_LIMIT_SET_CALLS is off), and those are counted apart."""

    total: int
    search_path: int
    sql: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.total:>5,} statements ({self.search_path:,} SET search_path)"


@dataclass(frozen=True)
class Timing:
    """Milliseconds of each run of one call, and the SQL statements of one more run."""

    runs_ms: list[float]
    statements: Statements
    #: What the counted run returned.
    result: object = field(default=None, repr=False, compare=False)

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def p95(self) -> float:
        return _percentile(self.runs_ms, 0.95)


def _counted(call: Callable[[], object]) -> tuple[Statements, object]:
    """The statements ``call`` sends, and what it returns."""
    from django.db import connection

    sql: list[str] = []

    def counting(execute, statement, params, many, context):
        sql.append(statement)
        return execute(statement, params, many, context)

    with connection.execute_wrapper(counting):
        result = call()
    search_path = sum(text.startswith("SET search_path") for text in sql)
    return Statements(len(sql), search_path, tuple(sql)), result


def _statements(call: Callable[[], object]) -> Statements:
    return _counted(call)[0]


def measure(call: Callable[[], object], runs: int) -> Timing:
    """One warm-up run, ``runs`` timed runs, then one run whose statements are counted."""
    call()
    times = []
    for _run in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    statements, result = _counted(call)
    return Timing(times, statements, result)


def states_one_by_one(businesses: list, now: datetime) -> dict[int, object]:
    """Every business's entitlements, asked one business at a time."""
    from billing.entitlements import entitlements_for

    return {business.pk: entitlements_for(business, now=now) for business in businesses}


@dataclass(frozen=True)
class PerCall:
    entitlements_us: list[float]
    get_us: list[float]
    #: Over COUNTED_CALLS calls.
    entitlements_statements: Statements
    get_statements: Statements


def per_send(businesses: list, rng: random.Random) -> PerCall:
    """``entitlements_for`` as a send calls it (the business in hand, at this moment), next
    to a primary-key read of the same business, taken in turn."""
    from billing.entitlements import entitlements_for
    from tenants.models import Business

    sample = [rng.choice(businesses) for _call in range(SEND_CALLS)]
    for business in sample[:50]:  # warm-up
        Business.objects.get(pk=business.pk)
        entitlements_for(business)
    entitlements_us, get_us = [], []
    for business in sample:
        started = time.perf_counter()
        Business.objects.get(pk=business.pk)
        middle = time.perf_counter()
        entitlements_for(business)
        ended = time.perf_counter()
        get_us.append((middle - started) * 1e6)
        entitlements_us.append((ended - middle) * 1e6)
    counted = sample[:COUNTED_CALLS]
    return PerCall(
        entitlements_us=entitlements_us,
        get_us=get_us,
        entitlements_statements=_statements(
            lambda: [entitlements_for(business) for business in counted]
        ),
        get_statements=_statements(
            lambda: [Business.objects.get(pk=business.pk) for business in counted]
        ),
    )


# -- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2_000, help="businesses (default 2000)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure (default 20)")
    parser.add_argument(
        "--queries", action="store_true", help="print the SQL of one run of each dashboard"
    )
    args = parser.parse_args()
    if args.n < MANAGERS:
        parser.error(f"-n must be at least {MANAGERS}, one business per manager")

    base_url, base_name = _scratch_database_url()
    name = f"{base_name}_billing"
    url = urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_execute(url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    try:
        import django

        django.setup()
        _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _schema_create() -> None:
    """The public schema: the project's migrations, then dj-stripe's tables from its models
    (its migrations only recreate the same tables, slowly; nothing of ours depends on them)."""
    from django.conf import settings
    from django.core.management import call_command

    settings.MIGRATION_MODULES = {**settings.MIGRATION_MODULES, "djstripe": None}
    call_command("migrate_schemas", "--shared", "--noinput", verbosity=0)
    # dj-stripe's customer points at the business table, which must exist first.
    call_command("migrate_schemas", "--shared", "--run-syncdb", "--noinput", verbosity=0)


def _run(args: argparse.Namespace) -> None:
    import logging

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import User
    from billing import services as billing_services
    from managers.dashboard import businesses_with_state, manager_figures, platform_figures
    from tenants.models import Business
    from tenants.services import public_tenant_ensure

    logging.disable(logging.INFO)
    started = time.perf_counter()
    print("creating the public tables of the scratch database ...", flush=True)
    _schema_create()
    public_tenant_ensure()
    billing_services.plans_load(sync=False)
    settings.DEBUG = False  # no query log kept while timing, as in production

    now = timezone.now()
    rng = random.Random(SEED)
    print(f"creating {args.n:,} businesses and their billing, people and channels ...", flush=True)
    loading = time.perf_counter()
    created = data_create(args.n, now=now, rng=rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {time.perf_counter() - loading:.1f} s", flush=True)

    print(f"platform dashboard, {args.runs} runs ...", flush=True)
    platform = measure(lambda: platform_figures(params={}, now=now), args.runs)

    def states_grouped() -> list[dict]:
        # The query platform_figures counts the states and plans with.
        return list(
            businesses_with_state(now=now)
            .values("billing_state", "billing_restricted", "billing_plan_id", "billing_source")
            .annotate(n=Count("pk"))
            .order_by()
        )

    grouped = measure(states_grouped, args.runs)

    manager = (
        User.objects.filter(platform_role=User.PlatformRole.MANAGER)
        .annotate(businesses=Count("managed_assignments"))
        .order_by("-businesses", "email")
        .first()
    )
    print(f"manager dashboard ({manager.businesses} businesses), {args.runs} runs ...", flush=True)
    managed = measure(lambda: manager_figures(manager=manager, now=now), args.runs)

    print(f"baseline: entitlements_for one business at a time, {BASELINE_ROUNDS} rounds ...",
          flush=True)  # fmt: skip

    def everyone() -> dict[int, object]:
        return states_one_by_one(list(Business.objects.exclude(schema_name="public")), now)

    def the_managers() -> dict[int, object]:
        businesses = Business.objects.filter(manager_assignment__manager=manager)
        return states_one_by_one(list(businesses), now)

    baseline = measure(everyone, BASELINE_ROUNDS)
    baseline_managed = measure(the_managers, max(BASELINE_ROUNDS, args.runs // 2))

    one_by_one = baseline.result
    in_bulk = {
        row["pk"]: row
        for row in businesses_with_state(now=now).values(
            "pk", "billing_state", "billing_restricted", "billing_plan_id", "billing_source"
        )
    }
    disagree = sum(
        (
            ent.state,
            ent.read_only,
            ent.plan.pk if ent.plan else None,
            ent.source,
        )
        != (
            in_bulk[pk]["billing_state"],
            in_bulk[pk]["billing_restricted"],
            in_bulk[pk]["billing_plan_id"],
            in_bulk[pk]["billing_source"],
        )
        for pk, ent in one_by_one.items()
    )
    states = Counter(ent.state for ent in one_by_one.values())
    restricted = sum(ent.read_only for ent in one_by_one.values())

    print(f"entitlements_for per send, {SEND_CALLS:,} calls ...", flush=True)
    sends = per_send(list(Business.objects.exclude(schema_name="public")), rng)

    _report(
        args=args,
        created=created,
        states=states,
        restricted=restricted,
        disagree=disagree,
        platform=platform,
        grouped=grouped,
        managed=managed,
        manager_businesses=manager.businesses,
        baseline=baseline,
        baseline_managed=baseline_managed,
        sends=sends,
    )
    if args.queries:
        for label, figures in (("platform dashboard", platform), ("manager dashboard", managed)):
            queries = [sql for sql in figures.statements.sql if not sql.startswith("SET ")]
            print(f"\n--- SQL of one run of the {label} ({len(queries)} queries) ---")
            for sql in queries:
                print(f"  [{len(sql):,} characters] {sql[:400]}")
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")


def _report(
    *,
    args: argparse.Namespace,
    created: Created,
    states: Counter,
    restricted: int,
    disagree: int,
    platform: Timing,
    grouped: Timing,
    managed: Timing,
    manager_businesses: int,
    baseline: Timing,
    baseline_managed: Timing,
    sends: PerCall,
) -> None:
    line = "-" * 100

    def row(label: str, value: str = "") -> None:
        print(f"{label:<64}{value}".rstrip())

    def timing(label: str, figures: Timing) -> None:
        row(label, f"{figures.median:9.1f} ms  p95 {figures.p95:7.1f} ms  {figures.statements}")

    def ratio(label: str, part: Timing, whole: Timing) -> None:
        times = part.median / whole.median
        statements = part.statements.total / whole.statements.total
        row(label, f"{times:9.3f} x time   {statements:10.4f} x statements")

    print()
    print(f"N = {created.businesses:,} businesses (rows in the public schema, no schema each)")
    print(line)
    row("by state (entitlements_for)",
        ", ".join(f"{state} {count:,}" for state, count in sorted(states.items())))  # fmt: skip
    row("     restricted (read only)", f"{restricted:,}")
    row("     businesses whose bulk state differs from entitlements_for", f"{disagree:,}")
    row("users (1 admin, 20 managers, an owner per business)", f"{created.users:,}")
    row("plan grants (current, ended or revoked)", f"{created.grants:,}")
    row("dj-stripe customers / invoices (paid)",
        f"{created.customers:,} / {created.invoices:,} ({created.paid_invoices:,})")  # fmt: skip
    row(
        "connections / inbox events / manager chat messages",
        f"{created.connections:,} / {created.inbound_events:,} / {created.chat_messages:,}",
    )
    print(line)
    print(f"median of {args.runs} runs after one warm-up; statements of one more run")
    timing("1. platform admin dashboard (platform_figures)", platform)
    timing("     its grouped query of every business's state", grouped)
    timing(f"2. manager dashboard (manager_figures, {manager_businesses} businesses)", managed)
    print(line)
    print("baseline, same run: entitlements_for one business at a time (listing included)")
    timing(f"3. all {created.businesses:,} businesses (median of {BASELINE_ROUNDS} rounds)",
           baseline)  # fmt: skip
    timing(f"     the manager's {manager_businesses} businesses "
           f"(median of {len(baseline_managed.runs_ms)})", baseline_managed)  # fmt: skip
    ratio("     platform dashboard / all businesses one by one", platform, baseline)
    ratio("     grouped state query / all businesses one by one", grouped, baseline)
    ratio("     manager dashboard / its businesses one by one", managed, baseline_managed)
    print(line)
    entitlements = statistics.median(sends.entitlements_us)
    get = statistics.median(sends.get_us)
    entitlements_sql, get_sql = sends.entitlements_statements, sends.get_statements

    def per_call(statements: Statements) -> str:
        return (f"{statements.total / COUNTED_CALLS:5.2f} statements "
                f"({statements.search_path / COUNTED_CALLS:.2f} SET search_path)")  # fmt: skip

    print(f"4. per send, {SEND_CALLS:,} calls on businesses drawn at random, taken in turn "
          f"(statements over {COUNTED_CALLS})")  # fmt: skip
    row("     entitlements_for(business)",
        f"{entitlements:9.0f} µs  p95 {_percentile(sends.entitlements_us, 0.95):7.0f} µs  "
        f"{per_call(entitlements_sql)}")  # fmt: skip
    row("     baseline: Business.objects.get(pk=...)",
        f"{get:9.0f} µs  p95 {_percentile(sends.get_us, 0.95):7.0f} µs  "
        f"{per_call(get_sql)}")  # fmt: skip
    row("     entitlements_for / one primary-key get",
        f"{entitlements / get:9.2f} x time   "
        f"{entitlements_sql.total / get_sql.total:10.2f} x statements")  # fmt: skip
    print(line)


if __name__ == "__main__":
    main()
