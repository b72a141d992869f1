"""How an item is recognised again when the same price list is imported a second time."""

from __future__ import annotations

from .importing.cells import html_to_text

__all__ = ["html_to_text", "match_key"]

_MAX_KEY = 900


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def match_key(sku: str | None, name: str, category: str | None) -> str:
    """``sku:<sku>`` when the item has a SKU, else ``name:<name>|<category>``.

    Price lists without SKUs often repeat a service name under different sections
    ("Claws" for small and for large dogs), so the category is part of a name key.
    """
    if sku and sku.strip():
        return f"sku:{_norm(sku)}"[:_MAX_KEY]
    return f"name:{_norm(name)}|{_norm(category)}"[:_MAX_KEY]
