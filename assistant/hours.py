"""Opening hours: is the business open now, and when does it open next."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .types import WorkingHours


def _zone(hours: WorkingHours) -> ZoneInfo:
    try:
        return ZoneInfo(hours.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_open(hours: WorkingHours, now: datetime) -> bool:
    """No hours set means always open; a day without hours is closed."""
    if not hours.days:
        return True
    local = now.astimezone(_zone(hours))
    span = hours.days.get(local.weekday())
    if span is None:
        return False
    start, end = span
    return start <= local.time() < end


def next_opening(hours: WorkingHours, now: datetime) -> datetime | None:
    """The next moment the business opens (in its own time zone), or None if never."""
    if not hours.days:
        return None
    zone = _zone(hours)
    local = now.astimezone(zone)
    for ahead in range(8):
        day = (local + timedelta(days=ahead)).date()
        span = hours.days.get(day.weekday())
        if span is None:
            continue
        opening = datetime.combine(day, span[0], tzinfo=zone)
        if opening > local:
            return opening
    return None
