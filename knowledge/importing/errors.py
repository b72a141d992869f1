"""Errors raised when an uploaded price list cannot be read at all."""

from __future__ import annotations

from enum import StrEnum


class ImportErrorCode(StrEnum):
    """Machine-readable reason why a whole file was refused."""

    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_FORMAT = "unsupported_format"
    BINARY_FILE = "binary_file"
    UNKNOWN_ENCODING = "unknown_encoding"
    MALFORMED_CSV = "malformed_csv"
    INVALID_XLSX = "invalid_xlsx"
    ZIP_BOMB = "zip_bomb"
    SHEET_NOT_FOUND = "sheet_not_found"
    NO_SHEETS = "no_sheets"
    HEADER_NOT_FOUND = "header_not_found"


class ImportFileError(Exception):
    """The file cannot be imported; ``code`` says why, ``message`` says it to a person."""

    def __init__(self, code: ImportErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ImportFileError({self.code.value!r}, {self.message!r})"
