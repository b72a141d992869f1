"""Knowledge bases of the demo business, imported from real shops' price lists."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.companies.models import Company

from .models import ImportJob
from .services import import_confirm, import_upload, knowledge_base_create

#: Company name -> (knowledge base name, catalog file in DEMO_CATALOGS_DIR).
DEMO_KNOWLEDGE = {
    "Green Home Store": ("Home and garden", "shopify_packt_home_garden_export.csv"),
    "Master Electric": ("Electrical services", "vashmaster_electrician_services_price.xlsx"),
}


def demo_knowledge_load() -> list[str]:
    """Create and fill each demo company's knowledge base once; say what was done."""
    done: list[str] = []
    catalogs = Path(settings.DEMO_CATALOGS_DIR)
    for company_name, (base_name, filename) in DEMO_KNOWLEDGE.items():
        company = Company.objects.filter(name=company_name).first()
        if company is None or company.knowledge_bases.filter(name=base_name).exists():
            continue
        path = catalogs / filename
        if not path.is_file():
            done.append(f"{company_name}: {path} not found, knowledge base not loaded")
            continue
        base = knowledge_base_create(company=company, name=base_name)
        job = import_upload(
            knowledge_base=base,
            upload=SimpleUploadedFile(filename, path.read_bytes()),
            user_email="demo@example.com",
        )
        job = import_confirm(
            job=job,
            sheet=job.sheet,
            header_row=job.header_row,
            mode=ImportJob.Mode.REPLACE,
            mapping={int(index): field or None for index, field in job.mapping.items()},
            background=False,
        )
        done.append(f"{company_name}: {job.created_count} items from {filename}")
    return done
