"""Opening uploaded price lists: type, encoding and delimiter detection, safe XLSX access.

Everything here streams: CSV is decoded through a text wrapper over the binary file and
XLSX is read with openpyxl in read-only mode, so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO
from xml.parsers import expat

from .cells import CellValue, row_is_blank
from .errors import ImportErrorCode, ImportFileError

RowTuple = tuple[int, list[CellValue]]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_CSV_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
_XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
_SAMPLE_BYTES = 64 * 1024
_SCAN_CHUNK = 1024 * 1024
_DELIMITERS = ",;\t|"
_NON_ASCII_RE = re.compile(rb"[\x80-\xff]")
_CONTROL_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD_RE = re.compile(r"[^\W\d_]+")
_COMMON_CYRILLIC = frozenset("оеаинтсрвлі")
_SINGLE_BYTE_CANDIDATES = ("cp1251", "koi8-r", "cp1252")
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_SHEET_DATA_END_RE = re.compile(rb"</(?:\w+:)?sheetData>")
_SHEET_TAG_RE = re.compile(r"<(?:\w+:)?sheet\b([^>]*)>")
_REL_TAG_RE = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTR_RE = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')
_MAX_MERGES = 200_000
_SHEET_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_WORKSHEET_ROOT = f"{_SHEET_MAIN_NS}}}worksheet"  # as expat names it with a "}" separator
_EMPTY_WORKSHEET = f'<worksheet xmlns="{_SHEET_MAIN_NS}"><sheetData/></worksheet>'.encode()
_UTF8_DECLARATION_RE = re.compile(rb"""encoding\s*=\s*["']utf-8["']""", re.I)


class SourceKind(StrEnum):
    """What kind of file was uploaded."""

    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety limits for reading untrusted uploads."""

    max_bytes: int = 200 * 1024 * 1024
    max_uncompressed_bytes: int = 1024 * 1024 * 1024
    max_compression_ratio: float = 100.0
    ratio_check_min_bytes: int = 10 * 1024 * 1024
    empty_run_limit: int = 1000
    max_columns: int = 1000


DEFAULT_LIMITS = Limits()


def open_source(
    fileobj: BinaryIO, filename: str, *, limits: Limits = DEFAULT_LIMITS
) -> CsvSource | XlsxSource:
    """Open an uploaded ``.csv`` or ``.xlsx`` (binary, seekable file object) for reading.

    The type comes from the file's magic bytes first and its extension second, so an
    Excel file renamed ``.csv`` still opens. Raises ``ImportFileError`` when the file is
    empty, too large, binary junk, not a valid workbook or a zip bomb.
    """
    size = _file_size(fileobj)
    if size == 0:
        raise ImportFileError(ImportErrorCode.EMPTY_FILE, "The file is empty.")
    if size > limits.max_bytes:
        raise ImportFileError(
            ImportErrorCode.FILE_TOO_LARGE,
            f"The file is {size:,} bytes; the limit is {limits.max_bytes:,} bytes.",
        )
    fileobj.seek(0)
    magic = fileobj.read(8)
    fileobj.seek(0)
    extension = posixpath.splitext(filename.lower())[1]
    if magic.startswith(_ZIP_MAGIC):
        return XlsxSource(fileobj, filename, limits)
    if magic.startswith(_OLE_MAGIC):
        raise ImportFileError(
            ImportErrorCode.UNSUPPORTED_FORMAT,
            "This is an old Excel .xls (or another legacy Office) file. "
            "Save it as .xlsx or .csv and upload it again.",
        )
    if extension in _XLSX_EXTENSIONS:
        raise ImportFileError(
            ImportErrorCode.INVALID_XLSX,
            "The file is named .xlsx but is not an Excel workbook (it is not a zip archive).",
        )
    if extension in _CSV_EXTENSIONS:
        return CsvSource(fileobj, filename, limits)
    raise ImportFileError(
        ImportErrorCode.UNSUPPORTED_FORMAT,
        f"Unsupported file type {extension or '(no extension)'}: upload a .csv or .xlsx file.",
    )


def _file_size(fileobj: BinaryIO) -> int:
    try:
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
    except (OSError, ValueError) as exc:
        raise ImportFileError(
            ImportErrorCode.UNSUPPORTED_FORMAT, "The upload cannot be read (not seekable)."
        ) from exc
    fileobj.seek(0)
    return size


# --- CSV -------------------------------------------------------------------------------


def detect_encoding(fileobj: BinaryIO) -> str:
    """Guess the text encoding of a CSV without reading it into memory.

    A BOM wins. Otherwise the first window of non-ASCII bytes decides: UTF-8 when it
    decodes strictly, else the single-byte code page whose text looks most like words.
    """
    fileobj.seek(0)
    head = fileobj.read(_SAMPLE_BYTES)
    fileobj.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    _reject_binary(head)
    window = head if _NON_ASCII_RE.search(head) else _first_non_ascii_window(fileobj)
    fileobj.seek(0)
    if window is None:
        return "utf-8"
    if _decodes_as_utf8(window):
        return "utf-8"
    return _best_single_byte_encoding(window)


def _reject_binary(chunk: bytes) -> None:
    if b"\x00" in chunk or len(_CONTROL_RE.findall(chunk)) > max(2, len(chunk) // 100):
        raise ImportFileError(
            ImportErrorCode.BINARY_FILE,
            "The file contains binary data, not text: it is not a CSV file.",
        )


def _first_non_ascii_window(fileobj: BinaryIO) -> bytes | None:
    # ASCII-only heads are common (English headers); the deciding bytes may come much later.
    fileobj.seek(0)
    while chunk := fileobj.read(_SCAN_CHUNK):
        _reject_binary(chunk)
        match = _NON_ASCII_RE.search(chunk)
        if match:
            start = max(0, match.start() - 64)
            window = chunk[start : start + _SAMPLE_BYTES]
            if len(window) < _SAMPLE_BYTES:
                window += fileobj.read(_SAMPLE_BYTES - len(window))
            return window
    return None


def _decodes_as_utf8(window: bytes) -> bool:
    # Skip continuation bytes a chunk boundary may have cut; allow a cut at the end.
    start = 0
    while start < min(3, len(window)) and 0x80 <= window[start] <= 0xBF:
        start += 1
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(window[start:], final=False)
    except UnicodeDecodeError:
        return False
    return True


def _best_single_byte_encoding(window: bytes) -> str:
    best_encoding, best_score = "", -1.0
    for encoding in _SINGLE_BYTE_CANDIDATES:
        try:
            text = window.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text, cyrillic=encoding != "cp1252")
        if score > best_score:
            best_encoding, best_score = encoding, score
    if not best_encoding:
        raise ImportFileError(
            ImportErrorCode.UNKNOWN_ENCODING,
            "The text encoding of the file could not be recognised; save it as UTF-8 CSV.",
        )
    return best_encoding


def _plausibility(text: str, *, cyrillic: bool) -> float:
    """Score 0..1: how much the non-ASCII words look like real words in this script."""
    words = [word for word in _WORD_RE.findall(text) if not word.isascii()]
    if not words:
        return 0.0 if cyrillic else 0.01
    good = 0
    common = cyrillic_letters = 0
    for word in words:
        has_cyrillic = any("\u0400" <= char <= "\u04ff" for char in word)
        has_latin = any(char.isascii() for char in word)
        if cyrillic:
            if has_cyrillic and not has_latin:
                good += 1
            for char in word.casefold():
                if "\u0400" <= char <= "\u04ff":
                    cyrillic_letters += 1
                    common += char in _COMMON_CYRILLIC
        else:
            non_ascii = sum(not char.isascii() for char in word)
            # Western words carry an accent here and there; mis-decoded Cyrillic is all accents.
            good += non_ascii * 2 <= len(word) and not has_cyrillic
    word_score = good / len(words)
    if cyrillic:
        return word_score * (common / cyrillic_letters if cyrillic_letters else 0.0)
    return word_score * 0.7


def detect_delimiter(sample: str) -> str:
    """Pick the CSV delimiter (``,`` ``;`` tab or ``|``): csv.Sniffer, checked by field counts."""
    lines = sample[: sample.rfind("\n")] if "\n" in sample else sample
    sniffed: str | None
    try:
        sniffed = csv.Sniffer().sniff(lines, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    scores = {delimiter: _delimiter_score(lines, delimiter) for delimiter in _DELIMITERS}
    best = max(scores, key=lambda delimiter: scores[delimiter])
    if sniffed in scores and scores[sniffed] >= scores[best] * 0.9 and scores[sniffed] > 0:
        return sniffed
    return best if scores[best] > 0 else ","


def _delimiter_score(lines: str, delimiter: str) -> float:
    """Consistency of field counts over the first rows: modal count times its share."""
    counts: list[int] = []
    try:
        for record in csv.reader(io.StringIO(lines), delimiter=delimiter):
            if record:
                counts.append(len(record))
            if len(counts) >= 50:
                break
    except csv.Error:
        return 0.0
    if not counts:
        return 0.0
    modal = max(set(counts), key=counts.count)
    if modal < 2:
        return 0.0
    share = sum(count == modal for count in counts) / len(counts)
    multi_field = sum(count >= 2 for count in counts) / len(counts)
    return share * multi_field * min(modal, 50)


class CsvSource:
    """A CSV file opened for repeated streaming passes."""

    kind = SourceKind.CSV

    def __init__(self, fileobj: BinaryIO, filename: str, limits: Limits) -> None:
        self._fileobj = fileobj
        self.filename = filename
        self.limits = limits
        self.encoding = detect_encoding(fileobj)
        self.delimiter = detect_delimiter(self._text_sample())
        self.truncated_at: int | None = None

    @property
    def sheet_names(self) -> list[str]:
        """A CSV has one implicit sheet, named after the file."""
        return [posixpath.basename(self.filename)]

    def _text_sample(self) -> str:
        self._fileobj.seek(0)
        raw = self._fileobj.read(_SAMPLE_BYTES)
        self._fileobj.seek(0)
        return codecs.getincrementaldecoder(self.encoding)("replace").decode(raw, final=False)

    def rows(self, sheet: str | None = None) -> Iterator[RowTuple]:
        """Yield ``(row_number, values)`` for every record; row numbers count records."""
        self._fileobj.seek(0)
        wrapper = io.TextIOWrapper(self._fileobj, encoding=self.encoding, newline="")
        row_number = 0
        max_columns = self.limits.max_columns
        try:
            reader = csv.reader(wrapper, delimiter=self.delimiter)
            for record in reader:
                row_number += 1
                # csv.reader makes a new list per record: no copy unless it is too wide.
                yield row_number, record if len(record) <= max_columns else record[:max_columns]
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                ImportErrorCode.UNKNOWN_ENCODING,
                f"Row {row_number + 1} is not valid {self.encoding} text; "
                "the file mixes encodings or contains binary data.",
            ) from exc
        except csv.Error as exc:
            code = (
                ImportErrorCode.BINARY_FILE if "NUL" in str(exc) else ImportErrorCode.MALFORMED_CSV
            )
            raise ImportFileError(code, f"Row {row_number + 1} cannot be read: {exc}.") from exc
        finally:
            # Detaching keeps the caller's file open when the wrapper is garbage collected.
            wrapper.detach()

    def close(self) -> None:
        """Nothing to release: the caller owns the file object."""


# --- XLSX ------------------------------------------------------------------------------


def check_zip_safety(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse archives whose declared sizes or compression ratios betray a zip bomb."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_check_min_bytes and ratio > limits.max_compression_ratio:
            raise ImportFileError(
                ImportErrorCode.ZIP_BOMB,
                f"The workbook part {info.filename} expands {ratio:,.0f} times "
                f"to {info.file_size:,} bytes; this looks like a zip bomb.",
            )
    if total > limits.max_uncompressed_bytes:
        raise ImportFileError(
            ImportErrorCode.ZIP_BOMB,
            f"The workbook expands to {total:,} bytes "
            f"(limit {limits.max_uncompressed_bytes:,}); this looks like a zip bomb.",
        )


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map sheet names to their XML part, read from workbook.xml and its relationships.

    Only tag attributes are needed, so a regular expression is enough and no XML parser
    sees the untrusted parts.
    """
    try:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    targets = {}
    for tag in _REL_TAG_RE.finditer(rels):
        attributes = _attributes(tag.group(1))
        targets[attributes.get("Id", "")] = attributes.get("Target", "")
    paths: dict[str, str] = {}
    for tag in _SHEET_TAG_RE.finditer(workbook):
        attributes = _attributes(tag.group(1))
        target = targets.get(attributes.get("id", ""), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            paths[attributes.get("name", "")] = posixpath.normpath(path)
    return paths


def _attributes(text: str) -> dict[str, str]:
    """Attributes of one tag by local name (``r:id`` -> ``id``), entities unescaped."""
    return {name.rpartition(":")[2]: html.unescape(value) for name, value in _ATTR_RE.findall(text)}


def read_vertical_merges(archive: zipfile.ZipFile, path: str) -> dict[int, list[tuple[int, int]]]:
    """Return merged ranges spanning several rows as ``{first_row: [(column, last_row)]}``.

    Read-only openpyxl does not expose merged cells; they sit after ``sheetData``, so the
    part is decompressed in chunks and only the tail is searched.
    """
    merges: dict[int, list[tuple[int, int]]] = {}
    tail = b""
    after_data = False
    count = 0
    try:
        with archive.open(path) as part:
            while chunk := part.read(_SCAN_CHUNK):
                buffer = tail + chunk
                if not after_data:
                    # The plain search skips the regular expression on all the cell data.
                    end = _SHEET_DATA_END_RE.search(buffer) if b"sheetData>" in buffer else None
                    if end is None:
                        tail = buffer[-32:]
                        continue
                    after_data = True
                    buffer = buffer[end.end() :]
                cut = buffer.rfind(b">") + 1
                for match in _MERGE_RE.finditer(buffer[:cut]):
                    first_row, last_row = int(match.group(2)), int(match.group(4))
                    if last_row > first_row and count < _MAX_MERGES:
                        column = _column_index(match.group(1).decode())
                        merges.setdefault(first_row, []).append((column, last_row))
                        count += 1
                tail = buffer[cut:]
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    return merges


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


class XlsxSource:
    """An XLSX workbook opened read-only, with cached formula values."""

    kind = SourceKind.XLSX
    encoding: str | None = None
    delimiter: str | None = None

    def __init__(self, fileobj: BinaryIO, filename: str, limits: Limits) -> None:
        self.filename = filename
        self.limits = limits
        self.truncated_at: int | None = None
        try:
            self._archive = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ImportFileError(
                ImportErrorCode.INVALID_XLSX, "The file is not a valid .xlsx workbook."
            ) from exc
        check_zip_safety(self._archive, limits)
        if "xl/workbook.xml" not in self._archive.namelist():
            raise ImportFileError(
                ImportErrorCode.INVALID_XLSX,
                "The file is a zip archive but not an Excel workbook (no xl/workbook.xml).",
            )
        self._paths = _sheet_paths(self._archive)
        self._merges: dict[str, dict[int, list[tuple[int, int]]]] = {}
        unsized = frozenset(
            path
            for path in set(self._paths.values())
            if _size_scan_finds_nothing(self._archive, path)
        )
        self._workbook = self._load_workbook(fileobj, unsized)
        self.sheet_names = [ws.title for ws in self._workbook.worksheets]
        if not self.sheet_names:
            raise ImportFileError(ImportErrorCode.NO_SHEETS, "The workbook has no worksheets.")

    @staticmethod
    def _load_workbook(fileobj: BinaryIO, unsized: frozenset[str]) -> Any:
        """``openpyxl.load_workbook(fileobj, read_only=True, data_only=True)``, minus a scan.

        Loading, openpyxl scans every worksheet part for its ``<dimension>``, and without
        one it parses the whole part: for a file written by openpyxl's write-only mode
        that is about a quarter of the reading time. ``unsized`` holds the parts already known to
        give that scan nothing (see ``_size_scan_finds_nothing``); they are shown to it
        as an empty sheet. The dimension is not used here anyway (``reset_dimensions``).
        """
        from openpyxl.reader.excel import ExcelReader  # openpyxl ships no type hints

        fileobj.seek(0)
        try:
            with warnings.catch_warnings():
                # Harmless complaints about headers/footers or data validation extensions.
                warnings.simplefilter("ignore")
                # What load_workbook does, with the archive wrapped while it loads.
                reader = ExcelReader(fileobj, read_only=True, data_only=True)
                archive = reader.archive
                reader.archive = _UnsizedArchive(archive, unsized)
                reader.read()
                reader.wb._archive = archive  # the rows are read from the real parts
                return reader.wb
        except Exception as exc:  # openpyxl raises many unrelated types for broken parts
            raise ImportFileError(
                ImportErrorCode.INVALID_XLSX, f"The workbook cannot be opened: {exc}"
            ) from exc

    def rows(self, sheet: str | None = None) -> Iterator[RowTuple]:
        """Yield ``(row_number, values)``; stop after a long run of empty rows.

        The declared sheet dimension is ignored: files with a million formatted but empty
        rows (or a lying ``dimension``) would otherwise be walked to the end.
        """
        name = sheet if sheet is not None else self.sheet_names[0]
        if name not in self.sheet_names:
            raise ImportFileError(
                ImportErrorCode.SHEET_NOT_FOUND, f"The workbook has no sheet named {name!r}."
            )
        worksheet = self._workbook[name]
        worksheet.reset_dimensions()
        if name not in self._merges:
            # Each pass over a sheet needs them; finding them means inflating the whole part.
            self._merges[name] = read_vertical_merges(self._archive, self._paths.get(name, ""))
        merges = self._merges[name]
        self.truncated_at = None
        yield from self._iter_rows(worksheet, merges)

    def _iter_rows(
        self, worksheet: object, merges: dict[int, list[tuple[int, int]]]
    ) -> Iterator[RowTuple]:
        limit = self.limits.empty_run_limit
        max_columns = self.limits.max_columns
        carried: dict[int, tuple[int, CellValue]] = {}
        empty_run = 0
        row_number = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for raw in worksheet.iter_rows(min_row=1, min_col=1, values_only=True):  # type: ignore[attr-defined]
                row_number += 1
                values = list(raw) if len(raw) <= max_columns else list(raw[:max_columns])
                if merges or carried:
                    _apply_merges(row_number, values, merges, carried)
                if row_is_blank(values):
                    empty_run += 1
                    if empty_run >= limit:
                        self.truncated_at = row_number - empty_run + 1
                        return
                else:
                    empty_run = 0
                yield row_number, values

    def close(self) -> None:
        """Release the workbook and the archive (the caller still owns the file object)."""
        self._workbook.close()
        self._archive.close()


def _size_scan_finds_nothing(archive: zipfile.ZipFile, path: str) -> bool:
    """True when openpyxl's size scan of this worksheet part would read it all for nothing.

    That scan (``parse_dimensions``, run as the workbook loads) parses the part with
    ElementTree until a ``<dimension>`` element, or through ``sheetData`` when there is
    none, building every element on the way; an XML error in the part makes the load fail.
    Here the same expat parser checks the whole part without building anything, several
    times faster. Only a plain UTF-8 ``worksheet`` part that parses cleanly and nowhere
    contains the word "dimension" (nor a DOCTYPE, whose entities ElementTree handles its
    own way) passes; for anything else openpyxl's own scan runs, with its own errors.
    """
    roots: list[str] = []
    parser = expat.ParserCreate(None, "}")

    def root_found(name: str, attributes: object) -> None:
        roots.append(name)
        parser.StartElementHandler = None  # only the root is needed

    parser.StartElementHandler = root_found
    try:
        with archive.open(path) as part:
            chunk = part.read(_SAMPLE_BYTES)
            if not _plain_utf8_xml(chunk):
                return False
            tail = b""
            while chunk:
                window = tail + chunk
                if b"dimension" in window or b"<!DOCTYPE" in window:
                    return False
                parser.Parse(chunk, False)
                tail = chunk[-16:]
                chunk = part.read(_SCAN_CHUNK)
            parser.Parse(b"", True)
    except Exception:  # noqa: BLE001 - XML, zip, CRC ... errors: openpyxl will report them
        return False
    return roots[:1] == [_WORKSHEET_ROOT]


def _plain_utf8_xml(head: bytes) -> bool:
    """The part starts as UTF-8 XML: a declaration naming no other encoding, or a tag."""
    head = head.removeprefix(codecs.BOM_UTF8)
    if head.startswith(b"<?xml"):
        end = head.find(b"?>")
        declaration = head[:end]
        return end > 0 and (
            b"encoding" not in declaration or _UTF8_DECLARATION_RE.search(declaration) is not None
        )
    return head[:1] == b"<" and head[1:2].isalpha()


class _UnsizedArchive:
    """The workbook archive as openpyxl's loader sees it: the ``unsized`` parts open empty.

    While loading read-only, openpyxl opens worksheet parts only for the size scan, so
    only that scan sees the empty sheet; it finds no dimension there, as it would not
    have in the real part. Everything else goes to the real archive.
    """

    def __init__(self, archive: zipfile.ZipFile, unsized: frozenset[str]) -> None:
        self._archive = archive
        self._unsized = unsized

    def open(self, name: str | zipfile.ZipInfo, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs and name in self._unsized:
            return io.BytesIO(_EMPTY_WORKSHEET)
        return self._archive.open(name, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._archive, name)


def _apply_merges(
    row_number: int,
    values: list[CellValue],
    merges: dict[int, list[tuple[int, int]]],
    carried: dict[int, tuple[int, CellValue]],
) -> None:
    """Copy the value of a vertically merged cell down into the rows it covers."""
    for column, last_row in merges.get(row_number, ()):
        carried[column] = (last_row, values[column - 1] if column <= len(values) else None)
    for column, (last_row, value) in list(carried.items()):
        if row_number > last_row:
            del carried[column]
            continue
        if value is None:
            continue
        while len(values) < column:
            values.append(None)
        if values[column - 1] is None:
            values[column - 1] = value
