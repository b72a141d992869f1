"""Turning data rows into items: typed fields, sections, variants and rejected rows.

The builder is fed one row at a time and yields results as soon as they are final, so a
caller can write them in batches. Two things are held back on purpose: a Shopify product
until its continuation rows (same Handle) have passed, and WooCommerce ``variable``
products until the end of the file, because their ``variation`` rows may come anywhere.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter

from .cells import CellValue, html_to_text, is_blank, row_texts
from .headers import (
    MAX_HEADER_TEXT,
    NUMERIC_TEXT_RE,
    ColumnMapping,
    Field,
    build_mapping,
    normalize_header,
    refine_mapping,
    texts_look_like_header,
)
from .prices import (
    NOTE_RANGE,
    PLAIN_NUMBER_RE,
    ParsedPrice,
    detect_currency,
    format_number,
    parse_price,
    plain_decimal,
)

_CORE_FIELDS = frozenset(
    {
        Field.NAME,
        Field.DESCRIPTION,
        Field.SKU,
        Field.PRICE,
        Field.CURRENCY,
        Field.CATEGORY,
        Field.UNIT,
        Field.WEBSITE,
        Field.TAGS,
        Field.IMAGE,
        Field.AVAILABILITY,
        Field.DURATION,
        Field.FORMAT,
    }
)
_URL_SPLIT_RE = re.compile(r"[\s,;|]+(?=(?:https?:)?//)")
_TAG_SPLIT_RE = re.compile(r"[,;]")
_ORDINAL_RE = re.compile(r"^\d{1,4}\.?$")
_MAX_PENDING_PARENTS = 100_000
_NO_COLUMN = sys.maxsize


class RejectCode(StrEnum):
    """Why a row did not become an item."""

    EMPTY_ROW = "empty_row"
    SECTION_HEADER = "section_header"
    REPEATED_HEADER = "repeated_header"
    TABLE_HEADER = "table_header"
    NO_NAME = "no_name"
    DUPLICATE_SKU = "duplicate_sku"
    ORPHAN_CONTINUATION = "orphan_continuation"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A skipped or rejected row, with the original cell texts for the rejects download."""

    row_number: int
    reason_code: RejectCode
    reason_text: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """One knowledge-base item read from the file."""

    name: str
    source_row: int
    description: str = ""
    description_text: str = ""
    sku: str | None = None
    price: Decimal | None = None
    price_text: str = ""
    price_note: str = ""
    currency: str | None = None
    category: str | None = None
    unit: str | None = None
    website: str | None = None
    tags: list[str] = field(default_factory=list)
    image_urls: list[str] = field(default_factory=list)
    availability: str | None = None
    duration: str | None = None
    format: str | None = None
    attributes: dict[str, object] = field(default_factory=dict)


def _item_factory() -> Callable[..., ParsedItem]:
    """Build ``ParsedItem`` objects without the frozen dataclass ``__init__``.

    That ``__init__`` sets each of the 18 fields through ``object.__setattr__``; setting
    the slots directly makes the same object in half the time, which matters once per row.
    Every field must be passed (no defaults); a test checks the result equals ``ParsedItem``.
    """
    new = object.__new__
    slot = ParsedItem.__dict__
    set_name = slot["name"].__set__
    set_source_row = slot["source_row"].__set__
    set_description = slot["description"].__set__
    set_description_text = slot["description_text"].__set__
    set_sku = slot["sku"].__set__
    set_price = slot["price"].__set__
    set_price_text = slot["price_text"].__set__
    set_price_note = slot["price_note"].__set__
    set_currency = slot["currency"].__set__
    set_category = slot["category"].__set__
    set_unit = slot["unit"].__set__
    set_website = slot["website"].__set__
    set_tags = slot["tags"].__set__
    set_image_urls = slot["image_urls"].__set__
    set_availability = slot["availability"].__set__
    set_duration = slot["duration"].__set__
    set_format = slot["format"].__set__
    set_attributes = slot["attributes"].__set__

    def make(
        name: str,
        source_row: int,
        description: str,
        description_text: str,
        sku: str | None,
        price: Decimal | None,
        price_text: str,
        price_note: str,
        currency: str | None,
        category: str | None,
        unit: str | None,
        website: str | None,
        tags: list[str],
        image_urls: list[str],
        availability: str | None,
        duration: str | None,
        format: str | None,
        attributes: dict[str, object],
    ) -> ParsedItem:
        item = new(ParsedItem)
        set_name(item, name)
        set_source_row(item, source_row)
        set_description(item, description)
        set_description_text(item, description_text)
        set_sku(item, sku)
        set_price(item, price)
        set_price_text(item, price_text)
        set_price_note(item, price_note)
        set_currency(item, currency)
        set_category(item, category)
        set_unit(item, unit)
        set_website(item, website)
        set_tags(item, tags)
        set_image_urls(item, image_urls)
        set_availability(item, availability)
        set_duration(item, duration)
        set_format(item, format)
        set_attributes(item, attributes)
        return item

    return make


