"""The admin's front page in figures: the whole platform for admins, a manager's own
businesses for managers.

Everything is counted in the database by a fixed number of queries, whatever the number of
businesses. A business's billing state is derived in SQL (``businesses_with_state``) by the
rules of ``billing.entitlements.entitlements_for``, which answers for one business at a time.
Revenue is what dj-stripe holds of Stripe's paid invoices.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Lower, TruncMonth
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, User
from billing.entitlements import (
    ACTIVE,
    CANCELED,
    EXPIRED,
    FAILING_STRIPE_STATUSES,
    LIVE_STRIPE_STATUSES,
    PAST_DUE,
    TRIALING,
)
from billing.models import BillingAccount, Plan, PlanGrant
from connections.models import Connection, InboundEvent
from tenants.models import Business

from .models import Assignment, ManagerMessage

#: In the order a person reads them: new, paying, in trouble, gone.
STATES = (TRIALING, ACTIVE, PAST_DUE, CANCELED, EXPIRED)
STATE_LABELS = {
    TRIALING: gettext_lazy("Trialing"),
    ACTIVE: gettext_lazy("Active"),
    PAST_DUE: gettext_lazy("Past due"),
    CANCELED: gettext_lazy("Canceled"),
    EXPIRED: gettext_lazy("Trial ended"),
}
SOURCE_STRIPE, SOURCE_GRANT, SOURCE_FREE, SOURCE_TRIAL = "stripe", "grant", "free", "trial"
TRIALS_ENDING_DAYS = 7
TRIALS_ENDING_SHOWN = 50
REVENUE_MONTHS = 12
#: Currencies Stripe counts in whole units rather than cents.
ZERO_DECIMAL_CURRENCIES = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
    "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
})  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Billing state of many businesses at once


def businesses_with_state(
    queryset: QuerySet[Business] | None = None, *, now: datetime | None = None
) -> QuerySet[Business]:
    """``queryset`` (default: every business) annotated with its billing state at ``now``.

    Annotations, matching ``entitlements_for``'s answer field by field:
    ``billing_state`` (trialing/active/past_due/canceled/expired), ``billing_source``
    (grant/stripe/free/trial), ``billing_plan_id``, ``billing_ends_at``,
    ``billing_grace_ends_at``, ``billing_restricted`` and ``billing_cancels``
    (cancel_at_period_end). A business without a billing account counts as one whose account
    is empty, as ``entitlements_for`` would create it.
    """
    now = now or timezone.now()
    moment = Value(now, output_field=DateTimeField())
    grace = timedelta(days=settings.BILLING_GRACE_DAYS)
    queryset = Business.objects.all() if queryset is None else queryset
    grants = PlanGrant.objects.filter(
        business=OuterRef("pk"), revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now
    ).order_by("-ends_at")
    queryset = queryset.exclude(schema_name="public").annotate(
        _grant_plan_id=Subquery(grants.values("plan_id")[:1]),
        _grant_ends_at=Subquery(grants.values("ends_at")[:1]),
    )

    granted = Q(_grant_plan_id__isnull=False)
    stripe = Q(
        billing__source=BillingAccount.Source.STRIPE,
        billing__plan__isnull=False,
        billing__stripe_status__gt="",
    )
    live = stripe & Q(billing__stripe_status__in=LIVE_STRIPE_STATUSES)
    failing = stripe & Q(billing__stripe_status__in=FAILING_STRIPE_STATUSES)
    free = Q(billing__source=BillingAccount.Source.FREE, billing__plan__isnull=False)
    trialing = Q(trial_ends_at__gt=now)
    # The grace period counts from the first failed renewal (from now when that is unknown).
    grace_over = Q(billing__past_due_since__lte=now - grace)

    def case(*whens: When, default, output_field):
        return Case(*whens, default=default, output_field=output_field)

    return queryset.annotate(
        billing_state=case(
            When(granted, then=Value(ACTIVE)),
            When(live, then=Value(ACTIVE)),
            When(failing, then=Value(PAST_DUE)),
            When(stripe, then=Value(CANCELED)),
            When(free, then=Value(ACTIVE)),
            When(trialing, then=Value(TRIALING)),
            default=Value(EXPIRED),
            output_field=CharField(),
        ),
        billing_source=case(
            When(granted, then=Value(SOURCE_GRANT)),
            When(stripe, then=Value(SOURCE_STRIPE)),
            When(free, then=Value(SOURCE_FREE)),
            default=Value(SOURCE_TRIAL),
            output_field=CharField(),
        ),
        billing_plan_id=case(
            When(granted, then=F("_grant_plan_id")),
            When(stripe | free, then=F("billing__plan_id")),
            default=None,
            output_field=BigIntegerField(),
        ),
        billing_ends_at=case(
            When(granted, then=F("_grant_ends_at")),
            When(live | failing, then=F("billing__current_period_end")),
            When(
                stripe,
                then=Coalesce("billing__ended_at", "billing__current_period_end", moment),
            ),
            When(free, then=Value(None, output_field=DateTimeField())),
            When(trialing, then=F("trial_ends_at")),
            default=Coalesce("trial_ends_at", "created_at", moment),
            output_field=DateTimeField(),
        ),
        billing_grace_ends_at=case(
            When(granted, then=Value(None, output_field=DateTimeField())),
            When(
                failing,
                then=ExpressionWrapper(
                    Coalesce("billing__past_due_since", moment) + Value(grace),
                    output_field=DateTimeField(),
                ),
            ),
            default=None,
            output_field=DateTimeField(),
        ),
        billing_restricted=case(
            When(granted, then=Value(False)),
            When(live, then=Value(False)),
            When(failing, then=Case(When(grace_over, then=Value(True)), default=Value(False))),
            When(stripe, then=Value(True)),
            When(free, then=Value(False)),
            When(trialing, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        ),
        billing_cancels=case(
            When(granted, then=Value(False)),
            When(live, then=F("billing__cancel_at_period_end")),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


class BusinessStateListFilter(admin.SimpleListFilter):
    """The business list by billing state, the same states as the dashboard's chart."""

    title = gettext_lazy("billing state")
    parameter_name = "billing_state"

    def lookups(self, request, model_admin):
        return [(state, STATE_LABELS[state]) for state in STATES]

    def queryset(self, request, queryset):
        if self.value() in STATES:
            return businesses_with_state(queryset).filter(billing_state=self.value())
        return queryset


