"""What people are told when a file or a row cannot be imported, in their language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .importing import ImportErrorCode, ImportFileError, RejectCode

FILE_ERRORS = {
    ImportErrorCode.EMPTY_FILE: gettext_lazy("The file is empty."),
    ImportErrorCode.FILE_TOO_LARGE: gettext_lazy("The file is larger than the upload limit."),
    ImportErrorCode.UNSUPPORTED_FORMAT: gettext_lazy(
        "Only .csv and .xlsx price lists can be imported. Save the file as CSV or as an "
        "Excel workbook (.xlsx) and try again."
    ),
    ImportErrorCode.BINARY_FILE: gettext_lazy(
        "This is not a text CSV file: it contains binary data. Was another kind of file "
        "renamed to .csv?"
    ),
    ImportErrorCode.UNKNOWN_ENCODING: gettext_lazy(
        "The text encoding of the file could not be recognised. Save it as UTF-8 and try again."
    ),
    ImportErrorCode.MALFORMED_CSV: gettext_lazy("The CSV file is malformed."),
    ImportErrorCode.INVALID_XLSX: gettext_lazy(
        "The file is not a valid Excel workbook (.xlsx); it may be damaged."
    ),
    ImportErrorCode.ZIP_BOMB: gettext_lazy(
        "The workbook unpacks to far more data than its size suggests, so it was refused as unsafe."
    ),
    ImportErrorCode.SHEET_NOT_FOUND: gettext_lazy("The chosen sheet is not in the workbook."),
    ImportErrorCode.NO_SHEETS: gettext_lazy("The workbook has no worksheets."),
    ImportErrorCode.HEADER_NOT_FOUND: gettext_lazy(
        "No header row was found: none of the first rows looks like column names such as "
        "'Name', 'Наименование', 'Price' or 'Цена'."
    ),
}

#: Codes whose reader message adds specifics (a line number, a size) worth showing.
_DETAILED = frozenset(
    {
        ImportErrorCode.FILE_TOO_LARGE,
        ImportErrorCode.MALFORMED_CSV,
        ImportErrorCode.INVALID_XLSX,
        ImportErrorCode.ZIP_BOMB,
        ImportErrorCode.SHEET_NOT_FOUND,
    }
)

SKIP_REASONS = {
    RejectCode.EMPTY_ROW.value: gettext_lazy("Empty row"),
    RejectCode.SECTION_HEADER.value: gettext_lazy("Section heading"),
    RejectCode.REPEATED_HEADER.value: gettext_lazy("Repeated header row"),
    RejectCode.TABLE_HEADER.value: gettext_lazy("Header of another table"),
    RejectCode.NO_NAME.value: gettext_lazy("No name"),
    RejectCode.DUPLICATE_SKU.value: gettext_lazy("Duplicate SKU"),
    RejectCode.ORPHAN_CONTINUATION.value: gettext_lazy("Variant or image row without its product"),
    "duplicate_name": gettext_lazy("Duplicate name in the same category"),
}


def file_error_message(error: ImportFileError) -> str:
    """The translated reason, followed by the reader's detail when it says more."""
    headline = FILE_ERRORS.get(error.code)
    if headline is None:
        return error.message
    if error.code not in _DETAILED:
        return str(headline)
    return _("%(reason)s (%(detail)s)") % {"reason": headline, "detail": error.message}


def skip_reason_label(code: str) -> str:
    return str(SKIP_REASONS.get(code, code))
