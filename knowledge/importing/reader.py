"""Top-level entry points: list sheets, preview the mapping, read the whole price list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import dropwhile, islice
from typing import BinaryIO

from .cells import CellValue, cell_text, is_blank
from .errors import ImportErrorCode, ImportFileError
from .headers import (
    HEADER_SCAN_ROWS,
    ColumnMapping,
    Field,
    HeaderInfo,
    build_mapping,
    find_header,
    refine_mapping,
    score_header_row,
)
from .prices import NOTE_NO_NUMBER, parse_price
from .rows import ParsedItem, ReadStats, RejectedRow, iter_items
from .sources import DEFAULT_LIMITS, CsvSource, Limits, SourceKind, XlsxSource, open_source

SAMPLE_ROWS = 100
_SAMPLE_SCAN_LIMIT = 400
_AMBIGUITY_RATIO = 0.8


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """How likely a sheet is to be the price list."""

    name: str
    index: int
    header_row: int | None
    mapped_columns: int
    data_rows: int
    score: float


@dataclass(frozen=True, slots=True)
class _Analysis:
    info: SheetInfo
    header: HeaderInfo | None
    sample: list[list[CellValue]]


@dataclass
class ReadResult:
    """An opened price list: what was detected, and the items (a one-shot iterator)."""

    kind: SourceKind
    filename: str
    encoding: str | None
    delimiter: str | None
    sheet: str
    sheets: list[SheetInfo]
    ambiguous: bool
    header: HeaderInfo
    mapping: ColumnMapping
    warnings: list[str]
    stats: ReadStats = field(default_factory=ReadStats)
    _source: CsvSource | XlsxSource | None = field(default=None, repr=False)
    _items: Iterator[ParsedItem | RejectedRow] | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[ParsedItem | RejectedRow]:
        if self._items is None:
            raise RuntimeError("ReadResult items were already consumed or closed.")
        items, self._items = self._items, None
        return items

    @property
    def truncated_at(self) -> int | None:
        """Row where reading stopped after a long run of empty rows (XLSX), else ``None``."""
        return self._source.truncated_at if self._source is not None else None

    def close(self) -> None:
        """Release the workbook; the caller still owns and closes the file object."""
        if self._source is not None:
            self._source.close()
        self._items = None

    def __enter__(self) -> ReadResult:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class Preview:
    """What the mapping step shows: detection results, the mapping and the first results."""

    result: ReadResult
    rows: list[list[str]]
    items: list[ParsedItem | RejectedRow]

    @property
    def mapping(self) -> ColumnMapping:
        """The mapping that would be used (the user may override it)."""
        return self.result.mapping

    @property
    def header(self) -> HeaderInfo:
        """The detected header row."""
        return self.result.header


def list_sheets(
    fileobj: BinaryIO, filename: str, *, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[SheetInfo], bool]:
    """Score every sheet; return them best first and whether the choice is ambiguous."""
    source = open_source(fileobj, filename, limits=limits)
    try:
        analyses = [_analyse(source, name, index) for index, name in enumerate(source.sheet_names)]
    finally:
        source.close()
    infos = sorted((analysis.info for analysis in analyses), key=lambda info: -info.score)
    return infos, _is_ambiguous(infos)


def read_price_list(
    fileobj: BinaryIO,
    filename: str,
    *,
    sheet: str | None = None,
    mapping: Mapping[int, Field | str | None] | None = None,
    header_row: int | None = None,
    default_currency: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ReadResult:
    """Open a price list and prepare to stream its items.

    ``sheet`` picks a worksheet (default: the best scoring one; check ``ambiguous``).
    ``mapping`` overrides the automatic column mapping (``{column index: field or None}``)
    and ``header_row`` the detected header row (1-based). Iterate the result once to get
    ``ParsedItem`` and ``RejectedRow`` objects in file order; close it when done.
    """
    source = open_source(fileobj, filename, limits=limits)
    try:
        return _prepare(source, sheet, mapping, header_row, default_currency)
    except BaseException:
        source.close()
        raise


def preview(
    fileobj: BinaryIO,
    filename: str,
    rows: int = 10,
    *,
    sheet: str | None = None,
    mapping: Mapping[int, Field | str | None] | None = None,
    header_row: int | None = None,
    default_currency: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Preview:
    """Detect everything and parse the first ``rows`` data rows for the mapping preview."""
    result = read_price_list(
        fileobj,
        filename,
        sheet=sheet,
        mapping=mapping,
        header_row=header_row,
        default_currency=default_currency,
        limits=limits,
    )
    try:
        assert result._source is not None
        raw_rows = islice(_data_rows(result._source, result.sheet, result.header.row_number), rows)
        texts = [[cell_text(value) for value in values] for _, values in raw_rows]
        last_row = result.header.row_number + rows
        items = [item for item in islice(result, rows * 4) if _row_of(item) <= last_row][:rows]
    finally:
        result.close()
    return Preview(result, texts, items)


def _row_of(item: ParsedItem | RejectedRow) -> int:
    return item.source_row if isinstance(item, ParsedItem) else item.row_number


def _prepare(
    source: CsvSource | XlsxSource,
    sheet: str | None,
    overrides: Mapping[int, Field | str | None] | None,
    header_row: int | None,
    default_currency: str | None,
) -> ReadResult:
    if sheet is not None and sheet not in source.sheet_names:
        raise ImportFileError(
            ImportErrorCode.SHEET_NOT_FOUND, f"The workbook has no sheet named {sheet!r}."
        )
    names = [sheet] if sheet is not None else source.sheet_names
    analyses = [
        _analyse(source, name, source.sheet_names.index(name), header_row) for name in names
    ]
    infos = sorted((analysis.info for analysis in analyses), key=lambda info: -info.score)
    chosen = next(analysis for analysis in analyses if analysis.info.name == infos[0].name)
    if chosen.header is None:
        raise ImportFileError(
            ImportErrorCode.HEADER_NOT_FOUND,
            "No header row found in the first rows: none of the cells looks like a column "
            "name such as 'Name', 'Наименование', 'Price' or 'Цена'.",
        )
    header = chosen.header
    mapping = refine_mapping(build_mapping(header.values), chosen.sample)
    if overrides:
        mapping = mapping.with_overrides(overrides)
    stats = ReadStats()
    rows = _data_rows(source, chosen.info.name, header.row_number)
    items = iter_items(rows, mapping, header.values, default_currency=default_currency, stats=stats)
    return ReadResult(
        kind=source.kind,
        filename=source.filename,
        encoding=source.encoding,
        delimiter=source.delimiter,
        sheet=chosen.info.name,
        sheets=infos if sheet is None else [chosen.info],
        ambiguous=sheet is None and _is_ambiguous(infos),
        header=header,
        mapping=mapping,
        warnings=_warnings(mapping, chosen.sample),
        stats=stats,
        _source=source,
        _items=items,
    )


def _data_rows(
    source: CsvSource | XlsxSource, sheet: str, header_row: int
) -> Iterator[tuple[int, list[CellValue]]]:
    # Row numbers only grow, so this drops the rows up to the header and then hands the
    # source's rows on without a generator step per row.
    return dropwhile(lambda row: row[0] <= header_row, source.rows(sheet))


def _analyse(
    source: CsvSource | XlsxSource, name: str, index: int, header_row: int | None = None
) -> _Analysis:
    header: HeaderInfo | None = None
    sample: list[list[CellValue]] = []
    rows = source.rows(name)
    try:
        head = list(islice(rows, max(header_row or 0, HEADER_SCAN_ROWS)))
        if header_row is not None:
            forced = [values for number, values in head if number == header_row]
            header = _forced_header(header_row, forced[0]) if forced else None
        else:
            header = find_header(head)
        if header is not None:
            sample = [values for number, values in head if number > header.row_number]
            for _, values in islice(rows, _SAMPLE_SCAN_LIMIT):
                if len(sample) >= SAMPLE_ROWS * 2:
                    break
                sample.append(values)
    finally:
        rows.close()
    sample = [values for values in sample if not all(is_blank(value) for value in values)]
    sample = sample[:SAMPLE_ROWS]
    info = SheetInfo(
        name=name,
        index=index,
        header_row=header.row_number if header else None,
        mapped_columns=header.mapped if header else 0,
        data_rows=len(sample),
        score=float(header.score + len(sample)) if header else 0.0,
    )
    return _Analysis(info, header, sample)


def _forced_header(row_number: int, values: list[CellValue]) -> HeaderInfo:
    score, mapped = score_header_row(values)
    return HeaderInfo(
        row_number, tuple(cell_text(value) for value in values), max(score, 1), mapped
    )


def _is_ambiguous(infos: list[SheetInfo]) -> bool:
    candidates = [info for info in infos if info.header_row is not None]
    if len(candidates) < 2:
        return False
    return candidates[1].score >= candidates[0].score * _AMBIGUITY_RATIO


def _warnings(mapping: ColumnMapping, sample: list[list[CellValue]]) -> list[str]:
    warnings = list(mapping.notes)
    fields = mapping.fields()
    if Field.NAME not in fields:
        warnings.append("No column is mapped to the name: every row would be rejected.")
    if Field.PRICE not in fields:
        warnings.append("No price column was found; items will have no price.")
    for index in mapping.indexes(Field.PRICE):
        parsed = [
            parse_price(row[index])
            for row in sample
            if index < len(row) and not is_blank(row[index])
        ]
        if parsed and all(price is None or price.amount is None for price in parsed):
            header = next(column.key for column in mapping.columns if column.index == index)
            reason = "text" if any(p and p.note == NOTE_NO_NUMBER for p in parsed) else "no numbers"
            warnings.append(
                f"The price column '{header}' contains {reason} in every sampled row; "
                "prices will be kept as text only."
            )
    return warnings
