"""A measure's values and planned path as a server-side SVG chart (strict CSP: no script, no
inline style), drawn like the score trends (reviews' chart_svg)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join

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
        f"{p.period}: {p.actual} (plan {p.planned})" for p in outcome.series if p.actual is not None
    ]
    unit = outcome.measure.unit
    if not shown:
        return f"No values yet; the plan goes to {outcome.measure.target} {unit}."
    return f"Values in {unit} by period, beside the plan. " + "; ".join(shown) + "."


@register.simple_tag
def measure_chart_svg(outcome, chart_id) -> str:
    """The measure's values (solid line, dots) and planned path (dashed) over its periods,
    last years' included."""
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
    every = max(1, -(-len(series) // MAX_LABELS))
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
            (x, HEIGHT - PAD_BOTTOM + 20, p.period.code if i % every == 0 else "")
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
        chart_description(outcome),
        grid,
        planned,
        lines,
        dots,
        labels,
    )
