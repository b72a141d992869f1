"""Writes on knowledge bases: bases and items, and the import of a price list."""

from __future__ import annotations

import logging
import re
import zipfile
from collections import Counter
from datetime import timedelta
from itertools import islice
from typing import NamedTuple
from xml.etree import ElementTree

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.companies.models import Company
from tenants.transactions import on_commit_in_schema

from .errors import KnowledgeError, KnowledgeErrorCode
from .importing import (
    Field,
    ImportFileError,
    Limits,
    ParsedItem,
    Preview,
    RejectCode,
    RejectedRow,
    preview,
    read_price_list,
)
from .matching import match_key
from .messages import file_error_message
from .models import ImportJob, ImportRejectedRow, Item, KnowledgeBase
from .writer import ItemWriter, item_row

logger = logging.getLogger(__name__)

ITEM_FIELDS = (
    "name",
    "description",
    "sku",
    "price",
    "price_text",
    "currency",
    "category",
    "unit",
    "website",
    "tags",
    "image_urls",
    "availability",
    "duration",
    "format",
    "attributes",
)
BATCH_SIZE = 2000
#: Skipped rows kept for the report and its download; the rest are only counted.
REJECTED_KEPT = 10_000
PROGRESS_TTL = 24 * 3600


def import_limits() -> Limits:
    return Limits(max_bytes=settings.KNOWLEDGE_IMPORT_MAX_BYTES)


# -- knowledge bases -------------------------------------------------------------------------


def knowledge_base_create(*, company: Company, name: str, kind: str | None = None) -> KnowledgeBase:
    if kind is None:
        kind = (
            KnowledgeBase.Kind.SERVICE
            if company.kind == Company.Kind.SERVICE
            else KnowledgeBase.Kind.PRODUCT
        )
    knowledge_base = KnowledgeBase(company=company, name=name.strip(), kind=kind)
    knowledge_base.full_clean()
    knowledge_base.save()
    return knowledge_base


def knowledge_base_update(*, knowledge_base: KnowledgeBase, name: str, kind: str) -> KnowledgeBase:
    knowledge_base.name = name.strip()
    knowledge_base.kind = kind
    knowledge_base.full_clean()
    knowledge_base.save(update_fields=["name", "kind", "updated_at"])
    return knowledge_base


def knowledge_base_delete(*, knowledge_base: KnowledgeBase) -> None:
    files = [job.file for job in knowledge_base.imports.all() if job.file]
    knowledge_base.delete()
    for stored in files:
        transaction.on_commit(lambda stored=stored: stored.storage.delete(stored.name))


# -- items -----------------------------------------------------------------------------------


def _item_save(item: Item) -> Item:
    item.full_clean(exclude=["match_key", "description_text", "search_document"])
    key = match_key(item.sku, item.name, item.category)
    clash = Item.objects.filter(knowledge_base=item.knowledge_base, match_key=key)
    if item.pk:
        clash = clash.exclude(pk=item.pk)
    if clash.exists():
        message = (
            _("Another item already has the SKU %(sku)s.") % {"sku": item.sku}
            if item.sku
            else _("Another item in this category is already called %(name)s.")
            % {"name": item.name}
        )
        raise KnowledgeError(KnowledgeErrorCode.DUPLICATE_ITEM, message)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as error:  # a concurrent save took the key in between
        raise KnowledgeError(
            KnowledgeErrorCode.DUPLICATE_ITEM, _("Another item with the same SKU or name exists.")
        ) from error
    return item


def item_create(*, knowledge_base: KnowledgeBase, **fields) -> Item:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Not item fields: {sorted(unknown)}")
    last = knowledge_base.items.order_by("-position").values_list("position", flat=True).first()
    item = Item(knowledge_base=knowledge_base, position=(last or 0) + 1, **fields)
    return _item_save(item)


def item_update(*, item: Item, **fields) -> Item:
    for field, value in fields.items():
        if field not in ITEM_FIELDS:
            raise TypeError(f"Not an item field: {field}")
        if field == "price" and value != item.price:
            # A number typed by a person replaces what the file said ("от 2000", "по запросу").
            item.price_note = ""
            item.price_text = "" if value is None else str(value)
        setattr(item, field, value)
    return _item_save(item)


