"""One answer to a customer's turn: the rules engine always, an AI service when configured.

The rules engine finds the items and decides hand-offs; the AI service, when there is one,
only rewrites answers about the catalogue, and its answer is used only if every price and SKU
in it is one of the items found (see ``assistant.ai``). Greetings, thanks and hand-offs stay
with the rules: they need no model and must not depend on one.
"""

from __future__ import annotations

from . import ai, engine
from .types import Behaviour, Intent, Reply

#: Intents the AI service may phrase (catalogue questions and what the rules did not get).
AI_INTENTS = {
    Intent.CATALOG,
    Intent.ITEM,
    Intent.PRICE,
    Intent.AVAILABILITY,
    Intent.OPTIONS,
    Intent.UNKNOWN,
}


def respond(
    *,
    text: str,
    company,
    behaviour: Behaviour,
    history: list[tuple[str, str]] = (),
    misunderstood: int = 0,
) -> Reply:
    rules = engine.answer(
        text=text,
        company=company,
        behaviour=behaviour,
        history=list(history),
        misunderstood=misunderstood,
    )
    if rules.handoff or rules.intent not in AI_INTENTS or not ai.ai_configured():
        return rules
    if not text.strip():
        return rules
    return ai.ai_answer(
        text=text, behaviour=behaviour, items=rules.items, history=list(history), fallback=rules
    )
