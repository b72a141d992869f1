"""Writing imported items: COPY into a temporary table, then one upsert into the items.

The whole import runs inside one transaction, so a failure or a cancel leaves the knowledge
base exactly as it was, and an item that is imported again keeps its id (and its media).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from .importing import ParsedItem
from .models import Item, KnowledgeBase

#: Item columns filled from the file, in COPY order.
COLUMNS = (
    "name",
    "description",
    "description_text",
    "sku",
    "price",
    "price_text",
    "price_note",
    "currency",
    "category",
    "unit",
    "website",
    "tags",
    "image_urls",
    "availability",
    "duration",
    "format",
    "attributes",
    "match_key",
    "position",
    "source_row",
)
_TEXT_LIMITS = {
    field.name: field.max_length
    for field in Item._meta.concrete_fields
    if field.name in COLUMNS and getattr(field, "max_length", None)
}
_STAGE = "knowledge_item_stage"
_UPDATED = [column for column in COLUMNS if column != "match_key"]


@dataclass(frozen=True)
class WriteCounts:
    created: int
    updated: int
    deleted: int


def _clip(value: str | None, limit: int) -> str:
    if not value:
        return ""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def item_row(item: ParsedItem, *, key: str, position: int) -> tuple:
    """The COPY row of one parsed item, clipped to the column sizes."""
    limits = _TEXT_LIMITS
    return (
        _clip(item.name, limits["name"]),
        item.description or "",
        item.description_text or "",
        _clip(item.sku, limits["sku"]),
        item.price,
        _clip(item.price_text, limits["price_text"]),
        _clip(item.price_note, limits["price_note"]),
        (item.currency or "")[: limits["currency"]],
        _clip(item.category, limits["category"]),
        _clip(item.unit, limits["unit"]),
        _clip(item.website, limits["website"]),
        json.dumps(item.tags, ensure_ascii=False) if item.tags else "[]",
        json.dumps(item.image_urls, ensure_ascii=False) if item.image_urls else "[]",
        _clip(item.availability, limits["availability"]),
        _clip(item.duration, limits["duration"]),
        _clip(item.format, limits["format"]),
        json.dumps(item.attributes, ensure_ascii=False, default=str) if item.attributes else "{}",
        key,
        position,
        item.source_row,
    )


#: Statistics are refreshed after an import that changed at least this many items, so the
#: search plans for a large knowledge base right away (autovacuum may be far behind).
ANALYZE_AFTER = 1000


class ItemWriter:
    """Writes one import into one knowledge base; use inside the import's transaction.

    Into an empty knowledge base the rows are COPied straight into the items. Otherwise
    they are COPied into a temporary table and merged by match key in :meth:`finish`.
    """

    def __init__(self, knowledge_base: KnowledgeBase) -> None:
        self.knowledge_base = knowledge_base
        self.staged = 0
        # One import at a time per knowledge base: a second one waits for this one to end.
        KnowledgeBase.objects.select_for_update().filter(pk=knowledge_base.pk).exists()
        self.direct = not Item.objects.filter(knowledge_base=knowledge_base).exists()
        self._now = timezone.now()
        if self.direct:
            return
        with connection.cursor() as cursor:
            # A previous import in the same (test) transaction may have left it behind.
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
            cursor.execute(
                f"""
                CREATE TEMP TABLE {_STAGE} (
                    name text, description text, description_text text, sku text,
                    price numeric(14, 2), price_text text, price_note text, currency text,
                    category text, unit text, website text, tags jsonb, image_urls jsonb,
                    availability text, duration text, format text, attributes jsonb,
                    match_key text, position integer, source_row integer
                ) ON COMMIT DROP
                """
            )

    def write(self, rows: list[tuple]) -> None:
        """COPY one batch of :func:`item_row` tuples (into the items, or the stage table)."""
        if not rows:
            return
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if self.direct:
                kb_id, now = self.knowledge_base.pk, self._now
                columns = ", ".join(("knowledge_base_id", *COLUMNS, "created_at", "updated_at"))
                with raw.copy(f"COPY knowledge_item ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row((kb_id, *row, now, now))
            else:
                with raw.copy(f"COPY {_STAGE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        self.staged += len(rows)

    def _analyze(self, changed: int) -> None:
        if changed >= ANALYZE_AFTER:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE knowledge_item")

    def finish(self, *, replace: bool) -> WriteCounts:
        """Upsert the staged rows by match key; with ``replace`` also drop items not in the file."""
        if self.direct:
            self._analyze(self.staged)
            return WriteCounts(created=self.staged, updated=0, deleted=0)
        kb_id = self.knowledge_base.pk
        deleted = 0
        with connection.cursor() as cursor:
            if replace:
                cursor.execute(
                    # Only constant identifiers are formatted in; values are parameters.
                    f"""
                    DELETE FROM knowledge_item AS item
                    WHERE item.knowledge_base_id = %s
                      AND NOT EXISTS (
                          SELECT 1 FROM {_STAGE} AS stage WHERE stage.match_key = item.match_key
                      )
                    """,  # noqa: S608
                    [kb_id],
                )
                deleted = cursor.rowcount
            columns = ", ".join(COLUMNS)
            updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in _UPDATED)
            cursor.execute(
                f"""
                WITH upserted AS (
                    INSERT INTO knowledge_item
                        (knowledge_base_id, {columns}, created_at, updated_at)
                    SELECT %s, {columns}, now(), now() FROM {_STAGE}
                    ON CONFLICT (knowledge_base_id, match_key) DO UPDATE
                        SET {updates}, updated_at = now()
                    RETURNING (xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
                FROM upserted
                """,  # noqa: S608
                [kb_id],
            )
            created, updated = cursor.fetchone()
        self._analyze(created + updated + deleted)
        return WriteCounts(created=created, updated=updated, deleted=deleted)
