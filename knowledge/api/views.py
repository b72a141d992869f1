from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from knowledge.api.serializers import (
    ImportCreateSerializer,
    ImportJobSerializer,
    ImportStartSerializer,
    ItemSerializer,
    KnowledgeBaseSerializer,
    RejectedRowSerializer,
)
from knowledge.errors import KnowledgeError
from knowledge.models import ImportJob, Item, KnowledgeBase
from knowledge.selectors import item_search
from knowledge.services import (
    ITEM_FIELDS,
    import_cancel,
    import_confirm,
    import_upload,
    item_create,
    item_update,
    items_delete,
    knowledge_base_create,
    knowledge_base_delete,
    knowledge_base_update,
)


class ByIdPagination(CursorPagination):
    ordering = "id"


class NewestFirstPagination(CursorPagination):
    ordering = "-id"


def _service_errors(call):
    try:
        return call()
    except KnowledgeError as error:
        raise ValidationError({"detail": error.message, "code": error.code.value}) from error
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from error


class KnowledgeBaseViewSet(viewsets.ModelViewSet):
    """Knowledge bases of the business's companies."""

    serializer_class = KnowledgeBaseSerializer
    pagination_class = ByIdPagination

    def get_queryset(self):
        bases = KnowledgeBase.objects.annotate(item_count=Count("items"))
        if company := self.request.query_params.get("company"):
            bases = bases.filter(company_id=company) if company.isdigit() else bases.none()
        return bases

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = _service_errors(
            lambda: knowledge_base_create(
                company=data["company"], name=data["name"], kind=data.get("kind")
            )
        )
        serializer.instance.item_count = 0

    def perform_update(self, serializer):
        instance = serializer.instance
        data = serializer.validated_data
        serializer.instance = _service_errors(
            lambda: knowledge_base_update(
                knowledge_base=instance,
                name=data.get("name", instance.name),
                kind=data.get("kind", instance.kind),
            )
        )

    def perform_destroy(self, instance):
        knowledge_base_delete(knowledge_base=instance)

    @extend_schema(
        parameters=[
            OpenApiParameter("company", int, required=True),
            OpenApiParameter("q", str, required=True, description="The customer's question."),
        ],
        responses={200: ItemSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def search(self, request):
        """Items of a company's knowledge bases that answer a free-text question, best first."""
        from tenants.companies.models import Company

        company_id = request.query_params.get("company", "")
        company = Company.objects.filter(pk=company_id).first() if company_id.isdigit() else None
        if company is None:
            raise ValidationError({"company": "Give the id of one of your companies."})
        hits = item_search(company=company, question=request.query_params.get("q", ""))
        items = {
            item.pk: item for item in Item.objects.filter(pk__in=[hit.item_id for hit in hits])
        }
        data = []
        for hit in hits:
            row = ItemSerializer(items[hit.item_id]).data
            row["score"] = round(hit.score, 4)
            data.append(row)
        return Response(data)


class ItemViewSet(viewsets.ModelViewSet):
    """Items; list them with ``?knowledge_base=<id>`` (and ``&q=`` to filter)."""

    serializer_class = ItemSerializer
    pagination_class = ByIdPagination

    def get_queryset(self):
        items = Item.objects.all()
        if self.action == "list":
            base = self.request.query_params.get("knowledge_base", "")
            if not base.isdigit():
                raise ValidationError({"knowledge_base": "Give the id of a knowledge base."})
            items = items.filter(knowledge_base_id=base)
            if query := self.request.query_params.get("q", "").strip():
                items = items.filter(name__icontains=query) | items.filter(sku__icontains=query)
        return items.prefetch_related("media")

    @staticmethod
    def _fields(data) -> dict:
        fields = {key: value for key, value in data.items() if key in ITEM_FIELDS}
        for key in (
            "sku",
            "currency",
            "category",
            "unit",
            "website",
            "availability",
            "duration",
            "format",
            "price_text",
        ):
            if key in fields and fields[key] is None:
                fields[key] = ""
        return fields

    def perform_create(self, serializer):
        data = serializer.validated_data
        media = data.get("media")
        item = _service_errors(
            lambda: item_create(knowledge_base=data["knowledge_base"], **self._fields(data))
        )
        if media is not None:
            item.media.set(media)
        serializer.instance = item

    def perform_update(self, serializer):
        data = serializer.validated_data
        if (
            "knowledge_base" in data
            and data["knowledge_base"] != serializer.instance.knowledge_base
        ):
            raise ValidationError({"knowledge_base": "An item cannot move to another base."})
        item = _service_errors(lambda: item_update(item=serializer.instance, **self._fields(data)))
        if "media" in data:
            item.media.set(data["media"])
        serializer.instance = item

    def perform_destroy(self, instance):
        items_delete(knowledge_base=instance.knowledge_base, ids=[instance.pk])


class ImportJobViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of price lists: upload (and start), follow the status, cancel, skipped rows."""

    serializer_class = ImportJobSerializer
    pagination_class = NewestFirstPagination
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        jobs = ImportJob.objects.all()
        if base := self.request.query_params.get("knowledge_base"):
            jobs = jobs.filter(knowledge_base_id=base) if base.isdigit() else jobs.none()
        return jobs

    @extend_schema(request=ImportCreateSerializer, responses={201: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        """Upload a .csv/.xlsx; with ``start`` (default) the import is queued at once."""
        form = ImportCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        job = _service_errors(
            lambda: import_upload(
                knowledge_base=data["knowledge_base"],
                upload=data["file"],
                user_email=request.user.email,
            )
        )
        if data["start"]:
            self._start(job, data)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ImportStartSerializer, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start an uploaded import, optionally with another sheet, header row or mapping."""
        form = ImportStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        job = self.get_object()
        self._start(job, form.validated_data)
        return Response(ImportJobSerializer(job).data)

    @staticmethod
    def _start(job: ImportJob, data: dict) -> None:
        mapping = data.get("mapping") or job.mapping
        try:
            columns = {int(index): (field or None) for index, field in mapping.items()}
        except ValueError as error:
            raise ValidationError({"mapping": "Keys are column indexes (0, 1, ...)."}) from error
        _service_errors(
            lambda: import_confirm(
                job=job,
                sheet=data.get("sheet") or job.sheet,
                header_row=data.get("header_row") or job.header_row,
                mapping=columns,
                mode=data.get("mode") or job.mode,
            )
        )

    @extend_schema(request=None, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop a queued or running import; the knowledge base stays as it was."""
        job = _service_errors(lambda: import_cancel(job=self.get_object()))
        return Response(ImportJobSerializer(job).data)

    @extend_schema(responses={200: RejectedRowSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def skipped(self, request, pk=None):
        """Rows that did not become items, with the reason and the original cells."""
        rows = self.get_object().rejected_rows.all()
        paginator = ByIdPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RejectedRowSerializer(page, many=True).data)
