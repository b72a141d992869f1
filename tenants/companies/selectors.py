from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tenants.companies.models import Company


def company_list() -> QuerySet[Company]:
    return Company.objects.prefetch_related("channels__connection")


def company_counts() -> dict[str, int]:
    return Company.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=Company.Status.ACTIVE)),
    )
