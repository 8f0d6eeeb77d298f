from __future__ import annotations

import re
from datetime import timedelta
from functools import cache

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from reviews import services
from reviews.models import (
    NOT_APPLICABLE,
    SCORE_LEVELS,
    Action,
    AlignmentCheck,
    CadenceSettings,
    ExecutiveScore,
    ReviewCycle,
    RubricQuestion,
)
from reviews.services import ItemInput
from strategy import outcomes
from strategy.forms import DateInput
from strategy.models import Commitment, Lever, Objective, Unit
from strategy.prepared import as_models, prepared

SCORE_CHOICES = (
    [("", "—")]
    + [(str(k), format_lazy("{} · {}", k, v)) for k, v in SCORE_LEVELS.items()]
    # Translators: the choice of a lever that does not apply to an objective.
    + [(str(NOT_APPLICABLE), gettext_lazy("N/A · not applicable"))]
)


class CycleForm(forms.ModelForm):
    class Meta:
        model = ReviewCycle
        fields = ["fiscal_year", "quarter", "opens_on", "due_on"]
        widgets = {"opens_on": DateInput(), "due_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "quarter" in self.fields:
            self.fields["quarter"].required = True
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        year = data.get("fiscal_year", self.instance.fiscal_year)
        quarter = data.get("quarter", self.instance.quarter)
        if year and quarter:
            clash = ReviewCycle.objects.quarterly().filter(fiscal_year=year, quarter=quarter)
            if clash.exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "quarter",
                    _("There is already a review for Q%(quarter)s FY%(year)s.")
                    % {"quarter": quarter, "year": year},
                )
            proposed = ReviewCycle(
                kind=ReviewCycle.Kind.QUARTERLY,
                fiscal_year=year,
                quarter=quarter,
                opens_on=data.get("opens_on"),
                due_on=data.get("due_on"),
            )
            for field, message in proposed.date_errors(config=CadenceSettings.load()).items():
                self.add_error(field, message)
        return data


class CycleDatesForm(CycleForm):
    """A planned review's opening and due dates; its quarter stays."""

    class Meta(CycleForm.Meta):
        fields = ["opens_on", "due_on"]


class _PostedFields:
    """Fields of one row of a posted form, cleaned as a Django form cleans them (the same
    fields, the same messages), by field objects shared between rows and requests: a check
    posts eight fields for each objective, and a Form copies every field it declares each
    time it is made. A field cleans without keeping any state, so sharing it is safe."""

    FIELDS: dict[str, forms.Field] = {}

    def __init__(self, data, *, prefix: str):
        self.data = data
        self.prefix = prefix
        self._errors: dict[str, ErrorList] | None = None
        self.cleaned_data: dict = {}

    def add_prefix(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def value(self, name: str):
        """What was posted for the field, as BoundField.value() gives it for these widgets."""
        return self.data.get(self.add_prefix(name))

    @property
    def errors(self) -> dict[str, ErrorList]:
        if self._errors is None:
            self._errors, self.cleaned_data = {}, {}
            for name, field in self.FIELDS.items():
                try:
                    self.cleaned_data[name] = field.clean(self.value(name))
                except ValidationError as error:
                    self._errors[name] = ErrorList(error.messages)
        return self._errors

    def is_valid(self) -> bool:
        return not self.errors

    def non_field_errors(self) -> ErrorList:
        return ErrorList()  # these rows have no rule across their fields


_SCORE_FIELD = forms.TypedChoiceField(
    choices=SCORE_CHOICES, coerce=int, empty_value=None, required=False
)
_TEXT_FIELD = forms.CharField(required=False)


class CheckItemForm(_PostedFields):
    """One row of the check: a score per lever, evidence and blockers."""

    FIELDS = {f"score_{lever}": _SCORE_FIELD for lever, _label in Lever.choices} | {
        "evidence": _TEXT_FIELD,
        "blockers": _TEXT_FIELD,
    }

    def __init__(self, data, *, item):
        super().__init__(data, prefix=f"item-{item.pk}")
        self.item = item

    def scores(self) -> dict[str, int | None]:
        return {lever: self.cleaned_data.get(f"score_{lever}") for lever, _label in Lever.choices}


class CommitmentStatusForm(_PostedFields):
    FIELDS = {"status": forms.ChoiceField(choices=Commitment.Status.choices)}

    def __init__(self, data, *, commitment: Commitment):
        super().__init__(data, prefix=f"commitment-{commitment.pk}")
        self.commitment = commitment

    @staticmethod
    def label_for(commitment: Commitment) -> str:
        # Translators: commitment is the start of a commitment's statement.
        return _("Status of “%(commitment)s”") % {"commitment": commitment.statement[:60]}


def _options(choices, selected: str) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == selected else "", text) for value, text in choices),
    )


