import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from tenants.companies.models import Company
from tenants.companies.services import company_create, company_delete, company_update


def test_codes_count_up_per_business_and_are_never_reused(in_business_a):
    first = company_create(name="One", kind="product", shop_type="online")
    second = company_create(name="Two", kind="service", shop_type="salon")
    n1, n2 = int(first.code[4:]), int(second.code[4:])
    assert first.code.startswith("COMP") and len(first.code) >= 7
    assert n2 == n1 + 1
    company_delete(company=second)
    third = company_create(name="Three", kind="hybrid", shop_type="other")
    assert int(third.code[4:]) == n2 + 1


def test_new_business_starts_at_comp001(db):
    from tenants.services import business_create

    business = business_create(name="Fresh", slug="fresh-start")
    with tenant_context(business):
        assert company_create(name="First", kind="product", shop_type="online").code == "COMP001"


def test_invalid_company_is_refused(in_business_a):
    with pytest.raises(ValidationError) as error:
        company_create(name="", kind="gadgets", shop_type="online")
    assert {"name", "kind"} <= set(error.value.message_dict)


def test_update_changes_only_editable_fields(in_business_a):
    company = company_create(name="Old", kind="product", shop_type="online")
    company_update(company=company, name=" New ", status="inactive")
    company.refresh_from_db()
    assert (company.name, company.status) == ("New", "inactive")
    with pytest.raises(ValueError):
        company_update(company=company, code="COMP999")


def test_two_simultaneous_creations_get_different_codes(committed_db):
    from tenants.models import Business

    business_a = Business.objects.get(slug="alpha")
    barrier = threading.Barrier(2)
    codes: list[str] = []
    errors: list[BaseException] = []

    def create(name: str) -> None:
        try:
            with tenant_context(business_a):
                barrier.wait(timeout=5)
                codes.append(company_create(name=name, kind="product", shop_type="online").code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(f"Racer {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(codes)) == 2
    with tenant_context(business_a):
        assert Company.objects.filter(name__startswith="Racer").count() == 2
        Company.objects.filter(name__startswith="Racer").delete()
