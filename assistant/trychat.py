"""The assistant's answer to a message typed in the portal (the test chat and the settings
preview): the same behaviour resolution and the same answer as a customer's turn, without
a contact, a conversation or a message being written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from .hours import is_open, next_opening
from .models import BehaviourSetting
from .respond import respond
from .settings_resolve import behaviour_for_message
from .types import Behaviour, Reply, Scenario


@dataclass
class TryAnswer:
    reply: Reply
    #: The behaviour the answer followed (the company's, a channel's, a scenario's).
    behaviour: Behaviour
    #: The scenario the message belongs to (its settings apply), or None.
    scenario: Scenario | None
    open_now: bool
    #: When the business opens next (only when closed and it has hours).
    opens_at: datetime | None = None
    #: What a customer would receive before this answer, in order.
    notices: list[str] = field(default_factory=list)


def try_answer(
    *,
    company,
    text: str,
    channel=None,
    history: list[tuple[str, str]] = (),
    misunderstood: int = 0,
    draft: BehaviourSetting | None = None,
    now: datetime | None = None,
) -> TryAnswer:
    """Answer ``text`` as the assistant would on ``channel`` (None: the company's settings),
    ``history`` being the conversation so far as ``[("in" | "out", text), ...]``.

    ``draft``: unsaved settings to answer with (the settings page's preview)."""
    now = now or timezone.now()
    behaviour, scenario = behaviour_for_message(
        company=company, channel=channel, text=text, draft=draft
    )
    reply = respond(
        text=text,
        company=company,
        behaviour=behaviour,
        history=list(history),
        misunderstood=misunderstood,
    )
    open_now = is_open(behaviour.working_hours, now)
    notices: list[str] = []
    if behaviour.privacy_notice and not history:
        notices.append(behaviour.privacy_notice)
    if not open_now and behaviour.out_of_hours and not reply.handoff:
        notices.append(behaviour.out_of_hours)
    return TryAnswer(
        reply=reply,
        behaviour=behaviour,
        scenario=scenario,
        open_now=open_now,
        opens_at=None if open_now else next_opening(behaviour.working_hours, now),
        notices=notices,
    )
