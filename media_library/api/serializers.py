from rest_framework import serializers

from media_library.models import Media


class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where the file is delivered.")
    preview_url = serializers.SerializerMethodField(
        help_text="A small JPEG: a photo's thumbnail or, on Cloudinary, a frame of a video; "
        "null when there is none.",
    )

    class Meta:
        model = Media
        fields = [
            "id",
            "folder",
            "kind",
            "title",
            "url",
            "preview_url",
            "original_filename",
            "content_type",
            "size",
            "width",
            "height",
            "created_at",
        ]
        read_only_fields = fields

    def get_url(self, media: Media) -> str:
        return self._absolute(media.file.url)

    def get_preview_url(self, media: Media) -> str | None:
        url = media.preview_url
        return self._absolute(url) if url else None

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class MediaUploadSerializer(serializers.Serializer):
    folder = serializers.ChoiceField(choices=Media.Folder.choices)
    file = serializers.FileField(
        help_text="A photo (JPEG, PNG, GIF, WebP) or a video (MP4, MOV, WebM)."
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    replace_video = serializers.BooleanField(
        default=False,
        help_text="A folder has one video: true deletes the current one for this upload.",
    )


class MediaFilterSerializer(serializers.Serializer):
    folder = serializers.ChoiceField(choices=Media.Folder.choices, required=False)
    kind = serializers.ChoiceField(choices=Media.Kind.choices, required=False)
