"""The reader's fast paths give exactly what the general code gives."""

from __future__ import annotations

import dataclasses
import html
import inspect
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from itertools import chain

import openpyxl
import pytest

from knowledge.importing import ImportErrorCode, ImportFileError, ParsedItem, cells, read_price_list
from knowledge.importing.cells import cell_text, html_to_text, row_texts
from knowledge.importing.headers import build_mapping, refine_mapping
from knowledge.importing.prices import (
    _parse_price_text,
    format_number,
    parse_decimal,
    parse_price,
    plain_decimal,
)
from knowledge.importing.rows import ItemBuilder, _new_item
from knowledge.importing.sources import _size_scan_finds_nothing, open_source

from .importing_factories import rewrite_zip, xlsx_file

# -- items ------------------------------------------------------------------------------------


def test_item_factory_takes_every_field_and_builds_an_equal_frozen_item() -> None:
    names = [item_field.name for item_field in dataclasses.fields(ParsedItem)]
    assert list(inspect.signature(_new_item).parameters) == names
    values = {
        "name": "Чайник",
        "source_row": 7,
        "description": "<p>Стеклянный</p>",
        "description_text": "Стеклянный",
        "sku": "KT-1",
        "price": Decimal("1999.90"),
        "price_text": "1 999,90",
        "price_note": "",
        "currency": "RUB",
        "category": "Кухня",
        "unit": "шт",
        "website": "https://example.com/kt-1",
        "tags": ["чайник"],
        "image_urls": ["https://example.com/kt-1.jpg"],
        "availability": "5",
        "duration": None,
        "format": None,
        "attributes": {"Brand": "Tefal"},
    }
    item = _new_item(**values)
    assert item == ParsedItem(**values)
    assert repr(item) == repr(ParsedItem(**values))
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "other"  # type: ignore[misc]


# -- prices -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["0", "7", "007", "12345", "12345,67", "12345.67", "1,500", "1.500", "0,500", "000,500",
     "1234,567", "12,5", "٣٤٥", "1,5000", "99.999"],
)  # fmt: skip
def test_plain_number_shortcut_reads_like_parse_decimal(raw: str) -> None:
    assert repr(plain_decimal(raw)) == repr(parse_decimal(raw))
    for currency in (None, "RUB"):
        assert parse_price(raw, currency) == _parse_price_text(raw, currency)


@pytest.mark.parametrize(
    "raw",
    ["1 000", "12 345", "12\u00a0345", "1\u202f234\u202f567", " 12  345,5 ", "999 999.99",
     "1 234,567", "12 345,", "1 23", "1234 567"],
)  # fmt: skip
def test_grouped_number_shortcut_reads_like_the_general_parser(raw: str) -> None:
    text = " ".join(raw.split())
    for currency in (None, "UAH"):
        assert parse_price(raw, currency) == _parse_price_text.__wrapped__(text, currency)


@pytest.mark.parametrize("value", [0, 5, -3, 10**20, 0.5, 1600.0, -0.0, 1e16, 12.345])
def test_typed_numbers_keep_their_spreadsheet_text(value: float) -> None:
    parsed = parse_price(value, "EUR")
    assert parsed is not None
    assert (parsed.amount, parsed.text, parsed.currency, parsed.note) == (
        Decimal(format_number(value)),
        format_number(value),
        "EUR",
        "",
    )


def test_worded_prices_are_cached_but_equal() -> None:
    first = parse_price("от 1 500 руб.")
    assert first == parse_price("от  1 500 руб.")
    assert parse_price("от 1 500 руб.", "USD") == _parse_price_text.__wrapped__(
        "от 1 500 руб.", "USD"
    )


# -- cells ------------------------------------------------------------------------------------


