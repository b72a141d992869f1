from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from tenants.errors import TenantsError
from tenants.services import slug_validate


class SignupEmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Work e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SignupCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class SignupFinishForm(forms.Form):
    business_name = forms.CharField(label=_("Business name"), max_length=120)
    slug = forms.CharField(
        label=_("Portal address"),
        max_length=40,
        help_text=_("Lowercase Latin letters, digits and hyphens."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_business_name(self) -> str:
        name = self.cleaned_data["business_name"].strip()
        if len(name) < 2:
            raise forms.ValidationError(_("Enter the name of your business."))
        return name

    def clean_slug(self) -> str:
        try:
            return slug_validate(self.cleaned_data["slug"])
        except TenantsError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            from accounts.models import User

            probe = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class AccountPreferencesForm(forms.Form):
    """A person's own settings: name, language, and the alerts of live chat."""

    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("Of the portal and of its live updates."),
    )
    notify_desktop = forms.BooleanField(
        label=_("Desktop notification for a new conversation"),
        required=False,
        help_text=_("Your browser asks you once to allow them."),
    )
    notify_sound = forms.BooleanField(label=_("Sound for a new conversation"), required=False)

    @classmethod
    def for_user(cls, user, data=None) -> AccountPreferencesForm:
        initial = {
            "full_name": user.full_name,
            "language": user.language,
            "notify_desktop": user.notify_desktop,
            "notify_sound": user.notify_sound,
        }
        return cls(data, initial=initial)
