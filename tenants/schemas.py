"""Business schemas: cloned from a migrated template, never built by replaying migrations.

Replaying every migration for each new business takes tens of seconds; copying the template
schema takes a fraction of one. The template (settings.TENANT_BASE_SCHEMA) is not a business:
the project's migrate command creates it and migrates it with every run (see
tenants/management/commands/migrate_schemas.py), so a clone is always at the latest state,
including its django_migrations rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django_tenants.clone import CLONE_SCHEMA_FUNCTION
from django_tenants.utils import schema_exists

from tenants.errors import TenantsError, TenantsErrorCode


def template_schema_name() -> str:
    return settings.TENANT_BASE_SCHEMA


def _clone_function_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname = 'clone_schema'"
        )
        return cursor.fetchone() is not None


def clone_function_install() -> None:
    """(Re)create the clone_schema() SQL function in the public schema."""
    db_user = settings.DATABASES["default"].get("USER") or "postgres"
    with connection.cursor() as cursor:
        cursor.execute(CLONE_SCHEMA_FUNCTION.format(db_user=db_user))


def template_schema_ensure() -> bool:
    """Create the empty template schema if it is missing; True when it was created."""
    if schema_exists(template_schema_name()):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{template_schema_name()}"')
    return True


def template_is_migrated() -> bool:
    template = template_schema_name()
    if not schema_exists(template):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = 'django_migrations'",
            [template],
        )
        return cursor.fetchone() is not None


def schema_clone_from_template(*, schema_name: str, check_if_exists: bool = False) -> bool:
    """Create `schema_name` as a copy of the migrated template. Returns False if it existed.

    Raises TenantsError(TEMPLATE_MISSING) rather than silently falling back to replaying
    migrations, which would make sign-up take half a minute.
    """
    if check_if_exists and schema_exists(schema_name):
        return False
    if not template_is_migrated():
        raise TenantsError(
            TenantsErrorCode.TEMPLATE_MISSING,
            f"The template schema {template_schema_name()!r} is missing or not migrated; "
            "run `python manage.py migrate_schemas`.",
        )
    connection.set_schema_to_public()
    if not _clone_function_installed():
        clone_function_install()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT public.clone_schema(%s, %s, 'DATA')", [template_schema_name(), schema_name]
        )
    return True
