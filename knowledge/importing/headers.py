"""Finding the header row and mapping column names to item fields.

Matching is case-, space-, punctuation- and language-insensitive: every header is
normalised (case folded, ``ё`` -> ``е``, punctuation and underscores -> spaces) and then
looked up in alias tables, first as written, then without parenthesised notes, currency
tokens and trailing column numbers, and finally by its leading word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise

from .cells import CellValue, cell_text, is_blank
from .prices import detect_currency, parse_price

HEADER_SCAN_ROWS = 50
MAX_HEADER_TEXT = 60


class Field(StrEnum):
    """Item fields a column can be mapped to."""

    NAME = "name"
    DESCRIPTION = "description"
    SKU = "sku"
    PRICE = "price"
    CURRENCY = "currency"
    CATEGORY = "category"
    UNIT = "unit"
    WEBSITE = "website"
    TAGS = "tags"
    IMAGE = "image"
    AVAILABILITY = "availability"
    DURATION = "duration"
    FORMAT = "format"
    # Structural keys used to merge export rows; their values are kept in attributes.
    HANDLE = "handle"
    VARIANT_OPTION = "variant_option"
    PRODUCT_TYPE = "product_type"
    PARENT = "parent"
    EXTERNAL_ID = "external_id"


#: Fields that may be mapped from several columns at once.
MULTI_COLUMN_FIELDS = frozenset({Field.IMAGE, Field.PRICE})

STRONG, WEAK, PREFIX = 3, 2, 1

_ALIASES: dict[Field, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # field: (strong aliases, weak aliases) - all in normalised form
    Field.NAME: (
        (
            "name",
            "product name",
            "item name",
            "title",
            "product title",
            "product",
            "item",
            "service",
            "service name",
            "наименование",
            "название",
            "название товара",
            "наименование товара",
            "наименование работ",
            "наименование работы",
            "наименование услуги",
            "название услуги",
            "наименование позиции",
            "товар",
            "услуга",
            "номенклатура",
            "назва",
            "назва товару",
            "назва позиції",
            "назва послуги",
            "найменування",
            "найменування товару",
            "найменування послуги",
            "товар послуга",
            "позиция",
            "позиція",
            "послуга",
            "имя",
            "работа",
            "вид работ",
            "вид работы",
        ),
        ("модель", "model"),
    ),
    Field.DESCRIPTION: (
        (
            "description",
            "body html",
            "body",
            "описание",
            "опис",
            "описание товара",
            "описание услуги",
            "опис товару",
            "опис послуги",
            "подробное описание",
            "full description",
            "long description",
            "product description",
            "детальное описание",
        ),
        (
            "short description",
            "summary",
            "краткое описание",
            "короткий опис",
            "примечание",
            "примечания",
            "примітка",
            "примітки",
            "комментарий",
            "коментар",
            "note",
            "notes",
            "comment",
            "comments",
            "details",
            "анонс",
        ),
    ),
    Field.SKU: (
        (
            "sku",
            "variant sku",
            "артикул",
            "артикул товара",
            "артикул производителя",
            "reference",
            "ref",
            "article",
            "article number",
            "vendor code",
            "part number",
            "код товара",
            "код товару",
            "код артикула",
            "item code",
            "product code",
            "sku code",
        ),
        ("код", "code", "номер", "номер услуги", "код услуги", "no", "номер позиции"),
    ),
    Field.PRICE: (
        (
            "price",
            "цена",
            "ціна",
            "стоимость",
            "вартість",
            "variant price",
            "regular price",
            "retail price",
            "розничная цена",
            "цена розничная",
            "роздрібна ціна",
            "ціна роздрібна",
            "цена продажи",
            "sale price regular",
            "стоимость услуги",
            "цена услуги",
            "ціна послуги",
            "вартість послуги",
            "прайс",
            "price tax included",
        ),
        (),
    ),
    Field.CURRENCY: (("currency", "валюта", "currency code", "валюта цены", "валюта ціни"), ()),
    Field.CATEGORY: (
        (
            "category",
            "categories",
            "категория",
            "категории",
            "категорія",
            "категорії",
            "раздел",
            "розділ",
            "группа",
            "група",
            "группа товаров",
            "група товарів",
            "product category",
            "subcategory",
            "подкатегория",
            "підкатегорія",
            "рубрика",
        ),
        ("product type", "тип", "тип товара", "вид", "collection", "коллекция"),
    ),
    Field.UNIT: (
        (
            "unit",
            "units",
            "uom",
            "ед изм",
            "ед",
            "единица",
            "единица измерения",
            "единицы измерения",
            "ед измерения",
            "од",
            "од вим",
            "од виміру",
            "одиниця",
            "одиниця виміру",
            "unit of measure",
            "measure",
            "упаковка",
        ),
        (),
    ),
    Field.WEBSITE: (
        (
            "url",
            "website",
            "web site",
            "site",
            "link",
            "сайт",
            "ссылка",
            "посилання",
            "product url",
            "external url",
            "ссылка на товар",
            "product link",
            "посилання на товар",
            "веб сайт",
            "страница",
            "сторінка",
        ),
        (),
    ),
    Field.TAGS: (
        (
            "tags",
            "tag",
            "теги",
            "тэги",
            "метки",
            "теги товара",
            "мітки",
            "теги товару",
            "keywords",
            "ключевые слова",
            "ключові слова",
        ),
        (),
    ),
    Field.IMAGE: (
        (
            "image",
            "images",
            "image src",
            "image url",
            "image urls",
            "picture",
            "pictures",
            "photo",
            "photos",
            "фото",
            "фотография",
            "фотографии",
            "изображение",
            "изображения",
            "картинка",
            "картинки",
            "url изображения",
            "ссылка на фото",
            "ссылка на изображение",
            "зображення",
            "фото товара",
            "фото товару",
            "url фото",
            "image link",
            "main image",
        ),
        ("variant image", "additional images", "additional image link"),
    ),
    Field.AVAILABILITY: (
        (
            "availability",
            "in stock",
            "stock",
            "stock status",
            "quantity",
            "qty",
            "наличие",
            "в наличии",
            "остаток",
            "остатки",
            "количество",
            "кол во",
            "наявність",
            "залишок",
            "кількість",
            "variant inventory qty",
            "inventory",
            "склад",
            "stock quantity",
        ),
        (),
    ),
    Field.DURATION: (
        (
            "duration",
            "длительность",
            "продолжительность",
            "время",
            "время выполнения",
            "тривалість",
            "час виконання",
            "duration min",
            "длительность мин",
            "time",
        ),
        (),
    ),
    Field.FORMAT: (
        (
            "format",
            "формат",
            "формат услуги",
            "формат проведения",
            "формат послуги",
            "service format",
            "формат занятий",
        ),
        (),
    ),
    Field.HANDLE: (("handle",), ()),
    Field.VARIANT_OPTION: (("option1 value",), ()),
    Field.PARENT: (("parent", "parent sku", "parent id"), ()),
    Field.EXTERNAL_ID: (("id", "product id", "ид", "идентификатор"), ("external id",)),
}

# Leading words that mark a column even with extra words after them ("Цена опт, грн").
_PREFIXES: tuple[tuple[str, Field], ...] = (
    ("наименование", Field.NAME),
    ("название", Field.NAME),
    ("назва", Field.NAME),
    ("найменування", Field.NAME),
    ("product name", Field.NAME),
    ("цена", Field.PRICE),
    ("ціна", Field.PRICE),
    ("стоимость", Field.PRICE),
    ("вартість", Field.PRICE),
    ("price", Field.PRICE),
    ("описание", Field.DESCRIPTION),
    ("опис", Field.DESCRIPTION),
    ("description", Field.DESCRIPTION),
    ("артикул", Field.SKU),
    ("категория", Field.CATEGORY),
    ("категорія", Field.CATEGORY),
    ("фото", Field.IMAGE),
    ("изображение", Field.IMAGE),
    ("image url", Field.IMAGE),
    ("ед ", Field.UNIT),
    ("единица", Field.UNIT),
    ("длительность", Field.DURATION),
    ("тривалість", Field.DURATION),
)

_LOOKUP: dict[str, tuple[Field, int]] = {}
for _field, (_strong, _weak) in _ALIASES.items():
    for _alias in _weak:
        _LOOKUP[_alias] = (_field, WEAK)
    for _alias in _strong:
        _LOOKUP[_alias] = (_field, STRONG)

_PUNCT_RE = re.compile(r"[\W_]+")
_PARENS_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CURRENCY_TOKENS = frozenset(
    {
        "rub",
        "rur",
        "руб",
        "р",
        "грн",
        "uah",
        "usd",
        "eur",
        "евро",
        "євро",
        "gbp",
        "kzt",
        "тенге",
        "byn",
        "pln",
    }
)
_TRAILING_NUMBER_RE = re.compile(r"\s*\d+$")
#: A cell of only digits, spaces and separators: a header row has none of them.
NUMERIC_TEXT_RE = re.compile(r"[\d\s.,\u00a0\u202f-]+")
_DIGIT_RE = re.compile(r"\d")
_UNIT_VALUE_RE = re.compile(
    r"^(?:шт|штук[аи]?|м|м\.?\s?п|пог\.?\s?м|м2|м3|кв\.?\s?м|кг|г|л|мл|с\.?\s?м|см|мм|"
    r"компл|к-т|уп|пар[аы]?|час|ч|мин|усл|усл\.?\s?ед|точка|pcs|pc|kg|m|set|h)\.?$"
)


def normalize_header(text: str) -> str:
    """Case-fold, unify ``ё``/``№`` and turn punctuation/underscores into single spaces."""
    lowered = text.casefold().replace("ё", "е").replace("№", " no ").replace("#", " ")
    return " ".join(_PUNCT_RE.sub(" ", lowered).split())


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """What a header name maps to, how confidently, and a currency written in it."""

    field: Field | None
    strength: int
    currency: str | None


@lru_cache(maxsize=4096)
def match_header(text: str, *, woocommerce: bool = False) -> HeaderMatch:
    """Map one header name to a field (or ``None``) with a strength 0..3."""
    currency = detect_currency(text) if text else None
    if not text or not text.strip():
        return HeaderMatch(None, 0, None)
    for candidate in _header_candidates(text):
        if candidate == "type":
            # WooCommerce "Type" is simple/variable/variation; elsewhere it is a product type.
            if woocommerce:
                return HeaderMatch(Field.PRODUCT_TYPE, STRONG, currency)
            return HeaderMatch(Field.CATEGORY, WEAK, currency)
        found = _LOOKUP.get(candidate)
        if found:
            return HeaderMatch(found[0], found[1], currency if found[0] is Field.PRICE else None)
    normalized = normalize_header(text)
    for prefix, prefix_field in _PREFIXES:
        if normalized.startswith(prefix):
            return HeaderMatch(
                prefix_field, PREFIX, currency if prefix_field is Field.PRICE else None
            )
    return HeaderMatch(None, 0, None)


def _header_candidates(text: str) -> Iterable[str]:
    full = normalize_header(text)
    yield full
    bare = normalize_header(_PARENS_RE.sub(" ", text))
    yield bare
    words = [word for word in bare.split() if word not in _CURRENCY_TOKENS]
    without_currency = " ".join(words)
    yield without_currency
    yield _TRAILING_NUMBER_RE.sub("", without_currency)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of the sheet: its position, original header and mapped field."""

    index: int
    header: str
    key: str
    field: Field | None
    strength: int = 0
    currency: str | None = None
    inferred: bool = False


