"""How a company's web chat widget looks and where it may run (business schema)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from channels_app.models import Channel

DEFAULT_ACCENT_COLOR = "#4f46e5"


class WidgetSettings(models.Model):
    """The settings of one web chat channel; its key is the channel connection's external id."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="widget")
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("When off, the chat bubble disappears from your website."),
    )
    #: Websites (``scheme://host[:port]``, ``*.`` for subdomains) the widget answers; empty: any.
    allowed_origins = ArrayField(
        models.CharField(max_length=200), default=list, blank=True, verbose_name=_("websites")
    )
    title = models.CharField(_("title"), max_length=80)
    greeting = models.CharField(_("greeting"), max_length=300, blank=True)
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        default=DEFAULT_ACCENT_COLOR,
        validators=[
            RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #4f46e5.")),
        ],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("web chat widget")
        verbose_name_plural = _("web chat widgets")

    def __str__(self) -> str:
        return self.title

    @property
    def key(self) -> str:
        return self.channel.connection.external_id
