"""The plan catalog: what ``plans_load`` writes to the database, and ``--sync`` to Stripe.

Prices are in US dollars a month. ``channels`` counts connected messaging accounts (the web
chat is free on every plan); None is unlimited. ENTERPRISE has no list price (agreed per
deal) and SPECIAL is a promotion whose channel count is set per deal; both are granted by a
platform admin rather than bought from the billing page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    description: str
    price: Decimal | None
    channels: int | None
    replies: int | None
    history_days: int
    public: bool
    order: int


CATALOG: tuple[PlanSpec, ...] = (
    PlanSpec("free", "Free", "One channel and a taste of the assistant.",
             Decimal("0"), 1, 100, 7, True, 10),
    PlanSpec("single", "Single", "One channel, unlimited automatic replies.",
             Decimal("9.99"), 1, None, 90, True, 20),
    PlanSpec("double", "Double", "Two channels, e.g. WhatsApp and Instagram.",
             Decimal("19.99"), 2, None, 180, True, 30),
    PlanSpec("growth", "Growth", "Four channels and a year of history.",
             Decimal("49.99"), 4, None, 365, True, 40),
    PlanSpec("enterprise", "Enterprise", "Unlimited channels, price agreed with sales.",
             None, None, None, 730, True, 50),
    PlanSpec("special", "Special", "Promotional price; channels agreed per deal.",
             Decimal("29.99"), 2, None, 365, False, 60),
)  # fmt: skip


def lookup_key(code: str) -> str:
    """The Stripe price lookup key of a plan, so ``--sync`` finds its own prices again."""
    return f"x8_{code}_monthly"