@dataclass(frozen=True)
class ColumnMapping:
    """Column index -> field, as shown in the preview and overridable by the user."""

    columns: tuple[ColumnSpec, ...]
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[int, str | None]:
        """The mapping as ``{column index: field value or None}`` (for forms and JSON)."""
        return {
            column.index: (column.field.value if column.field else None) for column in self.columns
        }

    def indexes(self, wanted: Field) -> list[int]:
        """Indexes of the columns mapped to ``wanted``, left to right."""
        return [column.index for column in self.columns if column.field is wanted]

    def first(self, wanted: Field) -> int | None:
        """The first column mapped to ``wanted`` or ``None``."""
        found = self.indexes(wanted)
        return found[0] if found else None

    def fields(self) -> set[Field]:
        """All mapped fields."""
        return {column.field for column in self.columns if column.field is not None}

    def with_overrides(self, overrides: Mapping[int, Field | str | None]) -> ColumnMapping:
        """Return a copy where the given columns map to the given fields (``None`` = attribute)."""
        columns = list(self.columns)
        by_index = {column.index: position for position, column in enumerate(columns)}
        for index, value in overrides.items():
            chosen = Field(value) if value is not None else None
            if index in by_index:
                position = by_index[index]
                columns[position] = replace(
                    columns[position], field=chosen, strength=STRONG, inferred=False
                )
            else:
                key = f"Column {index + 1}"
                columns.append(ColumnSpec(index, "", key, chosen, STRONG))
        columns.sort(key=lambda column: column.index)
        return ColumnMapping(tuple(columns), self.notes)


