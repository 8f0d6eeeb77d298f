"""The forms of the notifications app."""

from __future__ import annotations

from functools import lru_cache

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from notifications import webhooks
from notifications.models import KIND_CHOICES, ChatChannel, Delivery, WebhookEndpoint
from reviews.models import ReviewCycle
from strategy.models import Unit

SWITCHED_OFF = _("Switched off, it is sent nothing (and what waits for it is cancelled).")


class DeliveryFilterForm(forms.Form):
    """The delivery log's filters. The reviews and endpoints to choose from are given, read by
    the page with its other reads (`filter_choices`), so that checking a choice reads nothing
    more; `selects()` writes the four menus."""

    state = forms.ChoiceField(label=_("State"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    cycle = forms.TypedChoiceField(label=_("Cycle"), coerce=int, required=False)
    endpoint = forms.TypedChoiceField(label=_("Webhook endpoint"), coerce=int, required=False)

    def __init__(self, data=None, *, cycles=(), endpoints=()):
        """`cycles`: (pk, kind, fiscal year, quarter) of every review, `endpoints`: (pk, name)
        of every endpoint, each in its menu's order."""
        super().__init__(data)
        self.options = filter_options(get_language(), tuple(cycles), tuple(endpoints))
        for name, options in self.options.items():
            self.fields[name].choices = options

    def selects(self) -> list[dict]:
        """Each filter's id, label and menu (Bootstrap's form-select), the chosen value
        selected, one that was not valid marked for assistive technology. The menus are
        written once per process for each set of options and choice: Django's widget
        templates, rendered per option, were a third of the page."""
        data = self.data if self.is_bound else {}
        rows = []
        for name, options in self.options.items():
            invalid = self.is_bound and name in self.errors
            rows.append(
                {
                    "id": f"id_{name}",
                    "label": self.fields[name].label,
                    "select": _select(name, options, data.get(name) or "", invalid),
                }
            )
        return rows


FILTER_MENUS_CACHED = 256  # menus kept per process: sets of options and choices


@lru_cache(maxsize=32)
def filter_options(language: str, cycles: tuple, endpoints: tuple) -> dict[str, tuple]:
    """The menus' (value, label) pairs in `language` (the active one, given as the key of the
    cache): the labels of the states, kinds and reviews are translated once per process."""
    return {
        "state": (("", gettext("Any state")), *_pairs(Delivery.State.choices)),
        "kind": (("", gettext("Any kind")), *_pairs(KIND_CHOICES)),
        "cycle": (
            ("", gettext("Any cycle")),
            *(
                (str(pk), ReviewCycle(kind=kind, fiscal_year=year, quarter=quarter).label)
                for pk, kind, year, quarter in cycles
            ),
        ),
        "endpoint": (("", gettext("Any recipient")), *((str(pk), name) for pk, name in endpoints)),
    }


def _pairs(choices) -> tuple:
    return tuple((str(value), str(label)) for value, label in choices)


@lru_cache(maxsize=FILTER_MENUS_CACHED)
def _select(name: str, options: tuple, chosen: str, invalid: bool) -> str:
    """A <select> as Django's Select widget writes it (the first option of `chosen`'s value
    selected, else none), with Bootstrap's class; aria-invalid when its value was refused."""
    selected = next((value for value, _label in options if value == chosen), None)
    return format_html(
        '<select name="{}" class="form-select"{} id="id_{}">{}</select>',
        name,
        format_html(' {}="true"', "aria-invalid") if invalid else "",
        name,
        format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, " selected" if value == selected else "", label) for value, label in options),
        ),
    )


class WebhookEndpointForm(forms.ModelForm):
    """An endpoint as an admin registers or edits it; the secret only when it is made."""

    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Where the events are POSTed: https://, on a host the operator allowed "
            "(WEBHOOK_ALLOWED_HOSTS). Redirects are not followed."
        ),
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Events"),
        error_messages={"required": _("Choose at least one event to send.")},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "is_active"]
        labels = {"name": _("Name")}
        help_texts = {
            "name": _("What receives it, for the delivery log."),
            "is_active": _(
                "Switched off, it is sent nothing (and what waits for it is cancelled)."
            ),
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
    secret = forms.CharField(label=_("Secret"), required=False, max_length=100, strip=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].help_text = gettext(
            "Leave it empty and one is made for you (recommended). Your own must be "
            "%(prefix)s followed by the base64 of at least %(bytes)s random bytes. It is "
            "shown once."
        ) % {"prefix": webhooks.SECRET_PREFIX, "bytes": webhooks.MIN_SECRET_BYTES}

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
                gettext(
                    "This secret's key is %(length)s bytes long; it must be at least %(least)s."
                )
                % {"length": len(key), "least": webhooks.MIN_SECRET_BYTES}
            )
        return secret

    def save(self, commit: bool = True) -> WebhookEndpoint:
        self.instance.secret = self.cleaned_data["secret"]
        return super().save(commit=commit)


class ChatChannelForm(forms.ModelForm):
    """A Slack or Teams channel as an admin adds or edits it. Its URL is a secret: editing, the
    field starts empty and an empty field keeps the URL saved."""

    unit = forms.ModelChoiceField(
        queryset=Unit.objects.active().order_by("name"),
        required=False,
        empty_label=_("Executives (told of late checks)"),
        label=_("Team"),
        help_text=_(
            "A team's channel is told when its check opens, before it is due and while "
            "it is overdue; the executives' channel when checks are late past the threshold."
        ),
    )
    url = forms.URLField(
        label=_("Incoming webhook URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Slack: the channel's incoming webhook (https://hooks.slack.com/services/…). "
            "Teams: the URL of a Workflows “post to a channel when a webhook request is "
            "received” flow. On a host the operator allowed (WEBHOOK_ALLOWED_HOSTS); shown "
            "masked once saved."
        ),
    )

    class Meta:
        model = ChatChannel
        fields = ["name", "platform", "unit", "url", "mode", "is_active"]
        labels = {"name": _("Name"), "platform": _("Platform"), "mode": _("Mode")}
        help_texts = {
            "name": _("The channel, as people know it (#logistics)."),
            "mode": _(
                "Instead of email: the team's heads (or the executives) get no email for "
                "these messages; their in-app notes stay. Each person may also choose it for "
                "themselves on their notification preferences."
            ),
            "is_active": _(
                "Switched off, it is sent nothing (and what waits for it is cancelled)."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["url"].required = False
            self.fields["url"].help_text = gettext(
                "Saved: %(url)s. Leave it empty to keep it; a new URL replaces it."
            ) % {"url": self.instance.url_masked}

    def clean_url(self) -> str:
        url = (self.cleaned_data["url"] or "").strip()
        if not url and self.instance.pk:
            return self.instance.url
        problem = webhooks.url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url
