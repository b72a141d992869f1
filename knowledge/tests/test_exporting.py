"""Exporting a knowledge base to CSV and XLSX under the headers of the file it came from."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowledge.exporting import (
    ExportColumn,
    export_columns,
    export_filename,
    iter_csv,
    write_csv,
    write_xlsx,
)
from knowledge.importing import ParsedItem, read_price_list
from knowledge.models import Item, KnowledgeBase
from tenants.companies.models import Company

DEFAULT_HEADERS = [
    "Name",
    "SKU",
    "Price",
    "Currency",
    "Category",
    "Unit",
    "Description",
    "Website",
    "Tags",
    "Images",
    "Availability",
    "Duration",
    "Format",
]


@pytest.fixture
def company(in_business_a) -> Company:
    return Company.objects.first()


def _column(header: str, field: str = "", key: str | None = None) -> dict[str, str]:
    return {"header": header, "key": header if key is None else key, "field": field}


def _base(company: Company, columns: list[dict[str, str]], name: str = "Catalogue"):
    return KnowledgeBase.objects.create(company=company, name=name, columns=columns)


def _item(knowledge_base: KnowledgeBase, name: str, **fields: object) -> Item:
    position = fields.pop("position", knowledge_base.items.count() + 1)
    return Item.objects.create(
        knowledge_base=knowledge_base, name=name, position=position, **fields
    )


def _csv_text(knowledge_base: KnowledgeBase) -> str:
    return "".join(iter_csv(knowledge_base))


def _csv_rows(knowledge_base: KnowledgeBase) -> list[list[str]]:
    text = _csv_text(knowledge_base)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def _xlsx_sheet(knowledge_base: KnowledgeBase):
    buffer = io.BytesIO()
    write_xlsx(knowledge_base, buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer).worksheets[0]


def _xlsx_values(knowledge_base: KnowledgeBase) -> list[list[object]]:
    sheet = _xlsx_sheet(knowledge_base)
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _read_back(data: bytes, filename: str) -> tuple[list[ParsedItem], tuple[str, ...]]:
    with read_price_list(io.BytesIO(data), filename) as result:
        items = [entry for entry in result if isinstance(entry, ParsedItem)]
        return items, result.header.values


def _store(knowledge_base: KnowledgeBase, data: bytes, filename: str) -> None:
    """Import a file the way the import service does: items plus the columns it had."""
    with read_price_list(io.BytesIO(data), filename) as result:
        for position, entry in enumerate(result, start=1):
            if not isinstance(entry, ParsedItem):
                continue
            Item.objects.create(
                knowledge_base=knowledge_base,
                position=position,
                source_row=entry.source_row,
                name=entry.name,
                description=entry.description,
                sku=entry.sku or "",
                price=entry.price,
                price_text=entry.price_text,
                price_note=entry.price_note,
                currency=entry.currency or "",
                category=entry.category or "",
                unit=entry.unit or "",
                website=entry.website or "",
                tags=entry.tags,
                image_urls=entry.image_urls,
                availability=entry.availability or "",
                attributes=entry.attributes,
            )
        knowledge_base.columns = [
            {
                "header": column.header,
                "key": column.key,
                "field": column.field.value if column.field else "",
            }
            for column in result.mapping.columns
        ]
    knowledge_base.save()


# -- columns -----------------------------------------------------------------------------------


def test_original_headers_are_written_in_file_order_with_unmapped_columns(company) -> None:
    # given a base imported from a file with a repeated header and a column without "key"
    knowledge_base = _base(
        company,
        [
            _column("Handle", "handle"),
            _column("Артикул", "sku"),
            _column("Наименование", "name"),
            _column("Цвет"),
            _column("Цвет", key="Цвет (2)"),
            {"header": "Бренд", "field": ""},
            _column("Цена, руб.", "price"),
            _column("Описание", "description"),
            _column("Теги", "tags"),
        ],
    )
    _item(
        knowledge_base,
        "Чайник",
        sku="K-1",
        price=Decimal("1299.00"),
        description="<p>Стальной, <b>1,7 л</b></p>",
        tags=["кухня", "сталь"],
        attributes={
            "Handle": "kettle",
            "Цвет": "серый",
            "Цвет (2)": "матовый",
            "Бренд": "Бош",
            "variants": [{"Option1 Value": "1,7 л", "row": "2"}],
        },
    )

    # when
    rows = _csv_rows(knowledge_base)

    # then
    assert rows == [
        [
            "Handle",
            "Артикул",
            "Наименование",
            "Цвет",
            "Цвет",
            "Бренд",
            "Цена, руб.",
            "Описание",
            "Теги",
        ],
        [
            "kettle",
            "K-1",
            "Чайник",
            "серый",
            "матовый",
            "Бош",
            "1299.00",
            "<p>Стальной, <b>1,7 л</b></p>",
            "кухня, сталь",
        ],
    ]


def test_several_image_columns_get_one_url_each_and_the_last_one_the_rest(company) -> None:
    knowledge_base = _base(
        company,
        [
            _column("Name", "name"),
            _column("Image 1", "image"),
            _column("Image 2", "image"),
            _column("Image 3", "image"),
        ],
    )
    urls = [f"https://cdn.example.com/{n}.jpg" for n in range(1, 5)]
    _item(knowledge_base, "Lamp", image_urls=urls)
    _item(knowledge_base, "Shade", image_urls=urls[:1])

    rows = _csv_rows(knowledge_base)

    assert rows[1] == ["Lamp", urls[0], urls[1], f"{urls[2]}, {urls[3]}"]
    assert rows[2] == ["Shade", urls[0], "", ""]


def test_a_single_image_column_gets_every_url(company) -> None:
    knowledge_base = _base(company, [_column("Name", "name"), _column("Фото", "image")])
    _item(knowledge_base, "Lamp", image_urls=["https://a.example/1.jpg", "https://a.example/2.jpg"])

    assert _csv_rows(knowledge_base)[1] == [
        "Lamp",
        "https://a.example/1.jpg, https://a.example/2.jpg",
    ]


def test_price_as_text_is_written_when_there_is_no_number(company) -> None:
    # given two price columns: only the first one carries the item's price
    knowledge_base = _base(
        company,
        [_column("Услуга", "name"), _column("Цена", "price"), _column("Цена опт", "price")],
    )
    _item(knowledge_base, "Монтаж", price=None, price_text="по запросу")
    _item(knowledge_base, "Демонтаж", price=Decimal("500.00"), attributes={"Цена опт": "450"})

    rows = _csv_rows(knowledge_base)

    assert rows == [
        ["Услуга", "Цена", "Цена опт"],
        ["Монтаж", "по запросу", ""],
        ["Демонтаж", "500.00", "450"],
    ]


def test_fields_and_attributes_without_a_source_column_are_appended(company) -> None:
    # given a category taken from section headings and an attribute from an earlier file
    knowledge_base = _base(company, [_column("Наименование", "name"), _column("Цена", "price")])
    _item(knowledge_base, "Кран", price=Decimal("10.00"), category="Сантехника")
    _item(knowledge_base, "Труба", price=Decimal("2.50"), attributes={"Старый столбец": "x"})

    rows = _csv_rows(knowledge_base)

    assert rows == [
        ["Наименование", "Цена", "Category", "Старый столбец"],
        ["Кран", "10.00", "Сантехника", ""],
        ["Труба", "2.50", "", "x"],
    ]


def test_a_hand_made_base_gets_the_default_headers(company) -> None:
    knowledge_base = _base(company, [])
    _item(
        knowledge_base,
        "Haircut",
        sku="S-1",
        price=Decimal("25.00"),
        currency="EUR",
        duration="45 min",
        tags=["hair"],
        attributes={"Master": "Anna"},
    )

    rows = _csv_rows(knowledge_base)

    assert rows[0] == [*DEFAULT_HEADERS, "Master"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Name"] == "Haircut"
    assert (row["SKU"], row["Price"], row["Currency"]) == ("S-1", "25.00", "EUR")
    assert (row["Duration"], row["Tags"], row["Master"]) == ("45 min", "hair", "Anna")
    assert row["Category"] == row["Images"] == ""


def test_export_columns_describe_where_each_cell_comes_from(company) -> None:
    knowledge_base = _base(company, [_column("Name", "name"), _column("Handle", "handle")])

    assert export_columns(knowledge_base) == [
        ExportColumn("Name", "name", "Name"),
        ExportColumn("Handle", None, "Handle"),
    ]


# -- formula injection -------------------------------------------------------------------------

DANGEROUS = {
    "name": '=HYPERLINK("http://evil.example","x")',
    "sku": "+SUM(1,1)",
    "description": "-2+3",
    "category": "@SUM(A1)",
    "unit": "\tшт",
    "website": "\r=1+1",
}


def _dangerous_base(company: Company) -> KnowledgeBase:
    knowledge_base = _base(company, [])
    _item(knowledge_base, price=Decimal("-5.00"), attributes={"Note": "#N/A"}, **DANGEROUS)
    return knowledge_base


def test_csv_neutralises_formulas_but_keeps_negative_prices_plain(company) -> None:
    knowledge_base = _dangerous_base(company)

    rows = _csv_rows(knowledge_base)

    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["SKU"] == "'+SUM(1,1)"
    assert row["Description"] == "'-2+3"
    assert row["Category"] == "'@SUM(A1)"
    assert row["Unit"] == "'\tшт"
    assert row["Website"] == "'\r=1+1"
    assert row["Price"] == "-5.00"


def test_xlsx_neutralises_formulas_and_keeps_prices_as_numbers(company) -> None:
    knowledge_base = _dangerous_base(company)

    sheet = _xlsx_sheet(knowledge_base)

    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=False))
    for label, field in (
        ("Name", "name"),
        ("SKU", "sku"),
        ("Description", "description"),
        ("Category", "category"),
        ("Unit", "unit"),
        ("Website", "website"),
    ):
        # XML reads a carriage return back as a line feed.
        assert cells[label].value == ("'" + DANGEROUS[field]).replace("\r", "\n")
        assert cells[label].data_type == "s"
    assert cells["Note"].value == "#N/A"
    assert cells["Note"].data_type == "s"
    assert cells["Price"].value == -5
    assert cells["Price"].data_type == "n"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_writes_a_formula_like_header_as_text(company) -> None:
    knowledge_base = _base(company, [_column("Name", "name"), _column("=cmd|' /C calc'!A0")])
    _item(knowledge_base, "Tea", attributes={"=cmd|' /C calc'!A0": "1"})

    sheet = _xlsx_sheet(knowledge_base)

    assert sheet["B1"].value == "'=cmd|' /C calc'!A0"
    assert sheet["B1"].data_type == "s"
    assert _csv_rows(knowledge_base)[0][1] == "'=cmd|' /C calc'!A0"


def test_xlsx_drops_control_characters_that_a_workbook_cannot_hold(company) -> None:
    knowledge_base = _base(company, [])
    _item(knowledge_base, "Tea\x01 leaves\x0b")

    assert _xlsx_values(knowledge_base)[1][0] == "Tea leaves"


# -- encoding and round trips ------------------------------------------------------------------


def test_csv_starts_with_a_utf8_bom_for_excel(company) -> None:
    knowledge_base = _base(company, [_column("Name", "name")])
    _item(knowledge_base, "Tea")
    stream = io.StringIO()

    write_csv(knowledge_base, stream)

    data = stream.getvalue().encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbfName\r\n")
    assert data.count(b"\xef\xbb\xbf") == 1


def test_cyrillic_survives_csv_and_xlsx(company) -> None:
    knowledge_base = _base(
        company, [_column("Назва позиції", "name"), _column("Ціна, грн", "price")]
    )
    _item(knowledge_base, "Їжак у тумані, книга «Ґудзик»", price=Decimal("120.00"))

    data = _csv_text(knowledge_base).encode("utf-8")

    assert data.decode("utf-8-sig").splitlines()[1] == '"Їжак у тумані, книга «Ґудзик»",120.00'
    assert _xlsx_values(knowledge_base) == [
        ["Назва позиції", "Ціна, грн"],
        ["Їжак у тумані, книга «Ґудзик»", 120],
    ]


SHOP_CSV = (
    "Артикул;Наименование;Цена, руб.;Бренд;Описание;Фото\n"
    "A-1;Молоко отборное;89,90;Простоквашино;<p>Свежее, 3,2%</p>;https://img.example/1.jpg\n"
    "A-2;Кефир;по запросу;;;\n"
    "A-3;Сыр «Российский»;1 250;Сыры Руси;;\n"
)


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_an_exported_file_imports_back_to_the_same_items(company, ext: str) -> None:
    # given a base imported from a shop file
    knowledge_base = _base(company, [])
    _store(knowledge_base, SHOP_CSV.encode("cp1251"), "shop.csv")
    original, original_header = _read_back(SHOP_CSV.encode("cp1251"), "shop.csv")

    # when it is exported and read again
    if ext == "csv":
        data = _csv_text(knowledge_base).encode("utf-8")
    else:
        buffer = io.BytesIO()
        write_xlsx(knowledge_base, buffer)
        data = buffer.getvalue()
    items, header = _read_back(data, f"export.{ext}")

    # then: the same columns, plus the currency that came from the price header
    assert header == (*original_header, "Currency")
    assert [(item.name, item.price, item.sku) for item in items] == [
        (item.name, item.price, item.sku) for item in original
    ]
    assert (items[1].price, items[1].price_text) == (None, "по запросу")
    assert [item.attributes for item in items] == [item.attributes for item in original]
    assert items[0].description == "<p>Свежее, 3,2%</p>"
    assert items[0].image_urls == ["https://img.example/1.jpg"]


def test_items_are_written_in_position_order_across_chunks(company) -> None:
    knowledge_base = _base(company, [_column("Name", "name")])
    Item.objects.bulk_create(
        Item(knowledge_base=knowledge_base, name=f"Item {n}", position=n, match_key=f"name:{n}")
        for n in range(2500, 0, -1)
    )

    rows = _csv_rows(knowledge_base)

    assert len(rows) == 2501
    assert [row[0] for row in rows[1:4]] == ["Item 1", "Item 2", "Item 3"]
    assert rows[-1] == ["Item 2500"]


def test_export_reads_the_base_in_a_fixed_number_of_queries(company) -> None:
    # given a base whose missing columns and leftover attributes have to be looked up
    knowledge_base = _base(company, [_column("Name", "name")])
    for n in range(30):
        _item(knowledge_base, f"Item {n}", category="Tea", attributes={"Origin": "China"})

    with CaptureQueriesContext(connection) as context:
        rows = _csv_rows(knowledge_base)

    # then: which fields have values, which attribute keys exist, and the items
    queries = [
        query["sql"] for query in context.captured_queries if "search_path" not in query["sql"]
    ]
    assert len(queries) == 3
    assert rows[0] == ["Name", "Category", "Origin"]
    assert len(rows) == 31


# -- file names --------------------------------------------------------------------------------


def test_export_filename_is_an_ascii_slug_with_the_date(company) -> None:
    today = timezone.localdate().isoformat()

    assert (
        export_filename(_base(company, [], name="Green Home Store products"), "csv")
        == f"green-home-store-products-{today}.csv"
    )
    assert export_filename(_base(company, [], name="Товары"), ".xlsx") == (
        f"knowledge-base-{today}.xlsx"
    )
