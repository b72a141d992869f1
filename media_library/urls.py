"""Portal pages of the media_library app (mounted at media/), and its local files."""

from django.urls import path

from media_library import views

urlpatterns = [
    path("", views.library, name="media_library"),
    path("upload/", views.upload, name="media_upload"),
    path("<int:pk>/delete/", views.remove, name="media_delete"),
    path("folders/<slug:folder>/clear/", views.folder_clear, name="media_folder_clear"),
    # MEDIA_URL is /media/files/: local files, served to the members of the owning business.
    path("files/<path:path>", views.media_file, name="media_file"),
]
