"""A confirmed import runs in a real Celery worker, in the business's schema."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from knowledge.models import ImportJob, KnowledgeBase
from knowledge.services import import_confirm, import_upload, knowledge_base_create
from tenants.companies.models import Company
from tenants.models import Business

CATALOGS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "catalogs"


@pytest.fixture
def worker_base(committed_db):
    business = Business.objects.get(slug="alpha")
    with tenant_context(business):
        company = Company.objects.get(name="Alpha Shop Main")
        base = knowledge_base_create(company=company, name="Worker test")
    yield business, base
    with tenant_context(business):
        KnowledgeBase.objects.filter(pk=base.pk).delete()


def test_the_worker_imports_a_confirmed_file_into_the_right_schema(worker_base, celery_worker):
    business, base = worker_base
    name = "vashmaster_electrician_services_price.xlsx"
    with tenant_context(business):
        job = import_upload(
            knowledge_base=base, upload=SimpleUploadedFile(name, (CATALOGS / name).read_bytes())
        )
        import_confirm(
            job=job,
            sheet=job.sheet,
            header_row=job.header_row,
            mode="replace",
            mapping={int(k): v or None for k, v in job.mapping.items()},
        )
        deadline = time.monotonic() + 60
        while not ImportJob.objects.get(pk=job.pk).is_finished:
            assert time.monotonic() < deadline, "the import did not finish within 60 s"
            time.sleep(0.2)
        job.refresh_from_db()

        assert job.status == ImportJob.Status.SUCCEEDED, job.error_message
        assert job.created_count == base.items.count() == 170
        assert job.started_at and job.finished_at
