"""The demo business's web chat, shown on the product's own sample shop page (/widget/demo/)."""

from __future__ import annotations

from channels_app.models import Channel
from tenants.companies.models import Company

#: The demo company whose website the demo page plays, and its widget's fixed key (the
#: key is public anyway: it is in every page that embeds the widget).
DEMO_WIDGET_COMPANY = "Green Home Store"
DEMO_WIDGET_KEY = "demo-green-home-store"
#: Products of the company's knowledge base shown on the sample page.
DEMO_ITEMS_SHOWN = 6


def demo_widget_load() -> Channel | None:
    """Enable the demo company's web chat with the fixed key (once; call it in the demo
    business's schema). ``None`` when the company is not there."""
    from .services import webchat_channel_of, webchat_enable

    company = Company.objects.filter(name=DEMO_WIDGET_COMPANY).first()
    if company is None:
        return None
    return webchat_channel_of(company) or webchat_enable(company=company, key=DEMO_WIDGET_KEY)


def demo_items(*, company: Company) -> list:
    """A few of the company's products from its knowledge base (empty when none is loaded)."""
    from knowledge.models import Item

    return list(
        Item.objects.filter(knowledge_base__company=company).order_by("position", "id")[
            :DEMO_ITEMS_SHOWN
        ]
    )
