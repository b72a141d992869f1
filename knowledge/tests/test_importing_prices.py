"""Prices as shops write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from knowledge.importing.prices import (
    NOTE_FROM,
    NOTE_NO_NUMBER,
    NOTE_ON_REQUEST,
    NOTE_PERCENT,
    NOTE_RANGE,
    NOTE_SEVERAL,
    ParsedPrice,
    parse_price,
)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("6 210", Decimal("6210")),
        ("6\u00a0210", Decimal("6210")),
        ("6\u202f210", Decimal("6210")),
        ("6\u2009210,50", Decimal("6210.50")),
        ("61538,18", Decimal("61538.18")),
        ("1.234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1,234", Decimal("1234")),
        ("0,500", Decimal("0.5")),
        (".5", Decimal("0.5")),
        ("1499.00", Decimal("1499.00")),
        ("1 234 567", Decimal("1234567")),
    ],
)
def test_number_formats_parse_to_the_written_amount(raw: str, amount: Decimal) -> None:
    parsed = parse_price(raw)
    assert parsed is not None
    assert parsed.amount == amount
    assert parsed.note == ""


def test_from_price_keeps_the_text_and_says_it_is_a_minimum() -> None:
    assert parse_price("от 2000") == ParsedPrice(Decimal("2000"), None, "от 2000", NOTE_FROM)
    assert parse_price("from 2000").amount == Decimal("2000")
    assert parse_price("від 1 500 грн") == ParsedPrice(
        Decimal("1500"), "UAH", "від 1 500 грн", NOTE_FROM
    )


def test_range_uses_the_lower_bound_and_keeps_the_range_text() -> None:
    assert parse_price("2200-2500") == ParsedPrice(Decimal("2200"), None, "2200-2500", NOTE_RANGE)
    assert parse_price("2 200 – 2 500 ₽") == ParsedPrice(
        Decimal("2200"), "RUB", "2 200 – 2 500 ₽", NOTE_RANGE
    )


def test_slash_separated_alternatives_use_the_lowest() -> None:
    assert parse_price("550/900/1200") == ParsedPrice(
        Decimal("550"), None, "550/900/1200", NOTE_SEVERAL
    )
    assert parse_price("900/550").amount == Decimal("550")


@pytest.mark.parametrize(
    "raw",
    [
        "по запросу",
        "Договорная",
        "on request",
        "Price on request",
        "ціна договірна",
        "уточняйте по телефону",
    ],
)
def test_price_on_request_has_no_amount_and_says_so(raw: str) -> None:
    parsed = parse_price(raw)
    assert parsed == ParsedPrice(None, None, raw, NOTE_ON_REQUEST)


@pytest.mark.parametrize(
    ("raw", "currency"),
    [
        ("100 ₽", "RUB"),
        ("100 руб.", "RUB"),
        ("100р", "RUB"),
        ("100 RUB", "RUB"),
        ("100 грн", "UAH"),
        ("₴100", "UAH"),
        ("100 UAH", "UAH"),
        ("$100", "USD"),
        ("100 USD", "USD"),
        ("€100", "EUR"),
        ("100 EUR", "EUR"),
    ],
)
def test_currency_symbols_and_codes_are_recognised(raw: str, currency: str) -> None:
    parsed = parse_price(raw)
    assert parsed is not None
    assert (parsed.amount, parsed.currency) == (Decimal("100"), currency)


def test_default_currency_applies_only_when_none_is_written() -> None:
    assert parse_price("100", "UAH").currency == "UAH"
    assert parse_price("100 $", "UAH").currency == "USD"
    assert parse_price(250, "RUB") == ParsedPrice(Decimal("250"), "RUB", "250", "")


def test_spreadsheet_numbers_are_exact_decimals() -> None:
    assert parse_price(1600.0) == ParsedPrice(Decimal("1600"), None, "1600", "")
    assert parse_price(0.1).amount == Decimal("0.1")
    assert parse_price(Decimal("12.30")).amount == Decimal("12.30")


def test_text_without_a_number_keeps_the_text_and_has_no_amount() -> None:
    assert parse_price("бесплатная консультация") == ParsedPrice(
        None, None, "бесплатная консультация", NOTE_NO_NUMBER
    )
    assert parse_price("плюс 30 % к стоимости").note == NOTE_PERCENT
    assert parse_price("плюс 30 % к стоимости").amount is None


def test_empty_cells_are_not_prices() -> None:
    assert parse_price(None) is None
    assert parse_price("   ") is None
    assert parse_price(True) is None