# ---------------------------------------------------------------------------------------------
# Money and charts


@dataclass(frozen=True)
class Money:
    currency: str
    #: In the smallest unit Stripe counts (cents for most currencies).
    minor: int

    @property
    def amount(self) -> Decimal:
        if self.currency.lower() in ZERO_DECIMAL_CURRENCIES:
            return Decimal(self.minor)
        return Decimal(self.minor) / 100

    @property
    def decimals(self) -> int:
        return 0 if self.currency.lower() in ZERO_DECIMAL_CURRENCIES else 2

    def __str__(self) -> str:
        amount = number_format(self.amount, self.decimals, force_grouping=True)
        return f"{amount} {self.currency.upper()}"

    def short(self) -> str:
        """Whole units with a k/M suffix, for a bar's label."""
        value = self.amount
        for limit, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
            if abs(value) >= limit:
                return f"{number_format(value / limit, 1)}{suffix}"
        return number_format(value, 0)


@dataclass(frozen=True)
class Bar:
    label: str
    value_label: str
    x: float
    y: float
    width: float
    height: float
    #: Where the label sits: the bar's middle (columns) or its row's middle (rows).
    label_x: float = 0
    label_y: float = 0
    value_x: float = 0
    value_y: float = 0
    url: str | None = None
    css_class: str = ""
    #: A second line under a column's label (the year, under January and the first month).
    sub_label: str = ""
    #: The bar in words: "March 2026", "1,234.00 USD".
    full_label: str = ""
    full_value: str = ""

    @property
    def title(self) -> str:
        return f"{self.full_label}: {self.full_value}"


@dataclass(frozen=True)
class BarChart:
    """A chart drawn as SVG by the template; ``summary`` says the same in words."""

    #: Unique on the page: the SVG's id and its title's.
    key: str
    title: str
    summary: str
    width: int
    height: int
    bars: list[Bar]
    baseline_y: float = 0


