"""The rules answer to one customer turn: read the message, find the items, say only what
the knowledge base holds, and hand over to a person when that is better."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..types import Behaviour, FoundItem, Intent, Reply
from .intents import Understood, anger, keyword_hit, understand, without_instructions
from .language import language_evidence
from .phrasebook import LANGUAGES, TONES, format_availability, phrase
from .retrieval import (
    Search,
    catalog_categories,
    catalog_examples,
    found_item,
    has_items,
    item_fields,
    search,
)

#: A reply below this confidence did not understand the customer (the pipeline counts these
#: towards ``Behaviour.handoff_after_misunderstandings``).
LOW_CONFIDENCE = 0.5
#: Confidence of a reply that did not understand, and of one that found nothing.
NOT_UNDERSTOOD = 0.1
NOTHING_FOUND = 0.2
#: Confidence of a question back (which item? which of these?).
CLARIFYING = 0.6
#: The best item is a clear answer when the next one scores at least this much less.
CLEAR_MARGIN = 0.1
#: Items within this much of the best are listed when asking which one.
CLARIFY_BAND = 0.12
#: Below this the best item only shares a word or two with the question: it is offered as
#: similar, not given as the answer.
WEAK_MATCH = 0.5
#: Nor is it the answer when less than this share of the question's words is in it (a word
#: the customer wrote, like a breed or a model, is in none of the items found).
ASKED_FOR = 0.7
#: Similar items offered, at most.
SIMILAR_ITEMS = 3
#: Items listed when asking which one, at most.
CLARIFY_ITEMS = 5
#: Earlier customer messages looked at for the item a short follow-up is about.
HISTORY_LOOKBACK = 3

_ITEM_INTENTS = {Intent.ITEM, Intent.PRICE, Intent.AVAILABILITY, Intent.OPTIONS}
_DELIVERY = re.compile(
    r"достав|привез|курьер|самовывоз|отправ|забрать|deliver|ship|courier|pick\s*up|pickup"
)
_APPOINTMENT = re.compile(r"запис|запиш|брон|при[её]м|appointment|book|reserv|schedule")
#: Other columns that hold an option's values ("Size", "Цвет", "Размеры").
_OPTION_KEY = re.compile(r"\b(sizes?|colou?rs?|размер\w*|цвет\w*)\b", re.I)
_NOT_OPTIONS = {"title", "default title"}


@dataclass
class _Turn:
    """What is known about the turn while the reply is put together."""

    text: str
    behaviour: Behaviour
    language: str
    understood: Understood
    reasons: list[str] = field(default_factory=list)

    def say(self, key: str, **values: object) -> str:
        return phrase(key, self.language, self.behaviour.tone, **values)


def reply_language(text: str, behaviour: Behaviour, history: Sequence[tuple[str, str]]) -> str:
    """The language to answer in: the customer's when the policy says so and it is Russian
    or English (a message too short to tell takes the language of the customer's earlier
    messages), else the business's default language.

    ``history``: the conversation before this message, ``("in" | "out", text)`` pairs."""
    default = behaviour.default_language if behaviour.default_language in ("ru", "en") else "ru"
    if behaviour.language_policy != "customer":
        return default
    language, sure = language_evidence(text)
    if language == "other":
        return default
    if not sure:
        for direction, earlier in reversed(list(history)):
            if direction != "in":
                continue
            before, before_sure = language_evidence(earlier)
            if before_sure and before in ("ru", "en"):
                return before
        # Cyrillic letters alone are enough to answer in Russian; Latin ones alone are
        # often just a brand or a model ("MacBook Air"), so the business's language stays.
        return "ru" if language == "ru" else default
    return language if language in ("ru", "en") else default


def answer(
    *,
    text: str,
    company,
    behaviour: Behaviour,
    history: Sequence[tuple[str, str]] = (),
    items: list[FoundItem] | None = None,
    misunderstood: int = 0,
) -> Reply:
    """The rules answer to one customer turn.

    ``history``: the conversation before this turn as ``("in" | "out", text)`` pairs, oldest
    first. ``items``: items already found for this text (else the knowledge base is
    searched). ``misunderstood``: how many answers in a row before this one did not
    understand the customer; the reply hands over when this one would make
    ``behaviour.handoff_after_misunderstandings``.

    The reply's text is made only of phrasebook sentences and item fields: nothing in the
    message or in a description can change a price or bring out the business's rules,
    instructions or anyone else's data.
    """
    text = (text or "").strip()
    language = reply_language(text, behaviour, history)
    if not re.search(r"[^\W_]", text):
        # Empty, punctuation or emoji only: nothing to search for.
        turn = _Turn(text, behaviour, language, understand(""))
        turn.reasons.append(_("Empty or emoji-only message: asked for a question"))
        return _reply(turn, turn.say("empty"), Intent.UNKNOWN, 1.0)

    cleaned, removed = without_instructions(text)
    understood = understand(cleaned, language)
    turn = _Turn(cleaned, behaviour, language, understood)
    evidence, _sure = language_evidence(text)
    turn.reasons.append(_("Language: %(language)s") % {"language": language})
    if evidence == "other":
        turn.reasons.append(
            _("Written in a language the assistant does not speak: answering in %(language)s")
            % {"language": language}
        )
    if removed:
        turn.reasons.append(_("Left out text that tries to instruct the assistant"))
    if not cleaned:
        return _not_understood(turn, misunderstood, turn.say("only_shop"))

    angry = anger(text)
    if angry and behaviour.handoff_on_anger:
        turn.reasons.append(_("The customer seems upset (%(sign)s)") % {"sign": angry})
        return _handoff(
            turn,
            _("The customer seems upset: “%(text)s”") % {"text": text[:80]},
            lead=turn.say("handoff_angry"),
        )
    keyword = keyword_hit(cleaned, behaviour.handoff_keywords)
    if keyword or understood.intent == Intent.PERSON:
        turn.reasons.append(
            _("Intent: %(intent)s (%(confidence).2f)")
            % {"intent": Intent.PERSON.value, "confidence": max(understood.confidence, 0.9)}
        )
        words = keyword or " ".join(
            understood.words[i] for i in sorted(understood.positions.get(Intent.PERSON, ()))
        )
        return _handoff(turn, _("Needs a person (“%(words)s”)") % {"words": words})

    intent = understood.intent
    turn.reasons.append(
        _("Intent: %(intent)s (%(confidence).2f)")
        % {"intent": intent.value, "confidence": understood.confidence}
    )
    reply = _answer_intent(turn, company, history, items, misunderstood)
    if evidence == "other":
        reply.text = f"{turn.say('other_language')}\n{reply.text}"
    return reply


def _answer_intent(turn: _Turn, company, history, items, misunderstood: int) -> Reply:
    intent = turn.understood.intent
    if intent == Intent.PAYMENT:
        turn.reasons.append(_("Chose: how payment works (a payment link once the order is agreed)"))
        return _reply(turn, turn.say("payment"), intent, turn.understood.confidence)
    if intent == Intent.BOOKING:
        return _booking(turn, company)
    query = turn.understood.item_words()
    if intent in (Intent.GREETING, Intent.THANKS) and not query:
        return _small_talk(turn, company)
    if intent == Intent.CATALOG and not query:
        return _catalog(turn, company)

    found = _find(turn, company, query, history, items)
    if found is None:
        # Nothing names an item: a follow-up without one, or words that are not a question.
        if intent in _ITEM_INTENTS:
            turn.reasons.append(_("No item named: asked which one"))
            return _reply(turn, turn.say("which_item"), intent, CLARIFYING)
        if intent in (Intent.GREETING, Intent.THANKS):
            return _small_talk(turn, company)
        turn.reasons.append(_("Chose: did not understand the message"))
        return _not_understood(turn, misunderstood, turn.say("not_understood"))
    if not found.items:
        if intent in (Intent.GREETING, Intent.THANKS):
            return _small_talk(turn, company)
        if intent == Intent.CATALOG:
            return _catalog(turn, company)
        if intent == Intent.UNKNOWN:
            # Words that are no question and name nothing in the catalogue.
            if not has_items(company):
                return _nothing(turn, company, intent, found, misunderstood)
            turn.reasons.append(_("Chose: did not understand the message"))
            said = (
                turn.say("nothing", query=" ".join(found.query)[:80])
                if any(_looks_like_a_word(word) for word in found.query)
                else turn.say("not_understood")
            )
            return _not_understood(turn, misunderstood, said)
        return _nothing(turn, company, intent, found, misunderstood)

    if intent in (Intent.UNKNOWN, Intent.GREETING, Intent.THANKS, Intent.CATALOG):
        intent = Intent.ITEM
    best = found.items[0]
    parts = found.relevance.get(best.id)
    if best.score < WEAK_MATCH or (parts is not None and parts.question < ASKED_FOR):
        return _similar(turn, intent, found)
    if not found.clear_winner(CLEAR_MARGIN, CLARIFY_BAND):
        close = [
            item for item in found.items[1:CLARIFY_ITEMS] if item.score >= best.score - CLARIFY_BAND
        ]
        return _clarify(turn, intent, [best, *close])
    turn.reasons.append(_("Chose: single clear match"))
    return _single(turn, intent, best)


def _find(turn: _Turn, company, query: list[str], history, items) -> Search | None:
    """The items the turn is about; None when it names none (and no earlier message did)."""
    if items is not None:
        turn.reasons.append(_("Items given by the caller: %(count)d") % {"count": len(items)})
        return Search(query=query, items=list(items))
    earlier = _earlier_query(history) if not query else []
    if not query and not earlier:
        return None
    if not query:
        turn.reasons.append(
            _("No item named: using the earlier message (%(words)s)") % {"words": " ".join(earlier)}
        )
    found = search(
        company=company,
        text=turn.text if query else " ".join(earlier),
        language=turn.language,
        limit=CLARIFY_ITEMS + 1,
        query=query or earlier,
    )
    asked = _asked_which(history)
    if query and asked and (not found.items or _ambiguous(found)):
        # The answer to "which one?": the earlier question narrowed by this one, if that
        # leaves one of the items offered.
        before = _earlier_query(history)
        if before and before != query:
            combined = search(
                company=company,
                text=f"{' '.join(before)} {turn.text}",
                language=turn.language,
                limit=CLARIFY_ITEMS + 1,
                query=[*before, *[word for word in query if word not in before]],
            )
            if (
                combined.items
                and combined.items[0].score >= WEAK_MATCH
                and not _ambiguous(combined)
                and _offered(asked, combined.items[0].name)
            ):
                turn.reasons.append(
                    _("Combined with the earlier message (%(words)s)") % {"words": " ".join(before)}
                )
                found = combined
    turn.reasons.append(_("Search: %(words)s") % {"words": " ".join(found.query)})
    for wrong, right in found.corrections.items():
        turn.reasons.append(_("Spelling: %(wrong)s → %(right)s") % {"wrong": wrong, "right": right})
    for item in found.items:
        turn.reasons.append(
            _("Found: %(name)s (score %(score).2f)") % {"name": item.name, "score": item.score}
        )
    for name in found.sanitized:
        turn.reasons.append(
            _("Left out instruction-like text from the description of %(name)s") % {"name": name}
        )
    return found


def _ambiguous(found: Search) -> bool:
    return bool(found.items) and not found.clear_winner(CLEAR_MARGIN, CLARIFY_BAND)


def _offered(asked: str, name: str) -> bool:
    """Whether the item ``name`` is one of the lines of the assistant's question."""
    line = f"• {name}"
    return any(text == line or text.startswith(f"{line} ") for text in asked.splitlines())


