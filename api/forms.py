from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import AccessToken

# How long a new token lasts: a token that never expires is forgotten and outlives its purpose.
EXPIRY_CHOICES = [
    (7, _("7 days")),
    (30, _("30 days")),
    (90, _("90 days")),
    (365, _("1 year")),
]


class AccessTokenForm(forms.ModelForm):
    expires_in = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        initial=90,
        help_text=_("It stops working then; you can revoke it before."),
    )

    class Meta:
        model = AccessToken
        fields = ["name", "scope"]
        widgets = {"scope": forms.RadioSelect}
        help_texts = {"scope": _("Read only, unless it must send values or save checks.")}

    def expires_at(self):
        return timezone.now() + timedelta(days=self.cleaned_data["expires_in"])
