"""Words of a customer's message: normalised, split, stemmed and compared with typos allowed.

Everything here is plain Python on short strings (a message, a few item names), so it costs
microseconds; the knowledge-base search itself runs in PostgreSQL.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_HAS_CYRILLIC = re.compile(r"[а-яё]")
_HAS_LATIN = re.compile(r"[a-z]")
# Latin letters that look like Cyrillic ones: "cкoлькo" typed with a Latin c and o.
_LOOKALIKE_TO_CYRILLIC = str.maketrans("aceopxyk", "асеорхук")
_LOOKALIKE_TO_LATIN = str.maketrans("асеорхук", "aceopxyk")
# "what's", "don't", "I'd": the ending is dropped so that no stray "s" or "t" is left.
_CONTRACTION = re.compile(r"([a-z])'(s|t|re|ve|ll|d|m)\b")


def word_set(text: str) -> frozenset[str]:
    """The words of a block of text written for people to read, as a set."""
    return frozenset(text.split())


# fmt: off
#: Words that say nothing about which item is meant (Russian and English).
STOPWORDS = word_set("""
а и в во не что он на я с со как то все она так его но да ты к у же вы за бы по только ее
мне было вот от меня еще нет о об из ему теперь когда даже ну ли если уже или ни быть был него
до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы
тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому
этого какой совсем ним здесь этом почти мой тем чтобы нее сейчас были куда зачем всех никогда
можно при наконец над больше тот через эти нас про всего них какая много разве эту моя
впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю
между какие какое каких каким это эта мой ваш ваша ваше ваши вашего вашей вашу вашем вашим
пожалуйста пжл плиз подскажите скажите подскажи скажи будьте добры хочу хотел хотела хотим
хотелось бы интересует интересуют интересно нужен нужна нужно нужны надо мне нам вот ещё
можете можешь могу могли бы также тоже здравствуйте привет понятно ясно ок окей ладно угу
ага хм ммм давайте отлично супер класс так купить куплю купил бывают бывает имеется имеются
продаете продаешь продаются продается товар товара товаре позиция позиции побольше
сегодня вообще прямо очень типа вдруг
a an the is are was were be been being am do does did doing have has had having i you we they
he she it me my your yours our us them their his her its of to in on at for with and or but if
about this that these those there here what which who whom whose how much many please can could
would will shall may might tell show give want need needs looking get got some any just also too
so than then im id ive youre whats thats pls plz hi hello hey kindly let know wondering ok
okay sure fine cool great yes yeah yep nope hmm there don doesn isn aren didn buy purchase
sell sells selling like more item product one ones now today currently still again maybe
actually really very well anyway
""")
# fmt: on


def normalize(text: str) -> str:
    """Lower case, ``ё`` as ``е``, Latin look-alikes inside Cyrillic words made Cyrillic."""
    text = _CONTRACTION.sub(r"\1", text.casefold().replace("ё", "е").replace("’", "'"))
    return " ".join(_fix_mixed_script(word) for word in text.split())


def _fix_mixed_script(word: str) -> str:
    if _HAS_CYRILLIC.search(word) and _HAS_LATIN.search(word):
        cyrillic = len(_HAS_CYRILLIC.findall(word))
        latin = len(_HAS_LATIN.findall(word))
        table = _LOOKALIKE_TO_CYRILLIC if cyrillic >= latin else _LOOKALIKE_TO_LATIN
        return word.translate(table)
    return word


def tokens(text: str) -> list[str]:
    """Words and numbers of ``text``, normalised; letters and digits are split apart
    ("1.7л" -> "1", "7", "л"; "X1" -> "x", "1") so that names and questions agree."""
    return _TOKEN.findall(normalize(text))


def content_tokens(text: str) -> list[str]:
    """Tokens without stop words, each once, in order."""
    seen: list[str] = []
    for token in tokens(text):
        if token not in STOPWORDS and token not in seen:
            seen.append(token)
    return seen


def is_cyrillic(word: str) -> bool:
    return bool(_HAS_CYRILLIC.search(word))


# -- stems -------------------------------------------------------------------------------------

_RU_VOWELS = "аеиоуыэюя"
# The Snowball Russian stemmer's endings, longest first within each group.
_RU_PERFECTIVE_GERUND_1 = ("вшись", "вши", "в")  # after а or я
_RU_PERFECTIVE_GERUND_2 = ("ившись", "ывшись", "ивши", "ывши", "ив", "ыв")
_RU_ADJECTIVE = (
    "ими", "ыми", "его", "ого", "ему", "ому", "ее", "ие", "ые", "ое", "ей", "ий", "ый", "ой",
    "ем", "им", "ым", "ом", "их", "ых", "ую", "юю", "ая", "яя", "ою", "ею",
)  # fmt: skip
_RU_PARTICIPLE_1 = ("ем", "нн", "вш", "ющ", "щ")  # after а or я
_RU_PARTICIPLE_2 = ("ивш", "ывш", "ующ")
_RU_REFLEXIVE = ("ся", "сь")
_RU_VERB_1 = (
    "ете",
    "йте",
    "ешь",
    "нно",
    "ла",
    "на",
    "ли",
    "ем",
    "ло",
    "но",
    "ет",
    "ют",
    "ны",
    "ть",
    "й",
    "л",
    "н",
)  # fmt: skip; after а or я
_RU_VERB_2 = (
    "ейте", "уйте", "ила", "ыла", "ена", "ите", "или", "ыли", "ило", "ыло", "ено", "ует", "уют",
    "ены", "ить", "ыть", "ишь", "ей", "уй", "ил", "ыл", "им", "ым", "ен", "ят", "ит", "ыт", "ую",
    "ю",
)  # fmt: skip
_RU_NOUN = (
    "иями", "ями", "ами", "ией", "иям", "ием", "иях", "ев", "ов", "ие", "ье", "еи", "ии", "ей",
    "ой", "ий", "ям", "ем", "ам", "ом", "ах", "ях", "ию", "ью", "ия", "ья", "а", "е", "и", "й",
    "о", "у", "ы", "ь", "ю", "я",
)  # fmt: skip
_RU_SUPERLATIVE = ("ейше", "ейш")
_RU_DERIVATIONAL = ("ость", "ост")


def _regions(word: str) -> tuple[int, int]:
    """Start of RV (after the first vowel) and of R2, as in the Snowball Russian stemmer."""
    rv = next((i + 1 for i, ch in enumerate(word) if ch in _RU_VOWELS), len(word))

    def after_vowel_consonant(start: int) -> int:
        for i in range(start + 1, len(word)):
            if word[i] not in _RU_VOWELS and word[i - 1] in _RU_VOWELS:
                return i + 1
        return len(word)

    r1 = after_vowel_consonant(0)
    return rv, after_vowel_consonant(r1)


def _strip(word: str, rv: int, endings: tuple[str, ...], after_a: bool = False) -> str | None:
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= rv:
            stem = word[: -len(ending)]
            if after_a:
                if stem.endswith(("а", "я")) and len(stem) - 1 >= rv - 1:
                    return stem
                continue
            return stem
    return None


def _stem_russian(word: str) -> str:
    rv, r2 = _regions(word)
    if rv >= len(word):
        return word
    stem = _strip(word, rv, _RU_PERFECTIVE_GERUND_1, after_a=True) or _strip(
        word, rv, _RU_PERFECTIVE_GERUND_2
    )
    if stem is None:
        word = _strip(word, rv, _RU_REFLEXIVE) or word
        adjective = _strip(word, rv, _RU_ADJECTIVE)
        if adjective is not None:
            stem = (
                _strip(adjective, rv, _RU_PARTICIPLE_1, after_a=True)
                or _strip(adjective, rv, _RU_PARTICIPLE_2)
                or adjective
            )
        else:
            stem = (
                _strip(word, rv, _RU_VERB_1, after_a=True)
                or _strip(word, rv, _RU_VERB_2)
                or _strip(word, rv, _RU_NOUN)
                or word
            )
    if stem.endswith("и") and len(stem) - 1 >= rv:
        stem = stem[:-1]
    for ending in _RU_DERIVATIONAL:
        if stem.endswith(ending) and len(stem) - len(ending) >= r2:
            stem = stem[: -len(ending)]
            break
    if stem.endswith("нн"):
        return stem[:-1]
    superlative = _strip(stem, rv, _RU_SUPERLATIVE)
    if superlative is not None:
        stem = superlative[:-1] if superlative.endswith("нн") else superlative
    elif stem.endswith("ь"):
        stem = stem[:-1]
    return stem


def _stem_english(word: str) -> str:
    """A light English stemmer (Porter's plural, -ing, -ed and final -e/-y steps): enough to
    match "hoodies" with "hoodie" and "categories" with "category"."""
    if len(word) <= 3:
        return word
    if word.endswith(("sses", "ies", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    elif len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one normalised token (Russian by the Snowball rules, English lightly)."""
    if word.isdigit() or len(word) <= 2:
        return word
    if is_cyrillic(word):
        return _stem_russian(word)
    return _stem_english(word)


# -- typos -------------------------------------------------------------------------------------


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count 1), or ``limit + 1`` as
    soon as it is certain to exceed ``limit``."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        best = current[0]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def typo_limit(word: str) -> int:
    """How many typos a word of this length may carry and still be recognised."""
    if len(word) >= 9:
        return 2
    if len(word) >= 4:
        return 1
    return 0


@lru_cache(maxsize=65536)
def word_match(query: str, name: str) -> float:
    """How well a word of the question matches a word of an item (0 to 1): the same word 1,
    the same stem 0.95, a typo or a shorter form of it 0.8, else 0."""
    if query == name:
        return 1.0
    if query.isdigit() or name.isdigit():
        return 0.0
    stem_query, stem_name = stem(query), stem(name)
    if stem_query == stem_name:
        return 0.95
    shorter = min(len(stem_query), len(stem_name))
    if shorter >= 4 and (stem_name.startswith(stem_query) or stem_query.startswith(stem_name)):
        return 0.8
    limit = min(typo_limit(query), typo_limit(name))
    if limit and edit_distance(query, name, limit) <= limit:
        return 0.8
    if limit and shorter >= 4 and edit_distance(stem_query, stem_name, limit) <= limit:
        return 0.75
    return 0.0
