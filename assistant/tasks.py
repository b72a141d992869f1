"""The assistant's work in the worker (in the business's schema)."""

from __future__ import annotations

from config.celery import app

from .pipeline import turn_answer


@app.task(name="assistant.reply", ignore_result=True)
def assistant_reply_task(turn_id: int) -> None:
    """Answer a customer's turn (queued when the turn is collected)."""
    turn_answer(turn_id=turn_id)
