"""Billing's periodic work."""

from celery import shared_task

from . import services


@shared_task(name="billing.trial_reminders")
def trial_reminders_task() -> dict[str, int]:
    """E-mail owners whose trial ends soon, and those whose trial has ended (once each)."""
    return services.trial_reminders_send()
