"""Opening uploads: encodings, delimiters and every kind of bad file."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from knowledge.importing import ImportErrorCode, ImportFileError, Limits, read_price_list
from knowledge.importing.sources import detect_delimiter, detect_encoding, open_source

from .importing_factories import csv_file, read_all, rewrite_zip, xlsx_file

RU_CSV = (
    "Артикул;Наименование;Цена, руб.;Описание\nA-1;Молоко отборное;89,90;Свежее, жирность 3,2%\n"
)


def test_cp1251_semicolon_csv_is_decoded_and_split_correctly() -> None:
    upload = csv_file(RU_CSV, "cp1251")
    with read_price_list(upload, "прайс.csv") as result:
        items = list(result)
        assert (result.encoding, result.delimiter) == ("cp1251", ";")
    assert items[0].name == "Молоко отборное"
    assert (items[0].price, items[0].currency) == (Decimal("89.90"), "RUB")
    assert items[0].description == "Свежее, жирность 3,2%"


def test_koi8r_text_is_not_mistaken_for_cp1251() -> None:
    assert detect_encoding(csv_file(RU_CSV, "koi8-r")) == "koi8-r"


def test_ukrainian_cp1251_is_detected() -> None:
    text = "Назва позиції;Ціна\nЇжак у тумані, книга;120\nҐудзик;5\n"
    assert detect_encoding(csv_file(text, "cp1251")) == "cp1251"


def test_western_cp1252_is_not_read_as_cyrillic() -> None:
    text = "Name,Price\nCafé crème brûlée,4.50\nZürich Müsli,3\n"
    assert detect_encoding(csv_file(text, "cp1252")) == "cp1252"


def test_utf8_bom_is_stripped_from_the_first_header() -> None:
    upload = csv_file("Name,Price\nTea,5\n", "utf-8-sig")
    with read_price_list(upload, "bom.csv") as result:
        items = list(result)
        assert result.encoding == "utf-8-sig"
        assert result.header.values[0] == "Name"
    assert (items[0].name, items[0].price) == ("Tea", Decimal("5"))


def test_non_ascii_far_into_an_ascii_file_still_decides_the_encoding() -> None:
    text = "Name;Price\n" + "Plain item;1\n" * 20000 + "Чай зелёный листовой, пачка;2\n"
    upload = csv_file(text, "cp1251")
    assert detect_encoding(upload) == "cp1251"
    items, _ = read_all(upload, "late.csv")
    assert items[-1].name == "Чай зелёный листовой, пачка"


def test_tab_delimited_file_is_split_on_tabs() -> None:
    upload = csv_file("Name\tPrice\tDescription\nTea, green\t5\tLoose, 100 g\n")
    with read_price_list(upload, "tabs.txt") as result:
        items = list(result)
        assert result.delimiter == "\t"
    assert (items[0].name, items[0].price, items[0].description) == (
        "Tea, green",
        Decimal("5"),
        "Loose, 100 g",
    )


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a;b;c\n1;2,5;3\n4;5,5;6\n", ";"),
        ('a,b,c\n1,"x; y",3\n4,"z; w",6\n', ","),
        ("a\tb\n1\t2\n", "\t"),
        ("name,price\n", ","),
    ],
)
def test_delimiter_detection(sample: str, delimiter: str) -> None:
    assert detect_delimiter(sample) == delimiter


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImportFileError) as caught:
        read_price_list(io.BytesIO(b""), "empty.csv")
    assert caught.value.code is ImportErrorCode.EMPTY_FILE


def test_file_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ImportFileError) as caught:
        open_source(csv_file("Name\nx\n" * 100), "big.csv", limits=Limits(max_bytes=100))
    assert caught.value.code is ImportErrorCode.FILE_TOO_LARGE


def test_binary_junk_renamed_csv_is_refused() -> None:
    junk = io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    with pytest.raises(ImportFileError) as caught:
        read_price_list(junk, "price.csv")
    assert caught.value.code is ImportErrorCode.BINARY_FILE


def test_control_character_noise_without_nul_bytes_is_refused() -> None:
    noise = io.BytesIO(bytes([1, 2, 3, 4, 5, 6, 7, 8, 65, 66, 14, 15, 16]) * 500)
    with pytest.raises(ImportFileError) as caught:
        read_price_list(noise, "price.csv")
    assert caught.value.code is ImportErrorCode.BINARY_FILE


def test_text_renamed_xlsx_is_refused_as_not_a_workbook() -> None:
    with pytest.raises(ImportFileError) as caught:
        read_price_list(csv_file("Name,Price\nA,1\n"), "price.xlsx")
    assert caught.value.code is ImportErrorCode.INVALID_XLSX


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    buffer.seek(0)
    with pytest.raises(ImportFileError) as caught:
        read_price_list(buffer, "price.xlsx")
    assert caught.value.code is ImportErrorCode.INVALID_XLSX


def test_workbook_with_a_broken_part_is_refused() -> None:
    broken = rewrite_zip(
        xlsx_file({"S": [["Name"], ["A"]]}),
        lambda name, data: b"<not xml" if name == "xl/workbook.xml" else data,
    )
    with pytest.raises(ImportFileError) as caught:
        read_price_list(broken, "price.xlsx")
    assert caught.value.code is ImportErrorCode.INVALID_XLSX


def test_old_binary_xls_is_refused_with_advice() -> None:
    with pytest.raises(ImportFileError) as caught:
        read_price_list(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600), "old.xls")
    assert caught.value.code is ImportErrorCode.UNSUPPORTED_FORMAT
    assert ".xlsx" in caught.value.message


def test_zip_bomb_is_refused_from_declared_sizes_before_parsing() -> None:
    padding = b" " * (20 * 1024 * 1024)

    def inflate(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
        return data

    bomb = rewrite_zip(xlsx_file({"S": [["Name", "Price"], ["A", 1]]}), inflate)
    assert len(bomb.getvalue()) < 200 * 1024
    with pytest.raises(ImportFileError) as caught:
        read_price_list(bomb, "bomb.xlsx")
    assert caught.value.code is ImportErrorCode.ZIP_BOMB


def test_workbook_expanding_past_the_total_limit_is_refused() -> None:
    upload = xlsx_file({"S": [["Name", "Price"], ["A", 1]]})
    with pytest.raises(ImportFileError) as caught:
        read_price_list(upload, "big.xlsx", limits=Limits(max_uncompressed_bytes=2000))
    assert caught.value.code is ImportErrorCode.ZIP_BOMB


def test_file_without_a_recognisable_header_is_refused() -> None:
    with pytest.raises(ImportFileError) as caught:
        read_price_list(csv_file("1;2;3\n4;5;6\n7;8;9\n"), "numbers.csv")
    assert caught.value.code is ImportErrorCode.HEADER_NOT_FOUND


def test_unknown_sheet_name_is_refused() -> None:
    with pytest.raises(ImportFileError) as caught:
        read_price_list(xlsx_file({"S": [["Name"], ["A"]]}), "a.xlsx", sheet="Nope")
    assert caught.value.code is ImportErrorCode.SHEET_NOT_FOUND


def test_long_run_of_styled_empty_rows_stops_reading() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Price"])
    sheet.append(["Tea", 5])
    for row in range(3, 5003):
        sheet.cell(row=row, column=1).number_format = "0.00"
        sheet.cell(row=row, column=2).font = openpyxl.styles.Font(bold=True)
    sheet.cell(row=5003, column=1, value="Beyond the empty run")
    sheet.cell(row=5003, column=2, value=7)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    with read_price_list(buffer, "styled.xlsx", limits=Limits(empty_run_limit=200)) as result:
        out = list(result)
        assert result.truncated_at == 3
    assert [item.name for item in out] == ["Tea"]


def test_short_empty_gaps_do_not_stop_reading() -> None:
    rows = [["Name", "Price"], ["Tea", 5], [], [], ["Coffee", 7]]
    items, rejected = read_all(
        xlsx_file({"S": rows}), "gaps.xlsx", limits=Limits(empty_run_limit=3)
    )
    assert [item.name for item in items] == ["Tea", "Coffee"]
    assert [row.row_number for row in rejected] == [3, 4]


def test_a_lying_sheet_dimension_does_not_hide_rows() -> None:
    upload = xlsx_file({"S": [["Name", "Price"], ["Tea", 5], ["Coffee", 7]]})
    lying = rewrite_zip(
        upload,
        lambda name, data: (
            data.replace(b'<dimension ref="A1:B3"', b'<dimension ref="A1:A1"')
            if name.startswith("xl/worksheets/")
            else data
        ),
    )
    items, _ = read_all(lying, "lying.xlsx")
    assert [(item.name, item.price) for item in items] == [
        ("Tea", Decimal("5")),
        ("Coffee", Decimal("7")),
    ]


def test_formula_without_cached_value_gives_no_price_not_formula_text() -> None:
    rows = [["Name", "SKU", "Price"], ["Tea", "T-1", "=2+3"], ['=UPPER("x")', "T-2", 4]]
    items, rejected = read_all(xlsx_file({"S": rows}), "formulas.xlsx")
    assert [(item.name, item.price, item.price_text) for item in items] == [("Tea", None, "")]
    assert [(row.row_number, row.reason_code.value) for row in rejected] == [(3, "no_name")]


def test_formula_with_a_cached_value_uses_the_cached_value() -> None:
    upload = xlsx_file({"S": [["Name", "Price"], ["Tea", "=2+3"]]})
    cached = rewrite_zip(
        upload,
        lambda name, data: (
            data.replace(b"<f>2+3</f><v />", b"<f>2+3</f><v>5</v>")
            if name.startswith("xl/worksheets/")
            else data
        ),
    )
    items, _ = read_all(cached, "cached.xlsx")
    assert (items[0].name, items[0].price) == ("Tea", Decimal("5"))


def test_excel_file_renamed_csv_is_still_read_as_a_workbook() -> None:
    items, _ = read_all(xlsx_file({"S": [["Name", "Price"], ["Tea", 5]]}), "export.csv")
    assert (items[0].name, items[0].price) == ("Tea", Decimal("5"))


def test_reading_leaves_the_callers_file_open() -> None:
    upload = csv_file("Name,Price\nTea,5\n")
    read_all(upload, "a.csv")
    assert not upload.closed
