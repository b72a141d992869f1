"""The knowledge API: bases, items, imports and search, scoped to the business."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from conftest import host_client
from knowledge.models import ImportJob, Item
from knowledge.services import import_run, item_create, knowledge_base_create
from tenants.companies.models import Company


@pytest.fixture
def company_a(business_a):
    with tenant_context(business_a):
        return Company.objects.get(name="Alpha Shop Main")


@pytest.fixture
def base_a(business_a, company_a):
    with tenant_context(business_a):
        return knowledge_base_create(company=company_a, name="Products")


def test_create_and_list_knowledge_bases(portal_a, company_a):
    created = portal_a.post(
        "/api/v1/knowledge-bases/",
        {"company": company_a.pk, "name": "Services"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "product"  # from the company's kind
    listed = portal_a.get(f"/api/v1/knowledge-bases/?company={company_a.pk}").json()["results"]
    assert [row["name"] for row in listed] == ["Services"]

    again = portal_a.post(
        "/api/v1/knowledge-bases/",
        {"company": company_a.pk, "name": "Services"},
        content_type="application/json",
    )
    assert again.status_code == 400


def test_item_crud(portal_a, business_a, base_a):
    created = portal_a.post(
        "/api/v1/items/",
        {
            "knowledge_base": base_a.pk,
            "name": "Kettle",
            "sku": "K1",
            "price": "19.90",
            "currency": "EUR",
            "tags": ["kitchen"],
            "attributes": {"Brand": "Bosch"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    item_id = created.json()["id"]

    changed = portal_a.patch(
        f"/api/v1/items/{item_id}/", {"price": "17.00"}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["price"] == "17.00"

    listed = portal_a.get(f"/api/v1/items/?knowledge_base={base_a.pk}").json()["results"]
    assert [(row["name"], row["attributes"]) for row in listed] == [("Kettle", {"Brand": "Bosch"})]
    assert portal_a.get("/api/v1/items/").status_code == 400, "a base must be named"

    duplicate = portal_a.post(
        "/api/v1/items/",
        {"knowledge_base": base_a.pk, "name": "Other", "sku": "K1"},
        content_type="application/json",
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "duplicate_item"

    assert portal_a.delete(f"/api/v1/items/{item_id}/").status_code == 204
    with tenant_context(business_a):
        assert not Item.objects.exists()


def test_import_upload_start_status_and_skipped_rows(
    portal_a, business_a, base_a, django_capture_on_commit_callbacks, monkeypatch
):
    from knowledge import tasks

    sent = []
    monkeypatch.setattr(tasks.import_run_task, "delay", sent.append)
    content = b"SKU,Name,Price\nA1,Apple,1\nA1,Apple again,2\nB2,Banana,3\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_a.post(
            "/api/v1/imports/",
            {
                "knowledge_base": base_a.pk,
                "file": SimpleUploadedFile("f.csv", content),
                "mode": "replace",
            },
        )
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "queued"
    assert job["mapping"] == {"0": "sku", "1": "name", "2": "price"}
    assert sent == [job["id"]]

    with tenant_context(business_a):
        import_run(job_id=job["id"])
    status = portal_a.get(f"/api/v1/imports/{job['id']}/").json()
    assert (status["status"], status["created_count"], status["skipped_count"]) == (
        "succeeded",
        2,
        1,
    )
    skipped = portal_a.get(f"/api/v1/imports/{job['id']}/skipped/").json()["results"]
    assert [row["reason_code"] for row in skipped] == ["duplicate_sku"]
    assert portal_a.post(f"/api/v1/imports/{job['id']}/cancel/").status_code == 400


def test_an_import_can_wait_for_a_mapping_and_refuses_a_bad_one(portal_a, business_a, base_a):
    response = portal_a.post(
        "/api/v1/imports/",
        {
            "knowledge_base": base_a.pk,
            "file": SimpleUploadedFile("f.csv", b"Name,Price,Colour\nx,1,red\n"),
            "start": "false",
        },
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    assert response.json()["status"] == "uploaded"

    bad = portal_a.post(
        f"/api/v1/imports/{job_id}/start/",
        {"mapping": {"0": "colour"}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "colour" in bad.json()["detail"]
    no_name = portal_a.post(
        f"/api/v1/imports/{job_id}/start/",
        {"mapping": {"0": "", "1": "price"}},
        content_type="application/json",
    )
    assert no_name.status_code == 400
    with tenant_context(business_a):
        assert ImportJob.objects.get(pk=job_id).status == "uploaded"


def test_a_junk_file_gets_a_clear_400(portal_a, base_a):
    response = portal_a.post(
        "/api/v1/imports/",
        {"knowledge_base": base_a.pk, "file": SimpleUploadedFile("f.csv", b"")},
    )
    assert response.status_code == 400
    assert "empty" in response.content.decode()
    junk = portal_a.post(
        "/api/v1/imports/",
        {"knowledge_base": base_a.pk, "file": SimpleUploadedFile("f.csv", bytes(range(256)) * 9)},
    )
    assert junk.status_code == 400
    assert junk.json()["code"] == "file_refused"


def test_search_answers_with_scored_items(portal_a, business_a, company_a, base_a):
    with tenant_context(business_a):
        item_create(knowledge_base=base_a, name="Электрический чайник", price=Decimal("1290"))
    hits = portal_a.get(f"/api/v1/knowledge-bases/search/?company={company_a.pk}&q=чайники").json()
    assert [hit["name"] for hit in hits] == ["Электрический чайник"]
    assert hits[0]["score"] > 0
    assert portal_a.get("/api/v1/knowledge-bases/search/?q=x").status_code == 400


def test_the_api_of_a_business_is_closed_to_others(business_a, owner_b, base_a):
    stranger = host_client("alpha.localhost", owner_b)
    assert stranger.get("/api/v1/knowledge-bases/").status_code == 404
    assert stranger.get(f"/api/v1/items/?knowledge_base={base_a.pk}").status_code == 404
    assert host_client("alpha.localhost").get("/api/v1/imports/").status_code in (401, 403)
