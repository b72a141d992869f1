"""Reads of billing for the portal and the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import QuerySet

from tenants.models import Business

from . import stripe_api
from .entitlements import account_for
from .models import Plan


def plans_public() -> QuerySet[Plan]:
    return Plan.objects.filter(public=True).order_by("sort_order")


@dataclass(frozen=True)
class InvoiceRow:
    number: str
    created: datetime | None
    amount: Decimal
    currency: str
    status: str
    url: str
    pdf: str


def invoices_for(business: Business, *, limit: int = 24) -> list[InvoiceRow]:
    """The business's invoices as dj-stripe holds them (kept current by webhooks)."""
    from djstripe.models import Invoice

    account = account_for(business)
    if not account.stripe_customer_id:
        return []
    rows = []
    invoices = Invoice.objects.filter(customer_id=account.stripe_customer_id).order_by("-created")[
        :limit
    ]
    for invoice in invoices:
        data = invoice.stripe_data or {}
        cents = data.get("amount_paid") or data.get("amount_due") or data.get("total") or 0
        created = data.get("created")
        rows.append(
            InvoiceRow(
                number=data.get("number") or invoice.id,
                created=datetime.fromtimestamp(created, tz=UTC) if created else invoice.created,
                amount=Decimal(cents) / 100,
                currency=(data.get("currency") or "usd").upper(),
                status=data.get("status") or "",
                url=data.get("hosted_invoice_url") or "",
                pdf=data.get("invoice_pdf") or "",
            )
        )
    return rows


def online_payment_ready() -> bool:
    """Stripe keys set and the catalog's paid plans known to Stripe."""
    return stripe_api.configured() and plans_public().exclude(stripe_price_id="").exists()