def item_media_set(*, item: Item, media: list) -> None:
    """Show these media files with the item (only files of the base's own folder)."""
    allowed = [file for file in media if file.folder == item.knowledge_base.kind]
    item.media.set(allowed)


def items_delete(*, knowledge_base: KnowledgeBase, ids: list[int]) -> int:
    _total, by_model = Item.objects.filter(knowledge_base=knowledge_base, pk__in=ids).delete()
    return by_model.get("knowledge.Item", 0)


# -- import: upload, preview, confirm, run, cancel --------------------------------------------


def import_upload(
    *, knowledge_base: KnowledgeBase, upload: UploadedFile, user_email: str = ""
) -> ImportJob:
    """Keep the uploaded file and check that it can be read; nothing is imported yet.

    A file that cannot be read at all (empty, binary, too large, no header...) raises
    ``KnowledgeError`` with the reason and is not kept.
    """
    limit = settings.KNOWLEDGE_IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise KnowledgeError(
            KnowledgeErrorCode.FILE_REFUSED,
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(upload.size / 2**20, 1), "limit": round(limit / 2**20)},
        )
    try:
        upload.seek(0)
        detected = preview(upload, upload.name, rows=1, limits=import_limits())
    except ImportFileError as error:
        raise KnowledgeError(KnowledgeErrorCode.FILE_REFUSED, file_error_message(error)) from error
    upload.seek(0)
    job = ImportJob(
        knowledge_base=knowledge_base,
        original_filename=upload.name[:255],
        size=upload.size or 0,
        sheet=detected.result.sheet,
        sheets=[
            {"name": info.name, "header_row": info.header_row, "data_rows": info.data_rows}
            for info in detected.result.sheets
        ],
        sheet_ambiguous=detected.result.ambiguous,
        header_row=detected.header.row_number,
        mapping={str(k): v or "" for k, v in detected.mapping.as_dict().items()},
        created_by=user_email,
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    return job


def import_preview(
    *,
    job: ImportJob,
    sheet: str | None = None,
    header_row: int | None = None,
    mapping: dict[int, str | None] | None = None,
    rows: int = 10,
) -> Preview:
    """Read the first rows of the stored file with the given (or the job's) choices."""
    try:
        with job.file.open("rb") as stored:
            return preview(
                stored,
                job.original_filename,
                rows=rows,
                sheet=sheet or job.sheet or None,
                header_row=header_row or job.header_row,
                mapping=mapping,
                limits=import_limits(),
            )
    except ImportFileError as error:
        raise KnowledgeError(KnowledgeErrorCode.FILE_REFUSED, file_error_message(error)) from error


def import_confirm(
    *,
    job: ImportJob,
    sheet: str,
    header_row: int,
    mapping: dict[int, str | None],
    mode: str,
    background: bool = True,
) -> ImportJob:
    """Save the user's choices and queue the import (after this transaction commits).

    ``background=False`` imports at once in this process (demo data, management commands).
    """
    from .tasks import import_run_task

    if job.status != ImportJob.Status.UPLOADED:
        raise KnowledgeError(
            KnowledgeErrorCode.IMPORT_NOT_READY, _("This import has already been started.")
        )
    _mapping_check(mapping)
    job.sheet = sheet
    job.header_row = header_row
    job.mapping = {str(index): field or "" for index, field in mapping.items()}
    job.mode = mode
    job.status = ImportJob.Status.QUEUED
    job.total_rows = _estimate_rows(job)
    job.save()
    progress_set(job, processed=0)
    if not background:
        return import_run(job_id=job.pk)
    on_commit_in_schema(lambda: import_run_task.delay(job.pk))
    return job


def _mapping_check(mapping: dict[int, str | None]) -> None:
    known = {field.value for field in Field}
    unknown = sorted({value for value in mapping.values() if value and value not in known})
    if unknown:
        raise KnowledgeError(
            KnowledgeErrorCode.MAPPING_INVALID,
            _("Unknown item fields: %(fields)s.") % {"fields": ", ".join(unknown)},
        )
    if Field.NAME.value not in mapping.values():
        raise KnowledgeError(
            KnowledgeErrorCode.MAPPING_INVALID, _("Choose the column that holds the item names.")
        )


def import_cancel(*, job: ImportJob) -> ImportJob:
    """Ask a queued or running import to stop; the knowledge base stays as it was."""
    if job.is_finished:
        raise KnowledgeError(
            KnowledgeErrorCode.IMPORT_FINISHED, _("This import has already finished.")
        )
    if job.status in (ImportJob.Status.UPLOADED, ImportJob.Status.QUEUED):
        changed = ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportJob.Status.UPLOADED, ImportJob.Status.QUEUED]
        ).update(
            status=ImportJob.Status.CANCELLED, cancel_requested=True, finished_at=timezone.now()
        )
        if changed:
            job.refresh_from_db()
            return job
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    return job


