"""Header row detection and header-to-field mapping."""

from __future__ import annotations

import pytest

from knowledge.importing.headers import (
    Field,
    build_mapping,
    find_header,
    match_header,
    refine_mapping,
)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Product Name", Field.NAME),
        ("PRODUCT_NAME", Field.NAME),
        ("Название товара", Field.NAME),
        ("Наименование", Field.NAME),
        ("Назва_позиції", Field.NAME),
        ("Title", Field.NAME),
        ("  name  ", Field.NAME),
        ("Цена, RUB", Field.PRICE),
        ("Variant Price", Field.PRICE),
        ("Regular price", Field.PRICE),
        ("Ціна", Field.PRICE),
        ("Стоимость", Field.PRICE),
        ("Артикул", Field.SKU),
        ("Variant SKU", Field.SKU),
        ("Handle", Field.HANDLE),
        ("Body (HTML)", Field.DESCRIPTION),
        ("Опис", Field.DESCRIPTION),
        ("Описание", Field.DESCRIPTION),
        ("Категория", Field.CATEGORY),
        ("Ед. изм.", Field.UNIT),
        ("Фото", Field.IMAGE),
        ("Image Src", Field.IMAGE),
        ("Images", Field.IMAGE),
        ("Длительность", Field.DURATION),
        ("Формат", Field.FORMAT),
        ("Tags", Field.TAGS),
        ("Сайт", Field.WEBSITE),
        ("Наличие", Field.AVAILABILITY),
        ("Валюта", Field.CURRENCY),
        ("Option1 Value", Field.VARIANT_OPTION),
        ("Parent", Field.PARENT),
        ("URL изображения 2", Field.IMAGE),
        ("Цена розничная, грн", Field.PRICE),
    ],
)
def test_headers_map_regardless_of_case_spacing_punctuation_and_language(
    header: str, field: Field
) -> None:
    assert match_header(header).field is field


@pytest.mark.parametrize(
    "header",
    ["Wholesale price", "Unit price", "SEO Title", "Attribute 1 name", "Vendor", "Gift Card", ""],
)
def test_unrelated_headers_stay_unmapped(header: str) -> None:
    assert match_header(header).field is None


def test_currency_written_in_the_price_header_is_remembered() -> None:
    assert match_header("Цена, RUB").currency == "RUB"
    assert match_header("Ціна (грн)").currency == "UAH"
    assert match_header("Price, $").currency == "USD"
    assert match_header("Цена").currency is None


def test_only_the_strongest_column_gets_a_single_valued_field() -> None:
    mapping = build_mapping(["Summary", "Description", "Name", "Цена опт", "Цена"])
    assert mapping.as_dict() == {0: None, 1: "description", 2: "name", 3: None, 4: "price"}


def test_woocommerce_type_column_is_the_product_type_not_a_category() -> None:
    woo = build_mapping(["ID", "Type", "Name", "Regular price", "Parent"])
    shopify = build_mapping(["Handle", "Title", "Type", "Variant Price"])
    assert woo.columns[1].field is Field.PRODUCT_TYPE
    assert shopify.columns[2].field is Field.CATEGORY


def test_unmapped_and_duplicate_headers_get_unique_attribute_keys() -> None:
    mapping = build_mapping(["Name", "Color", "Color", ""])
    assert [column.key for column in mapping.columns] == ["Name", "Color", "Color (2)", "Column 4"]


def test_user_overrides_replace_the_automatic_mapping() -> None:
    mapping = build_mapping(["Name", "Color", "Цена"]).with_overrides({1: "category", 2: None})
    assert mapping.as_dict() == {0: "name", 1: "category", 2: None}


def test_header_is_found_below_title_contact_and_merged_rows() -> None:
    rows = [
        (1, ["Прайс-лист ООО «Ромашка»", None, None, None]),
        (2, ["г. Киев", "тел. +380 44 000 00 00", "info@example.com", None]),
        (3, [None, None, None, None]),
        (4, ["№", "Наименование", "Ед. изм.", "Цена, грн"]),
        (5, [1, "Болт М6", "шт", 2.5]),
    ]
    header = find_header(rows)
    assert header is not None
    assert header.row_number == 4


def test_no_header_is_found_in_rows_of_numbers_and_prose() -> None:
    rows = [
        (1, [1, 2, 3]),
        (2, ["Это просто письмо без таблицы, в нём нет колонок.", None]),
        (3, [4.5, 6, None]),
    ]
    assert find_header(rows) is None


def test_units_in_a_quantity_column_turn_it_into_the_unit_column() -> None:
    mapping = build_mapping(["Наименование", "Количество", "Стоимость"])
    sample = [["Розетка", "шт.", 100], ["Кабель", "м.п.", 25], ["Штроба", "м", 90]]
    assert refine_mapping(mapping, sample).columns[1].field is Field.UNIT
    quantities = [["Розетка", 10, 100], ["Кабель", 200, 25], ["Штроба", 3, 90]]
    assert refine_mapping(mapping, quantities).columns[1].field is Field.AVAILABILITY


def test_price_columns_are_inferred_from_values_when_no_header_says_price() -> None:
    mapping = build_mapping(["Порода", "Примечание", "Стрижка", "Мытье", "№ п/п"])
    sample = [
        ["Мопс", None, 1500, "от 900", 1],
        ["Шпиц", "мини", "1700-2000", 800, 2],
        ["Такса", None, 1300, 700, 3],
    ]
    refined = refine_mapping(mapping, sample)
    assert refined.as_dict() == {0: "name", 1: "description", 2: "price", 3: "price", 4: None}
    assert refined.notes