def _asked_which(history) -> str:
    """The assistant's last message when it asked which of several items was meant."""
    for direction, earlier in reversed(list(history)):
        if direction == "in":
            return ""
        if direction == "out":
            openings = [
                phrase(key, language, tone).split("{")[0]
                for key in ("clarify", "similar")
                for language in LANGUAGES
                for tone in TONES
            ]
            return earlier if any(earlier.startswith(o) for o in openings if o) else ""
    return ""


def _looks_like_a_word(word: str) -> bool:
    """Not "мммм" or "ппп": three letters or more, a vowel, more than one letter."""
    return len(word) >= 3 and len(set(word)) > 1 and any(ch in "аеиоуыэюяaeiouy" for ch in word)


def _earlier_query(history) -> list[str]:
    """The item words of the customer's latest earlier message that had any."""
    seen = 0
    for direction, earlier in reversed(list(history)):
        if direction != "in":
            continue
        seen += 1
        cleaned, _removed = without_instructions(earlier)
        words = understand(cleaned).item_words()
        if words:
            return words
        if seen >= HISTORY_LOOKBACK:
            break
    return []


# -- replies -----------------------------------------------------------------------------------


def _reply(turn: _Turn, text: str, intent: Intent, confidence: float, **extra) -> Reply:
    return Reply(
        text=text,
        intent=intent,
        language=turn.language,
        confidence=round(confidence, 2),
        reasons=turn.reasons,
        **extra,
    )


