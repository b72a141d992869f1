"""Forms of the knowledge-base pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from media_library.models import Media
from tenants.companies.models import Company

from .importing import ColumnMapping, Field
from .models import ImportJob, Item, KnowledgeBase

FIELD_LABELS = {
    Field.NAME: _("Name"),
    Field.DESCRIPTION: _("Description"),
    Field.SKU: _("SKU"),
    Field.PRICE: _("Price"),
    Field.CURRENCY: _("Currency"),
    Field.CATEGORY: _("Category"),
    Field.UNIT: _("Unit"),
    Field.WEBSITE: _("Web page"),
    Field.TAGS: _("Tags"),
    Field.IMAGE: _("Image URL"),
    Field.AVAILABILITY: _("Availability"),
    Field.DURATION: _("Duration"),
    Field.FORMAT: _("Format"),
    Field.HANDLE: _("Product handle (groups variant rows)"),
    Field.VARIANT_OPTION: _("Variant option"),
    Field.PRODUCT_TYPE: _("Product type (variable/variation)"),
    Field.PARENT: _("Parent product"),
    Field.EXTERNAL_ID: _("External ID"),
}
FIELD_CHOICES = [("", _("— keep as an extra column —"))] + [
    (field.value, label) for field, label in FIELD_LABELS.items()
]


class KnowledgeBaseForm(forms.ModelForm):
    class Meta:
        model = KnowledgeBase
        fields = ["company", "name", "kind"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.all()
        self.fields["company"].empty_label = None
        if self.instance.pk:
            self.fields["company"].disabled = True


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Price list (.csv or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,.tsv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.KNOWLEDGE_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": round(upload.size / 2**20, 1), "limit": round(limit / 2**20)}
            )
        return upload


class MappingForm(forms.Form):
    """Sheet, header row, one field per column, and replace or merge."""

    sheet = forms.ChoiceField(label=_("Sheet"), required=False)
    header_row = forms.IntegerField(label=_("Header row"), min_value=1, max_value=10_000)
    mode = forms.ChoiceField(
        label=_("When an item is already in the knowledge base"),
        choices=ImportJob.Mode.choices,
        widget=forms.RadioSelect,
        initial=ImportJob.Mode.MERGE,
    )

    def __init__(self, *args, sheets: list[str], mapping: ColumnMapping, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(name, name) for name in sheets]
        if len(sheets) <= 1:
            self.fields["sheet"].widget = forms.HiddenInput()
        self.columns = []
        for column in mapping.columns:
            name = f"col_{column.index}"
            self.fields[name] = forms.ChoiceField(
                label=column.header or _("Column %(n)s") % {"n": column.index + 1},
                choices=FIELD_CHOICES,
                required=False,
                initial=column.field.value if column.field else "",
            )
            self.columns.append((column, name))

    def column_fields(self):
        """(column spec, bound field) pairs, for the template."""
        return [(column, self[name]) for column, name in self.columns]

    def clean(self):
        data = super().clean()
        chosen = [data.get(name) for _column, name in self.columns]
        if Field.NAME.value not in chosen:
            raise forms.ValidationError(_("Choose the column that holds the item names."))
        single = [value for value in chosen if value and value not in ("price", "image")]
        repeated = sorted({value for value in single if single.count(value) > 1})
        if repeated:
            labels = ", ".join(str(FIELD_LABELS[Field(value)]) for value in repeated)
            raise forms.ValidationError(
                _("Each of these can come from one column only: %(fields)s.") % {"fields": labels}
            )
        return data

    def mapping(self) -> dict[int, str | None]:
        return {
            column.index: (self.cleaned_data.get(name) or None) for column, name in self.columns
        }


class ItemForm(forms.ModelForm):
    """The fields edited in the table row (and when adding an item)."""

    class Meta:
        model = Item
        fields = ["sku", "name", "category", "price", "currency", "unit"]
        widgets = {
            "price": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "currency": forms.TextInput(attrs={"size": 4, "maxlength": 3}),
        }

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"])
        return name


class ItemDetailForm(ItemForm):
    """Every editable field, on the item's own page, and the photos and videos it shows."""

    media = forms.ModelMultipleChoiceField(
        label=_("Photos and videos from the media library"),
        queryset=Media.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["media"].queryset = Media.objects.filter(
            folder=self.instance.knowledge_base.kind
        ).order_by("kind", "title", "id")
        self.fields["media"].initial = list(self.instance.media.values_list("pk", flat=True))

    class Meta(ItemForm.Meta):
        fields = [
            "name",
            "sku",
            "category",
            "price",
            "currency",
            "unit",
            "description",
            "website",
            "availability",
            "duration",
            "format",
        ]
        widgets = {
            **ItemForm.Meta.widgets,
            "description": forms.Textarea(attrs={"rows": 5}),
        }
