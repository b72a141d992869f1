"""The assistant's behaviour settings (business schema).

One row per company says how the assistant behaves for all of the company's channels and
scenarios; further rows override it for one channel, one scenario, or both. On every row a
value of None means "inherit": from the row below it in precedence, and at the bottom from
the defaults of ``assistant.types.Behaviour`` (see ``assistant.settings_resolve``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from channels_app.models import Channel
from tenants.companies.models import Company

from .types import Scenario

SCENARIO_LABELS = {
    Scenario.GREETING: _("Greeting"),
    Scenario.PRODUCT: _("Product questions"),
    Scenario.PRICE: _("Price"),
    Scenario.AVAILABILITY: _("Availability"),
    Scenario.PAYMENT: _("Payment"),
    Scenario.BOOKING: _("Delivery or booking"),
    Scenario.FALLBACK: _("When nothing matches"),
}
SCENARIO_CHOICES = [(scenario.value, SCENARIO_LABELS[scenario]) for scenario in Scenario]

#: Fields of a setting row that hold behaviour (everything but the keys); None: inherit.
SETTING_FIELDS = (
    "tone",
    "language_policy",
    "default_language",
    "greeting",
    "rules",
    "instructions",
    "working_hours",
    "timezone",
    "out_of_hours",
    "privacy_notice",
    "handoff_keywords",
    "handoff_on_low_confidence",
    "handoff_after_misunderstandings",
    "handoff_on_anger",
)


class BehaviourSetting(models.Model):
    """How the assistant behaves for a company, or for one of its channels and/or scenarios."""

    class Tone(models.TextChoices):
        FRIENDLY = "friendly", _("Friendly")
        FORMAL = "formal", _("Formal")
        BRIEF = "brief", _("Brief")

    class LanguagePolicy(models.TextChoices):
        CUSTOMER = "customer", _("Answer in the customer's language")
        DEFAULT = "default", _("Always answer in the default language")

    class Language(models.TextChoices):
        RUSSIAN = "ru", _("Russian")
        ENGLISH = "en", _("English")

    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        related_name="behaviour_settings",
        verbose_name=_("company"),
    )
    #: None: every channel of the company.
    channel = models.ForeignKey(
        Channel,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="behaviour_settings",
        verbose_name=_("channel"),
    )
    #: Empty: every scenario.
    scenario = models.CharField(
        _("scenario"), max_length=16, choices=SCENARIO_CHOICES, blank=True, default=""
    )

    tone = models.CharField(_("tone"), max_length=16, choices=Tone, null=True, blank=True)
    language_policy = models.CharField(
        _("language of the answers"),
        max_length=16,
        choices=LanguagePolicy,
        null=True,
        blank=True,
    )
    default_language = models.CharField(
        _("default language"), max_length=2, choices=Language, null=True, blank=True
    )
    greeting = models.TextField(_("greeting"), null=True, blank=True)
    rules = models.TextField(_("rules of the business"), null=True, blank=True)
    instructions = models.TextField(_("instructions"), null=True, blank=True)
    #: ``{"0": ["09:00", "18:00"], ...}`` by weekday (0 = Monday); ``{}``: always open.
    working_hours = models.JSONField(_("working hours"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, null=True, blank=True)
    out_of_hours = models.TextField(_("out-of-hours answer"), null=True, blank=True)
    privacy_notice = models.TextField(_("privacy notice"), null=True, blank=True)
    #: Comma-separated words that hand the conversation to a person.
    handoff_keywords = models.TextField(_("hand-over words"), null=True, blank=True)
    handoff_on_low_confidence = models.BooleanField(
        _("hand over when unsure"), null=True, blank=True
    )
    handoff_after_misunderstandings = models.PositiveSmallIntegerField(
        _("hand over after this many misunderstandings"), null=True, blank=True
    )
    handoff_on_anger = models.BooleanField(
        _("hand over to an angry customer"), null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assistant behaviour")
        verbose_name_plural = _("assistant behaviours")
        ordering = ["company_id", "channel_id", "scenario"]
        constraints = [
            # PostgreSQL 15+: one company-wide row (channel NULL) per company and scenario too.
            models.UniqueConstraint(
                fields=["company", "channel", "scenario"],
                name="assistant_behaviour_unique_scope",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.channel_id or '*'}/{self.scenario or '*'}"

    @property
    def is_company_wide(self) -> bool:
        return self.channel_id is None and not self.scenario

    def get_scenario_label(self) -> str:
        return str(SCENARIO_LABELS[Scenario(self.scenario)]) if self.scenario else ""

    def own_values(self) -> list[str]:
        """Names of the settings this row sets itself (the others are inherited)."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in SETTING_FIELDS
            if getattr(self, name) is not None
        ]
