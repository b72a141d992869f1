from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebchatConfig(AppConfig):
    name = "webchat"
    label = "webchat"
    verbose_name = _("Web chat")
    default_auto_field = "django.db.models.BigAutoField"
