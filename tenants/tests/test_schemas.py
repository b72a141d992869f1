import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Business
from tenants.schemas import schema_clone_from_template, template_schema_name
from tenants.services import business_create


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {row[0] for row in cursor.fetchall()}


def _applied_migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def test_new_business_schema_is_a_clone_of_the_template(db):
    # when
    business = business_create(name="Clone Co", slug="clone-co")
    # then: same tables and the same applied migrations as the template
    assert schema_exists(business.schema_name)
    assert "companies_company" in _tables(business.schema_name)
    assert _tables(business.schema_name) == _tables(template_schema_name())
    assert _applied_migrations(business.schema_name) == _applied_migrations(template_schema_name())


def test_business_tables_are_not_in_the_public_schema(db):
    assert "companies_company" not in _tables("public")
    assert "tenants_business" in _tables("public")


def test_missing_template_raises_instead_of_replaying_migrations(db):
    # given: the template is gone (inside this test's transaction only)
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{template_schema_name()}" RENAME TO template_away')
    # when / then
    with pytest.raises(TenantsError) as error:
        schema_clone_from_template(schema_name="biz_never")
    assert error.value.code == TenantsErrorCode.TEMPLATE_MISSING
    assert not schema_exists("biz_never")


def test_failed_business_creation_leaves_no_business_and_no_schema(db):
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{template_schema_name()}" RENAME TO template_away')
    with pytest.raises(TenantsError):
        business_create(name="Doomed", slug="doomed")
    assert not Business.objects.filter(slug="doomed").exists()
    assert not schema_exists("biz_doomed")


def test_migrate_schemas_creates_and_migrates_the_template(committed_db):
    # given: no template at all
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{template_schema_name()}" CASCADE')
    try:
        # when: the project's migrate step runs
        call_command("migrate_schemas", "--noinput", verbosity=0)
        # then: the template is back, fully migrated, and clones work again
        assert "companies_company" in _tables(template_schema_name())
        assert ("companies", "0001_initial") in _applied_migrations(template_schema_name())
    finally:
        if not schema_exists(template_schema_name()):
            call_command("migrate_schemas", "--noinput", verbosity=0)


def test_each_business_sees_only_its_own_companies(business_a, business_b):
    from tenants.companies.models import Company

    with tenant_context(business_a):
        names_a = set(Company.objects.values_list("name", flat=True))
    with tenant_context(business_b):
        names_b = set(Company.objects.values_list("name", flat=True))
    assert names_a == {"Alpha Shop Main"}
    assert names_b == {"Beta Salon Main"}
