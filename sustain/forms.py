"""The forms of the sustain app."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext as _

from sustain.models import SignalSettings


class SignalSettingsForm(forms.ModelForm):
    class Meta:
        model = SignalSettings
        fields = [
            "window",
            "roller_min_change",
            "roller_min_reversals",
            "target_score",
            "funding_min_ratio",
            "stale_quarters",
            "late_cycles",
            "close_grace_days",
            "say_do_quarters",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        window = cleaned.get("window")
        # Both are counted within the quarters looked at: more could never be flagged.
        for name in ("say_do_quarters", "late_cycles"):
            value = cleaned.get(name)
            if window is not None and value is not None and value > window:
                self.add_error(
                    name,
                    _(
                        "At most the quarters looked at (%(window)s): only those are read, so "
                        "%(value)s could never be reached."
                    )
                    % {"window": window, "value": value},
                )
        return cleaned
