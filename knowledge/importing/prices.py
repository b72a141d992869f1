"""Parsing prices the way shops actually type them into spreadsheets."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

NOTE_ON_REQUEST = "price on request"
NOTE_FREE = "free of charge"
NOTE_FROM = "minimum price (written as 'from')"
NOTE_RANGE = "price range; the lower bound is used"
NOTE_SEVERAL = "several prices; the lowest is used"
NOTE_PERCENT = "a percentage, not a price"
NOTE_NO_NUMBER = "no number in the price text"

_SPACES = "\u00a0\u2007\u2009\u202f"
_SPACE_RE = re.compile(f"[{_SPACES}]")
_NUMBER_RE = re.compile(
    rf"(?<![\d.,])(?:\d{{1,3}}(?:[ {_SPACES}]\d{{3}})+(?:[.,]\d+)?|\d+(?:[.,]\d+)*|[.,]\d+)"
)
#: A bare number ("12345", "12345,67"): most price cells of CSV exports.
PLAIN_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
# "12 345" and "12 345,67" once spaces are single: no currency, wording or second number
# can be in them, so _parse_price_text would find just this one _NUMBER_RE match.
_GROUPED_NUMBER_RE = re.compile(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?")
_RANGE_SEPARATORS = frozenset({"-", "\u2013", "\u2014", "..", "...", "до", "to", "\u2212"})
_ON_REQUEST_RE = re.compile(
    r"по\s+запрос|договорн|договірн|за\s+домовлен|по\s+договор|уточня|звонит|"
    r"on\s+request|upon\s+request|call\s+for|contact\s+us|\bpoa\b|\btbd\b"
)
_FREE_RE = re.compile(r"^(?:бесплатно|безкоштовно|free|gratis)$")
_FROM_RE = re.compile(r"^(?:от|від|from|starting\s+(?:at|from))\b")

# Order matters: the first pattern that matches wins.
_CURRENCY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("RUB", re.compile(r"₽|\bруб|\brub\b|\brur\b|(?<![a-zа-яёіїєґ])р(?![a-zа-яёіїєґ])")),
    ("UAH", re.compile(r"₴|\bгрн|\buah\b|гривн")),
    ("USD", re.compile(r"\$|\busd\b|\bдолл?ар")),
    ("EUR", re.compile(r"€|\beur\b|\beuro?\b|\bевро\b|\bєвро\b")),
    ("GBP", re.compile(r"£|\bgbp\b")),
    ("KZT", re.compile(r"₸|\bkzt\b|\bтенге\b")),
    ("BYN", re.compile(r"\bbyn\b|\bбел\.?\s*руб")),
    ("PLN", re.compile(r"\bpln\b|\bzł|\bzl\b")),
)


@dataclass(frozen=True, slots=True)
class ParsedPrice:
    """A price as written in the file: the number we could read and the original text."""

    amount: Decimal | None
    currency: str | None
    text: str
    note: str = ""


def detect_currency(text: str) -> str | None:
    """Return the ISO code of the first currency symbol, code or word found in ``text``."""
    lowered = text.casefold()
    if "бел" in lowered and "руб" in lowered:
        return "BYN"
    for code, pattern in _CURRENCY_PATTERNS:
        if pattern.search(lowered):
            return code
    return None


def parse_decimal(token: str) -> Decimal | None:
    """Read one number token such as ``6 210``, ``61538,18``, ``1.234,56`` or ``.5``."""
    compact = _SPACE_RE.sub("", token).replace(" ", "")
    grouped = compact != token
    if "." in compact and "," in compact:
        decimal_sep = "." if compact.rfind(".") > compact.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        compact = compact.replace(group_sep, "").replace(decimal_sep, ".")
    elif "." in compact or "," in compact:
        sep = "." if "." in compact else ","
        if compact.count(sep) > 1:
            compact = compact.replace(sep, "")
        else:
            whole, fraction = compact.split(sep)
            if _looks_like_thousands(whole, fraction, grouped):
                compact = whole + fraction
            else:
                compact = f"{whole or '0'}.{fraction}"
    try:
        return Decimal(compact)
    except InvalidOperation:
        return None


def _looks_like_thousands(whole: str, fraction: str, grouped: bool) -> bool:
    # "1,500" in a price column is fifteen hundred far more often than 1.5 with three decimals.
    return not grouped and len(fraction) == 3 and 0 < len(whole) <= 3 and whole.strip("0") != ""


def format_number(value: int | float | Decimal) -> str:
    """Render a spreadsheet number without a spurious ``.0``."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _price_factory() -> Callable[[Decimal | None, str | None, str, str], ParsedPrice]:
    """Build ``ParsedPrice`` objects by setting the slots directly.

    The frozen dataclass ``__init__`` goes through ``object.__setattr__`` for each field;
    this makes the same object faster, for the number paths taken once per row.
    """
    new = object.__new__
    slot = ParsedPrice.__dict__
    set_amount = slot["amount"].__set__
    set_currency = slot["currency"].__set__
    set_text = slot["text"].__set__
    set_note = slot["note"].__set__

    def make(amount: Decimal | None, currency: str | None, text: str, note: str) -> ParsedPrice:
        price = new(ParsedPrice)
        set_amount(price, amount)
        set_currency(price, currency)
        set_text(price, text)
        set_note(price, note)
        return price

    return make


