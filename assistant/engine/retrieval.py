"""Finding the items a message is about: the knowledge-base search, then a second look at
each candidate's own words (so "Hoodie with Logo" beats "Hoodie" when the logo was asked
for), and a spelling fix when a word of the question matches no item as typed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count

from knowledge.models import Item
from knowledge.selectors import SearchHit, item_search

from ..types import FoundItem
from .intents import looks_like_instruction, understand
from .language import detect_language
from .phrasebook import format_price
from .text import STOPWORDS, edit_distance, stem, tokens, word_match

#: Candidates asked of the knowledge-base search per query, before they are ranked again.
CANDIDATES = 20
#: Items scoring less than this are not shown at all.
MIN_RELEVANCE = 0.35
#: Weight of the question's coverage by an item's name, against the name's coverage by the
#: question.
QUESTION_WEIGHT = 0.6
#: A word of the question found only in an item's category, SKU or description counts this
#: much of a word found in its name.
OTHER_FIELD_FACTOR = 0.5
#: Words of a description looked at for matches (descriptions can be pages long).
DESCRIPTION_WORDS = 80
#: Longest description shown to a customer.
DESCRIPTION_CHARS = 240
#: Share of an item's name found in the message for the item to count as named in full.
COMPLETE = 0.85
#: Weight of a stop word of an item's name, against 1 for a word.
STOPWORD_WEIGHT = 0.4
#: How much better on one side an item must be to win a tie (see ``Relevance.dominates``).
DOMINANCE_STEP = 0.05
#: Words of the question whose spelling is looked up separately, at most.
SPELLING_LOOKUPS = 2

_FIELDS = (
    "id",
    "name",
    "sku",
    "price",
    "price_text",
    "price_note",
    "currency",
    "category",
    "description_text",
    "availability",
    "website",
    "image_urls",
)


@dataclass
class Search:
    """What was searched for and what came back, for the reply and its reasons."""

    query: list[str]
    items: list[FoundItem] = field(default_factory=list)
    #: Words of the question replaced by the spelling found in the catalogue.
    corrections: dict[str, str] = field(default_factory=dict)
    #: Items whose description had instruction-like text left out.
    sanitized: list[str] = field(default_factory=list)
    #: Each item's relevance in parts, to tell a clear answer from a tie.
    relevance: dict[int, Relevance] = field(default_factory=dict)

    def clear_winner(self, margin: float, band: float) -> bool:
        """The first item is the answer: it scores ``margin`` more than the next one, or it
        is at least as good as every item within ``band`` of it and clearly better on one
        side (its whole name was written, or more of the question is in it)."""
        if not self.items:
            return False
        best = self.items[0]
        others = [item for item in self.items[1:] if item.score >= best.score - band]
        if not others or others[0].score <= best.score - margin:
            return True
        parts = self.relevance.get(best.id)
        return parts is not None and all(
            other.id in self.relevance and parts.dominates(self.relevance[other.id])
            for other in others
        )


def _name_words(name: str) -> list[tuple[str, float]]:
    """The words of a name with their weight: numbers and one- or two-letter words count
    half (sizes and units say less about an item than its nouns), stop words less still
    ("до 4 кг" and "от 4 кг" differ all the same)."""
    words = []
    for word in dict.fromkeys(tokens(name)):
        if word in STOPWORDS:
            words.append((word, STOPWORD_WEIGHT))
        else:
            words.append((word, 1.0 if len(word) >= 3 and not word.isdigit() else 0.5))
    return words


@dataclass(frozen=True)
class Relevance:
    """How well an item answers a question: ``question`` is the share of the question's
    words found in the item (its name, or at half weight its category, SKU or description),
    ``named`` the share of the name's words found in the message; ``score`` weighs both."""

    question: float
    named: float

    @property
    def score(self) -> float:
        return round(QUESTION_WEIGHT * self.question + (1 - QUESTION_WEIGHT) * self.named, 4)

    def dominates(self, other: Relevance) -> bool:
        """The customer wrote (nearly) this item's whole name, and it is better than
        ``other`` on one side by a clear step and no worse on the other: more of its name
        was written, or more of the question is in it ("Hoodie" over "Hoodie with Logo")."""
        return (
            self.named >= COMPLETE
            and self.question >= other.question
            and self.named >= other.named
            and (
                self.question - other.question >= DOMINANCE_STEP
                or self.named - other.named >= DOMINANCE_STEP
            )
        )


EXACT = Relevance(1.0, 1.0)
NONE = Relevance(0.0, 0.0)


@dataclass
class _Candidate:
    row: dict
    search_score: float
    relevance: Relevance = NONE


