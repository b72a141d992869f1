"""Rows to items: sections, variants, duplicates, sheets, mapping preview and overrides."""

from __future__ import annotations

from decimal import Decimal

from knowledge.importing import (
    Field,
    ParsedItem,
    RejectCode,
    list_sheets,
    preview,
    read_price_list,
)

from .importing_factories import csv_file, read_all, xlsx_file


def test_title_and_contact_rows_above_the_header_are_skipped() -> None:
    rows = [
        ["Прайс-лист на услуги"],
        ["г. Одеса", "Телефон: +380 48 000 00 00", "Email: info@example.com"],
        [],
        ["Назва послуги", "Тривалість", "Формат", "Ціна, грн"],
        ["Стрижка чоловіча", "40 хв", "в салоні", 350],
    ]
    with read_price_list(xlsx_file({"Послуги": rows}), "services.xlsx") as result:
        items = list(result)
        assert result.header.row_number == 4
    assert items == [
        ParsedItem(
            name="Стрижка чоловіча",
            source_row=5,
            price=Decimal("350"),
            price_text="350",
            currency="UAH",
            duration="40 хв",
            format="в салоні",
        )
    ]


def test_section_header_row_becomes_the_category_of_the_following_items() -> None:
    text = "Наименование;Цена\nМолочные продукты;\nМолоко;89\nКефир;75\nХлеб:;\nБатон;40\n"
    items, rejected = read_all(csv_file(text), "price.csv")
    assert [(item.name, item.category) for item in items] == [
        ("Молоко", "Молочные продукты"),
        ("Кефир", "Молочные продукты"),
        ("Батон", "Хлеб"),
    ]
    assert [(row.row_number, row.reason_code) for row in rejected] == [
        (2, RejectCode.SECTION_HEADER),
        (5, RejectCode.SECTION_HEADER),
    ]
    assert rejected[0].values == ("Молочные продукты", "")


def test_category_column_wins_over_the_current_section() -> None:
    text = "Name;Category;Price\nDrinks;;\nTea;Hot drinks;5\nJuice;;4\n"
    items, _ = read_all(csv_file(text), "price.csv")
    assert [(item.name, item.category) for item in items] == [
        ("Tea", "Hot drinks"),
        ("Juice", "Drinks"),
    ]


def test_html_description_is_kept_and_stripped_for_search() -> None:
    text = (
        'Name,Description,Price\nLamp,"<h2>Lamp &amp; shade</h2><p>Warm&nbsp;light<br>'
        '<script>alert(1)</script>E27</p>",10\nVase,Plain &lt;text&gt;,5\n'
    )
    items, _ = read_all(csv_file(text), "html.csv")
    lamp, vase = items
    assert lamp.description.startswith("<h2>Lamp &amp; shade</h2>")
    assert lamp.description_text == "Lamp & shade\nWarm light\nE27"
    assert vase.description_text == "Plain <text>"


def test_duplicate_sku_keeps_the_first_row_and_rejects_the_later_one() -> None:
    text = "SKU,Name,Price\nA-1,Tea,5\nB-2,Coffee,7\na-1,Tea again,6\n"
    items, rejected = read_all(csv_file(text), "dupes.csv")
    assert [item.name for item in items] == ["Tea", "Coffee"]
    assert len(rejected) == 1
    assert (rejected[0].row_number, rejected[0].reason_code) == (4, RejectCode.DUPLICATE_SKU)
    assert "row 2" in rejected[0].reason_text
    assert rejected[0].values == ("a-1", "Tea again", "6")


def test_rows_without_a_name_are_rejected_with_the_reason() -> None:
    text = "Name,SKU,Price\nTea,T1,5\n,C2,7\n"
    items, rejected = read_all(csv_file(text), "noname.csv")
    assert [item.name for item in items] == ["Tea"]
    assert rejected[0].reason_code is RejectCode.NO_NAME
    assert "'Name'" in rejected[0].reason_text


def test_price_column_full_of_text_keeps_text_and_warns() -> None:
    text = "Name;Price\nAudit;call us\nSetup;ask the manager\nTraining;individually\n"
    with read_price_list(csv_file(text), "text-prices.csv") as result:
        items = list(result)
        assert any("Price" in warning and "text" in warning for warning in result.warnings)
    assert [(item.name, item.price, item.price_text) for item in items] == [
        ("Audit", None, "call us"),
        ("Setup", None, "ask the manager"),
        ("Training", None, "individually"),
    ]


def test_every_price_format_reaches_the_items() -> None:
    rows = [
        ["Name", "Price"],
        ["a", "6 210"],
        ["b", "6\u00a0210"],
        ["c", "61538,18"],
        ["d", ".5"],
        ["e", "от 2000"],
        ["f", "2200-2500"],
        ["g", "по запросу"],
        ["h", "1.234,56 €"],
        ["i", "$1,234.56"],
        ["j", "100 грн"],
        ["k", 99.9],
    ]
    items, _ = read_all(xlsx_file({"S": rows}), "prices.xlsx")
    assert [(item.price, item.currency) for item in items] == [
        (Decimal("6210"), None),
        (Decimal("6210"), None),
        (Decimal("61538.18"), None),
        (Decimal("0.5"), None),
        (Decimal("2000"), None),
        (Decimal("2200"), None),
        (None, None),
        (Decimal("1234.56"), "EUR"),
        (Decimal("1234.56"), "USD"),
        (Decimal("100"), "UAH"),
        (Decimal("99.9"), None),
    ]
    assert items[6].price_note == "price on request"
    assert items[6].price_text == "по запросу"


