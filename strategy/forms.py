from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from strategy import actuals_import, outcomes, translations
from strategy.models import (
    Commitment,
    CompanySettings,
    Competitor,
    CustomerPriority,
    ExchangeRate,
    Lever,
    Measure,
    Objective,
    PositioningTheme,
    StrategicPosition,
    Unit,
    fiscal_year_end,
    fiscal_year_start,
    start_month_or_default,
)
from strategy.roles import EXECUTIVE


def _attrs_format(attrs: dict) -> tuple[str, list]:
    """Attributes as django/forms/widgets/attrs.html writes them, as a format string for
    format_html (the names are the code's) and its arguments (the values)."""
    markup, values = [], []
    for name, value in attrs.items():
        if value is True:
            markup.append(f" {name}")
        elif value is not False:
            markup.append(f' {name}="{{}}"')
            values.append(value)
    return "".join(markup), values


class PlainSelect(forms.Select):
    """A Select written in Python, with the markup of Django's templates (no optgroups): a
    page that shows a form per row renders it without a template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        markup, args = _attrs_format(widget["attrs"])
        markup, args = f'<select name="{{}}"{markup}>', [widget["name"], *args]
        for _group_name, group, _index in widget["optgroups"]:
            for option in group:
                option_markup, option_args = _attrs_format(option["attrs"])
                markup += f'\n  <option value="{{}}"{option_markup}>{{}}</option>\n'
                args += [option["value"], *option_args, option["label"]]
        return format_html(markup + "\n</select>", *args)


class PlainTextInput(forms.TextInput):
    """A TextInput written in Python, with the markup of Django's template (see PlainSelect)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        markup, args = _attrs_format(widget["attrs"])
        shown = ' value="{}"' if widget["value"] is not None else ""
        values = [widget["value"]] if shown else []
        return format_html(
            f'<input type="{{}}" name="{{}}"{shown}{markup}>',
            widget["type"],
            widget["name"],
            *values,
            *args,
        )


class PlainHiddenInput(forms.HiddenInput):
    """A HiddenInput written in Python, with the markup of Django's template (see PlainSelect)."""

    render = PlainTextInput.render


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _table_helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.template = "strategy/_formset_table.html"
    return helper