# A check page has a select per lever and objective, all with the same options: each list is
# written once per selected value (and str(None), nothing selected) and language, not once per
# select.
def score_options(selected: str) -> str:
    """The <option>s of a lever's score, `selected` (a value as text) selected."""
    return _score_options(selected, get_language())


@cache
def _score_options(selected: str, language: str | None) -> str:
    return _options(SCORE_CHOICES, selected)


def status_options(selected: str) -> str:
    """The <option>s of a commitment's status, `selected` selected."""
    return _status_options(selected, get_language())


@cache
def _status_options(selected: str, language: str | None) -> str:
    return _options(Commitment.Status.choices, selected)


@prepared
def _posted_commitments(*, unit, objectives):
    return (
        Commitment.objects.filter(unit_id=unit, objective_id__in=objectives)
        .order_by()
        .values_list("id", "statement", "status")
    )


class CheckForm:
    """The check as a head posts it: a CheckItemForm per item of the check, a
    CommitmentStatusForm per commitment status posted, the version the page was read at."""

    def __init__(self, data, *, check: AlignmentCheck):
        self.items = services.check_items(check)
        self.item_forms = [CheckItemForm(data, item=i) for i in self.items]
        objectives = [f.item.objective_id for f in self.item_forms]
        commitments = as_models(
            Commitment,
            ["id", "statement", "status"],
            _posted_commitments(unit=check.unit_id, objectives=objectives),
        )
        # A commitment status that was not posted (e.g. added meanwhile) is simply left alone.
        self.status_forms = [
            form
            for form in (CommitmentStatusForm(data, commitment=c) for c in commitments)
            if form.add_prefix("status") in data
        ]
        try:
            self.version = int(data.get("version", ""))
        except ValueError:
            self.version = -1
        self.submit = "submit" in data

    def is_valid(self) -> bool:
        return all(f.is_valid() for f in self.item_forms + self.status_forms)

    def save_arguments(self) -> dict:
        """services.check_save's arguments, but the check and who saves it."""
        return {
            "version": self.version,
            "items": {
                f.item.pk: ItemInput(
                    scores=f.scores(),
                    evidence=f.cleaned_data["evidence"],
                    blockers=f.cleaned_data["blockers"],
                )
                for f in self.item_forms
            },
            # Only the statuses the head changed: the others are not rewritten (nor read again).
            "statuses": {
                f.commitment.pk: f.cleaned_data["status"]
                for f in self.status_forms
                if f.cleaned_data["status"] != f.commitment.status
            },
            "submit": self.submit,
            "read_items": self.items,
        }


MEASURE_FIELD = re.compile(r"^measure-(\d+)-([QM]\d+)$")


def measure_field_name(measure, period) -> str:
    """measure-12-Q3 or measure-12-M7: a value's field; its `-shown` twin holds the value the
    page showed, against which a save is checked; `-comment` is the value's comment, and
    `-comment-shown` the comment the page showed."""
    return f"measure-{measure.pk}-{period.code}"


class CheckMeasuresForm:
    """The values a head posts for the measures their team reports, in the review's periods.

    Only the values that differ from what the page showed are to be saved. A field for a value
    the check does not show (another team's measure, another period) makes the form invalid.
    """

    def __init__(self, data, *, check: AlignmentCheck, measures: list):
        self.data = data
        self.errors: dict[str, list[str]] = {}
        self.posted = []  # (measure, period, field name) of every value posted
        self.changes: list[services.MeasureInput] = []
        known = set()
        for measure in measures:
            for period in services.check_periods(cycle=check.cycle, measure=measure):
                name = measure_field_name(measure, period)
                known.add(name)
                if name in data:
                    self.posted.append((measure, period, name))
        self.unknown = sorted(n for n in data if MEASURE_FIELD.match(n) and n not in known)

    @property
    def posted_measures(self) -> list:
        return list({m.pk: m for m, _period, _name in self.posted}.values())

    def is_valid(self) -> bool:
        self.errors, self.changes = {}, []
        for measure, period, name in self.posted:
            raw = self.data.get(name, "").strip()
            shown = _shown(self.data.get(f"{name}-shown", ""))
            # The comment beside the value: None (not posted, or as the page showed it) keeps
            # the stored one, so that a save of the value alone never overwrites it.
            comment_shown = self.data.get(f"{name}-comment-shown", "").strip()
            comment = self.data.get(f"{name}-comment")
            comment = None if comment is None or comment.strip() == comment_shown else comment
            if not raw:
                if shown is not None:
                    self.errors[name] = [
                        _("A recorded value cannot be removed; enter the corrected value.")
                    ]
                elif comment:
                    self.errors[name] = [_("A comment goes with a value: enter the value.")]
                continue
            try:
                value = outcomes.parse_value(raw)
            except ValidationError as exc:
                self.errors[name] = [_sentence(m) for m in exc.messages]
                continue
            if comment is not None and len(comment.strip()) > outcomes.COMMENT_MAX_LENGTH:
                self.errors[name] = [
                    _("A comment has at most %(count)s characters.")
                    % {"count": outcomes.COMMENT_MAX_LENGTH}
                ]
                continue
            if value != shown or comment is not None:
                self.changes.append(
                    services.MeasureInput(
                        measure=measure,
                        period=period,
                        value=raw,
                        shown=shown,
                        comment=None if comment is None else comment.strip(),
                        comment_shown=comment_shown,
                    )
                )
        return not self.errors and not self.unknown