def _html_to_text_every_pass(value: str) -> str:
    """html_to_text as first written: every pass, no shortcut."""
    text = value
    if cells._TAG_HINT_RE.search(text):
        text = cells._COMMENT_RE.sub(" ", text)
        text = cells._SKIPPED_RE.sub(" ", text)
        text = cells._BLOCK_TAG_RE.sub("\n", text)
        text = cells._ANY_TAG_RE.sub("", text)
    text = html.unescape(text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain text",
        " leading and trailing ",
        "double  space",
        "tab\there",
        "no\u00a0break and\u3000ideographic",
        "line one\nline two\r\n\r\nline three",
        "form\x0cfeed\x1cand\u2028separators",
        "Fish &amp; chips &lt;b&gt;",
        "a < b > c",
        "<p>Hello <b>world</b></p><ul><li>one</li><li>two</li></ul>",
        "<P CLASS='x'>Upper</P><BR/>next",
        "<!-- note -->visible<!-- open",
        "<script>alert(1)</script>ok<STYLE>p{}</STYLE>",
        "<ſcript>long s</ſcript> and <ſection>x</ſection>",
        "<noscript>n</noscript><template>t</template>",
        "<a <p>tricky</p>",
        "<dıv>dotless</dıv><İ>x</İ>",
        "x <3 y",
        "\u200bzero width",
    ],
)
def test_html_to_text_shortcuts_change_nothing(value: str) -> None:
    assert html_to_text(value) == _html_to_text_every_pass(value)


def test_row_texts_is_cell_text_of_every_cell() -> None:
    class Label(str):
        pass

    values = [None, "  a ", Label(" b "), 0, -5, True, False, 1.0, 2.5, 1e16, Decimal("1.50"),
              date(2024, 5, 1), datetime(2024, 5, 1, 10, 30)]  # fmt: skip
    assert row_texts(values) == tuple(cell_text(value) for value in values)


# -- the row builder --------------------------------------------------------------------------


def _both_ways(
    header: list[object], rows: list[list[object]], **options: object
) -> tuple[list[object], list[object]]:
    """Results of ``ItemBuilder.run`` and of ``feed`` row by row (the general path)."""
    numbered = list(enumerate(rows, start=2))
    mapping = refine_mapping(build_mapping(header), rows[:100])
    texts = [cell_text(value) for value in header]
    fast = _CountingBuilder(mapping, texts, **options)  # type: ignore[arg-type]
    slow = ItemBuilder(mapping, texts, **options)  # type: ignore[arg-type]
    fast_out = list(fast.run(numbered))
    slow_out = list(
        chain(
            chain.from_iterable(slow.feed(number, row) for number, row in numbered), slow.finish()
        )
    )
    assert fast.stats == slow.stats
    assert fast.fast_rows > len(rows) // 2  # most rows did take the fast path
    return fast_out, slow_out


class _CountingBuilder(ItemBuilder):
    fast_rows = 0

    def _simple_item(self, *args: object) -> ParsedItem:  # type: ignore[override]
        self.fast_rows += 1
        return super()._simple_item(*args)  # type: ignore[arg-type,return-value]


