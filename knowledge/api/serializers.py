from django.core.cache import cache
from rest_framework import serializers

from knowledge.models import ImportJob, ImportRejectedRow, Item, KnowledgeBase
from knowledge.services import progress_key


class KnowledgeBaseSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = KnowledgeBase
        fields = [
            "id",
            "company",
            "name",
            "kind",
            "item_count",
            "columns",
            "source_filename",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "columns", "source_filename", "created_at", "updated_at"]


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
            "knowledge_base",
            "name",
            "description",
            "sku",
            "price",
            "price_text",
            "price_note",
            "currency",
            "category",
            "unit",
            "website",
            "tags",
            "image_urls",
            "availability",
            "duration",
            "format",
            "attributes",
            "media",
            "source_row",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "price_note", "source_row", "created_at", "updated_at"]


class ImportJobSerializer(serializers.ModelSerializer):
    processed_rows = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "knowledge_base",
            "original_filename",
            "size",
            "status",
            "mode",
            "sheet",
            "sheets",
            "sheet_ambiguous",
            "header_row",
            "mapping",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "deleted_count",
            "skipped_count",
            "merged_count",
            "skip_summary",
            "warnings",
            "error_code",
            "error_message",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_processed_rows(self, job: ImportJob) -> int:
        if job.status == ImportJob.Status.RUNNING:
            progress = cache.get(progress_key(job)) or {}
            return progress.get("processed", job.processed_rows)
        return job.processed_rows


class ImportCreateSerializer(serializers.Serializer):
    knowledge_base = serializers.PrimaryKeyRelatedField(queryset=KnowledgeBase.objects.all())
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.MERGE)
    start = serializers.BooleanField(
        default=True,
        help_text="Start at once with the detected (or given) mapping; false stops after upload.",
    )
    sheet = serializers.CharField(required=False, allow_blank=True)
    header_row = serializers.IntegerField(required=False, min_value=1)
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text='Column index -> field, e.g. {"0": "name", "3": "price", "4": ""}.',
    )


class ImportStartSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, required=False)
    sheet = serializers.CharField(required=False, allow_blank=True)
    header_row = serializers.IntegerField(required=False, min_value=1)
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


class RejectedRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRejectedRow
        fields = ["row_number", "reason_code", "reason", "values"]
