from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from media_library.models import Media

#: What the file picker offers; the server checks the real content anyway.
ACCEPT = "image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime,video/webm"
MAX_FILES_PER_UPLOAD = 20


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; cleans to a list."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        clean_one = super().clean
        if isinstance(data, list | tuple) and data:
            return [clean_one(item, initial) for item in data]
        return [clean_one(data or None, initial)]  # none chosen: "This field is required."


class MediaUploadForm(forms.Form):
    folder = forms.ChoiceField(choices=Media.Folder.choices, widget=forms.HiddenInput)
    files = MultipleFileField(
        label=_("Photos or a video"),
        help_text=_("Choose several photos at once if you like. A folder has one video."),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Optional; given to every file of this upload."),
    )
    replace_video = forms.BooleanField(label=_("Replace the current video"), required=False)

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise forms.ValidationError(
                _("Upload at most %(count)d files at a time.") % {"count": MAX_FILES_PER_UPLOAD}
            )
        return files