_new_item = _item_factory()


@dataclass(slots=True)
class ReadStats:
    """Running counters, updated while the items are consumed."""

    rows: int = 0
    items: int = 0
    rejected: int = 0
    merged: int = 0


@dataclass(slots=True)
class _Draft:
    row_number: int
    texts: tuple[str, ...]
    values: dict[str, str]
    name: str
    price: ParsedPrice | None
    fields: dict[Field, str]
    images: list[str]
    category: str | None
    handle: str = ""
    variants: list[dict[str, str]] = field(default_factory=list)
    variant_prices: list[Decimal] = field(default_factory=list)


# The fields the fast path reads for every row, in the order of ``_Layout.pick``.
_PICKED = (
    Field.NAME,
    Field.SKU,
    Field.DESCRIPTION,
    Field.CURRENCY,
    Field.CATEGORY,
    Field.UNIT,
    Field.WEBSITE,
    Field.TAGS,
    Field.AVAILABILITY,
    Field.DURATION,
    Field.FORMAT,
)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Column positions of one header, precomputed for speed."""

    mapping: ColumnMapping
    header_key: tuple[str, ...]
    keys: tuple[str, ...]
    single: dict[Field, int]
    prices: tuple[int, ...]
    images: tuple[int, ...]
    attribute_columns: tuple[int, ...]
    variant_skip: frozenset[int]
    price_currency: dict[int, str | None]
    # For rows that become one plain item (no Shopify/WooCommerce merging, one price
    # column): ``pick(texts + pad)`` gives the texts of ``_PICKED``, "" when missing;
    # ``price_index`` is past the end of any row when there is no price column.
    simple: bool
    pick: Callable[[tuple[str, ...]], tuple[str, ...]]
    pad: tuple[str, ...]
    price_index: int
    header_currency: str | None
    attribute_keys: tuple[tuple[str, int], ...]

    @classmethod
    def build(cls, mapping: ColumnMapping, header: Iterable[str]) -> _Layout:
        columns = mapping.columns
        single = {}
        for column in columns:
            if column.field is not None and column.field not in single:
                single[column.field] = column.index
        width = max((column.index for column in columns), default=-1) + 1
        keys = [f"Column {index + 1}" for index in range(width)]
        for column in columns:
            keys[column.index] = column.key
        attribute_columns = tuple(
            column.index for column in columns if column.field not in _CORE_FIELDS
        )
        structural = {Field.HANDLE, Field.PARENT, Field.PRODUCT_TYPE, Field.IMAGE}
        variant_skip = frozenset(
            column.index
            for column in columns
            if column.field in structural or normalize_header(column.header).startswith("image")
        )
        prices = tuple(mapping.indexes(Field.PRICE))
        price_currency = {column.index: column.currency for column in columns}
        price_index = _first(prices)
        # -1 reads the padding: a field without a column reads as an empty text, like a
        # column beyond the end of a short row.
        picked = [single.get(wanted, -1) for wanted in _PICKED]
        return cls(
            mapping=mapping,
            header_key=tuple(normalize_header(text) for text in header),
            keys=tuple(keys),
            single=single,
            prices=prices,
            images=tuple(mapping.indexes(Field.IMAGE)),
            attribute_columns=attribute_columns,
            variant_skip=variant_skip,
            price_currency=price_currency,
            simple=(
                Field.HANDLE not in single and Field.PRODUCT_TYPE not in single and len(prices) <= 1
            ),
            pick=itemgetter(*picked),
            pad=("",) * (max(picked) + 2),
            price_index=_NO_COLUMN if price_index is None else price_index,
            header_currency=(price_currency.get(price_index) if price_index is not None else None),
            attribute_keys=tuple((keys[index], index) for index in attribute_columns),
        )


def _at(values: list[CellValue], index: int | None) -> CellValue:
    if index is None or index >= len(values):
        return None
    return values[index]


class ItemBuilder:
    """Consumes data rows in order and yields ``ParsedItem`` and ``RejectedRow`` objects."""

    def __init__(
        self,
        mapping: ColumnMapping,
        header: Iterable[str],
        *,
        default_currency: str | None = None,
        stats: ReadStats | None = None,
    ) -> None:
        self.layout = _Layout.build(mapping, header)
        self.default_currency = default_currency
        self.stats = stats if stats is not None else ReadStats()
        self._section: str | None = None
        self._empty_rows: list[int] = []
        self._open_product: _Draft | None = None
        self._parents: dict[str, _Draft] = {}
        self._parent_order: list[_Draft] = []
        self._orphans: dict[str, list[_Draft]] = {}
        self._seen_skus: dict[str, int] = {}

    # -- public ------------------------------------------------------------------------

    def feed(self, row_number: int, values: list[CellValue]) -> Iterator[ParsedItem | RejectedRow]:
        """Process one row (1-based number in the file)."""
        texts = row_texts(values)
        if not any(texts):
            self._empty_rows.append(row_number)
            return
        self.stats.rows += 1
        if self._empty_rows:
            yield from self._flush_empty_rows()
        yield from self._row(row_number, values, texts, text_only=False)

    def run(
        self, rows: Iterable[tuple[int, list[CellValue]]]
    ) -> Iterator[ParsedItem | RejectedRow]:
        """``feed`` every row, then ``finish``: the same results, made faster.

        Rows are taken as all-text (CSV) until a typed cell shows up, and a row that can
        only become one plain item is built directly instead of through drafts.
        """
        text_only = True
        stats = self.stats
        empty_rows = self._empty_rows
        strip = str.strip
        for row_number, values in rows:
            if text_only:
                try:
                    texts = tuple(map(strip, values))
                except TypeError:  # a typed (XLSX) cell: None, a number, a date ...
                    text_only = False
                    texts = row_texts(values)
            else:
                texts = row_texts(values)
            if not any(texts):
                empty_rows.append(row_number)
                continue
            stats.rows += 1
            if empty_rows:
                yield from self._flush_empty_rows()
            layout = self.layout
            if layout.simple and self._open_product is None:
                price_index = layout.price_index
                price = values[price_index] if price_index < len(values) else None
                if type(price) is str:
                    plain = PLAIN_NUMBER_RE.fullmatch(price) is not None
                    # A number in a text row rules out a header row.
                    header = (
                        not plain
                        and not NUMERIC_TEXT_RE.fullmatch(texts[price_index])
                        and self._is_header(values, texts, text_only)
                    )
                else:
                    kind = type(price)
                    plain = kind is float or kind is int
                    # A typed price cell means the row is not all text, so not a header.
                    header = price is None and self._is_header(values, texts, text_only)
                if (
                    not header
                    and (
                        len(texts) - texts.count("") > 2
                        or self._section_title(values, texts) is None
                    )
                    and (picked := layout.pick(texts + layout.pad))[0]
                ):
                    yield self._simple_item(row_number, texts, picked, price, plain)
                    continue
            yield from self._row(row_number, values, texts, text_only=text_only)
        yield from self.finish()

    def finish(self) -> Iterator[ParsedItem | RejectedRow]:
        """Emit everything held back; call once after the last row."""
        self._empty_rows.clear()
        yield from self._flush_open_product()
        for parent in self._parent_order:
            yield from self._emit(parent)
        self._parent_order.clear()
        self._parents.clear()
        for orphans in self._orphans.values():
            for draft in orphans:
                yield from self._emit(draft)
        self._orphans.clear()

    # -- row classification ---------------------------------------------------------------

    def _flush_empty_rows(self) -> Iterator[RejectedRow]:
        for number in self._empty_rows:
            yield self._reject(number, RejectCode.EMPTY_ROW, "Empty row.", ())
        self._empty_rows.clear()

    def _row(
        self, row_number: int, values: list[CellValue], texts: tuple[str, ...], *, text_only: bool
    ) -> Iterator[ParsedItem | RejectedRow]:
        if self._is_header(values, texts, text_only):
            yield from self._flush_open_product()
            yield self._header_row(row_number, values, texts)
            return
        section = self._section_title(values, texts)
        if section is not None:
            yield from self._flush_open_product()
            self._section = section
            yield self._reject(
                row_number,
                RejectCode.SECTION_HEADER,
                f"Section header '{section}'; used as the category below.",
                texts,
            )
            return
        yield from self._item_rows(row_number, values, texts)

    @staticmethod
    def _is_header(values: list[CellValue], texts: tuple[str, ...], text_only: bool) -> bool:
        """``_all_text(values) and looks_like_header(values)``, on the texts already made.

        ``text_only`` tells that every cell of the row is known to be text.
        """
        if max(map(len, texts)) > MAX_HEADER_TEXT:
            return False  # also rules out a header when the long cell is not text
        if not text_only and not _all_text(values):
            return False
        return texts_look_like_header([text for text in texts if text])

    def _header_row(
        self, row_number: int, values: list[CellValue], texts: tuple[str, ...]
    ) -> RejectedRow:
        key = tuple(normalize_header(text) for text in texts)
        if _strip_trailing(key) == _strip_trailing(self.layout.header_key):
            return self._reject(
                row_number, RejectCode.REPEATED_HEADER, "Repeated header row.", texts
            )
        mapping = refine_mapping(build_mapping(values), ())
        self.layout = _Layout.build(mapping, texts)
        described = ", ".join(
            f"{column.key} -> {column.field.value}" for column in mapping.columns if column.field
        )
        return self._reject(
            row_number,
            RejectCode.TABLE_HEADER,
            f"Header of a new table; columns below read as: {described}.",
            texts,
        )

    def _section_title(self, values: list[CellValue], texts: tuple[str, ...]) -> str | None:
        if len(texts) - texts.count("") > 2:
            return None  # the common case, decided without a list
        filled = [index for index, text in enumerate(texts) if text]
        single = self.layout.single
        name_index = single.get(Field.NAME)
        if len(filled) == 1:
            index = filled[0]
            if index in self.layout.prices or not isinstance(values[index], str):
                return None
            return texts[index].rstrip(":").strip() or None
        sku_index = single.get(Field.SKU)
        if (
            len(filled) == 2
            and name_index in filled
            and sku_index in filled
            and _ORDINAL_RE.match(texts[sku_index])
            and not _is_number_text(texts[name_index])
        ):
            # Numbered sections of 1C/Excel price lists: "2 | Монтаж трубы:" with no price.
            return texts[name_index].rstrip(":").strip() or None
        return None

    # -- items -----------------------------------------------------------------------------

    def _item_rows(
        self, row_number: int, values: list[CellValue], texts: tuple[str, ...]
    ) -> Iterator[ParsedItem | RejectedRow]:
        single = self.layout.single
        name = texts[single[Field.NAME]] if single.get(Field.NAME, len(texts)) < len(texts) else ""
        handle = _text_at(texts, single.get(Field.HANDLE))
        if not name:
            if handle and self._open_product is not None and self._open_product.handle == handle:
                self._merge_continuation(self._open_product, row_number, values, texts)
                return
            yield from self._flush_open_product()
            if handle:
                yield self._reject(
                    row_number,
                    RejectCode.ORPHAN_CONTINUATION,
                    f"Continuation row for '{handle}' without its product row.",
                    texts,
                )
                return
            header = self.layout.keys[single[Field.NAME]] if Field.NAME in single else "name"
            yield self._reject(
                row_number, RejectCode.NO_NAME, f"No name: the '{header}' column is empty.", texts
            )
            return
        if len(self.layout.prices) > 1:
            yield from self._flush_open_product()
            for draft in self._matrix_drafts(row_number, values, texts, name):
                yield from self._emit(draft)
            return
        price_index = _first(self.layout.prices)
        header_currency = (
            self.layout.price_currency.get(price_index) if price_index is not None else None
        )
        draft = self._draft(
            row_number, values, texts, name, _at(values, price_index), header_currency
        )
        yield from self._flush_open_product()
        if handle:
            draft.handle = handle
            self._open_product = draft
            return
        product_type = _text_at(texts, single.get(Field.PRODUCT_TYPE)).casefold()
        kinds = {part.strip() for part in product_type.split(",")}
        if "variation" in kinds:
            yield from self._attach_variation(draft, _text_at(texts, single.get(Field.PARENT)))
        elif "variable" in kinds:
            yield from self._hold_parent(draft, texts)
        else:
            yield from self._emit(draft)

    def _simple_item(
        self,
        row_number: int,
        texts: tuple[str, ...],
        picked: tuple[str, ...],
        price_value: CellValue,
        plain: bool,
    ) -> ParsedItem | RejectedRow:
        """``_draft``, ``_emit`` and ``_freeze`` in one go, for a row of a simple layout.

        ``plain`` tells that ``price_value`` is text matching ``PLAIN_NUMBER_RE`` or an
        ``int``/``float`` from XLSX: then the price is read right here, as ``parse_price``
        would, and a number's text is the one ``texts`` already has (``format_number``).
        """
        layout = self.layout
        (
            name,
            sku,
            description,
            currency_text,
            category,
            unit,
            website,
            tags,
            availability,
            duration,
            item_format,
        ) = picked
        if sku:
            folded = sku.casefold()
            first_row = self._seen_skus.get(folded)
            if first_row is not None:
                return self._reject(
                    row_number,
                    RejectCode.DUPLICATE_SKU,
                    f"SKU '{sku}' already used on row {first_row}; the first one is kept.",
                    texts,
                )
            self._seen_skus[folded] = row_number
        currency_code = _currency_code(currency_text) if currency_text else None
        currency = layout.header_currency or currency_code or self.default_currency
        if plain:
            note = ""
            if type(price_value) is str:
                amount, price_text = plain_decimal(price_value), price_value
            else:
                price_text = texts[layout.price_index]
                amount = Decimal(price_text)
        else:
            price = parse_price(price_value, currency)
            if price is None:
                amount, price_text, note, currency = None, "", "", None
            else:
                amount, price_text, note, currency = (
                    price.amount,
                    price.text,
                    price.note,
                    price.currency,
                )
        images: list[str] = []
        if layout.images:
            for index in layout.images:
                images.extend(_split_urls(_text_at(texts, index)))
            images = _dedupe(images)
        attributes: dict[str, object] = {}
        if layout.attribute_keys:
            size = len(texts)
            for key, index in layout.attribute_keys:
                if index < size and texts[index]:
                    attributes[key] = texts[index]
        self.stats.items += 1
        return _new_item(
            name,
            row_number,
            description,
            html_to_text(description) if description else "",
            sku or None,
            amount,
            price_text,
            note,
            currency or currency_code,
            category or self._section,
            unit or None,
            website or None,
            _dedupe(tag.strip() for tag in _TAG_SPLIT_RE.split(tags)) if tags else [],
            images,
            availability or None,
            duration or None,
            item_format or None,
            attributes,
        )

    def _matrix_drafts(
        self, row_number: int, values: list[CellValue], texts: tuple[str, ...], name: str
    ) -> list[_Draft]:
        drafts = []
        for index in self.layout.prices:
            if is_blank(_at(values, index)):
                continue
            draft = self._draft(
                row_number,
                values,
                texts,
                name,
                values[index],
                self.layout.price_currency.get(index),
            )
            draft.name = f"{name}{_qualifier(draft)} — {self.layout.keys[index]}"
            sku = draft.fields.get(Field.SKU)
            if sku:
                draft.fields[Field.SKU] = f"{sku}:{self.layout.keys[index]}"
            drafts.append(draft)
        if not drafts:
            drafts.append(self._draft(row_number, values, texts, name, None, None))
        return drafts

    def _draft(
        self,
        row_number: int,
        values: list[CellValue],
        texts: tuple[str, ...],
        name: str,
        price_value: CellValue,
        header_currency: str | None,
    ) -> _Draft:
        layout = self.layout
        fields: dict[Field, str] = {}
        for wanted, index in layout.single.items():
            if wanted in _CORE_FIELDS and index < len(texts) and texts[index]:
                fields[wanted] = texts[index]
        currency = (
            header_currency or _currency_code(fields.get(Field.CURRENCY)) or self.default_currency
        )
        images: list[str] = []
        for index in layout.images:
            images.extend(_split_urls(_text_at(texts, index)))
        attributes = {
            layout.keys[index]: texts[index]
            for index in layout.attribute_columns
            if index < len(texts) and texts[index]
        }
        return _Draft(
            row_number=row_number,
            texts=texts,
            values=attributes,
            name=name,
            price=parse_price(price_value, currency),
            fields=fields,
            images=_dedupe(images),
            category=fields.get(Field.CATEGORY) or self._section,
        )

    # -- Shopify ----------------------------------------------------------------------------

    def _merge_continuation(
        self, product: _Draft, row_number: int, values: list[CellValue], texts: tuple[str, ...]
    ) -> None:
        self.stats.merged += 1
        for index in self.layout.images:
            for url in _split_urls(_text_at(texts, index)):
                if url not in product.images:
                    product.images.append(url)
        record = self._variant_record(texts, None)
        if record:
            record["row"] = str(row_number)
            product.variants.append(record)
            price = parse_price(_at(values, _first(self.layout.prices)))
            if price is not None and price.amount is not None:
                product.variant_prices.append(price.amount)

    def _flush_open_product(self) -> Iterator[ParsedItem | RejectedRow]:
        product, self._open_product = self._open_product, None
        if product is None:
            return
        if product.variants:
            keys = {key for record in product.variants for key in record if key != "row"}
            own = {
                key: value for key, value in self._row_record(product.texts).items() if key in keys
            }
            own["row"] = str(product.row_number)
            product.variants.insert(0, own)
        yield from self._emit(product)

    # -- WooCommerce ----------------------------------------------------------------------------

    def _hold_parent(
        self, draft: _Draft, texts: tuple[str, ...]
    ) -> Iterator[ParsedItem | RejectedRow]:
        if len(self._parent_order) >= _MAX_PENDING_PARENTS:
            # Bound memory on huge exports: the oldest parent is final enough by now.
            oldest = self._parent_order.pop(0)
            self._parents = {
                key: parent for key, parent in self._parents.items() if parent is not oldest
            }
            yield from self._emit(oldest)
        self._parent_order.append(draft)
        for key in _parent_keys(
            draft.fields.get(Field.SKU), _text_at(texts, self.layout.single.get(Field.EXTERNAL_ID))
        ):
            self._parents[key] = draft
            for waiting in self._orphans.pop(key, []):
                self._add_variation(draft, waiting)

    def _attach_variation(
        self, draft: _Draft, parent_ref: str
    ) -> Iterator[ParsedItem | RejectedRow]:
        key = _parent_ref_key(parent_ref)
        parent = self._parents.get(key) if key else None
        if parent is not None:
            self._add_variation(parent, draft)
        elif key:
            self._orphans.setdefault(key, []).append(draft)
        else:
            yield from self._emit(draft)

    def _add_variation(self, parent: _Draft, variation: _Draft) -> None:
        self.stats.merged += 1
        record = self._variant_record(variation.texts, parent.texts)
        record["row"] = str(variation.row_number)
        parent.variants.append(record)
        if variation.price is not None and variation.price.amount is not None:
            parent.variant_prices.append(variation.price.amount)
        for url in variation.images:
            if url not in parent.images:
                parent.images.append(url)

    # -- records and emission ------------------------------------------------------------------

    def _row_record(self, texts: tuple[str, ...]) -> dict[str, str]:
        keys = self.layout.keys
        return {keys[index]: text for index, text in enumerate(texts) if text and index < len(keys)}

    def _variant_record(
        self, texts: tuple[str, ...], parent_texts: tuple[str, ...] | None
    ) -> dict[str, str]:
        keys = self.layout.keys
        record = {}
        for index, text in enumerate(texts):
            if not text or index >= len(keys) or index in self.layout.variant_skip:
                continue
            if (
                parent_texts is not None
                and index < len(parent_texts)
                and parent_texts[index] == text
            ):
                continue
            record[keys[index]] = text
        return record

    def _emit(self, draft: _Draft) -> Iterator[ParsedItem | RejectedRow]:
        sku = draft.fields.get(Field.SKU)
        if sku:
            first_row = self._seen_skus.get(sku.casefold())
            if first_row is not None:
                yield self._reject(
                    draft.row_number,
                    RejectCode.DUPLICATE_SKU,
                    f"SKU '{sku}' already used on row {first_row}; the first one is kept.",
                    draft.texts,
                )
                return
            self._seen_skus[sku.casefold()] = draft.row_number
        self.stats.items += 1
        yield _freeze(draft)

    def _reject(
        self, row_number: int, code: RejectCode, text: str, values: tuple[str, ...]
    ) -> RejectedRow:
        self.stats.rejected += 1
        return RejectedRow(row_number, code, text, values)


def _freeze(draft: _Draft) -> ParsedItem:
    fields = draft.fields
    price = draft.price
    amount = price.amount if price else None
    price_text = price.text if price else ""
    note = price.note if price else ""
    if draft.variant_prices:
        candidates = draft.variant_prices + ([amount] if amount is not None else [])
        low, high = min(candidates), max(candidates)
        amount = low
        if low != high:
            price_text, note = f"{format_number(low)}-{format_number(high)}", NOTE_RANGE
        elif not price_text:
            price_text = format_number(low)
    attributes: dict[str, object] = dict(draft.values)
    if draft.variants:
        attributes["variants"] = draft.variants
    description = fields.get(Field.DESCRIPTION, "")
    tags = _dedupe(tag.strip() for tag in _TAG_SPLIT_RE.split(fields.get(Field.TAGS, "")))
    return _new_item(
        name=draft.name,
        source_row=draft.row_number,
        description=description,
        description_text=html_to_text(description) if description else "",
        sku=fields.get(Field.SKU),
        price=amount,
        price_text=price_text,
        price_note=note,
        currency=(price.currency if price else None) or _currency_code(fields.get(Field.CURRENCY)),
        category=draft.category,
        unit=fields.get(Field.UNIT),
        website=fields.get(Field.WEBSITE),
        tags=tags,
        image_urls=draft.images,
        availability=fields.get(Field.AVAILABILITY),
        duration=fields.get(Field.DURATION),
        format=fields.get(Field.FORMAT),
        attributes=attributes,
    )


def iter_items(
    rows: Iterable[tuple[int, list[CellValue]]],
    mapping: ColumnMapping,
    header: Iterable[str],
    *,
    default_currency: str | None = None,
    stats: ReadStats | None = None,
) -> Iterator[ParsedItem | RejectedRow]:
    """Turn data rows (those after the header) into items and rejected rows, in order."""
    builder = ItemBuilder(mapping, header, default_currency=default_currency, stats=stats)
    return builder.run(rows)


# -- small helpers ---------------------------------------------------------------------------


def _qualifier(draft: _Draft) -> str:
    """A short note ("до 4-х кг") that tells matrix rows of the same name apart."""
    note = draft.fields.get(Field.DESCRIPTION, "").strip().strip("()").strip()
    if not note or len(note) > 40 or "<" in note:
        return ""
    return f" ({note})"


def _all_text(values: list[CellValue]) -> bool:
    """Header rows hold only text; typed XLSX data rows are ruled out without parsing."""
    return all(value is None or isinstance(value, str) for value in values)


def _first(indexes: tuple[int, ...]) -> int | None:
    return indexes[0] if indexes else None


def _text_at(texts: tuple[str, ...], index: int | None) -> str:
    return texts[index] if index is not None and index < len(texts) else ""


def _strip_trailing(key: tuple[str, ...]) -> tuple[str, ...]:
    end = len(key)
    while end and not key[end - 1]:
        end -= 1
    return key[:end]


def _is_number_text(text: str) -> bool:
    parsed = parse_price(text)
    return bool(parsed and parsed.amount is not None and not parsed.note)


def _currency_code(text: str | None) -> str | None:
    if not text:
        return None
    found = detect_currency(text)
    if found:
        return found
    compact = text.strip().upper()
    return compact if compact.isalpha() and len(compact) == 3 else None


def _split_urls(text: str) -> list[str]:
    if not text:
        return []
    return [part.strip(" ,;|") for part in _URL_SPLIT_RE.split(text) if part.strip(" ,;|")]


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def _parent_keys(sku: str | None, external_id: str) -> list[str]:
    keys = []
    if sku:
        keys.append(f"sku:{sku.casefold()}")
    if external_id:
        keys.append(f"id:{external_id.strip()}")
    return keys


def _parent_ref_key(reference: str) -> str | None:
    reference = reference.strip()
    if not reference:
        return None
    if reference.casefold().startswith("id:"):
        return f"id:{reference[3:].strip()}"
    return f"sku:{reference.casefold()}"