_UNREADABLE = object()  # a shown value that is not a number: equal to no stored value


def _shown(raw: str):
    try:
        return outcomes.parse_value(raw) if raw.strip() else None
    except ValidationError:
        return _UNREADABLE  # so the save is refused as stale, not taken as "nothing shown"


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


class ReopenForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("Kept with the check's history."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Say why the check is reopened."))
        return reason


class ExecutiveScoreForm(forms.ModelForm):
    class Meta:
        model = ExecutiveScore
        fields = ["unit", "objective", "score", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        labels = {"unit": gettext_lazy("Team"), "score": gettext_lazy("Your score (1 to 5)")}

    def __init__(
        self,
        *args,
        cycle: ReviewCycle,
        teams: list[tuple[int, str]] | None = None,
        objectives: list[tuple[int, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # The page offers the teams it shows, from rows it has read already; a posted score is
        # checked against the querysets, which the page does not need to build.
        if self.is_bound or teams is None:
            self.fields["unit"].queryset = Unit.objects.filter(checks__cycle=cycle).order_by("name")
        if self.is_bound or objectives is None:
            self.fields["objective"].queryset = Objective.objects.filter(
                position_id=cycle.position_id
            )
        if teams is not None:
            self.fields["unit"].choices = [("", "---------"), *teams]
        if objectives is not None:
            self.fields["objective"].choices = [("", "---------"), *objectives]
        self.fields["score"].widget = forms.Select(
            choices=[("", "—")]
            + [(k, format_lazy("{} · {}", k, v)) for k, v in SCORE_LEVELS.items()]
        )

    def options(self, name: str) -> str:
        """The <option>s of the select `name`, nothing chosen: the cycle page writes the form
        by hand (a template per option and field was a tenth of its time); posted, the form
        is only validated."""
        return _options(self.fields[name].widget.choices, "")

    @property
    def unit_options(self) -> str:
        return self.options("unit")

    @property
    def objective_options(self) -> str:
        return self.options("objective")

    @property
    def score_options(self) -> str:
        return self.options("score")


class TeamFilterForm(forms.Form):
    """Which teams the cycle page and the heatmap show, and in which order."""

    q = forms.CharField(label=gettext_lazy("Team name contains"), required=False, max_length=120)
    region = forms.TypedChoiceField(
        label=gettext_lazy("Region"), required=False, coerce=int, empty_value=None
    )
    state = forms.ChoiceField(
        label=pgettext_lazy("alignment check", "Check"),
        required=False,
        choices=[
            ("", gettext_lazy("Any state")),
            ("unsubmitted", pgettext_lazy("check state", "Not submitted")),
        ]
        + list(AlignmentCheck.State.choices),
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        required=False,
        choices=[
            ("name", gettext_lazy("Team name")),
            ("score", gettext_lazy("Lowest fit first")),
            ("-score", gettext_lazy("Highest fit first")),
            ("state", gettext_lazy("Check state")),
        ],
    )

    def __init__(self, *args, regions: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All regions")), *regions]
        for name, field in self.fields.items():
            kind = "form-control" if name == "q" else "form-select"
            field.widget.attrs["class"] = f"{kind} {kind}-sm"

    def controls(self) -> list[dict]:
        """Each filter's id, label, control and errors, as _heatmap.html shows them: written
        here as the widgets write them, without their template per option and attribute."""
        controls = []
        for name, field in self.fields.items():
            bound = self[name]
            value = "" if bound.value() is None else str(bound.value())
            invalid = (
                format_html(' aria-invalid="true" aria-describedby="{}_error"', bound.auto_id)
                if bound.errors
                else ""
            )
            if isinstance(field, forms.CharField):
                control = format_html(
                    '<input type="text" name="{}"{} maxlength="{}" class="{}"{} id="{}">',
                    name,
                    format_html(' value="{}"', value) if value else "",
                    field.max_length,
                    field.widget.attrs["class"],
                    invalid,
                    bound.auto_id,
                )
            else:
                control = format_html(
                    '<select name="{}" class="{}"{} id="{}">{}</select>',
                    name,
                    field.widget.attrs["class"],
                    invalid,
                    bound.auto_id,
                    _options(field.choices, value),
                )
            controls.append(
                {
                    "id": bound.auto_id,
                    "label": field.label,
                    "control": control,
                    "errors": bound.errors,
                }
            )
        return controls

    def filters(self) -> dict:
        """The valid filters; a value that is not valid filters nothing (its field says why)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {f: v for f, v in self.cleaned_data.items() if f not in self.errors}


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = ["kind", "title", "description", "objective", "owner", "due_on", "agenda_item"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "due_on": DateInput(),
            "agenda_item": forms.TextInput(),
        }

    def __init__(self, *args, cycle: ReviewCycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = Objective.objects.filter(position=cycle.position)
        self.fields["objective"].required = True
        self.fields["owner"].queryset = Unit.objects.active().order_by("name")
        self.helper = FormHelper()
        self.helper.form_tag = False

    @staticmethod
    def initial_from(query, *, cycle: ReviewCycle) -> dict:
        """What a link to the form proposes (`?item=…&objective=…&owner=…`, from the agenda):
        the agenda item cut to its column, ids only where they are numbers; due 60 days after
        the review is."""
        initial = {
            "agenda_item": query.get("item", "")[:300],
            "due_on": cycle.due_on + timedelta(days=60),
        }
        for field in ("objective", "owner"):
            if query.get(field, "").isdigit():
                initial[field] = int(query[field])
        return initial


RubricFormSet = forms.modelformset_factory(
    RubricQuestion,
    fields=["lever", "theme", "text", "order", "is_active"],
    extra=2,
    can_delete=True,
)


class CadenceSettingsForm(forms.ModelForm):
    class Meta:
        model = CadenceSettings
        fields = [
            "open_days_after_quarter_end",
            "due_days_after_opening",
            "open_early_days",
            "review_window_days",
            "reminder_days_before_due",
            "overdue_reminder_every_days",
            "escalate_after_days_overdue",
            "reminder_hour",
            "refresh_month",
            "refresh_day",
            "refresh_reminder_every_days",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_reminder_days_before_due(self) -> str:
        raw = self.cleaned_data["reminder_days_before_due"]
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not parts or not all(p.isascii() and p.isdigit() for p in parts):
            raise ValidationError(
                _("Enter whole numbers of days separated by commas, such as 7,1.")
            )
        days = sorted({int(p) for p in parts}, reverse=True)
        if any(d > 60 for d in days):
            raise ValidationError(_("Reminders can start at most 60 days before the due date."))
        return ",".join(str(d) for d in days)

    def clean(self):
        data = super().clean()
        open_days, due_days = (
            data.get("open_days_after_quarter_end"),
            data.get("due_days_after_opening"),
        )
        window = data.get("review_window_days")
        if None not in (open_days, due_days, window) and open_days + due_days > window:
            # Otherwise the beat would plan reviews whose dates the window refuses.
            self.add_error(
                "review_window_days",
                _(
                    "Reviews open %(open)s days after the quarter ends and are due %(due)s days "
                    "later: the window must be at least %(least)s days."
                )
                % {"open": open_days, "due": due_days, "least": open_days + due_days},
            )
        return data


class SignalFilterForm(forms.Form):
    """The Signals page's filter: by kind of signal and by the region of the team; and by
    objective, which an objective's page links to (kept by the form, not chosen in it)."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    region = forms.TypedChoiceField(
        label=gettext_lazy("Region"), coerce=int, required=False, empty_value=None
    )
    objective = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, kinds: list[tuple[str, str]], regions: list[tuple[int, str]], **kw):
        super().__init__(*args, **kw)
        self.fields["kind"].choices = [("", _("Every kind")), *kinds]
        self.fields["region"].choices = [("", _("Every region")), *regions]
