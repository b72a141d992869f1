"""What the assistant's parts hand each other: the behaviour it follows and the reply it
chose. Plain data, so the engine is tested without a database of conversations."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import time


class Intent(enum.StrEnum):
    GREETING = "greeting"
    CATALOG = "catalog"  # what do you sell, list the categories
    ITEM = "item"  # a question about an item
    PRICE = "price"
    AVAILABILITY = "availability"
    OPTIONS = "options"  # sizes, colours, variants
    PAYMENT = "payment"  # how to pay
    BOOKING = "booking"  # delivery or an appointment
    PERSON = "person"  # talk to a person
    THANKS = "thanks"  # thanks / bye
    UNKNOWN = "unknown"


class Scenario(enum.StrEnum):
    """Where a behaviour setting can be overridden (besides per channel)."""

    GREETING = "greeting"
    PRODUCT = "product"
    PRICE = "price"
    AVAILABILITY = "availability"
    PAYMENT = "payment"
    BOOKING = "booking"
    FALLBACK = "fallback"


class MessageClass(enum.StrEnum):
    """The seeds' classes of outgoing messages, counted for the metrics."""

    INFORMATION = "type1"
    PAYMENT_REQUEST = "type2"
    TRANSACTIONAL = "type3"


@dataclass(frozen=True)
class WorkingHours:
    """Opening hours per weekday (0 = Monday); a day missing from ``days`` is closed.
    Empty ``days`` means always open."""

    days: dict[int, tuple[time, time]] = field(default_factory=dict)
    timezone: str = "UTC"


@dataclass(frozen=True)
class Behaviour:
    """The settings the assistant follows for one company, channel and scenario, resolved
    (a channel's or scenario's own values over the company's)."""

    tone: str = "friendly"  # friendly | formal | brief
    #: "customer": answer in the customer's language; "default": always default_language.
    language_policy: str = "customer"
    default_language: str = "ru"
    greeting: str = ""
    rules: str = ""  # the business's own rules, in its words
    instructions: str = ""  # custom instructions (for the AI path; shown in the test chat)
    working_hours: WorkingHours = field(default_factory=WorkingHours)
    out_of_hours: str = ""
    privacy_notice: str = ""
    handoff_keywords: tuple[str, ...] = (
        "оператор",
        "человек",
        "менеджер",
        "human",
        "person",
        "operator",
        "agent",
    )
    handoff_on_low_confidence: bool = True
    #: Hand over after this many answers in a row that did not understand the customer.
    handoff_after_misunderstandings: int = 2
    handoff_on_anger: bool = True


@dataclass(frozen=True)
class FoundItem:
    """A knowledge-base item the reply is about (only real fields, never made up)."""

    id: int
    name: str
    sku: str
    price: str  # the price as it should be written, e.g. "1 290,00 ₽" or "" when unknown
    price_value: str  # the Decimal as text ("1290.00") or ""
    currency: str
    description: str
    availability: str
    category: str
    website: str
    image_url: str
    score: float


@dataclass
class Reply:
    """The assistant's answer to one customer turn, with why it was chosen."""

    text: str
    intent: Intent
    language: str  # "ru" | "en"
    items: list[FoundItem] = field(default_factory=list)
    #: A photo to send with the text (an item's image), when it helps.
    image_url: str = ""
    confidence: float = 1.0
    handoff: bool = False
    handoff_reason: str = ""
    message_class: MessageClass = MessageClass.INFORMATION
    #: Human-readable steps for the test chat: what was understood, found, decided.
    reasons: list[str] = field(default_factory=list)
    engine: str = "rules"  # "rules" | "ai"
    tokens_in: int = 0
    tokens_out: int = 0