ROW_HEIGHT, ROW_GAP, ROW_LABEL_WIDTH, ROW_VALUE_WIDTH, ROW_CHART_WIDTH = 24, 8, 96, 48, 420


def row_chart(key: str, title: str, rows: list[tuple[str, int, str | None, str]]) -> BarChart:
    """Horizontal bars, one per ``(label, value, url, css_class)``, longest = the largest."""
    largest = max((value for _label, value, _url, _css in rows), default=0) or 1
    track = ROW_CHART_WIDTH - ROW_LABEL_WIDTH - ROW_VALUE_WIDTH
    bars = []
    for index, (label, value, url, css) in enumerate(rows):
        y = index * (ROW_HEIGHT + ROW_GAP)
        # The smallest count still shows as a sliver; zero shows no bar at all.
        width = max(round(track * value / largest, 1), 2) if value else 0
        bars.append(
            Bar(
                label=label,
                value_label=str(value),
                x=ROW_LABEL_WIDTH,
                y=y,
                width=width,
                height=ROW_HEIGHT,
                label_x=ROW_LABEL_WIDTH - 8,
                label_y=y + ROW_HEIGHT / 2,
                value_x=ROW_LABEL_WIDTH + width + 6,
                value_y=y + ROW_HEIGHT / 2,
                url=url,
                css_class=css,
                full_label=label,
                full_value=str(value),
            )
        )
    summary = "; ".join(f"{bar.label}: {bar.value_label}" for bar in bars)
    return BarChart(
        key=key,
        title=title,
        summary=f"{title}. {summary}.",
        width=ROW_CHART_WIDTH,
        height=max(len(rows) * (ROW_HEIGHT + ROW_GAP) - ROW_GAP, ROW_HEIGHT),
        bars=bars,
    )


COLUMN_CHART_WIDTH, COLUMN_CHART_HEIGHT, COLUMN_TOP, COLUMN_BOTTOM, COLUMN_GAP = 600, 232, 22, 36, 8


def column_chart(key: str, title: str, columns: list[tuple[str, str, str, Money]]) -> BarChart:
    """Vertical bars, one per ``(short label, second line, full label, amount)``, the tallest
    for the largest amount."""
    largest = max((money.minor for *_labels, money in columns), default=0) or 1
    track = COLUMN_CHART_HEIGHT - COLUMN_TOP - COLUMN_BOTTOM
    slot = COLUMN_CHART_WIDTH / max(len(columns), 1)
    baseline = COLUMN_CHART_HEIGHT - COLUMN_BOTTOM
    bars = []
    for index, (short, second, full, money) in enumerate(columns):
        height = round(track * max(money.minor, 0) / largest, 1)
        if money.minor > 0:
            height = max(height, 2)
        x = index * slot + COLUMN_GAP / 2
        bars.append(
            Bar(
                label=short,
                sub_label=second,
                value_label=money.short() if money.minor else "0",
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(slot - COLUMN_GAP, 1),
                height=height,
                label_x=round(x + (slot - COLUMN_GAP) / 2, 1),
                label_y=baseline + 16,
                value_x=round(x + (slot - COLUMN_GAP) / 2, 1),
                value_y=round(baseline - height - 5, 1),
                full_label=full,
                full_value=str(money),
            )
        )
    summary = "; ".join(f"{full}: {money}" for _short, _second, full, money in columns)
    return BarChart(
        key=key,
        title=title,
        summary=f"{title}. {summary}.",
        width=COLUMN_CHART_WIDTH,
        height=COLUMN_CHART_HEIGHT,
        bars=bars,
        baseline_y=baseline,
    )


# ---------------------------------------------------------------------------------------------
# Revenue


PERIOD_THIS_MONTH, PERIOD_LAST_MONTH, PERIOD_LAST_30_DAYS, PERIOD_THIS_YEAR, PERIOD_CUSTOM = (
    "this_month",
    "last_month",
    "last_30_days",
    "this_year",
    "custom",
)


