from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from tenants.companies.api.serializers import CompanySerializer
from tenants.companies.models import Company
from tenants.companies.services import company_create, company_delete, company_update


class CompanyPagination(CursorPagination):
    ordering = "code"


class CompanyViewSet(viewsets.ModelViewSet):
    """Companies of the business whose host the request is made on."""

    serializer_class = CompanySerializer
    pagination_class = CompanyPagination

    def get_queryset(self):
        # The schema is the scope: this queryset only ever sees the caller's business.
        return Company.objects.all()

    def perform_create(self, serializer):
        try:
            serializer.instance = company_create(**serializer.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc

    def perform_update(self, serializer):
        try:
            serializer.instance = company_update(
                company=serializer.instance, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc

    def perform_destroy(self, instance):
        company_delete(company=instance)
