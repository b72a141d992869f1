"""What the assistant says to customers, in Russian and English, and how it writes prices.

The customer's language is not the staff's interface language, so these are not gettext
messages: each phrase is written here in both languages, in three tones (friendly, formal,
brief; a phrase without a tone of its own is the same in all three). Placeholders are filled
only with item fields and counts, never with the business's rules or instructions.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from knowledge.importing.prices import NOTE_FROM, NOTE_RANGE, NOTE_SEVERAL

LANGUAGES = ("ru", "en")
TONES = ("friendly", "formal", "brief")

# fmt: off
PHRASES: dict[str, dict[str, str | dict[str, str]]] = {
    "greeting": {
        "ru": {
            "friendly": "Здравствуйте! 😊 Подскажу всё о {offer}: цены, наличие, описание. "
                        "Что вас интересует?",
            "formal": "Здравствуйте! Я отвечу на вопросы о {offer}: цены, наличие, описание. "
                      "Чем могу помочь?",
            "brief": "Здравствуйте! Чем помочь?",
        },
        "en": {
            "friendly": "Hi there! 😊 I can help with our {offer}: prices, availability, "
                        "details. What are you looking for?",
            "formal": "Hello. I can answer questions about our {offer}: prices, availability "
                      "and details. How may I help you?",
            "brief": "Hello! How can I help?",
        },
    },
    "offer_product": {"ru": "наших товарах", "en": "products"},
    "offer_service": {"ru": "наших услугах", "en": "services"},
    "thanks": {
        "ru": {
            "friendly": "Пожалуйста! Будут вопросы — пишите 🙂",
            "formal": "Благодарим за обращение! Если появятся вопросы, мы на связи.",
            "brief": "Пожалуйста!",
        },
        "en": {
            "friendly": "You're welcome! Write any time 🙂",
            "formal": "Thank you for contacting us. We are here if you have more questions.",
            "brief": "You're welcome!",
        },
    },
    "empty": {
        "ru": {
            "friendly": "Напишите, пожалуйста, ваш вопрос 🙂 Например: «сколько стоит …» "
                        "или название товара.",
            "formal": "Пожалуйста, напишите ваш вопрос: например, название товара или "
                      "«сколько стоит …».",
            "brief": "Напишите ваш вопрос, например название товара.",
        },
        "en": {
            "friendly": "Please type your question 🙂 For example: \"how much is …\" or an "
                        "item's name.",
            "formal": "Please write your question, for example an item's name or \"how much "
                      "is …\".",
            "brief": "Please type your question, e.g. an item's name.",
        },
    },
    "only_shop": {
        "ru": "Я могу рассказать только о наших товарах и услугах: цены, наличие, описание.",
        "en": "I can only tell you about our products and services: prices, availability, "
              "details.",
    },
    "other_language": {
        "ru": "Я отвечаю на русском и английском.",
        "en": "I answer in English and Russian.",
    },
    "price": {"ru": "{name} — {price}.", "en": "{name}: {price}."},
    "price_unknown": {
        "ru": "{name}: цена в каталоге не указана, её подскажет сотрудник.",
        "en": "{name}: the catalogue does not list a price; a member of staff can tell you.",
    },
    "availability_in": {"ru": "В наличии.", "en": "In stock."},
    "availability_count": {"ru": "В наличии: {count} шт.", "en": "In stock: {count}."},
    "availability_out": {"ru": "Сейчас нет в наличии.", "en": "Out of stock at the moment."},
    "availability_order": {"ru": "Под заказ.", "en": "Available to order."},
    "availability_text": {"ru": "Наличие: {text}.", "en": "Availability: {text}."},
    "availability_unknown": {
        "ru": "Наличие в каталоге не указано, его уточнит сотрудник.",
        "en": "The catalogue does not say whether it is in stock; a member of staff can check.",
    },
    "options": {"ru": "Варианты: {options}.", "en": "Options: {options}."},
    "options_unknown": {
        "ru": "Варианты (размеры, цвета) в каталоге не указаны, их уточнит сотрудник.",
        "en": "The catalogue lists no options (sizes, colours) for it; a member of staff can "
              "check.",
    },
    "link": {"ru": "Подробнее: {url}", "en": "More: {url}"},
    "clarify": {
        "ru": {
            "friendly": "Нашлось несколько вариантов 🙂 Какой вас интересует?",
            "formal": "Найдено несколько подходящих позиций. Уточните, пожалуйста, какая "
                      "вас интересует:",
            "brief": "Какой из них?",
        },
        "en": {
            "friendly": "I found a few matches 🙂 Which one do you mean?",
            "formal": "Several items match your question. Please tell me which one you mean:",
            "brief": "Which one?",
        },
    },
    "similar": {
        "ru": "Именно «{query}» я не нашёл, но есть похожее:",
        "en": "I found nothing exactly like \"{query}\", but there is:",
    },
    "similar_ask": {
        "ru": "Вас интересует что-то из этого?",
        "en": "Is any of these what you mean?",
    },
    "which_item": {
        "ru": "Уточните, пожалуйста, о каком товаре или услуге речь? Напишите название.",
        "en": "Which item or service do you mean? Please write its name.",
    },
    "nothing": {
        "ru": {
            "friendly": "К сожалению, я не нашёл в нашем каталоге «{query}».",
            "formal": "К сожалению, в нашем каталоге нет позиции «{query}».",
            "brief": "«{query}» в каталоге не нашлось.",
        },
        "en": {
            "friendly": "Sorry, I couldn't find \"{query}\" in our catalogue.",
            "formal": "Unfortunately our catalogue has no item matching \"{query}\".",
            "brief": "Nothing matches \"{query}\" in the catalogue.",
        },
    },
    "not_understood": {
        "ru": "Извините, я не совсем понял вопрос. Спросите о товаре, его цене или наличии.",
        "en": "Sorry, I didn't quite get that. You can ask about an item, its price or "
              "availability.",
    },
    "offer_person": {
        "ru": "Если хотите, напишите «{keyword}» — и вам ответит сотрудник.",
        "en": "If you like, write \"{keyword}\" and a member of staff will answer.",
    },
    "empty_catalog": {
        "ru": "Наш каталог пока не заполнен, поэтому о товарах и ценах я ответить не могу.",
        "en": "Our catalogue is not filled in yet, so I can't answer about items and prices.",
    },
    "catalog": {
        "ru": {
            "friendly": "Вот что у нас есть:",
            "formal": "В нашем каталоге представлены разделы:",
            "brief": "Разделы каталога:",
        },
        "en": {
            "friendly": "Here is what we have:",
            "formal": "Our catalogue has these sections:",
            "brief": "Catalogue sections:",
        },
    },
    "catalog_items": {"ru": "В каталоге, например:", "en": "In our catalogue, for example:"},
    "catalog_more": {"ru": "…и ещё {count}.", "en": "…and {count} more."},
    "catalog_ask": {
        "ru": "Напишите, что вас интересует — подскажу цену и наличие.",
        "en": "Tell me what you are looking for and I'll give you the price and availability.",
    },
    "category_count": {"ru": "{name} ({count})", "en": "{name} ({count})"},
    "payment": {
        "ru": "Когда заказ будет согласован, мы пришлём ссылку на оплату прямо в этот чат.",
        "en": "Once your order is agreed, we'll send a payment link right here in this chat.",
    },
    "booking_delivery": {
        "ru": "Напишите, что хотите заказать, и адрес доставки — сотрудник подтвердит "
              "сроки и стоимость доставки.",
        "en": "Tell us what you'd like to order and the delivery address; a member of staff "
              "will confirm the delivery time and cost.",
    },
    "booking_appointment": {
        "ru": "Напишите, на какую услугу и на какое время хотите записаться, — сотрудник "
              "подтвердит запись.",
        "en": "Tell us which service and what time suits you; a member of staff will confirm "
              "the appointment.",
    },
    "handoff": {
        "ru": {
            "friendly": "Передаю ваш вопрос сотруднику — он ответит вам здесь 🙂",
            "formal": "Ваш вопрос передан сотруднику. Он ответит вам в этом чате.",
            "brief": "Передаю сотруднику, он ответит здесь.",
        },
        "en": {
            "friendly": "I'm passing your question to a person from our team; they'll answer "
                        "you here 🙂",
            "formal": "Your question has been passed to a person from our team, who will "
                      "answer you in this chat.",
            "brief": "Passing you to a person; they'll answer here.",
        },
    },
    "handoff_angry": {
        "ru": "Извините, что так вышло.",
        "en": "I'm sorry about this.",
    },
    "handoff_confused": {
        "ru": "Кажется, я не могу помочь с этим вопросом.",
        "en": "It seems I can't help with this question.",
    },
    "person_keyword": {"ru": "оператор", "en": "operator"},
    "price_from": {"ru": "от {price}", "en": "from {price}"},
    "price_on_request": {"ru": "по запросу", "en": "on request"},
}
# fmt: on

#: Currency codes written as a symbol; the rest are written as their code.
CURRENCY_SYMBOLS = {
    "RUB": "₽",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "UAH": "₴",
    "KZT": "₸",
    "PLN": "zł",
    "BYN": "Br",
    "TRY": "₺",
    "CNY": "¥",
    "JPY": "¥",
    "INR": "₹",
}
#: In English these symbols go before the amount ($19.99); every other one after it.
_SYMBOL_FIRST_IN_ENGLISH = {"$", "€", "£", "¥", "₹", "₺"}


def phrase(key: str, language: str, tone: str = "friendly", **values: object) -> str:
    """The phrase ``key`` in ``language`` and ``tone``, with ``values`` filled in."""
    entry = PHRASES[key][language if language in LANGUAGES else "en"]
    if isinstance(entry, dict):
        entry = entry.get(tone) or entry["friendly"]
    return entry.format(**values) if values else entry


def _group(whole: str, separator: str) -> str:
    digits = whole.lstrip("-")
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ("-" if whole.startswith("-") else "") + separator.join(groups)


def format_amount(amount: Decimal, language: str) -> str:
    """1290 -> "1 290" (ru) / "1,290" (en); 850.5 -> "850,50" / "850.50"; no ".00"."""
    try:
        quantized = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(amount)
    whole, _, cents = f"{quantized:f}".partition(".")
    if language == "ru":
        text = _group(whole, " ")
        return f"{text},{cents}" if cents and cents != "00" else text
    text = _group(whole, ",")
    return f"{text}.{cents}" if cents and cents != "00" else text


def with_currency(amount_text: str, currency: str, language: str) -> str:
    """Put the currency's symbol (or code) where a reader of ``language`` expects it."""
    if not currency:
        return amount_text
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper())
    if language == "en" and symbol in _SYMBOL_FIRST_IN_ENGLISH:
        return f"{symbol}{amount_text}"
    return f"{amount_text} {symbol}"


