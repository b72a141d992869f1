"""Forms of the assistant's pages: behaviour settings (company-wide and overrides), the
preview and the test chat."""

from __future__ import annotations

import functools
import json
import zoneinfo
from datetime import time

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from channels_app.models import Channel

from .models import SCENARIO_CHOICES, BehaviourSetting
from .settings_resolve import behaviour_as_initial, hours_dump, hours_parse
from .types import Behaviour

TEXT_FIELDS = (
    "greeting",
    "rules",
    "instructions",
    "out_of_hours",
    "privacy_notice",
    "handoff_keywords",
)
CHOICE_FIELDS = ("tone", "language_policy", "default_language")
BOOLEAN_FIELDS = ("handoff_on_low_confidence", "handoff_on_anger")
MAX_MISUNDERSTANDINGS = 10
TEXT_MAX_CHARS = 4000
#: Messages of the test chat kept as context (the customer's and the answers, newest).
TRY_HISTORY_MESSAGES = 20


@functools.cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


class HoursMode:
    INHERIT = "inherit"
    ALWAYS = "always"
    HOURS = "hours"


class BehaviourForm(forms.ModelForm):
    """The behaviour fields of a setting row.

    Company-wide (``inherit=False``): every field has a value. Override (``inherit=True``):
    every field may be left to inherit the company's (or the channel's) setting: empty
    texts, "inherit" in the lists, and working hours "as for the company".
    """

    inherit = False

    hours_mode = forms.ChoiceField(label=_("Working hours"), widget=forms.RadioSelect)

    class Meta:
        model = BehaviourSetting
        fields = [
            "tone",
            "language_policy",
            "default_language",
            "greeting",
            "rules",
            "instructions",
            "timezone",
            "out_of_hours",
            "privacy_notice",
            "handoff_keywords",
            "handoff_on_low_confidence",
            "handoff_after_misunderstandings",
            "handoff_on_anger",
        ]
        widgets = {
            "greeting": forms.Textarea(attrs={"rows": 2}),
            "rules": forms.Textarea(attrs={"rows": 4}),
            "instructions": forms.Textarea(attrs={"rows": 4}),
            "out_of_hours": forms.Textarea(attrs={"rows": 2}),
            "privacy_notice": forms.Textarea(attrs={"rows": 2}),
            "handoff_keywords": forms.TextInput(),
            "timezone": forms.TextInput(
                attrs={"list": "timezone-names", "autocomplete": "off", "spellcheck": "false"}
            ),
        }
        help_texts = {
            "greeting": _("Sent when a customer says hello."),
            "rules": _(
                "Your rules in your own words: delivery terms, returns, what you never "
                "promise. Prices always come from the knowledge base."
            ),
            "instructions": _(
                "How the assistant should write (used when an AI service is connected)."
            ),
            "out_of_hours": _("Sent once a day to customers who write outside working hours."),
            "privacy_notice": _("Sent once to every new customer, before the first answer."),
            "handoff_keywords": _(
                "Comma-separated words that hand the conversation to a person, "
                "like оператор, human."
            ),
            "timezone": _("Like Europe/Moscow or Asia/Almaty."),
        }

    def __init__(self, *args, company, **kwargs):
        self.company = company
        super().__init__(*args, **kwargs)
        modes = [(HoursMode.ALWAYS, _("Always open")), (HoursMode.HOURS, _("Only these hours"))]
        if self.inherit:
            modes.insert(0, (HoursMode.INHERIT, _("As for the company")))
        self.fields["hours_mode"].choices = modes
        for weekday in range(7):
            for edge in ("from", "to"):
                self.fields[f"day_{weekday}_{edge}"] = forms.TimeField(
                    label=f"{WEEKDAYS[weekday]}: {_('from') if edge == 'from' else _('to')}",
                    required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )
        for name in TEXT_FIELDS:
            field = self.fields[name]
            field.max_length = TEXT_MAX_CHARS
            field.validators.append(MaxLengthValidator(TEXT_MAX_CHARS))
            field.widget.attrs["maxlength"] = TEXT_MAX_CHARS
        misunderstandings = self.fields["handoff_after_misunderstandings"]
        self.fields["handoff_after_misunderstandings"] = forms.IntegerField(
            label=misunderstandings.label,
            required=False,
            min_value=1,
            max_value=MAX_MISUNDERSTANDINGS,
        )
        if self.inherit:
            self._fields_may_inherit()
        else:
            self._fields_all_set()
        self._hours_initial()

    # -- the two kinds of rows ----------------------------------------------------------

    def _fields_all_set(self) -> None:
        for name in TEXT_FIELDS:
            self.fields[name].empty_value = ""  # an empty text is a value: "none"
        for name in CHOICE_FIELDS:
            field = self.fields[name]
            field.required = True
            field.choices = [choice for choice in field.choices if choice[0]]
        for name in BOOLEAN_FIELDS:
            self.fields[name] = forms.BooleanField(
                label=self.fields[name].label, required=False, initial=self.fields[name].initial
            )
        self.fields["handoff_after_misunderstandings"].required = True
        self.fields["timezone"].required = True

    def _fields_may_inherit(self) -> None:
        inherit = _("As for the company")
        for name in TEXT_FIELDS:
            field = self.fields[name]
            field.empty_value = None  # empty: inherit
            field.help_text = _("%(help)s Empty: as for the company.") % {"help": field.help_text}
        for name in CHOICE_FIELDS:
            field = self.fields[name]
            field.choices = [("", inherit)] + [choice for choice in field.choices if choice[0]]
        for name in BOOLEAN_FIELDS:
            widget = forms.NullBooleanSelect()
            widget.choices = [("unknown", inherit), ("true", _("Yes")), ("false", _("No"))]
            self.fields[name].widget = widget
        self.fields["handoff_after_misunderstandings"].help_text = _("Empty: as for the company.")
        self.fields["timezone"].help_text = _("Empty: the company's time zone.")

    def _hours_initial(self) -> None:
        stored = self.instance.working_hours
        if self.instance.pk is None and not self.inherit:
            stored = self.initial.get("working_hours", stored)
        if stored is None:
            mode = HoursMode.INHERIT if self.inherit else HoursMode.ALWAYS
        else:
            mode = HoursMode.HOURS if stored else HoursMode.ALWAYS
        self.initial.setdefault("hours_mode", mode)
        for weekday, (start, end) in hours_parse(stored or {}).items():
            self.initial.setdefault(f"day_{weekday}_from", start)
            self.initial.setdefault(f"day_{weekday}_to", end)

    # -- for the template ---------------------------------------------------------------

    def day_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (WEEKDAYS[weekday], self[f"day_{weekday}_from"], self[f"day_{weekday}_to"])
            for weekday in range(7)
        ]

    def field_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (_("Tone and language"), [self[n] for n in CHOICE_FIELDS]),
            (
                _("What the assistant says"),
                [self[n] for n in ("greeting", "rules", "instructions")],
            ),
            (_("Notices"), [self[n] for n in ("privacy_notice", "out_of_hours")]),
            (
                _("Hand-over to a person"),
                [
                    self[n]
                    for n in (
                        "handoff_keywords",
                        "handoff_on_low_confidence",
                        "handoff_after_misunderstandings",
                        "handoff_on_anger",
                    )
                ],
            ),
        ]

    # -- validation ---------------------------------------------------------------------

    def clean_timezone(self) -> str | None:
        name = (self.cleaned_data.get("timezone") or "").strip()
        if not name:
            return None if self.inherit else name
        if name not in timezone_names():
            raise forms.ValidationError(
                _("“%(name)s” is not a time zone. Pick one from the list, like Europe/Moscow."),
                params={"name": name},
            )
        return name

    def clean_handoff_keywords(self) -> str | None:
        text = self.cleaned_data.get("handoff_keywords")
        if text is None:
            return None
        words = [word.strip() for word in text.split(",")]
        return ", ".join(word for word in words if word)

    def clean(self) -> dict:
        cleaned = super().clean()
        mode = cleaned.get("hours_mode")
        if mode == HoursMode.INHERIT:
            self.instance.working_hours = None
        elif mode == HoursMode.ALWAYS:
            self.instance.working_hours = {}
        elif mode == HoursMode.HOURS:
            days = self._clean_days(cleaned)
            if days is not None:
                self.instance.working_hours = hours_dump(days)
        return cleaned

    def _clean_days(self, cleaned: dict) -> dict[int, tuple[time, time]] | None:
        days: dict[int, tuple[time, time]] = {}
        valid = True
        for weekday in range(7):
            start = cleaned.get(f"day_{weekday}_from")
            end = cleaned.get(f"day_{weekday}_to")
            if f"day_{weekday}_from" in self.errors or f"day_{weekday}_to" in self.errors:
                valid = False
            elif start is None and end is None:
                continue  # closed that day
            elif start is None or end is None:
                self.add_error(
                    f"day_{weekday}_from" if start is None else f"day_{weekday}_to",
                    _("%(day)s: set both the opening and the closing time, or neither.")
                    % {"day": WEEKDAYS[weekday]},
                )
                valid = False
            elif end <= start:
                self.add_error(
                    f"day_{weekday}_to",
                    _("%(day)s: the closing time must be after the opening time.")
                    % {"day": WEEKDAYS[weekday]},
                )
                valid = False
            else:
                days[weekday] = (start, end)
        if valid and not days:
            self.add_error(
                "hours_mode",
                _("Set the hours of at least one day, or choose “Always open”."),
            )
            valid = False
        return days if valid else None


