"""Reading price lists (CSV/XLSX exports of shops and Excel price lists) into items.

Pure Python, no Django: the import task feeds an uploaded file object in and writes the
resulting items in batches.
"""

from .errors import ImportErrorCode, ImportFileError
from .headers import ColumnMapping, ColumnSpec, Field, HeaderInfo, match_header, normalize_header
from .prices import ParsedPrice, parse_price
from .reader import Preview, ReadResult, SheetInfo, list_sheets, preview, read_price_list
from .rows import ParsedItem, ReadStats, RejectCode, RejectedRow
from .sources import Limits, SourceKind, open_source

__all__ = [
    "ColumnMapping",
    "ColumnSpec",
    "Field",
    "HeaderInfo",
    "ImportErrorCode",
    "ImportFileError",
    "Limits",
    "ParsedItem",
    "ParsedPrice",
    "Preview",
    "ReadResult",
    "ReadStats",
    "RejectCode",
    "RejectedRow",
    "SheetInfo",
    "SourceKind",
    "list_sheets",
    "match_header",
    "normalize_header",
    "open_source",
    "parse_price",
    "preview",
    "read_price_list",
]