def test_default_and_column_currencies_fill_in_missing_currency() -> None:
    text = "Name;Price;Currency\nTea;5;USD\nCoffee;7;\n"
    items, _ = read_all(csv_file(text), "cur.csv", default_currency="UAH")
    assert [(item.name, item.currency) for item in items] == [("Tea", "USD"), ("Coffee", "UAH")]


def test_tags_images_and_unmapped_columns_are_split_and_kept() -> None:
    text = (
        'Name,Tags,Images,Color,Price\nMug,"kitchen, gift; ceramic",'
        '"https://x.test/a.jpg, https://x.test/b,c.jpg",red,3\n'
    )
    items, _ = read_all(csv_file(text), "mug.csv")
    mug = items[0]
    assert mug.tags == ["kitchen", "gift", "ceramic"]
    assert mug.image_urls == ["https://x.test/a.jpg", "https://x.test/b,c.jpg"]
    assert mug.attributes == {"Color": "red"}


def test_shopify_image_only_rows_add_images_and_orphans_are_rejected() -> None:
    text = (
        "Handle,Title,Variant Price,Image Src,Image Position\n"
        "mug,Mug,3.00,https://x.test/1.jpg,1\n"
        "mug,,,https://x.test/2.jpg,2\n"
        "ghost,,,https://x.test/3.jpg,1\n"
    )
    items, rejected = read_all(csv_file(text), "shopify.csv")
    assert [(item.name, item.image_urls) for item in items] == [
        ("Mug", ["https://x.test/1.jpg", "https://x.test/2.jpg"])
    ]
    assert "variants" not in items[0].attributes
    assert [row.reason_code for row in rejected] == [RejectCode.ORPHAN_CONTINUATION]


def test_woocommerce_variations_find_their_parent_by_id_reference() -> None:
    text = (
        "ID,Type,SKU,Name,Regular price,Parent,Attribute 1 value(s)\n"
        "10,variation,cap-red,Cap - Red,12,id:20,Red\n"
        '20,variable,cap,Cap,,,"Red, Blue"\n'
        "30,simple,scarf,Scarf,9,,\n"
        "11,variation,cap-blue,Cap - Blue,10,id:20,Blue\n"
    )
    with read_price_list(csv_file(text), "woo.csv") as result:
        items = list(result)
        assert result.stats.merged == 2
    assert [item.name for item in items] == ["Scarf", "Cap"]
    cap = items[1]
    assert (cap.price, cap.price_text) == (Decimal("10"), "10-12")
    assert [variant["SKU"] for variant in cap.attributes["variants"]] == ["cap-red", "cap-blue"]


def test_best_sheet_is_chosen_and_ranked_first() -> None:
    upload = xlsx_file(
        {
            "Инструкция": [["Заполните лист «Товары»."], ["Не меняйте заголовки."]],
            "Товары": [["Наименование", "Цена"], ["Чай", 5], ["Кофе", 7], ["Какао", 6]],
        }
    )
    sheets, ambiguous = list_sheets(upload, "book.xlsx")
    assert [sheet.name for sheet in sheets] == ["Товары", "Инструкция"]
    assert (sheets[0].header_row, sheets[0].data_rows, sheets[1].header_row) == (1, 3, None)
    assert ambiguous is False
    with read_price_list(upload, "book.xlsx") as result:
        assert result.sheet == "Товары"
        assert [item.name for item in result] == ["Чай", "Кофе", "Какао"]


def test_two_similar_price_sheets_are_reported_as_ambiguous() -> None:
    upload = xlsx_file(
        {
            "Опт": [["Наименование", "Цена"], ["Чай", 4], ["Кофе", 6]],
            "Розница": [["Наименование", "Цена"], ["Чай", 5], ["Кофе", 7]],
        }
    )
    with read_price_list(upload, "book.xlsx") as result:
        assert result.ambiguous is True
        assert len(result.sheets) == 2
    with read_price_list(upload, "book.xlsx", sheet="Розница") as result:
        assert result.ambiguous is False
        assert [item.price for item in result] == [Decimal("5"), Decimal("7")]


def test_preview_shows_mapping_and_first_rows_without_reading_everything() -> None:
    text = "Артикул;Наименование;Цена\n" + "".join(f"A{n};Товар {n};{n}\n" for n in range(1, 500))
    shown = preview(csv_file(text), "big.csv", rows=3)
    assert shown.mapping.as_dict() == {0: "sku", 1: "name", 2: "price"}
    assert shown.rows == [["A1", "Товар 1", "1"], ["A2", "Товар 2", "2"], ["A3", "Товар 3", "3"]]
    assert [item.name for item in shown.items] == ["Товар 1", "Товар 2", "Товар 3"]
    assert shown.header.row_number == 1


def test_user_mapping_override_is_applied() -> None:
    text = "Item;Note;Cost\nTea;green;5\n"
    items, _ = read_all(csv_file(text), "o.csv", mapping={1: Field.CATEGORY, 2: "price"})
    assert (items[0].name, items[0].category, items[0].price) == ("Tea", "green", Decimal("5"))


def test_explicit_header_row_overrides_detection() -> None:
    text = "Name;Price\nSection;\nProduct;Cost\nTea;5\n"
    items, _ = read_all(csv_file(text), "h.csv", header_row=3, mapping={0: "name", 1: "price"})
    assert [(item.name, item.price, item.source_row) for item in items] == [
        ("Tea", Decimal("5"), 4)
    ]


def test_items_stream_lazily_in_file_order() -> None:
    text = "Name;Price\n" + "".join(f"Item {n};{n}\n" for n in range(1, 1001))
    with read_price_list(csv_file(text), "lazy.csv") as result:
        iterator = iter(result)
        first = next(iterator)
        assert isinstance(first, ParsedItem)
        assert (first.name, first.source_row) == ("Item 1", 2)
        assert result.stats.items == 1
