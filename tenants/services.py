"""Writes on businesses: creating one with its schema and host name."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import BillingAccount
from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Business, Domain

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")

# Host names a business may not take: our own services, common infrastructure names,
# and anything that would read as the platform speaking.
RESERVED_SLUGS = frozenset([
    "www", "admin", "administrator", "api", "app", "apps", "assets", "auth", "billing", "blog",
    "cdn", "chat", "dashboard", "demo-admin", "dev", "docs", "email", "files", "ftp", "help",
    "healthz", "imap", "images", "js", "login", "logout", "mail", "manage", "manager",
    "managers", "media", "news", "pop", "pop3", "portal", "public", "root", "security", "signup",
    "smtp", "staff", "static", "status", "stripe", "support", "system", "test",
    "tenant_template", "webhook", "webhooks", "widget", "ws", "wss", "x8", "x8network",
])


def slug_validate(slug: str) -> str:
    """Return the normalised slug or raise TenantsError saying what is wrong with it."""
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise TenantsError(
            TenantsErrorCode.SLUG_INVALID,
            _(
                "Use 3 to 40 lowercase Latin letters, digits and single hyphens, "
                "starting and ending with a letter or digit."
            ),
        )
    if slug in RESERVED_SLUGS:
        raise TenantsError(TenantsErrorCode.SLUG_RESERVED, _("This address is reserved."))
    if Business.objects.filter(slug=slug).exists():
        raise TenantsError(TenantsErrorCode.SLUG_TAKEN, _("This address is already taken."))
    return slug


def schema_name_for(slug: str) -> str:
    return settings.BUSINESS_SCHEMA_PREFIX + slug.replace("-", "_")


@transaction.atomic
def business_create(*, name: str, slug: str, trial_days: int | None = None) -> Business:
    """Create a business, its schema (cloned from the template) and its host name.

    The schema is created inside the same transaction (Postgres DDL is transactional), so a
    failure anywhere leaves neither a business row nor a half-made schema behind.
    """
    slug = slug_validate(slug)
    days = settings.TRIAL_DAYS if trial_days is None else trial_days
    business = Business(
        name=name.strip(),
        slug=slug,
        schema_name=schema_name_for(slug),
        trial_ends_at=timezone.now() + timedelta(days=days) if days else None,
    )
    business.save()
    Domain.objects.create(
        domain=f"{slug}.{settings.SITE_DOMAIN}", tenant=business, is_primary=True
    )
    BillingAccount.objects.create(business=business)
    return business


def public_tenant_ensure() -> Business:
    """The public schema's own row and host name, which the tenant middleware routes by."""
    public, _ = Business.objects.get_or_create(
        schema_name="public", defaults={"name": "X8 Network", "slug": "public"}
    )
    Domain.objects.get_or_create(
        domain=settings.SITE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    return public
