"""Businesses (the tenants) and their host names. Both live in the public schema."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class Business(TenantMixin):
    """A customer of the platform; its own data lives in its own Postgres schema."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    trial_ends_at = models.DateTimeField(_("trial ends at"), null=True, blank=True)
    #: Days conversation history is kept; set from the business's plan.
    history_retention_days = models.PositiveIntegerField(
        _("history kept (days)"), default=settings.HISTORY_RETENTION_DAYS_DEFAULT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The schema is cloned from the template in create_schema(); see tenants.schemas.
    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1) -> bool:
        from tenants.schemas import schema_clone_from_template

        return schema_clone_from_template(
            schema_name=self.schema_name, check_if_exists=check_if_exists
        )

    @property
    def email(self) -> str:
        """Where Stripe sends the business's receipts: its first owner's address."""
        membership = (
            self.memberships.filter(role="owner", user__is_active=True)
            .select_related("user")
            .order_by("created_at")
            .first()
        )
        return membership.user.email if membership else ""

    def get_full_name(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    def trial_days_left(self, *, now=None) -> int | None:
        """Whole days of trial left (rounded up), 0 once it has ended, None without a trial."""
        if self.trial_ends_at is None:
            return None
        remaining = self.trial_ends_at - (now or timezone.now())
        if remaining <= timedelta(0):
            return 0
        return remaining.days + (1 if remaining.seconds or remaining.microseconds else 0)

    def portal_url(self, path: str = "/") -> str:
        return host_url(f"{self.slug}.{settings.SITE_DOMAIN}", path)


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


def host_url(host: str, path: str = "/") -> str:
    """An absolute URL on one of our hosts, with the configured scheme and port."""
    scheme, port = settings.SITE_SCHEME, settings.SITE_PORT
    default_port = {"http": 80, "https": 443}[scheme]
    netloc = host if port == default_port else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}"


def public_url(path: str = "/") -> str:
    return host_url(settings.SITE_DOMAIN, path)
