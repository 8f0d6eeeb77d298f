"""What the strategy pages write in Python rather than with a template node per value: the
measure chart and table, the measure entry form's controls and the objective page's commitment
rows write what the element-by-element code, the templates and the filters wrote."""

from datetime import date
from decimal import Decimal as D

import pytest
from django import forms
from django.template import Context, Template
from django.utils.html import format_html, format_html_join

from strategy import outcomes
from strategy.forms import MeasureActualForm, PlainSelect, PlainTextInput
from strategy.models import Measure
from strategy.selectors import _short_date
from strategy.templatetags import outcome_tags
from strategy.templatetags.outcome_tags import measure_chart_svg

M = Measure.Frequency.MONTHLY


def _chart_element_by_element(outcome, chart_id) -> str:
    """measure_chart_svg as it was written before: a format_html per element."""
    WIDTH, HEIGHT = outcome_tags.WIDTH, outcome_tags.HEIGHT
    PAD_LEFT, PAD_RIGHT, PAD_BOTTOM = (
        outcome_tags.PAD_LEFT,
        outcome_tags.PAD_RIGHT,
        outcome_tags.PAD_BOTTOM,
    )
    series = outcome.series
    numbers = [p.planned for p in series if p.planned is not None]
    numbers += [p.actual for p in series if p.actual is not None]
    if not series or not numbers:
        return ""
    low, high, y = outcome_tags._scale(numbers)
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    step = span / max(len(series) - 1, 1)
    xs = [
        round(PAD_LEFT + (i * step if len(series) > 1 else span / 2), 1) for i in range(len(series))
    ]
    plan = " ".join(
        f"{x},{y(p.planned)}" for x, p in zip(xs, series, strict=True) if p.planned is not None
    )
    segments, run = [], []
    for x, p in zip(xs, series, strict=True):
        if p.actual is None:
            if run:
                segments.append(" ".join(run))
            run = []
        else:
            run.append(f"{x},{y(p.actual)}")
    if run:
        segments.append(" ".join(run))
    every = max(1, -(-len(series) // outcome_tags.MAX_LABELS))
    grid = format_html_join(
        "\n",
        '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="#dee2e6" stroke-width="1"/>'
        '<text x="{3}" y="{2}" text-anchor="end" dominant-baseline="middle" font-size="11" '
        'fill="#6c757d">{4}</text>',
        (
            (PAD_LEFT, WIDTH - PAD_RIGHT, y(v), PAD_LEFT - 6, f"{v:.2f}".rstrip("0").rstrip("."))
            for v in (low + (high - low) * k / 4 for k in range(5))
        ),
    )
    planned = format_html(
        '<polyline points="{}" fill="none" stroke="#6c757d" stroke-width="1.5" '
        'stroke-dasharray="6 4"/>',
        plan,
    )
    lines = format_html_join(
        "\n",
        '<polyline points="{}" fill="none" stroke="#0d6efd" stroke-width="2.5"/>',
        ((s,) for s in segments),
    )
    dots = format_html_join(
        "\n",
        '<circle cx="{}" cy="{}" r="4" fill="#0d6efd"/>',
        ((x, y(p.actual)) for x, p in zip(xs, series, strict=True) if p.actual is not None),
    )
    labels = format_html_join(
        "\n",
        '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#495057">{}</text>',
        (
            (x, HEIGHT - PAD_BOTTOM + 20, p.period.code)
            for i, (x, p) in enumerate(zip(xs, series, strict=True))
            if i % every == 0
        ),
    )
    return format_html(
        '<svg viewBox="0 0 {0} {1}" role="img" aria-labelledby="measure-{2}-title '
        'measure-{2}-desc" xmlns="http://www.w3.org/2000/svg" class="trend-svg">\n'
        '<title id="measure-{2}-title">{3}</title>\n<desc id="measure-{2}-desc">{4}</desc>\n'
        "{5}\n{6}\n{7}\n{8}\n{9}</svg>",
        WIDTH,
        HEIGHT,
        chart_id,
        f"{outcome.measure.name}: values and plan",
        outcome_tags.chart_description(outcome),
        grid,
        planned,
        lines,
        dots,
        labels,
    )


def _outcome(name, frequency, values, plans, years=(2025, 2026)):
    measure = Measure(name=name, unit="<%>", baseline=D(80), target=D(96), frequency=frequency)
    count = 12 if frequency == M else 4
    points = [
        outcomes.SeriesPoint(outcomes.Period(year, n, frequency), value, plan, 1)
        for year in years
        for n, value, plan in zip(range(1, count + 1), values, plans, strict=False)
    ]
    return outcomes.MeasureOutcome(measure, points, points, None, None, None, False)


@pytest.mark.parametrize(
    "outcome",
    [
        # Gaps between values, a name to escape, two years of quarters.
        _outcome("Share <b>&</b> “more”", "quarterly", [D(81), None, D(85), D(90)], [D(84)] * 4),
        # Twelve months a year: every other period labelled.
        _outcome("Monthly", M, [D(n) for n in range(80, 92)], [D(n) for n in range(81, 93)]),
        # One period, one value: the chart's middle.
        _outcome("One", "quarterly", [D("3.25")], [D(3)], years=(2026,)),
        # No value at all: the plan alone.
        _outcome("Plan only", "quarterly", [None] * 4, [D(1), D(2), D(3), D(4)]),
    ],
    ids=["gaps", "monthly", "one-point", "plan-only"],
)
@pytest.mark.parametrize("chart_id", [7, "a<b"])
def test_the_measure_chart_is_the_svg_it_was_element_by_element(outcome, chart_id):
    assert measure_chart_svg(outcome, chart_id) == _chart_element_by_element(outcome, chart_id)


def test_a_measure_without_values_or_plan_draws_no_chart():
    outcome = _outcome("Nothing", "quarterly", [], [])
    assert measure_chart_svg(outcome, 1) == _chart_element_by_element(outcome, 1) == ""


OLD_TABLE = """<table class="table table-sm mb-2">
      <caption class="visually-hidden">Values of {{ m.name }} beside the plan, FY{{ m.objective.position.fiscal_year }}</caption>
      <thead><tr><th scope="row">Period</th>{% for p in outcome.year %}<th scope="col">{{ p.period.code }}</th>{% endfor %}</tr></thead>
      <tbody>
        <tr><th scope="row">Plan</th>{% for p in outcome.year %}<td>{{ p.planned }}</td>{% endfor %}</tr>
        <tr><th scope="row">Value</th>{% for p in outcome.year %}<td>{% if p.actual is not None %}{{ p.actual }}{% else %}<span class="text-body-secondary">–</span>{% endif %}</td>{% endfor %}</tr>
      </tbody>
    </table>"""  # noqa: E501


@pytest.mark.parametrize("frequency", ["quarterly", M])
def test_the_measure_table_is_what_the_template_wrote(current_position, frequency):
    outcome = _outcome("Share <b>&</b>", frequency, [D("1234567.5"), None, D(85)], [D(84)] * 12)
    outcome.measure.objective = current_position.objectives.first()
    outcome.year = outcome.series[len(outcome.series) // 2 :]

    old = Template(OLD_TABLE).render(Context({"outcome": outcome, "m": outcome.measure}))

    assert outcome_tags.measure_table(outcome) == old


class _Templated(forms.Form):
    """The entry form's fields with Django's own widgets."""

    period = forms.ChoiceField(
        choices=[("Q1", "Q1"), ("Q2", "Q<2>")],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    value = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "size": 8}),
    )
    comment = forms.CharField(
        required=False, max_length=500, widget=forms.TextInput(attrs={"data-x": 'a"b'})
    )


class _Plain(_Templated):
    period = forms.ChoiceField(
        choices=[("Q1", "Q1"), ("Q2", "Q<2>")],
        widget=PlainSelect(attrs={"class": "form-select form-select-sm"}),
    )
    value = forms.CharField(
        max_length=40,
        widget=PlainTextInput(attrs={"class": "form-control form-control-sm", "size": 8}),
    )
    comment = forms.CharField(
        required=False, max_length=500, widget=PlainTextInput(attrs={"data-x": 'a"b'})
    )


@pytest.mark.parametrize(
    "data, initial",
    [
        (None, {"period": "Q2"}),  # the page's form: unbound, the period due selected
        ({"period": "Q1", "value": "<b>8</b>", "comment": "&"}, {}),  # bound and valid
        ({"period": "Q9", "value": ""}, {}),  # bound, with errors: aria-invalid
    ],
)
def test_the_plain_widgets_write_what_djangos_templates_write(data, initial):
    templated = _Templated(data, initial=initial, prefix="measure-3")
    plain = _Plain(data, initial=initial, prefix="measure-3")
    if data is not None:
        templated.is_valid(), plain.is_valid()
    for name in ("period", "value", "comment"):
        assert str(plain[name]) == str(templated[name])


def test_the_entry_form_uses_the_plain_widgets(current_position):
    measure = Measure(objective=current_position.objectives.first(), frequency=M)
    form = MeasureActualForm(measure=measure, initial={"period": "M3"}, prefix="measure-1")
    assert '<option value="M3" selected>M3</option>' in str(form["period"])
    assert isinstance(form.fields["value"].widget, PlainTextInput)


@pytest.mark.parametrize("day", [date(2026, 1, 5), date(2026, 12, 31), date(999, 9, 9), None])
def test_a_commitments_due_date_is_written_as_the_date_filter_writes_it(day):
    assert _short_date(day) == Template('{{ day|date:"j M Y" }}').render(Context({"day": day}))
