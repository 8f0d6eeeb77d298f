"""A measure's values and planned path as a server-side SVG chart (strict CSP: no script, no
inline style), drawn like the score trends (reviews' chart_svg)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from strategy.html import format_html

register = template.Library()

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 24, 16, 36
MAX_LABELS = 12  # period labels under the axis; more periods label every n-th


def _scale(values: list[Decimal]):
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span / 10, high + span / 10

    def y(value: Decimal) -> float:
        return round(
            PAD_TOP + float((high - value) / (high - low)) * (HEIGHT - PAD_TOP - PAD_BOTTOM), 1
        )

    return low, high, y


def chart_description(outcome) -> str:
    shown = [
        # Translators: a period's value and its plan, e.g. "FY2026 Q2: 91 (plan 88)".
        _("%(period)s: %(value)s (plan %(plan)s)")
        % {"period": p.period, "value": p.actual, "plan": p.planned}
        for p in outcome.series
        if p.actual is not None
    ]
    unit = outcome.measure.unit
    if not shown:
        return _("No values yet; the plan goes to %(target)s %(unit)s.") % {
            "target": outcome.measure.target,
            "unit": unit,
        }
    # Translators: values is a list of "FY2026 Q2: 91 (plan 88)" joined by "; ".
    return _("Values in %(unit)s by period, beside the plan. %(values)s.") % {
        "unit": unit,
        "values": "; ".join(shown),
    }


@register.simple_tag
def measure_table(outcome) -> str:
    """The values of the measure's year beside the plan, a column per period (twelve for a
    monthly measure): one format_html, the markup its format string, the texts (localized
    as {{ value }} writes them) its arguments."""
    measure, year = outcome.measure, outcome.year
    text = formats.localize
    cells = {"code": [], "plan": [], "value": []}
    texts = {"code": [], "plan": [], "value": []}
    for point in year:
        cells["code"].append('<th scope="col">{}</th>')
        texts["code"].append(point.period.code)
        cells["plan"].append("<td>{}</td>")
        texts["plan"].append(text(point.planned))
        if point.actual is not None:
            cells["value"].append("<td>{}</td>")
            texts["value"].append(text(point.actual))
        else:
            cells["value"].append('<td><span class="text-body-secondary">–</span></td>')
    return format_html(
        '<table class="table table-sm mb-2">\n'
        '      <caption class="visually-hidden">{}</caption>\n'
        '      <thead><tr><th scope="row">{}</th>' + "".join(cells["code"]) + "</tr></thead>\n"
        "      <tbody>\n"
        '        <tr><th scope="row">{}</th>' + "".join(cells["plan"]) + "</tr>\n"
        '        <tr><th scope="row">{}</th>' + "".join(cells["value"]) + "</tr>\n"
        "      </tbody>\n"
        "    </table>",
        _("Values of %(measure)s beside the plan, FY%(year)s")
        % {"measure": measure.name, "year": text(measure.objective.position.fiscal_year)},
        pgettext("reporting period", "Period"),
        *texts["code"],
        _("Plan"),
        *texts["plan"],
        _("Value"),
        *texts["value"],
    )


@register.simple_tag
def measure_chart_svg(outcome, chart_id) -> str:
    """The measure's values (solid line, dots) and planned path (dashed) over its periods,
    last years' included.

    One format_html per chart rather than one per element: the markup and the numbers computed
    here make the format string, the texts (the chart's id, the measure's name, the periods)
    are its arguments, escaped."""
    series = outcome.series
    numbers = [p.planned for p in series if p.planned is not None]
    numbers += [p.actual for p in series if p.actual is not None]
    if not series or not numbers:
        return ""
    low, high, y = _scale(numbers)
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    step = span / max(len(series) - 1, 1)
    xs = [
        round(PAD_LEFT + (i * step if len(series) > 1 else span / 2), 1) for i in range(len(series))
    ]
    points = [
        (x, p, None if p.actual is None else y(p.actual)) for x, p in zip(xs, series, strict=True)
    ]
    plan = " ".join(f"{x},{y(p.planned)}" for x, p, _actual in points if p.planned is not None)
    segments, run = [], []
    for x, _point, actual_y in points:
        if actual_y is None:
            if run:
                segments.append(" ".join(run))
            run = []
        else:
            run.append(f"{x},{actual_y}")
    if run:
        segments.append(" ".join(run))
    every = max(1, -(-len(series) // MAX_LABELS))
    texts = [
        chart_id,
        chart_id,
        chart_id,
        _("%(measure)s: values and plan") % {"measure": outcome.measure.name},
    ]
    texts += [chart_id, chart_description(outcome)]
    grid = []
    for k in range(5):
        value = low + (high - low) * k / 4
        grid.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(value)}" y2="{y(value)}" '
            f'stroke="#dee2e6" stroke-width="1"/><text x="{PAD_LEFT - 6}" y="{y(value)}" '
            'text-anchor="end" dominant-baseline="middle" font-size="11" fill="#6c757d">{}</text>'
        )
        texts.append(f"{value:.2f}".rstrip("0").rstrip("."))
    planned = (
        f'<polyline points="{plan}" fill="none" stroke="#6c757d" stroke-width="1.5" '
        'stroke-dasharray="6 4"/>'
    )
    lines = "\n".join(
        f'<polyline points="{s}" fill="none" stroke="#0d6efd" stroke-width="2.5"/>'
        for s in segments
    )
    dots = "\n".join(
        f'<circle cx="{x}" cy="{actual_y}" r="4" fill="#0d6efd"/>'
        for x, _, actual_y in points
        if actual_y is not None
    )
    labels = []
    for i, (x, p, _actual) in enumerate(points):
        if i % every == 0:
            labels.append(
                f'<text x="{x}" y="{HEIGHT - PAD_BOTTOM + 20}" text-anchor="middle" '
                'font-size="11" fill="#495057">{}</text>'
            )
            texts.append(p.period.code)
    return format_html(
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="measure-{{}}-title '
        'measure-{}-desc" xmlns="http://www.w3.org/2000/svg" class="trend-svg">\n'
        '<title id="measure-{}-title">{}</title>\n<desc id="measure-{}-desc">{}</desc>\n'
        + "\n".join(grid)
        + f"\n{planned}\n{lines}\n{dots}\n"
        + "\n".join(labels)
        + "</svg>",
        *texts,
    )
