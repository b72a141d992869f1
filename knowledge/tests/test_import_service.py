"""Importing price lists into a knowledge base: upload, confirm, run, report, re-import."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from knowledge.errors import KnowledgeError
from knowledge.models import ImportJob, Item
from knowledge.services import (
    import_cancel,
    import_confirm,
    import_run,
    import_upload,
    knowledge_base_create,
)
from tenants.companies.models import Company

CATALOGS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "catalogs"

pytestmark = pytest.mark.usefixtures("in_business_a")


@pytest.fixture
def knowledge_base(in_business_a):
    company = Company.objects.get(name="Alpha Shop Main")
    return knowledge_base_create(company=company, name="Products")


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = (CATALOGS / name).read_bytes()
    return SimpleUploadedFile(name, content)


def run_import(knowledge_base, file: SimpleUploadedFile, *, mode="merge", mapping=None, sheet=None):
    job = import_upload(
        knowledge_base=knowledge_base, upload=file, user_email="owner-a@example.com"
    )
    chosen = mapping if mapping is not None else {int(k): v or None for k, v in job.mapping.items()}
    import_confirm(
        job=job, sheet=sheet or job.sheet, header_row=job.header_row, mapping=chosen, mode=mode
    )
    return import_run(job_id=job.pk)


CATALOG_COUNTS = {
    "rabotahorizont_price_ru.csv": 100,
    "prestashop_products_import.csv": 7,
    "shopify_packt_home_garden_export.csv": 20,
    "woocommerce_sample_products.csv": 18,
    "vashmaster_electrician_services_price.xlsx": 170,
    "dog_grooming_salon_price.xlsx": 226,
}


@pytest.mark.parametrize(("name", "count"), CATALOG_COUNTS.items())
def test_every_catalog_imports_with_the_right_number_of_items(knowledge_base, name, count):
    job = run_import(knowledge_base, upload(name))

    assert job.status == ImportJob.Status.SUCCEEDED, job.error_message
    assert job.created_count == count
    assert knowledge_base.items.count() == count
    knowledge_base.refresh_from_db()
    assert knowledge_base.source_filename == name
    assert all(column["header"] is not None for column in knowledge_base.columns)


def test_real_rows_are_stored_with_typed_fields(knowledge_base):
    run_import(knowledge_base, upload("dog_grooming_salon_price.xlsx"))

    claws = knowledge_base.items.filter(name__iexact="когти")
    assert claws.count() == 2, "the same service under two sections is two items"
    assert len({item.category for item in claws}) == 2
    assert all(item.match_key.startswith("name:") for item in claws)


def test_a_shopify_export_keeps_variants_and_images_in_one_item(knowledge_base):
    job = run_import(knowledge_base, upload("shopify_packt_home_garden_export.csv"))

    assert job.merged_count > 0
    with_images = [item for item in knowledge_base.items.all() if item.image_urls]
    assert with_images, "image continuation rows become image URLs of their product"
    assert all(url.startswith("http") for item in with_images for url in item.image_urls)
    assert all(
        item.description_text and "<" not in item.description_text
        for item in knowledge_base.items.exclude(description="")
    )


def test_prices_written_as_text_are_kept_and_the_number_left_empty(knowledge_base):
    content = (
        "Название;Цена\nСтрижка;от 2000\nКонсультация;по запросу\nМойка;2200-2500\nЛапы;6 210\n"
    )
    run_import(knowledge_base, upload("price.csv", content.encode("cp1251")))

    items = {item.name: item for item in knowledge_base.items.all()}
    assert items["Стрижка"].price == Decimal("2000") and items["Стрижка"].price_text == "от 2000"
    assert items["Консультация"].price is None
    assert items["Консультация"].price_text == "по запросу"
    assert items["Консультация"].price_note
    assert items["Мойка"].price == Decimal("2200")
    assert items["Лапы"].price == Decimal("6210")


def test_reimporting_the_same_file_updates_instead_of_duplicating(knowledge_base):
    first = run_import(knowledge_base, upload("rabotahorizont_price_ru.csv"))
    ids = set(knowledge_base.items.values_list("pk", flat=True))

    second = run_import(knowledge_base, upload("rabotahorizont_price_ru.csv"))

    assert first.created_count == 100
    assert (second.created_count, second.updated_count, second.deleted_count) == (0, 100, 0)
    assert set(knowledge_base.items.values_list("pk", flat=True)) == ids


def test_merge_keeps_items_missing_from_the_file_and_replace_removes_them(knowledge_base):
    run_import(knowledge_base, upload("items.csv", b"SKU,Name,Price\nA1,Apple,1\nB2,Banana,2\n"))
    Item.objects.filter(sku="A1").update(price=Decimal("9"))

    merged = run_import(
        knowledge_base, upload("items.csv", b"SKU,Name,Price\nA1,Apple,1.5\nC3,Cherry,3\n")
    )
    assert (merged.created_count, merged.updated_count, merged.deleted_count) == (1, 1, 0)
    assert sorted(knowledge_base.items.values_list("sku", flat=True)) == ["A1", "B2", "C3"]
    assert knowledge_base.items.get(sku="A1").price == Decimal("1.50")

    replaced = run_import(
        knowledge_base, upload("items.csv", b"SKU,Name,Price\nC3,Cherry,4\n"), mode="replace"
    )
    assert (replaced.created_count, replaced.updated_count, replaced.deleted_count) == (0, 1, 2)
    assert list(knowledge_base.items.values_list("sku", flat=True)) == ["C3"]


def test_duplicate_skus_in_one_file_keep_the_first_and_report_the_others(knowledge_base):
    content = b"SKU,Name,Price\nA1,Apple,1\nA1,Apple again,2\nB2,Banana,3\n"
    job = run_import(knowledge_base, upload("dups.csv", content))

    assert job.created_count == 2
    assert knowledge_base.items.get(sku="A1").name == "Apple"
    rejected = list(job.rejected_rows.all())
    assert [(row.row_number, row.reason_code) for row in rejected] == [(3, "duplicate_sku")]
    assert "row 2" in rejected[0].reason


def test_the_report_lists_skipped_rows_with_their_reasons(knowledge_base):
    content = b"Name,Price\nApple,1\n,5\n\n\nPear,2\n"
    job = run_import(knowledge_base, upload("gaps.csv", content))

    assert job.created_count == 2
    assert job.skip_summary == {"no_name": 1, "empty_row": 2}
    assert job.skipped_count == 3
    # Empty rows are counted, not listed; the nameless row is listed with its cells.
    assert [(row.row_number, row.values) for row in job.rejected_rows.all()] == [(3, ["", "5"])]


def test_a_price_column_full_of_text_is_imported_with_a_warning(knowledge_base):
    content = b"Name,Price\nA,ask us\nB,call\nC,tbd\n"
    job = run_import(knowledge_base, upload("text.csv", content))

    assert job.status == ImportJob.Status.SUCCEEDED
    assert any("Price" in warning for warning in job.warnings)
    assert set(knowledge_base.items.values_list("price_text", flat=True)) == {
        "ask us",
        "call",
        "tbd",
    }
    assert not knowledge_base.items.exclude(price=None).exists()


def test_the_user_mapping_decides_which_column_is_what(knowledge_base):
    content = b"Title,Code,Cost\nApple,A1,10\n"
    job = import_upload(knowledge_base=knowledge_base, upload=upload("m.csv", content))
    import_confirm(
        job=job,
        sheet=job.sheet,
        header_row=1,
        mode="merge",
        mapping={0: "name", 1: None, 2: "price"},
    )
    import_run(job_id=job.pk)

    item = knowledge_base.items.get()
    assert (item.name, item.sku, item.price) == ("Apple", "", Decimal("10"))
    assert item.attributes == {"Code": "A1"}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "empty"),
        ("junk.csv", bytes(range(256)) * 40, "binary"),
        ("noheader.csv", b"1,2,3\n4,5,6\n7,8,9\n", "header"),
        ("fake.xlsx", b"PK\x03\x04 not really a workbook", "Excel"),
        ("notes.pdf", b"%PDF-1.4 whatever", ".csv"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message_and_not_kept(
    knowledge_base, name, content, expected
):
    with pytest.raises(KnowledgeError) as caught:
        import_upload(knowledge_base=knowledge_base, upload=upload(name, content))

    assert expected.lower() in caught.value.message.lower()
    assert not ImportJob.objects.exists()


@override_settings(KNOWLEDGE_IMPORT_MAX_BYTES=1000)
def test_a_file_over_the_size_limit_is_refused(knowledge_base):
    with pytest.raises(KnowledgeError) as caught:
        import_upload(
            knowledge_base=knowledge_base, upload=upload("big.csv", b"Name\n" + b"x\n" * 600)
        )
    assert "limit" in caught.value.message


def test_a_cancelled_import_leaves_the_knowledge_base_as_it_was(knowledge_base):
    run_import(knowledge_base, upload("items.csv", b"SKU,Name,Price\nA1,Apple,1\n"))
    job = import_upload(knowledge_base=knowledge_base, upload=upload("rabotahorizont_price_ru.csv"))
    import_confirm(
        job=job,
        sheet=job.sheet,
        header_row=job.header_row,
        mapping={int(k): v or None for k, v in job.mapping.items()},
        mode="replace",
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    import_cancel(job=job)  # a running import only gets the request...
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)

    job = import_run(job_id=job.pk)  # ...which the worker sees after its first batch

    assert job.status == ImportJob.Status.CANCELLED
    assert list(knowledge_base.items.values_list("sku", flat=True)) == ["A1"]


def test_cancelling_a_queued_import_stops_it_before_it_starts(knowledge_base):
    job = import_upload(
        knowledge_base=knowledge_base, upload=upload("items.csv", b"Name,Price\nApple,1\n")
    )
    import_confirm(job=job, sheet=job.sheet, header_row=1, mapping={0: "name"}, mode="merge")

    import_cancel(job=job)
    job = import_run(job_id=job.pk)

    assert job.status == ImportJob.Status.CANCELLED
    assert not knowledge_base.items.exists()
    with pytest.raises(KnowledgeError):
        import_cancel(job=job)


def test_a_failure_half_way_leaves_the_knowledge_base_unchanged(knowledge_base, monkeypatch):
    run_import(knowledge_base, upload("items.csv", b"SKU,Name,Price\nA1,Apple,1\n"))
    from knowledge import writer

    def broken_finish(self, *, replace):
        raise RuntimeError("database went away")

    monkeypatch.setattr(writer.ItemWriter, "finish", broken_finish)
    job = run_import(knowledge_base, upload("rabotahorizont_price_ru.csv"), mode="replace")

    assert job.status == ImportJob.Status.FAILED
    assert "not changed" in job.error_message
    assert list(knowledge_base.items.values_list("sku", flat=True)) == ["A1"]


def test_a_started_import_cannot_be_confirmed_again(knowledge_base):
    job = import_upload(
        knowledge_base=knowledge_base, upload=upload("items.csv", b"Name,Price\nApple,1\n")
    )
    import_confirm(job=job, sheet=job.sheet, header_row=1, mapping={0: "name"}, mode="merge")
    with pytest.raises(KnowledgeError):
        import_confirm(job=job, sheet=job.sheet, header_row=1, mapping={0: "name"}, mode="merge")


def test_the_uploaded_file_is_kept_in_the_business_directory(knowledge_base, business_a):
    job = import_upload(
        knowledge_base=knowledge_base, upload=upload("items.csv", b"Name,Price\nApple,1\n")
    )
    assert job.file.name.startswith(f"{business_a.schema_name}/")
    with job.file.open("rb") as stored:
        assert stored.read() == b"Name,Price\nApple,1\n"


def test_a_workbook_with_several_price_sheets_is_flagged_for_the_user(knowledge_base):
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    first.title = "Shop A"
    second = workbook.create_sheet("Shop B")
    for sheet in (first, second):
        sheet.append(["Name", "Price"])
        for n in range(5):
            sheet.append([f"{sheet.title} item {n}", n + 1])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = import_upload(knowledge_base=knowledge_base, upload=upload("two.xlsx", buffer.getvalue()))

    assert job.sheet_ambiguous
    assert {sheet["name"] for sheet in job.sheets} == {"Shop A", "Shop B"}
    job = run_import(knowledge_base, upload("two.xlsx", buffer.getvalue()), sheet="Shop B")
    assert set(knowledge_base.items.values_list("name", flat=True)) == {
        f"Shop B item {n}" for n in range(5)
    }


def _workbook_with_a_million_formatted_empty_rows() -> bytes:
    """Two real rows, then 1,000,000 empty rows that only carry a style (as Excel saves them)."""
    import re
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Name", "Price"])
    workbook.active.append(["Tea", 5])
    workbook.active.append(["Coffee", 7])
    plain = io.BytesIO()
    workbook.save(plain)
    source = zipfile.ZipFile(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                empty = "".join(
                    f'<row r="{n}" s="1" customFormat="1"/>' for n in range(4, 1_000_004)
                )
                text = data.decode().replace("</sheetData>", empty + "</sheetData>")
                data = re.sub(
                    r'<dimension ref="[^"]*"/>', '<dimension ref="A1:B1000003"/>', text
                ).encode()
            target.writestr(info, data)
    return out.getvalue()


def test_a_million_formatted_empty_rows_end_the_import_early(knowledge_base):
    job = run_import(
        knowledge_base, upload("formatted.xlsx", _workbook_with_a_million_formatted_empty_rows())
    )

    assert job.status == ImportJob.Status.SUCCEEDED
    assert sorted(knowledge_base.items.values_list("name", flat=True)) == ["Coffee", "Tea"]
    assert any("empty rows" in warning for warning in job.warnings)
    assert job.processed_rows < 5000, "reading stopped after the run of empty rows"


def test_the_uploaded_file_is_deleted_when_the_import_ends(
    knowledge_base, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = run_import(knowledge_base, upload("items.csv", b"Name,Price\nApple,1\n"))
    assert job.status == ImportJob.Status.SUCCEEDED
    assert not job.file.storage.exists(job.file.name)


def test_unconfirmed_uploads_expire_after_a_day(knowledge_base, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from knowledge.services import import_uploads_expire
    from knowledge.tasks import expire_uploads_task

    fresh = import_upload(
        knowledge_base=knowledge_base, upload=upload("a.csv", b"Name,Price\nA,1\n")
    )
    stale = import_upload(
        knowledge_base=knowledge_base, upload=upload("b.csv", b"Name,Price\nB,1\n")
    )
    ImportJob.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=25))

    with django_capture_on_commit_callbacks(execute=True):
        assert import_uploads_expire() == 1
    stale.refresh_from_db()
    assert (stale.status, stale.error_code) == (ImportJob.Status.CANCELLED, "expired")
    assert not stale.file.storage.exists(stale.file.name)
    assert fresh.file.storage.exists(fresh.file.name)
    assert ImportJob.objects.get(pk=fresh.pk).status == ImportJob.Status.UPLOADED
    assert expire_uploads_task() == 0, "the hourly task visits every business; nothing left"


def test_a_failed_first_import_leaves_the_new_knowledge_base_empty(knowledge_base, monkeypatch):
    from knowledge import writer

    def broken_finish(self, *, replace):
        assert self.direct, "rows of a first import go straight into the items"
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer.ItemWriter, "finish", broken_finish)
    job = run_import(knowledge_base, upload("rabotahorizont_price_ru.csv"))

    assert job.status == ImportJob.Status.FAILED
    assert not knowledge_base.items.exists()


def test_a_zip_bomb_renamed_xlsx_is_refused_before_it_is_unpacked(knowledge_base):
    from knowledge.tests.importing_factories import rewrite_zip, xlsx_file

    padding = b" " * (20 * 1024 * 1024)

    def inflate(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
        return data

    bomb = rewrite_zip(xlsx_file({"S": [["Name", "Price"], ["A", 1]]}), inflate).getvalue()
    with pytest.raises(KnowledgeError) as caught:
        import_upload(knowledge_base=knowledge_base, upload=upload("prices.xlsx", bomb))

    assert "unsafe" in caught.value.message
    assert not ImportJob.objects.exists()