def test_fast_rows_match_the_general_path_on_text_rows() -> None:
    header = ["SKU", "Name", "Description", "Price", "Currency", "Category", "Unit", "Tags",
              "Image", "URL", "Stock", "Brand"]  # fmt: skip
    rows: list[list[object]] = [
        ["A1", "Чайник", "<p>Стеклянный</p>", "1999,90", "", "Кухня", "шт", "a, b;a", "", "", "5", "X"],
        ["A2", "Утюг", "Паровой  утюг", "12 345", "USD", "", "", "", "//x/1.jpg //x/2.jpg", "", "", ""],
        ["a1", "Дубль", "", "5", "", "", "", "", "", "", "", ""],
        ["", "Без артикула", "", "от 500 руб.", "", "", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", "", "", ""],
        ["Бытовая техника"],
        ["A3", "Пылесос", "", " 7 ", "", "", "", "", "", "", "", ""],
        ["A4", "", "описание без имени", "10", "", "", "", "", "", "", "", ""],
        ["SKU", "Name", "Description", "Price", "Currency", "Category", "Unit", "Tags",
         "Image", "URL", "Stock", "Brand"],
        ["A5", "Short", "x"],
        ["7", "Монтаж трубы:"],
        ["A6", "Кабель", "", "по запросу", "", "", "м", "", "", "", "", "", "extra"],
        ["Наименование", "Цена"],
        ["Новый товар", "100"],
        ["", "200"],
    ]  # fmt: skip
    fast, slow = _both_ways(header, rows)
    assert fast == slow
    assert repr(fast) == repr(slow)
    fast, slow = _both_ways(header, rows, default_currency="RUB")
    assert repr(fast) == repr(slow)


def test_fast_rows_match_the_general_path_on_typed_rows() -> None:
    header = ["Артикул", "Наименование", "Описание", "Цена", "Ед. изм.", "Остаток"]
    rows: list[list[object]] = [
        ["K1", "Дрель", None, 5230, "шт", 17],
        ["K2", "Шуруповёрт", "<b>18 В</b>", 1999.9, None, None],
        ["K3", "Перфоратор", "", Decimal("12.50"), "шт", 0],
        ["K4", "Лампа", None, True, "шт", 3],
        ["K5", "Кабель", None, date(2024, 1, 2), "м", 1],
        ["K6", "Розетка", None, "1 200,50", "шт", 2],
        ["K7", "Автомат", None, None, "шт", 2],
        [None, None, None, None, None, None],
        ["Электрика", None, None, None, None, None],
        [8, "Светильник", None, 1e16, "шт", 1.5],
        ["K1", "Дубль дрели", None, 1, "шт", 1],
    ]
    fast, slow = _both_ways(header, rows)
    assert repr(fast) == repr(slow)


# -- XLSX: openpyxl's size scan ---------------------------------------------------------------


def _write_only_xlsx(rows: list[list[object]]) -> io.BytesIO:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Прайс")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


_ROWS: list[list[object]] = [["Name", "Price"]] + [[f"Item {n}", n * 1.5] for n in range(50)]
_SHEET = "xl/worksheets/sheet1.xml"


def test_write_only_workbook_skips_the_size_scan_and_reads_every_row() -> None:
    upload = _write_only_xlsx(_ROWS)
    with zipfile.ZipFile(upload) as archive:
        assert b"<dimension" not in archive.read(_SHEET)
        assert _size_scan_finds_nothing(archive, _SHEET)
    source = open_source(upload, "price.xlsx")
    try:
        assert [values for _, values in source.rows()] == [list(row) for row in _ROWS]
    finally:
        source.close()


def test_sheets_with_a_dimension_or_unusual_xml_keep_the_size_scan() -> None:
    with zipfile.ZipFile(xlsx_file({"Прайс": _ROWS})) as archive:
        assert not _size_scan_finds_nothing(archive, _SHEET)  # a normal workbook has one

    def sheet_edit(edit):  # type: ignore[no-untyped-def]
        return lambda name, data: edit(data) if name == _SHEET else data

    variants = [
        lambda data: b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + data,
        lambda data: b'<?xml version="1.0" encoding="windows-1251"?>' + data,
        lambda data: data.replace(b"Item 7", b"dimension 7"),
        lambda data: data[:-10],
        lambda data: data.replace(b"<worksheet ", b"<chartsheet ").replace(
            b"</worksheet>", b"</chartsheet>"
        ),
    ]
    for edit in variants:
        with zipfile.ZipFile(rewrite_zip(_write_only_xlsx(_ROWS), sheet_edit(edit))) as archive:
            assert not _size_scan_finds_nothing(archive, _SHEET)


def test_broken_write_only_sheet_is_refused_as_openpyxl_refuses_it() -> None:
    broken = rewrite_zip(
        _write_only_xlsx(_ROWS),
        lambda name, data: (
            data.replace(b'<row r="20"', b'<row r="20" <') if name == _SHEET else data
        ),
    )
    with pytest.raises(Exception) as openpyxl_error:
        openpyxl.load_workbook(io.BytesIO(broken.getvalue()), read_only=True, data_only=True)
    with pytest.raises(ImportFileError) as error:
        read_price_list(broken, "price.xlsx")
    assert error.value.code == ImportErrorCode.INVALID_XLSX
    assert str(openpyxl_error.value) in str(error.value)
    assert re.search(r"line \d+, column \d+", str(error.value))
