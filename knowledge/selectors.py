"""Reads on knowledge bases: listings for the portal and the search the assistant uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet

from tenants.companies.models import Company

from .models import ImportJob, Item, KnowledgeBase

SORTS = {
    "position": ("position", "id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "sku": ("sku", "id"),
    "-sku": ("-sku", "-id"),
    "category": ("category", "name", "id"),
    "-category": ("-category", "name", "id"),
    "updated": ("-updated_at", "-id"),
}

_WORD = re.compile(r"\w+", re.UNICODE)
_SEARCH_LIMIT = 10
_MAX_WORDS = 12


def knowledge_base_list(*, company: Company | None = None) -> QuerySet[KnowledgeBase]:
    bases = KnowledgeBase.objects.select_related("company").annotate(item_count=Count("items"))
    if company is not None:
        bases = bases.filter(company=company)
    return bases


def item_list(
    *, knowledge_base: KnowledgeBase, query: str = "", sort: str = "position"
) -> QuerySet[Item]:
    """Items of one base for the table: filtered by a substring of name, SKU or category."""
    items = knowledge_base.items.all()
    query = query.strip()
    if query:
        items = items.filter(
            Q(name__icontains=query) | Q(sku__icontains=query) | Q(category__icontains=query)
        )
    return items.order_by(*SORTS.get(sort, SORTS["position"]))


def import_list(*, knowledge_base: KnowledgeBase) -> QuerySet[ImportJob]:
    return knowledge_base.imports.all()


@dataclass(frozen=True)
class SearchHit:
    item_id: int
    knowledge_base_id: int
    name: str
    sku: str
    price: Decimal | None
    price_text: str
    currency: str
    category: str
    score: float


def _words(question: str) -> list[str]:
    seen: list[str] = []
    for word in _WORD.findall(question.casefold()):
        if word not in seen:
            seen.append(word)
    return seen[:_MAX_WORDS]


_SEARCH_SQL = """
WITH query AS (
    SELECT to_tsquery('english', %(terms)s) AS en,
           to_tsquery('russian', %(terms)s) AS ru,
           %(question)s::text AS question
), candidates AS (
    SELECT item.id FROM knowledge_item AS item, query
    WHERE item.knowledge_base_id = ANY(%(bases)s)
      AND (item.search_document @@ query.en OR item.search_document @@ query.ru)
    UNION
    SELECT item.id FROM knowledge_item AS item, query
    WHERE item.knowledge_base_id = ANY(%(bases)s) AND query.question <%% item.name
    {code_candidates}
)
SELECT item.id, item.knowledge_base_id, item.name, item.sku, item.price, item.price_text,
       item.currency, item.category,
       ts_rank_cd(item.search_document, query.en) + ts_rank_cd(item.search_document, query.ru)
       + word_similarity(query.question, item.name)
       + CASE WHEN upper(item.sku) = ANY(%(codes)s) THEN 2
              ELSE similarity(upper(item.sku), %(first_code)s) END AS score
FROM candidates JOIN knowledge_item AS item ON item.id = candidates.id, query
ORDER BY score DESC, item.id
LIMIT %(limit)s
"""


def item_search(*, company: Company, question: str, limit: int = _SEARCH_LIMIT) -> list[SearchHit]:
    """Items of the company's knowledge bases that answer a free-text question, best first.

    Three ways in, ranked together: full-text match on English and Russian stems (any of
    the words), trigram word similarity of the question to the name (typos, other word
    forms), and trigram similarity of SKU-like words to the SKU.
    """
    words = _words(question)
    if not words:
        return []
    bases = list(company.knowledge_bases.values_list("pk", flat=True))
    if not bases:
        return []
    codes = [word.upper() for word in words if any(ch.isdigit() for ch in word)] or [""]
    params = {
        "terms": " | ".join(f"'{word}'" for word in words),
        "question": " ".join(words),
        "bases": bases,
        "codes": codes,
        "first_code": codes[0],
        "limit": limit,
    }
    code_candidates = "".join(
        f"""UNION SELECT item.id FROM knowledge_item AS item
        WHERE item.knowledge_base_id = ANY(%(bases)s) AND upper(item.sku) %% %(code{n})s
        """  # noqa: S608 - a constant clause; the code itself is a parameter
        for n in range(len(codes) if codes[0] else 0)
    )
    params.update({f"code{n}": code for n, code in enumerate(codes)})
    with connection.cursor() as cursor:
        # Only the fixed SKU clauses are formatted in; every value is a parameter.
        cursor.execute(_SEARCH_SQL.format(code_candidates=code_candidates), params)
        return [SearchHit(*row[:8], score=float(row[8])) for row in cursor.fetchall()]
