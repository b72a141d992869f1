"""Background work of managers: e-mail about chat messages to a side that is offline."""

from __future__ import annotations

from config.celery import app

from . import chat


@app.task(
    bind=True,
    name="managers.chat_message_notify",
    max_retries=3,
    ignore_result=True,
)
def chat_message_notify_task(self, message_id: int) -> None:
    """E-mail the other side about a chat message if it is still offline (once per burst;
    a duplicate delivery or a retry after the e-mail went out sends nothing more)."""
    try:
        chat.chat_message_notify(message_id=message_id)
    except OSError as error:  # the mail server refused or could not be reached (SMTPException too)
        raise self.retry(exc=error, countdown=60 * (self.request.retries + 1)) from error
