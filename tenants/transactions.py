"""``transaction.on_commit`` for work that belongs to the current business's schema."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, tenant_context


def on_commit_in_schema(func: Callable[[], object]) -> None:
    """Run ``func`` after commit in the schema that is current now.

    The commit may come after the code has left the business's schema (a worker applying
    webhooks of many businesses in one transaction); tasks queued by ``func`` carry the
    schema they are sent from, so it is entered again first.
    """
    tenant = getattr(connection, "tenant", None)
    if tenant is None or connection.schema_name == get_public_schema_name():
        transaction.on_commit(func)
        return

    def in_schema() -> None:
        with tenant_context(tenant):
            func()

    transaction.on_commit(in_schema)
