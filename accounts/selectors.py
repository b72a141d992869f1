from __future__ import annotations

from accounts.models import Membership


def membership_get(*, user, business) -> Membership | None:
    """The user's membership of `business`, or None."""
    if not getattr(user, "is_authenticated", False) or business is None:
        return None
    return Membership.objects.filter(user=user, business=business).first()