_new_price = _price_factory()


def parse_price(value: object, default_currency: str | None = None) -> ParsedPrice | None:
    """Parse a price cell; return ``None`` for an empty cell.

    Numbers from XLSX are taken as they are. Text is read the way shops write it:
    thousands separated by (non-breaking) spaces, decimal commas, ``от 2000``,
    ``2200-2500``, ``350/500/700``, ``по запросу`` and currency symbols or codes.
    """
    if type(value) is str:
        if PLAIN_NUMBER_RE.fullmatch(value):
            # The common case in CSV exports: a bare number, nothing to tidy or search.
            return _new_price(plain_decimal(value), default_currency, value, "")
        text = " ".join(value.split())
        if _GROUPED_NUMBER_RE.fullmatch(text):
            # parse_decimal: groups joined, the one separator left is the decimal point.
            amount = Decimal(text.replace(" ", "").replace(",", "."))
            return _new_price(amount, default_currency, text, "")
        return _parse_price_text(text, default_currency) if text else None
    if type(value) is float or type(value) is int:
        # XLSX numbers; the same as the generic number branch below.
        text = format_number(value)
        return _new_price(Decimal(text), default_currency, text, "")
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = format_number(value)
        amount = Decimal(text) if not isinstance(value, Decimal) else value
        return ParsedPrice(amount, default_currency, text, "")
    if isinstance(value, (datetime, date, time)):
        return ParsedPrice(None, default_currency, value.isoformat(), NOTE_NO_NUMBER)
    text = " ".join(str(value).split())
    if not text:
        return None
    return _parse_price_text(text, default_currency)


def plain_decimal(text: str) -> Decimal | None:
    """``parse_decimal`` for a text matching ``PLAIN_NUMBER_RE`` (no spaces, one separator)."""
    sep = text.find(",")
    if sep < 0:
        sep = text.find(".")
    if sep >= 0:
        # "1,500": thousands (see _looks_like_thousands); otherwise a decimal point.
        if len(text) - sep == 4 and sep <= 3 and text[:sep].strip("0"):
            text = text[:sep] + text[sep + 1 :]
        elif text[sep] == ",":
            text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


@lru_cache(maxsize=4096, typed=True)
def _parse_price_text(text: str, default_currency: str | None) -> ParsedPrice:
    # Cached: worded prices ("от 500 руб", "по запросу") repeat down a price list and are
    # the slow ones; the result is immutable.
    if PLAIN_NUMBER_RE.fullmatch(text):
        # The common case in CSV exports; skips the currency and wording searches.
        return ParsedPrice(parse_decimal(text), default_currency, text, "")
    lowered = text.casefold()
    currency = detect_currency(text) or default_currency
    if _ON_REQUEST_RE.search(lowered):
        return ParsedPrice(None, currency, text, NOTE_ON_REQUEST)
    if _FREE_RE.match(lowered):
        return ParsedPrice(Decimal(0), currency, text, NOTE_FREE)
    if "%" in text:
        return ParsedPrice(None, currency, text, NOTE_PERCENT)
    matches = list(_NUMBER_RE.finditer(text))
    if not matches:
        return ParsedPrice(None, currency, text, NOTE_NO_NUMBER)
    amount = parse_decimal(matches[0].group())
    note = NOTE_FROM if _FROM_RE.match(lowered) else ""
    if len(matches) > 1:
        between = text[matches[0].end() : matches[1].start()].strip().casefold()
        if between in _RANGE_SEPARATORS:
            note = NOTE_RANGE
        elif between == "/":
            amount, note = _lowest_of_alternatives(text, matches)
    return ParsedPrice(amount, currency, text, note)


def _lowest_of_alternatives(text: str, matches: list[re.Match[str]]) -> tuple[Decimal | None, str]:
    amounts: list[Decimal] = []
    for index, match in enumerate(matches):
        if index and text[matches[index - 1].end() : match.start()].strip() != "/":
            break
        number = parse_decimal(match.group())
        if number is not None:
            amounts.append(number)
    return (min(amounts) if amounts else None), NOTE_SEVERAL
