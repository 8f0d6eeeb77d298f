"""The trends tags: chart_svg draws what the chart template drew, trend_cells a team's row."""

import re

from django.template import Context, Template

from reviews.trends import Point, build_chart

OLD_TEMPLATE = """<svg viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-labelledby="chart-{{ chart_id }}-title chart-{{ chart_id }}-desc" xmlns="http://www.w3.org/2000/svg" class="trend-svg">
<title id="chart-{{ chart_id }}-title">{{ chart.title }}</title>
<desc id="chart-{{ chart_id }}-desc">{{ chart.description }}</desc>
{% for g in chart.gridlines %}<line x1="{{ chart.plot_left }}" x2="{{ chart.plot_right }}" y1="{{ g.y }}" y2="{{ g.y }}" stroke="#dee2e6" stroke-width="1"/><text x="{{ chart.plot_left|add:'-6' }}" y="{{ g.y }}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#6c757d">{{ g.value }}</text>{% endfor %}
{% for segment in chart.segments %}<polyline points="{{ segment }}" fill="none" stroke="#0d6efd" stroke-width="2.5"/>{% endfor %}
{% for p in chart.points %}{% if p.y is not None %}<circle cx="{{ p.x }}" cy="{{ p.y }}" r="4" fill="{% if p.is_open %}#ffffff{% else %}#0d6efd{% endif %}" stroke="#0d6efd" stroke-width="2"/>{% endif %}{% endfor %}
{% for p in chart.points %}<text x="{{ p.x }}" y="{{ chart.label_y }}" text-anchor="middle" font-size="11" fill="#495057">{{ p.label }}</text>{% endfor %}
{% if not chart.has_data %}<text x="{{ chart.width|floatformat:0 }}" y="40" text-anchor="end" font-size="13" fill="#6c757d">No scores yet</text>{% endif %}</svg>"""  # noqa: E501


def _elements(html: str) -> list[str]:
    return re.findall(r"<[^>]+>[^<]*", html.replace("\n", ""))


def _both(chart, chart_id="c1") -> tuple[list[str], list[str]]:
    context = Context({"chart": chart, "chart_id": chart_id})
    old = Template(OLD_TEMPLATE).render(context)
    new = Template("{% load review_tags %}{% chart_svg chart chart_id %}").render(context)
    return _elements(old), _elements(new)


def test_a_chart_with_gaps_and_an_open_quarter_draws_the_same_svg_as_the_template():
    chart = build_chart(
        "Grow <B2B> & keep",
        [
            Point("Q1 FY2025", 62.5),
            Point("Q2 FY2025", None),
            Point("Q3 FY2025", 71.25),
            Point("Q4 FY2025", 80.0),
            Point("Q1 FY2026 (open)", 55.0, is_open=True),
        ],
    )
    old, new = _both(chart)

    assert new == old
    assert '<title id="chart-c1-title">Grow &lt;B2B&gt; &amp; keep' in new
    assert sum(e.startswith("<circle") for e in new) == 4
    assert sum(e.startswith("<polyline") for e in new) == 2


def test_a_chart_without_scores_says_so_as_the_template_did():
    old, new = _both(build_chart("Empty", [Point("Q1 FY2025", None)]), chart_id="company")

    assert new == old
    assert any("No scores yet" in e for e in new)


def test_a_teams_row_shows_each_quarters_score_by_heat_or_says_it_has_none():
    values = [
        {"value": 25.0, "text": "25", "heat": "heat-1"},
        {"value": None, "text": "", "heat": "heat-none"},
    ]
    html = Template("{% load review_tags %}{% trend_cells values %}").render(
        Context({"values": values})
    )

    assert html == (
        '<td class="text-center heat-1">25</td>'
        '<td class="text-center heat-none"><span class="visually-hidden">no score</span></td>'
    )
