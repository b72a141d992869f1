"""What a customer wants: the intent of a message, an angry tone, text aimed at the assistant
itself rather than at the shop, and the words left that name an item."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..types import Intent
from .text import STOPWORDS, edit_distance, is_cyrillic, normalize, tokens

# A pattern is words separated by spaces, matched as consecutive words of the message; a word
# ending in "*" matches any word that starts with it. Words of five letters or more also match
# with one typo. The weight is the confidence the pattern gives its intent.
# fmt: off
LEXICON: dict[Intent, list[tuple[str, float]]] = {
    Intent.PERSON: [
        ("оператор*", 0.95), ("человек*", 0.9), ("менеджер*", 0.95), ("живой человек", 0.95),
        ("администратор*", 0.85), ("консультант*", 0.85), ("сотрудник*", 0.85),
        ("позовите", 0.8), ("соедините", 0.8), ("позвать", 0.75), ("не бот", 0.85),
        ("не робот", 0.85), ("поговорить с", 0.6),
        ("human", 0.95), ("person", 0.9), ("operator", 0.95), ("agent", 0.9), ("manager", 0.9),
        ("real person", 0.95), ("someone", 0.7), ("representative", 0.9), ("staff", 0.8),
        ("talk to", 0.6), ("speak to", 0.6), ("speak with", 0.6), ("not a bot", 0.85),
        # Questions about one's own order only staff can answer.
        ("мой заказ", 0.85), ("моего заказа", 0.85), ("моим заказом", 0.85),
        ("статус заказа", 0.85), ("где заказ", 0.85), ("номер заказа", 0.8), ("трек*", 0.7),
        ("вернуть", 0.7), ("возврат*", 0.8), ("my order", 0.85), ("order status", 0.85),
        ("tracking", 0.8), ("refund", 0.85), ("return it", 0.8),
        # What the catalogue cannot tell (hours, address, discounts): staff answer, unless
        # the message is more clearly about something else.
        ("часы работы", 0.75), ("график работы", 0.75), ("режим работы", 0.75),
        ("до скольки", 0.75), ("адрес", 0.7), ("где находитесь", 0.75), ("скидк*", 0.75),
        ("промокод*", 0.75), ("акци*", 0.7), ("консультац*", 0.75), ("opening hours", 0.75),
        ("working hours", 0.75), ("address", 0.7), ("where are you", 0.75),
        ("discount*", 0.75), ("promo*", 0.7), ("coupon*", 0.75),
    ],
    Intent.PRICE: [
        ("сколько", 0.7), ("скока", 0.7), ("скоко", 0.7), ("стоит", 0.9), ("стоят", 0.9),
        ("стоить", 0.9), ("стоимост*", 0.9),
        ("цена", 0.9), ("цены", 0.9), ("цену", 0.9), ("цене", 0.9), ("ценой", 0.9),
        ("цен", 0.85), ("ценник*", 0.85), ("почем", 0.9), ("по чем", 0.9), ("расценк*", 0.85),
        ("тариф*", 0.75),
        ("дорого", 0.6), ("дешев*", 0.6), ("рублей", 0.6), ("руб", 0.6), ("за сколько", 0.9),
        ("how much", 0.9), ("price*", 0.9), ("cost", 0.9), ("costs", 0.9), ("pricing", 0.9),
        ("rate", 0.6), ("rates", 0.6), ("expensive", 0.6), ("cheap*", 0.6),
    ],
    Intent.AVAILABILITY: [
        ("наличи*", 0.95), ("есть ли", 0.8), ("есть в", 0.7), ("остал*", 0.8),
        ("закончил*", 0.8), ("складе", 0.85), ("доступен", 0.7), ("доступна", 0.7),
        ("доступно", 0.7), ("доступны", 0.7), ("можно купить", 0.7),
        ("когда будет", 0.75), ("когда появится", 0.8), ("распродан*", 0.8),
        ("in stock", 0.95), ("stock", 0.85), ("available", 0.9), ("availability", 0.95),
        ("do you have", 0.7), ("have you got", 0.7), ("sold out", 0.9), ("left", 0.6),
        ("back in", 0.7),
    ],
    Intent.OPTIONS: [
        ("размер*", 0.85), ("цвет", 0.85), ("цвета", 0.85), ("цвете", 0.8), ("цветов", 0.6),
        ("расцветк*", 0.85), ("вариант*", 0.8), ("модификаци*", 0.8), ("оттен*", 0.8),
        ("какого цвета", 0.9), ("какие размеры", 0.9),
        ("size*", 0.85), ("colour*", 0.85), ("color*", 0.85), ("variant*", 0.85),
        ("option*", 0.8), ("versions", 0.7), ("which sizes", 0.9), ("what colours", 0.9),
    ],
    Intent.PAYMENT: [
        ("оплат*", 0.9), ("заплат*", 0.9), ("платеж*", 0.85), ("плачу", 0.8), ("платить", 0.9),
        ("картой", 0.8), ("наличными", 0.8), ("наличкой", 0.8), ("переводом", 0.7),
        ("рассрочк*", 0.8), ("счет на оплату", 0.95), ("реквизит*", 0.8), ("сбп", 0.8),
        ("pay", 0.9), ("paying", 0.9), ("payment*", 0.9), ("paid", 0.7), ("card", 0.6),
        ("cash", 0.7), ("invoice", 0.8), ("paypal", 0.8), ("bank transfer", 0.85),
    ],
    Intent.BOOKING: [
        ("доставк*", 0.92), ("доставит*", 0.92), ("доставля*", 0.92), ("привез*", 0.8),
        ("курьер*", 0.8), ("самовывоз*", 0.85), ("забрать", 0.6), ("отправ*", 0.6),
        ("записат*", 0.9), ("запись", 0.85), ("запиш*", 0.9), ("забронир*", 0.9),
        ("бронь", 0.85), ("бронировать", 0.9), ("свободное время", 0.8), ("на прием", 0.8),
        ("заказать", 0.6), ("оформить заказ", 0.8), ("выезд*", 0.6),
        ("deliver*", 0.92), ("shipping", 0.92), ("ship", 0.7), ("courier", 0.8),
        ("pickup", 0.8), ("pick up", 0.8), ("book", 0.6), ("booking", 0.9),
        ("appointment*", 0.9), ("schedule", 0.7), ("reserve", 0.8), ("reservation", 0.85),
        ("order", 0.55), ("place an order", 0.8),
    ],
    Intent.CATALOG: [
        ("что у вас есть", 0.9), ("что есть", 0.75), ("что продаете", 0.9),
        ("что вы продаете", 0.9), ("чем торгуете", 0.9), ("что предлагаете", 0.85),
        ("ассортимент*", 0.9), ("каталог*", 0.9), ("категори*", 0.9), ("прайс*", 0.85),
        ("какие товары", 0.9), ("какие услуги", 0.9), ("список товаров", 0.9),
        ("список услуг", 0.9), ("что можно купить", 0.85), ("что вы делаете", 0.7),
        ("what do you sell", 0.95), ("what do you have", 0.9), ("what do you offer", 0.9),
        ("what can i buy", 0.9), ("catalog*", 0.9), ("catalogue", 0.9), ("categor*", 0.9),
        ("price list", 0.9), ("menu", 0.7), ("assortment", 0.9), ("what products", 0.9),
        ("what services", 0.9), ("your products", 0.8), ("your services", 0.8),
        ("товары", 0.6), ("товаров", 0.6), ("услуги", 0.6), ("услуг", 0.6),
        ("products", 0.6), ("services", 0.6),
    ],
    Intent.ITEM: [
        ("расскажи*", 0.7), ("подробн*", 0.7), ("поподробн*", 0.7), ("описани*", 0.75),
        ("характеристик*", 0.8),
        ("что такое", 0.7), ("что за", 0.6), ("фото", 0.6), ("фотографи*", 0.6),
        ("tell me about", 0.75), ("details", 0.7), ("describe", 0.75), ("description", 0.75),
        ("info", 0.6), ("information", 0.6), ("what is", 0.5), ("photo*", 0.6),
        ("picture*", 0.6), ("specs", 0.75),
    ],
    Intent.THANKS: [
        ("спасибо", 0.95), ("спс", 0.9), ("благодар*", 0.9), ("пока", 0.7),
        ("до свидания", 0.95), ("всего доброго", 0.9), ("хорошего дня", 0.85),
        ("thanks", 0.95), ("thank you", 0.95), ("thank", 0.85), ("thx", 0.9), ("ty", 0.6),
        ("bye", 0.9), ("goodbye", 0.95), ("see you", 0.8), ("cheers", 0.7),
    ],
    Intent.GREETING: [
        ("привет*", 0.95), ("здравствуй*", 0.95), ("здрасьте", 0.95), ("добрый день", 0.95),
        ("добрый вечер", 0.95), ("доброе утро", 0.95), ("доброго дня", 0.9),
        ("доброго времени суток", 0.95), ("хай", 0.7), ("салют", 0.8), ("алло", 0.7),
        ("hi", 0.9), ("hello", 0.95), ("hey", 0.85), ("good morning", 0.95),
        ("good afternoon", 0.95), ("good evening", 0.95), ("greetings", 0.9), ("howdy", 0.9),
    ],
}
# fmt: on

#: When two intents are as likely, the one listed first wins.
PRIORITY = [
    Intent.PERSON,
    Intent.PRICE,
    Intent.AVAILABILITY,
    Intent.OPTIONS,
    Intent.PAYMENT,
    Intent.BOOKING,
    Intent.CATALOG,
    Intent.ITEM,
    Intent.THANKS,
    Intent.GREETING,
]
#: Intents that say nothing about the shop: they win only when nothing else was asked.
SMALL_TALK = {Intent.GREETING, Intent.THANKS}
#: Asking for a person this clearly wins over anything else in the message.
PERSON_WINS = 0.8
#: A typo lowers a pattern's weight by this factor.
TYPO_FACTOR = 0.85

# fmt: off
_ANGRY_WORDS = [
    "дурак*", "идиот*", "тупой", "тупая", "тупые", "дебил*", "придур*", "кретин*", "мудак*",
    "бля*", "хрен*", "сука", "суки", "говно", "дерьм*", "отстой", "достали", "достал",
    "ужас*", "безобраз*", "кошмар*", "позор*", "обман*", "мошенн*", "жулик*", "издевательств*",
    "бесит", "бесят", "отврат*", "хамств*", "жалоб*", "верните деньги",
    "idiot*", "stupid", "dumb", "useless", "worst", "terrible", "awful", "horrible",
    "scam*", "fraud*", "ridiculous", "disgusting", "pathetic", "wtf", "fuck*", "shit*",
    "damn", "hate", "unacceptable", "outrageous", "rip off", "ripoff",
]
# fmt: on

#: Text aimed at the assistant's own instructions rather than at the shop.
_INSTRUCTION_LIKE = re.compile(
    r"(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|prompt|rule|message|"
    r"direction|setting|above)"
    r"|system\s*prompt|developer\s*mode|jailbreak|you\s+are\s+now|act\s+as\b|pretend\s+(to|you)"
    r"|(reveal|show|print|repeat|tell\s+me|what\s+are)\b.{0,20}\b(your|the)\s+(system\s+)?"
    r"(instruction|prompt|setting|rule|config)"
    r"|(set|change|make)\s+(the\s+)?price\b|(say|tell|write|answer)\b.{0,30}\bprice\s+(is|=|to)"
    r"|price\s+is\s+now|new\s+instructions"
    r"|(игнорир|проигнорир|забудь|забыть|отмени|не\s+обращай).{0,40}(инструкц|правил|указани|"
    r"промпт|сообщени|настро)"
    r"|системн\w*\s+(промпт|инструкц|сообщени)|режим\s+разработчик|ты\s+теперь|представь,?\s+что\s+ты"
    r"|(покажи|раскрой|выведи|напиши|перечисли|какие\s+у\s+тебя)\W+(\w+\W+){0,2}"
    r"(настройк|инструкц|правил|промпт|конфиг)"
    r"|(установи|поставь|измени|сделай)\w*\s+(\w+\s+)?цен"
    r"|(скажи|напиши|ответь)\w*,?\s+(\w+\s+){0,4}(что\s+)?цена\s+(—|-|=|равна|будет|теперь|\d)"
    r"|новые\s+инструкц",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"[^.!?\n;]+[.!?\n;]*")


@dataclass(frozen=True)
class Understood:
    """The reading of one message: its intent, how sure, and which words made it so."""

    intent: Intent
    confidence: float
    #: Every intent that matched, with its best weight.
    scores: dict[Intent, float]
    #: The words of the message (normalised tokens).
    words: tuple[str, ...] = ()
    #: Positions of the words each intent's patterns matched.
    positions: dict[Intent, frozenset[int]] = field(default_factory=dict)

    def item_words(self) -> list[str]:
        """The words left to name an item: without stop words and without the words that
        made the chosen intent (and greetings or thanks), each once."""
        taken = set(self.positions.get(self.intent, ()))
        for intent in SMALL_TALK:
            taken |= self.positions.get(intent, frozenset())
        found: list[str] = []
        for index, word in enumerate(self.words):
            if index not in taken and word not in STOPWORDS and word not in found:
                found.append(word)
        return found


def _compile(pattern: str) -> tuple[tuple[str, bool], ...]:
    return tuple((word.rstrip("*"), word.endswith("*")) for word in normalize(pattern).split())


_COMPILED = {
    intent: [(_compile(pattern), weight) for pattern, weight in patterns]
    for intent, patterns in LEXICON.items()
}
_ANGRY = [_compile(pattern) for pattern in _ANGRY_WORDS]


def _word_matches(token: str, word: str, prefix: bool, typos: bool) -> float:
    """1 for a match, TYPO_FACTOR for a match with one typo, 0 otherwise."""
    if token.startswith(word) if prefix else token == word:
        return 1.0
    # A typo is forgiven in a long word, not in its first letter ("стальной" is no "осталось").
    if not typos or len(word) < 5 or not token or token[0] != word[0]:
        return 0.0
    if prefix:
        candidates = {token[:size] for size in range(len(word) - 1, len(word) + 2)}
        if any(edit_distance(head, word, 1) <= 1 for head in candidates if len(head) >= 4):
            return TYPO_FACTOR
        return 0.0
    return TYPO_FACTOR if edit_distance(token, word, 1) <= 1 else 0.0


def _find(words: list[str], pattern: tuple[tuple[str, bool], ...], typos: bool):
    """Yield (start, factor) of each place ``pattern`` matches ``words``."""
    size = len(pattern)
    for start in range(len(words) - size + 1):
        factor = 1.0
        for offset, (word, prefix) in enumerate(pattern):
            found = _word_matches(words[start + offset], word, prefix, typos)
            if not found:
                break
            factor = min(factor, found)
        else:
            yield start, factor


def understand(text: str, language: str | None = None) -> Understood:
    """Read the intent of ``text``; typos are forgiven in words of ``language``'s alphabet."""
    words = tokens(text)
    scores: dict[Intent, float] = {}
    positions: dict[Intent, set[int]] = {}
    # Exact matches first; a typo match may not take a word that matched a pattern exactly
    # ("наличными" is a way to pay, not a typo of "наличии").
    for typos in (False, True):
        exact = frozenset(index for taken in positions.values() for index in taken)
        for intent, patterns in _COMPILED.items():
            for pattern, weight in patterns:
                allowed = typos and (
                    language is None or (language == "ru") == is_cyrillic(pattern[0][0])
                )
                if typos and not allowed:
                    continue
                for start, factor in _find(words, pattern, allowed):
                    span = range(start, start + len(pattern))
                    if typos and (factor == 1.0 or exact.intersection(span)):
                        continue
                    if intent == Intent.PERSON and _counted_people(words, start):
                        continue  # "стол на 6 человек" is about the table, not a person
                    scores[intent] = max(scores.get(intent, 0.0), weight * factor)
                    positions.setdefault(intent, set()).update(span)
    frozen = {intent: frozenset(taken) for intent, taken in positions.items()}
    read = tuple(words)
    if scores.get(Intent.PERSON, 0.0) >= PERSON_WINS:
        return Understood(Intent.PERSON, scores[Intent.PERSON], scores, read, frozen)
    business = {intent: score for intent, score in scores.items() if intent not in SMALL_TALK}
    pool = business or scores
    if not pool:
        return Understood(Intent.UNKNOWN, 0.0, scores, read, frozen)
    best = max(pool.values())
    intent = next(intent for intent in PRIORITY if pool.get(intent) == best)
    return Understood(intent, round(best, 2), scores, read, frozen)


