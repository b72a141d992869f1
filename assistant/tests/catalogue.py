"""A small tea catalogue for the assistant's tests (two items with real fields)."""

from __future__ import annotations

from decimal import Decimal

from knowledge.models import Item, KnowledgeBase


def teas_create(company) -> KnowledgeBase:
    base = KnowledgeBase.objects.create(company=company, name="Teas")
    for position, (name, sku, price, category, description) in enumerate(
        [
            ("Sencha Green Tea", "TEA-SEN-100", "450", "Green tea", "Japanese green tea, 100 g."),
            (
                "Earl Grey Black Tea",
                "TEA-EG-200",
                "390",
                "Black tea",
                "Black tea with bergamot, 200 g.",
            ),
        ],
        start=1,
    ):
        Item.objects.create(
            knowledge_base=base,
            name=name,
            sku=sku,
            price=Decimal(price),
            currency="RUB",
            category=category,
            description=description,
            availability="in stock",
            position=position,
        )
    return base
