"""The behaviour the assistant follows for a company, channel and scenario.

Precedence, most specific first: the row for (company, channel, scenario), then (company,
channel, every scenario), then (company, every channel, scenario), then (company, every
channel, every scenario), then the defaults of ``types.Behaviour``. Each field is resolved
on its own: a row's None means "inherit" and the next row down answers for that field.
"""

from __future__ import annotations

import logging
from dataclasses import fields as dataclass_fields
from datetime import time
from typing import Any

from django.db.models import Q

from .models import SETTING_FIELDS, BehaviourSetting
from .types import Behaviour, Intent, Scenario, WorkingHours

logger = logging.getLogger(__name__)

_PLAIN_FIELDS = tuple(
    name for name in SETTING_FIELDS if name not in ("working_hours", "timezone", "handoff_keywords")
)
_DEFAULTS = Behaviour()


def keywords_parse(text: str) -> tuple[str, ...]:
    """``"оператор, Human ,,person"`` → ``("оператор", "human", "person")`` (once each)."""
    words: list[str] = []
    for part in text.split(","):
        word = part.strip().casefold()
        if word and word not in words:
            words.append(word)
    return tuple(words)


def hours_parse(data: dict[str, Any]) -> dict[int, tuple[time, time]]:
    """``{"0": ["09:00", "18:00"]}`` → ``{0: (time(9), time(18))}``; malformed days are left
    out (and logged), so a bad row written outside the portal closes that day, never crashes."""
    days: dict[int, tuple[time, time]] = {}
    if not isinstance(data, dict):
        return days
    for key, span in data.items():
        try:
            weekday = int(key)
            start, end = time.fromisoformat(span[0]), time.fromisoformat(span[1])
        except (TypeError, ValueError, IndexError, KeyError):
            logger.warning("assistant.hours.malformed", extra={"day": key, "span": span})
            continue
        if 0 <= weekday <= 6 and start < end:
            days[weekday] = (start, end)
    return days


def hours_dump(days: dict[int, tuple[time, time]]) -> dict[str, list[str]]:
    return {
        str(day): [start.strftime("%H:%M"), end.strftime("%H:%M")]
        for day, (start, end) in sorted(days.items())
    }


def _specificity(row: BehaviourSetting) -> int:
    """3 for (channel, scenario), 2 for (channel, any), 1 for (any, scenario), 0 for the rest."""
    return (2 if row.channel_id is not None else 0) + (1 if row.scenario else 0)


def resolve(rows: list[BehaviourSetting]) -> Behaviour:
    """Merge rows (any order) into a Behaviour, the more specific row winning per field."""
    ordered = sorted(rows, key=_specificity, reverse=True)

    def first(name: str) -> Any:
        for row in ordered:
            value = getattr(row, name)
            if value is not None:
                return value
        return None

    values: dict[str, Any] = {}
    for name in _PLAIN_FIELDS:
        value = first(name)
        if value is not None:
            values[name] = value
    keywords = first("handoff_keywords")
    if keywords is not None:
        values["handoff_keywords"] = keywords_parse(keywords)
    hours, zone = first("working_hours"), first("timezone")
    if hours is not None or zone is not None:
        values["working_hours"] = WorkingHours(
            days=hours_parse(hours) if hours is not None else _DEFAULTS.working_hours.days,
            timezone=zone or _DEFAULTS.working_hours.timezone,
        )
    return Behaviour(**values)


def rows_for(
    *, company, channel=None, scenario: Scenario | str | None = None
) -> list[BehaviourSetting]:
    """The rows that apply to the company, channel and scenario (one query)."""
    scope = Q(channel__isnull=True)
    if channel is not None:
        scope |= Q(channel=channel)
    scenarios = [""] + ([str(scenario)] if scenario else [])
    rows = BehaviourSetting.objects.filter(scope, company=company, scenario__in=scenarios)
    return list(rows.order_by())  # ``resolve`` orders them by precedence


def behaviour_for(
    *,
    company,
    channel=None,
    scenario: Scenario | str | None = None,
    draft: BehaviourSetting | None = None,
) -> Behaviour:
    """The behaviour for a company, optionally one of its channels and one scenario.

    ``draft``: an unsaved row (a form being edited) that takes the place of the stored row
    with the same channel and scenario, so the portal can preview settings before saving;
    like a stored row, it counts only when its channel and scenario apply.
    """
    rows = rows_for(company=company, channel=channel, scenario=scenario)
    if draft is not None and _in_scope(draft, channel=channel, scenario=scenario):
        key = (draft.channel_id, draft.scenario or "")
        rows = [row for row in rows if (row.channel_id, row.scenario) != key]
        rows.append(draft)
    return resolve(rows)


def _in_scope(row: BehaviourSetting, *, channel, scenario) -> bool:
    channel_id = getattr(channel, "pk", channel)
    return row.channel_id in (None, channel_id) and (row.scenario or "") in ("", scenario or "")


def behaviour_as_initial(behaviour: Behaviour) -> dict[str, Any]:
    """A Behaviour as values of a setting row (the company form's starting values)."""
    initial = {
        name: getattr(behaviour, name)
        for name in (field.name for field in dataclass_fields(Behaviour))
        if name in _PLAIN_FIELDS
    }
    initial["handoff_keywords"] = ", ".join(behaviour.handoff_keywords)
    initial["working_hours"] = hours_dump(behaviour.working_hours.days)
    initial["timezone"] = behaviour.working_hours.timezone
    return initial


#: The scenario whose settings apply to a customer's message, by what the message asks.
SCENARIOS = {
    Intent.GREETING: Scenario.GREETING,
    Intent.CATALOG: Scenario.PRODUCT,
    Intent.ITEM: Scenario.PRODUCT,
    Intent.OPTIONS: Scenario.PRODUCT,
    Intent.PRICE: Scenario.PRICE,
    Intent.AVAILABILITY: Scenario.AVAILABILITY,
    Intent.PAYMENT: Scenario.PAYMENT,
    Intent.BOOKING: Scenario.BOOKING,
    Intent.UNKNOWN: Scenario.FALLBACK,
}


def behaviour_for_message(
    *, company, text: str, channel=None, draft: BehaviourSetting | None = None
) -> tuple[Behaviour, Scenario | None]:
    """The settings for answering ``text``: the channel's, then the scenario's of what the
    message asks (classified in its language, or the business's default one)."""
    from . import engine

    general = behaviour_for(company=company, channel=channel, draft=draft)
    language = engine.detect_language(text) or general.default_language
    intent, _confidence = engine.classify(text, language)
    scenario = SCENARIOS.get(intent)
    if scenario is None:
        return general, None
    return (
        behaviour_for(company=company, channel=channel, scenario=scenario, draft=draft),
        scenario,
    )
