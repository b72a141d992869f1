"""Reads on businesses."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Business


def business_list_for_user(*, user) -> QuerySet[Business]:
    """The businesses a user is a member of, by name."""
    if not user.is_authenticated:
        return Business.objects.none()
    return Business.objects.filter(memberships__user=user).exclude(schema_name="public")