class ImportCancelled(Exception):
    pass


def import_run(*, job_id: int) -> ImportJob:
    """The worker's part: read the whole file and write it in one transaction."""
    started = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("knowledge_base").get(pk=job_id)
    if not started:  # cancelled before it started, or a repeated delivery
        return job
    report = _Report()
    try:
        counts = _import_rows(job, report)
    except ImportCancelled:
        _finish(job, report, status=ImportJob.Status.CANCELLED)
    except ImportFileError as error:
        _finish(
            job,
            report,
            status=ImportJob.Status.FAILED,
            error=(error.code.value, file_error_message(error)),
        )
    except Exception:
        logger.exception("import %s failed", job_id)
        _finish(
            job,
            report,
            status=ImportJob.Status.FAILED,
            error=(
                "internal",
                _(
                    "The import failed unexpectedly; the knowledge base was not changed. "
                    "Please try again."
                ),
            ),
        )
    else:
        job.created_count, job.updated_count, job.deleted_count = (
            counts.created,
            counts.updated,
            counts.deleted,
        )
        _finish(job, report, status=ImportJob.Status.SUCCEEDED)
    return job


class _Skipped(NamedTuple):
    row_number: int
    reason_code: str
    reason_text: str
    values: tuple[str, ...]


class _Report:
    def __init__(self) -> None:
        self.rejected: list[_Skipped] = []
        self.summary: Counter[str] = Counter()
        self.rows = 0
        self.merged = 0
        self.warnings: list[str] = []

    def reject(self, row: RejectedRow | _Skipped) -> None:
        code = str(row.reason_code)
        self.summary[code] += 1
        if code != RejectCode.EMPTY_ROW and len(self.rejected) < REJECTED_KEPT:
            self.rejected.append(_Skipped(row.row_number, code, row.reason_text, tuple(row.values)))


def _import_rows(job: ImportJob, report: _Report):
    knowledge_base = job.knowledge_base
    mapping = {int(index): (field or None) for index, field in job.mapping.items()}
    seen: dict[str, int] = {}
    position = 0
    with (
        job.file.open("rb") as stored,
        read_price_list(
            stored,
            job.original_filename,
            sheet=job.sheet or None,
            header_row=job.header_row,
            mapping=mapping or None,
            limits=import_limits(),
        ) as result,
        transaction.atomic(),
    ):
        report.warnings = list(result.warnings)
        writer = ItemWriter(knowledge_base)
        entries = iter(result)
        while batch := list(islice(entries, BATCH_SIZE)):
            rows = []
            for entry in batch:
                if isinstance(entry, ParsedItem):
                    key = match_key(entry.sku, entry.name, entry.category)
                    first = seen.get(key)
                    if first is not None:
                        report.reject(_duplicate(entry, first))
                        continue
                    seen[key] = entry.source_row
                    position += 1
                    rows.append(item_row(entry, key=key, position=position))
                else:
                    report.reject(entry)
            writer.write(rows)
            report.rows = result.stats.rows
            progress_set(job, processed=report.rows)
            if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                raise ImportCancelled
        report.rows = result.stats.rows
        report.merged = result.stats.merged
        if result.truncated_at:
            report.warnings.append(
                _("Reading stopped at row %(row)s after a long run of empty rows.")
                % {"row": result.truncated_at}
            )
        progress_set(job, processed=report.rows, phase="saving")
        counts = writer.finish(replace=job.mode == ImportJob.Mode.REPLACE)
        knowledge_base.columns = [
            {
                "header": column.header,
                "key": column.key,
                "field": column.field.value if column.field else "",
            }
            for column in result.mapping.columns
        ]
        knowledge_base.source_filename = job.original_filename
        knowledge_base.save(update_fields=["columns", "source_filename", "updated_at"])
    return counts


DUPLICATE_NAME = "duplicate_name"


