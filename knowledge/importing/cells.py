"""Helpers for raw cell values coming from CSV (always ``str``) or XLSX (typed)."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from .prices import format_number

CellValue = str | int | float | Decimal | bool | datetime | date | time | timedelta | None

_BLOCK_TAGS = "p|br|div|li|ul|ol|tr|td|th|h[1-6]|section|article|table|blockquote|pre|hr|dt|dd"
_TAG_HINT_RE = re.compile(r"<[a-zA-Z/!]")
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.S)
_SKIPPED_RE = re.compile(r"<(script|style|template|noscript)\b.*?(?:</\1\s*>|$)", re.S | re.I)
_BLOCK_TAG_RE = re.compile(rf"</?(?:{_BLOCK_TAGS})\b[^>]*>", re.I)
_ANY_TAG_RE = re.compile(r"</?[a-zA-Z!][^>]*>")


def is_blank(value: CellValue) -> bool:
    """True for ``None`` and strings made only of whitespace (including non-breaking spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: CellValue) -> str:
    """Render a cell as trimmed text; numbers lose a spurious ``.0``, dates become ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return format_number(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def row_is_blank(values: list[CellValue]) -> bool:
    """True when every cell of the row is blank."""
    return all(is_blank(value) for value in values)


def html_to_text(value: str) -> str:
    """Strip tags and unescape entities so the description can be searched as plain text.

    Regular expressions rather than an HTML parser: this runs for every imported row and
    only has to produce search text, not a faithful rendering.
    """
    text = value
    if _TAG_HINT_RE.search(text):
        text = _COMMENT_RE.sub(" ", text)
        text = _SKIPPED_RE.sub(" ", text)
        text = _BLOCK_TAG_RE.sub("\n", text)
        text = _ANY_TAG_RE.sub("", text)
    text = html.unescape(text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
