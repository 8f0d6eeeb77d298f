"""The forms of the sustain app."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms

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
