from django import template
from django.utils.html import format_html, format_html_join

from reviews.models import AlignmentCheck
from strategy.models import Commitment, Lever

register = template.Library()

STATE_LABELS = dict(AlignmentCheck.State.choices)


@register.filter
def heat_class(score: float | None) -> str:
    """A CSS class for a 0-100 score: heat-0 (worst) to heat-4 (best), heat-none if unscored."""
    if score is None:
        return "heat-none"
    return f"heat-{min(4, max(0, int(score // 20)))}"


@register.filter
def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


LEVER_LABELS = dict(Lever.choices)
STATUS_LABELS = dict(Commitment.Status.choices)


@register.filter
def lever_label(lever: str) -> str:
    return LEVER_LABELS.get(lever, lever)


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@register.simple_tag
def chart_svg(chart, chart_id) -> str:
    """A trend chart (reviews.trends.Chart) as SVG, built in Python: a page shows a dozen of
    them, and the template engine spent more on their few hundred numbers than the page's
    queries cost."""
    left, right, label_y = chart.plot_left, chart.plot_right, chart.label_y
    grid = format_html_join(
        "\n",
        '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="#dee2e6" stroke-width="1"/>'
        '<text x="{3}" y="{2}" text-anchor="end" dominant-baseline="middle" font-size="11" '
        'fill="#6c757d">{4}</text>',
        ((left, right, g["y"], left - 6, g["value"]) for g in chart.gridlines),
    )
    lines = format_html_join(
        "\n",
        '<polyline points="{}" fill="none" stroke="#0d6efd" stroke-width="2.5"/>',
        ((segment,) for segment in chart.segments),
    )
    dots = format_html_join(
        "\n",
        '<circle cx="{}" cy="{}" r="4" fill="{}" stroke="#0d6efd" stroke-width="2"/>',
        (
            (p.x, p.y, "#ffffff" if p.is_open else "#0d6efd")
            for p in chart.points
            if p.y is not None
        ),
    )
    labels = format_html_join(
        "\n",
        '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#495057">{}</text>',
        ((p.x, label_y, p.label) for p in chart.points),
    )
    empty = (
        ""
        if chart.has_data
        else format_html(
            '<text x="{}" y="40" text-anchor="end" font-size="13" fill="#6c757d">'
            "No scores yet</text>",
            chart.width,
        )
    )
    return format_html(
        '<svg viewBox="0 0 {0} {1}" role="img" aria-labelledby="chart-{2}-title chart-{2}-desc"'
        ' xmlns="http://www.w3.org/2000/svg" class="trend-svg">\n'
        '<title id="chart-{2}-title">{3}</title>\n<desc id="chart-{2}-desc">{4}</desc>\n'
        "{5}\n{6}\n{7}\n{8}\n{9}</svg>",
        chart.width,
        chart.height,
        chart_id,
        chart.title,
        chart.description,
        grid,
        lines,
        dots,
        labels,
        empty,
    )


@register.simple_tag
def trend_cells(values: list[dict]) -> str:
    """A team's row of the trends table, one cell a quarter (a page shows hundreds of them):
    its score coloured by heat_class, or a hidden "no score"."""
    return format_html_join(
        "",
        '<td class="text-center {}">{}</td>',
        (
            (
                v["heat"],
                v["text"]
                if v["value"] is not None
                else format_html('<span class="visually-hidden">{}</span>', "no score"),
            )
            for v in values
        ),
    )
