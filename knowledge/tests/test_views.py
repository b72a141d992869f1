"""The knowledge-base pages: create, upload, map, import, report, edit, export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from openpyxl import load_workbook

from conftest import host_client
from knowledge.models import ImportJob, Item, KnowledgeBase
from knowledge.services import import_run, item_create, knowledge_base_create
from tenants.companies.models import Company

CATALOGS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "catalogs"


@pytest.fixture
def base_a(business_a):
    with tenant_context(business_a):
        company = Company.objects.get(name="Alpha Shop Main")
        return knowledge_base_create(company=company, name="Products")


@pytest.fixture
def queued(monkeypatch):
    """Import tasks sent by the pages, recorded instead of going to the broker."""
    sent: list[int] = []
    from knowledge import tasks

    monkeypatch.setattr(tasks.import_run_task, "delay", lambda job_id: sent.append(job_id))
    return sent


def items_of(business, base) -> list[Item]:
    with tenant_context(business):
        return list(Item.objects.filter(knowledge_base_id=base.pk).order_by("position"))


def test_creating_a_knowledge_base_leads_to_the_import(portal_a, business_a):
    with tenant_context(business_a):
        company = Company.objects.get(name="Alpha Shop Main")

    response = portal_a.post(
        "/knowledge/new/", {"company": company.pk, "name": "Prices", "kind": "product"}
    )

    with tenant_context(business_a):
        base = KnowledgeBase.objects.get(name="Prices")
    assert response.status_code == 302
    assert response["Location"] == f"/knowledge/{base.pk}/import/"
    assert "Prices" in portal_a.get("/knowledge/").content.decode()


def test_a_duplicate_knowledge_base_name_is_refused(portal_a, base_a):
    response = portal_a.post(
        "/knowledge/new/", {"company": base_a.company_id, "name": "Products", "kind": "product"}
    )
    assert response.status_code == 422


def test_upload_map_import_and_report(
    portal_a, business_a, base_a, queued, django_capture_on_commit_callbacks
):
    content = (CATALOGS / "rabotahorizont_price_ru.csv").read_bytes()
    response = portal_a.post(
        f"/knowledge/{base_a.pk}/import/",
        {"file": SimpleUploadedFile("rabotahorizont_price_ru.csv", content)},
    )
    with tenant_context(business_a):
        job = ImportJob.objects.get(knowledge_base=base_a)
    assert response.status_code == 302
    assert response["Location"] == f"/knowledge/imports/{job.pk}/"

    page = portal_a.get(response["Location"]).content.decode()
    assert 'data-testid="mapping-form"' in page
    assert 'data-testid="preview-item"' in page
    assert not items_of(business_a, base_a), "nothing is written before the user confirms"

    mapping = {f"col_{index}": field for index, field in job.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_a.post(
            f"/knowledge/imports/{job.pk}/",
            {
                **mapping,
                "sheet": job.sheet,
                "header_row": job.header_row,
                "mode": "merge",
                "action": "import",
            },
        )
    assert response.status_code == 302
    assert queued == [job.pk]

    running = portal_a.get(f"/knowledge/imports/{job.pk}/progress/")
    assert 'data-status="queued"' in running.content.decode()
    assert "HX-Refresh" not in running

    with tenant_context(business_a):
        import_run(job_id=job.pk)
    done = portal_a.get(f"/knowledge/imports/{job.pk}/progress/")
    assert done["HX-Refresh"] == "true"
    report = portal_a.get(f"/knowledge/imports/{job.pk}/").content.decode()
    assert 'data-testid="created-count">100<' in report
    assert len(items_of(business_a, base_a)) == 100


def test_changing_the_mapping_updates_the_preview(portal_a, business_a, base_a):
    portal_a.post(
        f"/knowledge/{base_a.pk}/import/",
        {"file": SimpleUploadedFile("m.csv", b"Title,Code,Cost\nGreen apple,A1,10\n")},
    )
    with tenant_context(business_a):
        job = ImportJob.objects.get(knowledge_base=base_a)

    response = portal_a.post(
        f"/knowledge/imports/{job.pk}/",
        {
            "col_0": "name",
            "col_1": "sku",
            "col_2": "",
            "action": "preview",
            "sheet": job.sheet,
            "header_row": 1,
        },
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="mapping",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body, "only the mapping part is sent back"
    assert ">A1<" in body
    assert "10 " not in body.split('data-testid="preview-table"')[1]


def test_confirming_without_a_name_column_is_refused(portal_a, business_a, base_a, queued):
    portal_a.post(
        f"/knowledge/{base_a.pk}/import/",
        {"file": SimpleUploadedFile("m.csv", b"Name,Price\nApple,1\n")},
    )
    with tenant_context(business_a):
        job = ImportJob.objects.get(knowledge_base=base_a)

    response = portal_a.post(
        f"/knowledge/imports/{job.pk}/",
        {
            "col_0": "",
            "col_1": "price",
            "action": "import",
            "mode": "merge",
            "sheet": job.sheet,
            "header_row": 1,
        },
    )
    assert response.status_code == 422
    assert "item names" in response.content.decode()
    assert queued == []


def test_an_unreadable_upload_shows_why(portal_a, base_a):
    response = portal_a.post(
        f"/knowledge/{base_a.pk}/import/",
        {"file": SimpleUploadedFile("junk.csv", bytes(range(256)) * 20)},
    )
    assert response.status_code == 422
    assert "binary" in response.content.decode()


def test_the_sheet_picker_reads_another_sheet(portal_a, business_a, base_a):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["Our price list is on the next sheet"])
    prices = workbook.create_sheet("Prices")
    prices.append(["Name", "Price"])
    prices.append(["Kettle", 12])
    other = workbook.create_sheet("Archive")
    other.append(["Name", "Price"])
    other.append(["Old kettle", 5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    portal_a.post(
        f"/knowledge/{base_a.pk}/import/",
        {"file": SimpleUploadedFile("book.xlsx", buffer.getvalue())},
    )
    with tenant_context(business_a):
        job = ImportJob.objects.get(knowledge_base=base_a)

    page = portal_a.get(f"/knowledge/imports/{job.pk}/?sheet=Archive&header_row=1").content.decode()

    assert 'data-testid="sheet-select"' in page
    assert "Old kettle" in page and "<td>Kettle</td>" not in page


def test_the_report_lists_skipped_rows_and_offers_them_for_download(portal_a, business_a, base_a):
    portal_a.post(
        f"/knowledge/{base_a.pk}/import/",
        {
            "file": SimpleUploadedFile(
                "s.csv", b"SKU,Name,Price\nA1,Apple,1\nA1,Again,2\nB2,,3\nC3,=HYPERLINK(1),4\n"
            )
        },
    )
    with tenant_context(business_a):
        job = ImportJob.objects.get(knowledge_base=base_a)
        from knowledge.services import import_confirm

        import_confirm(
            job=job,
            sheet=job.sheet,
            header_row=1,
            mode="merge",
            mapping={0: "sku", 1: "name", 2: "price"},
        )
        import_run(job_id=job.pk)

    report = portal_a.get(f"/knowledge/imports/{job.pk}/").content.decode()
    assert "Duplicate SKU" in report and "No name" in report

    download = portal_a.get(f"/knowledge/imports/{job.pk}/skipped.csv")
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["3", "4"]
    assert rows[1][3:] == ["A1", "Again", "2"], "the original cells of the row"


def test_items_table_searches_sorts_and_pages(portal_a, business_a, base_a):
    with tenant_context(business_a):
        for n in range(60):
            item_create(
                knowledge_base=base_a, name=f"Bolt {n:02d}", sku=f"B{n:02d}", price=Decimal(n)
            )

    first = portal_a.get(f"/knowledge/{base_a.pk}/").content.decode()
    assert first.count('data-testid="item-row"') == 50
    assert "Page 1 of 2" in first

    found = portal_a.get(
        f"/knowledge/{base_a.pk}/?q=Bolt 4", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="items"
    ).content.decode()
    assert found.count('data-testid="item-row"') == 10
    assert "<html" not in found

    by_price = portal_a.get(f"/knowledge/{base_a.pk}/?sort=-price").content.decode()
    assert by_price.index("Bolt 59") < by_price.index("Bolt 58")


def test_inline_edit_saves_a_price_and_shows_the_row(portal_a, business_a, base_a):
    with tenant_context(business_a):
        item = item_create(knowledge_base=base_a, name="Kettle", sku="K1", price=Decimal("10"))
    prefix = f"item{item.pk}"

    editor = portal_a.get(f"/knowledge/{base_a.pk}/items/{item.pk}/edit/", HTTP_HX_REQUEST="true")
    assert 'data-testid="item-edit-row"' in editor.content.decode()

    saved = portal_a.post(
        f"/knowledge/{base_a.pk}/items/{item.pk}/edit/",
        {
            f"{prefix}-name": "Kettle",
            f"{prefix}-sku": "K1",
            f"{prefix}-price": "12.50",
            f"{prefix}-currency": "eur",
            f"{prefix}-category": "",
            f"{prefix}-unit": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    assert "12.50 EUR" in saved.content.decode()
    with tenant_context(business_a):
        assert Item.objects.get(pk=item.pk).price == Decimal("12.50")

    bad = portal_a.post(
        f"/knowledge/{base_a.pk}/items/{item.pk}/edit/",
        {f"{prefix}-name": "", f"{prefix}-price": "cheap"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 422
    assert 'data-testid="item-edit-row"' in bad.content.decode()


def test_adding_an_item_twice_is_refused(portal_a, business_a, base_a):
    data = {
        "new-name": "Kettle",
        "new-sku": "K1",
        "new-price": "5",
        "new-currency": "",
        "new-category": "",
        "new-unit": "",
    }
    first = portal_a.post(f"/knowledge/{base_a.pk}/items/new/", data, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert first["HX-Trigger"] == "item-added"

    again = portal_a.post(f"/knowledge/{base_a.pk}/items/new/", data, HTTP_HX_REQUEST="true")
    assert again.status_code == 422
    assert "already has the SKU K1" in again.content.decode()
    assert len(items_of(business_a, base_a)) == 1


def test_deleting_one_item_and_several(portal_a, business_a, base_a):
    with tenant_context(business_a):
        items = [item_create(knowledge_base=base_a, name=f"Item {n}") for n in range(4)]

    response = portal_a.post(
        f"/knowledge/{base_a.pk}/items/{items[0].pk}/delete/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    response = portal_a.post(
        f"/knowledge/{base_a.pk}/items/delete/", {"ids": [items[1].pk, items[2].pk]}
    )
    assert response.status_code == 302
    assert [item.name for item in items_of(business_a, base_a)] == ["Item 3"]


def test_export_csv_and_xlsx_use_the_original_headers(portal_a, business_a, base_a):
    with tenant_context(business_a):
        job_file = SimpleUploadedFile(
            "p.csv", "Артикул;Наименование;Цена, руб.;Бренд\nA1;Чайник;1 290;Bosch\n".encode()
        )
        from knowledge.services import import_confirm, import_upload

        job = import_upload(knowledge_base=base_a, upload=job_file)
        import_confirm(
            job=job,
            sheet=job.sheet,
            header_row=1,
            mode="merge",
            mapping={int(k): v or None for k, v in job.mapping.items()},
        )
        import_run(job_id=job.pk)
        item_create(knowledge_base=base_a, name="=cmd|'/c calc'!A1")

    response = portal_a.get(f"/knowledge/{base_a.pk}/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Артикул", "Наименование", "Цена, руб.", "Бренд"]
    assert rows[1][:4] == ["A1", "Чайник", "1290.00", "Bosch"]
    assert rows[2][1] == "'=cmd|'/c calc'!A1"
    assert "attachment" in response["Content-Disposition"]

    response = portal_a.get(f"/knowledge/{base_a.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("Артикул", "Наименование", "Цена, руб.", "Бренд")
    assert values[1][2] == 1290
    assert portal_a.get(f"/knowledge/{base_a.pk}/export.pdf").status_code == 404


def test_another_business_cannot_see_or_change_these_items(business_a, business_b, owner_b, base_a):
    with tenant_context(business_a):
        item = item_create(knowledge_base=base_a, name="Secret kettle")
    stranger = host_client("alpha.localhost", owner_b)
    for path in (
        f"/knowledge/{base_a.pk}/",
        f"/knowledge/{base_a.pk}/export.csv",
        f"/knowledge/{base_a.pk}/items/{item.pk}/",
    ):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/knowledge/{base_a.pk}/items/{item.pk}/delete/").status_code == 404
    # B's own host has its own schema: the same ids point at nothing there.
    own = host_client("beta.localhost", owner_b)
    assert own.get(f"/knowledge/{base_a.pk}/items/{item.pk}/").status_code == 404
    assert "Secret kettle" not in own.get("/knowledge/").content.decode()
    assert len(items_of(business_a, base_a)) == 1


def test_an_item_shows_media_chosen_from_its_folder(portal_a, business_a, base_a):
    from media_library.models import Media

    with tenant_context(business_a):
        item = item_create(knowledge_base=base_a, name="Kettle")
        photo = Media.objects.create(
            folder="product",
            kind="image",
            title="Kettle photo",
            file="alpha/product/k.jpg",
            original_filename="k.jpg",
            content_type="image/jpeg",
            size=10,
        )
        other = Media.objects.create(
            folder="service",
            kind="image",
            title="Salon",
            file="alpha/service/s.jpg",
            original_filename="s.jpg",
            content_type="image/jpeg",
            size=10,
        )

    page = portal_a.get(f"/knowledge/{base_a.pk}/items/{item.pk}/").content.decode()
    assert "Kettle photo" in page and "Salon" not in page, "only the product folder is offered"

    wrong_folder = portal_a.post(
        f"/knowledge/{base_a.pk}/items/{item.pk}/", {"name": "Kettle", "media": [other.pk]}
    )
    assert wrong_folder.status_code == 422
    response = portal_a.post(
        f"/knowledge/{base_a.pk}/items/{item.pk}/", {"name": "Kettle", "media": [photo.pk]}
    )
    assert response.status_code == 302
    with tenant_context(business_a):
        assert list(Item.objects.get(pk=item.pk).media.all()) == [photo]
        photo.delete()
        assert not Item.objects.get(pk=item.pk).media.exists(), "deleting media clears the link"