def build_mapping(headers: Sequence[CellValue]) -> ColumnMapping:
    """Map a header row to fields; single-value fields go to their best column only."""
    texts = [cell_text(value) for value in headers]
    normalized = {normalize_header(text) for text in texts}
    woocommerce = "parent" in normalized and ("regular price" in normalized or "type" in normalized)
    matches = [match_header(text, woocommerce=woocommerce) for text in texts]
    winners: dict[Field, int] = {}
    for index, match in enumerate(matches):
        if match.field is None or match.field in MULTI_COLUMN_FIELDS:
            continue
        best = winners.get(match.field)
        if best is None or match.strength > matches[best].strength:
            winners[match.field] = index
    price_best = max((match.strength for match in matches if match.field is Field.PRICE), default=0)
    columns = []
    for index, (text, match) in enumerate(zip(texts, matches, strict=True)):
        chosen = match.field
        if chosen is Field.PRICE:
            # Several price-like headers ("Цена", "Цена опт"): keep only the strongest one.
            keep = match.strength == price_best and index == _first_price(matches, price_best)
            chosen = Field.PRICE if keep else None
        elif chosen is not None and chosen not in MULTI_COLUMN_FIELDS and winners[chosen] != index:
            chosen = None
        columns.append(
            ColumnSpec(
                index, text, _unique_key(text, index, texts), chosen, match.strength, match.currency
            )
        )
    return ColumnMapping(tuple(columns))