def _offer_person(turn: _Turn) -> str:
    """Tell the customer how to reach a person: one of the business's hand-off words in
    their alphabet, else the built-in one."""
    cyrillic = turn.language == "ru"
    keyword = next(
        (
            word
            for word in turn.behaviour.handoff_keywords
            if word.strip() and bool(re.search(r"[а-яё]", word.casefold())) == cyrillic
        ),
        turn.say("person_keyword"),
    )
    return turn.say("offer_person", keyword=keyword.strip())


def _handoff(turn: _Turn, reason: str, *, lead: str = "") -> Reply:
    turn.reasons.append(_("Hand-off: %(reason)s") % {"reason": reason})
    text = f"{lead} {turn.say('handoff')}".strip()
    return _reply(turn, text, Intent.PERSON, 1.0, handoff=True, handoff_reason=reason)


def _not_understood(turn: _Turn, misunderstood: int, text: str) -> Reply:
    """A reply that did not understand; the one that reaches the business's limit of such
    replies in a row hands over instead."""
    limit = turn.behaviour.handoff_after_misunderstandings
    if limit > 0 and misunderstood + 1 >= limit:
        reason = _("The assistant did not understand %(count)d messages in a row") % {
            "count": misunderstood + 1
        }
        reply = _handoff(turn, reason, lead=turn.say("handoff_confused"))
        reply.intent, reply.confidence = Intent.UNKNOWN, NOT_UNDERSTOOD
        return reply
    return _reply(turn, f"{text} {_offer_person(turn)}", Intent.UNKNOWN, NOT_UNDERSTOOD)