def _duplicate(entry: ParsedItem, first_row: int) -> _Skipped:
    if entry.sku:
        code, text = RejectCode.DUPLICATE_SKU.value, f"Same SKU {entry.sku} as row {first_row}"
    else:
        code, text = DUPLICATE_NAME, f"Same name and category as row {first_row}"
    return _Skipped(
        entry.source_row,
        code,
        f"{text}; the first one was kept.",
        (entry.sku or "", entry.name, entry.category or "", entry.price_text),
    )


def _finish(
    job: ImportJob, report: _Report, *, status: str, error: tuple[str, str] | None = None
) -> None:
    job.status = status
    job.processed_rows = report.rows
    job.merged_count = report.merged
    job.skipped_count = sum(report.summary.values())
    job.skip_summary = dict(report.summary)
    job.warnings = report.warnings
    if error:
        job.error_code, job.error_message = error
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save()
        ImportRejectedRow.objects.filter(job=job).delete()
        ImportRejectedRow.objects.bulk_create(
            (
                ImportRejectedRow(
                    job=job,
                    row_number=row.row_number,
                    reason_code=row.reason_code,
                    reason=row.reason_text[:300],
                    values=list(row.values),
                )
                for row in report.rejected
            ),
            batch_size=1000,
        )
    cache.delete(progress_key(job))
    _file_discard(job)


def _file_discard(job: ImportJob) -> None:
    """The uploaded file is not needed once the import has ended: don't keep customer data."""
    if job.file:
        name, storage = job.file.name, job.file.storage
        transaction.on_commit(lambda: storage.delete(name))


UPLOAD_TTL = timedelta(hours=24)


def import_uploads_expire(*, now=None) -> int:
    """Close imports uploaded but never confirmed within a day, and delete their files."""
    cutoff = (now or timezone.now()) - UPLOAD_TTL
    expired = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.UPLOADED, created_at__lt=cutoff):
        changed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.UPLOADED).update(
            status=ImportJob.Status.CANCELLED,
            error_code="expired",
            error_message=_("The columns were not confirmed within a day; upload the file again."),
            finished_at=timezone.now(),
        )
        if changed:
            _file_discard(job)
            expired += 1
    return expired


def _estimate_rows(job: ImportJob) -> int | None:
    """Rows in the file, for the progress bar (lines of a CSV, the sheet's dimension in XLSX)."""
    try:
        with job.file.open("rb") as stored:
            head = stored.read(4)
            stored.seek(0)
            if head.startswith(b"PK"):
                return _xlsx_dimension_rows(stored, job.sheet)
            lines = 0
            while chunk := stored.read(1 << 20):
                lines += chunk.count(b"\n")
            return lines
    except Exception:  # an estimate only; the import itself reports real errors
        logger.warning("could not estimate the rows of import %s", job.pk, exc_info=True)
        return None


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _xlsx_dimension_rows(stored, sheet_name: str) -> int | None:
    """The last row of the sheet's declared dimension, read from the start of its XML.

    Loading the workbook would parse all of its shared strings just for this number.
    """
    # The upload already passed the reader's zip-bomb checks, and the expat bundled with
    # Python (2.4.1 and later) refuses entity-expansion attacks.
    with zipfile.ZipFile(stored) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
        targets = {
            rel.get("Id"): rel.get("Target", "") for rel in relations.iter(f"{_RELS}Relationship")
        }
        sheets = [element for element in workbook.iter() if element.tag.endswith("}sheet")]
        chosen = next((sheet for sheet in sheets if sheet.get("name") == sheet_name), None)
        if chosen is None and sheets:
            chosen = sheets[0]
        if chosen is None:
            return None
        target = targets.get(chosen.get(_OFFICE_REL), "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        with archive.open(path) as part:
            found = _DIMENSION.search(part.read(64 * 1024))
    if found is None:
        return None
    return int(found.group(1)) if found.group(1) else 1


# -- progress (in the cache: the import's own transaction is not visible until it ends) -------


def progress_key(job: ImportJob) -> str:
    return f"knowledge:import:{connection.schema_name}:{job.pk}"


def progress_set(job: ImportJob, *, processed: int, phase: str = "reading") -> None:
    cache.set(progress_key(job), {"processed": processed, "phase": phase}, PROGRESS_TTL)
