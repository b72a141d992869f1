"""Knowledge bases of a company, their items, and the imports that fill them."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from tenants.companies.models import Company

from .storage import import_storage, import_upload_to

#: PostgreSQL's ``russian`` configuration stems Cyrillic words with the Russian stemmer and
#: Latin ones with the English stemmer, so one document serves both languages (and costs
#: half of two separate ones on every import).
SEARCH_CONFIG = "russian"


def _search_vector() -> SearchVector:
    """The weighted document searched by the assistant: name, then SKU and category, then text."""
    return (
        SearchVector("name", config=SEARCH_CONFIG, weight="A")
        + SearchVector("sku", "category", config=SEARCH_CONFIG, weight="B")
        + SearchVector("description_text", config=SEARCH_CONFIG, weight="C")
    )


class KnowledgeBase(models.Model):
    """A company's catalogue of products or price list of services."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Products")
        SERVICE = "service", _("Services")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="knowledge_bases", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.PRODUCT)
    #: The columns of the last imported file, in order: ``[{"header": ..., "field": ...}]``.
    #: Export writes these headers back so a file round-trips into the shop it came from.
    columns = models.JSONField(_("columns"), default=list, blank=True)
    source_filename = models.CharField(_("imported from"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge base")
        verbose_name_plural = _("knowledge bases")
        ordering = ["company__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="knowledge_base_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """A product or a service: typed core fields, every other column kept in ``attributes``."""

    knowledge_base = models.ForeignKey(
        KnowledgeBase,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("knowledge base"),
        db_index=False,  # covered by the (knowledge_base, position) index
    )
    name = models.CharField(_("name"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    description_text = models.TextField(_("description as text"), blank=True, editable=False)
    sku = models.CharField(_("SKU"), max_length=200, blank=True)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2, null=True, blank=True)
    price_text = models.CharField(_("price as written"), max_length=200, blank=True)
    price_note = models.CharField(_("price note"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    category = models.CharField(_("category"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    website = models.CharField(_("web page"), max_length=1000, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    image_urls = models.JSONField(_("image URLs"), default=list, blank=True)
    availability = models.CharField(_("availability"), max_length=120, blank=True)
    duration = models.CharField(_("duration"), max_length=120, blank=True)
    format = models.CharField(_("format"), max_length=120, blank=True)
    attributes = models.JSONField(_("other columns"), default=dict, blank=True)
    media = models.ManyToManyField(
        "media_library.Media", related_name="items", blank=True, verbose_name=_("media")
    )
    #: Identity used to update an item on re-import: ``sku:<sku>`` or ``name:<name>|<category>``.
    match_key = models.CharField(max_length=900, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    source_row = models.PositiveIntegerField(_("row in the file"), null=True, blank=True)
    search_document = models.GeneratedField(
        expression=_search_vector(), output_field=SearchVectorField(), db_persist=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["knowledge_base", "match_key"], name="knowledge_item_unique_match_key"
            ),
        ]
        indexes = [
            models.Index(fields=["knowledge_base", "position"], name="knowledge_item_kb_position"),
            GinIndex(fields=["search_document"], name="knowledge_item_search"),
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="knowledge_item_name_trgm"),
            GinIndex(OpClass(Upper("sku"), name="gin_trgm_ops"), name="knowledge_item_sku_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from .matching import html_to_text, match_key

        self.description_text = html_to_text(self.description)
        self.match_key = match_key(self.sku, self.name, self.category)
        super().save(*args, **kwargs)


class ImportJob(models.Model):
    """One upload of a price list into a knowledge base, from preview to report."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        MERGE = "merge", _("Merge: update matching items, add new ones, keep the rest")
        REPLACE = "replace", _("Replace: the knowledge base becomes exactly this file")

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    knowledge_base = models.ForeignKey(
        KnowledgeBase,
        on_delete=models.CASCADE,
        related_name="imports",
        verbose_name=_("knowledge base"),
    )
    file = models.FileField(
        _("file"), upload_to=import_upload_to, storage=import_storage, max_length=500
    )
    original_filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.UPLOADED)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode, default=Mode.MERGE)
    sheet = models.CharField(_("sheet"), max_length=200, blank=True)
    #: Sheets of a workbook, best candidate first: ``[{"name", "header_row", "data_rows"}]``.
    sheets = models.JSONField(_("sheets"), default=list, blank=True)
    #: Two sheets look alike: the user must confirm which one to import.
    sheet_ambiguous = models.BooleanField(default=False)
    header_row = models.PositiveIntegerField(_("header row"), null=True, blank=True)
    #: Column index (as text) -> field name or "" for "keep as attribute".
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("items added"), default=0)
    updated_count = models.PositiveIntegerField(_("items updated"), default=0)
    deleted_count = models.PositiveIntegerField(_("items removed"), default=0)
    skipped_count = models.PositiveIntegerField(_("rows skipped"), default=0)
    merged_count = models.PositiveIntegerField(_("continuation rows merged"), default=0)
    #: Skipped rows by reason code, e.g. ``{"empty_row": 12, "section_header": 3}``.
    skip_summary = models.JSONField(_("skipped rows by reason"), default=dict, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    cancel_requested = models.BooleanField(default=False)
    #: Who uploaded it. Text, not a key: users live in the public schema, and a key from
    #: here would make deleting a user look for this table there.
    created_by = models.CharField(_("uploaded by"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_filename} → {self.knowledge_base}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def imported_count(self) -> int:
        return self.created_count + self.updated_count


class ImportRejectedRow(models.Model):
    """A row of an import that did not become an item, kept for the report and its download."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejected_rows")
    row_number = models.PositiveIntegerField(_("row"))
    reason_code = models.CharField(_("reason code"), max_length=40)
    reason = models.CharField(_("reason"), max_length=300)
    values = models.JSONField(_("cells"), default=list)

    class Meta:
        ordering = ["row_number", "id"]
        verbose_name = _("skipped row")
        verbose_name_plural = _("skipped rows")

    def __str__(self) -> str:
        return f"{self.row_number}: {self.reason}"

    @property
    def cells_text(self) -> str:
        """The non-empty cells of the row, for the report."""
        return " · ".join(str(value) for value in self.values if str(value).strip())

    @property
    def reason_label(self) -> str:
        from .messages import skip_reason_label

        return skip_reason_label(self.reason_code)