def _first_price(matches: Sequence[HeaderMatch], strength: int) -> int:
    return next(
        index
        for index, match in enumerate(matches)
        if match.field is Field.PRICE and match.strength == strength
    )


def _unique_key(text: str, index: int, texts: Sequence[str]) -> str:
    base = text or f"Column {index + 1}"
    earlier = sum(1 for other in texts[:index] if (other or "") == text)
    return base if not earlier or not text else f"{base} ({earlier + 1})"


# --- header row detection ----------------------------------------------------------------


def score_header_row(values: Sequence[CellValue]) -> tuple[int, int]:
    """Score a row as a header: (score, number of mapped cells).

    Short text cells score, cells that map to a known field score more, numbers and long
    sentences count against the row.
    """
    score = mapped = filled = 0
    for value in values:
        if is_blank(value):
            continue
        filled += 1
        if not isinstance(value, str) or _is_number_text(value):
            score -= 2
            continue
        text = value.strip()
        if len(text) > MAX_HEADER_TEXT:
            score -= 1
            continue
        score += 1
        strength = match_header(text).strength
        if strength:
            mapped += 1
            score += strength
    if filled < 2:
        return (0, 0)
    return (score, mapped)


def _is_number_text(text: str) -> bool:
    parsed = parse_price(text)
    return bool(
        parsed
        and parsed.amount is not None
        and parsed.text.replace(" ", "").replace(",", "").replace(".", "").isdigit()
    )


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """Where the header is (1-based row) and what it says."""

    row_number: int
    values: tuple[str, ...]
    score: int
    mapped: int


def find_header(rows: Iterable[tuple[int, list[CellValue]]]) -> HeaderInfo | None:
    """Pick the best header among the first rows, or ``None`` when nothing looks like one."""
    best: HeaderInfo | None = None
    for position, (row_number, values) in enumerate(rows):
        if position >= HEADER_SCAN_ROWS:
            break
        score, mapped = score_header_row(values)
        if mapped and (best is None or score > best.score):
            texts = tuple(cell_text(value) for value in values)
            best = HeaderInfo(row_number, texts, score, mapped)
    return best


def looks_like_header(values: Sequence[CellValue]) -> bool:
    """True for a mid-sheet row that is itself a header (a repeated or a new sub-table one)."""
    texts = [value.strip() for value in values if isinstance(value, str) and value.strip()]
    filled = sum(1 for value in values if not is_blank(value))
    if len(texts) < 2 or len(texts) != filled:
        return False
    return texts_look_like_header(texts)