class RevenuePeriodForm(forms.Form):
    """The revenue figure's period, from the admin front page's query string."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            (PERIOD_THIS_MONTH, gettext_lazy("This month")),
            (PERIOD_LAST_MONTH, gettext_lazy("Last month")),
            (PERIOD_LAST_30_DAYS, gettext_lazy("Last 30 days")),
            (PERIOD_THIS_YEAR, gettext_lazy("This year")),
            (PERIOD_CUSTOM, gettext_lazy("Dates below")),
        ],
        required=False,
    )
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if cleaned.get("period") == PERIOD_CUSTOM or (not cleaned.get("period") and start):
            if not start or not end:
                raise forms.ValidationError(_("Give both dates, or choose a period."))
            if end < start:
                raise forms.ValidationError(_("The end date comes before the start date."))
            cleaned["period"] = PERIOD_CUSTOM
        return cleaned


@dataclass(frozen=True)
class RevenuePeriod:
    key: str
    label: str
    #: Paid at or after ``start`` and before ``end``.
    start: datetime
    end: datetime


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _month_start(moment: datetime, months_back: int = 0) -> datetime:
    local = timezone.localtime(moment)
    year, month = local.year, local.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return _midnight(date(year, month, 1))


def _next_month(start: datetime) -> datetime:
    local = timezone.localtime(start)
    last_day = calendar.monthrange(local.year, local.month)[1]
    return _midnight(local.date().replace(day=last_day) + timedelta(days=1))


def revenue_period(form: RevenuePeriodForm, *, now: datetime) -> RevenuePeriod:
    """The period the form chose (this month when it chose none or is invalid)."""
    key = form.cleaned_data.get("period") if form.is_valid() else ""
    key = key or PERIOD_THIS_MONTH
    if key == PERIOD_CUSTOM:
        start_day, end_day = form.cleaned_data["start"], form.cleaned_data["end"]
        return RevenuePeriod(
            key=key,
            label=_("%(start)s – %(end)s")
            % {
                "start": date_format(start_day, "SHORT_DATE_FORMAT"),
                "end": date_format(end_day, "SHORT_DATE_FORMAT"),
            },
            start=_midnight(start_day),
            end=_midnight(end_day + timedelta(days=1)),
        )
    if key == PERIOD_LAST_MONTH:
        start = _month_start(now, 1)
        return RevenuePeriod(key, _("Last month"), start, _month_start(now))
    if key == PERIOD_LAST_30_DAYS:
        return RevenuePeriod(key, _("Last 30 days"), now - timedelta(days=30), now)
    if key == PERIOD_THIS_YEAR:
        year = timezone.localtime(now).year
        return RevenuePeriod(
            key, _("This year"), _midnight(date(year, 1, 1)), _midnight(date(year + 1, 1, 1))
        )
    start = _month_start(now)
    return RevenuePeriod(PERIOD_THIS_MONTH, _("This month"), start, _next_month(start))


def paid_invoices() -> QuerySet:
    """dj-stripe's paid invoices of the mode the platform runs in (test or live), annotated
    with ``revenue_paid_at``, ``revenue_minor`` (amount paid) and ``revenue_currency``."""
    from djstripe.models import Invoice

    paid_at_epoch = Cast(KT("stripe_data__status_transitions__paid_at"), FloatField())
    return Invoice.objects.filter(
        stripe_data__status="paid", livemode=settings.STRIPE_LIVE_MODE
    ).annotate(
        revenue_paid_at=Coalesce(
            Func(paid_at_epoch, function="TO_TIMESTAMP", output_field=DateTimeField()),
            F("created"),
            output_field=DateTimeField(),
        ),
        revenue_minor=Coalesce(Cast(KT("stripe_data__amount_paid"), BigIntegerField()), Value(0)),
        revenue_currency=Lower(KT("stripe_data__currency")),
    )


@dataclass(frozen=True)
class Revenue:
    period: RevenuePeriod
    #: One sum per currency, largest first; empty when nothing was paid.
    totals: list[Money]
    invoices: int


def revenue_for(period: RevenuePeriod) -> Revenue:
    rows = (
        paid_invoices()
        .filter(revenue_paid_at__gte=period.start, revenue_paid_at__lt=period.end)
        .values("revenue_currency")
        .annotate(total=Sum("revenue_minor"), invoices=Count("pk"))
        .order_by("-total")
    )
    rows = list(rows)
    return Revenue(
        period=period,
        totals=[Money(row["revenue_currency"] or "", int(row["total"] or 0)) for row in rows],
        invoices=sum(row["invoices"] for row in rows),
    )


def revenue_by_month(*, now: datetime, months: int = REVENUE_MONTHS) -> list[BarChart]:
    """One chart per currency paid in: the last ``months`` calendar months, this one last."""
    starts = [_month_start(now, back) for back in range(months - 1, -1, -1)]
    rows = (
        paid_invoices()
        .filter(revenue_paid_at__gte=starts[0], revenue_paid_at__lt=_next_month(starts[-1]))
        .annotate(month=TruncMonth("revenue_paid_at"))
        .values("month", "revenue_currency")
        .annotate(total=Sum("revenue_minor"))
        .order_by()
    )
    by_currency: dict[str, dict[tuple[int, int], int]] = {}
    for row in rows:
        month = timezone.localtime(row["month"])
        sums = by_currency.setdefault(row["revenue_currency"] or "", {})
        sums[(month.year, month.month)] = int(row["total"] or 0)
    charts = []
    for currency, sums in sorted(by_currency.items(), key=lambda item: -sum(item[1].values())):
        columns = []
        for index, start in enumerate(starts):
            local = timezone.localtime(start)
            columns.append(
                (
                    date_format(local, "M"),
                    str(local.year) if index == 0 or local.month == 1 else "",
                    date_format(local, "YEAR_MONTH_FORMAT"),
                    Money(currency, sums.get((local.year, local.month), 0)),
                )
            )
        charts.append(
            column_chart(
                f"revenue-{currency or 'none'}",
                _("Revenue per month, %(currency)s") % {"currency": currency.upper()},
                columns,
            )
        )
    return charts


# ---------------------------------------------------------------------------------------------
# Links into the admin


def admin_url(name: str, *args, query: str = "") -> str | None:
    """The admin page ``name`` if it exists (the model is registered), else None. The admin
    lives on the public host only, whichever host asks."""
    try:
        url = reverse(f"admin:{name}", args=args, urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def business_url(business_id: int) -> str | None:
    return admin_url("tenants_business_change", business_id)


def chat_url(business_id: int) -> str:
    """The manager's chat with a business (the admin's ``x8/chat/<id>/`` page)."""
    try:
        return reverse(
            "x8_chat:business", args=[business_id], urlconf=settings.PUBLIC_SCHEMA_URLCONF
        )
    except NoReverseMatch:
        index = reverse("admin:index", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
        return f"{index}x8/chat/{business_id}/"


def business_list_url(parameter: str, value: str) -> str | None:
    """The business list filtered by ``parameter=value``, when the list has that filter."""
    try:
        filters = admin.site.get_model_admin(Business).list_filter
    except NotRegistered:
        return None
    if parameter not in {getattr(spec, "parameter_name", spec) for spec in filters}:
        return None
    return admin_url("tenants_business_changelist", query=urlencode({parameter: value}))


# ---------------------------------------------------------------------------------------------
# The platform admin's dashboard


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int
    restricted: int
    url: str | None


@dataclass(frozen=True)
class PlanRow:
    plan: str
    stripe: int
    grant: int
    free: int

    @property
    def total(self) -> int:
        return self.stripe + self.grant + self.free


@dataclass(frozen=True)
class TrialEnding:
    business_id: int
    name: str
    ends_at: datetime
    manager: str
    url: str | None


@dataclass(frozen=True)
class ManagerRow:
    user_id: int
    name: str
    email: str
    is_active: bool
    businesses: int
    url: str | None


@dataclass
class PlatformFigures:
    now: datetime
    users: int
    users_new: int
    users_recent: int
    businesses: int
    states: list[StateCount]
    states_chart: BarChart
    plans: list[PlanRow]
    subscriptions_stripe: int
    subscriptions_total: int
    revenue: Revenue
    revenue_form: RevenuePeriodForm
    revenue_charts: list[BarChart]
    trials_ending: list[TrialEnding]
    trials_ending_count: int
    managers: list[ManagerRow]
    unassigned: int
    channels: dict[str, int]
    businesses_url: str | None
    assignments_url: str | None
    unassigned_url: str | None = None


def platform_figures(*, params: QueryDict | dict, now: datetime | None = None) -> PlatformFigures:
    """The platform admin's front page: every business, user and paid invoice."""
    now = now or timezone.now()
    recent = now - timedelta(days=30)

    users = User.objects.aggregate(
        total=Count("pk"),
        new=Count("pk", filter=Q(date_joined__gte=recent)),
        recent=Count("pk", filter=Q(last_login__gte=recent)),
    )

    # One grouped query gives both the states and the active plans.
    by_state: Counter[str] = Counter()
    restricted: Counter[str] = Counter()
    per_plan: dict[int, Counter[str]] = defaultdict(Counter)
    for row in (
        businesses_with_state(now=now)
        .values("billing_state", "billing_restricted", "billing_plan_id", "billing_source")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_state[row["billing_state"]] += row["n"]
        if row["billing_restricted"]:
            restricted[row["billing_state"]] += row["n"]
        if row["billing_state"] == ACTIVE:
            per_plan[row["billing_plan_id"]][row["billing_source"]] += row["n"]
    states = [
        StateCount(
            state=state,
            label=str(STATE_LABELS[state]),
            count=by_state[state],
            restricted=restricted[state] if state == PAST_DUE else 0,
            url=business_list_url(BusinessStateListFilter.parameter_name, state),
        )
        for state in STATES
    ]
    plan_rows = [
        PlanRow(
            plan=plan.name,
            stripe=per_plan[plan.pk][SOURCE_STRIPE],
            grant=per_plan[plan.pk][SOURCE_GRANT],
            free=per_plan[plan.pk][SOURCE_FREE],
        )
        for plan in Plan.objects.order_by("sort_order", "pk")  # the catalog: a few rows
        if plan.pk in per_plan
    ]

    form = RevenuePeriodForm(params or None)
    period = revenue_period(form, now=now)
    if not form.is_bound or form.is_valid():
        # The date fields show the period the figure is for, ready to be changed.
        last_day = timezone.localtime(period.end - timedelta(microseconds=1)).date()
        form = RevenuePeriodForm(
            initial={"start": timezone.localtime(period.start).date(), "end": last_day}
        )

    ending = (
        businesses_with_state(now=now)
        .filter(billing_state=TRIALING, trial_ends_at__lte=now + timedelta(days=TRIALS_ENDING_DAYS))
        .select_related("manager_assignment__manager")
        .order_by("trial_ends_at", "name")
    )
    trials_ending = [
        TrialEnding(
            business_id=business.pk,
            name=business.name,
            ends_at=business.trial_ends_at,
            manager=_manager_name(business),
            url=business_url(business.pk),
        )
        for business in ending[:TRIALS_ENDING_SHOWN]
    ]
    trials_ending_count = (
        len(trials_ending) if len(trials_ending) < TRIALS_ENDING_SHOWN else ending.count()
    )

    managers = [
        ManagerRow(
            user_id=user.pk,
            name=user.get_full_name(),
            email=user.email,
            is_active=user.is_active,
            businesses=user.business_count,
            url=business_list_url("manager", str(user.pk))
            or admin_url("accounts_user_change", user.pk),
        )
        for user in User.objects.filter(platform_role=User.PlatformRole.MANAGER)
        .annotate(business_count=Count("managed_assignments"))
        .order_by("-business_count", "email")
    ]
    businesses = sum(state.count for state in states)
    unassigned = (
        Business.objects.exclude(schema_name="public")
        .filter(manager_assignment__isnull=True)
        .count()
    )
    channels = dict(Connection.objects.values_list("status").annotate(n=Count("pk")).order_by())

    stripe_total = sum(row.stripe for row in plan_rows)
    return PlatformFigures(
        now=now,
        users=users["total"],
        users_new=users["new"],
        users_recent=users["recent"],
        businesses=businesses,
        states=states,
        states_chart=row_chart(
            "states",
            _("Businesses by state"),
            [(state.label, state.count, state.url, f"state-{state.state}") for state in states],
        ),
        plans=plan_rows,
        subscriptions_stripe=stripe_total,
        subscriptions_total=sum(row.total for row in plan_rows),
        revenue=revenue_for(period),
        revenue_form=form,
        revenue_charts=revenue_by_month(now=now),
        trials_ending=trials_ending,
        trials_ending_count=trials_ending_count,
        managers=managers,
        unassigned=unassigned,
        channels={
            str(label): channels.get(status, 0) for status, label in Connection.Status.choices
        },
        businesses_url=admin_url("tenants_business_changelist"),
        assignments_url=admin_url("managers_assignment_changelist"),
        unassigned_url=business_list_url("manager", "none"),
    )


def _manager_name(business: Business) -> str:
    try:
        assignment = business.manager_assignment
    except Assignment.DoesNotExist:
        return ""
    return assignment.manager.get_full_name()


# ---------------------------------------------------------------------------------------------
# A platform manager's dashboard


@dataclass(frozen=True)
class ChannelError:
    platform: str
    text: str
    count: int
    at: datetime | None


@dataclass
class ManagedBusiness:
    business_id: int
    name: str
    slug: str
    state: str
    state_label: str
    restricted: bool
    plan: str
    #: The date that matters for the state, and what it means.
    date: datetime | None
    date_label: str
    #: Connections by status (connected, error...), only the statuses it has.
    channels: dict[str, int]
    channel_error: ChannelError | None
    last_activity: datetime | None
    last_activity_label: str
    unread: int
    url: str | None
    chat_url: str

    @property
    def channel_counts(self) -> list[tuple[str, int]]:
        """``(status label, connections)`` in the statuses' own order, for the page."""
        return [
            (str(label), self.channels[status])
            for status, label in Connection.Status.choices
            if status in self.channels
        ]

    @property
    def channels_in_error(self) -> int:
        return self.channels.get(Connection.Status.ERROR, 0)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.restricted or self.state == PAST_DUE or self.channels_in_error or self.unread
        )