def _nothing(turn: _Turn, company, intent: Intent, found: Search, misunderstood: int) -> Reply:
    """Nothing in the knowledge base matched: say so, and offer a person (or hand over when
    the customer already was not helped just before)."""
    empty = not has_items(company)
    if empty:
        turn.reasons.append(_("Chose: the knowledge base is empty"))
        text = turn.say("empty_catalog")
    else:
        turn.reasons.append(_("Chose: nothing matched"))
        text = turn.say("nothing", query=" ".join(found.query)[:80])
    behaviour = turn.behaviour
    limit = behaviour.handoff_after_misunderstandings
    if behaviour.handoff_on_low_confidence and (
        misunderstood >= 1 or (limit > 0 and misunderstood + 1 >= limit)
    ):
        reason = _("Nothing in the knowledge base matched the customer's question, again")
        reply = _handoff(turn, reason, lead=text)
        reply.intent, reply.confidence = intent, NOTHING_FOUND
        return reply
    return _reply(turn, f"{text} {_offer_person(turn)}", intent, NOTHING_FOUND)


def _small_talk(turn: _Turn, company) -> Reply:
    intent = turn.understood.intent
    if intent == Intent.THANKS:
        turn.reasons.append(_("Chose: thanks or goodbye"))
        return _reply(turn, turn.say("thanks"), intent, turn.understood.confidence)
    turn.reasons.append(_("Chose: greeting"))
    if turn.behaviour.greeting.strip():
        turn.reasons.append(_("Greeting: the business's own text"))
        return _reply(turn, turn.behaviour.greeting.strip(), Intent.GREETING, 1.0)
    offer = turn.say("offer_service" if company.kind == "service" else "offer_product")
    return _reply(
        turn, turn.say("greeting", offer=offer), Intent.GREETING, turn.understood.confidence
    )


def _booking(turn: _Turn, company) -> Reply:
    words = " ".join(turn.understood.words)
    if _DELIVERY.search(words):
        key = "booking_delivery"
    elif _APPOINTMENT.search(words) or company.kind == "service":
        key = "booking_appointment"
    else:
        key = "booking_delivery"
    turn.reasons.append(
        _("Chose: the next step for %(what)s")
        % {"what": _("delivery") if key == "booking_delivery" else _("an appointment")}
    )
    return _reply(turn, turn.say(key), Intent.BOOKING, turn.understood.confidence)


def _catalog(turn: _Turn, company) -> Reply:
    categories, total = catalog_categories(company=company)
    lines: list[str] = []
    if categories:
        turn.reasons.append(_("Chose: list the categories (%(count)d in all)") % {"count": total})
        lines.append(turn.say("catalog"))
        lines += [
            "• " + turn.say("category_count", name=name, count=count) for name, count in categories
        ]
        if total > len(categories):
            lines.append(turn.say("catalog_more", count=total - len(categories)))
    else:
        examples = catalog_examples(company=company)
        if not examples:
            turn.reasons.append(_("Chose: the knowledge base is empty"))
            text = f"{turn.say('empty_catalog')} {_offer_person(turn)}"
            return _reply(turn, text, Intent.CATALOG, NOTHING_FOUND)
        turn.reasons.append(_("Chose: list some items (the catalogue has no categories)"))
        lines.append(turn.say("catalog_items"))
        for row in examples:
            item, _sanitized = found_item(row, 1.0, turn.language)
            lines.append(_item_line(turn, item))
    lines.append(turn.say("catalog_ask"))
    return _reply(turn, "\n".join(lines), Intent.CATALOG, max(turn.understood.confidence, 0.8))


