from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tenants.companies.models import Company


def company_list(*, status: str | None = None) -> QuerySet[Company]:
    companies = Company.objects.all()
    if status:
        companies = companies.filter(status=status)
    return companies


def company_counts() -> dict[str, int]:
    return Company.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=Company.Status.ACTIVE)),
    )
