"""Writes on companies."""

from __future__ import annotations

from django.db import connection, transaction

from tenants.companies.models import CODE_SEQUENCE, Company

EDITABLE_FIELDS = ("name", "kind", "shop_type", "status", "description")


def company_code_next() -> str:
    """COMP001, COMP002, ... from a sequence in the business's schema.

    A sequence hands out each number once even to concurrent requests, without locking,
    and a deleted company's code is never given to another one.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [CODE_SEQUENCE])
        (number,) = cursor.fetchone()
    return f"COMP{number:03d}"


@transaction.atomic
def company_create(*, name: str, kind: str, shop_type: str, status: str = "active",
                   description: str = "") -> Company:
    company = Company(
        name=name.strip(), kind=kind, shop_type=shop_type, status=status,
        description=description.strip(),
    )
    company.full_clean(exclude=["code"])
    company.code = company_code_next()
    company.save()
    return company


@transaction.atomic
def company_update(*, company: Company, **fields) -> Company:
    for field, value in fields.items():
        if field not in EDITABLE_FIELDS:
            raise ValueError(f"{field} cannot be changed")
        setattr(company, field, value.strip() if isinstance(value, str) else value)
    company.full_clean()
    company.save()
    return company


def company_delete(*, company: Company) -> None:
    company.delete()
