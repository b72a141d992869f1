"""A company's channels (business schema): each binds a platform connection to a company."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from connections.models import Connection
from tenants.companies.models import Company


class Channel(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="channels", verbose_name=_("company")
    )
    #: The connection in the public schema. No database constraint and no cascade from
    #: there: deleting happens from here (see services), in the business's schema.
    connection = models.ForeignKey(
        Connection,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("connection"),
    )
    platform = models.CharField(_("platform"), max_length=16, choices=Connection.Platform)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["company__code", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["connection"], name="channel_unique_connection"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.company.name}"
