from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import MAX_QUESTION_CHARS


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=MAX_QUESTION_CHARS,
        widget=forms.TextInput(
            attrs={"placeholder": _("How do I connect WhatsApp?"), "autocomplete": "off"}
        ),
        error_messages={"required": _("Write your question first.")},
    )