def texts_look_like_header(texts: Sequence[str]) -> bool:
    """``looks_like_header`` for a row of text cells, given as its non-empty stripped texts.

    The row builder has these texts already, so the per-row check does not redo them.
    """
    # Cheap checks first: nearly every data row has a number or a long text in it.
    if len(texts) < 2 or max(map(len, texts)) > MAX_HEADER_TEXT:
        return False
    if any(NUMERIC_TEXT_RE.fullmatch(text) for text in texts):
        return False
    if any(_DIGIT_RE.search(text) and _has_amount(text) for text in texts):
        return False
    strong_fields = set()
    for text in texts:
        match = match_header(text)
        if match.strength >= WEAK and match.field is not None:
            strong_fields.add(match.field)
    return bool(strong_fields & {Field.NAME, Field.PRICE, Field.SKU})


def _has_amount(text: str) -> bool:
    parsed = parse_price(text)
    return bool(parsed and parsed.amount is not None)


# --- refinement from sampled data -----------------------------------------------------------


def refine_mapping(mapping: ColumnMapping, sample: Sequence[Sequence[CellValue]]) -> ColumnMapping:
    """Improve an automatic mapping using sampled data rows.

    Adds a name column when none was recognised (the first column of mostly text), turns
    a "quantity" column that holds units (``шт.``, ``м.п.``) into the unit column, and when
    no price column was recognised takes the columns whose values read as prices - several
    such columns make a price matrix (one item per row and column).
    """
    columns = list(mapping.columns)
    notes = list(mapping.notes)
    fields = mapping.fields()
    if Field.NAME not in fields:
        index = _guess_name_column(columns, sample)
        if index is not None:
            columns[index] = replace(columns[index], field=Field.NAME, inferred=True)
            notes.append(f"'{columns[index].key}' has no known name header; used as the name.")
    availability = mapping.first(Field.AVAILABILITY)
    if availability is not None and Field.UNIT not in fields:
        values = _column_values(sample, availability)
        if (
            values
            and sum(bool(_UNIT_VALUE_RE.match(v.casefold())) for v in values) * 5 >= len(values) * 4
        ):
            position = _position(columns, availability)
            columns[position] = replace(columns[position], field=Field.UNIT, inferred=True)
            notes.append(f"'{columns[position].key}' holds units of measure; used as the unit.")
    if Field.PRICE not in {column.field for column in columns}:
        for position in _price_like_columns(columns, sample):
            columns[position] = replace(columns[position], field=Field.PRICE, inferred=True)
            notes.append(f"'{columns[position].key}' holds prices; used as a price column.")
    return ColumnMapping(tuple(columns), tuple(notes))


def _position(columns: Sequence[ColumnSpec], index: int) -> int:
    return next(position for position, column in enumerate(columns) if column.index == index)


def _column_values(sample: Sequence[Sequence[CellValue]], index: int) -> list[str]:
    return [
        cell_text(row[index]) for row in sample if index < len(row) and not is_blank(row[index])
    ]


def _guess_name_column(
    columns: Sequence[ColumnSpec], sample: Sequence[Sequence[CellValue]]
) -> int | None:
    for position, column in enumerate(columns):
        if column.field is not None or not column.header:
            continue
        raw = [row[column.index] for row in sample if column.index < len(row)]
        filled = [value for value in raw if not is_blank(value)]
        if not sample:
            return position
        texts = [value for value in filled if isinstance(value, str) and not _has_amount(value)]
        if filled and len(texts) * 2 >= len(filled):
            return position
    return None


def _price_like_columns(
    columns: Sequence[ColumnSpec], sample: Sequence[Sequence[CellValue]]
) -> list[int]:
    found = []
    for position, column in enumerate(columns):
        if column.field is not None or not column.header:
            continue
        raw = [row[column.index] for row in sample if column.index < len(row)]
        filled = [value for value in raw if not is_blank(value)]
        if len(filled) < 3:
            continue
        parsed = [parse_price(value) for value in filled]
        priced = sum(1 for price in parsed if price is not None and price.amount is not None)
        if priced * 5 >= len(filled) * 4 and not _is_sequence(filled):
            found.append(position)
    return found


def _is_sequence(values: Sequence[CellValue]) -> bool:
    """Row numbers and ids (1, 2, 3 ...) are not prices."""
    numbers = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
    if len(numbers) != len(values):
        digits = [cell_text(value) for value in values]
        if not all(text.isdigit() for text in digits):
            return False
        numbers = [int(text) for text in digits]
    return len(numbers) > 2 and all(b == a + 1 for a, b in pairwise(numbers))
