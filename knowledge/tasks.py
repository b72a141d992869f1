"""Background work of knowledge bases (runs in the business's schema)."""

from __future__ import annotations

from django_tenants.utils import get_tenant_model, tenant_context

from config.celery import app

from .services import import_run, import_uploads_expire


@app.task(name="knowledge.import_run", ignore_result=True)
def import_run_task(job_id: int) -> None:
    """Import a confirmed price list; the task carries the business schema in its headers."""
    import_run(job_id=job_id)


@app.task(name="knowledge.expire_uploads", ignore_result=True)
def expire_uploads_task() -> int:
    """Hourly, from the public schema: close stale unconfirmed imports of every business."""
    expired = 0
    for business in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(business):
            expired += import_uploads_expire()
    return expired
