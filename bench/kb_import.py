"""How fast is the price-list import next to PostgreSQL COPY and bare openpyxl; how fast is search?

Generates a shop-like price list (SKU, name in Russian or English, some HTML descriptions,
prices written the way shops write them, ~200 categories, unit, brand, stock) as a CSV and an
XLSX file (written as Excel writes one: shared strings and a sheet dimension), creates a scratch
database (dropped at the end) with one business, one company and one knowledge base, and
measures in the same run, each timing the median of ``--repeat`` runs:

* the importer end to end (``import_upload`` + ``import_confirm(background=False)``: reading,
  parsing, COPY into the stage table, the upsert into ``knowledge_item`` with its generated
  search column and indexes), replacing an empty base, on the CSV and on the XLSX;
* PostgreSQL ``COPY`` of the CSV file as-is into a temporary table of text columns (the
  baseline of the CSV target), and ``COPY`` of the already parsed rows into a logged copy of
  ``knowledge_item`` with and without its generated column and indexes (what the database's
  own work costs);
* the reader alone (``read_price_list`` consumed, no database) against openpyxl's bare
  read-only iteration of the same XLSX (the baseline of the XLSX target);
* the peak RSS of a fresh worker process importing the files, at full size and at 10,000
  rows to show how it grows with the file;
* the median and p95 latency of ``item_search`` over the imported items after VACUUM ANALYZE,
  and on a sample of the questions just after the import, before the table has statistics.

Rates are rows of the file per second. The whole run takes about four minutes on two cores.

    .venv/bin/python bench/kb_import.py [--rows 100000] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tenant_provision import (  # noqa: E402
    _admin_execute,
    _percentile,
    _scratch_database_url,
)

SEED = 20260
SMALL_ROWS = 10_000
HEADER = ("SKU", "Name", "Description", "Price", "Category", "Unit", "Brand", "Stock")
DELIMITER = ";"
SEARCH_QUESTIONS = 200
SEARCH_WARMUP = 10

# Targets of the issue.
CSV_VS_COPY_TARGET = 0.30
XLSX_VS_OPENPYXL_TARGET = 0.70
PEAK_MEMORY_TARGET_MB = 300
SEARCH_MEDIAN_TARGET_MS = 20


# -- generated price list ---------------------------------------------------------------------

#: (name, adjectives, specifications, section, Russian word forms a customer would type).
# fmt: off
PRODUCTS: list[tuple[str, list[str], list[str], str, list[str]]] = [
    ("Чайник", ["электрический", "стеклянный", "металлический"], ["1,7 л", "1,5 л", "2 л"],
     "Бытовая техника", ["чайники", "чайника", "чайником", "электрочайник"]),
    ("Кофемашина", ["автоматическая", "капсульная", "рожковая"], ["1450 Вт", "1,8 л"],
     "Бытовая техника", ["кофемашины", "кофемашину", "кофемашиной"]),
    ("Пылесос", ["беспроводной", "моющий", "вертикальный"], ["2000 Вт", "0,6 л"],
     "Бытовая техника", ["пылесосы", "пылесоса", "пылесосом"]),
    ("Утюг", ["паровой", "дорожный"], ["2400 Вт", "2600 Вт"],
     "Бытовая техника", ["утюги", "утюга", "утюгом"]),
    ("Микроволновая печь", ["соло", "с грилем", "инверторная"], ["20 л", "25 л"],
     "Кухня", ["микроволновки", "микроволновую печь", "микроволновые печи"]),
    ("Холодильник", ["двухкамерный", "однокамерный"], ["185 см", "No Frost"],
     "Крупная техника", ["холодильники", "холодильника", "холодильником"]),
    ("Стиральная машина", ["узкая", "фронтальная", "вертикальная"], ["6 кг", "8 кг"],
     "Крупная техника", ["стиральные машины", "стиральную машину", "стиралки"]),
    ("Телевизор", ["LED", "OLED", "QLED"], ['43"', '55"', '65"'],
     "Электроника", ["телевизоры", "телевизора", "телевизором"]),
    ("Смартфон", ["складной", "защищённый"], ["128 ГБ", "256 ГБ"],
     "Электроника", ["смартфоны", "смартфона", "смартфоном"]),
    ("Наушники", ["беспроводные", "накладные", "внутриканальные"], ["Bluetooth 5.3", "USB-C"],
     "Электроника", ["наушников", "наушниками"]),
    ("Дрель", ["ударная", "аккумуляторная"], ["18 В", "750 Вт"],
     "Электроинструмент", ["дрели", "дрелью", "дрелей"]),
    ("Шуруповёрт", ["аккумуляторный", "бесщёточный"], ["12 В", "18 В"],
     "Электроинструмент", ["шуруповерты", "шуруповёрта", "шуруповертом"]),
    ("Перфоратор", ["SDS-plus", "SDS-max"], ["800 Вт", "3 Дж"],
     "Электроинструмент", ["перфораторы", "перфоратора"]),
    ("Лампа", ["светодиодная", "настольная", "филаментная"], ["E27 10 Вт", "GU10 5 Вт"],
     "Освещение", ["лампы", "лампу", "лампочки"]),
    ("Светильник", ["потолочный", "настенный", "трековый"], ["IP44", "4000 K"],
     "Освещение", ["светильники", "светильника"]),
    ("Кабель", ["медный", "силовой"], ["ВВГнг 3x2,5", "ПВС 2x0,75"],
     "Электрика", ["кабели", "кабеля", "кабелем"]),
    ("Розетка", ["накладная", "встраиваемая", "двойная"], ["с заземлением", "16 А"],
     "Электрика", ["розетки", "розеток", "розеткой"]),
    ("Автомат", ["дифференциальный", "однополюсный"], ["16 А", "25 А"],
     "Электрика", ["автоматы", "автомата"]),
    ("Шланг", ["садовый", "армированный"], ["15 м", "30 м"],
     "Сад и огород", ["шланги", "шланга", "шлангом"]),
    ("Газонокосилка", ["электрическая", "бензиновая"], ["1400 Вт", "42 см"],
     "Сад и огород", ["газонокосилки", "газонокосилку"]),
    ("Смеситель", ["для кухни", "для ванной", "термостатический"], ["хром", "чёрный матовый"],
     "Сантехника", ["смесители", "смесителя", "смесителем"]),
    ("Electric kettle", ["stainless", "glass", "gooseneck"], ["1.7 L", "1 L"], "Kitchen", []),
    ("Coffee grinder", ["burr", "manual"], ["150 W", "40 g"], "Kitchen", []),
    ("Cordless drill", ["brushless", "compact"], ["18 V", "2 Ah"], "Tools", []),
    ("Angle grinder", ["125 mm", "variable speed"], ["900 W", "1200 W"], "Tools", []),
    ("LED bulb", ["dimmable", "smart"], ["E27 9 W", "E14 6 W"], "Lighting", []),
    ("Wireless mouse", ["silent", "ergonomic"], ["2.4 GHz", "Bluetooth"], "Office", []),
    ("Mechanical keyboard", ["wireless", "TKL"], ["red switches", "brown switches"], "Office", []),
    ("Office chair", ["mesh", "ergonomic"], ["black", "grey"], "Office", []),
    ("Garden hose", ["expandable", "reinforced"], ["15 m", "30 m"], "Garden", []),
    ("Backpack", ["waterproof", "laptop"], ["25 L", "35 L"], "Sport", []),
    ("Water filter", ["pitcher", "under-sink"], ["3.5 L", "3-stage"], "Kitchen", []),
]
BRANDS = [
    "Bosch", "Philips", "Makita", "Xiaomi", "Samsung", "LG", "Tefal", "Redmond", "Polaris",
    "DeWalt", "Metabo", "Интерскол", "Зубр", "Scarlett", "Braun", "Sony", "Lenovo", "Logitech",
    "Karcher", "Gardena", "Vitek", "Kitfort", "DeLonghi", "Haier", "Indesit", "Атлант", "IEK",
    "Legrand", "Schneider Electric", "Osram", "Gauss", "ЭРА", "Navigator", "Grohe", "Hansgrohe",
    "Ryobi", "Greenworks", "Huter", "Patriot", "Витязь",
]
SUBSECTIONS = [
    "Новинки", "Хиты продаж", "Распродажа", "Премиум", "Эконом", "Для профессионалов",
    "Для дома", "Аксессуары", "Запчасти", "Комплекты",
]
UNITS = ["шт", "шт.", "шт", "упак", "компл", "м", "pcs"]
COUNTRIES = ["Китай", "Германия", "Россия", "Польша", "Турция", "Вьетнам"]
NOTHING = [
    "вертолёт", "абонемент в бассейн", "путёвка в Сочи", "ремонт крыши", "аренда яхты",
    "zebra crossing", "quantum entanglement", "стрижка собак", "свадебное платье", "qwxzv",
    "помидоры черри", "билет на концерт", "уроки вокала", "такси в аэропорт", "йогурт",
]
# fmt: on


def _price(rng: random.Random) -> tuple[str, float | str]:
    """The price as a shop writes it in a CSV, and the cell value an XLSX would hold."""
    amount = round(rng.lognormvariate(8.0, 1.2), 2)
    whole = int(amount)
    grouped = f"{whole:,}".replace(",", rng.choice([" ", " ", "\u00a0"]))
    kind = rng.random()
    if kind < 0.35:
        return grouped, whole
    if kind < 0.60:
        return f"{amount:.2f}".replace(".", ","), amount
    if kind < 0.80:
        return str(whole), whole
    if kind < 0.90:
        return f"{amount:.2f}", amount
    if kind < 0.95:
        text = f"{grouped} {rng.choice(['руб.', '₽', 'р.'])}"
        return text, text
    if kind < 0.98:
        text = f"от {whole // 100 * 100 or 100}"
        return text, text
    return ("по запросу", "по запросу") if kind < 0.99 else ("", "")


def _description(rng: random.Random, product: str, brand: str, adjective: str) -> str:
    kind = rng.random()
    if kind < 0.35:
        return (
            f"<p>{product} {brand}: <b>{adjective}</b>.</p><ul><li>Гарантия: "
            f"{rng.choice([6, 12, 24, 36])} мес.</li><li>Страна: {rng.choice(COUNTRIES)}</li></ul>"
        )
    if kind < 0.55:
        return f"{product} {adjective}, {brand}. Доставка за 1-2 дня."
    if kind < 0.57:
        return f"{product} {brand}\nКомплектация: инструкция, гарантийный талон."
    return ""


def generated_rows(count: int) -> Iterator[tuple[tuple[str, ...], tuple[object, ...]]]:
    """``count`` deterministic rows: the CSV texts and the XLSX cell values of each."""
    rng = random.Random(SEED)
    for number in range(1, count + 1):
        product, adjectives, specs, section, _forms = rng.choice(PRODUCTS)
        brand = rng.choice(BRANDS)
        adjective = rng.choice(adjectives)
        letters = "".join(rng.choices("ABCDEFGHKLMNPRSTVX", k=2))
        model = f"{letters}-{rng.randint(100, 9999)}"
        name = f"{product} {adjective} {brand} {model} {rng.choice(specs)}"
        sku = f"{brand[:3].upper()}{number:06d}"
        price_text, price_value = _price(rng)
        category = f"{section} / {rng.choice(SUBSECTIONS)}"
        unit = rng.choice(UNITS)
        stock = rng.randint(0, 500)
        description = _description(rng, product, brand, adjective)
        texts = (sku, name, description, price_text, category, unit, brand, str(stock))
        values = (sku, name, description or None, price_value, category, unit, brand, stock)
        yield texts, values


def files_write(directory: Path, rows: int) -> tuple[Path, Path]:
    """Write ``price_list_<rows>.csv`` and ``.xlsx``; return their paths."""
    csv_path = directory / f"price_list_{rows}.csv"
    xlsx_path = directory / f"price_list_{rows}.xlsx"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=DELIMITER)
        writer.writerow(HEADER)
        writer.writerows(texts for texts, _values in generated_rows(rows))
    _xlsx_write(xlsx_path, [HEADER, *(values for _texts, values in generated_rows(rows))])
    return csv_path, xlsx_path


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Прайс-лист" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    ),
}


def _xlsx_write(path: Path, rows: list[tuple[object, ...]]) -> None:
    """Write a workbook the way Excel does: a dimension, shared strings, numbers as numbers.

    openpyxl's write-only mode writes neither (inline strings, no dimension), which makes
    every read-only load walk the whole sheet and every string cell cost more to read than in
    the files shops upload, so the file is written by hand.
    """
    strings: dict[str, int] = {}
    columns = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    width = max(len(row) for row in rows)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<dimension ref="A1:{columns[width - 1]}{len(rows)}"/><sheetData>'.encode()
            )
            for number, row in enumerate(rows, start=1):
                cells = []
                for column, value in zip(columns, row, strict=False):
                    if value is None or value == "":
                        continue
                    if isinstance(value, str):
                        index = strings.setdefault(value, len(strings))
                        cells.append(f'<c r="{column}{number}" t="s"><v>{index}</v></c>')
                    else:
                        cells.append(f'<c r="{column}{number}"><v>{value}</v></c>')
                part.write(f'<row r="{number}">{"".join(cells)}</row>'.encode())
            part.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'uniqueCount="{len(strings)}">'.encode()
            )
            for text in strings:
                part.write(f'<si><t xml:space="preserve">{xml_escape(text)}</t></si>'.encode())
            part.write(b"</sst>")


# -- measuring ---------------------------------------------------------------------------------


def _median_seconds(run: Callable[[], float | None], repeat: int, label: str) -> float:
    """Median over ``repeat`` runs of the seconds ``run`` returns (else of its wall time)."""
    times = []
    for attempt in range(repeat):
        started = time.perf_counter()
        seconds = run()
        times.append(time.perf_counter() - started if seconds is None else seconds)
        print(f"  {label} {attempt + 1}/{repeat}: {times[-1]:.2f} s", flush=True)
    return statistics.median(times)


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _peak_rss_kb() -> int:
    """This process's peak RSS in KB.

    ``ru_maxrss`` alone is not enough in a child started by fork and exec: Linux carries the
    high-water mark of the forked copy of the parent into it, so it reports at least the
    parent's RSS. ``VmHWM`` is the peak of the process's own address space.
    """
    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _import_file(knowledge_base, path: Path):
    """The product path of a worker: keep the upload, then import it at once (replace mode)."""
    from django.core.files.uploadedfile import UploadedFile

    from knowledge.models import ImportJob
    from knowledge.services import import_confirm, import_upload

    with path.open("rb") as handle:
        upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
        job = import_upload(
            knowledge_base=knowledge_base, upload=upload, user_email="bench@bench.example"
        )
    job = import_confirm(
        job=job,
        sheet=job.sheet,
        header_row=job.header_row,
        mapping={int(index): field or None for index, field in job.mapping.items()},
        mode=ImportJob.Mode.REPLACE,
        background=False,
    )
    if job.status != ImportJob.Status.SUCCEEDED:
        raise RuntimeError(f"import of {path.name} {job.status}: {job.error_message}")
    return job


def _items_truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE knowledge_item CASCADE")


def _read_all(path: Path) -> None:
    """The reader alone, no database: every item of the file parsed."""
    from knowledge.importing import read_price_list

    with path.open("rb") as handle, read_price_list(handle, path.name) as result:
        for _entry in result:
            pass


def _openpyxl_bare(path: Path) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for _row in workbook.active.iter_rows(values_only=True):
            pass
    finally:
        workbook.close()


def _copy_csv_as_is(path: Path) -> float:
    """Seconds to COPY the generated file unchanged into a temporary table of text columns."""
    from django.db import connection

    columns = ", ".join(f"{name.lower()} text" for name in HEADER)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_csv")
        cursor.execute(f"CREATE TEMP TABLE bench_copy_csv ({columns})")
        raw = cursor.cursor
        statement = (
            f"COPY bench_copy_csv FROM STDIN (FORMAT csv, HEADER true, DELIMITER '{DELIMITER}')"
        )
        started = time.perf_counter()
        with path.open("rb") as handle, raw.copy(statement) as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        return time.perf_counter() - started


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _parsed_rows_copy_text(knowledge_base, path: Path) -> tuple[bytes, tuple[str, ...]]:
    """The rows the importer would stage, as COPY text, ready to send (prepared untimed)."""
    from knowledge.importing import ParsedItem, read_price_list
    from knowledge.matching import match_key
    from knowledge.writer import COLUMNS, item_row

    columns = ("knowledge_base_id", *COLUMNS, "created_at", "updated_at")
    stamp = "2026-01-01 00:00:00+00"
    lines = []
    seen: set[str] = set()
    position = 0
    with path.open("rb") as handle, read_price_list(handle, path.name) as result:
        for entry in result:
            if not isinstance(entry, ParsedItem):
                continue
            key = match_key(entry.sku, entry.name, entry.category)
            if key in seen:
                continue
            seen.add(key)
            position += 1
            values = (knowledge_base.pk, *item_row(entry, key=key, position=position), stamp, stamp)
            lines.append(
                "\t".join(
                    "\\N" if value is None else str(value).translate(_COPY_ESCAPES)
                    for value in values
                )
            )
    return ("\n".join(lines) + "\n").encode(), columns


#: How ``bench_item`` is made for the second COPY baseline: the real table's structure with
#: its generated search column and every index, and the same columns with neither.
ITEM_TABLE_COPIES = {
    "indexed": "LIKE knowledge_item INCLUDING ALL",
    "plain": "LIKE knowledge_item INCLUDING DEFAULTS INCLUDING IDENTITY",
}


def _copy_into_item_table(data: bytes, columns: tuple[str, ...], structure: str) -> float:
    """Seconds to COPY parsed rows into a fresh logged ``bench_item`` made ``LIKE`` the items."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_item")
        cursor.execute(f"CREATE TABLE bench_item ({ITEM_TABLE_COPIES[structure]})")
        cursor.execute(
            "SELECT attgenerated FROM pg_attribute "
            "WHERE attrelid = 'bench_item'::regclass AND attname = 'search_document'"
        )
        (generated,) = cursor.fetchone()
        if (generated == "s") != (structure == "indexed"):
            raise RuntimeError(f"bench_item ({structure}): search_document generated={generated!r}")
        raw = cursor.cursor
        started = time.perf_counter()
        with raw.copy(f"COPY bench_item ({', '.join(columns)}) FROM STDIN") as copy:
            view = memoryview(data)
            for start in range(0, len(data), 1 << 20):
                copy.write(view[start : start + (1 << 20)])
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_item")
    return seconds


