"""The web chat widget's settings form in the portal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WidgetSettings
from .services import origin_normalize

MAX_ORIGINS = 50


class WidgetSettingsForm(forms.ModelForm):
    allowed_origins = forms.CharField(
        label=_("Websites"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://shop.example.com"}),
        help_text=_(
            "One address per line, like https://shop.example.com; https://*.example.com "
            "for all its subdomains. Empty: the chat runs on any website."
        ),
    )

    class Meta:
        model = WidgetSettings
        fields = ["enabled", "title", "greeting", "accent_color", "allowed_origins"]
        widgets = {
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "greeting": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["allowed_origins"] = "\n".join(self.instance.allowed_origins)

    def clean_allowed_origins(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["allowed_origins"].splitlines()]
        origins, wrong = [], []
        for line in filter(None, lines):
            normalized = origin_normalize(line)
            if normalized is None:
                wrong.append(line)
            elif normalized not in origins:
                origins.append(normalized)
        if wrong:
            raise forms.ValidationError(
                _("Not a website address: %(lines)s. Write it like https://shop.example.com."),
                params={"lines": ", ".join(wrong[:5])},
            )
        if len(origins) > MAX_ORIGINS:
            raise forms.ValidationError(_("At most %(max)s websites."), params={"max": MAX_ORIGINS})
        return origins
