"""Every real catalog in shared/fixtures/catalogs imports with the right rows and values.

Expected values were read from the files directly (csv / openpyxl in a scratch session),
not produced by the importer.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from knowledge.importing import Field, ParsedItem, RejectCode, RejectedRow, read_price_list

# ../shared/fixtures/catalogs, beside the repository.
CATALOGS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "catalogs"


def _read(name: str) -> tuple[list[ParsedItem], list[RejectedRow], object]:
    with (CATALOGS / name).open("rb") as handle, read_price_list(handle, name) as result:
        out = list(result)
    items = [entry for entry in out if isinstance(entry, ParsedItem)]
    rejected = [entry for entry in out if isinstance(entry, RejectedRow)]
    return items, rejected, result


def _by_name(items: list[ParsedItem], name: str) -> ParsedItem:
    found = [item for item in items if item.name == name]
    assert len(found) == 1, f"{name!r} found {len(found)} times"
    return found[0]


def test_every_fixture_file_is_covered_by_a_test() -> None:
    covered = {
        "dog_grooming_salon_price.xlsx",
        "prestashop_products_import.csv",
        "rabotahorizont_price_ru.csv",
        "shopify_packt_home_garden_export.csv",
        "vashmaster_electrician_services_price.xlsx",
        "woocommerce_sample_products.csv",
    }
    present = {path.name for path in CATALOGS.iterdir() if path.suffix in {".csv", ".xlsx"}}
    assert present == covered


def test_rabotahorizont_utf8_semicolon_csv_gives_100_products_priced_in_rub() -> None:
    items, rejected, result = _read("rabotahorizont_price_ru.csv")
    assert (result.encoding, result.delimiter, result.header.row_number) == ("utf-8", ";", 1)
    assert len(items) == 100
    assert rejected == []
    first = items[0]
    assert (first.sku, first.name, first.price, first.currency) == (
        "TST001",
        "Тестовый Гаджет X1",
        Decimal("1499.00"),
        "RUB",
    )
    assert first.category == "Электроника"
    assert first.image_urls == [
        "http://test-images.com/img/tst001.jpg",
        "http://test-images.com/img/tst001_b.jpg",
    ]
    assert first.description == "Портативное устройство с высоким разрешением."
    cups = _by_name(items, 'Набор чашек "Рассвет"')
    assert (cups.sku, cups.price, cups.image_urls) == (
        "TST002",
        Decimal("850.50"),
        ["http://test-images.com/img/tst002.jpg"],
    )
    last = items[-1]
    assert (last.sku, last.name, last.price, last.source_row) == (
        "TST100",
        'Макароны "Феттуччине"',
        Decimal("190.00"),
        101,
    )


def test_prestashop_semicolon_csv_maps_reference_price_and_image_list() -> None:
    items, rejected, result = _read("prestashop_products_import.csv")
    assert result.delimiter == ";"
    assert len(items) == 7
    assert rejected == []
    nano = items[0]
    assert (nano.name, nano.sku, nano.price, nano.category) == (
        "iPod Nano",
        "RP-demo_1",
        Decimal("100"),
        "iPods",
    )
    assert nano.tags == ["apple", "ipod", "nano"]
    assert nano.image_urls == [
        "http://localhost/prestashop/img/p/1/5/15.jpg",
        "http://localhost/prestashop/img/p/2/3/23.jpg",
    ]
    assert nano.description == "<p>New design.</p>"
    assert nano.description_text == "New design."
    assert nano.attributes["Wholesale price"] == "80"
    macbook_air = _by_name(items, "MacBook Air")
    assert (macbook_air.sku, macbook_air.price) == ("RP-demo_3", Decimal("1500"))
    shure = _by_name(items, "Shure SE210 Sound-Isolating Earphones for iPod and iPhone")
    assert (shure.price, shure.category) == (Decimal("125"), "Accessories")


def test_shopify_export_merges_the_variant_row_into_gardening_gloves() -> None:
    items, rejected, result = _read("shopify_packt_home_garden_export.csv")
    assert result.delimiter == ","
    assert len(items) == 20
    assert rejected == []
    assert result.stats.merged == 1
    lamp = items[0]
    assert (lamp.name, lamp.price, lamp.category, lamp.tags) == (
        "Floor Lamp",
        Decimal("69.99"),
        "Indoor",
        ["Black", "Lamp"],
    )
    assert lamp.description == "<p>Black floor lamp</p>"
    assert lamp.description_text == "Black floor lamp"
    assert lamp.attributes["Handle"] == "floor-lamp"
    assert lamp.attributes["Variant Compare At Price"] == "85.00"
    assert len(lamp.image_urls) == 1
    armchairs = _by_name(items, "Black Armchairs")
    assert armchairs.description.startswith("<h6><span>Description</span></h6>")
    assert armchairs.description_text.startswith("Description\nLorem ipsum dolor sit amet")
    assert "<" not in armchairs.description_text
    gloves = _by_name(items, "Gardening Gloves")
    assert gloves.price == Decimal("9.99")
    assert gloves.price_text == "9.99-15.99"
    assert gloves.image_urls == [
        "https://cdn.shopify.com/s/files/1/0559/0089/7434/products/"
        "photo-1599778150914-88e98e0c3a3e.jpg?v=1629998616",
        "https://cdn.shopify.com/s/files/1/0559/0089/7434/products/"
        "photo-1528568257878-f03be8c0834b.jpg?v=1629998616",
    ]
    variants = gloves.attributes["variants"]
    assert [variant["Option1 Value"] for variant in variants] == ["Green", "Yellow"]
    assert [variant["Variant Price"] for variant in variants] == ["9.99", "15.99"]
    assert _by_name(items, "Wicker Bowl").price == Decimal("750.00")


def test_woocommerce_variations_merge_into_their_variable_parents() -> None:
    items, rejected, result = _read("woocommerce_sample_products.csv")
    assert len(items) == 18
    assert rejected == []
    assert result.stats.merged == 7
    names = [item.name for item in items]
    assert not any(" - " in name for name in names if name.startswith(("V-Neck", "Hoodie - ")))
    tee = _by_name(items, "V-Neck T-Shirt")
    assert tee.sku == "woo-vneck-tee"
    assert tee.price == Decimal("15")
    assert tee.price_text == "15-20"
    assert len(tee.image_urls) == 3
    assert [variant["SKU"] for variant in tee.attributes["variants"]] == [
        "woo-vneck-tee-red",
        "woo-vneck-tee-green",
        "woo-vneck-tee-blue",
    ]
    hoodie = _by_name(items, "Hoodie")
    assert len(hoodie.attributes["variants"]) == 4
    assert hoodie.price == Decimal("45")
    assert len(hoodie.image_urls) == 4
    beanie = _by_name(items, "Beanie")
    assert (beanie.sku, beanie.price, beanie.attributes["Sale price"]) == (
        "woo-beanie",
        Decimal("20"),
        "18",
    )
    assert beanie.category == "Clothing > Accessories"
    pennant = _by_name(items, "WordPress Pennant")
    assert pennant.price == Decimal("11.05")
    assert pennant.website == "https://mercantile.wordpress.org/product/wordpress-pennant/"
    assert _by_name(items, "Logo Collection").price is None


def test_electrician_price_list_uses_numbered_sections_as_categories() -> None:
    items, rejected, result = _read("vashmaster_electrician_services_price.xlsx")
    assert result.header.row_number == 3
    assert result.mapping.first(Field.UNIT) == 2
    assert len(items) == 170
    assert [row.reason_code for row in rejected] == [RejectCode.SECTION_HEADER] * 16
    first = items[0]
    assert (first.name, first.sku, first.unit, first.price, first.source_row) == (
        "точка",
        "1.1",
        "шт.",
        Decimal("350"),
        5,
    )
    assert first.category == "Монтаж проводки(точка)"
    cable = _by_name(items, "Кабельный канал 16x16 мм.")
    assert (cable.price, cable.unit, cable.category) == (
        Decimal("35"),
        "м.п.",
        "Монтаж кабель канала",
    )
    generator = _by_name(items, "Подключение электрогенератора")
    assert generator.price is None
    assert generator.price_text == "договорная"
    assert generator.price_note == "price on request"
    chandelier = _by_name(items, "Установка люстры 3 / 5 / 7 ламп (навеска на крюк + подключение)")
    assert (chandelier.price, chandelier.price_text) == (Decimal("350"), "350/500/700")
    unpriced = _by_name(items, "Монтаж ОПН")
    assert (unpriced.price, unpriced.price_text) == (None, "")
    call = _by_name(items, "Вызов электрика аварийный")
    assert (call.sku, call.price) == ("18", Decimal("1000"))


def test_dog_grooming_matrix_becomes_one_item_per_breed_and_service() -> None:
    items, rejected, result = _read("dog_grooming_salon_price.xlsx")
    assert result.header.row_number == 3
    assert result.mapping.indexes(Field.PRICE) == [2, 3, 4]
    # 208 filled price cells in rows 4-114, 11 extra dog services, 7 cat services.
    assert len(items) == 226
    assert [(row.row_number, row.reason_code) for row in rejected] == [
        (36, RejectCode.EMPTY_ROW),
        (60, RejectCode.EMPTY_ROW),
        (94, RejectCode.EMPTY_ROW),
        (115, RejectCode.SECTION_HEADER),
        (116, RejectCode.TABLE_HEADER),
        (128, RejectCode.SECTION_HEADER),
        (129, RejectCode.REPEATED_HEADER),
    ]
    bichon = _by_name(items, "Бишон фризе — Стрижка")
    assert bichon.price == Decimal("2200")
    griffon = _by_name(items, "Грифон — Тримминг")
    assert (griffon.price, griffon.price_text) == (Decimal("2000"), "от 2000")
    jack = _by_name(items, "Джек рассел терьер — Тримминг")
    assert (jack.price, jack.price_text) == (Decimal("2200"), "2200-2500")
    # Row 12 has its breed in a merged cell (A11:A12): the name is filled down.
    heavy_yorkie = _by_name(items, "Йоркширский терьер (от 4-х кг) — Стрижка")
    assert (heavy_yorkie.price, heavy_yorkie.source_row) == (Decimal("1600"), 12)
    ears = _by_name(items, "Чистка ушей")
    assert (ears.price, ears.price_text, ears.category) == (
        Decimal("150"),
        "150-250",
        "Дополнительные услуги по грумингу собак",
    )
    rhinestones = _by_name(items, "Украшение стразами")
    assert (rhinestones.price, rhinestones.currency) == (Decimal("50"), "RUB")
    aggressive = _by_name(items, "Агрессивность")
    assert aggressive.price is None
    assert aggressive.price_text == "плюс 30 % к стоимости"
    maine_coon = _by_name(items, "Мейн-кун (стрижка/вычесывание, гигиена)")
    assert (maine_coon.price, maine_coon.category) == (
        Decimal("2500"),
        "Прейскурант цен на груминг кошек",
    )
