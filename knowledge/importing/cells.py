"""Helpers for raw cell values coming from CSV (always ``str``) or XLSX (typed)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from .prices import format_number

CellValue = str | int | float | Decimal | bool | datetime | date | time | timedelta | None

_BLOCK_TAGS = "p|br|div|li|ul|ol|tr|td|th|h[1-6]|section|article|table|blockquote|pre|hr|dt|dd"
_TAG_HINT_RE = re.compile(r"<[a-zA-Z/!]")
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.S)
_SKIPPED_RE = re.compile(r"<(script|style|template|noscript)\b.*?(?:</\1\s*>|$)", re.S | re.I)
# Every character that re.I lets start "script", "style", "template" or "noscript" ("ſ" is
# a long s): text without any of them after a "<" holds nothing for _SKIPPED_RE.
_SKIPPED_HINT_RE = re.compile("<[sStTnN\u017f]")
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


def row_texts(values: Sequence[CellValue]) -> tuple[str, ...]:
    """``cell_text`` of every cell, with the common cell types done inline."""
    return tuple(
        [
            ""
            if value is None
            else value.strip()
            if type(value) is str
            else str(value)
            if type(value) is int
            else format_number(value)
            if type(value) is float
            else cell_text(value)
            for value in values
        ]
    )


def row_is_blank(values: Sequence[CellValue]) -> bool:
    """True when every cell of the row is blank."""
    for value in values:
        if value is not None and (not isinstance(value, str) or value.strip()):
            return False
    return True


def html_to_text(value: str) -> str:
    """Strip tags and unescape entities so the description can be searched as plain text.

    Regular expressions rather than an HTML parser: this runs for every imported row and
    only has to produce search text, not a faithful rendering. Each pass is skipped when
    the text cannot contain what it removes, so plain text only has its spaces tidied.
    """
    text = value
    if "<" in text and _TAG_HINT_RE.search(text):
        if "<!--" in text:
            text = _COMMENT_RE.sub(" ", text)
        if _SKIPPED_HINT_RE.search(text):
            text = _SKIPPED_RE.sub(" ", text)
        text = _BLOCK_TAG_RE.sub("\n", text)
        text = _ANY_TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        # One line (every whitespace character but " " is unprintable) already tidy.
        return text
    # Blank lines (block tags leave many) are dropped before splitting them into words.
    lines = filter(None, text.splitlines())
    return "\n".join(filter(None, map(" ".join, map(str.split, lines))))
