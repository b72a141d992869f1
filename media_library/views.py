"""The media library pages of the business portal, and its local files."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from media_library.errors import MediaError, MediaErrorCode
from media_library.forms import MediaUploadForm
from media_library.models import Media
from media_library.selectors import media_folder_counts, media_folder_video, media_list
from media_library.services import media_delete, media_folder_clear, media_upload
from media_library.serving import media_file_response


@require_GET
def library(request):
    folder = _folder_or_default(request.GET.get("folder"))
    form = MediaUploadForm(initial={"folder": folder})
    return _library_render(request, folder=folder, form=form)


@require_http_methods(["GET", "POST"])
def upload(request):
    if request.method == "GET":  # e.g. a reload after a failed upload
        return redirect(_library_url(_folder_or_default(request.GET.get("folder"))))
    form = MediaUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        folder = _folder_or_default(request.POST.get("folder"))
        return _library_render(request, folder=folder, form=form, status=422)
    folder = form.cleaned_data["folder"]
    saved, video_exists = 0, False
    for upload_file in form.cleaned_data["files"]:
        try:
            media_upload(
                folder=folder,
                upload=upload_file,
                title=form.cleaned_data["title"],
                replace_video=form.cleaned_data["replace_video"],
            )
        except MediaError as error:
            form.add_error("files", f"{upload_file.name}: {error.message}")
            video_exists = video_exists or error.code == MediaErrorCode.VIDEO_EXISTS
        else:
            saved += 1
    if saved:
        messages.success(
            request,
            ngettext(
                "%(count)d file was uploaded.",
                "%(count)d files were uploaded.",
                saved,
            )
            % {"count": saved},
        )
    if form.errors:
        return _library_render(
            request, folder=folder, form=form, status=422, video_exists=video_exists
        )
    return redirect(_library_url(folder))


@require_http_methods(["GET", "POST"])
def remove(request, pk: int):
    media = get_object_or_404(Media, pk=pk)
    if request.method == "POST":
        try:
            media_delete(media=media)
        except MediaError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(name)s was deleted.") % {"name": media})
        return redirect(_library_url(media.folder))
    return render(request, "media_library/media_confirm_delete.html", {"media": media})


@require_http_methods(["GET", "POST"])
def folder_clear(request, folder: str):
    if folder not in Media.Folder.values:
        raise Http404("No such folder")
    label = Media.Folder(folder).label
    if request.method == "POST":
        try:
            count = media_folder_clear(folder=folder)
        except MediaError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d file was deleted from %(folder)s.",
                    "%(count)d files were deleted from %(folder)s.",
                    count,
                )
                % {"count": count, "folder": label},
            )
        return redirect(_library_url(folder))
    context = {"folder": folder, "folder_label": label, "count": media_list(folder=folder).count()}
    return render(request, "media_library/folder_confirm_clear.html", context)


@require_safe
def media_file(request, path: str):
    """A local file, only to members (BusinessMemberMiddleware) of the business that owns it.

    With Cloudinary the files are delivered by Cloudinary and nothing is found here.
    """
    return media_file_response(request, schema_name=connection.schema_name, path=path)


def _library_render(
    request, *, folder: str, form: MediaUploadForm, status: int = 200, video_exists: bool = False
):
    counts = media_folder_counts()
    context = {
        "folder": folder,
        "folder_label": Media.Folder(folder).label,
        "folders": [(value, label, counts[value]) for value, label in Media.Folder.choices],
        "video": media_folder_video(folder=folder),
        "photos": media_list(folder=folder, kind=Media.Kind.IMAGE),
        "form": form,
        "video_exists": video_exists,
        "image_max_bytes": settings.MEDIA_IMAGE_MAX_BYTES,
        "video_max_bytes": settings.MEDIA_VIDEO_MAX_BYTES,
    }
    return render(request, "media_library/library.html", context, status=status)


def _folder_or_default(value: str | None) -> str:
    return value if value in Media.Folder.values else Media.Folder.PRODUCT


def _library_url(folder: str) -> str:
    return f"{reverse('media_library')}?folder={folder}"