def _counted_people(words: list[str], start: int) -> bool:
    return start > 0 and (words[start - 1].isdigit() or words[start - 1] in {"на", "for"})


def classify(text: str, language: str) -> tuple[Intent, float]:
    """The customer's intent and a confidence between 0 and 1 (0 for ``Intent.UNKNOWN``)."""
    understood = understand(text, language)
    return understood.intent, understood.confidence


def keyword_hit(text: str, keywords: tuple[str, ...] | list[str]) -> str:
    """The first of the business's hand-off keywords found in ``text`` (word forms and one
    typo allowed in long words), or ""."""
    words = tokens(text)
    for keyword in keywords:
        pattern = _compile(keyword)
        if not pattern:
            continue
        head, _prefix = pattern[0]
        # A Russian keyword of one long word also matches its forms ("оператор" -> "оператора").
        if len(pattern) == 1 and len(head) >= 5 and is_cyrillic(head):
            pattern = ((head[: max(5, len(head) - 2)], True),)
        for start, _factor in _find(words, pattern, typos=True):
            if not _counted_people(words, start):
                return keyword
    return ""


def anger(text: str) -> str:
    """Why the message reads as angry ("" when it does not): a rude or upset word, a row of
    exclamation marks, or shouting in capitals."""
    words = tokens(text)
    for pattern in _ANGRY:
        for _start, _factor in _find(words, pattern, typos=False):
            return " ".join(word for word, _prefix in pattern)
    if re.search(r"!{3,}", text) or text.count("!") >= 4:
        return "!!!"
    letters = [ch for ch in re.sub(r"\S*\d\S*", "", text) if ch.isalpha()]
    shouted = [word for word in re.findall(r"[^\W\d_]{3,}", text) if word.isupper()]
    if (
        len(letters) >= 10
        and len(shouted) >= 2
        and sum(ch.isupper() for ch in letters) >= 0.7 * len(letters)
    ):
        return "CAPS"
    return ""


def looks_like_instruction(text: str) -> bool:
    """True when the text tries to instruct the assistant (change prices, reveal settings,
    ignore its rules) instead of asking about the shop."""
    return bool(_INSTRUCTION_LIKE.search(normalize(text)))


def without_instructions(text: str) -> tuple[str, bool]:
    """``text`` without its sentences that look like instructions to the assistant, and
    whether any was removed."""
    parts = [part.strip() for part in _SENTENCES.findall(text) if part.strip()]
    kept = [part for part in parts if not looks_like_instruction(part)]
    return " ".join(kept), len(kept) != len(parts)
