"""The forms of the notifications app."""

from __future__ import annotations

from django import forms

from notifications.models import Delivery
from reviews.models import ReviewCycle


class DeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", "Any state")] + list(Delivery.State.choices), required=False
    )
    kind = forms.ChoiceField(
        choices=[("", "Any kind")] + list(Delivery.Kind.choices), required=False
    )
    # The choices show each review's label: its snapshot is never read.
    cycle = forms.ModelChoiceField(
        queryset=ReviewCycle.objects.defer("snapshot"), required=False, empty_label="Any cycle"
    )
