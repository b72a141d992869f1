"""Small in-memory CSV/XLSX builders for the importer tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence

import openpyxl

from knowledge.importing import ParsedItem, RejectedRow, read_price_list


def csv_file(text: str, encoding: str = "utf-8") -> io.BytesIO:
    """A CSV upload with the given text and encoding."""
    return io.BytesIO(text.encode(encoding))


def xlsx_file(sheets: dict[str, Sequence[Sequence[object]]]) -> io.BytesIO:
    """A workbook with one sheet per entry, rows written from A1."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def rewrite_zip(source: io.BytesIO, edit: Callable[[str, bytes], bytes]) -> io.BytesIO:
    """Copy a zip, passing every member through ``edit(name, data)``."""
    source.seek(0)
    target = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, edit(info.filename, old.read(info.filename)))
    target.seek(0)
    return target


def read_all(
    fileobj: io.BytesIO, filename: str, **options: object
) -> tuple[list[ParsedItem], list[RejectedRow]]:
    """Read a whole upload; return items and rejected rows."""
    with read_price_list(fileobj, filename, **options) as result:  # type: ignore[arg-type]
        out = list(result)
    return (
        [entry for entry in out if isinstance(entry, ParsedItem)],
        [entry for entry in out if isinstance(entry, RejectedRow)],
    )
