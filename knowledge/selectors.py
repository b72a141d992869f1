"""Reads on knowledge bases: listings for the portal and the search the assistant uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet

from tenants.companies.models import Company

from .matching import match_key
from .models import SEARCH_CONFIG, ImportJob, Item, KnowledgeBase

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
_CODE = re.compile(r"[\w][\w\-./]*", re.UNICODE)
_ANY_WORD_CAP = 2000
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


def _codes(question: str) -> list[str]:
    """Words that look like SKUs: letters, digits and dashes with at least one digit."""
    found = []
    for token in _CODE.findall(question):
        token = token.strip("-./")
        if len(token) >= 2 and any(ch.isdigit() for ch in token) and token not in found:
            found.append(token)
    return found[:_MAX_WORDS]


# The queries below format in only constants of this module; every value is a parameter.
_COLUMNS = """item.id, item.knowledge_base_id, item.name, item.sku, item.price, item.price_text,
    item.currency, item.category"""

# Exact SKUs, through the unique (knowledge base, match key) index.
_BY_SKU = f"""
SELECT {_COLUMNS}, 10.0 FROM knowledge_item AS item
WHERE item.knowledge_base_id = ANY(%(bases)s) AND item.match_key = ANY(%(keys)s)
"""  # noqa: S608

# Full text: items with every word of the question first, then items with any of them.
# Matches of the "any word" query are capped before ranking so that a very common word
# cannot make the assistant wait; items with all the words were found in the first pass.
_BY_TEXT = f"""
WITH query AS (
    SELECT plainto_tsquery('{SEARCH_CONFIG}', %(question)s) AS every,
           replace(plainto_tsquery('{SEARCH_CONFIG}', %(question)s)::text, ' & ', ' | ')::tsquery
               AS any
), every_word AS (
    SELECT item.id, 1.0 + ts_rank_cd(item.search_document, query.every, 32) AS score
    FROM knowledge_item AS item, query
    WHERE item.knowledge_base_id = ANY(%(bases)s) AND item.search_document @@ query.every
    ORDER BY score DESC LIMIT %(limit)s
), any_word AS (
    SELECT item.id, item.search_document FROM knowledge_item AS item, query
    WHERE item.knowledge_base_id = ANY(%(bases)s) AND item.search_document @@ query.any
      AND NOT EXISTS (SELECT 1 FROM every_word WHERE every_word.id = item.id)
    LIMIT {_ANY_WORD_CAP}
), ranked AS (
    SELECT id, score FROM every_word
    UNION ALL
    (SELECT any_word.id, ts_rank_cd(any_word.search_document, query.any, 32) AS score
     FROM any_word, query ORDER BY score DESC LIMIT %(limit)s)
)
SELECT {_COLUMNS}, ranked.score
FROM ranked JOIN knowledge_item AS item ON item.id = ranked.id
ORDER BY ranked.score DESC, item.id LIMIT %(limit)s
"""  # noqa: S608

# Typos and unusual word forms, when the full text found nothing: trigram similarity of each
# word of the question to the names (a word with a typo is still close to the right one).
_SIMILARITY_THRESHOLD = 0.45
_SIMILAR_WORDS = 6


def _by_similarity(count: int) -> str:
    scores = " + ".join(f"word_similarity(%(w{n})s, item.name)" for n in range(count))
    matches = " OR ".join(f"%(w{n})s <%% item.name" for n in range(count))
    return f"""
SELECT {_COLUMNS}, ({scores}) / {count} AS score
FROM knowledge_item AS item
WHERE item.knowledge_base_id = ANY(%(bases)s) AND ({matches})
ORDER BY score DESC, item.id LIMIT %(limit)s
"""  # noqa: S608 - only numbered parameter names are formatted in


# A mistyped SKU, when no SKU matched exactly.
_BY_SKU_SIMILARITY = f"""
SELECT {_COLUMNS}, similarity(upper(item.sku), %(code)s) AS score
FROM knowledge_item AS item
WHERE item.knowledge_base_id = ANY(%(bases)s) AND upper(item.sku) %% %(code)s
ORDER BY score DESC, item.id LIMIT %(limit)s
"""  # noqa: S608


def item_search(*, company: Company, question: str, limit: int = _SEARCH_LIMIT) -> list[SearchHit]:
    """Items of the company's knowledge bases that answer a free-text question, best first.

    In order: exact SKUs (or similar ones when none is exact); full-text matches
    (PostgreSQL's ``russian`` configuration, which stems Russian and English words) with
    every word, then with any word; and only when nothing matched, trigram similarity of
    each word of the question to the names (typos).
    """
    words = _words(question)
    if not words:
        return []
    bases = list(company.knowledge_bases.values_list("pk", flat=True))
    if not bases:
        return []
    codes = _codes(question)
    params = {"bases": bases, "question": " ".join(words), "limit": limit}
    hits: dict[int, SearchHit] = {}

    def collect(sql: str, **extra) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, {**params, **extra})
            for row in cursor.fetchall():
                if row[0] not in hits:
                    hits[row[0]] = SearchHit(*row[:8], score=float(row[8]))

    if codes:
        collect(_BY_SKU, keys=[match_key(code, "", "") for code in codes])
        if not hits:  # a SKU-like word that is no SKU: maybe a mistyped one
            for code in codes:
                collect(_BY_SKU_SIMILARITY, code=code.upper())
    collect(_BY_TEXT)
    similar = [word for word in words if len(word) >= 3 and not word.isdigit()][:_SIMILAR_WORDS]
    if not hits and similar:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL pg_trgm.word_similarity_threshold = %s", [_SIMILARITY_THRESHOLD]
            )
            collect(_by_similarity(len(similar)), **{f"w{n}": w for n, w in enumerate(similar)})
    return sorted(hits.values(), key=lambda hit: -hit.score)[:limit]
