"""Background work of knowledge bases (runs in the business's schema)."""

from __future__ import annotations

from config.celery import app

from .services import import_run


@app.task(name="knowledge.import_run", ignore_result=True)
def import_run_task(job_id: int) -> None:
    """Import a confirmed price list; the task carries the business schema in its headers."""
    import_run(job_id=job_id)
