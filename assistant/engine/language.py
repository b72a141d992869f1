"""Which language a customer writes in: Russian, English, another one, or too little to tell."""

from __future__ import annotations

import re

from .text import normalize, word_set

_WORD = re.compile(r"[^\W\d_]+")

#: Letters that Russian does not have: Ukrainian, Belarusian, Kazakh, Serbian and others.
_OTHER_CYRILLIC = re.compile(r"[іїєґўқәңғүұһөђјљњћџѓќѕ]")
#: Latin letters with marks that English and Russian customers do not type.
_OTHER_LATIN = re.compile(r"[àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßğışłńśźżčďěňřšťůžőű]")
#: Scripts other than Latin and Cyrillic (Greek, Armenian, Georgian, Hebrew, Arabic, Indic,
#: Thai, Chinese, Japanese, Korean...).
_OTHER_SCRIPT = re.compile(
    r"[\u0370-\u03ff\u0530-\u058f\u10a0-\u10ff\u0590-\u05ff\u0600-\u06ff\u0900-\u0dff"
    r"\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)

# fmt: off
_RUSSIAN = word_set("""
я ты вы мы он она они что как где когда сколько стоит стоят цена почем есть ли у вас в на и
не это да нет можно хочу нужно здравствуйте привет спасибо пожалуйста добрый день какие какой
доставка оплата наличии оператор человек подскажите скажите а или для по с со от до мне
""")
_ENGLISH = word_set("""
i you we they it is are do does have has what how much many where when price cost costs the a
an and or for of to in on with can could would please hello hi hey thanks thank yes no any
stock available delivery pay payment want need tell me your my this that buy sell
""")
_UKRAINIAN = word_set("""
що як скільки коштує ціна де чи є ви ми вони дякую будь ласка привіт доброго дня хочу потрібно
який яка які купити доставка оплата наявності
""")
#: Common words of other languages written in Latin letters.
_OTHER_LATIN_WORDS = word_set("""
wie viel kostet ist das der die und ich sie haben wir bitte danke hallo guten tag ja nein
combien coute est le la les et je vous avez bonjour merci oui non pour avec
cuanto cuesta el los las y yo usted tiene hola gracias si por favor que es
quanto costa il che sono grazie ciao buongiorno
ile kosztuje jest czy dzien dobry dziekuje prosze
ne kadar fiyat nedir merhaba tesekkurler var mi
qancha narxi salom rahmat bormi
""")
# fmt: on


def language_evidence(text: str) -> tuple[str | None, bool]:
    """The language of ``text`` and whether that is sure.

    The language is "ru", "en", "other" (one the assistant does not speak) or None when the
    text has too little to tell (no letters, only a code or a number). It is sure when a
    common word of the language (or a letter or script of another one) was seen, not only
    letters of its alphabet: "MacBook Air" is English by its letters, but not surely.
    """
    text = normalize(text)
    words = [
        word
        for raw in text.split()
        if not any(ch.isdigit() for ch in raw)
        for word in _WORD.findall(raw)
    ]
    if _OTHER_SCRIPT.search(text):
        foreign = len(_OTHER_SCRIPT.findall(text))
        if foreign * 2 >= sum(len(word) for word in words):
            return "other", True
    if not words:
        return None, False
    if _OTHER_CYRILLIC.search(text) or sum(word in _UKRAINIAN for word in words) >= 2:
        return "other", True
    russian = english = other = 0
    sure = False
    for word in words:
        if word in _RUSSIAN:
            russian, sure = russian + 2, True
        elif word in _ENGLISH:
            english, sure = english + 2, True
        elif word in _OTHER_LATIN_WORDS or _OTHER_LATIN.search(word):
            other, sure = other + 2, True
        elif re.search(r"[а-я]", word):
            russian += 1
        elif re.search(r"[a-z]", word):
            english += 1
    if other > english and other >= russian:
        return "other", True
    if russian == english == 0:
        return None, False
    return ("ru" if russian >= english else "en"), sure


def detect_language(text: str) -> str | None:
    """ "ru" or "en" when the message is written in one of them; None when it is in another
    language or too short to tell (the caller then answers in the business's language)."""
    language, _sure = language_evidence(text)
    return language if language in ("ru", "en") else None