# -- search -----------------------------------------------------------------------------------


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    index = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:index] + word[index + 1 :]  # a letter dropped
    return word[: index - 1] + word[index] + word[index - 1] + word[index + 1 :]  # two swapped


def search_questions(rows: int) -> list[tuple[str, str]]:
    """``(kind, question)`` pairs: product words, word forms, typos, SKUs and no-match words."""
    rng = random.Random(SEED + 1)
    skus = [texts[0] for texts, _values in generated_rows(min(rows, 20_000))]
    questions: list[tuple[str, str]] = []
    for _ in range(50):
        product, adjectives, _specs, _section, _forms = rng.choice(PRODUCTS)
        words = [product.lower()]
        if rng.random() < 0.6:
            words.append(rng.choice(BRANDS))
        if rng.random() < 0.3:
            words.append(rng.choice(adjectives))
        questions.append(("product words", " ".join(words)))
    russian = [product for product in PRODUCTS if not product[0].isascii()]
    for _ in range(40):
        product, adjectives, _specs, _section, forms = rng.choice(russian)
        form = rng.choice(forms)
        template = rng.choice(
            ["{form}", "есть {form} {brand}?", "сколько стоят {form}", "{adjective} {form}"]
        )
        question = template.format(form=form, brand=rng.choice(BRANDS), adjective=adjectives[0])
        questions.append(("word forms", question))
    for _ in range(40):
        product, _adjectives, _specs, _section, _forms = rng.choice(PRODUCTS)
        brand = rng.choice(BRANDS)
        questions.append(("typos", f"{_typo(rng, product.lower())} {_typo(rng, brand)}"))
    for _ in range(40):
        sku = rng.choice(skus)
        shape = rng.random()
        question = sku if shape < 0.5 else sku.lower() if shape < 0.75 else f"артикул {sku}"
        questions.append(("SKUs", question))
    for _ in range(SEARCH_QUESTIONS - len(questions)):
        questions.append(("no match", rng.choice(NOTHING)))
    return questions


