"""The assistant's default engine: answers from the knowledge base with rules, no AI service.

``answer`` is the whole reply to one customer turn; ``retrieve``, ``detect_language`` and
``classify`` are its parts, used on their own by the pipeline, the test chat and the AI path.
"""

from .answering import LOW_CONFIDENCE, answer, reply_language
from .intents import anger, classify, looks_like_instruction
from .language import detect_language
from .retrieval import retrieve

__all__ = [
    "LOW_CONFIDENCE",
    "anger",
    "answer",
    "classify",
    "detect_language",
    "looks_like_instruction",
    "reply_language",
    "retrieve",
]