def relevance(query: list[str], message: list[str], row: dict, *, sku_hit: bool) -> Relevance:
    """How well an item answers the question.

    ``query`` are the words naming an item, ``message`` every word of the message. The
    question's words are looked for in the item's name (and at half weight in its category,
    SKU and description); the name's words are looked for in the message.
    """
    if sku_hit:
        return EXACT
    name = _name_words(row["name"])
    if not query or not name:
        return NONE
    other_stems = {
        stem(word)
        for word in tokens(f"{row['category']} {row['sku']}")
        + tokens(row["description_text"] or "")[:DESCRIPTION_WORDS]
    }
    covered = 0.0
    for word in query:
        best = max(word_match(word, name_word) for name_word, _weight in name)
        if best < 1.0 and stem(word) in other_stems:
            best = max(best, OTHER_FIELD_FACTOR)
        covered += best
    total = sum(weight for _word, weight in name)
    named = sum(
        weight * max((word_match(word, name_word) for word in message), default=0.0)
        for name_word, weight in name
    )
    return Relevance(round(covered / len(query), 4), round(named / total, 4))


def _rows(ids: list[int]) -> dict[int, dict]:
    return {row["id"]: row for row in Item.objects.filter(pk__in=ids).values(*_FIELDS)}


def _sku_words(text: str) -> set[str]:
    return {word.strip(".,;:!?()[]\"'«»").casefold() for word in text.split()}


#: A number with its unit ("1.7л", "250гр", "65W"): a size, not a code.
_MEASURE = re.compile(r"^\d+(?:[.,]\d+)?[^\W\d_]{1,4}$")


def _is_code(sku: str) -> bool:
    """An SKU distinct enough to name its item when a customer writes it: with a letter
    ("TST045", "RP-demo_1"), numbered sections ("9.11"), or five digits or more ("00012")
    (a "20" in a message is more likely a size than the SKU "20")."""
    if re.search(r"[^\W\d_]", sku):
        return len(sku) >= 3
    if re.search(r"\d[.\-/]\d", sku):
        return len(sku) >= 3
    return len(sku) >= 5


def _codes(text: str) -> list[str]:
    """Words of the message that look like SKUs: letters and digits together."""
    return [
        word
        for word in (raw.strip(".,;:!?()[]\"'«»") for raw in text.split())
        if len(word) >= 4
        and re.search(r"\d", word)
        and re.search(r"[^\W\d]", word)
        and not _MEASURE.match(word)
    ]


def _corrections(query: list[str], candidates: list[_Candidate]) -> dict[str, str]:
    """Words of the question that match the best candidates' names only with a typo, with
    the names' spelling."""
    found: dict[str, str] = {}
    names = [word for candidate in candidates[:5] for word, _ in _name_words(candidate.row["name"])]
    for word in query:
        if word.isdigit() or any(word_match(word, name) >= 0.95 for name in names):
            continue
        typo = [name for name in names if word_match(word, name) >= 0.75]
        if typo:
            found[word] = min(typo, key=lambda name: edit_distance(word, name, 3))
    return found


def _spelling(company, word: str) -> str:
    """The catalogue's spelling of a word no candidate had: the closest word of the names
    the search finds for it alone (its trigram fallback forgives typos)."""
    best, distance = "", 3
    limit = 2 if len(word) >= 6 else 1
    for hit in item_search(company=company, question=word, limit=5):
        for name, _weight in _name_words(hit.name):
            if name == word:
                return ""
            gap = edit_distance(word, name, limit)
            if gap <= limit and gap < distance:
                best, distance = name, gap
    return best


def search(
    *,
    company,
    text: str,
    language: str,
    limit: int = 5,
    query: list[str] | None = None,
) -> Search:
    """The items that answer ``text``, best first, at most ``limit``.

    ``query``: the words naming an item when the caller already has them (else the words of
    ``text`` that are neither intent words nor stop words).
    """
    if query is None:
        query = understand(text, language).item_words()
    result = Search(query=list(query))
    if not query:
        return result
    message = tokens(text) or list(query)
    sku_words = _sku_words(text)
    # Codes as typed ("TST045", "RP-demo_1"): the search looks them up as SKUs whole.
    codes = [word for word in _codes(text) if not set(tokens(word)) - set(query)]
    candidates: dict[int, _Candidate] = {}

    def run(words: list[str]) -> None:
        hits: list[SearchHit] = item_search(
            company=company, question=" ".join([*codes, *words]), limit=CANDIDATES
        )
        fresh = [hit for hit in hits if hit.item_id not in candidates]
        rows = _rows([hit.item_id for hit in fresh])
        for hit in fresh:
            if hit.item_id in rows:
                candidates[hit.item_id] = _Candidate(rows[hit.item_id], hit.score)

    def rank(words: list[str]) -> list[_Candidate]:
        for candidate in candidates.values():
            sku = (candidate.row["sku"] or "").casefold()
            candidate.relevance = relevance(
                words, message + words, candidate.row, sku_hit=_is_code(sku) and sku in sku_words
            )
        return sorted(candidates.values(), key=lambda c: (-c.relevance.score, -c.search_score))

    run(query)
    ranked = rank(query)
    if not ranked or ranked[0].relevance.score < 0.9:
        corrections = _corrections(query, ranked)
        missing = [
            word
            for word in query
            if word not in corrections
            and len(word) >= 4
            and word.isalpha()
            and not any(
                word_match(word, name) >= 0.75
                for candidate in ranked[:5]
                for name, _ in _name_words(candidate.row["name"])
            )
        ]
        for word in sorted(missing, key=len, reverse=True)[:SPELLING_LOOKUPS]:
            spelled = _spelling(company, word)
            if spelled:
                corrections[word] = spelled
        if corrections:
            corrected = [corrections.get(word, word) for word in query]
            run(corrected)
            result.corrections = corrections
            ranked = rank(corrected)
    chosen = [c for c in ranked if c.relevance.score >= MIN_RELEVANCE][:limit]
    media = _media_urls([c.row["id"] for c in chosen if not c.row["image_urls"]])
    for candidate in chosen:
        item, sanitized = found_item(
            candidate.row, candidate.relevance.score, language, media.get(candidate.row["id"], "")
        )
        result.relevance[item.id] = candidate.relevance
        result.items.append(item)
        if sanitized:
            result.sanitized.append(item.name)
    return result


