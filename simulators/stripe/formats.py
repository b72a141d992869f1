"""Amounts and dates as Stripe's pages and invoice lines write them."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

ZERO_DECIMAL = {
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
    "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
}  # fmt: skip
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹"}


def money(amount: int, currency: str) -> str:
    """``1900, "usd"`` → ``$19.00``; currencies without a symbol: ``19.00 RUB``."""
    currency = currency.lower()
    negative = amount < 0
    value = abs(amount)
    text = f"{value:,}" if currency in ZERO_DECIMAL else f"{value / 100:,.2f}"
    symbol = SYMBOLS.get(currency)
    text = f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
    return f"-{text}" if negative else text


def interval_label(recurring: dict | None) -> str:
    if not recurring:
        return ""
    count = recurring.get("interval_count") or 1
    interval = recurring["interval"]
    return interval if count == 1 else f"{count} {interval}s"


def day(timestamp: int | None) -> str:
    """``14 Mar 2026`` (UTC)."""
    if not timestamp:
        return ""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return f"{moment.day} {moment.strftime('%b %Y')}"


def day_long(timestamp: int | None) -> str:
    """``March 14, 2026`` (UTC)."""
    if not timestamp:
        return ""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return f"{calendar.month_name[moment.month]} {moment.day}, {moment.year}"


def shift(anchor: int, interval: str, count: int, periods: int) -> int:
    """``anchor`` moved on by ``periods`` billing intervals; months keep the anchor's day,
    clamped to shorter months (31 Jan → 28 Feb → 31 Mar), as Stripe bills."""
    if interval == "day":
        return anchor + 86400 * count * periods
    if interval == "week":
        return anchor + 7 * 86400 * count * periods
    months = count * periods * (12 if interval == "year" else 1)
    start = datetime.fromtimestamp(anchor, UTC)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    moved = start.replace(
        year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1])
    )
    return int(moved.timestamp())