class PositionForm(forms.ModelForm):
    class Meta:
        model = StrategicPosition
        fields = ["fiscal_year", "statement"]
        widgets = {"statement": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        if self.instance.pk:
            # The year names the position in URLs and history; it is set once.
            self.fields["fiscal_year"].disabled = True


class _ChildFormSet(forms.BaseInlineFormSet):
    """Inline formset that knows which of its forms will survive the save."""

    def validate_unique(self) -> None:
        # The clean() methods below report duplicates next to the field, in plain words, and
        # case-insensitively; Django's generic check would pre-empt them.
        pass

    def kept_forms(self) -> list[forms.Form]:
        return [
            f
            for f in self.forms
            if getattr(f, "cleaned_data", None) and not self._should_delete_form(f)
        ]

    def _duplicates(self, field: str, message: str) -> None:
        seen: dict = {}
        for form in self.kept_forms():
            value = form.cleaned_data.get(field)
            key = value.strip().casefold() if isinstance(value, str) else value
            if value in (None, ""):
                continue
            if key in seen:
                form.add_error(field, message)
            seen[key] = form


class ThemeForm(forms.ModelForm):
    """A theme and its weight; a weight of 0 leaves the theme out of the position."""

    class Meta:
        model = PositioningTheme
        fields = ["theme", "weight"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required by clean(), after a 0 has been read as "left out": the model would refuse
        # the 0 (its range is 1-100), and leaves an empty weight to the form.
        self.fields["weight"].required = False
        self.is_left_out = False

    def clean_weight(self) -> int | None:
        weight = self.cleaned_data["weight"]
        if weight == 0:
            self.is_left_out = True
            # A saved theme keeps its weight, which its history records as it is deleted.
            return self.instance.weight
        return weight

    def clean(self) -> dict:
        data = super().clean()
        if self.is_left_out:
            data["DELETE"] = True  # not saved, and deleted if it was saved before
        elif data.get("weight") is None and "weight" not in self.errors:
            self.add_error("weight", self.fields["weight"].error_messages["required"])
        return data


class ThemeFormSetBase(_ChildFormSet):
    def left_out(self) -> list[str]:
        """The themes given a weight of 0, which the save leaves out."""
        return [
            f.instance.get_theme_display()
            for f in self.forms
            if getattr(f, "is_left_out", False) and f.cleaned_data.get("theme")
        ]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        self._duplicates("theme", _("This theme is listed twice."))
        kept = self.kept_forms()
        if not kept:
            raise ValidationError(_("Choose at least one positioning theme."))
        total = sum(f.cleaned_data["weight"] for f in kept)
        if total != 100:
            raise ValidationError(
                _("The theme weights must add up to 100; they add up to %(total)s.")
                % {"total": total}
            )


class PriorityFormSetBase(_ChildFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        self._duplicates("rank", _("Another priority already has this rank."))
        if not self.kept_forms():
            raise ValidationError(_("List at least one customer priority."))


class CompetitorFormSetBase(_ChildFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        self._duplicates("name", _("This competitor is listed twice."))


ThemeFormSet = forms.inlineformset_factory(
    StrategicPosition,
    PositioningTheme,
    form=ThemeForm,
    formset=ThemeFormSetBase,
    fields=["theme", "weight"],
    extra=1,
    max_num=3,
    validate_max=True,
)
PriorityFormSet = forms.inlineformset_factory(
    StrategicPosition,
    CustomerPriority,
    formset=PriorityFormSetBase,
    fields=["rank", "title", "description"],
    widgets={"description": forms.Textarea(attrs={"rows": 2})},
    extra=1,
)
CompetitorFormSet = forms.inlineformset_factory(
    StrategicPosition,
    Competitor,
    formset=CompetitorFormSetBase,
    fields=["name", "positioning", "our_difference"],
    widgets={
        "positioning": forms.Textarea(attrs={"rows": 2}),
        "our_difference": forms.Textarea(attrs={"rows": 2}),
    },
    extra=1,
)


ADD_ROW_LABELS = {
    "themes": gettext_lazy("Add a theme"),
    "priorities": gettext_lazy("Add a priority"),
    "competitors": gettext_lazy("Add a competitor"),
}


def position_formsets(data=None, *, instance: StrategicPosition, add_row: str = "") -> dict:
    """The position's three lists, each with one blank row and an "Add a row" button.

    `add_row` names the list whose button was pressed in a browser without JavaScript: that
    list gets one more blank row (the script adds rows on the page instead)."""
    if data is not None and add_row in ADD_ROW_LABELS:
        data = data.copy()
        total = f"{add_row}-TOTAL_FORMS"
        if data.get(total, "").isdigit():
            data[total] = str(int(data[total]) + 1)
    formsets = {
        "themes": ThemeFormSet(data, instance=instance, prefix="themes"),
        "priorities": PriorityFormSet(data, instance=instance, prefix="priorities"),
        "competitors": CompetitorFormSet(data, instance=instance, prefix="competitors"),
    }
    for prefix, formset in formsets.items():
        formset.helper = _table_helper()
        formset.add_row_label = ADD_ROW_LABELS[prefix]
    return formsets


def as_typed(*bound) -> None:
    """Show bound forms and formsets again as typed, unchecked: the page was asked for one
    more row, not to save, and errors on what is half typed would only be noise. (Django
    validates a form the first time its errors are read; empty errors skip that.)"""
    for item in bound:
        if isinstance(item, forms.BaseFormSet):
            item._errors, item._non_form_errors = [], item.error_class()
            as_typed(*item.forms)
        else:
            item._errors = ErrorDict()


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = [
            "title",
            "description",
            "owner",
            "priority_weight",
            "customer_priority",
            "theme",
            "internal_message",
            "external_promise",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "internal_message": forms.Textarea(attrs={"rows": 2}),
            "external_promise": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, position: StrategicPosition, **kwargs):
        super().__init__(*args, **kwargs)
        self.position = position
        self.helper = FormHelper()
        self.helper.form_tag = False
        users = get_user_model().objects.filter(is_active=True)
        self.fields["owner"].queryset = users.filter(groups__name=EXECUTIVE).order_by(
            "first_name", "last_name", "username"
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["customer_priority"].queryset = position.priorities.all()
        themes = {t.theme: t.weight for t in position.themes.all()}
        if themes:
            if not self.instance.pk:
                self.initial.setdefault("theme", max(themes, key=themes.get))
            self.fields["theme"].choices = [
                (value, label) for value, label in self.fields["theme"].choices if value in themes
            ]

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        clash = self.position.objectives.filter(title__iexact=title).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("This position already has an objective with this title."))
        return title


PLAN_FIELDS = [f"plan_{n}" for n in range(1, 13)]


class MeasureForm(forms.ModelForm):
    """A measure with its direction, reporting team, frequency and, where the straight line
    from baseline to target is not the plan, a value planned per period (plan_1 to plan_12:
    quarters 1-4 or months 1-12 of the fiscal year; empty follows the line)."""

    class Meta:
        model = Measure
        fields = [
            "name",
            "unit",
            "baseline",
            "target",
            "direction",
            "reporting_team",
            "frequency",
            "customer_felt",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_team"].queryset = Unit.objects.active().functional().order_by("name")
        planned = {}
        if self.instance.pk:
            planned = {p.period: p.value for p in self.instance.plan_points.all()}
        for number, name in enumerate(PLAN_FIELDS, start=1):
            self.fields[name] = forms.DecimalField(
                # Translators: the value planned for a period: Plan 1 to Plan 4 (quarters) or
                # Plan 1 to Plan 12 (months).
                label=_("Plan %(number)s") % {"number": number},
                required=False,
                max_digits=14,
                decimal_places=2,
                initial=planned.get(number),
            )

    def clean_frequency(self) -> str:
        frequency = self.cleaned_data["frequency"]
        measure = self.instance
        if measure.pk and frequency != measure.frequency and measure.actuals.exists():
            # Translators: frequency is "quarterly" or "monthly".
            raise ValidationError(
                _(
                    "This measure already has values per %(frequency)s period: its frequency "
                    "cannot change. Add a new measure for the new frequency."
                )
                % {"frequency": measure.get_frequency_display().lower()}
            )
        return frequency

    def clean(self) -> dict:
        data = super().clean()
        count = outcomes.periods_per_year(data.get("frequency") or Measure.Frequency.QUARTERLY)
        for number, name in enumerate(PLAN_FIELDS, start=1):
            if number > count and data.get(name) is not None:
                frequency = data.get("frequency")
                if frequency in Measure.Frequency.values:
                    frequency = str(Measure.Frequency(frequency).label).lower()
                # Translators: frequency is "quarterly" or "monthly"; number is a plan's period.
                message = ngettext(
                    "A %(frequency)s measure has %(count)s period, not %(number)s.",
                    "A %(frequency)s measure has %(count)s periods, not %(number)s.",
                    count,
                )
                self.add_error(
                    name, message % {"frequency": frequency, "count": count, "number": number}
                )
        return data

    # How the objective form lays a measure out (strategy/_measure_formset.html): what it is,
    # how it is read and reported, then its plan per period; any other field (the formset's
    # DELETE) goes with the second group, so that none is left out.
    WHAT = ("name", "unit", "baseline", "target")
    PLAN_QUARTERS = PLAN_FIELDS[:4]

    def field_groups(self) -> dict:
        visible = self.visible_fields()
        plan = [f for f in visible if f.name in PLAN_FIELDS]
        return {
            "what": [f for f in visible if f.name in self.WHAT],
            "how": [f for f in visible if f.name not in self.WHAT and f.name not in PLAN_FIELDS],
            "plan_quarters": [f for f in plan if f.name in self.PLAN_QUARTERS],
            "plan_months": [f for f in plan if f.name not in self.PLAN_QUARTERS],
            # The plan is shown open when it says something (or is wrong), folded otherwise.
            "plan_open": any(f.errors or f.value() not in (None, "") for f in plan),
        }

    def plan_values(self) -> dict[int, object]:
        """{period: value or None} for outcomes.measure_plan_set."""
        count = outcomes.periods_per_year(self.cleaned_data["frequency"])
        return {n: self.cleaned_data.get(f"plan_{n}") for n in range(1, count + 1)}


class MeasureFormSetBase(_ChildFormSet):
    def clean(self) -> None:
        super().clean()
        if not any(self.errors):
            self._duplicates("name", _("This measure is listed twice."))

    def save_plans(self, *, by) -> None:
        """Save each kept measure's plan per period (after the formset's own save)."""
        for form in self.kept_forms():
            if form.instance.pk and form.has_changed():
                measure = form.instance
                # A measure now reported less often drops the plan of periods it has no more.
                for point in measure.plan_points.filter(period__gt=measure.periods_per_year):
                    point._history_user = by
                    point.delete()
                outcomes.measure_plan_set(measure=measure, values=form.plan_values(), by=by)


MeasureFormSet = forms.inlineformset_factory(
    Objective,
    Measure,
    form=MeasureForm,
    formset=MeasureFormSetBase,
    fields=[
        "name",
        "unit",
        "baseline",
        "target",
        "direction",
        "reporting_team",
        "frequency",
        "customer_felt",
    ],
    extra=2,
)


def measure_formset(data=None, *, instance: Objective) -> MeasureFormSet:
    formset = MeasureFormSet(
        data,
        instance=instance,
        prefix="measures",
        queryset=instance.measures.prefetch_related("plan_points") if instance.pk else None,
    )
    formset.helper = FormHelper()
    formset.helper.form_tag = False
    formset.helper.template = "strategy/_measure_formset.html"
    return formset


class _PeriodSelect(PlainSelect):
    """The period choice, each option carrying the value and comment recorded for it (static
    js/measure-value.js fills the form with them when another period is chosen)."""

    recorded: dict[str, tuple[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.recorded:
            shown, comment = self.recorded[value]
            option["attrs"] |= {"data-value": shown, "data-comment": comment}
        return option


class MeasureActualForm(forms.Form):
    """A value of a measure for one period of its fiscal year, with an optional comment.

    A period with a value is corrected: the form comes with its value and comment filled in
    (`recorded`, period code → (value, comment)), and `comment_for` says which period's comment
    the field showed. The comment posted for that period replaces the one stored, an empty one
    clearing it; for another period (the person never saw its comment) an empty comment keeps
    the stored one."""

    # Written in Python: the objective and team pages show a form per measure.
    period = forms.ChoiceField(widget=_PeriodSelect(attrs={"class": "form-select form-select-sm"}))
    value = forms.CharField(
        max_length=40,
        widget=PlainTextInput(attrs={"class": "form-control form-control-sm", "size": 8}),
    )
    comment = forms.CharField(
        required=False,
        max_length=outcomes.COMMENT_MAX_LENGTH,
        widget=PlainTextInput(attrs={"class": "form-control form-control-sm"}),
    )
    comment_for = forms.CharField(required=False, max_length=4, widget=PlainHiddenInput)

    def __init__(
        self,
        *args,
        measure: Measure,
        recorded: dict[str, tuple[str, str]] | None = None,
        period: str = "",
        **kwargs,
    ):
        recorded = recorded or {}
        if period:
            shown, comment = recorded.get(period, ("", ""))
            kwargs["initial"] = {
                "period": period,
                "value": shown,
                "comment": comment,
                "comment_for": period,
            } | kwargs.get("initial", {})
        super().__init__(*args, **kwargs)
        self.measure = measure
        self.fiscal_year = measure.objective.position.fiscal_year
        codes = [
            outcomes.Period(self.fiscal_year, n, measure.frequency).code
            for n in range(1, measure.periods_per_year + 1)
        ]
        self.fields["period"].choices = [(c, c) for c in codes]
        self.fields["period"].widget.recorded = recorded

    def clean_period(self) -> outcomes.Period:
        return outcomes.Period.parse(
            self.cleaned_data["period"],
            fiscal_year=self.fiscal_year,
            frequency=self.measure.frequency,
        )

    def clean_value(self):
        return outcomes.parse_value(self.cleaned_data["value"])

    def comment_to_record(self) -> str | None:
        """The comment for measure_actual_record: as posted for the period whose comment the
        form showed (empty clears it), None (keep the stored one) for another when empty."""
        comment = self.cleaned_data["comment"].strip()
        shown_for = self.cleaned_data.get("comment_for", "").strip().upper()
        if comment or shown_for == self.cleaned_data["period"].code:
            return comment
        return None


CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def _clean_currency(raw: str) -> str:
    currency = raw.strip().upper()
    if currency and not CURRENCY_RE.match(currency):
        raise ValidationError(_("Enter a three-letter currency code, such as EUR."))
    return currency


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = [
            "objective",
            "lever",
            "statement",
            "target",
            "due_on",
            "status",
            "amount",
            "currency",
        ]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 2}),
            "due_on": DateInput(),
        }
        help_texts = {"currency": gettext_lazy("Three-letter code, for example EUR or USD.")}

    def __init__(self, *args, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.fields["objective"].queryset = objectives
        if not self.instance.pk:
            self.initial.setdefault("currency", CompanySettings.read().base_currency)

    def clean_currency(self) -> str:
        return _clean_currency(self.cleaned_data["currency"])

    def clean(self) -> dict:
        data = super().clean()
        lever, amount = data.get("lever"), data.get("amount")
        if lever == Lever.FUNDING:
            if amount is None and "amount" not in self.errors:
                self.add_error("amount", _("A funding commitment needs an amount."))
            if not data.get("currency") and "currency" not in self.errors:
                self.add_error("currency", _("A funding commitment needs a currency."))
        elif amount is not None:
            self.add_error("amount", _("Only funding commitments carry an amount."))
        if lever != Lever.FUNDING:
            data["currency"] = ""
        objective, due_on = data.get("objective"), data.get("due_on")
        if objective and due_on:
            year = objective.position.fiscal_year
            if due_on < fiscal_year_start(year):
                self.add_error(
                    "due_on",
                    _("The due date is before fiscal year %(year)s, which starts on %(date)s.")
                    % {
                        "year": year,
                        "date": formats.date_format(fiscal_year_start(year), "d F Y"),
                    },
                )
            elif due_on > fiscal_year_end(year + 1):
                self.add_error(
                    "due_on", _("The due date is more than a year after this fiscal year.")
                )
        return data


# --- Company settings ------------------------------------------------------------------------


class CompanySettingsForm(forms.ModelForm):
    class Meta:
        model = CompanySettings
        fields = [
            "name",
            "base_currency",
            "fiscal_year_start_month",
            "time_zone",
            "plan_tolerance_percent",
            "off_track_percent",
            "language",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "fiscal_year_start_month", "time_zone"):
            self.fields[name].required = True
        # A row that never had its calendar set follows FISCAL_YEAR_START_MONTH and TIME_ZONE.
        self.initial["fiscal_year_start_month"] = start_month_or_default(
            self.initial.get("fiscal_year_start_month")
        )
        self.initial["time_zone"] = self.initial.get("time_zone") or settings.TIME_ZONE
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_base_currency(self) -> str:
        return _clean_currency(self.cleaned_data["base_currency"])


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["fiscal_year", "currency", "rate"]

    def __init__(self, *args, base_currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.base_currency = base_currency

    def clean_currency(self) -> str:
        currency = _clean_currency(self.cleaned_data["currency"])
        if currency and currency == self.base_currency:
            raise ValidationError(
                _("%(currency)s is the base currency: it needs no rate.") % {"currency": currency}
            )
        return currency


class ExchangeRateFormSetBase(forms.BaseModelFormSet):
    def __init__(self, *args, base_currency: str = "", **kwargs):
        self.base_currency = base_currency
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return super().get_form_kwargs(index) | {"base_currency": self.base_currency}

    def clean(self) -> None:
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if not data or data.get("DELETE"):
                continue
            key = (data.get("fiscal_year"), data.get("currency"))
            if None not in key and key in seen:
                raise ValidationError(
                    _("Two rows give a rate for %(currency)s in FY%(year)s: keep one of them.")
                    % {"currency": key[1], "year": key[0]}
                )
            seen.add(key)
        super().clean()


ExchangeRateFormSet = forms.modelformset_factory(
    ExchangeRate,
    form=ExchangeRateForm,
    formset=ExchangeRateFormSetBase,
    extra=2,
    can_delete=True,
)


def exchange_rate_formset(data=None, *, base_currency: str):
    formset = ExchangeRateFormSet(
        data,
        queryset=ExchangeRate.objects.order_by("-fiscal_year", "currency"),
        prefix="rates",
        base_currency=base_currency,
    )
    formset.helper = _table_helper()
    return formset


# --- Measured outcomes -----------------------------------------------------------------------


class ActualsImportForm(forms.Form):
    """A file of measures' values; valid when it can be read and every line checks, and then
    `preview` says what importing it records (strategy/actuals_import.py)."""

    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        # Translators: the column names stay in English: the file must use them as they are.
        help_text=gettext_lazy(
            "Columns: fiscal_year, objective, measure, period, value and, if you like, comment."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.preview = None
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is larger than 5 MB: split it and import each part."))
        preview = actuals_import.actuals_import_preview(content=upload.read(), by=self.user)
        if preview.errors:
            self.preview = preview
            raise ValidationError(_("Nothing was imported: correct these lines and upload again."))
        self.preview = preview
        return upload


class TranslationsForm(forms.Form):
    """A position's texts in one language: a field per text, its original beside it; an
    emptied field removes that translation (strategy/translations.py).

    Only the texts changed on the page are written, and each only if nobody saved another
    translation of it since the page was read (its hidden initial value): two executives
    translating different texts at once both keep their work."""

    CHANGED_MEANWHILE = (
        "Someone saved another translation of this text since you opened the page: theirs is "
        "kept. Yours is still in the field; save again to replace theirs."
    )

    def __init__(self, *args, texts: list, found: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.texts, self.found = texts, found
        for text in texts:
            existing = found.get(text.key)
            self.fields[self.name_of(text)] = forms.CharField(
                label=text.label,
                required=False,
                strip=True,
                max_length=text.max_length,
                initial=existing.text if existing else "",
                show_hidden_initial=True,
                widget=(forms.Textarea(attrs={"rows": 3}) if text.max_length is None else None),
            )
            self.fields[self.name_of(text)].widget.attrs.update(
                {
                    "class": "form-control",
                    "aria-describedby": f"id_{self.name_of(text)}_original",
                }
            )
            bound = self[self.name_of(text)]
            bound.text = text
            bound.is_older = bool(
                existing and existing.original_digest != translations.digest(text.original)
            )

    @staticmethod
    def name_of(text) -> str:
        kind, object_id, field = text.key
        return f"{kind}-{object_id}-{field}"

    def rows(self) -> list:
        """Each text's bound field, with its text and whether its translation is older."""
        return [self[self.name_of(text)] for text in self.texts]

    def clean(self):
        for text in self.texts:
            name = self.name_of(text)
            if name not in self.changed_data:
                continue
            seen = self.data.get(self.add_initial_prefix(name), "").strip()
            existing = self.found.get(text.key)
            if (existing.text if existing else "") != seen:
                # A new value now replaces what this person saw, and the next one theirs.
                self.data = self.data.copy()
                self.data[self.add_initial_prefix(name)] = existing.text if existing else ""
                self.add_error(name, self.CHANGED_MEANWHILE)
        return self.cleaned_data

    def entered(self) -> dict:
        """The texts changed on the page and their new values."""
        return {
            text.key: self.cleaned_data[self.name_of(text)]
            for text in self.texts
            if self.name_of(text) in self.changed_data
        }
