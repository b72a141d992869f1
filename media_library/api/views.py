from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from media_library.api.serializers import (
    MediaFilterSerializer,
    MediaSerializer,
    MediaUploadSerializer,
)
from media_library.errors import MediaError, MediaErrorCode
from media_library.models import Media
from media_library.selectors import media_list
from media_library.services import media_delete, media_upload


class MediaPagination(CursorPagination):
    ordering = ("-created_at", "-id")


class MediaStorageFailed(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = MediaErrorCode.STORAGE_FAILED.value


def _api_error(error: MediaError) -> APIException:
    body = {"detail": error.message, "code": error.code.value}
    if error.code == MediaErrorCode.STORAGE_FAILED:
        return MediaStorageFailed(body)
    return ValidationError(body)


@extend_schema(tags=["media"])
class MediaViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Photos and videos of the business's media library (folders product and service)."""

    serializer_class = MediaSerializer
    pagination_class = MediaPagination
    parser_classes = [MultiPartParser, FormParser]
    queryset = Media.objects.none()  # for the schema; the real one is get_queryset's

    def get_queryset(self):
        # The schema is the scope: only the caller's business's media are ever seen here.
        if self.action != "list":
            return media_list()
        filters = MediaFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return media_list(**filters.validated_data)

    @extend_schema(
        parameters=[
            OpenApiParameter("folder", enum=Media.Folder.values, required=False),
            OpenApiParameter("kind", enum=Media.Kind.values, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MediaUploadSerializer, responses={201: MediaSerializer})
    def create(self, request, *args, **kwargs):
        """Upload one photo or video (multipart/form-data)."""
        upload = MediaUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            media = media_upload(
                folder=data["folder"],
                upload=data["file"],
                title=data["title"],
                replace_video=data["replace_video"],
            )
        except MediaError as error:
            raise _api_error(error) from error
        serializer = self.get_serializer(media)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        try:
            media_delete(media=instance)
        except MediaError as error:
            raise _api_error(error) from error
