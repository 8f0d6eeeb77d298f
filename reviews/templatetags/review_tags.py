from functools import cache

from django import template
from django.utils.translation import gettext as _

from reviews.models import AlignmentCheck
from strategy.html import format_html, format_html_join
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
            '<text x="{}" y="40" text-anchor="end" font-size="13" fill="#6c757d">{}</text>',
            chart.width,
            _("No scores yet"),
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
                else format_html('<span class="visually-hidden">{}</span>', _("no score")),
            )
            for v in values
        ),
    )


@cache
def _heat_cell(heat: str, text: str, extra: str = "") -> str:
    """One cell of the heatmap: a handful of distinct ones, each written once per process."""
    return format_html('<td class="text-center{} {}">{}</td>', extra, heat, text)


@register.simple_tag
def heatmap_rows(rows: list[dict], columns: int) -> str:
    """The heatmap's body (reviews.standings.team_page's rows): a heading row where the group
    changes (the viewer's own teams, then each region), then a row per team with a cell per
    objective and its fit. Written here in one pass: a template node per cell and per row
    was most of the cycle page's rendering."""
    html, group = [], None
    for row in rows:
        if (row["is_first"], row["region"]) != group:
            group = (row["is_first"], row["region"])
            html.append(
                format_html(
                    '<tr class="table-light"><th scope="rowgroup" colspan="{}">{}</th></tr>',
                    columns + 3,
                    _("Your team") if row["is_first"] else row["region"],
                )
            )
        team = row["team"]
        cells = _joined([_heat_cell(c["heat"], c["text"]) for c in row["cells"]])
        html.append(
            format_html(
                '<tr><th scope="row"><a href="{}">{}</a></th><td class="small">{}</td>{}{}</tr>',
                row["check_url"],
                team["name"],
                team["state_label"],
                cells,
                _heat_cell(team["heat"], team["score_text"], " fw-semibold"),
            )
        )
    return _joined(html, "\n")


def _joined(parts: list, between: str = "") -> str:
    """Parts of HTML (safe strings already) as one, with a single format_html: one per part
    costs as much again as writing them."""
    if not parts:
        return ""
    return format_html(between.join(["{}"] * len(parts)), *parts)
