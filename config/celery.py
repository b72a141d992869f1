"""The Celery application. Tasks carry their business schema (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("x8")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