def format_price(
    *,
    price: Decimal | None,
    price_text: str,
    price_note: str,
    currency: str,
    language: str,
) -> str:
    """An item's price as the customer should read it, from its real fields only; "" when
    the catalogue has no price at all.

    A range or several prices are shown as written ("2200-2500"), a minimum as "from 2 000",
    a missing number as the text of the price cell ("договорная").
    """
    text = (price_text or "").strip()
    if price is None:
        return text
    if price_note in (NOTE_RANGE, NOTE_SEVERAL) and text:
        has_currency = any(symbol in text for symbol in CURRENCY_SYMBOLS.values())
        return text if has_currency else with_currency(text, currency, language)
    amount = with_currency(format_amount(price, language), currency, language)
    if price_note == NOTE_FROM:
        return phrase("price_from", language, price=amount)
    return amount


_IN_STOCK = {"in stock", "instock", "в наличии", "есть", "да", "yes", "true", "available"}
_OUT_OF_STOCK = {
    "out of stock",
    "outofstock",
    "нет в наличии",
    "нет",
    "no",
    "false",
    "sold out",
    "unavailable",
}
_ON_ORDER = {"on backorder", "onbackorder", "backorder", "под заказ", "предзаказ", "preorder"}


def format_availability(availability: str, language: str) -> str:
    """The availability field in words: a count, in or out of stock, or the text as written;
    "" when the catalogue does not say."""
    value = (availability or "").strip()
    if not value:
        return ""
    lowered = value.casefold().rstrip(".")
    try:
        count = Decimal(value.replace(",", "."))
    except InvalidOperation:
        count = None
    if count is not None and count == count.to_integral_value():
        if count <= 0:
            return phrase("availability_out", language)
        # "1" is also how shops write "yes" in an in-stock column: no count is claimed then.
        if count == 1:
            return phrase("availability_in", language)
        return phrase("availability_count", language, count=int(count))
    if lowered in _IN_STOCK:
        return phrase("availability_in", language)
    if lowered in _OUT_OF_STOCK:
        return phrase("availability_out", language)
    if lowered in _ON_ORDER:
        return phrase("availability_order", language)
    return phrase("availability_text", language, text=value)
