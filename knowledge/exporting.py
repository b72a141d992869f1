"""Exporting a knowledge base to CSV and XLSX with the headers of the file it came from.

The columns of the last import are written back in their order and under their original
names, so the file can be loaded into the shop it was exported from. Fields that have values
but no source column (a category taken from section-heading rows, items added by hand) and
attributes left over from earlier imports are appended after them.

Items are read in chunks and rows are written as they are read, so memory does not grow
with the size of the base. Text cells that a spreadsheet would run as a formula are
prefixed with ``'``; prices stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, BinaryIO

from django.contrib.postgres.aggregates import BoolOr
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

from .importing import Field
from .models import Item, KnowledgeBase

CHUNK_SIZE = 2000
CSV_BOM = "\ufeff"
_CSV_FLUSH_AT = 64 * 1024
_XLSX_MAX_TEXT = 32767
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = str.maketrans({char: " " for char in "[]:*?/\\"})
_VARIANTS = "variants"

#: Fields written from the item's typed columns; the structural ones live in ``attributes``.
CORE_FIELDS = (
    Field.NAME,
    Field.SKU,
    Field.PRICE,
    Field.CURRENCY,
    Field.CATEGORY,
    Field.UNIT,
    Field.DESCRIPTION,
    Field.WEBSITE,
    Field.TAGS,
    Field.IMAGE,
    Field.AVAILABILITY,
    Field.DURATION,
    Field.FORMAT,
)
#: Headers of core fields without a source column; English ones are importer aliases.
DEFAULT_HEADERS = {
    Field.NAME: _("Name"),
    Field.SKU: _("SKU"),
    Field.PRICE: _("Price"),
    Field.CURRENCY: _("Currency"),
    Field.CATEGORY: _("Category"),
    Field.UNIT: _("Unit"),
    Field.DESCRIPTION: _("Description"),
    Field.WEBSITE: _("Website"),
    Field.TAGS: _("Tags"),
    Field.IMAGE: _("Images"),
    Field.AVAILABILITY: _("Availability"),
    Field.DURATION: _("Duration"),
    Field.FORMAT: _("Format"),
}
_HAS_VALUE = {
    Field.NAME: ~Q(name=""),
    Field.SKU: ~Q(sku=""),
    Field.PRICE: Q(price__isnull=False) | ~Q(price_text=""),
    Field.CURRENCY: ~Q(currency=""),
    Field.CATEGORY: ~Q(category=""),
    Field.UNIT: ~Q(unit=""),
    Field.DESCRIPTION: ~Q(description=""),
    Field.WEBSITE: ~Q(website=""),
    Field.TAGS: ~Q(tags=[]),
    Field.IMAGE: ~Q(image_urls=[]),
    Field.AVAILABILITY: ~Q(availability=""),
    Field.DURATION: ~Q(duration=""),
    Field.FORMAT: ~Q(format=""),
}
_TEXT_FIELDS = {
    Field.NAME: "name",
    Field.SKU: "sku",
    Field.CURRENCY: "currency",
    Field.CATEGORY: "category",
    Field.UNIT: "unit",
    Field.DESCRIPTION: "description",
    Field.WEBSITE: "website",
    Field.AVAILABILITY: "availability",
    Field.DURATION: "duration",
    Field.FORMAT: "format",
}
_ITEM_FIELDS = (
    "id",
    "position",
    "price",
    "price_text",
    "tags",
    "image_urls",
    "attributes",
    *_TEXT_FIELDS.values(),
)

CellValue = str | Decimal | None


@dataclass(frozen=True, slots=True)
class ExportColumn:
    """One column of the export: its header and where its cells come from.

    A column with a ``field`` reads the item's typed value; one without reads
    ``item.attributes[key]``. Image columns take the URLs ``images_from:images_to``.
    """

    header: str
    field: Field | None = None
    key: str = ""
    images_from: int = 0
    images_to: int | None = None

    def value(self, item: Item) -> CellValue:
        """The cell of ``item`` in this column: a ``Decimal`` price, text or ``None``."""
        if self.field is None:
            return _attribute_text(item.attributes.get(self.key) if item.attributes else None)
        if self.field is Field.PRICE:
            return item.price if item.price is not None else item.price_text or None
        if self.field is Field.TAGS:
            return ", ".join(item.tags or ()) or None
        if self.field is Field.IMAGE:
            urls = (item.image_urls or [])[self.images_from : self.images_to]
            return ", ".join(urls) or None
        return getattr(item, _TEXT_FIELDS[self.field]) or None


def export_columns(knowledge_base: KnowledgeBase) -> list[ExportColumn]:
    """The columns of the export, in order.

    First the columns of the last import under their original headers. Only the first
    column of a field gets the item's value (the first price column the price); later ones,
    like unmapped and structural columns, get the attribute stored under their key. Several
    image columns share the URLs: the n-th column gets the n-th URL and the last one the
    rest. Then a column for each core field that has values but no source column (every
    core field for a base that was never imported), then attribute keys found in the items
    but in no column.
    """
    columns: list[ExportColumn] = []
    mapped: set[Field] = set()
    keys: set[str] = set()
    source = [column for column in knowledge_base.columns or [] if isinstance(column, dict)]
    image_total = sum(1 for column in source if _field(column) is Field.IMAGE)
    image_seen = 0
    for column in source:
        header = str(column.get("header") or "")
        key = str(column.get("key") or header)
        keys.add(key)
        field = _field(column)
        if field is Field.IMAGE:
            last = image_seen == image_total - 1
            columns.append(
                ExportColumn(
                    header,
                    Field.IMAGE,
                    key,
                    images_from=image_seen,
                    images_to=None if last else image_seen + 1,
                )
            )
            image_seen += 1
        elif field in DEFAULT_HEADERS and field not in mapped:
            columns.append(ExportColumn(header, field, key))
        else:
            columns.append(ExportColumn(header, None, key))
        if field is not None:
            mapped.add(field)
    items = Item.objects.filter(knowledge_base=knowledge_base)
    missing = [field for field in CORE_FIELDS if field not in mapped]
    if source and missing:
        present = items.aggregate(**{field.value: BoolOr(_HAS_VALUE[field]) for field in missing})
        missing = [field for field in missing if present[field.value]]
    columns += [ExportColumn(str(DEFAULT_HEADERS[field]), field) for field in missing]
    columns += [
        ExportColumn(key, None, key)
        for key in _attribute_keys(knowledge_base)
        if key not in keys and key != _VARIANTS
    ]
    return columns


def iter_csv(knowledge_base: KnowledgeBase) -> Iterator[str]:
    """The CSV as text chunks for a ``StreamingHttpResponse``, starting with a BOM.

    The columns are worked out now; the items are read while the chunks are consumed.
    """
    return _csv_chunks(knowledge_base, export_columns(knowledge_base))


def write_csv(knowledge_base: KnowledgeBase, stream: IO[str]) -> None:
    """Write the CSV to a text stream (open it as ``utf-8``: the BOM is part of the text)."""
    for chunk in iter_csv(knowledge_base):
        stream.write(chunk)


def write_xlsx(knowledge_base: KnowledgeBase, fileobj: BinaryIO | str) -> None:
    """Write the XLSX (one sheet, prices as numbers, the rest as text) to a file."""
    columns = export_columns(knowledge_base)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(knowledge_base.name))
    sheet.append([_xlsx_cell(sheet, column.header) for column in columns])
    for item in _items(knowledge_base):
        sheet.append([_xlsx_cell(sheet, column.value(item)) for column in columns])
    workbook.save(fileobj)


def export_filename(knowledge_base: KnowledgeBase, ext: str) -> str:
    """A download name such as ``green-home-store-products-2026-11-23.csv``."""
    stem = slugify(knowledge_base.name, allow_unicode=False)[:80].strip("-") or "knowledge-base"
    return f"{stem}-{timezone.localdate().isoformat()}.{ext.lstrip('.')}"


def neutralize(text: str) -> str:
    """Prefix text a spreadsheet would read as a formula with ``'``."""
    return f"'{text}" if text.startswith(_FORMULA_PREFIXES) else text