@dataclass
class ManagerFigures:
    now: datetime
    businesses: list[ManagedBusiness]
    states: list[StateCount]
    states_chart: BarChart
    unread: int
    channels_in_error: int
    trials_ending: int

    @property
    def attention(self) -> int:
        return sum(1 for row in self.businesses if row.needs_attention)


def manager_figures(*, manager: User, now: datetime | None = None) -> ManagerFigures:
    """A manager's businesses (those assigned to them, and only those) with their plan,
    state, dates, channel health, last activity and unread chat messages."""
    now = now or timezone.now()
    last_login = (
        Membership.objects.filter(business=OuterRef("pk"), user__last_login__isnull=False)
        .order_by("-user__last_login")
        .values("user__last_login")[:1]
    )
    businesses = list(
        businesses_with_state(Business.objects.filter(manager_assignment__manager=manager), now=now)
        .annotate(member_last_login=Subquery(last_login))
        .order_by("name", "pk")
    )
    ids = [business.pk for business in businesses]
    plans = Plan.objects.in_bulk() if businesses else {}

    channels: dict[int, dict[str, int]] = defaultdict(dict)
    channel_changed: dict[int, datetime] = {}
    for row in (
        Connection.objects.filter(business_id__in=ids)
        .values("business_id", "status")
        .annotate(n=Count("pk"), changed=Max("updated_at"))
        .order_by()
    ):
        business_id = row["business_id"]
        channels[business_id][row["status"]] = row["n"]
        if business_id not in channel_changed or row["changed"] > channel_changed[business_id]:
            channel_changed[business_id] = row["changed"]
    errors = {
        row.business_id: ChannelError(
            platform=row.get_platform_display(),
            text=row.last_error,
            count=row.error_count,
            at=row.status_changed_at or row.updated_at,
        )
        for row in Connection.objects.filter(business_id__in=ids)
        .exclude(last_error="")
        .order_by("business_id", "-updated_at")
        .distinct("business_id")
        .only(
            "business_id",
            "platform",
            "last_error",
            "error_count",
            "status_changed_at",
            "updated_at",
        )
    }
    received = dict(
        InboundEvent.objects.filter(connection__business_id__in=ids)
        .values("connection__business_id")
        .annotate(last=Max("received_at"))
        .values_list("connection__business_id", "last")
        .order_by()
    )
    chats = {
        row["business_id"]: row
        for row in ManagerMessage.objects.filter(
            business_id__in=ids, side=ManagerMessage.Side.BUSINESS
        )
        .values("business_id")
        .annotate(unread=Count("pk", filter=Q(read_at__isnull=True)), last=Max("created_at"))
        .order_by()
    }

    rows = []
    for business in businesses:
        chat = chats.get(business.pk, {})
        activity = [
            (received.get(business.pk), _("message received")),
            (chat.get("last"), _("wrote to you")),
            (business.member_last_login, _("logged in")),
            (channel_changed.get(business.pk), _("channel changed")),
        ]
        last_at, last_label = max(
            ((at, label) for at, label in activity if at is not None),
            default=(None, ""),
            key=lambda item: item[0],
        )
        date_value, date_label = _state_date(business)
        plan = plans.get(business.billing_plan_id)
        plan_name = plan.name if plan else ""
        if not plan and business.billing_state in (TRIALING, EXPIRED):
            plan_name = _("Trial")
        rows.append(
            ManagedBusiness(
                business_id=business.pk,
                name=business.name,
                slug=business.slug,
                state=business.billing_state,
                state_label=str(STATE_LABELS[business.billing_state]),
                restricted=business.billing_restricted,
                plan=plan_name,
                date=date_value,
                date_label=date_label,
                channels=channels.get(business.pk, {}),
                channel_error=errors.get(business.pk),
                last_activity=last_at,
                last_activity_label=last_label,
                unread=chat.get("unread", 0),
                url=business_url(business.pk),
                chat_url=chat_url(business.pk),
            )
        )

    counts = {state: 0 for state in STATES}
    restricted = 0
    for business in businesses:
        counts[business.billing_state] += 1
        restricted += business.billing_state == PAST_DUE and business.billing_restricted
    states = [
        StateCount(
            state=state,
            label=str(STATE_LABELS[state]),
            count=counts[state],
            restricted=restricted if state == PAST_DUE else 0,
            url=None,
        )
        for state in STATES
    ]
    return ManagerFigures(
        now=now,
        businesses=rows,
        states=states,
        states_chart=row_chart(
            "my-states",
            _("Your businesses by state"),
            [(state.label, state.count, None, f"state-{state.state}") for state in states],
        ),
        unread=sum(row.unread for row in rows),
        channels_in_error=sum(row.channels_in_error for row in rows),
        trials_ending=sum(
            1
            for business in businesses
            if business.billing_state == TRIALING
            and business.trial_ends_at <= now + timedelta(days=TRIALS_ENDING_DAYS)
        ),
    )


def _state_date(business: Business) -> tuple[datetime | None, str]:
    """The date a manager watches for this business, and what it is."""
    state, source = business.billing_state, business.billing_source
    if state == TRIALING:
        return business.billing_ends_at, _("Trial ends")
    if state == EXPIRED:
        return business.billing_ends_at, _("Trial ended")
    if state == CANCELED:
        return business.billing_ends_at, _("Ended")
    if state == PAST_DUE:
        return business.billing_grace_ends_at, _("Grace ends")
    if source == SOURCE_GRANT:
        return business.billing_ends_at, _("Grant ends")
    if source == SOURCE_FREE:
        return None, ""
    if business.billing_cancels:
        return business.billing_ends_at, _("Ends")
    return business.billing_ends_at, _("Renews")


def dashboard_for(user: User, *, params: QueryDict | dict, now: datetime | None = None):
    """What the admin's front page shows ``user``: ("platform", figures) for a platform
    admin, ("manager", figures) for a platform manager, (None, None) for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return None, None
    if user.is_platform_admin:
        return "platform", platform_figures(params=params, now=now)
    if user.is_platform_manager:
        return "manager", manager_figures(manager=user, now=now)
    return None, None