def retrieve(*, company, text: str, limit: int = 5, language: str | None = None) -> list[FoundItem]:
    """Items of the company's knowledge bases that answer ``text``, best first, with only
    their real fields; prices are written for a reader of ``language`` (by default the
    language of ``text``, else Russian)."""
    language = language or detect_language(text) or "ru"
    return search(company=company, text=text, language=language, limit=limit).items


def _media_urls(ids: list[int]) -> dict[int, str]:
    """The first photo (else any file) of each item that has no image URL of its own."""
    if not ids:
        return {}
    urls: dict[int, str] = {}
    through = Item.media.through.objects.filter(item_id__in=ids).select_related("media")
    for link in through.order_by("item_id", "media__kind", "id"):
        if link.item_id not in urls and link.media.file:
            urls[link.item_id] = link.media.file.url
    return urls


def short_description(text: str) -> tuple[str, bool]:
    """The start of a description for a chat message, without sentences that try to
    instruct the assistant; and whether any was left out."""
    sentences: list[str] = []
    skipped = False
    for line in (text or "").replace("\r", "\n").split("\n"):
        for sentence in _sentences(line):
            if looks_like_instruction(sentence):
                skipped = True
                continue
            sentences.append(sentence)
    short = ""
    for sentence in sentences:
        joined = f"{short} {sentence}".strip()
        if len(joined) > DESCRIPTION_CHARS:
            if not short:
                short = sentence[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
            break
        short = joined
    return short, skipped


def _sentences(line: str) -> list[str]:
    parts, current = [], ""
    for ch in line:
        current += ch
        if ch in ".!?":
            if current.strip():
                parts.append(current.strip())
            current = ""
    if current.strip():
        parts.append(current.strip())
    return parts


def found_item(
    row: dict, score: float, language: str, media_url: str = ""
) -> tuple[FoundItem, bool]:
    """A FoundItem from an item's fields; also whether its description was cleaned."""
    description, sanitized = short_description(row["description_text"])
    price: Decimal | None = row["price"]
    images = row["image_urls"] or []
    return (
        FoundItem(
            id=row["id"],
            name=row["name"],
            sku=row["sku"] or "",
            price=format_price(
                price=price,
                price_text=row["price_text"],
                price_note=row["price_note"],
                currency=row["currency"],
                language=language,
            ),
            price_value="" if price is None else f"{price:f}",
            currency=row["currency"] or "",
            description=description,
            availability=row["availability"] or "",
            category=row["category"] or "",
            website=row["website"] or "",
            image_url=str(images[0]) if images else media_url,
            score=round(score, 2),
        ),
        sanitized,
    )


def item_fields(ids: list[int]) -> dict[int, dict]:
    """The attributes (other columns, variants) of the given items, for their options."""
    return dict(Item.objects.filter(pk__in=ids).values_list("id", "attributes"))


def catalog_categories(*, company, limit: int = 10) -> tuple[list[tuple[str, int]], int]:
    """The company's item categories with their item counts (largest first, at most
    ``limit``) and the number of categories in all."""
    rows = (
        Item.objects.filter(knowledge_base__company=company)
        .exclude(category="")
        .values("category")
        .annotate(count=Count("id"))
        .order_by("-count", "category")
    )
    categories = [(row["category"], row["count"]) for row in rows[: limit + 1]]
    total = len(categories) if len(categories) <= limit else rows.count()
    return categories[:limit], total


def catalog_examples(*, company, limit: int = 5) -> list[dict]:
    """A few items to show when the catalogue has no categories."""
    return list(
        Item.objects.filter(knowledge_base__company=company)
        .order_by("knowledge_base_id", "position", "id")
        .values(*_FIELDS)[:limit]
    )


def has_items(company) -> bool:
    return Item.objects.filter(knowledge_base__company=company).exists()