# -- reading ----------------------------------------------------------------------------------


def _field(column: dict) -> Field | None:
    try:
        return Field(column.get("field") or "")
    except ValueError:
        return None


def _items(knowledge_base: KnowledgeBase) -> Iterator[Item]:
    return (
        Item.objects.filter(knowledge_base=knowledge_base)
        .order_by("position", "id")
        .only(*_ITEM_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _attribute_keys(knowledge_base: KnowledgeBase) -> list[str]:
    """Attribute keys of the items, in the order they first appear."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT attribute.key
            FROM knowledge_item AS item,
                 jsonb_object_keys(
                     CASE WHEN jsonb_typeof(item.attributes) = 'object'
                          THEN item.attributes ELSE '{}'::jsonb END
                 ) AS attribute(key)
            WHERE item.knowledge_base_id = %s
            GROUP BY attribute.key
            ORDER BY min(item.position), min(item.id), attribute.key
            """,
            [knowledge_base.pk],
        )
        return [key for (key,) in cursor.fetchall()]


def _attribute_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# -- writing ----------------------------------------------------------------------------------


def _csv_chunks(knowledge_base: KnowledgeBase, columns: list[ExportColumn]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(CSV_BOM)
    writer.writerow(_csv_cell(column.header) for column in columns)
    for item in _items(knowledge_base):
        writer.writerow(_csv_cell(column.value(item)) for column in columns)
        if buffer.tell() >= _CSV_FLUSH_AT:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_cell(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return neutralize(value)


def _xlsx_cell(sheet: object, value: CellValue) -> Decimal | str | WriteOnlyCell | None:
    if value is None or isinstance(value, Decimal):
        return value
    text = neutralize(ILLEGAL_CHARACTERS_RE.sub("", value))[:_XLSX_MAX_TEXT]
    if text in ERROR_CODES:
        # openpyxl would store "#N/A" as an error value; keep it text.
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell
    return text


def _sheet_title(name: str) -> str:
    return " ".join(name.translate(_SHEET_TITLE_FORBIDDEN).split())[:31].strip("' ") or "Items"
