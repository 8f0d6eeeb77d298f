"""The forms of the notifications app."""

from __future__ import annotations

from django import forms

from notifications import webhooks
from notifications.models import KIND_CHOICES, Delivery, WebhookEndpoint
from reviews.models import ReviewCycle


class DeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", "Any state")] + list(Delivery.State.choices), required=False
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *KIND_CHOICES], required=False)
    # The choices show each review's label: its snapshot is never read.
    cycle = forms.ModelChoiceField(
        queryset=ReviewCycle.objects.defer("snapshot"), required=False, empty_label="Any cycle"
    )
    endpoint = forms.ModelChoiceField(
        queryset=WebhookEndpoint.objects.all(),
        required=False,
        empty_label="Any recipient",
        label="Webhook endpoint",
    )


class WebhookEndpointForm(forms.ModelForm):
    """An endpoint as an admin registers or edits it; the secret only when it is made."""

    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where the events are POSTed: https://, on a host the operator allowed "
        "(WEBHOOK_ALLOWED_HOSTS). Redirects are not followed.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event to send."},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "is_active"]
        help_texts = {
            "name": "What receives it, for the delivery log.",
            "is_active": "Switched off, it is sent nothing (and what waits for it is cancelled).",
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        problem = webhooks.url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [e for e in WebhookEndpoint.Event.values if e in chosen]  # in the list's order


class WebhookEndpointCreateForm(WebhookEndpointForm):
    secret = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        help_text="Leave it empty and one is made for you (recommended). Your own must be "
        f"{webhooks.SECRET_PREFIX} followed by the base64 of at least "
        f"{webhooks.MIN_SECRET_BYTES} random bytes. It is shown once.",
    )

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        if not secret:
            return webhooks.secret_new()
        try:
            key = webhooks.secret_key(secret)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if len(key) < webhooks.MIN_SECRET_BYTES:
            raise forms.ValidationError(
                f"This secret's key is {len(key)} bytes long; it must be at least "
                f"{webhooks.MIN_SECRET_BYTES}."
            )
        return secret

    def save(self, commit: bool = True) -> WebhookEndpoint:
        self.instance.secret = self.cleaned_data["secret"]
        return super().save(commit=commit)