def _search_latencies(
    company, questions: list[tuple[str, str]], *, warmup: int = SEARCH_WARMUP
) -> tuple[list[float], list[bool]]:
    """Milliseconds per question (after ``warmup`` unmeasured ones) and whether it found items."""
    from knowledge.selectors import item_search

    for _kind, question in questions[:warmup]:
        item_search(company=company, question=question)
    latencies = []
    found = []
    for _kind, question in questions:
        started = time.perf_counter()
        hits = item_search(company=company, question=question)
        latencies.append((time.perf_counter() - started) * 1000)
        found.append(bool(hits))
    return latencies, found


# -- the worker's memory (a child process per file) --------------------------------------------


@dataclass(frozen=True)
class WorkerMemory:
    rows: int
    kind: str
    baseline_mb: float
    peak_mb: float
    seconds: float

    @property
    def growth_mb(self) -> float:
        return max(0.0, self.peak_mb - self.baseline_mb)


def _worker_memory(schema: str, base_id: int, path: Path, rows: int) -> WorkerMemory:
    """Import ``path`` in a fresh process (this script with ``--worker``) and read its peak RSS."""
    command = [sys.executable, __file__, "--worker", schema, str(base_id), str(path)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode:
        raise RuntimeError(f"worker failed:\n{completed.stderr[-3000:]}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return WorkerMemory(
        rows=rows,
        kind=path.suffix.lstrip(".").upper(),
        baseline_mb=report["baseline_kb"] / 1024,
        peak_mb=report["peak_kb"] / 1024,
        seconds=report["seconds"],
    )


def _worker(schema: str, base_id: int, path: Path) -> None:
    """Child process: Django set up as in a worker, then one import; print RSS figures."""
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django_tenants.utils import tenant_context

    import knowledge.tasks  # noqa: F401 - what a Celery worker has loaded before its first task
    from knowledge.models import KnowledgeBase
    from tenants.models import Business

    business = Business.objects.get(schema_name=schema)
    with tenant_context(business):
        knowledge_base = KnowledgeBase.objects.get(pk=base_id)
        baseline = _status_kb("VmRSS")
        started = time.perf_counter()
        _import_file(knowledge_base, path)
        seconds = time.perf_counter() - started
    print(json.dumps({"baseline_kb": baseline, "peak_kb": _peak_rss_kb(), "seconds": seconds}))


# -- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per file (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (default 3)")
    parser.add_argument(
        "--profile", action="store_true", help="also print cProfile tops of one CSV import"
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    if args.worker:
        schema, base_id, path = args.worker
        _worker(schema, int(base_id), Path(path))
        return

    base_url, base_name = _scratch_database_url()
    name = f"{base_name}_kb"
    url = urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin_execute(url, f'CREATE DATABASE "{name}"')
    with tempfile.TemporaryDirectory(prefix="kb_import_") as scratch:
        directory = Path(scratch)
        os.environ["DATABASE_URL"] = url
        os.environ["IMPORTS_ROOT"] = str(directory / "imports")
        try:
            import django

            django.setup()
            _run(args, directory)
        finally:
            from django.db import connections

            connections.close_all()
            _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')


@dataclass
class Figures:
    rows: int
    rates: dict[str, float]
    search: list[float]
    search_by_kind: dict[str, list[tuple[float, bool]]]
    search_before_analyze: list[float]
    memory: list[WorkerMemory]


def _run(args: argparse.Namespace, directory: Path) -> None:
    import logging

    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from knowledge.services import knowledge_base_create
    from tenants.companies.models import Company
    from tenants.companies.services import company_create
    from tenants.services import business_create, public_tenant_ensure

    logging.disable(logging.INFO)
    rows, repeat = args.rows, args.repeat
    started = time.perf_counter()
    print(f"writing {rows:,}-row and {SMALL_ROWS:,}-row CSV and XLSX files ...", flush=True)
    csv_path, xlsx_path = files_write(directory, rows)
    small_csv, small_xlsx = files_write(directory, SMALL_ROWS)
    print(
        f"  CSV {csv_path.stat().st_size / 2**20:.1f} MB, "
        f"XLSX {xlsx_path.stat().st_size / 2**20:.1f} MB ({time.perf_counter() - started:.1f} s)"
    )
    print("migrating the scratch database (public schema and template) ...", flush=True)
    call_command("migrate", "--noinput", verbosity=0)
    public_tenant_ensure()
    business = business_create(name="Bench Shop", slug="bench-shop")

    with tenant_context(business):
        company = company_create(
            name="Bench Shop", kind=Company.Kind.PRODUCT, shop_type=Company.ShopType.ONLINE
        )
        knowledge_base = knowledge_base_create(company=company, name="Catalogue")
        rates = _reading_rates(csv_path, xlsx_path, rows, repeat)
        rates |= _copy_rates(knowledge_base, csv_path, rows, repeat)
        rates |= _import_rates(knowledge_base, csv_path, xlsx_path, rows, repeat)
        search, by_kind, before = _search_figures(company, rows)  # the last import's items
        files = [
            (rows, csv_path),
            (rows, xlsx_path),
            (SMALL_ROWS, small_csv),
            (SMALL_ROWS, small_xlsx),
        ]
        memory = _memory_figures(business, company, files)
        if args.profile:
            _profile(knowledge_base, csv_path, xlsx_path)

    figures = Figures(rows, rates, search, by_kind, before, memory)
    _report(figures)
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")


def _reading_rates(csv_path: Path, xlsx_path: Path, rows: int, repeat: int) -> dict[str, float]:
    print("XLSX: the reader alone vs openpyxl's bare read-only iteration ...", flush=True)
    reader_times: list[float] = []
    bare_times: list[float] = []
    for attempt in range(repeat):
        for times, read in ((bare_times, _openpyxl_bare), (reader_times, _read_all)):
            begun = time.perf_counter()
            read(xlsx_path)
            times.append(time.perf_counter() - begun)
        print(
            f"  run {attempt + 1}/{repeat}: openpyxl {bare_times[-1]:.2f} s, "
            f"reader {reader_times[-1]:.2f} s",
            flush=True,
        )
    print("CSV: the reader alone ...", flush=True)
    csv_seconds = _median_seconds(lambda: _read_all(csv_path), repeat, "reader")
    return {
        "xlsx_bare": rows / statistics.median(bare_times),
        "xlsx_reader": rows / statistics.median(reader_times),
        "csv_reader": rows / csv_seconds,
    }


def _copy_rates(knowledge_base, csv_path: Path, rows: int, repeat: int) -> dict[str, float]:
    print("CSV: COPY of the file as-is into a temporary table of text columns ...", flush=True)
    rates = {"copy_csv": rows / _median_seconds(lambda: _copy_csv_as_is(csv_path), repeat, "COPY")}
    data, columns = _parsed_rows_copy_text(knowledge_base, csv_path)
    for structure in ITEM_TABLE_COPIES:
        print(f"COPY of the parsed rows into a copy of knowledge_item ({structure}) ...")
        seconds = _median_seconds(
            lambda structure=structure: _copy_into_item_table(data, columns, structure),
            repeat,
            "COPY",
        )
        rates[f"copy_item_{structure}"] = rows / seconds
    return rates


def _import_rates(
    knowledge_base, csv_path: Path, xlsx_path: Path, rows: int, repeat: int
) -> dict[str, float]:
    rates = {}
    for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        print(f"{kind.upper()}: the importer end to end (replace into an empty base) ...")
        times = []
        for attempt in range(repeat):
            _items_truncate()
            begun = time.perf_counter()
            job = _import_file(knowledge_base, path)
            times.append(time.perf_counter() - begun)
            print(
                f"  import {attempt + 1}/{repeat}: {times[-1]:.2f} s "
                f"({job.created_count:,} items, {job.skipped_count} skipped)",
                flush=True,
            )
        rates[f"{kind}_import"] = rows / statistics.median(times)
    return rates


def _search_figures(
    company, rows: int
) -> tuple[list[float], dict[str, list[tuple[float, bool]]], list[float]]:
    from django.db import connection

    questions = search_questions(rows)
    print(f"search: {SEARCH_QUESTIONS} questions over {rows:,} items ...", flush=True)
    # Right after an import the table has no planner statistics until (auto)ANALYZE runs;
    # a sample of every tenth question shows what a customer asking then would wait.
    before, _found = _search_latencies(company, questions[::10], warmup=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE knowledge_item")
    latencies, found = _search_latencies(company, questions)
    by_kind: dict[str, list[tuple[float, bool]]] = {}
    for (kind, _question), latency, hit in zip(questions, latencies, found, strict=True):
        by_kind.setdefault(kind, []).append((latency, hit))
    return latencies, by_kind, before


def _memory_figures(business, company, files: list[tuple[int, Path]]) -> list[WorkerMemory]:
    from knowledge.services import knowledge_base_create

    print("worker peak memory (a fresh process per import) ...", flush=True)
    knowledge_base = knowledge_base_create(company=company, name="Worker memory")
    memory = []
    for rows, path in files:
        _items_truncate()
        memory.append(_worker_memory(business.schema_name, knowledge_base.pk, path, rows))
        print(
            f"  {memory[-1].kind} {rows:,} rows: peak {memory[-1].peak_mb:.0f} MB "
            f"(import {memory[-1].seconds:.1f} s)",
            flush=True,
        )
    return memory


def _profile(knowledge_base, csv_path: Path, xlsx_path: Path) -> None:
    import cProfile
    import pstats

    for label, run in (
        ("CSV import end to end", lambda: _import_file(knowledge_base, csv_path)),
        ("XLSX reader alone", lambda: _read_all(xlsx_path)),
    ):
        _items_truncate()
        profiler = cProfile.Profile()
        profiler.runcall(run)
        print(f"\n--- profile: {label}, top 20 by own time ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def _report(figures: Figures) -> None:
    rates = figures.rates
    csv_ratio = rates["csv_import"] / rates["copy_csv"]
    xlsx_ratio = rates["xlsx_reader"] / rates["xlsx_bare"]
    peak = max(entry.peak_mb for entry in figures.memory)
    search = figures.search
    median = statistics.median(search)
    line = "-" * 100
    print()
    print(
        f"{figures.rows:,} rows per file; rates are rows of the file per second "
        "(median of the runs)"
    )
    print(line)
    print(f"{'figure':<66}{'value':>14}  {'target':<10}result")
    print(line)

    def row(label: str, value: str, target: str = "", met: bool | None = None) -> None:
        result = "" if met is None else "PASS" if met else "MISS"
        print(f"{label:<66}{value:>14}  {target:<10}{result}".rstrip())

    def rate(key: str) -> str:
        return f"{rates[key]:,.0f}/s"

    row("CSV  importer end to end (upload, read, COPY, index, ANALYZE)", rate("csv_import"))
    row("     PostgreSQL COPY of the file as-is -> temp table, text columns", rate("copy_csv"))
    row("     importer / COPY as-is", f"{csv_ratio:.1%}", ">= 30%", csv_ratio >= CSV_VS_COPY_TARGET)
    row(
        "     COPY of the parsed rows -> copy of knowledge_item, no indexes",
        rate("copy_item_plain"),
    )
    row(
        "     COPY of the parsed rows -> copy of knowledge_item, all indexes",
        rate("copy_item_indexed"),
    )
    row("       (+ generated search column; the database's floor for the import)", "")
    row(
        "     importer / COPY into the indexed copy",
        f"{rates['csv_import'] / rates['copy_item_indexed']:.1%}",
    )
    row("     reader alone (read_price_list consumed, no database)", rate("csv_reader"))
    row("XLSX reader alone (read_price_list consumed, no database)", rate("xlsx_reader"))
    row("     openpyxl bare: load_workbook(read_only) + iter_rows(values_only)", rate("xlsx_bare"))
    row(
        "     reader / bare openpyxl",
        f"{xlsx_ratio:.1%}",
        ">= 70%",
        xlsx_ratio >= XLSX_VS_OPENPYXL_TARGET,
    )
    row("     importer end to end", rate("xlsx_import"))
    row("     importer / bare openpyxl", f"{rates['xlsx_import'] / rates['xlsx_bare']:.1%}")
    for entry in figures.memory:
        row(
            f"Worker {entry.kind:<4} {entry.rows:>7,} rows: peak RSS, growth over the "
            f"{entry.baseline_mb:.0f} MB before",
            f"{entry.peak_mb:.0f} MB +{entry.growth_mb:.0f}",
        )
    row(
        "     highest peak RSS of a worker process",
        f"{peak:.0f} MB",
        "< 300 MB",
        peak < PEAK_MEMORY_TARGET_MB,
    )
    row(
        f"Search over {figures.rows:,} items ({len(search)} questions): median",
        f"{median:.1f} ms",
        "< 20 ms",
        median < SEARCH_MEDIAN_TARGET_MS,
    )
    row("     p95", f"{_percentile(search, 0.95):.1f} ms")
    for kind, results in figures.search_by_kind.items():
        values = [latency for latency, _hit in results]
        found = sum(hit for _latency, hit in results)
        row(
            f"     {kind}: {found} of {len(results)} found items; median / p95",
            f"{statistics.median(values):.1f} / {_percentile(values, 0.95):.1f} ms",
        )
    before = figures.search_before_analyze
    row(
        f"     just after the import, before ANALYZE ({len(before)}): median / p95",
        f"{statistics.median(before):.0f} / {_percentile(before, 0.95):.0f} ms",
    )
    print(line)
    print(
        "Targets: CSV importer >= 30% of PostgreSQL COPY of the file as-is; XLSX reader alone\n"
        ">= 70% of bare openpyxl on the same file; peak RSS of a fresh worker process (Django\n"
        "loaded) under 300 MB; search median under 20 ms after VACUUM ANALYZE."
    )


if __name__ == "__main__":
    main()