def _item_line(turn: _Turn, item: FoundItem, *, with_category: bool = False) -> str:
    name = f"{item.name} ({item.category})" if with_category and item.category else item.name
    return f"• {name} — {item.price}" if item.price else f"• {name}"


def _item_lines(turn: _Turn, items: list[FoundItem]) -> list[str]:
    """One line per item; items of the same name are told apart by their category."""
    names = [item.name.casefold() for item in items]
    return [
        _item_line(turn, item, with_category=names.count(item.name.casefold()) > 1)
        for item in items
    ]


def _clarify(turn: _Turn, intent: Intent, items: list[FoundItem]) -> Reply:
    turn.reasons.append(
        _("Chose: ask which one (%(count)d similar matches)") % {"count": len(items)}
    )
    lines = [turn.say("clarify"), *_item_lines(turn, items)]
    return _reply(turn, "\n".join(lines), intent, CLARIFYING, items=items)


def _similar(turn: _Turn, intent: Intent, found: Search) -> Reply:
    items = found.items[:SIMILAR_ITEMS]
    turn.reasons.append(
        _("Chose: no close match, offered %(count)d similar items") % {"count": len(items)}
    )
    lines = [
        turn.say("similar", query=" ".join(found.query)[:80]),
        *_item_lines(turn, items),
        turn.say("similar_ask"),
    ]
    return _reply(turn, "\n".join(lines), intent, CLARIFYING, items=items)


def _single(turn: _Turn, intent: Intent, item: FoundItem) -> Reply:
    brief = turn.behaviour.tone == "brief"
    lines = [
        turn.say("price", name=item.name, price=item.price)
        if item.price
        else turn.say("price_unknown", name=item.name)
    ]
    availability = format_availability(item.availability, turn.language)
    if intent == Intent.AVAILABILITY:
        lines.append(availability or turn.say("availability_unknown"))
    elif intent == Intent.OPTIONS:
        options = _options(item)
        lines.append(
            turn.say("options", options=options) if options else turn.say("options_unknown")
        )
    elif intent == Intent.ITEM:
        if item.description and not brief:
            lines.append(item.description)
        if availability:
            lines.append(availability)
    elif availability and not brief:
        lines.append(availability)
    if item.website and not brief:
        lines.append(turn.say("link", url=item.website))
    confidence = min(1.0, 0.5 + item.score / 2)
    return _reply(
        turn, "\n".join(lines), intent, confidence, items=[item], image_url=item.image_url
    )


def _options(item: FoundItem) -> str:
    """The item's options from its own columns: named option columns ("Attribute 1 name" /
    "Attribute 1 value(s)", "Option1 Name" / "Option1 Value"), variants, sizes, colours."""
    attributes = item_fields([item.id]).get(item.id) or {}
    named: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for key, value in attributes.items():
        match = re.match(r"(attribute|option)\s*(\d+)\s*(name|value)", key, re.I)
        if match:
            slot = f"{match.group(1).lower()}{match.group(2)}"
            if match.group(3).lower() == "name":
                labels[slot] = str(value).strip()
            else:
                named.setdefault(slot, []).extend(_values(value))
    for variant in attributes.get("variants") or []:
        if isinstance(variant, dict):
            for key, value in variant.items():
                match = re.match(r"(attribute|option)\s*(\d+)\s*value", key, re.I)
                if match:
                    slot = f"{match.group(1).lower()}{match.group(2)}"
                    named.setdefault(slot, []).extend(_values(value))
    parts = []
    for slot, values in named.items():
        label = labels.get(slot, "")
        unique = [value for i, value in enumerate(values) if value not in values[:i]]
        unique = [value for value in unique if value.casefold() not in _NOT_OPTIONS]
        if unique and label.casefold() not in _NOT_OPTIONS:
            parts.append(f"{label}: {', '.join(unique)}" if label else ", ".join(unique))
    for key, value in attributes.items():
        if (
            isinstance(value, str | int | float)
            and _OPTION_KEY.search(key)
            and not re.match(r"(attribute|option)\s*\d", key, re.I)
            and str(value).strip()
        ):
            parts.append(f"{key}: {value}")
    return "; ".join(parts)[:300]


def _values(value: object) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]
