"""A fixed-window counter in the cache, for limits allauth does not cover (sign-up codes)."""

from __future__ import annotations

from django.core.cache import cache


def rate_limit_hit(*, action: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True when this attempt is over the limit for the current window."""
    cache_key = f"ratelimit:{action}:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.set(cache_key, 1, timeout=window_seconds)
            count = 1
    return count > limit
