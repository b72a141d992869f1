from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManagersConfig(AppConfig):
    name = "managers"
    verbose_name = _("Managers")
    default_auto_field = "django.db.models.BigAutoField"
