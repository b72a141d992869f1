from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaLibraryConfig(AppConfig):
    name = "media_library"
    label = "media_library"
    verbose_name = _("Media library")
    default_auto_field = "django.db.models.BigAutoField"
