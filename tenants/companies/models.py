"""Companies of a business (in the business's own schema)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

CODE_SEQUENCE = "companies_company_code_seq"


class Company(models.Model):
    """A brand or shop of the business; it has its own knowledge base and channels."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        SERVICE = "service", _("Service")
        HYBRID = "hybrid", _("Hybrid")

    class ShopType(models.TextChoices):
        ONLINE = "online", _("Online shop")
        PHYSICAL = "physical", _("Physical shop")
        ONLINE_AND_PHYSICAL = "online_physical", _("Online and physical")
        MARKETPLACE = "marketplace", _("Marketplace seller")
        SALON = "salon", _("Salon or studio")
        ON_SITE = "on_site", _("Services at the customer's place")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("company code"), max_length=16, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=16, choices=Kind, default=Kind.PRODUCT)
    shop_type = models.CharField(
        _("shop type"), max_length=24, choices=ShopType, default=ShopType.ONLINE
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