class CompanyBehaviourForm(BehaviourForm):
    """The company-wide row: every channel and scenario of the company."""

    inherit = False

    def __init__(self, *args, company, instance: BehaviourSetting | None = None, **kwargs):
        if instance is None:
            instance = BehaviourSetting(company=company, channel=None, scenario="")
        # What the row leaves unset (a new row, or one written elsewhere) starts as the default.
        defaults = {
            name: value
            for name, value in behaviour_as_initial(Behaviour()).items()
            if instance.pk is None or getattr(instance, name) is None
        }
        kwargs["initial"] = {**defaults, **kwargs.get("initial", {})}
        super().__init__(*args, company=company, instance=instance, **kwargs)


class OverrideForm(BehaviourForm):
    """A row for one channel and/or one scenario of the company."""

    inherit = True

    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label=_("Every channel"),
    )
    scenario = forms.ChoiceField(
        label=_("Scenario"),
        required=False,
        choices=[("", _("Every scenario")), *SCENARIO_CHOICES],
    )

    class Meta(BehaviourForm.Meta):
        fields = ["channel", "scenario", *BehaviourForm.Meta.fields]

    def __init__(self, *args, company, instance: BehaviourSetting | None = None, **kwargs):
        if instance is None:
            instance = BehaviourSetting(company=company)
        super().__init__(*args, company=company, instance=instance, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(company=company).select_related(
            "connection"
        )
        self.fields["channel"].label_from_instance = _channel_label

    def clean(self) -> dict:
        cleaned = super().clean()
        channel, scenario = cleaned.get("channel"), cleaned.get("scenario") or ""
        if "channel" in self.errors or "scenario" in self.errors:
            return cleaned
        if channel is None and not scenario:
            raise forms.ValidationError(
                _(
                    "Choose a channel, a scenario or both: settings for every channel and "
                    "scenario are the company's settings above."
                )
            )
        taken = BehaviourSetting.objects.filter(
            company=self.company, channel=channel, scenario=scenario
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This channel and scenario already have their own settings: edit those.")
            )
        return cleaned


def _channel_label(channel: Channel) -> str:
    account = channel.connection.account_name or channel.connection.external_id
    return f"{channel.get_platform_display()} · {account}" if account else str(channel)


class PreviewForm(forms.Form):
    preview_text = forms.CharField(
        label=_("A customer's message"),
        max_length=settings.MESSAGE_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a message to see the answer.")},
    )


class TryForm(forms.Form):
    """One message of the test chat, with the conversation so far (kept in the page)."""

    text = forms.CharField(
        label=_("Your message, as a customer would write it"),
        max_length=settings.MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a message first.")},
    )
    channel = forms.ModelChoiceField(
        label=_("Settings of"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label=_("Every channel"),
    )
    history = forms.CharField(required=False, widget=forms.HiddenInput)
    misunderstood = forms.IntegerField(
        required=False, min_value=0, max_value=100, widget=forms.HiddenInput
    )

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(company=company).select_related(
            "connection"
        )
        self.fields["channel"].label_from_instance = _channel_label

    def clean_history(self) -> list[tuple[str, str]]:
        """``[["in", "text"], ["out", "text"], ...]``; anything else is the page's fault, and
        the chat starts over rather than failing."""
        raw = self.cleaned_data.get("history") or "[]"
        try:
            data = json.loads(raw)
        except ValueError:
            return []
        if not isinstance(data, list):
            return []
        history = [
            (entry[0], entry[1][: settings.MESSAGE_MAX_CHARS])
            for entry in data
            if isinstance(entry, list)
            and len(entry) == 2
            and entry[0] in ("in", "out")
            and isinstance(entry[1], str)
        ]
        return history[-TRY_HISTORY_MESSAGES:]

    def clean_misunderstood(self) -> int:
        return self.cleaned_data.get("misunderstood") or 0
